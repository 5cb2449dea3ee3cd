//! [`AppState`]: the one cloneable handle every handler receives.

use std::ops::Deref;
use std::sync::Arc;

use portcullis_store::{Db, KekHierarchy};

use crate::config::Config;

/// What the API needs to serve a request.
pub struct App {
    pub config: Config,
    pub db: Db,
    /// Master key → project KEK → payload; also caches unwrapped KEKs.
    pub keks: KekHierarchy,
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}
