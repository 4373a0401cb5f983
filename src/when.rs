//! Points in time as the portal's content states them.
//!
//! Every date and every offset-less date-time in content is Japan time
//! (PORTAL.md). Japan has kept UTC+9 without daylight saving since 1951, so a
//! fixed offset is exact and we need no time-zone database.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use std::fmt;

/// The offset of Japan Standard Time.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("a valid offset")
}

/// A day, or an instant, written by an editor.
///
/// The distinction matters: a date-only `closes` or `end` lasts until the end
/// of that day, and a date-only event is an all-day event in calendars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum When {
    Day(NaiveDate),
    At(DateTime<FixedOffset>),
}

impl When {
    /// Parses a TOML/YAML date or date-time written as text (TOML datetimes
    /// reach us through their RFC 3339 display form).
    pub fn parse(text: &str) -> Result<When, String> {
        let text = text.trim();
        if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(When::Day(day));
        }
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Ok(When::At(at.with_timezone(&jst())));
        }
        // TOML's offset-less local date-times, with `T` or a space, with or
        // without seconds.
        for pattern in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ] {
            if let Ok(local) = NaiveDateTime::parse_from_str(text, pattern) {
                return Ok(When::At(from_jst_local(local)));
            }
        }
        Err(format!(
            "`{text}` is not a date (2027-02-15) or a date-time (2027-02-15T13:30:00)"
        ))
    }

    /// The first instant the value covers.
    pub fn start(self) -> DateTime<FixedOffset> {
        match self {
            When::Day(day) => from_jst_local(day.and_time(NaiveTime::MIN)),
            When::At(at) => at,
        }
    }

    /// The last instant the value covers: a bare date lasts until 23:59:59.
    pub fn end(self) -> DateTime<FixedOffset> {
        match self {
            When::Day(day) => from_jst_local(
                day.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time")),
            ),
            When::At(at) => at,
        }
    }

    /// The calendar day in Japan.
    pub fn day(self) -> NaiveDate {
        match self {
            When::Day(day) => day,
            When::At(at) => at.with_timezone(&jst()).date_naive(),
        }
    }

    pub fn has_time(self) -> bool {
        matches!(self, When::At(_))
    }

    pub fn year(self) -> i32 {
        self.day().year()
    }
}

impl fmt::Display for When {
    /// RFC 3339 for instants, ISO dates for days: what templates and JSON-LD
    /// receive, and what `When::parse` reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            When::Day(day) => write!(f, "{}", day.format("%Y-%m-%d")),
            When::At(at) => write!(f, "{}", at.format("%Y-%m-%dT%H:%M:%S%:z")),
        }
    }
}

fn from_jst_local(local: NaiveDateTime) -> DateTime<FixedOffset> {
    jst()
        .from_local_datetime(&local)
        .single()
        .expect("a fixed offset maps every local time exactly once")
}

/// "Now" for a build: the `--now` option when given (so output is
/// reproducible), the clock otherwise.
pub fn now_or(fixed: Option<&str>) -> Result<DateTime<FixedOffset>, String> {
    match fixed {
        Some(text) => When::parse(text).map(When::start),
        None => Ok(chrono::Utc::now().with_timezone(&jst())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_date_times_as_japan_time() {
        assert_eq!(
            When::parse("2027-02-15").unwrap(),
            When::Day(NaiveDate::from_ymd_opt(2027, 2, 15).unwrap())
        );
        let local = When::parse("2027-02-15T13:30:00").unwrap();
        assert_eq!(local.to_string(), "2027-02-15T13:30:00+09:00");
        let utc = When::parse("2027-02-15T04:30:00Z").unwrap();
        assert_eq!(utc, local);
        assert_eq!(When::parse("2027-02-15 13:30").unwrap(), local);
    }

    #[test]
    fn a_bare_date_lasts_the_whole_day() {
        let day = When::parse("2027-02-15").unwrap();
        assert_eq!(day.start().to_rfc3339(), "2027-02-15T00:00:00+09:00");
        assert_eq!(day.end().to_rfc3339(), "2027-02-15T23:59:59+09:00");
    }

    #[test]
    fn rejects_nonsense_with_an_example() {
        let err = When::parse("2027/02/30").unwrap_err();
        assert!(err.contains("2027-02-15"), "{err}");
        assert!(When::parse("2027-02-30").is_err());
    }
}
