//! GNAP grant request bodies: deserialising `GrantRequest`, then the access rules.
//!
//! Any body is refused or accepted without panicking; an accepted body survives a serialise /
//! deserialise round trip unchanged, and `validate_access` decides on its access items.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::access::validate_access;
use tessera_proto::grant::GrantRequest;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<GrantRequest>(data) else {
        return;
    };
    let again = serde_json::to_vec(&request).expect("a parsed request serialises");
    let reparsed: GrantRequest = serde_json::from_slice(&again).expect("and parses back");
    assert_eq!(reparsed, request);
    if let Some(access_token) = &request.access_token {
        let _ = validate_access(&access_token.access);
    }
});
