//! `PUT`/`PATCH .../acl` bodies (`ACL`): what validates is the sent `read` ACL, its users
//! deduplicated in the order given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_api::fuzzing::acl_body;
use portcullis_fuzz::{assert_refusal, body};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some(obj) = body(data, "ACL") else { return };
    let acl = match acl_body(&obj) {
        Ok(acl) => acl,
        Err(e) => return assert_refusal(&e),
    };
    let sent = obj.get("read").and_then(Value::as_object);
    let Some(read) = acl.read else {
        assert!(sent.is_none_or(|r| r.is_empty()), "a non-empty read ACL was dropped");
        return;
    };
    let sent = sent.expect("a read ACL that was not sent");
    assert_eq!(read.project_access, sent.get("project-access").and_then(Value::as_bool));
    let sent_users: Vec<&str> = sent
        .get("users")
        .and_then(Value::as_array)
        .map(|u| u.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let users = read.users.unwrap_or_default();
    for (i, user) in users.iter().enumerate() {
        assert!(user.chars().count() <= 255);
        assert!(sent_users.contains(&user.as_str()), "{user:?} was not sent");
        assert!(!users[..i].contains(user), "{user:?} is listed twice");
    }
    assert!(sent_users.iter().all(|u| users.iter().any(|kept| kept == u)), "a sent user was dropped");
});
