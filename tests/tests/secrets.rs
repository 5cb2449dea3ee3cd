//! The secrets resource end to end, as a Barbican client sees it: create (one and two steps),
//! metadata, payload negotiation, list paging/filters/sort, expiry and delete.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use portcullis_tests::*;

const METADATA_KEYS: &[&str] = &[
    "created",
    "updated",
    "status",
    "name",
    "secret_type",
    "expiration",
    "algorithm",
    "bit_length",
    "mode",
    "creator_id",
    "content_types",
    "secret_ref",
];

fn keys(v: &Value) -> Vec<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

/// Creates a secret from a JSON body and returns its ref, checking `Location` == `secret_ref`.
async fn create(c: &Client, body: Value) -> String {
    let r = c.post_json("/v1/secrets", &body).await.expect(201);
    let secret_ref = r.json()["secret_ref"].as_str().expect("secret_ref").to_owned();
    assert_eq!(r.header("location").as_deref(), Some(secret_ref.as_str()));
    assert_eq!(keys(&r.json()), vec!["secret_ref"]);
    secret_ref
}

async fn put_raw(c: &Client, secret_ref: &str, body: &[u8], headers: &[(&str, &str)]) -> Resp {
    c.send(Method::PUT, secret_ref, Some(body.to_vec()), headers).await
}

fn names(list: &Value) -> Vec<String> {
    list["secrets"]
        .as_array()
        .expect("secrets")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

both_backends!(one_step_create_and_metadata, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());

    // Text payload.
    let text_ref = create(
        &c,
        json!({"name": "transcript-secret", "payload": "hello world", "payload_content_type": "text/plain"}),
    )
    .await;
    assert!(text_ref.starts_with(&format!("{}/v1/secrets/", server.base)), "{text_ref}");
    let id = id_of(&text_ref);
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);

    let meta = c.get(&text_ref).await.expect(200);
    assert_eq!(meta.header("content-type").as_deref(), Some("application/json"));
    let m = meta.json();
    assert_eq!(keys(&m), METADATA_KEYS, "key set and order as Barbican at 1.0: {m}");
    assert_eq!(m["status"], "ACTIVE");
    assert_eq!(m["name"], "transcript-secret");
    assert_eq!(m["secret_type"], "opaque");
    assert_eq!(m["content_types"], json!({"default": "text/plain"}));
    for k in ["expiration", "algorithm", "bit_length", "mode", "creator_id"] {
        assert_eq!(m[k], Value::Null, "{k}");
    }
    assert_eq!(m["secret_ref"], text_ref.as_str());
    for k in ["created", "updated"] {
        let ts = m[k].as_str().unwrap();
        assert!(is_barbican_timestamp(ts), "{k} = {ts:?}");
    }
    // Accept: application/json and */* also give the metadata.
    for accept in ["application/json", "*/*"] {
        let r = c.send(Method::GET, &text_ref, None, &[("Accept", accept)]).await.expect(200);
        assert_eq!(r.json(), m, "Accept {accept}");
    }

    // Binary payload, base64, with full metadata.
    let key: Vec<u8> = (0u8..32).collect();
    let aes_ref = create(
        &c,
        json!({
            "name": "aes-key", "algorithm": "aes", "bit_length": 256, "mode": "cbc", "secret_type": "symmetric",
            "expiration": "2099-12-31T23:59:59Z", "payload": B64.encode(&key),
            "payload_content_type": "application/octet-stream", "payload_content_encoding": "base64"
        }),
    )
    .await;
    let m = c.get(&aes_ref).await.expect(200).json();
    assert_eq!(keys(&m), METADATA_KEYS);
    assert_eq!(m["expiration"], "2099-12-31T23:59:59", "no Z, no zero fraction");
    assert_eq!(
        (m["algorithm"].clone(), m["bit_length"].clone(), m["mode"].clone()),
        (json!("aes"), json!(256), json!("cbc"))
    );
    assert_eq!(m["secret_type"], "symmetric");
    assert_eq!(m["content_types"], json!({"default": "application/octet-stream"}));
    let p = c.payload(&aes_ref, Some("application/octet-stream")).await.expect(200);
    assert_eq!(p.header("content-type").as_deref(), Some("application/octet-stream"));
    assert_eq!(p.bytes, key);

    // X-User-Id becomes creator_id; 1.1 adds consumers (empty).
    let alice = c.with_header("X-User-Id", "alice");
    let r = create(&alice, json!({"name": "by-alice"})).await;
    let m = alice.with_header("OpenStack-API-Version", "key-manager 1.1").get(&r).await.expect(200).json();
    assert_eq!(m["creator_id"], "alice");
    assert_eq!(m["consumers"], json!([]));
    assert!(m.get("content_types").is_none(), "no content_types without a payload: {m}");

    // Strings are stripped, as Barbican strips every string of a body.
    let r = create(
        &c,
        json!({"name": "  padded  ", "payload": "  padded payload \n", "payload_content_type": "text/plain"}),
    )
    .await;
    assert_eq!(c.get(&r).await.expect(200).json()["name"], "padded");
    assert_eq!(c.payload(&r, Some("text/plain")).await.expect(200).text(), "padded payload");

    // Expirations are normalised to naive UTC.
    let r = create(&c, json!({"name": "tz", "expiration": "2099-06-30T12:00:00.250+02:00"})).await;
    assert_eq!(c.get(&r).await.expect(200).json()["expiration"], "2099-06-30T10:00:00.250000");

    // PKCS#8 keys are binary, served as application/pkcs8.
    let der = [0x30u8, 0x82, 0x01, 0x00, 0xaa];
    let r = create(&c, json!({"payload": B64.encode(der), "payload_content_type": "application/pkcs8", "payload_content_encoding": "base64", "secret_type": "private"})).await;
    assert_eq!(c.get(&r).await.expect(200).json()["content_types"], json!({"default": "application/pkcs8"}));
    let p = c.payload(&r, Some("*/*")).await.expect(200);
    assert_eq!((p.header("content-type").as_deref(), p.bytes.as_slice()), (Some("application/pkcs8"), &der[..]));

    // content type spellings Barbican accepts, normalised.
    let r = create(&c, json!({"payload": "x", "payload_content_type": "Text/Plain; charset=UTF-8"})).await;
    assert_eq!(c.get(&r).await.expect(200).json()["content_types"], json!({"default": "text/plain"}));
});

