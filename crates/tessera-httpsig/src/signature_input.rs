//! A lenient parser for the `Signature-Input` header (RFC 9421 §4.1).
//!
//! Why hand-written and not `sfv`: the official Open Payments Rust SDK (`open-payments` 0.2.0)
//! writes component names unquoted, e.g. `sig1=(@method @target-uri content-type);created=1;keyid="k"`.
//! `@method` is not a valid RFC 8941 token, so a conformant Structured Fields parser rejects every
//! Rust-SDK request. Rafiki accepts it because it never parses the header properly; we parse it
//! properly except that a component may be a quoted string OR a bare name. Everything else
//! follows RFC 8941 (keys, strings with escapes, integers, tokens, booleans).
//!
//! For each member we also keep the literal text after `label=`: the verifier puts exactly that
//! text on the `@signature-params` line of the signature base, so whatever serialization the
//! client chose (quoting, parameter order) is what gets verified.

use crate::error::SignatureError;

/// One `label=(components);params` member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignatureInputMember {
    pub(crate) label: String,
    /// The member value exactly as sent: `(...)` plus parameters.
    pub(crate) literal: String,
    pub(crate) components: Vec<String>,
    pub(crate) params: Vec<(String, ParamValue)>,
}

impl SignatureInputMember {
    /// The value of parameter `name`, if present.
    pub(crate) fn param(&self, name: &str) -> Option<&ParamValue> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// A parameter value (RFC 8941 bare item, minus decimals and byte sequences).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParamValue {
    Integer(i64),
    String(String),
    Token(String),
    Boolean(bool),
}

fn malformed(msg: &str) -> SignatureError {
    SignatureError::Malformed(format!("Signature-Input: {msg}"))
}

