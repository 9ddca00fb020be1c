//! Counting an account's security events per day and kind, for the activity report.

use crate::entities::security_event;
use crate::services::activity::ACTIVITY_REPORT_ASKED;

/// Days the report covers, today (UTC) included.
pub const DAYS: usize = 30;
const DAY_SECS: i64 = 86_400;

/// One day's events, by what they did to the account's access.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Day {
    /// Unix seconds of the day's start (UTC).
    pub start: i64,
    pub sign_ins: u32,
    /// Personal links created, report links emailed, shares made.
    pub issued: u32,
    /// Personal links, report links, shares and other browsers' sessions ended.
    pub revoked: u32,
    /// Signing out everywhere and email changes.
    pub account: u32,
}

impl Day {
    pub fn total(&self) -> u32 {
        self.sign_ins + self.issued + self.revoked + self.account
    }
}

/// The first second of the earliest day covered when today is `now`'s day.
pub fn first_day_start(now_secs: i64) -> i64 {
    now_secs.div_euclid(DAY_SECS) * DAY_SECS - (DAYS as i64 - 1) * DAY_SECS
}

/// `events` (any order; those outside the covered days are ignored) per day, oldest first,
/// every covered day present.
pub fn per_day(events: &[security_event::Model], now_secs: i64) -> Vec<Day> {
    let first = first_day_start(now_secs);
    let mut days: Vec<Day> =
        (0..DAYS as i64).map(|n| Day { start: first + n * DAY_SECS, ..Day::default() }).collect();
    for event in events {
        let Ok(index) = usize::try_from((event.created_at - first).div_euclid(DAY_SECS)) else {
            continue;
        };
        let Some(day) = days.get_mut(index) else { continue };
        match event.kind.as_str() {
            "signed_in_link" | "signed_in_code" | "signed_in_personal_link" => day.sign_ins += 1,
            "personal_link_created" | "report_link_emailed" | "shared" => day.issued += 1,
            "personal_link_revoked" | "report_link_revoked" | "share_revoked" | "session_ended" => {
                day.revoked += 1
            }
            // Asking for this report is no change to the account's access.
            ACTIVITY_REPORT_ASKED => {}
            _ => day.account += 1,
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, at: i64) -> security_event::Model {
        security_event::Model {
            id: 0,
            user_id: 1,
            kind: kind.to_owned(),
            detail: None,
            ip: None,
            user_agent: None,
            created_at: at,
        }
    }

    #[test]
    fn events_land_on_their_day_and_kind() {
        let now: i64 = 1_700_000_000;
        let today = now.div_euclid(DAY_SECS) * DAY_SECS;
        let events = [
            event("signed_in_link", now),
            event("signed_in_code", today),
            event("shared", today - 1),
            event("share_revoked", today - 1),
            event("email_changed", first_day_start(now)),
            // Asking for the report is not an event of the account's access.
            event(ACTIVITY_REPORT_ASKED, now),
            // Before the first day, and in the future: not counted.
            event("signed_in_link", first_day_start(now) - 1),
            event("signed_in_link", today + DAY_SECS),
        ];
        let days = per_day(&events, now);
        assert_eq!(days.len(), DAYS);
        assert_eq!(days[DAYS - 1].start, today);
        assert_eq!((days[DAYS - 1].sign_ins, days[DAYS - 1].total()), (2, 2));
        assert_eq!((days[DAYS - 2].issued, days[DAYS - 2].revoked), (1, 1));
        assert_eq!(days[0].account, 1);
        assert_eq!(days.iter().map(Day::total).sum::<u32>(), 5);
    }
}