both_backends!(payload_accept_negotiation, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let text = c.create_text_secret("t", "hello world").await;

    // No Accept at all (reqwest would send */*): octet-stream.
    let payload_path = format!("{text}/payload");
    let r = c.send_exact("GET", &payload_path, None, &[]).await.expect(200);
    assert_eq!(r.header("content-type").as_deref(), Some("application/octet-stream"));
    assert_eq!(r.bytes, b"hello world");
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    // An empty Accept is the same as none.
    let r = c.send_exact("GET", &payload_path, None, &[("Accept", "")]).await.expect(200);
    assert_eq!(r.header("content-type").as_deref(), Some("application/octet-stream"));
    // Without Accept, GET /v1/secrets/{id} is the metadata.
    let r = c.send_exact("GET", &text, None, &[]).await.expect(200);
    assert_eq!(r.json()["name"], "t");

    let r = c.payload(&text, Some("text/plain")).await.expect(200);
    assert_eq!(r.header("content-type").as_deref(), Some("text/plain; charset=UTF-8"));
    assert_eq!(r.text(), "hello world");

    for accept in ["text/plain;charset=utf-8", "text/plain; charset=utf-8"] {
        let r = c.payload(&text, Some(accept)).await.expect(200);
        assert_eq!(r.header("content-type").as_deref(), Some("text/plain; charset=UTF-8"));
        assert_eq!(r.text(), "hello world");
    }

    // */* serves the stored type.
    let r = c.payload(&text, Some("*/*")).await.expect(200);
    assert_eq!(r.header("content-type").as_deref(), Some("text/plain; charset=UTF-8"));
    assert_eq!(r.text(), "hello world");

    // A text secret can be read as bytes.
    let r = c.payload(&text, Some("application/octet-stream")).await.expect(200);
    assert_eq!(r.header("content-type").as_deref(), Some("application/octet-stream"));
    assert_eq!(r.bytes, b"hello world");

    // Unsupported types: 406 (pecan's, with a null description).
    let r = c.payload(&text, Some("application/x-foo")).await.expect(406);
    assert_eq!(r.json(), json!({"code": 406, "title": "Not Acceptable", "description": null}));
    c.payload(&text, Some("application/json")).await.expect(406);
    // Another spelling of a supported type: 400, worded by operation.
    c.payload(&text, Some("TEXT/PLAIN"))
        .await
        .expect_error(400, "Secret payload retrieval issue seen - content-type of 'TEXT/PLAIN' not supported.");

    // Binary that is not UTF-8, asked for as text: 406.
    let bin = create(
        &c,
        json!({"payload": B64.encode([0xff, 0xfe, 0x00, 0x80]), "payload_content_type": "application/octet-stream", "payload_content_encoding": "base64"}),
    )
    .await;
    c.payload(&bin, Some("text/plain"))
        .await
        .expect_error(406, "Secret payload retrieval issue seen - Wrong payload content-type.");
    let r = c.payload(&bin, Some("*/*")).await.expect(200);
    assert_eq!(r.header("content-type").as_deref(), Some("application/octet-stream"));
    assert_eq!(r.bytes, [0xff, 0xfe, 0x00, 0x80]);
    // Binary that happens to be UTF-8 can be read as text.
    let utf8_bin = create(
        &c,
        json!({"payload": B64.encode("ünïcode"), "payload_content_type": "application/octet-stream", "payload_content_encoding": "base64"}),
    )
    .await;
    assert_eq!(c.payload(&utf8_bin, Some("text/plain")).await.expect(200).text(), "ünïcode");

    // The deprecated form: GET /v1/secrets/{id} with a non-JSON Accept returns the payload.
    let r = c.send(Method::GET, &text, None, &[("Accept", "text/plain")]).await.expect(200);
    assert_eq!(r.header("content-type").as_deref(), Some("text/plain; charset=UTF-8"));
    assert_eq!(r.text(), "hello world");
    let r = c.send(Method::GET, &bin, None, &[("Accept", "application/octet-stream")]).await.expect(200);
    assert_eq!(r.bytes, [0xff, 0xfe, 0x00, 0x80]);
    c.send(Method::GET, &bin, None, &[("Accept", "text/plain")])
        .await
        .expect_error(406, "Secret retrieval issue seen - Wrong payload content-type.");
    c.send(Method::GET, &text, None, &[("Accept", "TEXT/PLAIN")])
        .await
        .expect_error(400, "Secret retrieval issue seen - content-type of 'TEXT/PLAIN' not supported.");
});

