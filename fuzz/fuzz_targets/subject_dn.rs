//! Subject DNs of certificate orders (RFC 4514, `meta.subject_dn`): the API accepts what
//! `parse_dn` accepts, and the worker then writes it into a CSR. So a DN that parses must either
//! become a CSR whose subject reads back, or be refused as the client's fault; never a panic or a
//! server error in the worker.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_api::fuzzing::subject_csr;
use portcullis_plugins::{parse_csr, parse_dn};

fuzz_target!(|data: &[u8]| {
    let Ok(dn) = std::str::from_utf8(data) else { return };
    let Ok(pairs) = parse_dn(dn) else { return };
    assert!(!pairs.is_empty());
    for (kind, value) in &pairs {
        assert!(kind.starts_with(|c: char| c.is_ascii_alphabetic()));
        assert!(kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        assert!(!value.is_empty());
    }
    match subject_csr(dn) {
        Ok(csr) => {
            let subject = csr.subject();
            let reread =
                parse_dn(&subject).unwrap_or_else(|e| panic!("the CSR's subject {subject:?} does not parse: {e}"));
            assert_eq!(reread.len(), pairs.len(), "{subject:?}");
            let again = parse_csr(csr.pem().as_bytes()).expect("a CSR we built does not parse");
            assert_eq!(again.subject(), subject);
        }
        Err(e) => assert_eq!(e.status_code(), 400, "{e}"),
    }
});
