//! Certificate orders end to end: each request type (`custom`, `stored-key`, `simple-cmc`) to an
//! ACTIVE order whose `certificate` container holds a certificate that `openssl verify` accepts
//! against the CA's `/v1/cas/{id}/cacert`; the held-for-approval path through approval and
//! through rejection (admin only); and what is refused at POST or fails in the worker.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use portcullis_tests::*;

fn custom(subject: &str, key_type: &str, bits: u32) -> Value {
    json!({"type": "certificate", "meta": {"request_type": "custom", "subject_dn": subject,
           "key_type": key_type, "bit_length": bits, "name": "cert-order"}})
}

/// Runs openssl; panics with its output on failure.
fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().expect("run openssl");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "openssl {args:?} failed: {text}");
    text
}

fn write(dir: &Path, name: &str, content: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write temp file");
    path.display().to_string()
}

/// The secrets of a container by name.
async fn container_secrets(c: &Client, container_ref: &str) -> (Value, Vec<(String, String)>) {
    let ct = c.get(container_ref).await.expect(200).json();
    let mut refs: Vec<(String, String)> = ct["secret_refs"]
        .as_array()
        .expect("secret_refs")
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_owned(), r["secret_ref"].as_str().unwrap().to_owned()))
        .collect();
    refs.sort();
    (ct, refs)
}

fn named<'a>(refs: &'a [(String, String)], name: &str) -> &'a str {
    &refs.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no {name} in {refs:?}")).1
}

async fn payload_text(c: &Client, secret_ref: &str) -> String {
    c.payload(secret_ref, Some("application/octet-stream")).await.expect(200).text()
}

/// The one CA's ref and its certificate.
async fn local_ca(c: &Client) -> (String, String) {
    let list = c.get("/v1/cas").await.expect(200).json();
    assert_eq!(list["total"], 1, "{list}");
    let ca_ref = list["cas"][0].as_str().expect("ca ref").to_owned();
    let cert = c.get(&format!("{ca_ref}/cacert")).await.expect(200).text();
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"), "{cert}");
    (ca_ref, cert)
}

/// Checks the certificate chains to the CA, names `subject_cn`, and (when given) certifies the
/// public key of `key_pem` (a private key, PEM).
fn check_certificate(ca_pem: &str, cert_pem: &str, subject_cn: &str, key_pem: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let ca = write(dir.path(), "ca.pem", ca_pem.as_bytes());
    let cert = write(dir.path(), "cert.pem", cert_pem.as_bytes());
    let verified = openssl(&["verify", "-CAfile", &ca, &cert]);
    assert!(verified.contains(": OK"), "{verified}");
    let subject = openssl(&["x509", "-in", &cert, "-noout", "-subject"]);
    assert!(
        subject.contains(&format!("CN = {subject_cn}")) || subject.contains(&format!("CN={subject_cn}")),
        "{subject}"
    );
    if let Some(key_pem) = key_pem {
        let key = write(dir.path(), "key.pem", key_pem.as_bytes());
        let from_cert = openssl(&["x509", "-in", &cert, "-noout", "-pubkey"]);
        let from_key = openssl(&["pkey", "-in", &key, "-pubout"]);
        assert_eq!(from_cert, from_key, "the certificate is not for the order's key");
    }
}

