//! `[[secret_stores]]`: the secret stores of a deployment (Barbican's multiple backends).
//!
//! With none configured, Portcullis runs one implicit store named `default` (plugin
//! `simple_crypto`, global default) under the top-level master key, and the `/v1/secret-stores`
//! resources answer 404 as Barbican does with multiple backends disabled. Configured stores each
//! have their own master key: `master_key_file`, or `master_key_env` (the name of a variable
//! holding the base64 key), or neither, which means the top-level master key (`master_key`,
//! `master_key_file` or the development key) — for at most one store, typically the `default`
//! store of a deployment that grew a second one.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The crypto plugins a store can use.
pub const STORE_PLUGINS: &[&str] = &["simple_crypto"];

/// One `[[secret_stores]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SecretStoreConfig {
    /// The store's name: shown by the API, and what its KEKs and key check are bound to (renaming
    /// a store that holds KEKs makes them unreadable, so start-up refuses it).
    pub name: String,
    #[serde(default = "default_plugin")]
    pub plugin: String,
    #[serde(default)]
    pub master_key_file: Option<PathBuf>,
    #[serde(default)]
    pub master_key_env: Option<String>,
    #[serde(default)]
    pub global_default: bool,
}

fn default_plugin() -> String {
    "simple_crypto".into()
}

impl SecretStoreConfig {
    /// Whether this store uses the top-level master key.
    pub fn uses_top_level_key(&self) -> bool {
        self.master_key_file.is_none() && self.master_key_env.is_none()
    }
}

/// Checks the store list: unique non-empty names, known plugins, one key source each, at most
/// one store on the top-level key, and exactly one global default (as Barbican requires).
pub fn validate(stores: &[SecretStoreConfig]) -> Result<(), ConfigError> {
    if stores.is_empty() {
        return Ok(());
    }
    let err = |msg: String| Err(ConfigError(format!("secret_stores: {msg}")));
    for (i, s) in stores.iter().enumerate() {
        let name = s.name.trim();
        if name.is_empty() || name.len() > 255 || name != s.name {
            return err(format!("entry {} needs a name of 1 to 255 characters without surrounding spaces", i + 1));
        }
        if stores[..i].iter().any(|o| o.name == s.name) {
            return err(format!("the name {name:?} is used twice"));
        }
        if !STORE_PLUGINS.contains(&s.plugin.as_str()) {
            return err(format!("store {name:?}: plugin must be one of {STORE_PLUGINS:?}, got {:?}", s.plugin));
        }
        if s.master_key_file.is_some() && s.master_key_env.is_some() {
            return err(format!("store {name:?}: set only one of master_key_file and master_key_env"));
        }
        if s.master_key_env.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return err(format!("store {name:?}: master_key_env must name an environment variable"));
        }
    }
    if stores.iter().filter(|s| s.uses_top_level_key()).count() > 1 {
        return err("at most one store may use the top-level master key (no master_key_file or master_key_env)".into());
    }
    let defaults = stores.iter().filter(|s| s.global_default).count();
    if defaults != 1 {
        return err(format!("exactly one store must have global_default = true, found {defaults}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(name: &str, key: Option<&str>, global_default: bool) -> SecretStoreConfig {
        SecretStoreConfig {
            name: name.into(),
            plugin: default_plugin(),
            master_key_file: key.map(PathBuf::from),
            master_key_env: None,
            global_default,
        }
    }

    #[test]
    fn store_lists_are_checked() {
        assert!(validate(&[]).is_ok());
        assert!(validate(&[store("a", Some("/a"), true), store("b", None, false)]).is_ok());
        let msg = |s: &[SecretStoreConfig]| validate(s).unwrap_err().to_string();
        assert!(msg(&[store("a", Some("/a"), false)]).contains("exactly one store"));
        assert!(msg(&[store("a", Some("/a"), true), store("a", Some("/b"), false)]).contains("used twice"));
        assert!(msg(&[store("a", None, true), store("b", None, false)]).contains("top-level master key"));
        let mut hsm = store("a", Some("/a"), true);
        hsm.plugin = "p11_crypto".into();
        assert!(msg(&[hsm]).contains("plugin must be one of"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
    fn stores_load_from_a_file_or_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "p.toml",
                "[[secret_stores]]\nname = \"a\"\nmaster_key_file = \"/a.key\"\nglobal_default = true\n\n\
                 [[secret_stores]]\nname = \"b\"\nmaster_key_env = \"B_KEY\"\n",
            )?;
            let c = super::super::Config::load(Some(std::path::Path::new("p.toml"))).expect("loads");
            assert_eq!(c.secret_stores.len(), 2);
            assert_eq!(c.secret_stores[1].plugin, "simple_crypto");
            assert_eq!(c.secret_stores[1].master_key_env.as_deref(), Some("B_KEY"));
            jail.set_env("PORTCULLIS_SECRET_STORES", r#"[{name="e", master_key_file="/e.key", global_default=true}]"#);
            let c = super::super::Config::load(None).expect("loads from the environment");
            assert_eq!(c.secret_stores, vec![store("e", Some("/e.key"), true)]);
            jail.set_env("PORTCULLIS_SECRET_STORES", r#"[{name="e", master_key_file="/e.key"}]"#);
            let err = super::super::Config::load(None).unwrap_err().to_string();
            assert!(err.contains("exactly one store must have global_default"), "{err}");
            Ok(())
        });
    }
}
