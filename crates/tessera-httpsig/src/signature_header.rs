//! Reading the signature bytes out of the `Signature` header (RFC 9421 §4.2).
//!
//! Two forms are accepted. The JS and Go SDKs send a conformant Dictionary,
//! `sig1=:<base64>:`, which `sfv` parses. The Rust SDK sends the bare base64 of the signature with
//! no label at all; base64 never contains `:`, so a value without `:` is taken to be that form.
//! A bare signature has no label to match, so it is only accepted when `Signature-Input` holds
//! exactly one member (otherwise we could not tell which member it signs).

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::error::SignatureError;

/// Standard base64, padding optional (Node's `Buffer.from(.., 'base64')` is as forgiving).
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The 64 signature bytes for `label`. `input_members` is how many members `Signature-Input` has.
pub(crate) fn signature_for_label(
    header: &str,
    label: &str,
    input_members: usize,
) -> Result<[u8; 64], SignatureError> {
    let header = header.trim();
    let bytes = if header.contains(':') {
        let dict = sfv::Parser::parse_dictionary(header.as_bytes())
            .map_err(|_| SignatureError::Malformed("Signature is not a valid dictionary".into()))?;
        let entry = dict
            .get(label)
            .ok_or_else(|| SignatureError::LabelMismatch(label.to_owned()))?;
        match entry {
            sfv::ListEntry::Item(item) => {
                item.bare_item.as_byte_seq().cloned().ok_or_else(|| {
                    SignatureError::Malformed("Signature value must be a byte sequence".into())
                })?
            }
            sfv::ListEntry::InnerList(_) => {
                return Err(SignatureError::Malformed(
                    "Signature value must be a byte sequence".into(),
                ));
            }
        }
    } else {
        if input_members != 1 {
            return Err(SignatureError::Malformed(
                "a bare Signature needs exactly one Signature-Input member".into(),
            ));
        }
        LENIENT_BASE64
            .decode(header)
            .map_err(|_| SignatureError::Malformed("Signature is not valid base64".into()))?
    };
    <[u8; 64]>::try_from(bytes.as_slice())
        .map_err(|_| SignatureError::Malformed("Ed25519 signatures are 64 bytes".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    fn b64() -> String {
        STANDARD.encode([7u8; 64])
    }

    #[test]
    fn dictionary_form() {
        let h = format!("sig2=:{}:, sig1=:{}:", STANDARD.encode([1u8; 64]), b64());
        assert_eq!(signature_for_label(&h, "sig1", 2), Ok([7u8; 64]));
        assert_eq!(
            signature_for_label(&h, "other", 1),
            Err(SignatureError::LabelMismatch("other".into()))
        );
    }

    #[test]
    fn bare_form_with_or_without_padding() {
        assert_eq!(signature_for_label(&b64(), "sig1", 1), Ok([7u8; 64]));
        assert_eq!(
            signature_for_label(b64().trim_end_matches('='), "any", 1),
            Ok([7u8; 64])
        );
    }

    #[test]
    fn bare_form_needs_one_member() {
        assert!(matches!(
            signature_for_label(&b64(), "sig1", 2),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn bad_base64_and_bad_length() {
        assert!(matches!(
            signature_for_label("not*base64", "sig1", 1),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            signature_for_label("sig1=:AAAA:", "sig1", 1),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            signature_for_label("sig1=:!!:", "sig1", 1),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            signature_for_label("sig1=\"str\"", "sig1", 1),
            Err(SignatureError::Malformed(_))
        ));
    }
}
