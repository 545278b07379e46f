//! How fast simulated time runs: as on the wall clock, a factor faster, or
//! as fast as the target takes it.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// `--pace`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// One simulated second per wall-clock second.
    Realtime,
    /// `factor` simulated seconds per wall-clock second.
    Accelerated(f64),
    /// No waiting.
    Asap,
}

impl FromStr for Pace {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "realtime" => Ok(Pace::Realtime),
            "asap" => Ok(Pace::Asap),
            _ => match text.strip_prefix("accelerated:").map(str::parse::<f64>) {
                Some(Ok(factor)) if factor.is_finite() && factor > 0.0 => {
                    Ok(Pace::Accelerated(factor))
                }
                _ => Err(format!(
                    "'{text}' is not a pace: write realtime, accelerated:<factor> (e.g. accelerated:60) or asap"
                )),
            },
        }
    }
}

/// Maps simulated times to wall-clock deadlines.
pub struct Clock {
    factor: Option<f64>,
    simulated_start: DateTime<Utc>,
    wall_start: Instant,
}

impl Clock {
    /// A clock whose simulated `start` is now.
    pub fn new(pace: Pace, start: DateTime<Utc>) -> Clock {
        let factor = match pace {
            Pace::Realtime => Some(1.0),
            Pace::Accelerated(f) => Some(f),
            Pace::Asap => None,
        };
        Clock {
            factor,
            simulated_start: start,
            wall_start: Instant::now(),
        }
    }

    /// When an item of simulated time `at` is due; `None`: at once.
    pub fn due(&self, at: DateTime<Utc>) -> Option<Instant> {
        let factor = self.factor?;
        let simulated = (at - self.simulated_start).num_milliseconds().max(0) as f64;
        Some(self.wall_start + Duration::from_secs_f64(simulated / factor / 1000.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_parse_or_say_what_to_write() {
        assert_eq!("realtime".parse(), Ok(Pace::Realtime));
        assert_eq!("asap".parse(), Ok(Pace::Asap));
        assert_eq!("accelerated:60".parse(), Ok(Pace::Accelerated(60.0)));
        let err = "accelerated:-1".parse::<Pace>().unwrap_err();
        assert!(err.contains("accelerated:<factor>"), "{err}");
    }
}
