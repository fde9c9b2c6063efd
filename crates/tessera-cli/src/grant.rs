//! `tessera grant request`: ask an authorization server for a non-interactive grant (incoming
//! payments, quotes) and print its access token.

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use tessera_proto::access::AccessItem;
use tessera_proto::grant::GrantResponse;

use crate::client_args::{ClientArgs, block_on, print_access_token};

#[derive(Subcommand, Debug)]
pub enum GrantCommand {
    /// Request a grant and print its access token (`ACCESS_TOKEN = ...`, `MANAGE_URL = ...`).
    Request(RequestArgs),
}

#[derive(Args, Debug)]
pub struct RequestArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// The grant endpoint: the `authServer` of the wallet address holding the resources.
    #[arg(long, env = "AUTH_SERVER_URL")]
    auth_server: String,
    /// Access to ask for, repeatable: `TYPE` or `TYPE=ACTION,ACTION`. Types: incoming-payment
    /// (default actions create,read,list,complete), quote (create,read), outgoing-payment
    /// (create,read,list; needs interaction, which this command does not do).
    #[arg(long = "access", required = true, value_parser = parse_access)]
    access: Vec<AccessSpec>,
    /// The resource the payment access is for (`identifier`), e.g. a wallet address.
    #[arg(long)]
    identifier: Option<String>,
}

/// One `--access` value: a type and its actions.
#[derive(Debug, Clone)]
pub struct AccessSpec {
    kind: String,
    actions: Vec<String>,
}

fn parse_access(spec: &str) -> Result<AccessSpec, String> {
    let (kind, actions) = match spec.split_once('=') {
        Some((kind, actions)) => (kind, actions.split(',').map(str::to_owned).collect()),
        None => {
            let defaults: &[&str] = match spec {
                "incoming-payment" => &["create", "read", "list", "complete"],
                "quote" => &["create", "read"],
                "outgoing-payment" => &["create", "read", "list"],
                other => return Err(format!("unknown access type `{other}`")),
            };
            (spec, defaults.iter().map(|a| (*a).to_owned()).collect())
        }
    };
    let spec = AccessSpec {
        kind: kind.to_owned(),
        actions,
    };
    // Checked here, so that a typo is a usage error; the identifier is added later.
    spec.item(None)?;
    Ok(spec)
}

impl AccessSpec {
    /// The access item, parsed by the wire types themselves (which know every type and action).
    fn item(&self, identifier: Option<&str>) -> Result<AccessItem, String> {
        let mut item = json!({ "type": self.kind, "actions": self.actions });
        if let Some(identifier) = identifier.filter(|_| self.kind != "quote") {
            item["identifier"] = Value::from(identifier);
        }
        serde_json::from_value(item).map_err(|e| format!("invalid access `{}`: {e}", self.kind))
    }
}

pub fn run(command: GrantCommand) -> anyhow::Result<()> {
    let GrantCommand::Request(args) = command;
    let access = args
        .access
        .iter()
        .map(|spec| spec.item(args.identifier.as_deref()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let client = args.client.client()?;
    let request = client.grant_request(access);
    block_on(async {
        let response = client
            .grant()
            .request(&args.auth_server, &request)
            .await
            .context("grant request failed")?;
        match response {
            GrantResponse::Approved { access_token, .. } => {
                print_access_token(&access_token, args.client.json)
            }
            GrantResponse::Pending {
                interact,
                continue_,
            } => {
                // Nothing here can finish the interaction: withdraw the request.
                let cancelled = client
                    .grant()
                    .cancel(&continue_.uri, &continue_.access_token.value)
                    .await;
                let outcome = match cancelled {
                    Ok(()) => "the request was cancelled".to_owned(),
                    Err(e) => format!("cancelling the request failed: {e}"),
                };
                bail!(
                    "the grant needs interaction at {}, which `tessera grant request` does not do; {outcome}",
                    interact.redirect
                )
            }
        }
    })?
}
