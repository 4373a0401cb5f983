//! iCalendar (RFC 5545) for events: one `event.ics` beside each event page
//! and calendar feeds per language, per organization and per category, which
//! carry the events still to come and those of the last
//! [`FEED_PAST_DAYS`] days.
//!
//! Times are written in `Asia/Tokyo` with its VTIMEZONE (Japan has kept
//! +09:00 without daylight saving since 1951, so one STANDARD rule is
//! exact); date-only events are all-day (`VALUE=DATE`, the end exclusive).
//! The UID comes from the page's content path and the site's host, so it is
//! the same in every build and in both languages. The `icalendar` crate
//! escapes text and folds lines at 75 octets.

use super::{defang, description_text, display_title, published, t};
use crate::content::{EventFormat, EventStatus, PageKind};
use crate::format::Lang;
use crate::render::lists::TermList;
use crate::render::{Output, Payload, Site};
use chrono::{NaiveDateTime, Utc};
use icalendar::{Calendar, CalendarDateTime, Component, DatePerhapsTime, EventLike};
use rayon::prelude::*;

pub const TZID: &str = "Asia/Tokyo";

const VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nTZNAME:JST\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

pub fn outputs(site: &Site<'_>, terms: &[TermList]) -> Vec<Output> {
    let vevents = Events::new(site);
    // The feeds (one per language, organization and category) are gathered
    // first and rendered in parallel: the largest are tens of megabytes on a
    // big site, too long to write one after the other.
    struct Feed {
        path: String,
        name: String,
        lang: Lang,
        events: Vec<usize>,
    }
    let mut feeds = Vec::new();
    let mut out = Vec::new();
    let since = site.now - chrono::Duration::days(FEED_PAST_DAYS);
    for lang in Lang::ALL {
        let all: Vec<usize> = site
            .catalog
            .items_in(lang)
            .map(|(i, _)| i)
            .filter(|&i| is_calendar_event(site, i))
            .collect();
        out.par_extend(all.par_iter().map(|&index| {
            let item = &site.catalog.items[index];
            file(
                format!("{}event.ics", item.url),
                calendar_of(
                    &vevents,
                    lang,
                    &defang(&display_title(site, index)),
                    &[index],
                    false,
                ),
            )
        }));
        let events: Vec<usize> = all
            .into_iter()
            .filter(|&i| ends_after(site, i, since))
            .collect();
        for org in &site.data.organizations {
            let mine: Vec<usize> = events
                .iter()
                .copied()
                .filter(|&i| {
                    site.content.pages[site.catalog.items[i].page]
                        .kind
                        .organizer()
                        == Some(org.id.as_str())
                })
                .collect();
            feeds.push(Feed {
                path: format!("{}/organizations/{}/calendar.ics", lang.prefix(), org.id),
                name: format!("{} | {}", org.name.get(lang), t(site, lang, "nav_events")),
                lang,
                events: mine,
            });
        }
        for term in terms
            .iter()
            .filter(|t| t.lang == lang && t.taxonomy == "categories")
        {
            let mine: Vec<usize> = term
                .items
                .iter()
                .copied()
                .filter(|&i| is_calendar_event(site, i) && ends_after(site, i, since))
                .collect();
            if mine.is_empty() {
                continue;
            }
            feeds.push(Feed {
                path: format!("{}calendar.ics", term.url),
                name: defang(&format!("{} | {}", term.name, t(site, lang, "nav_events"))),
                lang,
                events: mine,
            });
        }
        feeds.push(Feed {
            path: format!("{}/events/calendar.ics", lang.prefix()),
            name: format!(
                "{} | {}",
                t(site, lang, "nav_events"),
                site.config.title(lang)
            ),
            lang,
            events,
        });
    }
    // Largest first, so that the longest ones do not start last.
    feeds.sort_by_key(|feed| std::cmp::Reverse(feed.events.len()));
    out.par_extend(feeds.into_par_iter().map(|feed| {
        let events = ordered(site, feed.events);
        file(
            feed.path,
            calendar_of(&vevents, feed.lang, &feed.name, &events, true),
        )
    }));
    out
}

