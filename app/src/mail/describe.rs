//! Words for what a message mentions: durations, browsers, times.

use std::time::{Duration, SystemTime};

/// `15 minutes`, `1 hour`, `90 minutes`, `45 seconds`: whole minutes from a minute up,
/// rounded up, since times are stored in whole seconds and a link issued at 12:00:00.9
/// has 14 min 59.1 s left at once, which people call 15 minutes.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    // Past two hours, to the nearest hour (and whole days from two days up): nobody reads
    // "1,439 minutes".
    let hours = (secs + 1800) / 3600;
    let (n, unit) = if secs > 2 * 3600 {
        if hours >= 48 && hours.is_multiple_of(24) { (hours / 24, "day") } else { (hours, "hour") }
    } else if secs >= 3600 && secs.is_multiple_of(3600) {
        (secs / 3600, "hour")
    } else if secs >= 60 {
        (secs.div_ceil(60), "minute")
    } else {
        (secs, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// `Chrome on Linux`, from a User-Agent header; `an unknown browser` when it says nothing.
pub fn browser(user_agent: &str) -> String {
    match woothee::parser::Parser::new().parse(user_agent) {
        Some(found) if found.name != "UNKNOWN" && found.os != "UNKNOWN" => {
            format!("{} on {}", found.name, found.os)
        }
        Some(found) if found.name != "UNKNOWN" => found.name.to_owned(),
        _ if user_agent.is_empty() => "an unknown browser".to_owned(),
        _ => "an unrecognised browser".to_owned(),
    }
}

/// A report title for a subject line. Titles are one line already (see `Draft`); bounded
/// so a subject stays readable.
pub fn subject_title(title: &str) -> String {
    let mut subject: String = title.chars().take(80).collect();
    if title.chars().count() > 80 {
        subject.push('…');
    }
    subject
}

/// `123 456`: a code as people read it aloud and type it.
pub fn spaced_code(code: &crate::domain::SignInCode) -> String {
    let code = code.as_str();
    format!("{} {}", &code[..3], &code[3..])
}

/// `2026-11-24 15:04 UTC`.
pub fn utc_time(time: SystemTime) -> String {
    let secs = time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(0), 0)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(duration(Duration::from_secs(900)), "15 minutes");
        assert_eq!(duration(Duration::from_secs(3600)), "1 hour");
        assert_eq!(duration(Duration::from_secs(90)), "2 minutes");
        assert_eq!(duration(Duration::from_millis(899_100)), "15 minutes");
        assert_eq!(duration(Duration::from_secs(300)), "5 minutes");
        assert_eq!(duration(Duration::from_millis(2_300)), "3 seconds");
        assert_eq!(duration(Duration::from_secs(60)), "1 minute");
        assert_eq!(duration(Duration::from_millis(86_399_100)), "24 hours");
        assert_eq!(duration(Duration::from_secs(7 * 86_400 - 5)), "7 days");
        assert_eq!(duration(Duration::from_secs(3 * 3600 + 600)), "3 hours");
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(browser(chrome), "Chrome on Linux");
        assert_eq!(browser(""), "an unknown browser");
        assert_eq!(utc_time(SystemTime::UNIX_EPOCH), "1970-01-01 00:00 UTC");
    }
}
