//! Master keys: 32 random bytes, written as one line of standard base64.
//!
//! A deployment's processes share one master key per store, given inline
//! (`PORTCULLIS_MASTER_KEY`) or as a file (`PORTCULLIS_MASTER_KEY_FILE`). For a development
//! start with neither, a key is generated into the data directory; it is created atomically
//! (written aside, then hard-linked into place, which fails if another process won the race) so
//! processes started together on one data dir agree on it.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

/// A 256-bit master key. Zeroized on drop; never printed.
pub struct MasterKey(Zeroizing<[u8; 32]>);

/// Where a process's master key came from, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    /// `PORTCULLIS_MASTER_KEY` (or `master_key` in the config file).
    Inline,
    /// A key file named in the configuration.
    File(PathBuf),
    /// The development key in the data directory; `created` if this process generated it.
    DevFile { path: PathBuf, created: bool },
}

#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error("master key must be 32 bytes written as base64 ({0})")]
    Format(&'static str),
    #[error("cannot read master key file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write master key file {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("system random source failed")]
    Random,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A fresh key from the system random source.
    pub fn generate() -> Result<Self, MasterKeyError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        SystemRandom::new().fill(bytes.as_mut()).map_err(|_| MasterKeyError::Random)?;
        Ok(Self(bytes))
    }

    /// Parses the base64 form (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<Self, MasterKeyError> {
        let raw = Zeroizing::new(STANDARD.decode(text.trim()).map_err(|_| MasterKeyError::Format("not base64"))?);
        let bytes: [u8; 32] = raw.as_slice().try_into().map_err(|_| MasterKeyError::Format("wrong length"))?;
        Ok(Self(Zeroizing::new(bytes)))
    }

    /// The base64 form, as written to key files.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0.as_ref()))
    }

    /// Reads a key file.
    pub fn read_file(path: &Path) -> Result<Self, MasterKeyError> {
        let text = Zeroizing::new(
            fs::read_to_string(path).map_err(|source| MasterKeyError::Read { path: path.to_owned(), source })?,
        );
        Self::parse(&text)
    }

    /// Writes this key to a new file with mode 0600. Fails if the file exists, so no key is ever
    /// overwritten; the file appears whole or not at all.
    pub fn write_new_file(&self, path: &Path) -> Result<(), MasterKeyError> {
        let err = |source| MasterKeyError::Write { path: path.to_owned(), source };
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(err)?;
        let aside = dir.join(format!(".master-key-{}.tmp", uuid::Uuid::new_v4()));
        let written = (|| {
            let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&aside)?;
            f.write_all(self.to_base64().as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            fs::hard_link(&aside, path)
        })();
        let _ = fs::remove_file(&aside);
        written.map_err(err)
    }

    /// Loads the development key at `path`, generating it if absent. Returns whether this call
    /// created it. Safe against concurrent starts: exactly one process creates the file and
    /// every process ends up with its content.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), MasterKeyError> {
        if path.exists() {
            return Ok((Self::read_file(path)?, false));
        }
        let key = Self::generate()?;
        match key.write_new_file(path) {
            Ok(()) => Ok((key, true)),
            Err(MasterKeyError::Write { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => {
                Ok((Self::read_file(path)?, false))
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn dev_key_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/master.key");
        let (a, created_a) = MasterKey::load_or_create(&path).unwrap();
        let (b, created_b) = MasterKey::load_or_create(&path).unwrap();
        assert!(created_a && !created_b);
        assert_eq!(a.bytes(), b.bytes());
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(a.write_new_file(&path).is_err(), "an existing key file is never overwritten");
    }

    #[test]
    fn concurrent_creators_agree() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let keys: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..8).map(|_| s.spawn(|| MasterKey::load_or_create(&path).unwrap())).collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(keys.iter().filter(|(_, created)| *created).count(), 1);
        assert!(keys.iter().all(|(k, _)| k.bytes() == keys[0].0.bytes()));
    }

    #[test]
    fn parse_rejects_wrong_lengths() {
        assert!(MasterKey::parse("aGVsbG8=").is_err());
        assert!(MasterKey::parse("!!").is_err());
        let k = MasterKey::generate().unwrap();
        assert_eq!(MasterKey::parse(&k.to_base64()).unwrap().bytes(), k.bytes());
    }
}
