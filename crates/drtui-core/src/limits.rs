//! Bounds on what input may ask for, so a typo of twenty zeros is a located error instead of
//! an arithmetic overflow at 03:00.

use std::time::Duration;

/// The longest duration a runbook step may name (timeouts, waits, budgets).
pub(crate) const MAX_RUNBOOK_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);
/// The longest poll interval, call timeout or connect timeout a pair may set.
pub(crate) const MAX_POLL_DURATION: Duration = Duration::from_secs(3600);
/// The longest RPO budget or approval window a pair may set.
pub(crate) const MAX_POLICY_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);

/// A positive humantime duration of at most `max`, or why not.
pub fn duration(value: &str, max: Duration) -> Result<Duration, String> {
    let parsed = humantime::parse_duration(value).map_err(|_| {
        format!("`{value}` is not a duration (expected e.g. \"30s\", \"5m\" or \"1m 30s\")")
    })?;
    if parsed.is_zero() {
        return Err(format!("`{value}` is not a positive duration"));
    }
    if parsed > max {
        return Err(format!(
            "`{value}` is longer than the {} allowed",
            humantime::format_duration(max)
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_positive_and_bounded() {
        let hour = Duration::from_secs(3600);
        assert_eq!(duration("5s", hour), Ok(Duration::from_secs(5)));
        assert!(duration("0s", hour).is_err());
        assert!(duration("soon", hour).is_err());
        let huge = duration("10000000000000000000s", hour).expect_err("too long");
        assert!(huge.contains("longer than the 1h allowed"), "{huge}");
    }
}