both_backends!(two_step_create_with_put, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());

    // Metadata only.
    let r = create(&c, json!({"name": "two-step"})).await;
    let m = c.get(&r).await.expect(200).json();
    assert!(m.get("content_types").is_none(), "{m}");
    assert_eq!(m["created"], m["updated"]);
    c.payload(&r, Some("text/plain")).await.expect_error(404, "Not Found. Sorry but your secret has no payload.");
    c.send(Method::GET, &r, None, &[("Accept", "text/plain")])
        .await
        .expect_error(404, "Not Found. Sorry but your secret has no payload.");

    // text/plain PUT: 204, no body.
    let put = put_raw(&c, &r, b"two-step payload", &[("Content-Type", "text/plain")]).await.expect(204);
    assert!(put.bytes.is_empty());
    assert_eq!(c.payload(&r, Some("text/plain")).await.expect(200).text(), "two-step payload");
    let m2 = c.get(&r).await.expect(200).json();
    assert_eq!(m2["content_types"], json!({"default": "text/plain"}));
    assert_eq!(m2["created"], m["created"]);
    assert_ne!(m2["updated"], m["updated"], "a PUT updates the secret");

    // A second PUT is refused and changes nothing.
    put_raw(&c, &r, b"again", &[("Content-Type", "text/plain")])
        .await
        .expect_error(409, "Secret already has data, cannot modify it.");
    put_raw(&c, &r, b"again", &[("Content-Type", "application/octet-stream")])
        .await
        .expect_error(409, "Secret already has data, cannot modify it.");
    assert_eq!(c.payload(&r, Some("text/plain")).await.expect(200).text(), "two-step payload");

    // octet-stream, raw bytes.
    let raw: Vec<u8> = vec![0, 1, 2, 0xff, 0x80, 10, 13];
    let r = create(&c, json!({"name": "raw"})).await;
    put_raw(&c, &r, &raw, &[("Content-Type", "application/octet-stream")]).await.expect(204);
    assert_eq!(c.payload(&r, None).await.expect(200).bytes, raw);
    assert_eq!(c.get(&r).await.expect(200).json()["content_types"], json!({"default": "application/octet-stream"}));

    // octet-stream with Content-Encoding: base64 is decoded.
    let r = create(&c, json!({"name": "b64"})).await;
    put_raw(
        &c,
        &r,
        B64.encode(&raw).as_bytes(),
        &[("Content-Type", "application/octet-stream"), ("Content-Encoding", "base64")],
    )
    .await
    .expect(204);
    assert_eq!(c.payload(&r, Some("application/octet-stream")).await.expect(200).bytes, raw);

    // A content type with parameters is accepted (Barbican ignores parameters here).
    let r = create(&c, json!({"name": "params"})).await;
    put_raw(&c, &r, b"with charset", &[("Content-Type", "text/plain; charset=utf-8")]).await.expect(204);
    assert_eq!(c.payload(&r, Some("text/plain")).await.expect(200).text(), "with charset");

    // A text payload's Content-Encoding is ignored, as Barbican ignores it: the text is stored.
    let r = create(&c, json!({"name": "text-b64"})).await;
    put_raw(&c, &r, b"aGk=", &[("Content-Type", "text/plain"), ("Content-Encoding", "base64")]).await.expect(204);
    assert_eq!(c.payload(&r, Some("text/plain")).await.expect(200).text(), "aGk=");

    // Refusals leave the secret without a payload.
    let r = create(&c, json!({"name": "refused"})).await;
    let expected_415 =
        "Unexpected content type. Expected content types are: ['application/octet-stream', 'text/plain']";
    put_raw(&c, &r, b"x", &[("Content-Type", "application/json")]).await.expect_error(415, expected_415);
    put_raw(&c, &r, b"x", &[]).await.expect_error(415, expected_415);
    put_raw(&c, &r, b"", &[("Content-Type", "text/plain")])
        .await
        .expect_error(400, "Secret update issue seen - No data supplied to process..");
    put_raw(&c, &r, &vec![b'a'; 20_001], &[("Content-Type", "text/plain")])
        .await
        .expect_error(413, "Secret update issue seen - Provided information too large to process.");
    put_raw(&c, &r, b"x", &[("Content-Type", "application/octet-stream"), ("Content-Encoding", "gzip")])
        .await
        .expect_error(
            400,
            "Secret update issue seen - Text-based binary secret payloads must specify a content-encoding of 'base64'.",
        );
    c.payload(&r, None).await.expect_error(404, "Not Found. Sorry but your secret has no payload.");
    assert!(c.get(&r).await.expect(200).json().get("content_types").is_none());
    // ...and the secret still takes its payload afterwards; exactly 20000 bytes is allowed.
    put_raw(&c, &r, &vec![b'a'; 20_000], &[("Content-Type", "text/plain")]).await.expect(204);
    assert_eq!(c.payload(&r, None).await.expect(200).bytes.len(), 20_000);
});

