//! Grant request, `POST /` (RFC 9635 §2, §3).

use tessera_proto::AccessItem;
use tessera_proto::grant::{
    ClientField, ClientObject, GrantRequest, GrantResponse, InteractFinish, InteractRequest,
    InteractResponse,
};

use super::{ClientRequest, Gnap};
use crate::UnixTime;
use crate::access::{needs_interaction, validate_access};
use crate::error::GnapError;
use crate::grant::{ClientIdentity, Finalization, FinishRedirect, Grant, GrantState, Interaction};

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
            return self
                .request_interactive_grant(client, access_token.access, request.interact, now)
                .await;
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
            last_continued_at: now,
            interaction: None,
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

impl Gnap {
    /// A grant that needs the account holder's consent: stored Pending with its interaction; the
    /// client gets the interaction URL and its continuation.
    async fn request_interactive_grant(
        &self,
        client: ClientIdentity,
        access: Vec<AccessItem>,
        interact: Option<InteractRequest>,
        now: UnixTime,
    ) -> Result<GrantResponse, GnapError> {
        let ClientIdentity::WalletAddress(wallet_address) = &client else {
            return Err(GnapError::UnknownClient(
                "a JWK client identifier cannot be used for interactive grants".into(),
            ));
        };
        let Some(interact) = interact else {
            return Err(GnapError::InvalidRequest(
                "missing required request field 'interact': this access needs the account holder's consent".into(),
            ));
        };
        if !interact.start.iter().any(|mode| mode == "redirect") {
            return Err(GnapError::InvalidRequest(
                "interact.start must include \"redirect\", the only start mode offered".into(),
            ));
        }
        let finish = interact.finish.map(finish_redirect).transpose()?;
        if !self.config.interaction_enabled {
            return Err(GnapError::InvalidRequest(
                "this server has no consent provider configured, so it cannot grant access that needs the account holder's consent".into(),
            ));
        }
        // The display name only helps the account holder recognise the client; a wallet address
        // without one (or that cannot be read right now) is shown by its URL instead.
        let client_name = self
            .keys
            .public_name(wallet_address)
            .await
            .unwrap_or_default();

        let continue_token = self.minter.secret();
        let interaction = Interaction {
            id: self.minter.id(),
            nonce: self.minter.secret().expose().to_owned(),
            // RFC 9635 §4.2.3: unguessable. A secret, not an id: ids are partly a timestamp.
            reference: self.minter.secret().expose().to_owned(),
            finish,
            client_name,
            expires_at: now.plus_secs(self.config.interaction_ttl_secs),
        };
        let grant = Grant {
            id: self.minter.id(),
            state: GrantState::Pending,
            client,
            access,
            continue_id: self.minter.id(),
            continue_token_hash: continue_token.hash(),
            created_at: now,
            last_continued_at: now,
            interaction: Some(interaction.clone()),
        };
        self.store.create_grant(&grant, None).await?;
        tracing::info!(grant = %grant.id, "grant pending consent");
        Ok(GrantResponse::Pending {
            interact: InteractResponse {
                redirect: format!(
                    "{}/interact/{}/{}",
                    self.config.public_url, interaction.id, interaction.nonce
                ),
                finish: interaction.nonce,
            },
            continue_: self.continue_response(
                &grant,
                &continue_token,
                u64::try_from(self.config.continue_wait_secs).ok(),
            ),
        })
    }
}

/// The client's `interact.finish`: only the `redirect` method, to an absolute http(s) URI.
fn finish_redirect(finish: InteractFinish) -> Result<FinishRedirect, GnapError> {
    if finish.method != "redirect" {
        return Err(GnapError::InvalidRequest(format!(
            "interact.finish.method `{}` is not supported; use \"redirect\"",
            finish.method
        )));
    }
    let uri = url::Url::parse(&finish.uri)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http"))
        .ok_or_else(|| {
            GnapError::InvalidRequest("interact.finish.uri must be an absolute http(s) URI".into())
        })?;
    if finish.nonce.is_empty() || finish.nonce.len() > 256 {
        return Err(GnapError::InvalidRequest(
            "interact.finish.nonce must be 1 to 256 characters".into(),
        ));
    }
    Ok(FinishRedirect {
        uri: uri.to_string(),
        client_nonce: finish.nonce,
    })
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
