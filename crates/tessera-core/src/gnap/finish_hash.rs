//! The interaction finish hash (RFC 9635 §4.2.3), as the official Open Payments clients check it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

/// `base64(SHA-256(client_nonce "\n" interact_nonce "\n" interact_ref "\n" grant_endpoint_url))`.
///
/// Standard base64 **with** padding: RFC 9635 and the Open Payments prose say unpadded
/// base64url, but the official clients (and Rafiki) compute Node's `digest('base64')`, and a
/// hash they cannot reproduce would make every consent fail. `grant_endpoint_url` must be the
/// exact URL the client posted its grant request to (trailing slash included).
pub fn finish_hash(
    client_nonce: &str,
    interact_nonce: &str,
    interact_ref: &str,
    grant_endpoint_url: &str,
) -> String {
    let base = format!("{client_nonce}\n{interact_nonce}\n{interact_ref}\n{grant_endpoint_url}");
    STANDARD.encode(Sha256::digest(base.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_nodes_digest_base64() {
        // node -e "console.log(require('crypto').createHash('sha256')
        //   .update('VJLO6A4CATR0KRO\nMBDOFXG4Y5CVJCX821LH\n4IFWWIKYB2PQ6U56NL1\nhttps://server.example.com/tx').digest('base64'))"
        assert_eq!(
            finish_hash(
                "VJLO6A4CATR0KRO",
                "MBDOFXG4Y5CVJCX821LH",
                "4IFWWIKYB2PQ6U56NL1",
                "https://server.example.com/tx"
            ),
            "x+gguKWTj8rQf7d7i3w3UhzvuJ5bpOlKyAlVpLxBffY="
        );
    }
}
