//! List query strings (`GET /v1/secrets?...`, `GET /v1/audit-events?...`): date filters
//! (`created=gt:2016-01-01,lt:2017-01-01`), `sort=created:desc,name`, paging, and the `next` /
//! `previous` links built from them. A filter that parses has, for every comma-separated part,
//! the operator its prefix names; a sort names each key once; paging stays in bounds; the link's
//! query string decodes back to the parameters it was built from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_api::fuzzing::{MAX_LIMIT, audit_filter, nav_query, page_from, query_params, secret_filter};
use portcullis_fuzz::assert_refusal;
use portcullis_store::query::Cmp;

/// The operator a date filter part names (`gt:…`), or equality for a bare timestamp.
fn operator(part: &str) -> Cmp {
    match part.split_once(':') {
        Some(("gt", _)) => Cmp::Gt,
        Some(("gte", _)) => Cmp::Gte,
        Some(("lt", _)) => Cmp::Lt,
        Some(("lte", _)) => Cmp::Lte,
        _ => Cmp::Eq,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else { return };
    let Some(params) = query_params(query) else { return };
    // The value a filter is read from: the last non-empty one.
    let last = |key: &str| params.iter().rev().find(|(k, v)| k == key && !v.trim().is_empty()).map(|(_, v)| v.trim());

    match secret_filter(&params) {
        Ok(filter) => {
            for (key, conditions) in
                [("created", &filter.created), ("updated", &filter.updated), ("expiration", &filter.expiration)]
            {
                let expected: Vec<Cmp> = last(key).map(|v| v.split(',').map(operator).collect()).unwrap_or_default();
                let got: Vec<Cmp> = conditions.iter().map(|(cmp, _)| *cmp).collect();
                assert_eq!(got, expected, "{key}={:?}", last(key));
                let count = |cs: &[Cmp]| got.iter().filter(|c| cs.contains(c)).count();
                assert!(count(&[Cmp::Gt, Cmp::Gte]) <= 1 && count(&[Cmp::Lt, Cmp::Lte]) <= 1 && count(&[Cmp::Eq]) <= 1);
            }
            let parts = last("sort").map_or(0, |v| v.split(',').count());
            assert_eq!(filter.sort.len(), parts);
            for (i, (key, _)) in filter.sort.iter().enumerate() {
                assert!(filter.sort[..i].iter().all(|(k, _)| k != key), "a sort key twice");
            }
            assert!(filter.bit_length.is_none_or(|b| b > 0));
        }
        Err(e) => assert_eq!(e.status().as_u16(), 400, "{e:?}"),
    }

    let page = page_from(&params);
    assert!((1..=MAX_LIMIT).contains(&page.limit) && page.offset >= 0, "{page:?}");

    // The links carry every other parameter, grouped by key in first-seen order.
    let nav = nav_query(&params);
    let mut grouped: Vec<(&str, Vec<&str>)> = Vec::new();
    for (k, v) in params.iter().filter(|(k, _)| k != "limit" && k != "offset") {
        match grouped.iter_mut().find(|(key, _)| key == k) {
            Some((_, values)) => values.push(v),
            None => grouped.push((k, vec![v])),
        }
    }
    let expected: Vec<(String, String)> =
        grouped.iter().flat_map(|(k, vs)| vs.iter().map(|v| (k.to_string(), v.to_string()))).collect();
    if expected.is_empty() {
        assert_eq!(nav, "");
    } else {
        let link_query = nav.strip_prefix('&').expect("links' extra query starts with &");
        assert!(link_query.bytes().all(|b| b.is_ascii_alphanumeric() || b"%+=&_.-~".contains(&b)), "{nav}");
        assert_eq!(query_params(link_query), Some(expected), "{nav}");
    }

    match audit_filter(&params) {
        Ok(filter) => {
            let outcome = filter.outcome.as_deref();
            assert!(outcome.is_none_or(|o| ["allowed", "denied", "failed", "cancelled"].contains(&o)));
            assert!(filter.target.as_deref().is_none_or(|t| !t.is_empty()));
        }
        Err(e) => assert_refusal(&e),
    }
});
