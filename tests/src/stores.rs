//! Secret-store configurations for test servers (`PORTCULLIS_CONFIG`).

/// Writes a server configuration of two `simple_crypto` stores, `primary` (the global default) and
/// `secondary`, each with a fresh master key; returns its path.
pub fn two_stores(storage: &crate::Storage) -> String {
    use base64::Engine as _;
    let dir = storage.data_dir.path();
    let mut toml = String::new();
    for (name, default) in [("primary", true), ("secondary", false)] {
        let key: Vec<u8> = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()].iter().flat_map(|u| *u.as_bytes()).collect();
        let path = dir.join(format!("{name}.key"));
        std::fs::write(&path, base64::engine::general_purpose::STANDARD.encode(key)).unwrap();
        toml.push_str(&format!(
            "[[secret_stores]]\nname = \"{name}\"\nplugin = \"simple_crypto\"\nmaster_key_file = \"{}\"\nglobal_default = {default}\n\n",
            path.display()
        ));
    }
    let path = dir.join("stores.toml");
    std::fs::write(&path, toml).unwrap();
    path.display().to_string()
}
