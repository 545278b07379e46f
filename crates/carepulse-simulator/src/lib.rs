//! The hospital simulator: realistic, reproducible feedback streams for
//! demos, tests, evaluation and benchmarks. Pure: no IO, no async runtime,
//! no clock; `carepulse simulate` sends what this crate generates.
//!
//! A scenario (TOML, docs/simulator.md) sits on top of a catalog: visits
//! per journey with a daily and weekly rhythm, the stages visitors pass,
//! who is asked for feedback at each touchpoint and by which channels, how
//! well each touchpoint does, the true driver weights of each
//! questionnaire, respondents, comments in English and Dutch, and
//! incidents on a timeline. A [`Run`] (seed, start, duration) turns it into
//! a time-ordered stream of [`Item`]s, each with its simulated send time,
//! its JSON body and what it is meant to be ([`ItemKind`]).
//!
//! ```
//! use carepulse_model::Catalog;
//! use carepulse_simulator::{ItemKind, Run, ScenarioFile};
//!
//! let file = ScenarioFile::from_toml(include_str!("../../../deploy/scenarios/general-hospital.toml")).unwrap();
//! assert_eq!(file.catalog(), "../catalog/general-hospital.toml");
//! let catalog = Catalog::from_toml(include_str!("../../../deploy/catalog/general-hospital.toml")).unwrap();
//! let scenario = file.check(&catalog).unwrap();
//! let run = Run { seed: 42, start: "2026-11-16T00:00:00Z".parse().unwrap(), duration: chrono::TimeDelta::hours(2) };
//! let items: Vec<_> = scenario.stream(&run).collect();
//! assert!(items.windows(2).all(|w| w[0].at <= w[1].at), "in send order");
//! assert!(items.iter().any(|i| i.kind == ItemKind::KioskPress));
//! ```
//!
//! Answers follow a latent model with known driver weights, described in
//! the `latent` module: every answer is a normal latent value cut into its
//! scale's categories; item latents share a halo; the overall latent is the
//! items' deviations times the true weights, scaled to explain the
//! scenario's `r_squared`, plus noise. The scenario file is the ground truth
//! a driver analysis should recover.
//!
//! Reproducibility: one `ChaCha8Rng` seeded with [`Run::seed`] draws
//! everything in a fixed order (vectors and B-trees, never hash maps); ids
//! are `sim-SEED-N`. The same scenario, seed, start and duration give the
//! same items byte for byte on the same platform (floating-point functions
//! of other platforms' maths libraries may differ in the last bit).

mod comments;
mod disrupt;
mod incident;
mod item;
mod latent;
mod publish;
mod rhythm;
mod scenario;
mod span;
mod stream;
mod visit;
mod wire;

pub use item::{Endpoint, Item, ItemKind};
pub use publish::Publisher;
pub use scenario::{Scenario, ScenarioError, ScenarioFile, ScenarioProblem};
pub use span::parse_span;
pub use stream::{Run, Stream};
