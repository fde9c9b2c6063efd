//! The `tessera` command. This is the binary's edge: flags and environment are read here, errors
//! become `anyhow` reports, and everything else lives in the library crates.

mod client;
mod keys;
mod migrate;
mod serve;

use clap::{Parser, Subcommand};

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
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Migrate(args) => migrate::run(args),
        Command::Keys(command) => keys::run(command),
        Command::Client(args) => client::run(args),
    }
}
