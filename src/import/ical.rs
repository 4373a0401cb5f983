//! `kpot import ical URL|FILE --org ORG`: a partner's calendar feed (as
//! Google Calendar, Outlook or Garoon export it) as event files in
//! `content/events/<ORG>/`.
//!
//! Parsed with the `icalendar` crate (folded lines, escapes, `VALUE=DATE`,
//! `TZID`), times converted with `chrono-tz`, recurrences expanded with the
//! `rrule` crate from the start of today for `--months` months. A feed that
//! is not UTF-8 is decoded from its declared charset (`Content-Type:
//! text/calendar; charset=Shift_JIS`) or, failing that, as Shift_JIS when
//! it decodes cleanly as such.

use super::http::{Client, Politeness};
use super::{ImportError, Item, Summary, fail, quoted};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use icalendar::{CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, EventLike};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub struct Options {
    pub root: PathBuf,
    pub source: String,
    pub org: String,
    pub months: u32,
    pub politeness: Politeness,
    pub now: Option<String>,
    pub dry_run: bool,
}

/// At most this many occurrences of one recurring event are imported.
const MAX_OCCURRENCES: u16 = 400;

pub fn run(options: &Options) -> Result<Summary, ImportError> {
    let root = &options.root;
    let config =
        crate::config::load(root).map_err(|d| ImportError(d.render(crate::format::Lang::En)))?;
    let (data, _) = crate::data::load(root);
    let Some(org) = data.organization(&options.org) else {
        return fail(format!(
            "--org {}: not an organization in data/organizations.yaml",
            options.org
        ));
    };
    let org_name = org.name.get(crate::format::Lang::Ja).to_string();
    let now = super::now_jst(options.now.as_deref())?;
    let text = read_feed(&options.source, &config.base_url, &options.politeness)?;
    let unfolded = icalendar::parser::unfold(&text);
    let calendar: icalendar::Calendar = icalendar::parser::read_calendar(&unfolded)
        .map_err(|e| ImportError(format!("{}: not an iCalendar feed: {e}", options.source)))?
        .into();

    let source = format!("ical:{}", options.source);
    let folder = format!("content/events/{}", options.org);
    let window = Window {
        from: jst()
            .from_local_datetime(&now.date_naive().and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("a fixed offset is never ambiguous"),
        until: now + Duration::days(i64::from(options.months) * 31),
    };
    let events: Vec<&icalendar::Event> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    // Occurrences changed one by one (RECURRENCE-ID) replace the rule's.
    let overrides: BTreeSet<(String, String)> = events
        .iter()
        .filter_map(|e| Some((e.get_uid()?.to_string(), recurrence_key(e)?)))
        .collect();
    let mut summary = Summary::new(&source);
    let mut items = Vec::new();
    for event in events {
        let context = Context {
            folder: &folder,
            source: &source,
            org: &options.org,
            org_name: &org_name,
            window: &window,
            overrides: &overrides,
        };
        match items_of(event, &context, &mut summary) {
            Ok(mut more) => items.append(&mut more),
            Err(why) => summary.notes.push(format!(
                "event {}: not imported: {why}",
                event
                    .get_uid()
                    .or(event.get_summary())
                    .unwrap_or("(no UID)")
            )),
        }
    }
    super::plan(root, &folder, &source, &items, now, &mut summary)?;
    if !options.dry_run {
        super::apply(root, &mut summary)?;
    }
    Ok(summary)
}

fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00")
}

/// The feed's text, from the network or a file, decoded.
fn read_feed(source: &str, home: &str, politeness: &Politeness) -> Result<String, ImportError> {
    let (bytes, content_type) = if source.starts_with("http://") || source.starts_with("https://") {
        let answer = Client::new(home, politeness.clone()).get(source, &[])?;
        (answer.body, answer.content_type)
    } else {
        let bytes = std::fs::read(source)
            .map_err(|e| ImportError(format!("{source}: cannot read: {e}")))?;
        (bytes, None)
    };
    decode(&bytes, content_type.as_deref()).map_err(|why| ImportError(format!("{source}: {why}")))
}