fn file(url: String, text: String) -> Output {
    Output {
        path: url.trim_start_matches('/').to_string(),
        payload: Payload::Bytes(text.into_bytes()),
    }
}

/// How far back the calendar feeds (not the per-event files) reach: a
/// subscriber's calendar app wants what is coming and what just happened,
/// not every past event of a large portal (tens of megabytes, which calendar
/// apps refuse or take minutes to fetch).
pub const FEED_PAST_DAYS: i64 = 90;

/// Whether the event at `index` ends at or after `since`.
fn ends_after(site: &Site<'_>, index: usize, since: chrono::DateTime<chrono::FixedOffset>) -> bool {
    match &site.content.pages[site.catalog.items[index].page].kind {
        PageKind::Event(e) => e.end.end() >= since,
        _ => false,
    }
}

fn is_calendar_event(site: &Site<'_>, index: usize) -> bool {
    let item = &site.catalog.items[index];
    let page = &site.content.pages[item.page];
    !item.fallback && !page.meta.draft && matches!(page.kind, PageKind::Event(_))
}

/// Events soonest first.
fn ordered(site: &Site<'_>, mut items: Vec<usize>) -> Vec<usize> {
    items.sort_by_cached_key(|&i| {
        let page = &site.content.pages[site.catalog.items[i].page];
        let start = match &page.kind {
            PageKind::Event(e) => Some(e.start.start()),
            _ => None,
        };
        (start, page.key.as_str())
    });
    items
}

/// The host of `base_url`, for UIDs.
pub fn host(base_url: &str) -> String {
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    let host = rest.split(['/', ':', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        "localhost".into()
    } else {
        host.to_ascii_lowercase()
    }
}

/// A stable UID: the page's content path and the site's host.
pub fn uid(site: &Site<'_>, key: &str) -> String {
    let stem = key.strip_suffix(".md").unwrap_or(key);
    let slug: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{slug}@{}", host(&site.config.base_url))
}

fn tokyo(at: chrono::DateTime<chrono::FixedOffset>) -> DatePerhapsTime {
    let local: NaiveDateTime = at.with_timezone(&crate::when::jst()).naive_local();
    DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone {
        date_time: local,
        tzid: TZID.into(),
    })
}

/// Each event's VEVENT text, made once: an event is in its own
/// `event.ics` and again in the language, organizer and category calendars.
struct Events<'s, 'a> {
    site: &'s Site<'a>,
    texts: Vec<std::sync::OnceLock<Option<String>>>,
}

impl<'s, 'a> Events<'s, 'a> {
    fn new(site: &'s Site<'a>) -> Self {
        Events {
            site,
            texts: (0..site.catalog.items.len())
                .map(|_| std::sync::OnceLock::new())
                .collect(),
        }
    }

    fn get(&self, index: usize) -> Option<&str> {
        self.texts[index]
            .get_or_init(|| vevent(self.site, index).map(|e| Component::to_string(&e)))
            .as_deref()
    }
}

/// A whole calendar; `feed` marks a subscription (refresh hint, name).
pub fn calendar(site: &Site<'_>, lang: Lang, name: &str, items: &[usize], feed: bool) -> String {
    calendar_of(&Events::new(site), lang, name, items, feed)
}

