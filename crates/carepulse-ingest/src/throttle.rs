//! Rate limits (token buckets per API token and per kiosk device) and the
//! kiosk repeat-press detector. Both are keyed by configured or catalogued
//! ids only, so their memory is bounded by the configuration.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, FixedOffset, TimeDelta};

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

/// Remembers each kiosk's last press to spot rapid repeats.
#[derive(Debug)]
pub struct RepeatPresses {
    interval: TimeDelta,
    last: Mutex<HashMap<String, DateTime<FixedOffset>>>,
}

impl RepeatPresses {
    /// Presses closer than `interval` to the previous counted one repeat it.
    pub fn new(interval: TimeDelta) -> Self {
        RepeatPresses {
            interval,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a press of `device` at `at` comes within the interval of
    /// the device's previous press. Every press moves the reference point,
    /// so a child mashing the button for a minute counts once.
    pub fn is_repeat(&self, device: &str, at: DateTime<FixedOffset>) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let repeat = last
            .get(device)
            .is_some_and(|previous| (at - *previous).abs() < self.interval);
        last.insert(device.to_owned(), at);
        repeat
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

    #[test]
    fn mashing_counts_once_until_the_device_rests() {
        let repeats = RepeatPresses::new(TimeDelta::seconds(5));
        let t0: DateTime<FixedOffset> = "2026-11-21T10:00:00+00:00".parse().unwrap();
        assert!(!repeats.is_repeat("kiosk-1", t0));
        for s in 1..40 {
            assert!(
                repeats.is_repeat("kiosk-1", t0 + TimeDelta::seconds(s)),
                "press at +{s}s"
            );
        }
        assert!(
            !repeats.is_repeat("kiosk-2", t0 + TimeDelta::seconds(1)),
            "devices are separate"
        );
        assert!(
            !repeats.is_repeat("kiosk-1", t0 + TimeDelta::seconds(45)),
            "after a 6 s rest"
        );
    }
}
