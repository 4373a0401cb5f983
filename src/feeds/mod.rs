//! What subscribers read: RSS and Atom feeds, iCalendar files and the
//! newsletter digest, all made at build time from the same content.
//!
//! Feeds are "what's new": items are ordered newest first by the date the
//! page was published (`updated`, else `date`, else an event's start or a
//! notice's opening), capped by `feed_limit`. English fallbacks (Japanese
//! pages shown in English), drafts and organization profiles stay out.

pub mod calendar;
pub mod newsletter;
pub mod syndication;

use crate::content::{Page, PageKind};
use crate::format::{self, Lang};
use crate::render::lists::TermList;
use crate::render::{Output, Site};
use crate::when::When;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Every feed, calendar and newsletter file of the site.
pub fn outputs(site: &Site<'_>, terms: &[TermList]) -> Vec<Output> {
    let (mut out, newsletter) = rayon::join(
        || {
            if !site.config.generate_feeds {
                return Vec::new();
            }
            let (mut syndication, calendars) = rayon::join(
                || {
                    feeds(site, terms)
                        .par_iter()
                        .flat_map_iter(|feed| syndication::render(site, feed))
                        .collect::<Vec<_>>()
                },
                || calendar::outputs(site, terms),
            );
            syndication.extend(calendars);
            syndication
        },
        || newsletter::outputs(site),
    );
    out.extend(newsletter);
    out
}

/// One feed: where it lives and what it lists.
#[derive(Debug)]
pub struct Feed {
    pub lang: Lang,
    /// The folder URL the feed sits in: `/en/events/`.
    pub dir: String,
    /// The page the feed belongs to, as a title: "イベント".
    pub title: Option<String>,
    /// Catalog item indices, newest first, capped.
    pub items: Vec<usize>,
}

/// The folders that have `rss.xml` and `atom.xml`, with their titles:
/// the root of each language, each section that generates feeds, each term.
pub fn feeds(site: &Site<'_>, terms: &[TermList]) -> Vec<Feed> {
    let mut feeds = Vec::new();
    for lang in Lang::ALL {
        let all: Vec<usize> = site
            .catalog
            .items_in(lang)
            .map(|(i, _)| i)
            .filter(|&i| in_feeds(site, i))
            .collect();
        feeds.push(Feed {
            lang,
            dir: format!("{}/", lang.prefix()),
            title: None,
            items: newest(site, all),
        });
    }
    for (folder, lang, dir, title) in section_feed_dirs(site) {
        let items: Vec<usize> = crate::catalog::section_pages(site.content, &folder)
            .into_iter()
            .filter_map(|p| site.catalog.item_index(&site.content.pages[p].key, lang))
            .filter(|&i| in_feeds(site, i))
            .collect::<std::collections::BTreeSet<usize>>()
            .into_iter()
            .collect();
        feeds.push(Feed {
            lang,
            dir,
            title: Some(title),
            items: newest(site, items),
        });
    }
    for term in terms {
        let items = term
            .items
            .iter()
            .copied()
            .filter(|&i| in_feeds(site, i))
            .collect();
        feeds.push(Feed {
            lang: term.lang,
            dir: term.url.clone(),
            title: Some(term.name.clone()),
            items: newest(site, items),
        });
    }
    feeds
}

/// Sections with feeds: the typed sections (events, notices, programs and
/// partner folders) unless their `_index.md` says `generate_feeds = false`,
/// and any other section that says `generate_feeds = true` (Zola's default
/// is off). Returns (folder, lang, URL, title).
pub fn section_feed_dirs(site: &Site<'_>) -> Vec<(String, Lang, String, String)> {
    if !site.config.generate_feeds {
        return Vec::new();
    }
    let mut out = Vec::new();
    for entry in &site.catalog.sections {
        let section = &site.content.sections[entry.section];
        if section.path.is_empty() || section.meta.draft {
            continue;
        }
        let typed = matches!(
            section.path.split('/').next(),
            Some("events" | "notices" | "programs" | "newsletter")
        );
        if !section.meta.generate_feeds.unwrap_or(typed) {
            continue;
        }
        out.push((
            section.path.clone(),
            entry.lang,
            entry.url.clone(),
            site.section_title(entry),
        ));
    }
    out
}

/// The autodiscovery links for a page at `url`: the feed of the nearest
/// folder that has one (section or term), then the site's.
pub fn discovery(site: &Site<'_>, lang: Lang, url: &str) -> Vec<(String, String)> {
    if !site.config.generate_feeds {
        return Vec::new();
    }
    let mut dirs: Vec<(String, String)> = Vec::new();
    if let Some((dir, title)) = site.feed_dir_for(url) {
        dirs.push((dir.to_string(), title.to_string()));
    }
    let root = format!("{}/", lang.prefix());
    if dirs.first().is_none_or(|(d, _)| *d != root) {
        dirs.push((root, String::new()));
    }
    dirs
}

