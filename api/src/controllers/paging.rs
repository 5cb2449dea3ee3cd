//! Paging of list endpoints as Barbican pages: `limit` (default 10, at most 100) and `offset`,
//! with `next`/`previous` links and a `total`.

use portcullis_store::query::Page;
use serde_json::{Map, Value};

use crate::context::Hrefs;

pub const DEFAULT_LIMIT: i64 = 10;
pub const MAX_LIMIT: i64 = 100;

/// Reads `limit` and `offset` from query parameters. Values that are not numbers fall back to
/// the defaults, negative offsets to 0, limits are clamped to 1..=100 (Barbican's behaviour).
pub fn page_from(params: &[(String, String)]) -> Page {
    let get = |k: &str| params.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.trim());
    let offset = get("offset").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0).max(0);
    let limit = get("limit").and_then(|v| v.parse::<i64>().ok()).unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    Page { offset, limit }
}

/// Adds `next`, `previous` and `total` to a list body. The links keep the request's other query
/// parameters (filters, sort), so following them pages through the same result.
pub fn add_nav(body: &mut Map<String, Value>, hrefs: &Hrefs, collection: &str, params: &[(String, String)], page: Page, total: i64) {
    let extra: String = params
        .iter()
        .filter(|(k, _)| k != "limit" && k != "offset")
        .map(|(k, v)| format!("&{}={}", encode(k), encode(v)))
        .collect();
    let link = |offset: i64| hrefs.url(&format!("v1/{collection}?limit={}&offset={offset}{extra}", page.limit));
    if page.offset > 0 {
        body.insert("previous".into(), link((page.offset - page.limit).max(0)).into());
    }
    if page.offset + page.limit < total {
        body.insert("next".into(), link(page.offset + page.limit).into());
    }
    body.insert("total".into(), total.into());
}

/// Percent-encodes a query component.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~:,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn limits_are_clamped() {
        let page = page_from(&p(&[("limit", "1000"), ("offset", "-3")]));
        assert_eq!((page.limit, page.offset), (100, 0));
        let page = page_from(&p(&[("limit", "x")]));
        assert_eq!(page.limit, 10);
    }

    #[test]
    fn nav_links_as_barbican() {
        let mut body = Map::new();
        let params = p(&[("limit", "1"), ("offset", "1")]);
        add_nav(&mut body, &Hrefs::new("http://h:9311"), "secrets", &params, page_from(&params), 4);
        assert_eq!(body["previous"], "http://h:9311/v1/secrets?limit=1&offset=0");
        assert_eq!(body["next"], "http://h:9311/v1/secrets?limit=1&offset=2");
        assert_eq!(body["total"], 4);
    }
}
