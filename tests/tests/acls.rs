//! ACLs end to end: `/v1/secrets/{id}/acl` and `/v1/containers/{id}/acl` shapes and errors as
//! Barbican's, read access for another project's user, `project-access: false`, the
//! `acl_only` listing, and cross-project isolation of every resource type.

use portcullis_tests::*;

/// A client of `project` speaking as `user` with `roles`.
fn as_user(server: &TestServer, project: &str, user: &str, roles: &str) -> Client {
    server.client(project).with_header("X-User-Id", user).with_header("X-Roles", roles)
}

const MEMBER: &str = "member,reader";

async fn send_json(c: &Client, method: Method, path: &str, body: &str) -> Resp {
    c.send(method, path, Some(body.as_bytes().to_vec()), &[("Content-Type", "application/json")]).await
}

both_backends!(acl_shapes_and_errors, |backend| async move {
    let (server, _storage) = start(backend).await;
    let p = project();
    let owner = as_user(&server, &p, "u-owner", MEMBER);
    let s = owner.create_text_secret("s", "payload").await;
    let c = owner.post_json("/v1/containers", &json!({"type": "generic", "name": "c"})).await.expect(201).json()
        ["container_ref"]
        .as_str()
        .unwrap()
        .to_owned();

    for r in [&s, &c] {
        let acl = format!("{r}/acl");
        // The default ACL.
        assert_eq!(owner.get(&acl).await.expect(200).json(), json!({"read": {"project-access": true}}));
        // PUT replaces: 200 with the acl_ref.
        let put =
            owner.put_json(&acl, &json!({"read": {"users": ["user-b", "user-a"], "project-access": false}})).await;
        assert_eq!(put.expect(200).json(), json!({"acl_ref": acl}));
        let got = owner.get(&acl).await.expect(200).json();
        let read = got["read"].as_object().unwrap();
        assert_eq!(read.keys().collect::<Vec<_>>(), ["project-access", "users", "created", "updated"]);
        assert_eq!(got["read"]["project-access"], false);
        assert_eq!(got["read"]["users"], json!(["user-a", "user-b"]));
        assert!(is_barbican_timestamp(got["read"]["created"].as_str().unwrap()));
        // PATCH merges: users replaced, project-access kept.
        owner.json(Method::PATCH, &acl, &json!({"read": {"users": ["user-c"]}})).await.expect(200);
        let got = owner.get(&acl).await.expect(200).json();
        assert_eq!(
            (got["read"]["users"].clone(), got["read"]["project-access"].clone()),
            (json!(["user-c"]), json!(false))
        );
        // PATCH with only project-access keeps the users.
        owner.json(Method::PATCH, &acl, &json!({"read": {"project-access": true}})).await.expect(200);
        let got = owner.get(&acl).await.expect(200).json();
        assert_eq!(
            (got["read"]["users"].clone(), got["read"]["project-access"].clone()),
            (json!(["user-c"]), json!(true))
        );
        // PUT without project-access means true, without users none.
        owner.put_json(&acl, &json!({"read": {"project-access": false}})).await.expect(200);
        owner.put_json(&acl, &json!({"read": {"users": ["u1"]}})).await.expect(200);
        let got = owner.get(&acl).await.expect(200).json();
        assert_eq!((got["read"]["users"].clone(), got["read"]["project-access"].clone()), (json!(["u1"]), json!(true)));

        // Bad bodies: Barbican's schema errors, and nothing changes.
        let before = owner.get(&acl).await.expect(200).json();
        let schema = |reason: &str, prop: &str| {
            format!("Provided object does not match schema 'ACL': {reason}. Invalid property: '{prop}'")
        };
        owner
            .put_json(&acl, &json!({"write": {"users": ["x"]}}))
            .await
            .expect_error(400, &schema("Additional properties are not allowed ('write' was unexpected)", "None"));
        owner
            .put_json(&acl, &json!({"read": {"users": "x"}}))
            .await
            .expect_error(400, &schema("'x' is not of type 'array'", "read"));
        owner
            .json(Method::PATCH, &acl, &json!({"read": {"project-access": "no"}}))
            .await
            .expect_error(400, &schema("'no' is not of type 'boolean'", "read"));
        owner
            .put_json(&acl, &json!({"read": {"users": [1]}}))
            .await
            .expect_error(400, &schema("1 is not of type 'string'", "read"));
        owner.put_json(&acl, &json!([])).await.expect_error(400, &schema("[] is not of type 'object'", "None"));
        send_json(&owner, Method::PUT, &acl, "{nope").await.expect_error(400, "Malformed JSON");
        owner
            .send(Method::PUT, &acl, Some(b"{}".to_vec()), &[("Content-Type", "text/plain")])
            .await
            .expect_error(415, "Unexpected content type. Expected content types are: ['application/json']");
        assert_eq!(owner.get(&acl).await.expect(200).json(), before);

        // DELETE resets to the default: 200 with a JSON null, as Barbican.
        let d = owner.delete(&acl).await.expect(200);
        assert_eq!(d.text(), "null");
        assert_eq!(owner.get(&acl).await.expect(200).json(), json!({"read": {"project-access": true}}));
        // PUT {} also resets; PATCH {} changes nothing.
        owner.put_json(&acl, &json!({"read": {"users": ["u1"]}})).await.expect(200);
        owner.json(Method::PATCH, &acl, &json!({})).await.expect(200);
        assert_eq!(owner.get(&acl).await.expect(200).json()["read"]["users"], json!(["u1"]));
        owner.put_json(&acl, &json!({})).await.expect(200);
        assert_eq!(owner.get(&acl).await.expect(200).json(), json!({"read": {"project-access": true}}));
    }
    // Unknown and malformed ids.
    owner.get("/v1/secrets/62daf826-03ac-4150-a0c1-c26191455671/acl").await.expect_error(404, "Secret not found.");
    owner.get("/v1/secrets/nope/acl").await.expect_error(404, "Not Found. Provided secret id is invalid.");
    owner
        .get("/v1/containers/62daf826-03ac-4150-a0c1-c26191455671/acl")
        .await
        .expect_error(404, "Secrets container not found.");
    // An id that is not even UTF-8 is not found either, in JSON like the others.
    owner.get("/v1/secrets/%FF/acl").await.expect_error(404, "Not Found. Provided secret id is invalid.");
    owner.get("/v1/containers/%FF/acl").await.expect_error(404, "Not Found. Provided container id is invalid.");
    owner.send(Method::POST, &format!("{s}/acl"), None, &[]).await.expect(405);
});

