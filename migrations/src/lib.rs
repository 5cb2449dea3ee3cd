//! The Portcullis schema, embedded at build time.
//!
//! # Layout
//! - `postgres/NNNN_name.sql`: the production schema.
//! - `sqlite/NNNN_name.sql`: the same schema in SQLite's dialect (the zero-setup default).
//!
//! Both folders carry the same numbered steps, so a deployment can move between backends with the
//! same migration history. Applied migrations are never edited: a change is a new numbered file in
//! both folders.

use sqlx::migrate::Migrator;

/// Migrations for a Postgres database.
pub static POSTGRES: Migrator = sqlx::migrate!("../migrations/postgres");

/// Migrations for a SQLite database.
pub static SQLITE: Migrator = sqlx::migrate!("../migrations/sqlite");
