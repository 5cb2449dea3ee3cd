//! Fault injection, for tests only: make the workers of a queue fail, panic or stall on purpose,
//! so that retries, exhaustion, timeouts, graceful shutdown and orphan rescue can be shown end to
//! end against the real binary (`PORTCULLIS_FAULTS`).
//!
//! **Debug builds only.** In a release build [`Faults::parse`] refuses every spec (so a release
//! binary given `PORTCULLIS_FAULTS` stops at start-up), and the worker never applies a fault.
//!
//! # Spec
//! Rules separated by `;`, each `<queue>=<fault>[,<fault>...]`; the queue `*` means every queue.
//! Faults apply in this order, before the handler runs:
//! - `sleep:MS`: every delivery first waits MS milliseconds (inside the job timeout);
//! - `panic[:N]`: the first N deliveries of each job panic (no N: every delivery);
//! - `permanent`: every delivery fails permanently (`Outcome::Failed`);
//! - `transient[:N]`: the first N deliveries of each job fail transiently (`Outcome::Retry`).
//!
//! For example `orders=sleep:200,transient:2;certificate_steps=permanent`. Deliveries are counted
//! by the job row's attempt number, so "the first N" holds across retries, workers and processes.

use std::fmt;
use std::time::Duration;

use crate::Outcome;

/// A parsed `PORTCULLIS_FAULTS` spec. The default injects nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Faults {
    rules: Vec<(String, QueueFaults)>,
}

/// The faults injected into the deliveries of one queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueFaults {
    sleep: Option<Duration>,
    /// Deliveries 1..=N panic; `u32::MAX` for all.
    panic: Option<u32>,
    permanent: bool,
    /// Deliveries 1..=N fail transiently; `u32::MAX` for all.
    transient: Option<u32>,
}

/// A spec that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FaultSpecError(String);

impl Faults {
    /// Parses a spec (see the module docs). Always an error in release builds.
    pub fn parse(spec: &str) -> Result<Faults, FaultSpecError> {
        if !cfg!(debug_assertions) {
            return Err(FaultSpecError(
                "fault injection is for tests and is refused by release builds; unset it".into(),
            ));
        }
        let mut rules = Vec::new();
        for rule in spec.split(';').map(str::trim).filter(|r| !r.is_empty()) {
            let bad = |why: &str| FaultSpecError(format!("{why} in fault rule {rule:?}"));
            let (queue, faults) = rule.split_once('=').ok_or_else(|| bad("expected <queue>=<fault>"))?;
            let queue = queue.trim();
            if queue.is_empty() {
                return Err(bad("empty queue name"));
            }
            let mut q = QueueFaults::default();
            for fault in faults.split(',').map(str::trim) {
                let (kind, arg) = match fault.split_once(':') {
                    Some((k, a)) => (k, Some(a.parse::<u32>().map_err(|_| bad("expected a number after ':'"))?)),
                    None => (fault, None),
                };
                match (kind, arg) {
                    ("sleep", Some(ms)) => q.sleep = Some(Duration::from_millis(u64::from(ms))),
                    ("panic", n) => q.panic = Some(n.unwrap_or(u32::MAX)),
                    ("permanent", None) => q.permanent = true,
                    ("transient", n) => q.transient = Some(n.unwrap_or(u32::MAX)),
                    _ => return Err(bad("expected sleep:MS, panic[:N], permanent or transient[:N]")),
                }
            }
            rules.push((queue.to_owned(), q));
        }
        Ok(Faults { rules })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// What applies to `queue`: the `*` rules, then the queue's own, each setting what it names.
    pub fn for_queue(&self, queue: &str) -> QueueFaults {
        let mut out = QueueFaults::default();
        for (_, q) in
            self.rules.iter().filter(|(name, _)| name == "*").chain(self.rules.iter().filter(|(n, _)| n == queue))
        {
            out.sleep = q.sleep.or(out.sleep);
            out.panic = q.panic.or(out.panic);
            out.permanent |= q.permanent;
            out.transient = q.transient.or(out.transient);
        }
        out
    }
}

impl QueueFaults {
    pub fn is_empty(&self) -> bool {
        *self == QueueFaults::default()
    }

