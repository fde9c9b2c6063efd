//! The `tessera` command. This is the binary's edge: flags and environment are read here, and
//! errors become one line on stderr and a non-zero exit; everything else lives in the library
//! crates (the client subcommands use `tessera-client`).

mod client;
mod client_args;
mod grant;
mod keys;
mod migrate;
mod oauth;
mod serve;
mod token;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than the system allocator: a request allocates and frees many small buffers
/// across the runtime's threads, which is what mimalloc is made for. In the profile, allocation
/// went from about 6 % of the server's CPU per rotation (glibc) to about 4 % (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "Tessera: a GNAP (Open Payments) authorization server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the authorization server.
    Serve(serve::ServeArgs),
    /// Bring the database schema up to date, then exit.
    Migrate(migrate::MigrateArgs),
    /// Client key pairs (Ed25519) for Open Payments request signing.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// OAuth client registry: create, list, delete, rotate-secret.
    Client(client::ClientArgs),
    /// Request grants from an authorization server, as a client.
    #[command(subcommand)]
    Grant(grant::GrantCommand),
    /// Rotate and revoke access tokens, as a client.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// OAuth 2.0 token lifecycle, as a client: refresh, revoke.
    #[command(subcommand)]
    Oauth(oauth::OAuthCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Migrate(args) => migrate::run(args),
        Command::Keys(command) => keys::run(command),
        Command::Client(args) => client::run(args),
        Command::Grant(command) => grant::run(command),
        Command::Token(command) => token::run(command),
        Command::Oauth(command) => oauth::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}`: the whole cause chain on one line.
            eprintln!("tessera: {error:#}");
            ExitCode::FAILURE
        }
    }
}
