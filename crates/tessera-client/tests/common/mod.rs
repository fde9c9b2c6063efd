//! Set-up shared by the SDK's integration tests: a real Tessera, a wallet-address server, and
//! Alice, whose key is in a PEM file, with an SDK client built from it.

#![allow(dead_code)]

use serde_json::json;
use tempfile::TempDir;
use tessera_client::{AuthenticatedClient, ClientConfig, PrivateKey};
use tessera_proto::AccessItem;
use tessera_proto::grant::{AccessToken, Continue, GrantResponse};
use tessera_testkit::{ClientKeyFile, TestServer, WalletServer};

pub struct Setup {
    pub server: TestServer,
    pub wallets: WalletServer,
    pub alice: ClientKeyFile,
    pub client: AuthenticatedClient,
    pub dir: TempDir,
}

/// A server configured by `configure`, and Alice's client.
pub async fn setup_with(configure: impl FnOnce(&mut tessera_testkit::ServerConfig)) -> Setup {
    let server = TestServer::start_with(tessera_testkit::Backend::Sqlite, configure).await;
    let wallets = WalletServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let alice = wallets.register_key_file("alice", dir.path());
    let client = client_for(&alice);
    Setup {
        server,
        wallets,
        alice,
        client,
        dir,
    }
}

pub fn client_for(key: &ClientKeyFile) -> AuthenticatedClient {
    AuthenticatedClient::new(ClientConfig::new(
        key.wallet_address.clone(),
        PrivateKey::Path(key.pem_path.clone()),
        key.key_id.clone(),
    ))
    .unwrap()
}

/// Non-interactive access: incoming payments.
pub fn incoming_payments() -> Vec<AccessItem> {
    serde_json::from_value(
        json!([{"type": "incoming-payment", "actions": ["create", "read", "list"]}]),
    )
    .unwrap()
}

pub async fn setup() -> Setup {
    setup_with(|_| {}).await
}

/// Requests an incoming-payment grant; it must be approved at once.
pub async fn grant(client: &AuthenticatedClient, grant_url: &str) -> (AccessToken, Continue) {
    let request = client.grant_request(incoming_payments());
    match client.grant().request(grant_url, &request).await.unwrap() {
        GrantResponse::Approved {
            access_token,
            continue_,
        } => (access_token, continue_),
        pending => panic!("expected an approved grant, got {pending:?}"),
    }
}