    /// Runs the faults for delivery `attempt` (1-based): waits, panics, or returns the outcome
    /// that replaces the handler's. `None`: run the handler.
    pub(crate) async fn inject(&self, attempt: u32) -> Option<Outcome> {
        if !cfg!(debug_assertions) || self.is_empty() {
            return None;
        }
        if let Some(d) = self.sleep {
            tokio::time::sleep(d).await;
        }
        if self.panic.is_some_and(|n| attempt <= n) {
            panic!("injected fault: panic on delivery {attempt} (PORTCULLIS_FAULTS)");
        }
        if self.permanent {
            return Some(Outcome::failed("injected fault: permanent failure (PORTCULLIS_FAULTS)"));
        }
        if self.transient.is_some_and(|n| attempt <= n) {
            return Some(Outcome::retry(format!(
                "injected fault: transient failure on delivery {attempt} (PORTCULLIS_FAULTS)"
            )));
        }
        None
    }
}

impl fmt::Display for QueueFaults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |n: u32| if n == u32::MAX { String::new() } else { format!(":{n}") };
        let mut parts = Vec::new();
        if let Some(d) = self.sleep {
            parts.push(format!("sleep:{}", d.as_millis()));
        }
        if let Some(n) = self.panic {
            parts.push(format!("panic{}", count(n)));
        }
        if self.permanent {
            parts.push("permanent".to_owned());
        }
        if let Some(n) = self.transient {
            parts.push(format!("transient{}", count(n)));
        }
        f.write_str(&parts.join(","))
    }
}

/// The spec again, normalised (`portcullis config` prints it).
impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rules: Vec<String> = self.rules.iter().map(|(queue, q)| format!("{queue}={q}")).collect();
        f.write_str(&rules.join(";"))
    }
}

impl TryFrom<String> for Faults {
    type Error = FaultSpecError;
    fn try_from(spec: String) -> Result<Self, Self::Error> {
        Faults::parse(&spec)
    }
}

impl From<Faults> for String {
    fn from(f: Faults) -> String {
        f.to_string()
    }
}

#[cfg(all(test, debug_assertions))]
mod tests {
    use super::*;

    #[test]
    fn parses_and_merges_per_queue() {
        let f = Faults::parse(" orders=sleep:200,transient:2 ; *=panic:1;ping=permanent;").unwrap();
        let orders = f.for_queue("orders");
        assert_eq!(orders.sleep, Some(Duration::from_millis(200)));
        assert_eq!((orders.panic, orders.transient, orders.permanent), (Some(1), Some(2), false));
        let ping = f.for_queue("ping");
        assert_eq!((ping.panic, ping.permanent, ping.transient), (Some(1), true, None));
        assert_eq!(f.to_string(), "orders=sleep:200,transient:2;*=panic:1;ping=permanent");
        assert_eq!(Faults::parse(&f.to_string()).unwrap(), f);
        assert!(Faults::parse("").unwrap().is_empty());
        assert!(Faults::parse("orders=transient").unwrap().for_queue("orders").transient == Some(u32::MAX));
        assert!(Faults::parse("orders=transient:2").unwrap().for_queue("other").is_empty());
    }

    #[test]
    fn bad_specs_say_why() {
        for spec in
            ["orders", "=transient", "orders=explode", "orders=sleep", "orders=transient:x", "orders=permanent:1"]
        {
            let err = Faults::parse(spec).unwrap_err().to_string();
            assert!(err.contains("fault rule"), "{spec}: {err}");
        }
    }

    #[tokio::test]
    async fn injects_by_delivery_number() {
        let q = Faults::parse("q=transient:2").unwrap().for_queue("q");
        assert!(matches!(q.inject(1).await, Some(Outcome::Retry { .. })));
        assert!(matches!(q.inject(2).await, Some(Outcome::Retry { .. })));
        assert_eq!(q.inject(3).await, None);
        let q = Faults::parse("q=permanent").unwrap().for_queue("q");
        assert!(matches!(q.inject(5).await, Some(Outcome::Failed { .. })));
    }
}
