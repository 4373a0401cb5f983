//! The content model: what a page or a section *is* once loaded.
//!
//! Typed sections (events, notices, programs) carry their fields as real
//! types so that later stages never re-parse strings.

use crate::format::Lang;
use crate::when::When;
use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Where a piece of content came from.
#[derive(Clone, Debug)]
pub struct Source {
    /// Absolute path on disk.
    pub path: PathBuf,
    /// Path relative to `content/`, `/`-separated: `events/kip/a.md`.
    pub rel: String,
    /// Path relative to the site root, as shown in diagnostics.
    pub display: PathBuf,
}

/// Zola's page front matter, shared by every page.
#[derive(Clone, Debug, Default)]
pub struct PageMeta {
    pub title: String,
    pub description: Option<String>,
    pub date: Option<When>,
    pub updated: Option<When>,
    pub draft: bool,
    pub slug: Option<String>,
    pub path: Option<String>,
    pub aliases: Vec<String>,
    pub weight: Option<i64>,
    pub template: Option<String>,
    pub in_search_index: bool,
    /// Taxonomy name → terms as written (labels or slugs).
    pub taxonomies: BTreeMap<String, Vec<String>>,
    /// `[extra]` as written, for templates of untyped sections.
    pub extra: Map<String, Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventFormat {
    Onsite,
    Online,
    Hybrid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    Scheduled,
    Cancelled,
    Postponed,
}

#[derive(Clone, Debug)]
pub struct Event {
    pub start: When,
    pub end: When,
    pub format: EventFormat,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub online_url: Option<String>,
    /// Yen; 0 is free.
    pub fee: Option<i64>,
    pub capacity: Option<i64>,
    pub registration_url: Option<String>,
    pub registration_deadline: Option<When>,
    pub organizer: String,
    pub co_organizers: Vec<String>,
    pub event_status: EventStatus,
    pub contact: Option<String>,
    /// Imported, and gone from its source since (`kpot import`).
    pub withdrawn: bool,
}

#[derive(Clone, Debug)]
pub struct Notice {
    pub opens: Option<When>,
    pub closes: When,
    pub max_amount: Option<i64>,
    pub subsidy_rate: Option<String>,
    pub eligibility: Option<String>,
    pub organizer: String,
    /// The body that runs the call, when the organizer only publishes it
    /// (jGrants lists calls of ministries and prefectures).
    pub issuer: Option<String>,
    pub official_url: Option<String>,
    /// Imported, and gone from its source since (`kpot import`).
    pub withdrawn: bool,
}

#[derive(Clone, Debug)]
pub struct Program {
    pub organizer: String,
    pub target: Option<String>,
    pub contact_phone: Option<String>,
    pub official_url: Option<String>,
}

#[derive(Clone, Debug)]
pub enum PageKind {
    Event(Event),
    Notice(Notice),
    Program(Program),
    Plain,
}

impl PageKind {
    pub fn name(&self) -> &'static str {
        match self {
            PageKind::Event(_) => "event",
            PageKind::Notice(_) => "notice",
            PageKind::Program(_) => "program",
            PageKind::Plain => "page",
        }
    }

    pub fn organizer(&self) -> Option<&str> {
        match self {
            PageKind::Event(e) => Some(&e.organizer),
            PageKind::Notice(n) => Some(&n.organizer),
            PageKind::Program(p) => Some(&p.organizer),
            PageKind::Plain => None,
        }
    }
}

/// Which typed section a content path belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionType {
    Events,
    Notices,
    Programs,
    Other,
}