fn calendar_of(
    events: &Events<'_, '_>,
    lang: Lang,
    name: &str,
    items: &[usize],
    feed: bool,
) -> String {
    let mut cal = Calendar::empty();
    cal.append_property(icalendar::Property::new("VERSION", "2.0"));
    cal.append_property(icalendar::Property::new(
        "PRODID",
        format!("-//K-POT//kpot//{}", lang.code().to_uppercase()),
    ));
    cal.append_property(icalendar::Property::new("CALSCALE", "GREGORIAN"));
    cal.append_property(icalendar::Property::new("METHOD", "PUBLISH"));
    cal.name(name);
    cal.append_property(icalendar::Property::new("X-WR-TIMEZONE", TZID));
    if feed {
        cal.append_property(
            icalendar::Property::new("REFRESH-INTERVAL", "PT12H")
                .add_parameter("VALUE", "DURATION")
                .done(),
        );
        cal.append_property(icalendar::Property::new("X-PUBLISHED-TTL", "PT12H"));
    }
    // The crate writes the calendar's properties; the time zone (fixed
    // text: the crate would give a component a DTSTAMP and a random UID,
    // which a VTIMEZONE must not have) and the events follow them.
    let head = cal.to_string();
    let end = head.rfind("END:VCALENDAR").unwrap_or(head.len());
    let events: Vec<&str> = items.iter().filter_map(|&i| events.get(i)).collect();
    let mut text = String::with_capacity(
        head.len() + VTIMEZONE.len() + events.iter().map(|e| e.len()).sum::<usize>(),
    );
    text.push_str(&head[..end]);
    text.push_str(VTIMEZONE);
    for event in events {
        text.push_str(event);
    }
    text.push_str(&head[end..]);
    text
}

fn vevent(site: &Site<'_>, index: usize) -> Option<icalendar::Event> {
    let item = &site.catalog.items[index];
    let page = &site.content.pages[item.page];
    let PageKind::Event(e) = &page.kind else {
        return None;
    };
    let permalink = site.config.absolute(&item.url);
    let mut event = icalendar::Event::new();
    event.uid(&uid(site, &page.key));
    let stamp = published(page).map_or(e.start.start(), |d| d.start());
    event.timestamp(stamp.with_timezone(&Utc));
    if let Some(updated) = page.meta.updated {
        event.last_modified(updated.start().with_timezone(&Utc));
    }
    if e.start.has_time() {
        event.starts(tokyo(e.start.start()));
        let end = if e.end.end() > e.start.start() {
            e.end.end()
        } else {
            e.start.start()
        };
        event.ends(tokyo(end));
    } else {
        // All day: DTEND is the day after the last day (RFC 5545 3.6.1).
        let first = e.start.day();
        let last = e.end.day().max(first);
        event.starts(DatePerhapsTime::Date(first));
        event.ends(DatePerhapsTime::Date(last.succ_opt().unwrap_or(last)));
    }
    event.summary(&defang(&display_title(site, index)));
    let mut description = description_text(site, index);
    if !description.is_empty() {
        description.push_str("\n\n");
    }
    description.push_str(&permalink);
    event.description(&defang(&description));
    let location = match (e.format, &e.venue, &e.online_url) {
        (EventFormat::Online, _, Some(url)) => Some(url.clone()),
        (_, Some(venue), _) => Some(match &e.address {
            Some(address) => format!("{venue}, {address}"),
            None => venue.clone(),
        }),
        (_, None, Some(url)) => Some(url.clone()),
        _ => None,
    };
    if let Some(location) = location {
        event.location(&defang(&location));
    }
    event.url(&permalink);
    if let Some(url) = &e.online_url {
        // RFC 7986: where to join an online event.
        event.append_property(
            icalendar::Property::new("CONFERENCE", url.as_str())
                .add_parameter("VALUE", "URI")
                .add_parameter("FEATURE", "VIDEO")
                .done(),
        );
    }
    event.status(match e.event_status {
        EventStatus::Scheduled => icalendar::EventStatus::Confirmed,
        EventStatus::Cancelled => icalendar::EventStatus::Cancelled,
        EventStatus::Postponed => icalendar::EventStatus::Tentative,
    });
    let categories: Vec<String> = site
        .terms(page, "categories", item.lang)
        .into_iter()
        .map(|t| defang(&t.name))
        .collect();
    if !categories.is_empty() {
        event.categories(categories);
    }
    event.add_property("TRANSP", "OPAQUE");
    Some(event.done())
}

#[cfg(test)]
mod tests {
    use super::host;

    #[test]
    fn host_of_base_url() {
        assert_eq!(host("https://kpot.example.jp"), "kpot.example.jp");
        assert_eq!(host("http://127.0.0.1:8080/"), "127.0.0.1");
        assert_eq!(host("https://Example.ORG/portal/"), "example.org");
        assert_eq!(host(""), "localhost");
    }
}
