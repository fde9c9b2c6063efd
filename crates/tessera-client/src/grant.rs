//! Grants (RFC 9635 §2, §5): request one at the authorization server, continue it after
//! interaction, cancel it. `client.grant()` gives a [`Grants`].

use tessera_proto::access::AccessItem;
use tessera_proto::grant::{ContinueRequest, ContinueResponse, GrantRequest, GrantResponse};

use crate::client::AuthenticatedClient;
use crate::error::ClientError;

/// The grant endpoints, for one client.
#[derive(Debug, Clone, Copy)]
pub struct Grants<'a> {
    pub(crate) client: &'a AuthenticatedClient,
}

impl Grants<'_> {
    /// `POST {auth_server_url}` with `request` (sent as given; see
    /// [`AuthenticatedClient::grant_request`] for one with this client's wallet address).
    /// Like the JS client, refuses locally a request that asks for neither an access token nor
    /// a subject, or an outgoing payment with both a debit and a receive amount.
    pub async fn request(
        &self,
        auth_server_url: &str,
        request: &GrantRequest,
    ) -> Result<GrantResponse, ClientError> {
        check_grant_request(request)?;
        self.client.post(auth_server_url, None, Some(request)).await
    }

    /// `POST {continue_uri}` with `Authorization: GNAP {continue_token}`: with `interact_ref`
    /// after the interaction finished, or without a body to poll.
    pub async fn continue_grant(
        &self,
        continue_uri: &str,
        continue_token: &str,
        interact_ref: Option<&str>,
    ) -> Result<ContinueResponse, ClientError> {
        let body = interact_ref.map(|r| ContinueRequest {
            interact_ref: Some(r.to_owned()),
        });
        self.client
            .post(
                continue_uri,
                Some(("continuation", continue_token)),
                body.as_ref(),
            )
            .await
    }

    /// `DELETE {continue_uri}`: revokes the grant and every token issued under it. Expects 204.
    pub async fn cancel(
        &self,
        continue_uri: &str,
        continue_token: &str,
    ) -> Result<(), ClientError> {
        self.client
            .delete(continue_uri, Some(("continuation", continue_token)))
            .await
    }
}

fn check_grant_request(request: &GrantRequest) -> Result<(), ClientError> {
    if request.access_token.is_none() && request.subject.is_none() {
        return Err(ClientError::InvalidGrantRequest(
            "it must ask for an access token or a subject",
        ));
    }
    let both_amounts = request
        .access_token
        .iter()
        .flat_map(|t| &t.access)
        .any(|item| {
            matches!(item, AccessItem::OutgoingPayment { limits: Some(l), .. }
            if l.debit_amount.is_some() && l.receive_amount.is_some())
        });
    if both_amounts {
        return Err(ClientError::InvalidGrantRequest(
            "only one of debitAmount and receiveAmount may be given",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_proto::grant::{AccessTokenRequest, ClientField};
    use tessera_proto::{Amount, OutgoingPaymentLimits};

    fn request(access: Option<Vec<AccessItem>>) -> GrantRequest {
        GrantRequest {
            access_token: access.map(|access| AccessTokenRequest { access }),
            client: ClientField::WalletAddress("https://w.example/a".into()),
            interact: None,
            subject: None,
        }
    }

    fn amount() -> Option<Amount> {
        Some(Amount {
            value: "1".into(),
            asset_code: "USD".into(),
            asset_scale: 2,
        })
    }

    #[test]
    fn refuses_what_the_js_client_refuses() {
        assert!(matches!(
            check_grant_request(&request(None)),
            Err(ClientError::InvalidGrantRequest(_))
        ));
        let outgoing = |debit, receive| AccessItem::OutgoingPayment {
            actions: vec![],
            identifier: Some("https://w.example/a".into()),
            limits: Some(OutgoingPaymentLimits {
                receiver: None,
                interval: None,
                debit_amount: debit,
                receive_amount: receive,
            }),
        };
        assert!(matches!(
            check_grant_request(&request(Some(vec![outgoing(amount(), amount())]))),
            Err(ClientError::InvalidGrantRequest(_))
        ));
        assert!(check_grant_request(&request(Some(vec![outgoing(amount(), None)]))).is_ok());
        assert!(check_grant_request(&request(Some(vec![]))).is_ok());
    }
}
