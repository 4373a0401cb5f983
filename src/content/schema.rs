//! The typed fields of events, notices and programs, declared once.
//!
//! The loader reads `[extra]` with these names and rules, `kpot new` writes
//! a skeleton with them, and the web editor's form is generated from them
//! (`crate::cms`). A test in the loader checks that it reads exactly these
//! fields with these rules, so the form, the skeleton and `kpot check`
//! cannot drift apart.

/// What a field holds, as the loader checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line of text.
    Text,
    /// A few sentences (eligibility, target groups).
    LongText,
    /// A date (`2027-02-15`, the whole day) or a date-time in Japan time;
    /// the form asks for a date and a time.
    DateTime,
    /// The same, but the form asks for a date: a deadline lasts until the
    /// end of the day.
    Date,
    /// Whole yen, 0 or more.
    Yen,
    /// A number of people.
    Count,
    /// An `http`, `https`, `mailto` or `tel` link.
    Url,
    /// One of a fixed list of values.
    Choice(&'static [&'static str]),
    /// An organization id from `data/organizations.yaml`.
    Organization,
    /// Organization ids or names of others (co-organizers).
    Names,
    /// `true` or `false`.
    Flag,
}

/// Whether a field must be filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    Yes,
    No,
    /// Required unless the event is online only (`venue`).
    UnlessOnline,
}

/// One `[extra]` field of a typed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub kind: Kind,
    pub required: Required,
    /// Whether the web editor's form and `kpot new`'s skeleton offer it.
    /// The import bookkeeping (`source`, `fetched`, …) is written by `kpot
    /// import` and read by the loader, but a partner has no reason to type
    /// it, and a form that shows it invites edits an import would undo.
    pub in_form: bool,
}

const fn field(key: &'static str, kind: Kind, required: Required) -> Field {
    Field {
        key,
        kind,
        required,
        in_form: true,
    }
}

/// A field written by `kpot import` only (see [`Field::in_form`]).
const fn imported(key: &'static str, kind: Kind) -> Field {
    Field {
        key,
        kind,
        required: Required::No,
        in_form: false,
    }
}

pub const EVENT_FORMATS: &[&str] = &["onsite", "online", "hybrid"];
pub const EVENT_STATUSES: &[&str] = &["scheduled", "cancelled", "postponed"];

use Kind::*;
use Required::{No, UnlessOnline, Yes};

/// An event's fields (PORTAL.md), in the order `kpot new` and the form show
/// them.
pub const EVENT: &[Field] = &[
    field("start", DateTime, Yes),
    field("end", DateTime, No),
    field("format", Choice(EVENT_FORMATS), Yes),
    field("venue", Text, UnlessOnline),
    field("address", Text, No),
    field("online_url", Url, No),
    field("fee", Yen, No),
    field("capacity", Count, No),
    field("registration_url", Url, No),
    field("registration_deadline", Date, No),
    field("organizer", Organization, Yes),
    field("co_organizers", Names, No),
    field("event_status", Choice(EVENT_STATUSES), No),
    field("contact", Text, No),
    imported("source", Text),
    imported("source_id", Text),
    imported("fetched", DateTime),
    imported("locked", Flag),
    imported("withdrawn", Flag),
];

/// A notice's fields (subsidy and grant calls).
pub const NOTICE: &[Field] = &[
    field("opens", Date, No),
    field("closes", Date, Yes),
    field("max_amount", Yen, No),
    field("subsidy_rate", Text, No),
    field("eligibility", LongText, No),
    field("organizer", Organization, Yes),
    field("issuer", Text, No),
    field("official_url", Url, No),
    imported("source", Text),
    imported("source_id", Text),
    imported("fetched", DateTime),
    imported("locked", Flag),
    imported("withdrawn", Flag),
];

/// A standing program's fields.
pub const PROGRAM: &[Field] = &[
    field("organizer", Organization, Yes),
    field("target", LongText, No),
    field("contact_phone", Text, No),
    field("official_url", Url, No),
];

/// The keys of `fields`, in order.
pub fn keys(fields: &[Field]) -> impl Iterator<Item = &'static str> + '_ {
    fields.iter().map(|f| f.key)
}

/// The fields the web form and `kpot new` offer, in order.
pub fn form_fields(fields: &[Field]) -> impl Iterator<Item = &Field> + '_ {
    fields.iter().filter(|f| f.in_form)
}
