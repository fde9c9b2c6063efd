//! `tessera keys`: make the Ed25519 key pair an Open Payments client signs with.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use ed25519_dalek::SigningKey;
use tessera_httpsig::{RequestSigner, signing_key_from_pem, signing_key_to_pem};
use tessera_proto::jwk::JwkSet;

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Generate a key pair: the private key as PKCS#8 PEM (what the official SDKs load) and the
    /// public key as a JWKS (what the wallet address serves at `{walletAddress}/jwks.json`).
    Generate(GenerateArgs),
    /// Print the public JWKS of an existing private key.
    Jwks(JwksArgs),
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// The key id (`kid`) clients put in their signatures.
    #[arg(long)]
    key_id: String,
    /// Where to write the private key (created with mode 0600; never overwritten).
    #[arg(long)]
    private_key: PathBuf,
    /// Where to write the public JWKS; printed to stdout when omitted.
    #[arg(long)]
    jwks: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct JwksArgs {
    #[arg(long)]
    key_id: String,
    #[arg(long)]
    private_key: PathBuf,
}

pub fn run(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Generate(args) => generate(args),
        KeysCommand::Jwks(args) => {
            let pem = fs::read_to_string(&args.private_key)
                .with_context(|| format!("reading {}", args.private_key.display()))?;
            let key = signing_key_from_pem(&pem)?;
            println!("{}", jwks_json(key, &args.key_id)?);
            Ok(())
        }
    }
}

fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    write_private(&args.private_key, &signing_key_to_pem(&key)?)?;
    let jwks = jwks_json(key, &args.key_id)?;
    match &args.jwks {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            fs::write(path, format!("{jwks}\n"))
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "wrote {} and {}",
                args.private_key.display(),
                path.display()
            );
        }
        None => println!("{jwks}"),
    }
    Ok(())
}

fn jwks_json(key: SigningKey, key_id: &str) -> anyhow::Result<String> {
    let set = JwkSet {
        keys: vec![RequestSigner::new(key, key_id).jwk()],
    };
    Ok(serde_json::to_string_pretty(&set)?)
}

fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    file.write_all(pem.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}