both_backends!(custom_order_issues_a_certificate_for_a_new_key, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let (_, ca_pem) = local_ca(&c).await;

    let order_ref = c.post_order(&custom("CN=www.example.com,O=Example", "ec", 256)).await;
    let o = c.settled_order(&order_ref).await;
    assert_eq!(o["status"], "ACTIVE", "{o}");
    assert_eq!((o["sub_status"].as_str(), o["type"].as_str()), (Some("cert_generated"), Some("certificate")));
    assert_eq!(o["sub_status_message"], "Certificate has been generated");
    assert!(o.get("secret_ref").is_none(), "{o}");

    let (ct, refs) = container_secrets(&c, o["container_ref"].as_str().expect("container_ref")).await;
    assert_eq!((ct["type"].as_str(), ct["name"].as_str()), (Some("certificate"), Some("cert-order")));
    let names: Vec<_> = refs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["certificate", "intermediates", "private_key"]);
    let cert = payload_text(&c, named(&refs, "certificate")).await;
    let key = payload_text(&c, named(&refs, "private_key")).await;
    check_certificate(&ca_pem, &cert, "www.example.com", Some(&key));
    let chain = payload_text(&c, named(&refs, "intermediates")).await;
    assert!(chain.contains(ca_pem.trim()), "the chain holds the CA certificate");
    let s = c.get(named(&refs, "certificate")).await.expect(200).json();
    assert_eq!(s["secret_type"], "certificate");

    // What the API accepted is what the worker generates: an empty key_type is rsa and a whole
    // float bit_length is that size; a CN starting with an escaped `#` is text, not BER.
    let order_ref = c
        .post_order(&json!({"type": "certificate", "meta": {"subject_dn": "CN=\\#0C03616263",
            "key_type": "", "bit_length": 3072.0}}))
        .await;
    let o = c.settled_order(&order_ref).await;
    assert_eq!(o["status"], "ACTIVE", "{o}");
    let (_, refs) = container_secrets(&c, o["container_ref"].as_str().unwrap()).await;
    let cert = payload_text(&c, named(&refs, "certificate")).await;
    // openssl quotes a value that starts with `#`.
    check_certificate(&ca_pem, &cert, "\"#0C03616263\"", None);
    let dir = tempfile::tempdir().unwrap();
    let cert_path = write(dir.path(), "cert.pem", cert.as_bytes());
    let text = openssl(&["x509", "-in", &cert_path, "-noout", "-text"]);
    assert!(text.contains("Public-Key: (3072 bit)") && text.contains("rsaEncryption"), "{text}");
});

both_backends!(stored_key_and_simple_cmc_orders_certify_the_given_key, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let (_, ca_pem) = local_ca(&c).await;

    // stored-key: the key pair of an asymmetric order's rsa container, with a passphrase.
    let asym = c
        .post_order(&json!({"type": "asymmetric", "meta": {"algorithm": "rsa", "bit_length": 2048,
                                                           "passphrase": "pass phrase"}}))
        .await;
    let asym = c.settled_order(&asym).await;
    assert_eq!(asym["status"], "ACTIVE", "{asym}");
    let rsa_ref = asym["container_ref"].as_str().unwrap().to_owned();
    let (_, rsa_refs) = container_secrets(&c, &rsa_ref).await;
    let order_ref = c
        .post_order(&json!({"type": "certificate", "meta": {"request_type": "stored-key",
            "container_ref": rsa_ref, "subject_dn": "CN=stored.example"}}))
        .await;
    let o = c.settled_order(&order_ref).await;
    assert_eq!(o["status"], "ACTIVE", "{o}");
    let (_, refs) = container_secrets(&c, o["container_ref"].as_str().unwrap()).await;
    let names: Vec<_> = refs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["certificate", "intermediates", "private_key", "private_key_passphrase"]);
    // The same key secrets, not copies.
    assert_eq!(named(&refs, "private_key"), named(&rsa_refs, "private_key"));
    let public = payload_text(&c, named(&rsa_refs, "public_key")).await;
    let cert = payload_text(&c, named(&refs, "certificate")).await;
    check_certificate(&ca_pem, &cert, "stored.example", None);
    let dir = tempfile::tempdir().unwrap();
    let cert_path = write(dir.path(), "cert.pem", cert.as_bytes());
    assert_eq!(openssl(&["x509", "-in", &cert_path, "-noout", "-pubkey"]).trim(), public.trim());

    // simple-cmc: a CSR made by openssl, sent as base64 of its PEM (Barbican's format).
    let key = write(dir.path(), "cmc.key", b"");
    let csr = write(dir.path(), "cmc.csr", b"");
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &key,
        "-subj",
        "/CN=cmc.example/O=Portcullis",
        "-out",
        &csr,
    ]);
    let csr_pem = std::fs::read(&csr).unwrap();
    let request_data = base64::engine::general_purpose::STANDARD.encode(&csr_pem);
    let order_ref = c
        .post_order(&json!({"type": "certificate", "meta": {"request_type": "simple-cmc",
            "request_data": request_data, "profile": "client", "ca_id": id_of(&local_ca(&c).await.0)}}))
        .await;
    let o = c.settled_order(&order_ref).await;
    assert_eq!(o["status"], "ACTIVE", "{o}");
    let (_, refs) = container_secrets(&c, o["container_ref"].as_str().unwrap()).await;
    let names: Vec<_> = refs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["certificate", "intermediates"]);
    let cert = payload_text(&c, named(&refs, "certificate")).await;
    let key_pem = std::fs::read_to_string(&key).unwrap();
    check_certificate(&ca_pem, &cert, "cmc.example", Some(&key_pem));
    let cert_path = write(dir.path(), "cmc.pem", cert.as_bytes());
    let text = openssl(&["x509", "-in", &cert_path, "-noout", "-ext", "extendedKeyUsage"]);
    assert!(text.contains("TLS Web Client Authentication"), "profile client: {text}");
});