both_backends!(list_paging_filters_and_sort, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let base = &server.base;

    let empty = c.get("/v1/secrets").await.expect(200).json();
    assert_eq!(empty, json!({"secrets": [], "total": 0}));

    // 12 secrets, created in order s00..s11.
    let mut refs = Vec::new();
    for i in 0..12 {
        let (alg, bits, mode, ty) =
            if i % 3 == 0 { ("aes", 256, "cbc", "symmetric") } else { ("rsa", 2048, "ecb", "opaque") };
        let mut body =
            json!({"name": format!("s{i:02}"), "algorithm": alg, "bit_length": bits, "mode": mode, "secret_type": ty});
        if i == 5 {
            body["expiration"] = json!("2099-01-01T00:00:00");
        }
        refs.push(create(&c, body).await);
    }

    // Default page: 10, in creation order, with a next link.
    let l = c.get("/v1/secrets").await.expect(200).json();
    assert_eq!(l["total"], 12);
    assert_eq!(names(&l), (0..10).map(|i| format!("s{i:02}")).collect::<Vec<_>>());
    assert_eq!(l["next"], format!("{base}/v1/secrets?limit=10&offset=10"));
    assert!(l.get("previous").is_none());
    let item = &l["secrets"][0];
    assert_eq!(keys(item), METADATA_KEYS.iter().filter(|k| **k != "content_types").copied().collect::<Vec<_>>());
    assert_eq!(item["secret_ref"], refs[0].as_str());

    // From 1.1 every item has consumers, placed as Barbican places them.
    let l =
        c.with_header("OpenStack-API-Version", "key-manager 1.2").get("/v1/secrets?limit=1").await.expect(200).json();
    let mut expected: Vec<&str> = METADATA_KEYS.iter().filter(|k| **k != "content_types").copied().collect();
    expected.insert(10, "consumers");
    assert_eq!(keys(&l["secrets"][0]), expected);
    assert_eq!(l["secrets"][0]["consumers"], json!([]));

    // limit=1&offset=1: exactly Barbican's links.
    let l = c.get("/v1/secrets?limit=1&offset=1").await.expect(200).json();
    assert_eq!(names(&l), ["s01"]);
    assert_eq!(l["previous"], format!("{base}/v1/secrets?limit=1&offset=0"));
    assert_eq!(l["next"], format!("{base}/v1/secrets?limit=1&offset=2"));
    assert_eq!(l["total"], 12);

    // Last page: previous only.
    let l = c.get("/v1/secrets?limit=5&offset=10").await.expect(200).json();
    assert_eq!(names(&l), ["s10", "s11"]);
    assert_eq!(l["previous"], format!("{base}/v1/secrets?limit=5&offset=5"));
    assert!(l.get("next").is_none());
    // Past the end: an empty page has no links at all.
    assert_eq!(c.get("/v1/secrets?offset=50").await.expect(200).json(), json!({"secrets": [], "total": 12}));

    // limit is capped at 100 (seen in the previous link), non-numbers fall back to defaults.
    let l = c.get("/v1/secrets?limit=1000&offset=1").await.expect(200).json();
    assert_eq!(l["secrets"].as_array().unwrap().len(), 11);
    assert_eq!(l["previous"], format!("{base}/v1/secrets?limit=100&offset=0"));
    let l = c.get("/v1/secrets?limit=abc&offset=-4").await.expect(200).json();
    assert_eq!(names(&l).len(), 10);
    assert_eq!(l["next"], format!("{base}/v1/secrets?limit=10&offset=10"));
    // Barbican: `limit=0` is raised to 1; an empty limit is the default.
    let l = c.get("/v1/secrets?limit=0").await.expect(200).json();
    assert_eq!(
        (names(&l), l["next"].clone()),
        (vec!["s00".to_owned()], json!(format!("{base}/v1/secrets?limit=1&offset=1")))
    );
    assert_eq!(names(&c.get("/v1/secrets?limit=").await.expect(200).json()).len(), 10);

    // Filters.
    let l = c.get("/v1/secrets?name=s07").await.expect(200).json();
    assert_eq!((names(&l), l["total"].clone()), (vec!["s07".to_owned()], json!(1)));
    assert_eq!(names(&c.get("/v1/secrets?name=nope").await.expect(200).json()), Vec::<String>::new());
    let l = c.get("/v1/secrets?alg=aes").await.expect(200).json();
    assert_eq!(names(&l), ["s00", "s03", "s06", "s09"]);
    assert_eq!(c.get("/v1/secrets?mode=ecb").await.expect(200).json()["total"], 8);
    assert_eq!(c.get("/v1/secrets?bits=256").await.expect(200).json()["total"], 4);
    assert_eq!(c.get("/v1/secrets?bits=abc").await.expect(200).json()["total"], 12, "a non-numeric bits is ignored");
    assert_eq!(c.get("/v1/secrets?secret_type=symmetric").await.expect(200).json()["total"], 4);
    let l = c.get("/v1/secrets?alg=rsa&bits=2048&secret_type=opaque&limit=2").await.expect(200).json();
    assert_eq!((names(&l), l["total"].clone()), (vec!["s01".to_owned(), "s02".to_owned()], json!(8)));
    // Name filters are SQL LIKE patterns in Barbican.
    assert_eq!(c.get("/v1/secrets?name=s1%25").await.expect(200).json()["total"], 2);
    assert_eq!(c.get("/v1/secrets?name=s0_").await.expect(200).json()["total"], 10);
    // Matching is case-sensitive on both backends, and empty filters are no filters.
    assert_eq!(c.get("/v1/secrets?name=S07").await.expect(200).json()["total"], 0);
    assert_eq!(c.get("/v1/secrets?alg=AES").await.expect(200).json()["total"], 0);
    assert_eq!(c.get("/v1/secrets?name=&alg=&mode=&secret_type=&created=&sort=").await.expect(200).json()["total"], 12);
    // The next link keeps the filters, urlencoded.
    let l = c.get("/v1/secrets?limit=2&mode=ecb&sort=name:desc").await.expect(200).json();
    assert_eq!(names(&l), ["s11", "s10"]);
    assert_eq!(l["next"], format!("{base}/v1/secrets?limit=2&offset=2&mode=ecb&sort=name%3Adesc"));

    // Sort.
    let l = c.get("/v1/secrets?sort=name:desc&limit=3").await.expect(200).json();
    assert_eq!(names(&l), ["s11", "s10", "s09"]);
    let l = c.get("/v1/secrets?sort=algorithm,name:desc&limit=5").await.expect(200).json();
    assert_eq!(names(&l), ["s09", "s06", "s03", "s00", "s11"]);
    let l = c.get("/v1/secrets?sort=created:desc&limit=1").await.expect(200).json();
    assert_eq!(names(&l), ["s11"]);

    // Date filters, relative to the stored timestamps.
    let all = c.get("/v1/secrets?limit=100").await.expect(200).json();
    let created: Vec<String> =
        all["secrets"].as_array().unwrap().iter().map(|s| s["created"].as_str().unwrap().to_owned()).collect();
    let l = c.get(&format!("/v1/secrets?created=gt:{}&limit=100", created[9])).await.expect(200).json();
    assert_eq!(names(&l), ["s10", "s11"]);
    let l = c.get(&format!("/v1/secrets?created=lt:{}&limit=100", created[2])).await.expect(200).json();
    assert_eq!(names(&l), ["s00", "s01"]);
    let l = c.get(&format!("/v1/secrets?created=gte:{},lte:{}", created[3], created[4])).await.expect(200).json();
    assert_eq!(names(&l), ["s03", "s04"]);
    let l = c.get(&format!("/v1/secrets?created={}", created[6])).await.expect(200).json();
    assert_eq!(names(&l), ["s06"]);
    let l = c.get(&format!("/v1/secrets?updated=gt:{}", created[10])).await.expect(200).json();
    assert_eq!(names(&l), ["s11"]);
    let l = c.get("/v1/secrets?expiration=gt:2098-01-01T00:00:00").await.expect(200).json();
    assert_eq!(names(&l), ["s05"], "an expiration filter never matches secrets without one");
    let l = c.get("/v1/secrets?expiration=lt:2098-01-01").await.expect(200).json();
    assert_eq!(l["total"], 0);

    // Invalid sort or filters: 400.
    for q in [
        "sort=bogus",
        "sort=name:up",
        "sort=name,name",
        "sort=name:asc:desc",
        "created=gt:notadate",
        "created=gt:2020-01-01,gt:2021-01-01",
        "updated=2020-01-01,gte:2020-01-01",
        "expiration=lt:2020-01-01,lte:2021-01-01",
    ] {
        c.get(&format!("/v1/secrets?{q}")).await.expect_error(400, "URI provided invalid query string parameters.");
    }
});