/// The text of a feed: in its declared charset, else UTF-8, else Shift_JIS
/// if it decodes without errors as such.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Result<String, String> {
    let declared = content_type.and_then(|ct| {
        ct.split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
            .map(|(_, v)| v.trim().trim_matches('"').to_string())
    });
    let encoding = match &declared {
        Some(label) => encoding_rs::Encoding::for_label(label.as_bytes())
            .ok_or_else(|| format!("unknown charset `{label}`"))?,
        None if std::str::from_utf8(bytes).is_ok() => encoding_rs::UTF_8,
        None => encoding_rs::SHIFT_JIS,
    };
    let (text, _, errors) = encoding.decode(bytes);
    if errors {
        return Err(format!("not valid {} text", encoding.name()));
    }
    Ok(text.trim_start_matches('\u{feff}').to_string())
}

/// The range recurring events are expanded over.
struct Window {
    from: DateTime<FixedOffset>,
    until: DateTime<FixedOffset>,
}

struct Context<'a> {
    folder: &'a str,
    source: &'a str,
    org: &'a str,
    org_name: &'a str,
    window: &'a Window,
    overrides: &'a BTreeSet<(String, String)>,
}

/// A start or end: a day (all-day events) or a time in Japan time.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Moment {
    Day(NaiveDate),
    At(DateTime<FixedOffset>),
}

impl Moment {
    fn toml(self) -> String {
        match self {
            Moment::Day(d) => d.format("%Y-%m-%d").to_string(),
            Moment::At(t) => super::rfc3339(t),
        }
    }

    fn day(self) -> NaiveDate {
        match self {
            Moment::Day(d) => d,
            Moment::At(t) => t.date_naive(),
        }
    }
}

/// A time zone named by a `TZID`: an IANA name (Google) or the Windows
/// names Outlook writes for Japan.
fn zone(tzid: &str) -> Result<chrono_tz::Tz, String> {
    let name = tzid.trim_matches('"');
    let name = match name {
        "Tokyo Standard Time" | "(UTC+09:00) Osaka, Sapporo, Tokyo" | "JST" => "Asia/Tokyo",
        other => other.trim_start_matches('/'),
    };
    name.parse()
        .map_err(|_| format!("unknown time zone `{tzid}` (use an IANA name such as Asia/Tokyo)"))
}

fn moment(value: DatePerhapsTime) -> Result<Moment, String> {
    Ok(match value {
        DatePerhapsTime::Date(d) => Moment::Day(d),
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(t)) => Moment::At(t.with_timezone(&jst())),
        // A floating time is the partner's wall clock: Japan time.
        DatePerhapsTime::DateTime(CalendarDateTime::Floating(t)) => {
            Moment::At(local(t, chrono_tz::Asia::Tokyo)?)
        }
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid }) => {
            Moment::At(local(date_time, zone(&tzid)?)?)
        }
    })
}

fn local(t: NaiveDateTime, tz: chrono_tz::Tz) -> Result<DateTime<FixedOffset>, String> {
    tz.from_local_datetime(&t)
        .earliest()
        .map(|t| t.with_timezone(&jst()))
        .ok_or_else(|| format!("{t} does not exist in {tz}"))
}

/// The file items of one VEVENT: one, or one per occurrence in the window.
fn items_of(
    event: &icalendar::Event,
    context: &Context<'_>,
    summary: &mut Summary,
) -> Result<Vec<Item>, String> {
    let uid = event.get_uid().ok_or("no UID")?.to_string();
    let title = event
        .get_summary()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("no SUMMARY")?;
    let start = moment(event.get_start().ok_or("no DTSTART")?)?;
    let end = event.get_end().map(moment).transpose()?;
    let length = match (start, end) {
        (Moment::Day(s), Some(Moment::Day(e))) => Span::Days((e - s).num_days().max(1)),
        (Moment::At(s), Some(Moment::At(e))) => Span::Time(e - s),
        _ => Span::None,
    };
    let details = Details::of(event, title, context, summary);
    let recurrence_id = recurrence_key(event);
    let Some(rule) = event
        .property_value("RRULE")
        .filter(|_| recurrence_id.is_none())
    else {
        let id = match &recurrence_id {
            Some(r) => format!("{uid}/{r}"),
            None => uid.clone(),
        };
        return Ok(vec![details.item(&uid, &id, start, length, context)]);
    };
    let starts = expand(event, start, rule, context.window)?;
    let mut items = Vec::new();
    for occurrence in starts {
        let key = occurrence_key(occurrence);
        if context.overrides.contains(&(uid.clone(), key.clone())) {
            continue;
        }
        let id = format!("{uid}/{key}");
        items.push(details.item(&uid, &id, occurrence, length, context));
    }
    Ok(items)
}

