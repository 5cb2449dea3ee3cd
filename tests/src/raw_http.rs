//! [`Client::send_exact`]: a request written by hand on a fresh HTTP/1.1 connection, for headers
//! reqwest would add (it always sends `Accept: */*`).

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{Client, Resp, StatusCode};

impl Client {
    /// Sends a request with exactly these headers (plus `Host`, `X-Project-Id` and
    /// `Content-Length`), over a fresh HTTP/1.1 connection. reqwest always adds `Accept: */*`;
    /// use this to send a request with no `Accept` at all. Headers added with
    /// [`Client::with_header`] are sent too.
    pub async fn send_exact(&self, method: &str, path: &str, body: Option<&[u8]>, headers: &[(&str, &str)]) -> Resp {
        let url = reqwest::Url::parse(&self.url(path)).expect("url");
        let host = format!("{}:{}", url.host_str().expect("host"), url.port_or_known_default().expect("port"));
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        if let Some(p) = &self.project {
            head.push_str(&format!("X-Project-Id: {p}\r\n"));
        }
        for (k, v) in self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).chain(headers.iter().copied()) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(b) = body {
            head.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        head.push_str("\r\n");
        let mut stream = tokio::net::TcpStream::connect(&host).await.expect("connect");
        stream.write_all(head.as_bytes()).await.expect("write head");
        if let Some(b) = body {
            stream.write_all(b).await.expect("write body");
        }
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read response");
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("end of response head");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().expect("status line");
        let code: u16 = status_line.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("status code");
        let mut headers = reqwest::header::HeaderMap::new();
        for line in lines {
            if let Some((k, v)) = line.split_once(':') {
                headers.append(
                    reqwest::header::HeaderName::from_bytes(k.trim().as_bytes()).expect("header name"),
                    reqwest::header::HeaderValue::from_str(v.trim()).expect("header value"),
                );
            }
        }
        let mut bytes = raw[split + 4..].to_vec();
        if headers.get("transfer-encoding").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked")) {
            bytes = dechunk(&bytes);
        }
        Resp { status: StatusCode::from_u16(code).expect("status"), headers, bytes }
    }
}

/// Decodes a chunked HTTP/1.1 body.
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else { return out };
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16).expect("chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
}
