//! `portcullis keys`: create master keys and rotate the one in use.
//!
//! Rotation re-wraps every project KEK of one secret store under the new master key in one
//! transaction; payloads are not re-encrypted. Afterwards every process of the deployment must use
//! the new key. With several `[[secret_stores]]`, `--store` names the one to rotate.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use portcullis_api::config::Config;
use portcullis_api::startup;
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
        /// The secret store whose master key is rotated; may be left out when there is only one.
        #[arg(long)]
        store: Option<String>,
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
        KeysCommand::Rotate { new_key_file, store } => rotate(config, new_key_file, store).await,
    }
}

async fn rotate(config: Config, new_key_file: Option<PathBuf>, store: Option<String>) -> anyhow::Result<()> {
    let db = startup::open_db(&config).await?;
    let stores = startup::load_store_keys(&config)?;
    // Every store's key is checked, not only the rotated one's: as at start-up.
    let keks = startup::open_keks(&config, &db, &stores).await?;
    let names = || stores.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
    let chosen = match &store {
        Some(name) => stores
            .iter()
            .find(|s| &s.name == name)
            .with_context(|| format!("--store {name}: no such secret store (configured: {})", names()))?,
        None if stores.len() == 1 => &stores[0],
        None => bail!("several secret stores are configured ({}): pass --store <name>", names()),
    };
    let (old_key, source) = (&chosen.key, &chosen.source);

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
        (None, _) => bail!(
            "the master key of secret store {:?} comes from the configuration: pass --new-key-file with the new key",
            chosen.name
        ),
    };
    if new_key.to_base64() == old_key.to_base64() {
        bail!("the new master key is the one already in use");
    }

    let n = keks.rotate_master_key(&db, &chosen.name, &SimpleCrypto::new(&new_key)).await?;
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
            "re-wrapped {n} project KEK(s) of secret store {:?}. Every process of this deployment must now use \
             the new key ({}={})",
            chosen.name,
            if config.secret_stores.is_empty() { "PORTCULLIS_MASTER_KEY_FILE" } else { "its master_key_file" },
            new_key_file.map(|p| p.display().to_string()).unwrap_or_default()
        ),
    }
    Ok(())
}