// Sorting on a column some secrets leave empty gives the same order on both backends: empty
// (null) values first ascending, last descending, as on Barbican's usual MySQL; text sorts by
// bytes (uppercase before lowercase).
both_backends!(list_sort_with_missing_values, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    for body in [
        json!({"name": "b", "algorithm": "aes", "bit_length": 128}),
        json!({"algorithm": "rsa"}),
        json!({"name": "B", "bit_length": 256, "expiration": "2099-01-01T00:00:00"}),
        json!({"name": "a", "expiration": "2098-01-01T00:00:00"}),
    ] {
        create(&c, body).await;
    }
    let order = |q: &'static str| {
        let c = c.clone();
        async move {
            let l = c.get(&format!("/v1/secrets?sort={q}")).await.expect(200).json();
            l["secrets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["name"].as_str().unwrap_or("-").to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(order("name").await, ["-", "B", "a", "b"]);
    assert_eq!(order("name:desc").await, ["b", "a", "B", "-"]);
    assert_eq!(order("algorithm,name").await, ["B", "a", "b", "-"]);
    assert_eq!(order("bit_length:desc,name").await, ["B", "b", "-", "a"]);
    // Ties keep creation order.
    assert_eq!(order("expiration").await, ["b", "-", "a", "B"]);
    assert_eq!(order("expiration:desc").await, ["B", "a", "b", "-"]);
});

both_backends!(expired_secrets_disappear, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let keep = c.create_text_secret("keep", "kept").await;
    let soon =
        create(&c, json!({"name": "soon", "payload": "short-lived", "payload_content_type": "text/plain", "expiration": utc_iso(2)})).await;
    assert_eq!(c.get(&soon).await.expect(200).json()["name"], "soon");
    assert_eq!(c.get("/v1/secrets").await.expect(200).json()["total"], 2);

    // Wait until the expiration has passed (1s past it, for clock granularity).
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    c.get(&soon).await.expect_error(404, "Secret not found.");
    c.payload(&soon, Some("text/plain")).await.expect_error(404, "Secret not found.");
    let l = c.get("/v1/secrets").await.expect(200).json();
    assert_eq!(names(&l), ["keep"]);
    assert_eq!(l["total"], 1);
    c.delete(&soon).await.expect_error(404, "Secret not found.");
    assert_eq!(c.payload(&keep, Some("text/plain")).await.expect(200).text(), "kept");
});

