//! The apalis board's pieces: its JSON API over our storages, its embedded UI files, and the page
//! that starts the UI under /dashboard.

use std::sync::LazyLock;

use apalis_board_api::framework::{ApiBuilder, RegisterRoute};
use apalis_board_api::ui::ServeUI;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use portcullis_jobs::admin::QUEUES;
use portcullis_store::Db;
use serde_json::Value;

use super::{ASSETS, PREFIX};

/// The board's API (`/queues`, `/tasks`, `/workers`, `/overview`, and per queue
/// `/queues/{queue}/tasks[/{id}]`, `/stats`, `/workers`), on storages configured as the workers'
/// are (one per queue, over the process's pool). Payloads are JSON values: the board shows them
/// as stored; a failed job's error is added as its last run (see `results.rs`).
pub fn api(db: &Db) -> Router {
    let builder = ApiBuilder::new(Router::new());
    let api: Router = match db {
        Db::Sqlite(pool, _) => QUEUES
            .iter()
            .fold(builder, |b, queue| {
                let config = apalis_sqlite::Config::default().queue(queue);
                let storage = apalis_sqlite::SqliteStorage::<Value>::new(pool).with_config(config);
                RegisterRoute::<_, Value>::register(b, queue, storage)
            })
            .build(),
        Db::Postgres(pool) => QUEUES
            .iter()
            .fold(builder, |b, queue| {
                let config = apalis_postgres::Config::default().queue(queue);
                let storage = apalis_postgres::PostgresStorage::<Value>::new(pool).with_config(config);
                RegisterRoute::<_, Value>::register(b, queue, storage)
            })
            .build(),
    };
    api.layer(from_fn_with_state(db.clone(), super::results::add_last_results))
}

/// One of the UI's files (`.js`, `.wasm`, `.css`), with the crate's content type and caching.
pub fn asset(name: &str) -> Response {
    // `get_file` answers index.html for extension-less names (its SPA fallback): not an asset.
    // (A copy, as the crate's own server makes: its lookup does not hand out 'static bytes.)
    let Some(contents) = name.contains('.').then(|| ServeUI::get_file(name)).flatten().map(|f| f.contents().to_vec())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut resp = contents.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ServeUI::content_type(name)));
    if let Some(cache) = ServeUI::cache_control(name) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    resp
}

/// The UI's index.html, made to run under /dashboard: its asset links point at
/// `/dashboard/assets/`, and `shim.js` runs first.
pub fn page() -> &'static str {
    static PAGE: LazyLock<String> = LazyLock::new(|| {
        let index = ServeUI::get_file("index.html").and_then(|f| f.contents_utf8()).unwrap_or_default();
        shell(index, |name| ServeUI::get_file(name).is_some())
    });
    &PAGE
}

/// `index` with each quoted absolute link to an embedded file (`"/<name>.<ext>"`, for which
/// `is_asset` holds) moved under [`ASSETS`], and the shim inserted at the top of `<head>`. The
/// `<base href="/">` stays: the board's own links are absolute paths that it routes itself.
fn shell(index: &str, is_asset: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(index.len() + 4096);
    let mut rest = index;
    while let Some(at) = rest.find(['"', '\'']) {
        let quote = rest.as_bytes()[at] as char;
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let end = rest.find(quote).unwrap_or(rest.len());
        let inside = &rest[..end];
        match inside.strip_prefix('/') {
            Some(name) if name.contains('.') && !name.contains('/') && is_asset(name) => {
                out.push_str(&format!("{ASSETS}/{name}"));
            }
            _ => out.push_str(inside),
        }
        // The closing quote, if any, is copied by the next round.
        rest = &rest[end..];
        if let Some(tail) = rest.strip_prefix(quote) {
            out.push(quote);
            rest = tail;
        }
    }
    out.push_str(rest);
    let shim = format!("<script>{}</script>", include_str!("shim.js"));
    let title = "<title>Portcullis jobs</title>";
    match out.find("<head>") {
        Some(i) => out.insert_str(i + "<head>".len(), &format!("\n{shim}\n{title}")),
        None => out.insert_str(0, &shim),
    }
    debug_assert!(out.contains(PREFIX));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_to_embedded_files_move_under_assets() {
        let index = r#"<html><head><base href="/" /><script type="module">import init from '/app-1.js';
await init({ module_or_path: '/app-1_bg.wasm' });</script><link rel="stylesheet" href="/in.css"/>
<a href="/queues">q</a></head><body></body></html>"#;
        let page = shell(index, |n| ["app-1.js", "app-1_bg.wasm", "in.css"].contains(&n));
        assert!(page.contains("'/dashboard/assets/app-1.js'"), "{page}");
        assert!(page.contains("'/dashboard/assets/app-1_bg.wasm'"));
        assert!(page.contains(r#"href="/dashboard/assets/in.css""#));
        assert!(page.contains(r#"<base href="/" />"#));
        assert!(page.contains(r#"href="/queues""#));
        assert!(page.find("window.EventSource").unwrap() < page.find("import init").unwrap());
    }

    #[test]
    fn the_embedded_ui_is_rewritten() {
        let page = page();
        assert!(page.contains("/dashboard/assets/"), "{page}");
        assert!(!page.contains("'/apalis-board-web"), "an asset link was left at the root: {page}");
        assert!(asset("no-such.js").status() == StatusCode::NOT_FOUND);
        assert!(asset("index").status() == StatusCode::NOT_FOUND);
    }
}