impl SectionType {
    pub fn of(rel: &str) -> SectionType {
        match rel.split('/').next() {
            Some("events") => SectionType::Events,
            Some("notices") => SectionType::Notices,
            Some("programs") => SectionType::Programs,
            _ => SectionType::Other,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Page {
    pub source: Source,
    pub lang: Lang,
    /// The content path of the Japanese original (`events/kip/a.md`): the key
    /// that ties a page to its translation.
    pub key: String,
    pub meta: PageMeta,
    pub kind: PageKind,
    pub body: String,
    /// The file line where the body starts, so Markdown problems can be
    /// located.
    pub body_line: usize,
    /// The content path of the section folder holding the page (`events/kip`).
    pub section: String,
    /// The slug: front matter `slug`, else the file name without its date.
    pub slug: String,
    /// Co-located files to copy beside the page's output.
    pub assets: Vec<PathBuf>,
}

/// How a section orders its pages (Zola's `sort_by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    Date,
    UpdateDate,
    Title,
    TitleBytes,
    Weight,
    Slug,
    None,
}

#[derive(Clone, Debug)]
pub struct SectionMeta {
    pub title: Option<String>,
    pub description: Option<String>,
    pub sort_by: SortBy,
    pub paginate_by: Option<usize>,
    pub paginate_path: String,
    pub paginate_reversed: bool,
    pub transparent: bool,
    pub render: bool,
    pub template: Option<String>,
    pub page_template: Option<String>,
    pub weight: i64,
    pub redirect_to: Option<String>,
    pub in_search_index: bool,
    /// `None` when the section does not say (feeds then follow the type).
    pub generate_feeds: Option<bool>,
    pub draft: bool,
    pub extra: Map<String, Value>,
}

impl Default for SectionMeta {
    fn default() -> Self {
        SectionMeta {
            title: None,
            description: None,
            sort_by: SortBy::None,
            paginate_by: None,
            paginate_path: "page".into(),
            paginate_reversed: false,
            transparent: false,
            render: true,
            template: None,
            page_template: None,
            weight: 0,
            redirect_to: None,
            in_search_index: true,
            generate_feeds: None,
            draft: false,
            extra: Map::new(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Section {
    /// None for a folder that has no `_index.md` in this language.
    pub source: Option<Source>,
    pub lang: Lang,
    /// Folder path relative to `content/` (`""` for the home page).
    pub path: String,
    pub meta: SectionMeta,
    pub body: String,
    pub body_line: usize,
    pub assets: Vec<PathBuf>,
}

/// Statuses computed from "now" (PORTAL.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    // notices
    Open,
    Closing,
    Upcoming,
    Closed,
    // events
    Ongoing,
    Ended,
    Cancelled,
    Postponed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Closing => "closing",
            Status::Upcoming => "upcoming",
            Status::Closed => "closed",
            Status::Ongoing => "ongoing",
            Status::Ended => "ended",
            Status::Cancelled => "cancelled",
            Status::Postponed => "postponed",
        }
    }

    /// Whether the item belongs in the archive rather than the current list.
    pub fn is_past(self) -> bool {
        matches!(self, Status::Ended | Status::Closed)
    }
}

/// A notice closing within this many days is "closing soon" (締切間近).
pub const CLOSING_SOON_DAYS: i64 = 14;

impl Event {
    pub fn status(&self, now: DateTime<FixedOffset>) -> Status {
        match self.event_status {
            EventStatus::Cancelled => Status::Cancelled,
            EventStatus::Postponed => Status::Postponed,
            EventStatus::Scheduled if now < self.start.start() => Status::Upcoming,
            EventStatus::Scheduled if now <= self.end.end() => Status::Ongoing,
            EventStatus::Scheduled => Status::Ended,
        }
    }
}

impl Notice {
    pub fn status(&self, now: DateTime<FixedOffset>) -> Status {
        if let Some(opens) = self.opens
            && now < opens.start()
        {
            return Status::Upcoming;
        }
        let closes = self.closes.end();
        if now > closes {
            Status::Closed
        } else if closes - now <= chrono::Duration::days(CLOSING_SOON_DAYS) {
            Status::Closing
        } else {
            Status::Open
        }
    }
}

impl PageKind {
    pub fn status(&self, now: DateTime<FixedOffset>) -> Option<Status> {
        match self {
            PageKind::Event(e) => Some(e.status(now)),
            PageKind::Notice(n) => Some(n.status(now)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now(text: &str) -> DateTime<FixedOffset> {
        When::parse(text).unwrap().start()
    }

    fn notice(opens: &str, closes: &str) -> Notice {
        Notice {
            opens: Some(When::parse(opens).unwrap()),
            closes: When::parse(closes).unwrap(),
            max_amount: None,
            subsidy_rate: None,
            eligibility: None,
            organizer: "kip".into(),
            issuer: None,
            official_url: None,
            withdrawn: false,
        }
    }

    #[test]
    fn notice_statuses_follow_the_window() {
        let n = notice("2027-01-10", "2027-03-31");
        assert_eq!(n.status(now("2027-01-09T23:59:59")), Status::Upcoming);
        assert_eq!(n.status(now("2027-01-10")), Status::Open);
        assert_eq!(n.status(now("2027-03-17T23:59:59")), Status::Closing);
        assert_eq!(n.status(now("2027-03-16T23:59:58")), Status::Open);
        // A date-only close lasts the whole day.
        assert_eq!(n.status(now("2027-03-31T23:00:00")), Status::Closing);
        assert_eq!(n.status(now("2027-04-01")), Status::Closed);
    }

    #[test]
    fn event_statuses_follow_the_schedule() {
        let mut e = Event {
            start: When::parse("2027-02-15T13:30:00").unwrap(),
            end: When::parse("2027-02-15T16:00:00").unwrap(),
            format: EventFormat::Onsite,
            venue: None,
            address: None,
            online_url: None,
            fee: None,
            capacity: None,
            registration_url: None,
            registration_deadline: None,
            organizer: "kip".into(),
            co_organizers: vec![],
            event_status: EventStatus::Scheduled,
            contact: None,
            withdrawn: false,
        };
        assert_eq!(e.status(now("2027-02-15T13:00:00")), Status::Upcoming);
        assert_eq!(e.status(now("2027-02-15T14:00:00")), Status::Ongoing);
        assert_eq!(e.status(now("2027-02-15T16:00:01")), Status::Ended);
        e.event_status = EventStatus::Cancelled;
        assert_eq!(e.status(now("2027-02-15T13:00:00")), Status::Cancelled);
    }
}
