//! Time as the store and the token see it: whole seconds since the Unix
//! epoch (milliseconds for a ULID's and a metric's time).
//!
//! Every function that depends on the clock takes `now` as an argument, so the
//! tests can place a call in the future without waiting for it.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (0 for a clock set before it).
pub fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Milliseconds since the Unix epoch (0 for a clock set before it).
pub fn unix_millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The monotonic instant of the wall-clock `deadline` (a Lambda
/// invocation's, say), as seen now: now itself once it has passed.
pub fn instant_of(deadline: SystemTime) -> Instant {
    Instant::now()
        + deadline
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
}

/// The instant `secs` seconds after the Unix epoch.
pub fn from_unix_seconds(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epochs_units_agree() {
        let at = UNIX_EPOCH + Duration::from_micros(1_800_000_000_123_456);
        assert_eq!(unix_seconds(at), 1_800_000_000);
        assert_eq!(unix_millis(at), 1_800_000_000_123);
        assert_eq!(unix_millis(UNIX_EPOCH - Duration::from_secs(1)), 0);
    }

    #[test]
    fn a_deadline_is_the_same_moment_on_the_monotonic_clock() {
        let before = Instant::now();
        let ahead = instant_of(SystemTime::now() + Duration::from_secs(30));
        let waited = ahead.duration_since(before);
        assert!(
            waited > Duration::from_secs(29) && waited <= Duration::from_secs(31),
            "{waited:?}"
        );
        let passed = instant_of(SystemTime::now() - Duration::from_secs(30));
        assert!(
            passed.duration_since(before) < Duration::from_secs(1),
            "now, not earlier"
        );
    }
}
