//! Grant request, continuation and token management bodies (auth-server.yaml `post-request`,
//! `post-continue`, `post-token`).

use serde::{Deserialize, Serialize};

use crate::access::AccessItem;
use crate::jwk::Jwk;

/// `POST /` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<AccessTokenRequest>,
    pub client: ClientField,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interact: Option<InteractRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenRequest {
    pub access: Vec<AccessItem>,
}

/// The `client` field: a wallet address (deprecated string form), `{"walletAddress": ...}`,
/// or `{"jwk": {...}}` for directed identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClientField {
    WalletAddress(String),
    Object(ClientObject),
}

/// Object form of `client`; exactly one member must be present (checked by the domain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwk: Option<Jwk>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractRequest {
    pub start: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish: Option<InteractFinish>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractFinish {
    pub method: String,
    pub uri: String,
    pub nonce: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub sub_ids: Vec<SubjectId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectId {
    pub id: String,
    pub format: String,
}

/// `POST /continue/{id}` body. An empty body (or `{}`) means polling.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinueRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interact_ref: Option<String>,
}

/// `access_token` in responses (`additionalProperties: false` in the spec).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    pub value: String,
    pub manage: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    pub access: Vec<AccessItem>,
}

/// `continue` in responses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Continue {
    pub access_token: ContinueAccessToken,
    pub uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinueAccessToken {
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractResponse {
    pub redirect: String,
    pub finish: String,
}

/// `POST /` response: either the grant with its token, or interaction instructions. The spec's
/// `oneOf` forbids sending both, which these two shapes make impossible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GrantResponse {
    Approved {
        access_token: AccessToken,
        #[serde(rename = "continue")]
        continue_: Continue,
    },
    Pending {
        interact: InteractResponse,
        #[serde(rename = "continue")]
        continue_: Continue,
    },
}

/// `POST /continue/{id}` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinueResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<AccessToken>,
    #[serde(rename = "continue")]
    pub continue_: Continue,
}

/// `POST /token/{id}` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotateResponse {
    pub access_token: AccessToken,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_field_accepts_all_three_forms() {
        let s: ClientField = serde_json::from_value(json!("https://w.example/alice")).unwrap();
        assert_eq!(
            s,
            ClientField::WalletAddress("https://w.example/alice".into())
        );
        let o: ClientField =
            serde_json::from_value(json!({"walletAddress": "https://w.example/alice"})).unwrap();
        assert!(matches!(
            o,
            ClientField::Object(ClientObject {
                wallet_address: Some(_),
                jwk: None
            })
        ));
        let j: ClientField = serde_json::from_value(json!({"jwk": {
            "kid": "k", "alg": "EdDSA", "kty": "OKP", "crv": "Ed25519", "x": "abc"}}))
        .unwrap();
        assert!(matches!(
            j,
            ClientField::Object(ClientObject {
                wallet_address: None,
                jwk: Some(_)
            })
        ));
    }

    #[test]
    fn explicit_null_finish_is_read_as_absent() {
        let r: InteractRequest =
            serde_json::from_value(json!({"start": ["redirect"], "finish": null})).unwrap();
        assert_eq!(r.finish, None);
    }

    #[test]
    fn approved_grant_serialises_without_wait_or_nulls() {
        let g = GrantResponse::Approved {
            access_token: AccessToken {
                value: "v".into(),
                manage: "https://a/token/1".into(),
                expires_in: Some(600),
                access: vec![],
            },
            continue_: Continue {
                access_token: ContinueAccessToken { value: "c".into() },
                uri: "https://a/continue/1".into(),
                wait: None,
            },
        };
        assert_eq!(
            serde_json::to_value(&g).unwrap(),
            json!({"access_token": {"value": "v", "manage": "https://a/token/1", "expires_in": 600, "access": []},
                   "continue": {"access_token": {"value": "c"}, "uri": "https://a/continue/1"}})
        );
    }
}