both_backends!(delete_and_trailing_slash, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());

    // python-barbicanclient POSTs to /v1/secrets/ at 1.2.
    let r = c
        .with_header("OpenStack-API-Version", "key-manager 1.2")
        .send(
            Method::POST,
            "/v1/secrets/",
            Some(br#"{"name": "slash", "payload": "aGVsbG8=", "payload_content_type": "application/octet-stream", "payload_content_encoding": "base64"}"#.to_vec()),
            &[("Content-Type", "application/json")],
        )
        .await
        .expect(201);
    assert_eq!(r.header("openstack-api-version").as_deref(), Some("key-manager 1.2"));
    let slash = r.json()["secret_ref"].as_str().unwrap().to_owned();
    assert_eq!(r.header("location").as_deref(), Some(slash.as_str()));
    assert_eq!(c.payload(&slash, None).await.expect(200).bytes, b"hello");
    assert_eq!(c.get("/v1/secrets/").await.expect(200).json()["total"], 1);

    let other = c.create_text_secret("other", "stays").await;
    let d = c.delete(&slash).await.expect(204);
    assert!(d.bytes.is_empty());
    assert!(d.header("content-type").is_none());
    c.get(&slash).await.expect_error(404, "Secret not found.");
    c.payload(&slash, None).await.expect_error(404, "Secret not found.");
    c.delete(&slash).await.expect_error(404, "Secret not found.");
    put_raw(&c, &slash, b"x", &[("Content-Type", "text/plain")]).await.expect_error(404, "Secret not found.");
    let l = c.get("/v1/secrets").await.expect(200).json();
    assert_eq!((names(&l), l["total"].clone()), (vec!["other".to_owned()], json!(1)));
    assert_eq!(c.payload(&other, Some("text/plain")).await.expect(200).text(), "stays");
});
