//! How dates, times and money read to a Japanese (or English) reader.
//!
//! These are the template filters' engines, kept free of template types so
//! they can be tested alone.

use crate::when::{When, jst};
use chrono::{Datelike, NaiveDate, Timelike};

/// The two languages the portal is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Ja, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The URL prefix of the language: Japanese lives at the root.
    pub fn prefix(self) -> &'static str {
        match self {
            Lang::Ja => "",
            Lang::En => "/en",
        }
    }
}

const WEEKDAYS_JA: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

/// `2027年2月15日（月）`, or `Mon 15 Feb 2027`.
pub fn date(day: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!(
            "{}年{}月{}日（{}）",
            day.year(),
            day.month(),
            day.day(),
            WEEKDAYS_JA[day.weekday().num_days_from_monday() as usize]
        ),
        Lang::En => day.format("%a %-d %b %Y").to_string(),
    }
}

/// The Japanese era form `令和9年2月15日（月）`, which public bodies still use
/// in formal notices. English has no era form and gets the Western date.
pub fn date_wareki(day: NaiveDate, lang: Lang) -> String {
    if lang == Lang::En {
        return date(day, lang);
    }
    let weekday = WEEKDAYS_JA[day.weekday().num_days_from_monday() as usize];
    match era(day) {
        Some((name, year)) => {
            let year = if year == 1 {
                "元".to_string()
            } else {
                year.to_string()
            };
            format!(
                "{name}{year}年{}月{}日（{weekday}）",
                day.month(),
                day.day()
            )
        }
        None => date(day, lang),
    }
}

/// The era and the year within it, for the eras a living reader meets.
fn era(day: NaiveDate) -> Option<(&'static str, i32)> {
    let eras = [
        ("令和", NaiveDate::from_ymd_opt(2019, 5, 1)?),
        ("平成", NaiveDate::from_ymd_opt(1989, 1, 8)?),
        ("昭和", NaiveDate::from_ymd_opt(1926, 12, 25)?),
    ];
    eras.iter()
        .find(|(_, first)| day >= *first)
        .map(|(name, first)| (*name, day.year() - first.year() + 1))
}

/// `13:30`, in Japan time whatever offset the value was written with.
pub fn time(when: When) -> Option<String> {
    match when {
        When::Day(_) => None,
        When::At(at) => {
            let at = at.with_timezone(&jst());
            Some(format!("{:02}:{:02}", at.hour(), at.minute()))
        }
    }
}

/// A date in the Western or (with `era`) the Japanese era form.
pub fn date_in(day: NaiveDate, lang: Lang, era: bool) -> String {
    if era {
        date_wareki(day, lang)
    } else {
        date(day, lang)
    }
}

/// A date with its time when it has one: `2027年2月15日（月）13:30`.
pub fn date_time(when: When, lang: Lang, era: bool) -> String {
    let day = date_in(when.day(), lang, era);
    match time(when) {
        Some(t) if lang == Lang::En => format!("{day}, {t}"),
        Some(t) => format!("{day} {t}"),
        None => day,
    }
}

/// An event's span as one phrase: the end's date is left out when it is the
/// same day, as a Japanese notice writes it (`13:30〜16:00`).
pub fn span(start: When, end: When, lang: Lang, era: bool) -> String {
    let dash = if lang == Lang::Ja { "〜" } else { " – " };
    let first = date_time(start, lang, era);
    if start == end {
        return first;
    }
    if start.day() == end.day() {
        return match time(end) {
            Some(t) => format!("{first}{dash}{t}"),
            None => first,
        };
    }
    format!("{first}{dash}{}", date_time(end, lang, era))
}

/// Yen as a Japanese reader writes large sums (`7億2,000万円`), or as an
/// English reader does (`¥720,000,000`).
pub fn yen(amount: i64, lang: Lang) -> String {
    match lang {
        Lang::En => {
            let sign = if amount < 0 { "-" } else { "" };
            format!("{sign}¥{}", group_thousands(amount.unsigned_abs()))
        }
        Lang::Ja => {
            let sign = if amount < 0 { "-" } else { "" };
            let mut rest = amount.unsigned_abs();
            if rest == 0 {
                return "0円".to_string();
            }
            let mut text = String::new();
            for (unit, size) in [
                ("兆", 1_000_000_000_000u64),
                ("億", 100_000_000),
                ("万", 10_000),
            ] {
                if rest >= size {
                    text.push_str(&group_thousands(rest / size));
                    text.push_str(unit);
                    rest %= size;
                }
            }
            if rest > 0 {
                text.push_str(&group_thousands(rest));
            }
            format!("{sign}{text}円")
        }
    }
}

/// `1234567` → `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn japanese_dates_carry_the_weekday() {
        assert_eq!(date(d(2027, 2, 15), Lang::Ja), "2027年2月15日（月）");
        assert_eq!(date(d(2027, 2, 15), Lang::En), "Mon 15 Feb 2027");
    }

    #[test]
    fn era_years_start_at_gannen() {
        assert_eq!(
            date_wareki(d(2027, 2, 15), Lang::Ja),
            "令和9年2月15日（月）"
        );
        assert_eq!(date_wareki(d(2019, 5, 1), Lang::Ja), "令和元年5月1日（水）");
        assert_eq!(
            date_wareki(d(2019, 4, 30), Lang::Ja),
            "平成31年4月30日（火）"
        );
        assert_eq!(date_wareki(d(1953, 8, 1), Lang::Ja), "昭和28年8月1日（土）");
    }

    #[test]
    fn spans_leave_out_the_repeated_day() {
        let start = When::parse("2027-02-15T13:30:00").unwrap();
        let end = When::parse("2027-02-15T16:00:00").unwrap();
        assert_eq!(
            span(start, end, Lang::Ja, false),
            "2027年2月15日（月） 13:30〜16:00"
        );
        let next = When::parse("2027-02-17").unwrap();
        assert_eq!(
            span(When::parse("2027-02-15").unwrap(), next, Lang::Ja, false),
            "2027年2月15日（月）〜2027年2月17日（水）"
        );
        assert_eq!(
            span(start, end, Lang::En, false),
            "Mon 15 Feb 2027, 13:30 – 16:00"
        );
    }

    #[test]
    fn spans_can_use_the_era() {
        let start = When::parse("2027-02-15T13:30:00").unwrap();
        assert_eq!(
            span(start, start, Lang::Ja, true),
            "令和9年2月15日（月） 13:30"
        );
    }

    #[test]
    fn times_are_shown_in_japan_time() {
        let utc = When::parse("2027-02-15T04:30:00Z").unwrap();
        assert_eq!(time(utc).as_deref(), Some("13:30"));
    }

    #[test]
    fn yen_in_japanese_units_and_english_digits() {
        assert_eq!(yen(720_000_000, Lang::Ja), "7億2,000万円");
        assert_eq!(yen(120_034_500, Lang::Ja), "1億2,003万4,500円");
        assert_eq!(yen(1_500_000, Lang::Ja), "150万円");
        assert_eq!(yen(5_000, Lang::Ja), "5,000円");
        assert_eq!(yen(0, Lang::Ja), "0円");
        assert_eq!(yen(720_000_000, Lang::En), "¥720,000,000");
        assert_eq!(yen(999, Lang::En), "¥999");
    }
}