both_backends!(acl_user_of_another_project_reads, |backend| async move {
    let (server, _storage) = start(backend).await;
    let (p, q) = (project(), project());
    let owner = as_user(&server, &p, "u-owner", MEMBER);
    let member = as_user(&server, &p, "u-other", MEMBER);
    let admin = as_user(&server, &p, "u-admin", "admin,member,reader");
    let reader = as_user(&server, &q, "u-reader", MEMBER);
    let stranger = as_user(&server, &q, "u-stranger", MEMBER);

    let s = owner.create_text_secret("shared", "the payload").await;
    owner.put_json(&format!("{s}/metadata"), &json!({"metadata": {"k": "v"}})).await.expect(201);
    let c = owner
        .post_json(
            "/v1/containers",
            &json!({"type": "generic", "name": "c", "secret_refs": [{"name": "a", "secret_ref": s}]}),
        )
        .await
        .expect(201)
        .json()["container_ref"]
        .as_str()
        .unwrap()
        .to_owned();

    // Before the ACL: another project sees nothing.
    reader.get(&s).await.expect_error(404, "Secret not found.");
    reader.get(&c).await.expect_error(404, "Secrets container not found.");

    let acl = json!({"read": {"users": ["u-reader"], "project-access": false}});
    owner.put_json(&format!("{s}/acl"), &acl).await.expect(200);
    owner.put_json(&format!("{c}/acl"), &acl).await.expect(200);

    // The ACL user reads metadata, payload (both forms), user metadata, consumers, container.
    assert_eq!(reader.get(&s).await.expect(200).json()["name"], "shared");
    assert_eq!(reader.payload(&s, Some("text/plain")).await.expect(200).text(), "the payload");
    assert_eq!(reader.send(Method::GET, &s, None, &[("Accept", "text/plain")]).await.expect(200).text(), "the payload");
    assert_eq!(reader.get(&format!("{s}/metadata")).await.expect(200).json(), json!({"metadata": {"k": "v"}}));
    reader.get(&format!("{s}/consumers")).await.expect(200);
    assert_eq!(reader.get(&c).await.expect(200).json()["name"], "c");
    // ... but writes nothing and sees no ACL: 404, as for a stranger.
    reader.delete(&s).await.expect_error(404, "Secret not found.");
    reader.put_json(&format!("{s}/metadata"), &json!({"metadata": {}})).await.expect_error(404, "Secret not found.");
    reader.get(&format!("{s}/acl")).await.expect_error(404, "Secret not found.");
    reader.delete(&c).await.expect_error(404, "Secrets container not found.");
    reader.get(&format!("{c}/acl")).await.expect_error(404, "Secrets container not found.");
    // Its own list stays its project's; acl_only lists what is shared with it.
    assert_eq!(reader.get("/v1/secrets").await.expect(200).json()["total"], 0);
    let shared = reader.get("/v1/secrets?acl_only=true").await.expect(200).json();
    assert_eq!(shared["total"], 1);
    assert_eq!(shared["secrets"][0]["secret_ref"], s.as_str());
    assert_eq!(reader.get("/v1/secrets?acl_only=True&name=nomatch").await.expect(200).json()["total"], 0);
    assert_eq!(stranger.get("/v1/secrets?acl_only=true").await.expect(200).json()["total"], 0);
    // Without a user id acl_only is ignored (Barbican's behaviour): the project's own list.
    let anon = server.client(&q).with_header("X-Roles", MEMBER);
    assert_eq!(anon.get("/v1/secrets?acl_only=true").await.expect(200).json()["total"], 0);

    // project-access false: the creator and the project admin keep access, other members don't.
    owner.get(&s).await.expect(200);
    admin.payload(&s, Some("text/plain")).await.expect(200);
    let refused = |op: &str| format!("{op} attempt not allowed - please review your user/project privileges");
    member.get(&s).await.expect_error(403, &refused("Secret retrieval"));
    member.payload(&s, Some("text/plain")).await.expect_error(403, &refused("Secret payload retrieval"));
    member.get(&format!("{s}/metadata")).await.expect_error(403, &refused("Secret metadata retrieval"));
    member.get(&c).await.expect_error(403, &refused("Container retrieval"));
    member.delete(&s).await.expect_error(403, &refused("Secret deletion"));
    member.get(&format!("{s}/acl")).await.expect_error(403, &refused("SecretACL(s) retrieval"));
    // Listed users of the same project keep access too.
    owner
        .json(Method::PATCH, &format!("{s}/acl"), &json!({"read": {"users": ["u-reader", "u-other"]}}))
        .await
        .expect(200);
    member.get(&s).await.expect(200);

    // Removing the ACL takes the access away again.
    owner.delete(&format!("{s}/acl")).await.expect(200);
    reader.get(&s).await.expect_error(404, "Secret not found.");
    assert_eq!(reader.get("/v1/secrets?acl_only=true").await.expect(200).json()["total"], 0);

    // Deleting a resource deletes its ACL: the container's user loses it, acl_only forgets it.
    owner.put_json(&format!("{s}/acl"), &acl).await.expect(200);
    owner.delete(&c).await.expect(204);
    owner.delete(&s).await.expect(204);
    assert_eq!(reader.get("/v1/secrets?acl_only=true").await.expect(200).json()["total"], 0);
    reader.get(&c).await.expect_error(404, "Secrets container not found.");
});

