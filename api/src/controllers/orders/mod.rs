//! `/v1/orders`: Barbican's orders resource (asynchronous generation of keys, key pairs and,
//! as a Portcullis extension, certificates).
//!
//! # Layout
//! - [`validate`]: the `Order` schema and the per-type `meta` rules of `POST /v1/orders`. Not yet
//!   wired to a route.

pub mod validate;
