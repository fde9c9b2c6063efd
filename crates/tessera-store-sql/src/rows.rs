//! Mapping between SQL rows and the domain model, the same for every SQL backend. Enums are
//! stored as short lowercase words (checked by the schema), access items and JWKs as JSON text,
//! hashes as bytes, times as Unix seconds. The `FromRow` derives are generic over the database.

use sqlx::FromRow;
use tessera_core::UnixTime;
use tessera_core::grant::{
    ClientIdentity, Finalization, FinishRedirect, Grant, GrantState, Interaction,
};
use tessera_core::secret::TokenHash;
use tessera_core::store::StoreError;

use crate::IntoDomain;
use tessera_core::token::{AccessTokenRecord, TokenStatus, TokenWithGrant};

#[derive(Debug, FromRow)]
pub struct GrantRow {
    pub id: String,
    pub state: String,
    pub finalization: Option<String>,
    pub client_wallet_address: Option<String>,
    pub client_jwk: Option<String>,
    pub access: String,
    pub continue_id: String,
    pub continue_token_hash: Vec<u8>,
    pub created_at: i64,
    pub last_continued_at: i64,
    pub interaction_id: Option<String>,
    pub interaction_nonce: Option<String>,
    pub interaction_ref: Option<String>,
    pub interaction_expires_at: Option<i64>,
    pub finish_uri: Option<String>,
    pub finish_nonce: Option<String>,
    pub client_name: Option<String>,
}

/// The grant columns, in `GrantRow` order, for SELECTs from `grants g`, as a literal for
/// `concat!`.
#[doc(hidden)]
#[macro_export]
macro_rules! grant_columns {
    () => {
        "g.id, g.state, g.finalization, g.client_wallet_address, g.client_jwk, g.access, \
         g.continue_id, g.continue_token_hash, g.created_at, g.last_continued_at, g.interaction_id, \
         g.interaction_nonce, g.interaction_ref, g.interaction_expires_at, g.finish_uri, \
         g.finish_nonce, g.client_name"
    };
}

/// The grant columns, in `GrantRow` order, for SELECTs (`g.` prefixed where tokens are joined).
pub const GRANT_COLUMNS: &str = grant_columns!();

/// The database words for a grant state.
pub fn state_words(state: GrantState) -> (&'static str, Option<&'static str>) {
    match state {
        GrantState::Pending => ("pending", None),
        GrantState::Approved => ("approved", None),
        GrantState::Finalized(Finalization::Issued) => ("finalized", Some("issued")),
        GrantState::Finalized(Finalization::Rejected) => ("finalized", Some("rejected")),
        GrantState::Finalized(Finalization::Revoked) => ("finalized", Some("revoked")),
    }
}

#[derive(Debug, FromRow)]
pub struct TokenWithGrantRow {
    pub manage_id: String,
    pub grant_id: String,
    pub value_hash: Vec<u8>,
    pub status: String,
    pub token_created_at: i64,
    pub expires_at: i64,
    #[sqlx(flatten)]
    pub grant: GrantRow,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

impl GrantRow {
    pub fn from_domain(grant: &Grant) -> Result<GrantRow, StoreError> {
        let (state, finalization) = state_words(grant.state);
        let (client_wallet_address, client_jwk) = match &grant.client {
            ClientIdentity::WalletAddress(url) => (Some(url.clone()), None),
            ClientIdentity::Jwk(jwk) => (
                None,
                Some(serde_json::to_string(jwk).map_err(|e| StoreError::Backend(e.to_string()))?),
            ),
        };
        let interaction = grant.interaction.as_ref();
        let finish = interaction.and_then(|i| i.finish.as_ref());
        Ok(GrantRow {
            id: grant.id.clone(),
            state: state.to_owned(),
            finalization: finalization.map(str::to_owned),
            client_wallet_address,
            client_jwk,
            access: serde_json::to_string(&grant.access)
                .map_err(|e| StoreError::Backend(e.to_string()))?,
            continue_id: grant.continue_id.clone(),
            continue_token_hash: grant.continue_token_hash.as_bytes().to_vec(),
            created_at: grant.created_at.0,
            last_continued_at: grant.last_continued_at.0,
            interaction_id: interaction.map(|i| i.id.clone()),
            interaction_nonce: interaction.map(|i| i.nonce.clone()),
            interaction_ref: interaction.map(|i| i.reference.clone()),
            interaction_expires_at: interaction.map(|i| i.expires_at.0),
            finish_uri: finish.map(|f| f.uri.clone()),
            finish_nonce: finish.map(|f| f.client_nonce.clone()),
            client_name: interaction.and_then(|i| i.client_name.clone()),
        })
    }
}

impl IntoDomain for GrantRow {
    type Domain = Grant;

