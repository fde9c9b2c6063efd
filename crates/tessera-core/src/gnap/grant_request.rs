//! Grant request, `POST /` (RFC 9635 §2, §3).

use tessera_proto::grant::{ClientField, ClientObject, GrantRequest, GrantResponse};

use super::{ClientRequest, Gnap};
use crate::UnixTime;
use crate::access::{needs_interaction, validate_access};
use crate::error::GnapError;
use crate::grant::{ClientIdentity, Finalization, Grant, GrantState};

impl Gnap {
    pub async fn request_grant(
        &self,
        request: GrantRequest,
        client_request: ClientRequest<'_>,
        now: UnixTime,
    ) -> Result<GrantResponse, GnapError> {
        let client = client_identity(&request.client)?;
        let Some(access_token) = request.access_token else {
            return Err(GnapError::InvalidRequest(if request.subject.is_some() {
                "subject grants need interaction, which this server does not offer".into()
            } else {
                "access_token is required".into()
            }));
        };
        validate_access(&access_token.access)?;
        self.authenticate(&client, client_request.signature).await?;

        if access_token.access.iter().any(needs_interaction) {
            if matches!(client, ClientIdentity::Jwk(_)) {
                return Err(GnapError::InvalidClient(
                    "a JWK client identifier cannot be used for interactive grants".into(),
                ));
            }
            if request.interact.is_none() {
                return Err(GnapError::InvalidRequest(
                    "missing required request field 'interact': this access needs the account holder's consent".into(),
                ));
            }
            return Err(GnapError::InvalidRequest(
                "interactive grants are not offered by this server yet".into(),
            ));
        }

        let continue_token = self.minter.secret();
        let grant = Grant {
            id: self.minter.id(),
            state: GrantState::Finalized(Finalization::Issued),
            client,
            access: access_token.access,
            continue_id: self.minter.id(),
            continue_token_hash: continue_token.hash(),
            created_at: now,
        };
        let (value, token) = self.mint_access_token(&grant.id, now);
        self.store.create_grant(&grant, Some(&token)).await?;
        tracing::info!(grant = %grant.id, "grant issued");
        Ok(GrantResponse::Approved {
            access_token: self.access_token_response(&value, &token, &grant),
            continue_: self.continue_response(&grant, &continue_token, None),
        })
    }
}

/// The `client` field in any of its three forms.
fn client_identity(field: &ClientField) -> Result<ClientIdentity, GnapError> {
    match field {
        ClientField::WalletAddress(url) => wallet_address(url),
        ClientField::Object(ClientObject {
            wallet_address: Some(url),
            jwk: None,
        }) => wallet_address(url),
        ClientField::Object(ClientObject {
            wallet_address: None,
            jwk: Some(jwk),
        }) => Ok(ClientIdentity::Jwk(jwk.clone())),
        ClientField::Object(_) => Err(GnapError::InvalidRequest(
            "client must have exactly one of walletAddress or jwk".into(),
        )),
    }
}

fn wallet_address(url: &str) -> Result<ClientIdentity, GnapError> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            Ok(ClientIdentity::WalletAddress(url.to_owned()))
        }
        _ => Err(GnapError::InvalidRequest(
            "client must be a wallet address URL".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_forms_resolve_to_identities() {
        let field: ClientField = serde_json::from_value(json!("https://w.example/alice")).unwrap();
        assert_eq!(
            client_identity(&field).unwrap(),
            ClientIdentity::WalletAddress("https://w.example/alice".into())
        );
        let both: ClientField =
            serde_json::from_value(json!({"walletAddress": "https://w.example/a",
            "jwk": {"kid": "k", "alg": "EdDSA", "kty": "OKP", "crv": "Ed25519", "x": "abc"}}))
            .unwrap();
        assert!(matches!(
            client_identity(&both),
            Err(GnapError::InvalidRequest(_))
        ));
        let not_url: ClientField = serde_json::from_value(json!("alice")).unwrap();
        assert!(matches!(
            client_identity(&not_url),
            Err(GnapError::InvalidRequest(_))
        ));
        let ftp: ClientField = serde_json::from_value(json!("ftp://w.example/alice")).unwrap();
        assert!(matches!(
            client_identity(&ftp),
            Err(GnapError::InvalidRequest(_))
        ));
    }
}
