//! Time-ordered slots (oldest first) and finding where a time goes among
//! them: the search shared by a cell's minutes and its hours.

use std::collections::VecDeque;

/// Where time `t` is (`Ok`) or would go (`Err`) among `slots`, which are
/// in strictly increasing time order. Answers out of time order (SMS and
/// e-mail replies days later) land in the middle: the slot is guessed from
/// where `t` falls between the oldest and newest time, then walked to,
/// which takes a step or two when the times are spread evenly; a binary
/// search if not.
pub(crate) fn position<T>(
    slots: &VecDeque<T>,
    t: i64,
    time: impl Fn(&T) -> i64,
) -> Result<usize, usize> {
    let n = slots.len();
    if n == 0 {
        return Err(0);
    }
    let (oldest, newest) = (time(&slots[0]), time(&slots[n - 1]));
    if t <= oldest {
        return if t == oldest { Ok(0) } else { Err(0) };
    }
    if t >= newest {
        return if t == newest { Ok(n - 1) } else { Err(n) };
    }
    // oldest < t < newest, so the guess is below n - 1.
    let Some(scaled) = ((t - oldest) as u64).checked_mul(n as u64 - 1) else {
        return slots.binary_search_by_key(&t, time);
    };
    let mut i = (scaled / (newest - oldest) as u64) as usize;
    for _ in 0..8 {
        let here = time(&slots[i]);
        if here == t {
            return Ok(i);
        }
        if here > t {
            if time(&slots[i - 1]) < t {
                return Err(i);
            }
            i -= 1;
        } else {
            if i + 1 == n || time(&slots[i + 1]) > t {
                return Err(i + 1);
            }
            i += 1;
        }
    }
    slots.binary_search_by_key(&t, time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn position_agrees_with_a_binary_search(
            times in prop::collection::btree_set(0i64..2_000, 0..300),
            probe in 0i64..2_000,
        ) {
            let slots: VecDeque<i64> = times.into_iter().collect();
            let expected = slots.binary_search(&probe);
            prop_assert_eq!(position(&slots, probe, |t| *t), expected);
        }
    }
}