/// The occurrence an event replaces (`RECURRENCE-ID`, in any time zone),
/// named as [`occurrence_key`] names the rule's occurrences.
fn recurrence_key(event: &icalendar::Event) -> Option<String> {
    let property = event
        .properties()
        .get("RECURRENCE-ID")
        .or_else(|| event.multi_properties().get("RECURRENCE-ID")?.first())?;
    let tzid = property.params().get("TZID").map(|p| p.value().to_string());
    match parse_exdate(property.value().trim(), tzid.as_deref()) {
        Ok(moment) => Some(occurrence_key(moment)),
        Err(_) => Some(property.value().trim().to_string()),
    }
}

/// How an occurrence is named, to match overrides.
fn occurrence_key(m: Moment) -> String {
    match m {
        Moment::Day(d) => d.format("%Y%m%d").to_string(),
        Moment::At(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y%m%dT%H%M%SZ")
            .to_string(),
    }
}

#[derive(Clone, Copy)]
enum Span {
    None,
    /// An all-day event's length; DTEND is exclusive.
    Days(i64),
    Time(Duration),
}

/// The starts of a recurring event within the window.
fn expand(
    event: &icalendar::Event,
    start: Moment,
    rule: &str,
    window: &Window,
) -> Result<Vec<Moment>, String> {
    let tz: rrule::Tz = chrono_tz::Asia::Tokyo.into();
    let to_tz = |t: DateTime<FixedOffset>| t.with_timezone(&tz);
    let dt_start = match start {
        Moment::Day(d) => tz
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .ok_or("no midnight")?,
        Moment::At(t) => to_tz(t),
    };
    let rrule: rrule::RRule<rrule::Unvalidated> =
        rule.parse().map_err(|e| format!("RRULE {rule}: {e}"))?;
    let rrule = rrule
        .validate(dt_start)
        .map_err(|e| format!("RRULE {rule}: {e}"))?;
    let mut set = rrule::RRuleSet::new(dt_start).rrule(rrule);
    for exdate in event.multi_properties().get("EXDATE").into_iter().flatten() {
        for value in exdate.value().split(',') {
            let tzid = exdate.params().get("TZID").map(|p| p.value().to_string());
            let moment = parse_exdate(value.trim(), tzid.as_deref())?;
            set = set.exdate(match moment {
                Moment::Day(d) => tz
                    .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
                    .single()
                    .ok_or("no midnight")?,
                Moment::At(t) => to_tz(t),
            });
        }
    }
    let result = set
        .after(to_tz(window.from))
        .before(to_tz(window.until))
        .all(MAX_OCCURRENCES);
    Ok(result
        .dates
        .into_iter()
        .map(|t| match start {
            Moment::Day(_) => Moment::Day(t.date_naive()),
            Moment::At(_) => Moment::At(t.with_timezone(&jst())),
        })
        .collect())
}

fn parse_exdate(value: &str, tzid: Option<&str>) -> Result<Moment, String> {
    if let Ok(d) = NaiveDate::parse_from_str(value, "%Y%m%d") {
        return Ok(Moment::Day(d));
    }
    if let Some(utc) = value.strip_suffix('Z') {
        let t = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
            .map_err(|e| format!("EXDATE {value}: {e}"))?;
        return Ok(Moment::At(
            chrono::Utc.from_utc_datetime(&t).with_timezone(&jst()),
        ));
    }
    let t = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S")
        .map_err(|e| format!("EXDATE {value}: {e}"))?;
    let tz = match tzid {
        Some(id) => zone(id)?,
        None => chrono_tz::Asia::Tokyo,
    };
    Ok(Moment::At(local(t, tz)?))
}

/// What every occurrence of an event shares.
struct Details {
    title: String,
    format: &'static str,
    venue: Option<String>,
    address: Option<String>,
    online_url: Option<String>,
    registration_url: Option<String>,
    cancelled: bool,
    body: String,
}

impl Details {
    fn of(
        event: &icalendar::Event,
        title: &str,
        context: &Context<'_>,
        summary: &mut Summary,
    ) -> Details {
        let location = event
            .get_location()
            .map(str::trim)
            .filter(|l| !l.is_empty());
        let description = event.get_description().unwrap_or("").trim();
        let location_url = location.filter(|l| is_link(l)).map(str::to_string);
        let place = location.filter(|l| !is_link(l));
        let text = format!("{title} {} {description}", location.unwrap_or(""));
        let online_words = ONLINE_WORDS.iter().any(|w| text.to_lowercase().contains(w));
        let (format, why) = match (place.is_some(), location_url.is_some() || online_words) {
            (true, true) => ("hybrid", "a place and an online link or word"),
            (false, true) => ("online", "LOCATION is a link or the text says online"),
            (true, false) => ("onsite", "LOCATION is a place"),
            (false, false) => ("onsite", "no LOCATION: assumed onsite, venue 未定"),
        };
        let uid = event.get_uid().unwrap_or("");
        summary
            .notes
            .push(format!("{uid}: format {format} ({why})"));
        let (venue, address) = match place {
            Some(place) => split_place(place),
            None if format == "onsite" => (Some("未定".to_string()), None),
            None => (None, None),
        };
        let online_url =
            location_url.or_else(|| first_link(description).filter(|_| format != "onsite"));
        let registration_url = event
            .get_url()
            .map(str::trim)
            .filter(|u| is_link(u))
            .map(str::to_string);
        let cancelled = event
            .property_value("STATUS")
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("CANCELLED"));
        let mut body = description_markdown(description);
        body.push_str(&format!(
            "この情報は{}のカレンダーから取り込みました。\n",
            context.org_name
        ));
        Details {
            title: title.to_string(),
            format,
            venue,
            address,
            online_url,
            registration_url,
            cancelled,
            body,
        }
    }

    fn item(
        &self,
        uid: &str,
        id: &str,
        start: Moment,
        length: Span,
        context: &Context<'_>,
    ) -> Item {
        let end = match (start, length) {
            (Moment::Day(d), Span::Days(n)) if n > 1 => {
                Some(Moment::Day(d + Duration::days(n - 1)))
            }
            (Moment::At(t), Span::Time(d)) if d > Duration::zero() => Some(Moment::At(t + d)),
            _ => None,
        };
        let name = format!(
            "{}-{}.md",
            start.day().format("%Y-%m-%d"),
            file_slug(uid, id)
        );
        let rel = Path::new(context.folder).join(name);
        let text = self.render_front(start, end, context.org, context.source, id);
        let body = self.body.clone();
        Item {
            rel,
            source_id: id.to_string(),
            render: Box::new(move |fetched| format!("{text}fetched = {fetched}\n+++\n\n{body}")),
        }
    }

    /// The front matter up to `fetched` (which [`Item::render`] adds).
    fn render_front(
        &self,
        start: Moment,
        end: Option<Moment>,
        org: &str,
        source: &str,
        id: &str,
    ) -> String {
        let mut out = format!("+++\ntitle = {}\n\n[extra]\n", quoted(&self.title));
        out += &format!("start = {}\n", start.toml());
        if let Some(end) = end {
            out += &format!("end = {}\n", end.toml());
        }
        out += &format!("format = {}\n", quoted(self.format));
        for (key, value) in [
            ("venue", &self.venue),
            ("address", &self.address),
            ("online_url", &self.online_url),
            ("registration_url", &self.registration_url),
        ] {
            if let Some(v) = value {
                out += &format!("{key} = {}\n", quoted(v));
            }
        }
        out += &format!("organizer = {}\n", quoted(org));
        if self.cancelled {
            out += "event_status = \"cancelled\"\n";
        }
        out += &format!("source = {}\nsource_id = {}\n", quoted(source), quoted(id));
        out
    }
}

