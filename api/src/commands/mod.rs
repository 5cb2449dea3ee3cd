//! Subcommands of the `portcullis` binary.

pub mod keys;
pub mod migrate;
pub mod serve;
