//! RFC 9421 Appendix B.2.6 ("Signing a Request Using ed25519"): the shared base builder and the
//! Ed25519 key handling must reproduce the RFC's signature byte for byte.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signer as _, SigningKey};

use crate::base::signature_base;
use crate::verify::verify_base;

/// `test-key-ed25519`, RFC 9421 Appendix B.1.4.
const PRIVATE_D: &str = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU";
const PUBLIC_X: &str = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs";
const SIGNATURE_PARAMS: &str = r#"("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
const SIGNATURE: &str =
    "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==";

#[test]
fn b_2_6_ed25519_signature() {
    let d = <[u8; 32]>::try_from(URL_SAFE_NO_PAD.decode(PRIVATE_D).unwrap()).unwrap();
    let key = SigningKey::from_bytes(&d);
    assert_eq!(
        URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
        PUBLIC_X
    );

    let lines: [(&str, &[u8]); 6] = [
        ("date", b"Tue, 20 Apr 2021 02:07:55 GMT"),
        ("@method", b"POST"),
        ("@path", b"/foo"),
        ("@authority", b"example.com"),
        ("content-type", b"application/json"),
        ("content-length", b"18"),
    ];
    let base = signature_base(lines, SIGNATURE_PARAMS);
    assert_eq!(
        String::from_utf8(base.clone()).unwrap(),
        concat!(
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n",
            "\"@method\": POST\n",
            "\"@path\": /foo\n",
            "\"@authority\": example.com\n",
            "\"content-type\": application/json\n",
            "\"content-length\": 18\n",
            "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\"",
        )
    );
    assert_eq!(STANDARD.encode(key.sign(&base).to_bytes()), SIGNATURE);

    let sig = <[u8; 64]>::try_from(STANDARD.decode(SIGNATURE).unwrap()).unwrap();
    assert_eq!(verify_base(&base, &sig, &key.verifying_key()), Ok(()));
    let mut tampered = base.clone();
    tampered[1] ^= 1;
    assert!(verify_base(&tampered, &sig, &key.verifying_key()).is_err());
}
