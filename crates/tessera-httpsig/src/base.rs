//! The signature base (RFC 9421 §2.5), shared by the signer and the verifier so they cannot
//! disagree about the bytes being signed.
//!
//! One line per covered component, `"<name>": <value>`, then
//! `"@signature-params": <Signature-Input member value>`; lines joined by `\n`, no trailing
//! newline. Only the two derived components the Open Payments clients use are supported:
//! `@method` (upper-cased, as every client and Rafiki do) and `@target-uri` (the full target
//! URI as given). Header values are trimmed and several lines of one field are joined with ", ".

use http::HeaderMap;

use crate::error::SignatureError;

/// The value of one covered component of a request.
pub(crate) fn component_value(
    name: &str,
    method: &str,
    target_uri: &str,
    headers: &HeaderMap,
) -> Result<Vec<u8>, SignatureError> {
    match name {
        "@method" => Ok(method.to_ascii_uppercase().into_bytes()),
        "@target-uri" => Ok(target_uri.as_bytes().to_vec()),
        _ if name.starts_with('@') => Err(SignatureError::UnsupportedComponent(name.to_owned())),
        _ => header_value(name, headers),
    }
}

fn header_value(name: &str, headers: &HeaderMap) -> Result<Vec<u8>, SignatureError> {
    let mut values = headers.get_all(name).iter().peekable();
    if values.peek().is_none() {
        return Err(SignatureError::CoveredHeaderMissing(name.to_owned()));
    }
    let mut out = Vec::new();
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(v.as_bytes().trim_ascii());
    }
    Ok(out)
}

/// Assembles the base from `(name, value)` lines and the literal `@signature-params` value.
pub(crate) fn signature_base<'a>(
    lines: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    signature_params: &str,
) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in lines {
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\": ");
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    out.extend_from_slice(b"\"@signature-params\": ");
    out.extend_from_slice(signature_params.as_bytes());
    out
}

/// Resolves every covered component against the request and assembles the base.
pub(crate) fn request_signature_base(
    components: &[String],
    signature_params: &str,
    method: &str,
    target_uri: &str,
    headers: &HeaderMap,
) -> Result<Vec<u8>, SignatureError> {
    let values = components
        .iter()
        .map(|c| component_value(c, method, target_uri, headers))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(signature_base(
        components
            .iter()
            .map(String::as_str)
            .zip(values.iter().map(Vec::as_slice)),
        signature_params,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn base_layout() {
        let mut h = HeaderMap::new();
        h.append("authorization", HeaderValue::from_static("  GNAP abc \t"));
        h.append("x-multi", HeaderValue::from_static("a"));
        h.append("x-multi", HeaderValue::from_static(" b"));
        let comps: Vec<String> = ["@method", "@target-uri", "authorization", "x-multi"]
            .map(String::from)
            .to_vec();
        let base = request_signature_base(
            &comps,
            "(..);created=1",
            "post",
            "https://as.example/x?y",
            &h,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(base).unwrap(),
            "\"@method\": POST\n\"@target-uri\": https://as.example/x?y\n\"authorization\": GNAP abc\n\"x-multi\": a, b\n\"@signature-params\": (..);created=1"
        );
    }

    #[test]
    fn missing_and_unsupported_components() {
        let h = HeaderMap::new();
        assert_eq!(
            component_value("content-type", "GET", "/", &h),
            Err(SignatureError::CoveredHeaderMissing("content-type".into()))
        );
        assert_eq!(
            component_value("@path", "GET", "/", &h),
            Err(SignatureError::UnsupportedComponent("@path".into()))
        );
    }
}