both_backends!(acl_user_removes_only_its_own_consumers, |backend| async move {
    // Barbican's consumers controllers: removing a consumer takes a project that owns the
    // consumer or the resource; the read ACL alone is not enough.
    let (server, _storage) = start(backend).await;
    let (p, q) = (project(), project());
    let owner = as_user(&server, &p, "u-owner", MEMBER);
    let reader = as_user(&server, &q, "u-reader", MEMBER);
    let s = owner.create_text_secret("s", "payload").await;
    let body = json!({"type": "generic", "name": "c"});
    let c =
        owner.post_json("/v1/containers", &body).await.expect(201).json()["container_ref"].as_str().unwrap().to_owned();
    let acl = json!({"read": {"users": ["u-reader"]}});
    let not_creator = "Not Allowed. Sorry, only the creator of a consumer can delete it.";
    let cases = [
        (c.clone(), json!({"name": "owned", "URL": "http://owned"}), json!({"name": "mine", "URL": "http://mine"})),
        (
            s.clone(),
            json!({"service": "svc", "resource_type": "rt", "resource_id": "owned"}),
            json!({"service": "svc", "resource_type": "rt", "resource_id": "mine"}),
        ),
    ];
    for (r, owned, mine) in cases {
        owner.put_json(&format!("{r}/acl"), &acl).await.expect(200);
        let consumers = format!("{r}/consumers");
        owner.post_json(&consumers, &owned).await.expect(200);
        reader.post_json(&consumers, &mine).await.expect(200);
        // The owning project's consumer stays.
        reader.json(Method::DELETE, &consumers, &owned).await.expect_error(403, not_creator);
        assert_eq!(owner.get(&consumers).await.expect(200).json()["total"], 2);
        // The ACL user's own consumer goes; the owner removes its own.
        reader.json(Method::DELETE, &consumers, &mine).await.expect(200);
        owner.json(Method::DELETE, &consumers, &owned).await.expect(200);
        assert_eq!(owner.get(&consumers).await.expect(200).json()["total"], 0);
        // The owner may also remove a consumer the ACL user registered.
        reader.post_json(&consumers, &mine).await.expect(200);
        owner.json(Method::DELETE, &consumers, &mine).await.expect(200);
    }
});

