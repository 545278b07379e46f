//! Daily and weekly rhythm of visits (busy Monday mornings, quiet nights)
//! and the number of visits an hour brings.
//!
//! A rhythm holds 24 relative weights by local hour and 7 by weekday
//! (Monday first). Both are normalised to a mean of 1, so a journey's
//! `visits_per_day` stays its average over a week; the visits of one hour
//! are Poisson distributed around `visits_per_day / 24 × hour × weekday`.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::latent::standard_normal;

/// Relative intensity by local hour and weekday, each with mean 1.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rhythm {
    hours: [f64; 24],
    weekdays: [f64; 7],
}

impl Rhythm {
    /// The same intensity at every hour of the week.
    pub(crate) fn flat() -> Rhythm {
        Rhythm {
            hours: [1.0; 24],
            weekdays: [1.0; 7],
        }
    }

    /// A rhythm from weights the caller checked (right lengths, finite,
    /// non-negative, not all zero).
    pub(crate) fn new(hours: &[f64], weekdays: &[f64]) -> Rhythm {
        fn normalised<const N: usize>(weights: &[f64]) -> [f64; N] {
            let mean = weights.iter().sum::<f64>() / N as f64;
            let mut out = [0.0; N];
            for (o, w) in out.iter_mut().zip(weights) {
                *o = w / mean;
            }
            out
        }
        Rhythm {
            hours: normalised(hours),
            weekdays: normalised(weekdays),
        }
    }

    /// Intensity at a local hour (0-23) of a weekday (0 = Monday).
    pub(crate) fn at(&self, hour: u32, weekday: u32) -> f64 {
        self.hours[hour as usize % 24] * self.weekdays[weekday as usize % 7]
    }
}

/// A Poisson draw: Knuth's method for small means, a rounded normal
/// approximation for large ones.
pub(crate) fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        let n = mean + mean.sqrt() * standard_normal(rng);
        return n.round().max(0.0) as u32;
    }
    let limit = (-mean).exp();
    let mut product = rng.random::<f64>();
    let mut n = 0;
    while product > limit {
        product *= rng.random::<f64>();
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn weights_are_normalised_to_a_mean_of_one() {
        let mut hours = [1.0; 24];
        hours[9] = 3.0;
        let r = Rhythm::new(&hours, &[2.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5]);
        let week: f64 = (0..7)
            .flat_map(|d| (0..24).map(move |h| (h, d)))
            .map(|(h, d)| r.at(h, d))
            .sum();
        assert!((week / 168.0 - 1.0).abs() < 1e-9);
        assert!(r.at(9, 0) > r.at(3, 6) * 5.0, "Monday morning is busy");
    }

    #[test]
    fn poisson_draws_have_the_right_mean() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for mean in [0.3, 4.0, 80.0] {
            let total: u32 = (0..20_000).map(|_| poisson(&mut rng, mean)).sum();
            let got = f64::from(total) / 20_000.0;
            assert!((got - mean).abs() < mean * 0.03 + 0.02, "{mean}: {got}");
        }
    }
}
