//! Rate limits: token buckets per API token and per kiosk device, keyed by
//! configured or catalogued ids only, so their memory is bounded by the
//! configuration.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Token buckets, one per key.
#[derive(Debug)]
pub struct RateLimiter {
    rate_per_sec: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// Refills `rate_per_sec`, holds at most `burst`.
    pub fn new(rate_per_sec: f64, burst: f64) -> Self {
        RateLimiter {
            rate_per_sec,
            burst,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `cost` from `key`'s bucket at `now`, or says how many seconds
    /// until it could.
    pub fn take(&self, key: &str, cost: f64, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, last) = buckets.entry(key.to_owned()).or_insert((self.burst, now));
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * self.rate_per_sec).min(self.burst);
        *last = now;
        if *tokens >= cost {
            *tokens -= cost;
            Ok(())
        } else {
            let missing = cost.min(self.burst) - *tokens;
            Err((missing / self.rate_per_sec).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buckets_allow_a_burst_then_the_rate() {
        let limiter = RateLimiter::new(2.0, 4.0);
        let t0 = Instant::now();
        for _ in 0..4 {
            limiter.take("k", 1.0, t0).unwrap();
        }
        assert_eq!(limiter.take("k", 1.0, t0), Err(1));
        assert_eq!(limiter.take("other", 1.0, t0), Ok(()), "keys are separate");
        limiter
            .take("k", 1.0, t0 + Duration::from_millis(500))
            .unwrap();
        assert_eq!(
            limiter.take("k", 3.0, t0 + Duration::from_millis(500)),
            Err(2)
        );
    }
}