/// The feed title: "K-POT … | イベント".
pub fn feed_title(site: &Site<'_>, lang: Lang, title: Option<&str>) -> String {
    match title {
        Some(t) if !t.is_empty() => format!("{} | {}", t, site.config.title(lang)),
        _ => site.config.title(lang).to_string(),
    }
}

/// Whether a catalog item belongs in feeds at all.
pub fn in_feeds(site: &Site<'_>, index: usize) -> bool {
    let item = &site.catalog.items[index];
    let page = &site.content.pages[item.page];
    if item.fallback || page.meta.draft || is_profile(site, page) {
        return false;
    }
    match page.kind {
        PageKind::Plain => page.meta.date.is_some() || page.meta.updated.is_some(),
        _ => true,
    }
}

pub fn is_profile(site: &Site<'_>, page: &Page) -> bool {
    page.section == "organizations" && site.data.organization(&page.slug).is_some()
}

/// When a page was published or last changed, for "what's new" order.
pub fn published(page: &Page) -> Option<When> {
    page.meta
        .updated
        .or(page.meta.date)
        .or_else(|| crate::render::views::sort_date(page))
}

/// Items newest first (undated last, in key order), capped by `feed_limit`.
fn newest(site: &Site<'_>, mut items: Vec<usize>) -> Vec<usize> {
    let page = |i: usize| &site.content.pages[site.catalog.items[i].page];
    items.sort_by_cached_key(|&i| {
        let d = published(page(i)).map(|d| d.start());
        (d.is_none(), std::cmp::Reverse(d), page(i).key.as_str())
    });
    if let Some(limit) = site.config.feed_limit {
        items.truncate(limit);
    }
    items
}

/// Plain text for places some clients render as HTML anyway (calendar
/// descriptions in Google Calendar and Outlook, text mail in some webmail):
/// angle brackets become full-width ＜＞, so a title such as `<script>`
/// reads the same and can never become markup.
pub fn defang(text: &str) -> String {
    text.replace('<', "＜").replace('>', "＞")
}

/// A theme string, or the key itself if the theme lacks it.
pub fn t<'s>(site: &'s Site<'_>, lang: Lang, key: &'s str) -> &'s str {
    site.theme
        .strings(lang)
        .get(key)
        .map(String::as_str)
        .unwrap_or(key)
}

/// The title as subscribers see it: a cancelled or postponed event says so
/// first, as 【中止】 or [Cancelled].
pub fn display_title(site: &Site<'_>, index: usize) -> String {
    let item = &site.catalog.items[index];
    let page = &site.content.pages[item.page];
    let marker = match &page.kind {
        PageKind::Event(e) => match e.event_status {
            crate::content::EventStatus::Cancelled => Some("status_cancelled"),
            crate::content::EventStatus::Postponed => Some("status_postponed"),
            crate::content::EventStatus::Scheduled => None,
        },
        _ => None,
    };
    match (marker, item.lang) {
        (Some(key), Lang::Ja) => format!("【{}】{}", t(site, Lang::Ja, key), page.meta.title),
        (Some(key), Lang::En) => format!("[{}] {}", t(site, Lang::En, key), page.meta.title),
        (None, _) => page.meta.title.clone(),
    }
}

/// The facts of an item as labelled lines of plain text (dates, venue,
/// deadline, organizer …), in the item's language.
pub fn facts(site: &Site<'_>, index: usize) -> Vec<(String, String)> {
    facts_at(site, index, site.now)
}