    fn into_domain(self) -> Result<Grant, StoreError> {
        let state = match (self.state.as_str(), self.finalization.as_deref()) {
            ("pending", None) => GrantState::Pending,
            ("approved", None) => GrantState::Approved,
            ("finalized", Some("issued")) => GrantState::Finalized(Finalization::Issued),
            ("finalized", Some("rejected")) => GrantState::Finalized(Finalization::Rejected),
            ("finalized", Some("revoked")) => GrantState::Finalized(Finalization::Revoked),
            _ => return Err(corrupt("grant state")),
        };
        let client = match (self.client_wallet_address, self.client_jwk) {
            (Some(url), None) => ClientIdentity::WalletAddress(url),
            (None, Some(jwk)) => ClientIdentity::Jwk(
                serde_json::from_str(&jwk).map_err(|_| corrupt("grant client jwk"))?,
            ),
            _ => return Err(corrupt("grant client")),
        };
        Ok(Grant {
            id: self.id,
            state,
            client,
            access: serde_json::from_str(&self.access).map_err(|_| corrupt("grant access"))?,
            continue_id: self.continue_id,
            continue_token_hash: TokenHash::from_slice(&self.continue_token_hash)
                .ok_or_else(|| corrupt("continuation token hash"))?,
            created_at: UnixTime(self.created_at),
            last_continued_at: UnixTime(self.last_continued_at),
            interaction: interaction(
                self.interaction_id,
                self.interaction_nonce,
                self.interaction_ref,
                self.interaction_expires_at,
                self.finish_uri,
                self.finish_nonce,
                self.client_name,
            )?,
        })
    }
}

/// Reassembles the interaction columns: all present, or none.
fn interaction(
    id: Option<String>,
    nonce: Option<String>,
    reference: Option<String>,
    expires_at: Option<i64>,
    finish_uri: Option<String>,
    finish_nonce: Option<String>,
    client_name: Option<String>,
) -> Result<Option<Interaction>, StoreError> {
    let finish = match (finish_uri, finish_nonce) {
        (Some(uri), Some(client_nonce)) => Some(FinishRedirect { uri, client_nonce }),
        (None, None) => None,
        _ => return Err(corrupt("grant finish redirect")),
    };
    match (id, nonce, reference, expires_at) {
        (Some(id), Some(nonce), Some(reference), Some(expires_at)) => Ok(Some(Interaction {
            id,
            nonce,
            reference,
            finish,
            client_name,
            expires_at: UnixTime(expires_at),
        })),
        (None, None, None, None) if finish.is_none() => Ok(None),
        _ => Err(corrupt("grant interaction")),
    }
}

impl IntoDomain for TokenWithGrantRow {
    type Domain = TokenWithGrant;

    fn into_domain(self) -> Result<TokenWithGrant, StoreError> {
        let status = match self.status.as_str() {
            "active" => TokenStatus::Active,
            "rotated" => TokenStatus::Rotated,
            "revoked" => TokenStatus::Revoked,
            _ => return Err(corrupt("token status")),
        };
        Ok(TokenWithGrant {
            token: AccessTokenRecord {
                manage_id: self.manage_id,
                grant_id: self.grant_id,
                value_hash: TokenHash::from_slice(&self.value_hash)
                    .ok_or_else(|| corrupt("token hash"))?,
                created_at: UnixTime(self.token_created_at),
                expires_at: UnixTime(self.expires_at),
                status,
            },
            grant: self.grant.into_domain()?,
        })
    }
}
