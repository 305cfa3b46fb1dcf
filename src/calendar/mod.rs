//! Working-time arithmetic for case time limits (案卷处置时限): the statutory holiday table
//! (法定节假日 and make-up working days 调休), working-time schemes (office hours 08:00–12:00 and
//! 14:00–18:00, or 24 h duty for emergencies), deadlines counted in working minutes, and the
//! warning light (预警: green, yellow, red).
//!
//! What it is for: turning "4 working hours from dispatch" into an absolute deadline, and
//! measuring how much of a limit a case has used, fast enough to recompute every open case each
//! second. The arithmetic works a day at a time and skips runs of whole days with a weekday
//! formula plus a look-up of the listed holidays; it never steps minute by minute.
//!
//! What it must not do: read files, touch the database or the UI (holiday files are embedded at
//! compile time or handed in as text, and [`HolidayTable::entries`] gives the store what to save);
//! know about cases or their states (pausing the clock while a case is deferred 缓办 or in the
//! backlog ledger 挂账 is the workflow's job); handle time zones. Every time here is a naive China
//! wall-clock time (UTC+8), the way the crate stores all times.
//!
//! Years the holiday table does not cover follow the plain rule: Monday to Friday are working days,
//! Saturday and Sunday are not.

mod holidays;
mod limits;
mod scheme;
mod work_calendar;

pub use holidays::HolidayTable;
pub use limits::{DeadlineLight, LimitUnit, allowed_minutes, deadline_from, elapsed_minutes, light_for, overrun_ratio};
pub use scheme::WorkScheme;
pub use work_calendar::WorkCalendar;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};

/// China Standard Time is UTC+8 all year (no daylight saving time since 1991).
/// China Standard Time is UTC+8 all year (no daylight saving).
pub const CHINA_OFFSET: TimeDelta = TimeDelta::hours(8);

/// What can go wrong when reading a holiday table or checking a working-time scheme.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The text is not JSON in the holiday-cn layout (`{"year": …, "days": [{"name", "date", "isOffDay"}]}`).
    #[error("holiday table is not valid holiday-cn JSON: {0}")]
    InvalidJson(#[source] serde_json::Error),

    /// One entry of `days` has a date that is not `YYYY-MM-DD`.
    #[error("holiday table for {year}, day #{index} ({name}): date {text:?} is not a YYYY-MM-DD date")]
    InvalidDate {
        year: i32,
        /// Position in the `days` array, counted from 0.
        index: usize,
        name: String,
        text: String,
        #[source]
        source: chrono::ParseError,
    },

    /// A listed date lies more than a year away from the file's `year`: most likely the wrong file.
    #[error("holiday table for {year} lists {date} ({name}), which is not in or next to {year}")]
    DateOutsideYear { year: i32, date: NaiveDate, name: String },

    /// The same date is listed both as a day off and as a make-up working day (调休).
    #[error("holiday table for {year} lists {date} twice, once as a day off and once as a make-up working day")]
    ConflictingDay { year: i32, date: NaiveDate },

    /// A daily window of a working-time scheme ends before it starts.
    #[error("working-time scheme {scheme:?}: window {start}–{end} ends before it starts (write 00:00 as the end for midnight)")]
    InvalidWindow { scheme: String, start: NaiveTime, end: NaiveTime },

    /// A working-time scheme has no working time at all, so no deadline could ever be reached.
    #[error("working-time scheme {scheme:?} has no working time in the day")]
    NoWorkingTime { scheme: String },
}

/// The current China Standard Time (UTC+8 wall clock), as the naive time the crate stores.
///
/// Independent of the computer's own time zone setting.
pub fn china_now() -> NaiveDateTime {
    china_from_utc(Utc::now().naive_utc())
}

/// China local time of a UTC moment (saturating at the end of time).
#[must_use]
pub fn china_from_utc(utc: NaiveDateTime) -> NaiveDateTime {
    utc.checked_add_signed(CHINA_OFFSET).unwrap_or(NaiveDateTime::MAX)
}

/// Formats a China local time as a GeoPackage DATETIME (UTC, `2026-11-25T01:30:00.000Z`).
#[must_use]
pub fn utc_text_from_local(local: NaiveDateTime) -> String {
    (local - CHINA_OFFSET).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Parses a GeoPackage DATETIME (UTC, with or without the `Z`, `T` or a space between date and
/// time) into China local time. The form the store writes (`2026-11-25T01:30:00.000Z`) is read
/// without chrono's general parser, which dominates reading half a million audit entries.
#[must_use]
pub fn local_from_utc_text(text: &str) -> Option<NaiveDateTime> {
    let utc = match stored_utc(text) {
        Some(parsed) => Some(parsed),
        None => {
            let trimmed = text.trim_end_matches('Z');
            NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%d %H:%M:%S%.f"))
                .ok()
        }
    };
    utc.map(china_from_utc)
}

/// The store's own DATETIME form, `YYYY-MM-DDTHH:MM:SS.mmmZ`, read digit by digit; `None` for
/// any other text or an impossible date.
fn stored_utc(text: &str) -> Option<NaiveDateTime> {
    let bytes = text.as_bytes();
    let fixed = bytes.len() == 24
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':'
        && bytes[19] == b'.'
        && bytes[23] == b'Z';
    if !fixed {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        bytes[from..to].iter().try_fold(0u32, |sum, byte| byte.is_ascii_digit().then(|| sum * 10 + u32::from(byte - b'0')))
    };
    let year = i32::try_from(number(0, 4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5, 7)?, number(8, 10)?)?.and_hms_milli_opt(
        number(11, 13)?,
        number(14, 16)?,
        number(17, 19)?,
        number(20, 23)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_read_like_the_general_parser() {
        for text in ["2026-11-25T01:30:00.000Z", "2025-12-31T16:00:00.123Z", "2026-02-28T23:59:59.999Z"] {
            let general = NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f").ok();
            assert_eq!(stored_utc(text), general, "{text}");
        }
        for text in ["2026-11-25 01:30:00", "2026-11-25T01:30:00Z"] {
            assert_eq!(local_from_utc_text(text), NaiveDateTime::parse_from_str("2026-11-25 09:30:00", "%Y-%m-%d %H:%M:%S").ok(), "{text}");
        }
        assert_eq!(local_from_utc_text("2026-13-25T01:30:00.000Z"), None);
        assert_eq!(local_from_utc_text("2026-1x-25T01:30:00.000Z"), None);
    }

    #[test]
    fn china_now_is_eight_hours_ahead_of_utc() {
        let expected = Utc::now().naive_utc() + TimeDelta::hours(8);
        let difference_s = (china_now() - expected).num_seconds().abs();
        assert!(difference_s < 5, "china_now is {difference_s} s away from UTC+8");
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let error =
            HolidayTable::from_holiday_cn_json(r#"{"year": 2026, "days": [{"name": "元旦", "date": "2026-13-01", "isOffDay": true}]}"#)
                .expect_err("month 13 is not a date");
        let message = error.to_string();
        assert!(message.contains("2026-13-01"), "{message}");
        assert!(message.contains("#0"), "{message}");
        assert!(message.contains("元旦"), "{message}");
    }
}
