//! What can go wrong in the analytics engine, and whose fault it is.

/// An analysis that cannot be carried out as asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalyticsError {
    /// The exact Shapley decomposition needs 2^p regressions; past the
    /// limit use Johnson's relative weights (the caller's choice).
    #[error("{items} items are too many for the exact Shapley decomposition (at most {limit}); use relative weights")]
    TooManyItems {
        /// Items asked for.
        items: usize,
        /// The most the exact computation accepts.
        limit: usize,
    },
    /// An answer in an event is not valid on its declared scale (an event
    /// that did not come through carepulse's validation).
    #[error("{question}: {reason}")]
    BadAnswer {
        /// Question id (`overall`, `wait_time`).
        question: String,
        /// Why the answer is refused.
        reason: String,
    },
}