/// Words that say an event happens online.
const ONLINE_WORDS: &[&str] = &[
    "オンライン",
    "zoom",
    "teams",
    "webex",
    "google meet",
    "ウェビナー",
    "webinar",
    "online",
];

fn is_link(text: &str) -> bool {
    (text.starts_with("https://") || text.starts_with("http://"))
        && !text.contains(char::is_whitespace)
}

fn first_link(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || "<>\"'（）()「」".contains(c))
        .find(|w| w.starts_with("https://"))
        .map(str::to_string)
}

/// `会場名, 住所` (how calendars write a place) as venue and address.
fn split_place(place: &str) -> (Option<String>, Option<String>) {
    match place.split_once([',', '、', '，']) {
        Some((venue, address)) if !venue.trim().is_empty() && !address.trim().is_empty() => (
            Some(venue.trim().to_string()),
            Some(address.trim().to_string()),
        ),
        _ => (Some(place.to_string()), None),
    }
}

/// A stable, readable part of a file name from the UID: its ASCII letters
/// and digits (before `@`), shortened, and a hash of the occurrence's id.
fn file_slug(uid: &str, id: &str) -> String {
    let local = uid.split('@').next().unwrap_or(uid);
    let mut slug = crate::content::load::slugify(local);
    slug.retain(|c| c.is_ascii_alphanumeric() || c == '-');
    let slug: String = slug.trim_matches('-').chars().take(24).collect();
    let hash = xxhash_rust::xxh3::xxh3_64(id.as_bytes());
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        format!("event-{:08x}", hash as u32)
    } else {
        format!("{slug}-{:06x}", hash & 0xff_ffff)
    }
}