/// The facts with statuses as of `now` (a newsletter uses its issue date).
pub fn facts_at(
    site: &Site<'_>,
    index: usize,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Vec<(String, String)> {
    let item = &site.catalog.items[index];
    let page = &site.content.pages[item.page];
    let lang = item.lang;
    let era = site.config.japanese_era;
    let label = |key: &str| t(site, lang, key).to_string();
    let org = |id: &str| site.org_ref(id, lang).name;
    let mut lines = Vec::new();
    match &page.kind {
        PageKind::Event(e) => {
            if e.event_status != crate::content::EventStatus::Scheduled {
                let status = e.status(now);
                lines.push((
                    label("status_label"),
                    label(&format!("status_{}", status.name())),
                ));
            }
            lines.push((label("event_when"), format::span(e.start, e.end, lang, era)));
            lines.push((
                label("event_format"),
                label(&format!("format_{}", format_name(e.format))),
            ));
            if let Some(venue) = &e.venue {
                let text = match &e.address {
                    Some(address) => format!(
                        "{venue}{}{address}{}",
                        label("paren_open"),
                        label("paren_close")
                    ),
                    None => venue.clone(),
                };
                lines.push((label("event_venue"), text));
            }
            if let Some(url) = &e.online_url {
                lines.push((label("event_online_url"), url.clone()));
            }
            if let Some(fee) = e.fee {
                lines.push((
                    label("event_fee"),
                    if fee == 0 {
                        label("fee_free")
                    } else {
                        format::yen(fee, lang)
                    },
                ));
            }
            if let Some(deadline) = e.registration_deadline {
                lines.push((
                    label("event_deadline"),
                    format::date_time(deadline, lang, era),
                ));
            }
            if let Some(url) = &e.registration_url {
                lines.push((label("event_registration"), url.clone()));
            }
            lines.push((label("organizer"), org(&e.organizer)));
        }
        PageKind::Notice(n) => {
            let closes = format::date_time(n.closes, lang, era);
            let window = match n.opens {
                Some(opens) => format!(
                    "{}{}{closes}",
                    format::date_time(opens, lang, era),
                    if lang == Lang::Ja { "〜" } else { " – " }
                ),
                None => closes.clone(),
            };
            lines.push((
                label("status_label"),
                label(match n.status(now) {
                    crate::content::Status::Upcoming => "status_upcoming_notice",
                    crate::content::Status::Closing => "status_closing",
                    crate::content::Status::Closed => "status_closed",
                    _ => "status_open",
                }),
            ));
            lines.push((label("notice_window"), window));
            lines.push((label("notice_closes"), closes));
            if let Some(amount) = n.max_amount {
                lines.push((label("notice_max_amount"), format::yen(amount, lang)));
            }
            if let Some(rate) = &n.subsidy_rate {
                lines.push((label("notice_rate"), rate.clone()));
            }
            if let Some(text) = &n.eligibility {
                lines.push((label("notice_eligibility"), text.clone()));
            }
            lines.push((label("organizer"), org(&n.organizer)));
            if let Some(url) = &n.official_url {
                lines.push((label("official_page"), url.clone()));
            }
        }
        PageKind::Program(p) => {
            if let Some(target) = &p.target {
                lines.push((label("program_target"), target.clone()));
            }
            lines.push((label("organizer"), org(&p.organizer)));
            if let Some(phone) = &p.contact_phone {
                lines.push((label("program_phone"), phone.clone()));
            }
            if let Some(url) = &p.official_url {
                lines.push((label("official_page"), url.clone()));
            }
        }
        PageKind::Plain => {}
    }
    lines
}

fn format_name(format: crate::content::EventFormat) -> &'static str {
    match format {
        crate::content::EventFormat::Onsite => "onsite",
        crate::content::EventFormat::Online => "online",
        crate::content::EventFormat::Hybrid => "hybrid",
    }
}

/// The plain-text description of an item: its facts, then its description.
pub fn description_text(site: &Site<'_>, index: usize) -> String {
    description_text_at(site, index, site.now)
}

pub fn description_text_at(
    site: &Site<'_>,
    index: usize,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> String {
    let item = &site.catalog.items[index];
    let page = &site.content.pages[item.page];
    let sep = if item.lang == Lang::Ja { "：" } else { ": " };
    let mut text: Vec<String> = facts_at(site, index, now)
        .into_iter()
        .map(|(k, v)| format!("{k}{sep}{v}"))
        .collect();
    if let Some(description) = &page.meta.description {
        if !text.is_empty() {
            text.push(String::new());
        }
        text.push(description.clone());
    }
    text.join("\n")
}

/// The terms of an item by taxonomy: (taxonomy, slug, name, term URL).
pub fn item_terms(site: &Site<'_>, index: usize) -> Vec<(&'static str, String, String, String)> {
    let item = &site.catalog.items[index];
    let page = &site.content.pages[item.page];
    let mut out = Vec::new();
    for taxonomy in ["categories", "regions"] {
        for term in site.terms(page, taxonomy, item.lang) {
            out.push((taxonomy, term.slug, term.name, term.url));
        }
    }
    if let Some(id) = page.kind.organizer() {
        let slug = crate::content::load::slugify(id);
        out.push((
            "organizers",
            slug.clone(),
            site.org_ref(id, item.lang).name,
            crate::render::lists::term_url("organizers", item.lang, &slug),
        ));
    }
    out
}

/// Feed directories by URL, for autodiscovery: sections with feeds and
/// every taxonomy term.
pub fn feed_dirs(site: &Site<'_>, terms: &[TermList]) -> BTreeMap<String, String> {
    let mut dirs: BTreeMap<String, String> = section_feed_dirs(site)
        .into_iter()
        .map(|(_, _, url, title)| (url, title))
        .collect();
    if site.config.generate_feeds {
        for term in terms {
            dirs.insert(term.url.clone(), term.name.clone());
        }
    }
    dirs
}
