//! Access token management (RFC 9635 §6): rotate and revoke through the token's management
//! URL. `client.token()` gives a [`Tokens`].

use tessera_proto::grant::RotateResponse;

use crate::client::AuthenticatedClient;
use crate::error::ClientError;

/// The token management endpoints, for one client.
#[derive(Debug, Clone, Copy)]
pub struct Tokens<'a> {
    pub(crate) client: &'a AuthenticatedClient,
}

impl Tokens<'_> {
    /// `POST {manage_url}` with `Authorization: GNAP {access_token}` and no body. The answer
    /// carries a new value and a new management URL; the old token is dead from then on.
    pub async fn rotate(
        &self,
        manage_url: &str,
        access_token: &str,
    ) -> Result<RotateResponse, ClientError> {
        self.client
            .post(manage_url, Some(("access", access_token)), None::<&()>)
            .await
    }

    /// `DELETE {manage_url}`, with `Authorization: GNAP {access_token}` when given (Tessera
    /// requires it). Expects 204.
    pub async fn revoke(
        &self,
        manage_url: &str,
        access_token: Option<&str>,
    ) -> Result<(), ClientError> {
        self.client
            .delete(manage_url, access_token.map(|t| ("access", t)))
            .await
    }
}
