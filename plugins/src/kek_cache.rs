//! A bounded in-memory cache of unwrapped project KEKs, so the hot path does no unwrap and no
//! KEK lookup. Entries are shared (`Arc<Kek>`); the key bytes are zeroized when the last holder
//! drops them after eviction.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;
use uuid::Uuid;

use crate::crypto::Kek;

/// One cached KEK: its row id, the store it belongs to and the unwrapped key.
#[derive(Clone, Debug)]
pub struct CachedKek {
    pub id: Uuid,
    /// The secret store whose master key wraps this KEK: payloads sealed under the KEK are sealed
    /// by that store's plugin.
    pub store: Arc<str>,
    pub key: Arc<Kek>,
}

/// Cache keyed by (store, project).
pub struct KekCache {
    inner: Mutex<LruCache<(String, String), CachedKek>>,
}

impl KekCache {
    pub fn new(capacity: usize) -> Self {
        let cap = NonZeroUsize::new(capacity.max(1)).expect("capacity is at least 1");
        Self { inner: Mutex::new(LruCache::new(cap)) }
    }

    pub fn get(&self, store: &str, project_id: &str) -> Option<CachedKek> {
        // Lookups are a hash and a pointer swap: a std mutex held for nanoseconds beats an
        // async one here.
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).get(&(store.to_owned(), project_id.to_owned())).cloned()
    }

    pub fn put(&self, store: &str, project_id: &str, kek: CachedKek) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).put((store.to_owned(), project_id.to_owned()), kek);
    }

    /// Drops every entry (after a master-key rotation, for instance).
    pub fn clear(&self) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    #[test]
    fn evicts_beyond_capacity() {
        let c = KekCache::new(2);
        for p in ["a", "b", "c"] {
            c.put(
                "s",
                p,
                CachedKek { id: Uuid::new_v4(), store: "s".into(), key: Arc::new(Kek(Zeroizing::new([0; 32]))) },
            );
        }
        assert_eq!(c.len(), 2);
        assert!(c.get("s", "a").is_none());
        assert!(c.get("s", "c").is_some());
    }
}
