//! Spans of simulated time as scenario files and the command line write
//! them: `90s`, `15m`, `3h`, `2d`, `1w`, or combined (`1d12h`). Incident
//! times may also be a share of the run (`40%`), so one scenario fits a
//! one-hour demo and a month-long benchmark alike.

use chrono::TimeDelta;

/// Parses a span such as `90s`, `15m`, `3h`, `2d`, `1w` or `1d12h`.
pub fn parse_span(text: &str) -> Result<TimeDelta, String> {
    let bad = || {
        format!("'{text}' is not a time span: write a number with a unit, e.g. 90s, 15m, 3h, 2d, 1w or 1d12h")
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    let mut total = TimeDelta::zero();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        let part = match c {
            's' => TimeDelta::try_seconds(n),
            'm' => TimeDelta::try_minutes(n),
            'h' => TimeDelta::try_hours(n),
            'd' => TimeDelta::try_days(n),
            'w' => TimeDelta::try_weeks(n),
            _ => None,
        };
        total = part.and_then(|p| total.checked_add(&p)).ok_or_else(bad)?;
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    Ok(total)
}

/// A span as written in a scenario: fixed, or a share of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Span {
    /// A fixed span of simulated time.
    Fixed(TimeDelta),
    /// A share of the run's duration, 0..=1.
    Share(f64),
}

impl Span {
    pub(crate) fn parse(text: &str) -> Result<Span, String> {
        match text.trim().strip_suffix('%') {
            Some(number) => match number.trim().parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => Ok(Span::Share(p / 100.0)),
                _ => Err(format!(
                    "'{text}' is not a share of the run: write 0% to 100%"
                )),
            },
            None => parse_span(text).map(Span::Fixed),
        }
    }

    /// The span within a run of `run` length.
    pub(crate) fn resolve(self, run: TimeDelta) -> TimeDelta {
        match self {
            Span::Fixed(d) => d,
            Span::Share(p) => TimeDelta::milliseconds((run.num_milliseconds() as f64 * p) as i64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_parse_with_units_and_combinations() {
        assert_eq!(parse_span("90s").unwrap(), TimeDelta::seconds(90));
        assert_eq!(parse_span("15m").unwrap(), TimeDelta::minutes(15));
        assert_eq!(parse_span("1d12h").unwrap(), TimeDelta::hours(36));
        assert_eq!(parse_span("1w").unwrap(), TimeDelta::days(7));
        for bad in ["", "3", "h", "3x", "1.5h", "-2d"] {
            assert!(parse_span(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shares_resolve_against_the_run() {
        let day = TimeDelta::days(1);
        assert_eq!(
            Span::parse("50%").unwrap().resolve(day),
            TimeDelta::hours(12)
        );
        assert_eq!(Span::parse("2h").unwrap().resolve(day), TimeDelta::hours(2));
        assert!(Span::parse("150%").is_err());
    }
}
