//! Paging of list endpoints as Barbican pages: `limit` (default 10, at most 100) and `offset`,
//! with `next`/`previous` links and a `total`.

use portcullis_store::query::Page;
use serde_json::{Map, Value};

use crate::context::Hrefs;

pub const DEFAULT_LIMIT: i64 = 10;
pub const MAX_LIMIT: i64 = 100;

/// Reads `limit` and `offset` from query parameters as Barbican's `clean_paging_values` does:
/// a missing, empty or non-numeric limit is 10, others (`0` included: the query value is the
/// truthy string "0") are clamped to 1..=100; a missing, non-numeric or negative offset is 0.
pub fn page_from(params: &[(String, String)]) -> Page {
    let get = |k: &str| params.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.trim());
    let offset = get("offset").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0).max(0);
    let limit = get("limit").and_then(|v| v.parse::<i64>().ok()).unwrap_or(DEFAULT_LIMIT);
    Page { offset, limit: limit.clamp(1, MAX_LIMIT) }
}

/// Adds `next`, `previous` and `total` to a list body whose items sit under `items_key`.
/// `extra_query` (from [`nav_query`], or empty) is appended to both links. An empty page gets
/// no links, even past the end, as in Barbican.
pub fn add_nav(
    body: &mut Map<String, Value>,
    items_key: &str,
    hrefs: &Hrefs,
    collection: &str,
    extra_query: &str,
    page: Page,
    total: i64,
) {
    let empty = body.get(items_key).and_then(Value::as_array).is_none_or(|items| items.is_empty());
    if !empty {
        let link =
            |offset: i64| hrefs.url(&format!("v1/{collection}?limit={}&offset={offset}{extra_query}", page.limit));
        if page.offset > 0 {
            body.insert("previous".into(), link((page.offset - page.limit).max(0)).into());
        }
        if total > page.offset + page.limit {
            body.insert("next".into(), link(page.offset + page.limit).into());
        }
    }
    body.insert("total".into(), total.into());
}

/// The request's other query parameters, as Barbican appends them to the secrets list's links:
/// `&` + Python's `urlencode(GET.mixed(), doseq=True)` without `limit` and `offset` (repeated
/// keys grouped at their first position, `quote_plus` escaping). Following the links then pages
/// through the same filtered, sorted result.
pub fn nav_query(params: &[(String, String)]) -> String {
    let mut grouped: Vec<(&str, Vec<&str>)> = Vec::new();
    for (k, v) in params.iter().filter(|(k, _)| k != "limit" && k != "offset") {
        match grouped.iter_mut().find(|(key, _)| key == k) {
            Some((_, values)) => values.push(v),
            None => grouped.push((k, vec![v])),
        }
    }
    let pairs: Vec<String> = grouped
        .iter()
        .flat_map(|(k, vs)| vs.iter().map(move |v| format!("{}={}", quote_plus(k), quote_plus(v))))
        .collect();
    if pairs.is_empty() { String::new() } else { format!("&{}", pairs.join("&")) }
}

/// Python's `urllib.parse.quote_plus`: unreserved characters kept, space as `+`, the rest
/// percent-encoded (UTF-8, uppercase hex).
fn quote_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
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
        assert_eq!(page_from(&p(&[("limit", "x")])).limit, 10);
        assert_eq!(page_from(&p(&[("limit", "0")])).limit, 1);
        assert_eq!(page_from(&p(&[("limit", "")])).limit, 10);
        assert_eq!(page_from(&p(&[("limit", "-5")])).limit, 1);
    }

    #[test]
    fn nav_query_as_python_urlencode() {
        assert_eq!(
            nav_query(&p(&[("limit", "1"), ("sort", "name:desc"), ("name", "a b")])),
            "&sort=name%3Adesc&name=a+b"
        );
        assert_eq!(nav_query(&p(&[("offset", "3")])), "");
    }

    #[test]
    fn nav_links_as_barbican() {
        let mut body = Map::new();
        body.insert("secrets".into(), serde_json::json!([{}]));
        let params = p(&[("limit", "1"), ("offset", "1")]);
        add_nav(&mut body, "secrets", &Hrefs::new("http://h:9311"), "secrets", "", page_from(&params), 4);
        assert_eq!(body["previous"], "http://h:9311/v1/secrets?limit=1&offset=0");
        assert_eq!(body["next"], "http://h:9311/v1/secrets?limit=1&offset=2");
        assert_eq!(body["total"], 4);
    }
}
