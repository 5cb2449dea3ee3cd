//! Subcommands of the `portcullis` binary.

pub mod jobs;
pub mod keys;
pub mod migrate;
pub mod serve;