both_backends!(cross_project_is_not_found_everywhere, |backend| async move {
    let (server, _storage) = start(backend).await;
    let (p, q) = (project(), project());
    let owner = as_user(&server, &p, "u-owner", "admin,member,reader");
    let other = as_user(&server, &q, "u-x", "admin,member,reader");
    let s = owner.create_text_secret("s", "payload").await;
    owner.put_json(&format!("{s}/metadata"), &json!({"metadata": {"k": "v"}})).await.expect(201);
    let consumer = json!({"service": "svc", "resource_type": "rt", "resource_id": "r1"});
    owner.post_json(&format!("{s}/consumers"), &consumer).await.expect(200);
    let c = owner
        .post_json(
            "/v1/containers",
            &json!({"type": "generic", "name": "c", "secret_refs": [{"name": "a", "secret_ref": s}]}),
        )
        .await
        .expect(201)
        .json()["container_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let cons = json!({"name": "n", "URL": "http://u"});
    owner.post_json(&format!("{c}/consumers"), &cons).await.expect(200);
    let order = json!({"type": "key", "meta": {"algorithm": "aes", "bit_length": 256, "mode": "cbc"}});
    let o = owner.post_json("/v1/orders", &order).await.expect(202).json()["order_ref"].as_str().unwrap().to_owned();
    let x = "62daf826-03ac-4150-a0c1-c26191455671";

    let secret_nf = "Secret not found.";
    let container_nf = "Secrets container not found.";
    let acl = json!({"read": {"users": ["u-x"]}});
    let meta = json!({"key": "k2", "value": "v"});
    let link = json!({"name": "a", "secret_ref": s});
    let requests: Vec<(Method, String, Option<Value>, &str)> = vec![
        (Method::GET, s.clone(), None, secret_nf),
        (Method::GET, format!("{s}/payload"), None, secret_nf),
        (Method::DELETE, s.clone(), None, secret_nf),
        (Method::GET, format!("{s}/metadata"), None, secret_nf),
        (Method::PUT, format!("{s}/metadata"), Some(json!({"metadata": {}})), secret_nf),
        (Method::POST, format!("{s}/metadata"), Some(meta.clone()), secret_nf),
        (Method::GET, format!("{s}/metadata/k"), None, secret_nf),
        (Method::PUT, format!("{s}/metadata/k"), Some(json!({"key": "k", "value": "x"})), secret_nf),
        (Method::DELETE, format!("{s}/metadata/k"), None, secret_nf),
        (Method::GET, format!("{s}/consumers"), None, secret_nf),
        (Method::POST, format!("{s}/consumers"), Some(consumer.clone()), secret_nf),
        (Method::DELETE, format!("{s}/consumers"), Some(consumer.clone()), secret_nf),
        (Method::GET, format!("{s}/consumers/{x}"), None, secret_nf),
        (Method::GET, format!("{s}/acl"), None, secret_nf),
        (Method::PUT, format!("{s}/acl"), Some(acl.clone()), secret_nf),
        (Method::PATCH, format!("{s}/acl"), Some(acl.clone()), secret_nf),
        (Method::DELETE, format!("{s}/acl"), None, secret_nf),
        (Method::GET, c.clone(), None, container_nf),
        (Method::DELETE, c.clone(), None, container_nf),
        (Method::POST, format!("{c}/secrets"), Some(link.clone()), container_nf),
        (Method::DELETE, format!("{c}/secrets"), Some(link.clone()), container_nf),
        (Method::GET, format!("{c}/consumers"), None, container_nf),
        (Method::POST, format!("{c}/consumers"), Some(cons.clone()), container_nf),
        (Method::DELETE, format!("{c}/consumers"), Some(cons.clone()), container_nf),
        (Method::GET, format!("{c}/consumers/{x}"), None, container_nf),
        (Method::GET, format!("{c}/acl"), None, container_nf),
        (Method::PUT, format!("{c}/acl"), Some(acl.clone()), container_nf),
        (Method::PATCH, format!("{c}/acl"), Some(acl.clone()), container_nf),
        (Method::DELETE, format!("{c}/acl"), None, container_nf),
        (Method::GET, o.clone(), None, "Order not found."),
        (Method::DELETE, o.clone(), None, "Order not found."),
    ];
    let n = requests.len();
    for (method, path, body, nf) in requests {
        let r = match body {
            Some(b) => other.json(method.clone(), &path, &b).await,
            None => other.send(method.clone(), &path, None, &[]).await,
        };
        assert_eq!(r.status.as_u16(), 404, "{method} {path}: {}", r.text());
        assert_eq!(r.json()["description"], nf, "{method} {path}");
    }
    // Nothing changed for the owner.
    assert_eq!(owner.get(&format!("{s}/metadata")).await.expect(200).json(), json!({"metadata": {"k": "v"}}));
    assert_eq!(owner.get(&format!("{s}/acl")).await.expect(200).json(), json!({"read": {"project-access": true}}));
    assert_eq!(owner.get(&c).await.expect(200).json()["consumers"].as_array().unwrap().len(), 1);
    owner.get(&o).await.expect(200);
    println!("acls: {n} cross-project requests checked");
});
