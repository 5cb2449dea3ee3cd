//! `sqlx::migrate!` embeds the SQL files at compile time, but cargo does not know about them: a
//! new migration file would leave a stale schema in an incremental build. Rebuild when either
//! folder changes (cargo scans a directory's whole contents).

fn main() {
    println!("cargo:rerun-if-changed=postgres");
    println!("cargo:rerun-if-changed=sqlite");
}