/// A calendar's plain-text description as Markdown: Markdown's own signs
/// escaped, line breaks kept. HTML (Google Calendar writes some) is
/// sanitized and converted instead.
fn description_markdown(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    if ["<br", "<p>", "<a ", "<b>", "<ul>"]
        .iter()
        .any(|t| text.contains(t))
    {
        let markdown = super::html::to_markdown(text);
        return if markdown.is_empty() {
            markdown
        } else {
            markdown + "\n"
        };
    }
    let mut out = String::new();
    for paragraph in text.split("\n\n") {
        let lines: Vec<String> = paragraph
            .lines()
            .map(|l| escape_markdown(l.trim()))
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() {
            continue;
        }
        out.push_str(&lines.join("  \n"));
        out.push_str("\n\n");
    }
    out
}

fn escape_markdown(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for (i, c) in line.chars().enumerate() {
        if "\\`*_[]<>#|~".contains(c) || (i == 0 && "-+=>".contains(c)) {
            out.push('\\');
        }
        out.push(c);
    }
    // `1. ` at the start would be a list.
    if let Some(dot) = out.find(". ")
        && out[..dot].chars().all(|c| c.is_ascii_digit())
        && dot > 0
    {
        out.insert(dot, '\\');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_jis_is_decoded_when_declared_or_detected() {
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("件名:商談会");
        assert_eq!(
            decode(&bytes, Some("text/calendar; charset=Shift_JIS")).unwrap(),
            "件名:商談会"
        );
        assert_eq!(decode(&bytes, None).unwrap(), "件名:商談会");
        assert_eq!(
            decode("件名".as_bytes(), Some("text/calendar")).unwrap(),
            "件名"
        );
        assert!(decode(b"x", Some("text/calendar; charset=bogus")).is_err());
    }

    #[test]
    fn descriptions_are_escaped_and_places_split() {
        let md =
            description_markdown("# 見出しではない\n*強調*ではない\n1. 番号ではない\n\n<script>");
        assert!(md.starts_with("\\# 見出し"), "{md}");
        assert!(md.contains("\\*強調\\*"), "{md}");
        assert!(md.contains("1\\. 番号"), "{md}");
        assert!(md.contains("\\<script\\>"), "{md}");
        assert_eq!(
            split_place("産業振興センター, 横浜市中区尾上町5-80"),
            (
                Some("産業振興センター".into()),
                Some("横浜市中区尾上町5-80".into())
            )
        );
        assert_eq!(
            file_slug("abc@google.com", "abc"),
            file_slug("abc@google.com", "abc")
        );
        assert_ne!(
            file_slug("abc@google.com", "abc/1"),
            file_slug("abc@google.com", "abc/2")
        );
    }
}
