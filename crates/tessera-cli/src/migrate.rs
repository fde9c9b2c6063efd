//! `tessera migrate`: brings the database schema up to date and exits, so that an operator can
//! migrate once before rolling out new nodes. `tessera serve` migrates at start as well; several
//! nodes doing so at once is safe (PostgreSQL serialises them with an advisory lock). Applied
//! versions are recorded in the table `_sqlx_migrations`.

use anyhow::Context as _;
use clap::Args;

use crate::serve::DEFAULT_DATABASE_URL;

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Database: `sqlite://path` (created if missing) or `postgres://user:password@host/db`.
    #[arg(long, env = "TESSERA_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
}

pub fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime
        .block_on(tessera_server::migrate(&args.database_url))
        .context("migrating the database")?;
    println!("database schema is up to date");
    Ok(())
}
