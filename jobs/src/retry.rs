//! Handler outcomes and the backoff that turns a transient failure into a later, durable attempt.

use std::time::Duration;

/// What a handler reports for one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Finished; the job is acked and never runs again.
    Done,
    /// Transient failure: run again later. The next attempt is held by the database (the row's
    /// `run_at`), `after` if given, else the policy's backoff. When the job's attempts are used
    /// up, the handler's exhausted hook runs instead.
    Retry { after: Option<Duration>, error: String },
    /// Permanent failure: acked as Killed and never run again, atomically with the handler's
    /// `failed` hook (a no-op unless the handler leaves recording the failure to it).
    Failed { error: String },
}

impl Outcome {
    pub fn retry(error: impl Into<String>) -> Self {
        Outcome::Retry { after: None, error: error.into() }
    }

    pub fn failed(error: impl Into<String>) -> Self {
        Outcome::Failed { error: error.into() }
    }
}

/// Exponential backoff with jitter: attempt `n` waits a random time in `[d/2, d]` where
/// `d = min(cap, base * 2^(n-1))`. The jitter spreads out jobs that failed together (say, on one
/// outage) so they do not all come back at once.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { base: Duration::from_secs(5), cap: Duration::from_secs(15 * 60) }
    }
}

impl RetryPolicy {
    /// The wait before the attempt after `attempt` (1-based) failed.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(32);
        let full = self.base.saturating_mul(1u32 << exp.min(31)).min(self.cap);
        let half = full / 2;
        half + half.mul_f64(random_unit())
    }
}

/// A uniform value in [0, 1) from the OS-seeded v4 UUID generator (no extra RNG dependency;
/// jitter needs no cryptographic quality, only spread).
fn random_unit() -> f64 {
    let bits = (uuid::Uuid::new_v4().as_u128() >> 75) as u64; // 53 random bits
    bits as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_and_is_capped() {
        let p = RetryPolicy { base: Duration::from_millis(100), cap: Duration::from_secs(1) };
        for _ in 0..100 {
            let d1 = p.delay(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100), "{d1:?}");
            let d3 = p.delay(3);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400), "{d3:?}");
            let d40 = p.delay(40);
            assert!(d40 >= Duration::from_millis(500) && d40 <= Duration::from_secs(1), "{d40:?}");
        }
    }
}