/// Parses a whole `Signature-Input` value (several header lines already joined with ", ").
pub(crate) fn parse(input: &str) -> Result<Vec<SignatureInputMember>, SignatureError> {
    if !input.is_ascii() {
        return Err(malformed("non-ASCII characters"));
    }
    let mut c = Cursor { s: input, pos: 0 };
    let mut members: Vec<SignatureInputMember> = Vec::new();
    c.skip_ows();
    loop {
        let member = c.member()?;
        if members.iter().any(|m| m.label == member.label) {
            return Err(malformed("duplicate label"));
        }
        members.push(member);
        c.skip_ows();
        if c.at_end() {
            break;
        }
        if !c.eat(b',') {
            return Err(malformed("expected `,` between members"));
        }
        c.skip_ows();
        if c.at_end() {
            return Err(malformed("trailing `,`"));
        }
    }
    Ok(members)
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Input is checked to be ASCII, so every position is a char boundary.
    fn slice(&self, from: usize) -> String {
        self.s.get(from..self.pos).unwrap_or_default().to_owned()
    }

    fn member(&mut self) -> Result<SignatureInputMember, SignatureError> {
        let label = self.key()?;
        if !self.eat(b'=') {
            return Err(malformed("expected `=` after the label"));
        }
        let start = self.pos;
        if !self.eat(b'(') {
            return Err(malformed("expected an inner list `(`"));
        }
        let components = self.components()?;
        let params = self.params()?;
        let literal = self.slice(start);
        Ok(SignatureInputMember {
            label,
            literal,
            components,
            params,
        })
    }

    /// RFC 8941 key: `( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )`.
    fn key(&mut self) -> Result<String, SignatureError> {
        let start = self.pos;
        match self.peek() {
            Some(b'a'..=b'z' | b'*') => self.pos += 1,
            _ => return Err(malformed("expected a lower-case key")),
        }
        while matches!(
            self.peek(),
            Some(b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*')
        ) {
            self.pos += 1;
        }
        Ok(self.slice(start))
    }

    /// The inside of `( ... )`; the `(` is already consumed.
    fn components(&mut self) -> Result<Vec<String>, SignatureError> {
        let mut out = Vec::new();
        loop {
            self.skip_sp();
            if self.eat(b')') {
                return Ok(out);
            }
            let name = match self.peek() {
                Some(b'"') => self.string()?,
                Some(_) => self.bare_component()?,
                None => return Err(malformed("unterminated inner list")),
            };
            if self.peek() == Some(b';') {
                return Err(malformed("component parameters are not supported"));
            }
            if !matches!(self.peek(), Some(b' ' | b')')) {
                return Err(malformed("expected a space or `)` after a component"));
            }
            out.push(name);
        }
    }

    /// An unquoted component name, as the Rust SDK writes it.
    fn bare_component(&mut self) -> Result<String, SignatureError> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if matches!(b, b' ' | b')' | b'(' | b';' | b'"' | b',' | b'\\') || b.is_ascii_control()
            {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(malformed("empty component name"));
        }
        Ok(self.slice(start))
    }

    fn params(&mut self) -> Result<Vec<(String, ParamValue)>, SignatureError> {
        let mut out: Vec<(String, ParamValue)> = Vec::new();
        while self.eat(b';') {
            self.skip_sp();
            let key = self.key()?;
            let value = if self.eat(b'=') {
                self.bare_item()?
            } else {
                ParamValue::Boolean(true)
            };
            if out.iter().any(|(k, _)| *k == key) {
                return Err(malformed("duplicate parameter"));
            }
            out.push((key, value));
        }
        Ok(out)
    }

    fn bare_item(&mut self) -> Result<ParamValue, SignatureError> {
        match self.peek() {
            Some(b'"') => Ok(ParamValue::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => Ok(ParamValue::Integer(self.integer()?)),
            Some(b'?') => {
                self.pos += 1;
                if self.eat(b'1') {
                    Ok(ParamValue::Boolean(true))
                } else if self.eat(b'0') {
                    Ok(ParamValue::Boolean(false))
                } else {
                    Err(malformed("invalid boolean"))
                }
            }
            Some(b'a'..=b'z' | b'A'..=b'Z' | b'*') => Ok(ParamValue::Token(self.token())),
            _ => Err(malformed("invalid parameter value")),
        }
    }

    /// RFC 8941 sf-string with `\"` and `\\` escapes.
    fn string(&mut self) -> Result<String, SignatureError> {
        if !self.eat(b'"') {
            return Err(malformed("expected a string"));
        }
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(malformed("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b @ (b'"' | b'\\')) => {
                            out.push(char::from(b));
                            self.pos += 1;
                        }
                        _ => return Err(malformed("invalid escape in string")),
                    }
                }
                Some(b @ 0x20..=0x7e) => {
                    out.push(char::from(b));
                    self.pos += 1;
                }
                Some(_) => return Err(malformed("invalid character in string")),
            }
        }
    }

    /// RFC 8941 sf-integer: optional `-`, 1 to 15 digits. Decimals are refused.
    fn integer(&mut self) -> Result<i64, SignatureError> {
        let start = self.pos;
        self.eat(b'-');
        let digits_start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        let digits = self.pos - digits_start;
        if digits == 0 || digits > 15 {
            return Err(malformed("invalid integer"));
        }
        if self.peek() == Some(b'.') {
            return Err(malformed("decimal parameters are not supported"));
        }
        self.slice(start)
            .parse()
            .map_err(|_| malformed("invalid integer"))
    }

    /// RFC 8941 sf-token: `( ALPHA / "*" ) *( tchar / ":" / "/" )`.
    fn token(&mut self) -> String {
        let start = self.pos;
        self.pos += 1;
        while let Some(b) = self.peek() {
            let tchar = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&b);
            if !tchar {
                break;
            }
            self.pos += 1;
        }
        self.slice(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_js_sdk_form() {
        let v =
            r#"sig1=("@method" "@target-uri" "authorization");keyid="key-1";created=1732345678"#;
        let m = parse(v).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].label, "sig1");
        assert_eq!(m[0].literal, &v[5..]);
        assert_eq!(m[0].components, ["@method", "@target-uri", "authorization"]);
        assert_eq!(
            m[0].param("keyid"),
            Some(&ParamValue::String("key-1".into()))
        );
        assert_eq!(
            m[0].param("created"),
            Some(&ParamValue::Integer(1732345678))
        );
    }

    #[test]
    fn parses_rust_sdk_form_unquoted() {
        let v = r#"sig1=(@method @target-uri content-type);created=1732345678;keyid="key-1""#;
        let m = parse(v).unwrap();
        assert_eq!(m[0].components, ["@method", "@target-uri", "content-type"]);
        assert_eq!(m[0].literal, &v[5..]);
        assert_eq!(
            m[0].param("keyid"),
            Some(&ParamValue::String("key-1".into()))
        );
    }

    #[test]
    fn parses_several_members_and_keeps_each_literal() {
        let v = r#"a=("@method");created=1, sig1=();keyid="x,y";alg=ed25519;flag"#;
        let m = parse(v).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].literal, r#"("@method");created=1"#);
        assert_eq!(m[1].literal, r#"();keyid="x,y";alg=ed25519;flag"#);
        assert!(m[1].components.is_empty());
        assert_eq!(
            m[1].param("alg"),
            Some(&ParamValue::Token("ed25519".into()))
        );
        assert_eq!(m[1].param("flag"), Some(&ParamValue::Boolean(true)));
    }

    #[test]
    fn string_escapes() {
        let m = parse(r#"s=();keyid="a\"b\\c""#).unwrap();
        assert_eq!(
            m[0].param("keyid"),
            Some(&ParamValue::String(r#"a"b\c"#.into()))
        );
    }

    #[test]
    fn refuses_malformed_input() {
        for bad in [
            "",
            "sig1",
            "sig1=",
            "sig1=\"@method\"",
            "sig1=(\"@method\"",
            "sig1=(\"@method\";req)",
            "sig1=();created=1.5",
            "sig1=();created=1234567890123456",
            "sig1=();keyid=\"unterminated",
            "Sig1=()",
            "sig1=(), ",
            "sig1=() sig2=()",
            "sig1=(), sig1=()",
            "sig1=();created=1;created=2",
            "sig1=(\"a\"\"b\")",
            "sig1=();keyid=\"é\"",
        ] {
            assert!(
                matches!(parse(bad), Err(SignatureError::Malformed(_))),
                "accepted {bad:?}"
            );
        }
    }
}
