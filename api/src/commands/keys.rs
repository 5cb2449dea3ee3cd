//! `portcullis keys`: create master keys and rotate the one in use.
//!
//! Rotation re-wraps every project KEK under the new master key in one transaction; payloads are
//! not re-encrypted. Afterwards every process of the deployment must use the new key.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use portcullis_api::config::Config;
use portcullis_api::startup::{self, DEFAULT_STORE};
use portcullis_plugins::{MasterKey, MasterKeySource, SimpleCrypto};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Generate a new 256-bit master key. Writes it to --out (mode 0600, never overwriting) or
    /// prints it as base64 on stdout.
    Create {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Rotate the master key: re-wrap every project KEK under a new key (payloads are untouched).
    /// With --new-key-file, the new key is read from that file; without it, the development key
    /// in the data dir is replaced by a freshly generated one.
    Rotate {
        #[arg(long)]
        new_key_file: Option<PathBuf>,
    },
}

pub async fn run(config: Config, cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Create { out } => {
            let key = MasterKey::generate()?;
            match out {
                Some(path) => {
                    key.write_new_file(&path)?;
                    eprintln!("wrote a new master key to {} (mode 0600)", path.display());
                }
                None => println!("{}", key.to_base64().as_str()),
            }
            Ok(())
        }
        KeysCommand::Rotate { new_key_file } => rotate(config, new_key_file).await,
    }
}

async fn rotate(config: Config, new_key_file: Option<PathBuf>) -> anyhow::Result<()> {
    let db = startup::open_db(&config).await?;
    let (old_key, source) = startup::load_master_key(&config)?;
    let keks = startup::open_keks(&config, &db, &old_key, &source).await?;

    // Decide the new key, and where it will live once the database has switched to it.
    let (new_key, finish): (MasterKey, Option<(PathBuf, PathBuf)>) = match (&new_key_file, &source) {
        (Some(path), _) => (MasterKey::read_file(path).context("--new-key-file")?, None),
        (None, MasterKeySource::DevFile { path, .. }) => {
            let staged = path.with_extension("key.new");
            if staged.exists() {
                bail!("{} exists from an earlier rotation; remove it or move it into place first", staged.display());
            }
            let key = MasterKey::generate()?;
            key.write_new_file(&staged)?;
            (key, Some((staged, path.clone())))
        }
        (None, _) => bail!("the master key comes from the configuration: pass --new-key-file with the new key"),
    };
    if new_key.to_base64() == old_key.to_base64() {
        bail!("the new master key is the one already in use");
    }

    let n = keks.rotate_master_key(&db, DEFAULT_STORE, &SimpleCrypto::new(&new_key)).await?;
    db.close().await;
    match finish {
        Some((staged, path)) => {
            std::fs::rename(&staged, &path).with_context(|| {
                format!(
                    "KEKs are re-wrapped, but moving {} over {} failed: move it by hand",
                    staged.display(),
                    path.display()
                )
            })?;
            eprintln!("re-wrapped {n} project KEK(s); the development key at {} is replaced", path.display());
        }
        None => eprintln!(
            "re-wrapped {n} project KEK(s). Every process of this deployment must now use the new key \
             (PORTCULLIS_MASTER_KEY_FILE={})",
            new_key_file.map(|p| p.display().to_string()).unwrap_or_default()
        ),
    }
    Ok(())
}
