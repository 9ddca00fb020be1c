//! Unix seconds, the unit every time column of the sign-in tables uses.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub fn unix_secs(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

pub fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}
