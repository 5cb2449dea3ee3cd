//! The JSON shape of an order, key for key in Barbican's order: `created, updated, status, type,
//! meta, [creator_id], [error_status_code, error_reason], [sub_status, sub_status_message],
//! [secret_ref], order_ref, [container_ref]`. Bracketed keys are left out when unset, as
//! Barbican leaves out null order fields (a PENDING or ERROR order has no sub_status).

use portcullis_store::orders::Order;
use serde_json::{Map, Value};

use crate::context::Hrefs;

pub fn order_view(hrefs: &Hrefs, o: &Order) -> Value {
    let mut m = Map::new();
    m.insert("created".into(), o.created_at.to_barbican().into());
    m.insert("updated".into(), o.updated_at.to_barbican().into());
    m.insert("status".into(), o.status.clone().into());
    m.insert("type".into(), o.kind.clone().into());
    // Written by POST from a JSON object; anything else would be a corrupt row.
    m.insert("meta".into(), serde_json::from_str(&o.meta).unwrap_or(Value::Null));
    let mut opt = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            m.insert(k.into(), v.clone().into());
        }
    };
    opt("creator_id", &o.creator_id);
    opt("error_status_code", &o.error_status_code);
    opt("error_reason", &o.error_reason);
    opt("sub_status", &o.sub_status);
    opt("sub_status_message", &o.sub_status_message);
    if let Some(id) = o.secret_id {
        m.insert("secret_ref".into(), hrefs.secret(&id).into());
    }
    m.insert("order_ref".into(), hrefs.order(&o.id).into());
    if let Some(id) = o.container_id {
        m.insert("container_ref".into(), hrefs.container(&id).into());
    }
    Value::Object(m)
}