both_backends!(held_requests_wait_for_an_admin, |backend| async move {
    let storage = Storage::new(backend).await;
    let server = TestServer::start_on(
        &storage,
        &[("PORTCULLIS_CA_APPROVAL", "manual"), ("PORTCULLIS_CA_CHECK_INTERVAL_SECS", "1")],
    );
    let c = server.client(&project());
    let member = c.with_header("X-Roles", "member");
    let (_, ca_pem) = local_ca(&c).await;

    let to_approve = c.post_order(&custom("CN=approved.example", "ec", 256)).await;
    let to_reject = c.post_order(&custom("CN=rejected.example", "ed25519", 256)).await;
    for order_ref in [&to_approve, &to_reject] {
        let o = c.wait_order(order_ref, Duration::from_secs(30), |o| o["sub_status"] == "cert_request_pending").await;
        assert_eq!(o["status"], "PENDING");
        assert_eq!(
            o["sub_status_message"],
            "Request has been submitted to the CA.  Waiting for certificate to be generated"
        );
    }
    // Held across several checks: nothing moves without a decision.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(c.get(&to_approve).await.expect(200).json()["status"], "PENDING");

    member.get("/v1/admin/certificate-requests").await.expect(403);
    let held = c.get("/v1/admin/certificate-requests").await.expect(200).json();
    assert_eq!(held["total"], 2, "{held}");
    let first = &held["certificate_requests"][0];
    assert_eq!((first["order_ref"].as_str(), first["ca_status"].as_str()), (Some(to_approve.as_str()), Some("HELD")));
    assert!(first["csr"].as_str().unwrap().starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
    let approve = |r: &str| format!("/v1/admin/certificate-requests/{}/approve", id_of(r));
    let reject = |r: &str| format!("/v1/admin/certificate-requests/{}/reject", id_of(r));

    member.post_json(&approve(&to_approve), &json!({})).await.expect(403);
    assert_eq!(c.get(&to_approve).await.expect(200).json()["status"], "PENDING");
    let decided = c.send(Method::POST, &approve(&to_approve), None, &[]).await.expect(200).json();
    assert_eq!(decided["ca_status"], "APPROVED");
    let o = c.settled_order(&to_approve).await;
    assert_eq!((o["status"].as_str(), o["sub_status"].as_str()), (Some("ACTIVE"), Some("cert_generated")), "{o}");
    let (_, refs) = container_secrets(&c, o["container_ref"].as_str().unwrap()).await;
    let cert = payload_text(&c, named(&refs, "certificate")).await;
    check_certificate(&ca_pem, &cert, "approved.example", None);

    c.post_json(&reject(&to_reject), &json!({"reason": 7})).await.expect(400);
    c.post_json(&reject(&to_reject), &json!({"reason": "not our domain"})).await.expect(200);
    let o = c.settled_order(&to_reject).await;
    assert_eq!(o["status"], "ERROR", "{o}");
    assert_eq!(o["error_status_code"], "400");
    assert_eq!(
        o["error_reason"],
        "Process TypeOrder issue seen - Certificate request rejected by the CA: not our domain."
    );
    assert_eq!(o["sub_status"], "cert_data_invalid");

    // Decided requests cannot be decided again; unknown ones are not there.
    c.send(Method::POST, &approve(&to_reject), None, &[])
        .await
        .expect_error(409, "The CA is not holding this certificate request.");
    c.send(Method::POST, &approve(&uuid::Uuid::new_v4().to_string()), None, &[]).await.expect(404);
    let held = c.get("/v1/admin/certificate-requests").await.expect(200).json();
    assert_eq!(held["total"], 0, "{held}");
    let rejected = c.get("/v1/admin/certificate-requests?ca_status=REJECTED").await.expect(200).json();
    assert_eq!(rejected["certificate_requests"][0]["ca_reason"], "not our domain");
});

both_backends!(bad_certificate_orders_are_refused_or_fail, |backend| async move {
    let (server, _storage) = start(backend).await;
    let c = server.client(&project());
    let before = c.get("/v1/orders").await.expect(200).json()["total"].clone();

    let bad = |meta: Value| json!({"type": "certificate", "meta": meta});
    let unknown = uuid::Uuid::new_v4().to_string();
    c.post_json("/v1/orders", &bad(json!({"subject_dn": "CN=x", "ca_id": unknown})))
        .await
        .expect_error(400, &format!("Invalid CA_ID: {unknown}"));
    let missing = format!("{}/v1/containers/{}", server.base, uuid::Uuid::new_v4());
    c.post_json(
        "/v1/orders",
        &bad(json!({"request_type": "stored-key", "container_ref": missing,
                                          "subject_dn": "CN=x"})),
    )
    .await
    .expect_error(400, "Invalid container: Container Not Found");
    let generic = c.post_json("/v1/containers", &json!({"type": "generic", "name": "g"})).await.expect(201).json();
    c.post_json(
        "/v1/orders",
        &bad(json!({"request_type": "stored-key",
            "container_ref": generic["container_ref"], "subject_dn": "CN=x"})),
    )
    .await
    .expect_error(400, "Invalid container: Container Wrong Type");
    // Another project's rsa container is not found either.
    let other = server.client(&project());
    let theirs = other.post_order(&json!({"type": "asymmetric", "meta": {"algorithm": "ec", "bit_length": 256}})).await;
    let theirs = other.settled_order(&theirs).await;
    c.post_json(
        "/v1/orders",
        &bad(json!({"request_type": "stored-key",
            "container_ref": theirs["container_ref"], "subject_dn": "CN=x"})),
    )
    .await
    .expect_error(400, "Invalid container: Container Not Found");
    assert_eq!(c.get("/v1/orders").await.expect(200).json()["total"], before, "nothing was stored");

    // Found only by the CA: an unknown profile, and a key type the keygen refuses.
    let profile = c
        .post_order(&bad(json!({"subject_dn": "CN=p.example", "key_type": "ec", "bit_length": 256,
        "profile": "no-such-profile", "ca_id": id_of(&local_ca(&c).await.0)})))
        .await;
    let o = c.settled_order(&profile).await;
    assert_eq!((o["status"].as_str(), o["error_status_code"].as_str()), (Some("ERROR"), Some("400")), "{o}");
    assert_eq!(o["sub_status"], "cert_data_invalid");
    assert!(o["error_reason"].as_str().unwrap().starts_with("Process TypeOrder issue seen - "), "{o}");
    let key_type = c.post_order(&bad(json!({"subject_dn": "CN=k.example", "key_type": "dsa"}))).await;
    let o = c.settled_order(&key_type).await;
    assert_eq!((o["status"].as_str(), o["error_status_code"].as_str()), (Some("ERROR"), Some("400")), "{o}");
});

both_backends!(cas_are_listed_with_their_certificates, |backend| async move {
    let (server, storage) = start(backend).await;
    let c = server.client(&project());
    let (ca_ref, cert) = local_ca(&c).await;
    let ca = c.get(&ca_ref).await.expect(200).json();
    assert_eq!((ca["name"].as_str(), ca["status"].as_str()), (Some("local"), Some("ACTIVE")), "{ca}");
    assert_eq!(ca["ca_ref"], ca_ref.as_str());
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "ca.pem", cert.as_bytes());
    let text = openssl(&["x509", "-in", &path, "-noout", "-text"]);
    assert!(text.contains("CA:TRUE"), "{text}");
    assert_eq!(c.get(&format!("{ca_ref}/intermediates")).await.expect(200).text(), "");
    c.get(&format!("/v1/cas/{}", uuid::Uuid::new_v4())).await.expect_error(404, "Not Found. CA not found.");

    // The same CA after a restart: made once, its key sealed (no PEM key in the database).
    drop(server);
    let server = TestServer::start_on(&storage, &[]);
    let c = c.at(&server.base);
    assert_eq!(local_ca(&c).await.1, cert);
    assert!(!db_has_plain_ca_key(&storage).await, "the CA key is stored in the clear");
});

/// Whether any CA row holds its key in the clear.
async fn db_has_plain_ca_key(storage: &Storage) -> bool {
    use sqlx::Connection;
    let url = storage.database_url();
    let keys: Vec<Vec<u8>> = match storage.backend {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&url).await.expect("open sqlite");
            sqlx::query_scalar("SELECT key_ciphertext FROM certificate_authorities").fetch_all(&mut c).await.unwrap()
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&url).await.expect("open postgres");
            sqlx::query_scalar("SELECT key_ciphertext FROM certificate_authorities").fetch_all(&mut c).await.unwrap()
        }
    };
    assert_eq!(keys.len(), 1);
    keys.iter().any(|k| k.windows(10).any(|w| w == b"PRIVATE KE"))
}
