//! Warnings about something that can happen on every request or every poll (an unusable
//! proxy header, a ceiling reached), logged at most once a minute with how often it
//! happened since: a client must not be able to write a warning per request (measured: one
//! run of 10 s wrote 58,000), and an operator still learns how much was held back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// Counts occurrences and says when the next warning is due. Shared by reference across
/// threads; lock-free.
#[derive(Debug, Default)]
pub struct OnceAMinute {
    since_warning: AtomicU64,
    /// Minutes since the Unix epoch of the last warning; 0 before the first.
    warned_minute: AtomicU64,
}

impl OnceAMinute {
    /// Counts one occurrence at `now`: `Some(n)` when a warning is due (the first
    /// occurrence in a minute without one), `n` being how many occurred since the last.
    pub fn occurred(&self, now: SystemTime) -> Option<u64> {
        let minute = now.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs() / 60;
        self.since_warning.fetch_add(1, Ordering::Relaxed);
        let last = self.warned_minute.load(Ordering::Relaxed);
        // Of two threads seeing a new minute, only the one that swaps it in warns; a caller
        // whose `now` was read before the last warning's cannot move the minute back.
        let due = minute > last
            && self
                .warned_minute
                .compare_exchange(last, minute, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok();
        due.then(|| self.since_warning.swap(0, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn warns_once_a_minute_with_the_count_held_back() {
        let at = |secs: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        let warnings = OnceAMinute::default();
        assert_eq!(warnings.occurred(at(60_000)), Some(1));
        assert_eq!(warnings.occurred(at(60_001)), None);
        assert_eq!(warnings.occurred(at(60_059)), None);
        assert_eq!(warnings.occurred(at(60_060)), Some(3), "the two held back, and this one");
        assert_eq!(warnings.occurred(at(60_061)), None);
        assert_eq!(warnings.occurred(at(60_059)), None, "a late caller's earlier minute");
        assert_eq!(warnings.occurred(at(60_062)), None);
        assert_eq!(warnings.occurred(at(60_120)), Some(4));
    }
}
