//! Log lines on stderr in the seed's format: `2026-11-28 12:00:00,123 | INFO | message`.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// How serious a log line is; named as Python's `logging` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Progress.
    Info,
    /// A failure that the run recovers from or reports.
    Warning,
    /// A failure that ends the run.
    Error,
}

/// Writes one line to stderr, stamped with the current UTC time.
pub fn log(level: Level, message: &str) {
    let level = match level {
        Level::Info => "INFO",
        Level::Warning => "WARNING",
        Level::Error => "ERROR",
    };
    // One write for the whole line: stderr is unbuffered, and a run may log millions of lines.
    let line = format!("{} | {level} | {message}\n", timestamp(SystemTime::now()));
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// `YYYY-MM-DD HH:MM:SS,mmm` in UTC.
fn timestamp(now: SystemTime) -> String {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (year, month, day) = civil_from_days(secs / 86_400);
    let of_day = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02},{:03}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        since_epoch.subsec_millis()
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_known_instants() {
        let at = |secs: u64, ms: u64| {
            timestamp(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(ms))
        };
        assert_eq!(at(0, 0), "1970-01-01 00:00:00,000");
        assert_eq!(at(951_782_400, 7), "2000-02-29 00:00:00,007");
        assert_eq!(at(1_795_867_200 + 3723, 456), "2026-11-28 13:02:03,456");
    }
}
