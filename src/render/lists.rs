//! Ordering, grouping and paginating lists of items.

use super::Site;
use super::views::sort_date;
use crate::content::{PageKind, SectionMeta, SectionType, SortBy, Status};
use crate::format::Lang;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// One page of a paginated list.
#[derive(Clone, Debug, PartialEq)]
pub struct Paginated {
    pub number: usize,
    pub total_pages: usize,
    pub total_items: usize,
    pub items: Vec<usize>,
    pub url: String,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    /// Numbered links: the first and last pages and those within
    /// [`LINKS_AROUND`] of this one, which is all a pager shows (the theme
    /// shows the first, the last and two either side, with `…` at three).
    /// Every page would make pagination quadratic: 25,000 events are 1,250
    /// pages of 1,250 links each.
    pub links: Vec<(usize, String)>,
    /// A page of the events archive rather than the current list.
    pub archive: bool,
}

/// How far from the current page numbered links reach (see
/// [`Paginated::links`]).
pub const LINKS_AROUND: usize = 5;

/// Splits `items` into pages: page 1 at `base`, page n at
/// `base{paginate_path}/n/` (Zola's layout). No pagination gives one page.
pub fn paginate(
    items: &[usize],
    per_page: Option<usize>,
    base: &str,
    paginate_path: &str,
) -> Vec<Paginated> {
    let per_page = per_page.filter(|&n| n > 0).unwrap_or(usize::MAX);
    let total_pages = if per_page == usize::MAX || items.is_empty() {
        1
    } else {
        items.len().div_ceil(per_page)
    };
    let url_of = |n: usize| {
        if n == 1 {
            base.to_string()
        } else {
            format!("{base}{paginate_path}/{n}/")
        }
    };
    let links_of = |current: usize| -> Vec<(usize, String)> {
        let near = current.saturating_sub(LINKS_AROUND).max(1)
            ..=current.saturating_add(LINKS_AROUND).min(total_pages);
        let mut numbers: Vec<usize> = std::iter::once(1)
            .chain(near)
            .chain(std::iter::once(total_pages))
            .collect();
        numbers.dedup();
        numbers.into_iter().map(|n| (n, url_of(n))).collect()
    };
    (1..=total_pages)
        .map(|n| {
            let start = (n - 1).saturating_mul(per_page).min(items.len());
            let end = start.saturating_add(per_page).min(items.len());
            Paginated {
                number: n,
                total_pages,
                total_items: items.len(),
                items: items[start..end].to_vec(),
                url: url_of(n),
                prev_url: (n > 1).then(|| url_of(n - 1)),
                next_url: (n < total_pages).then(|| url_of(n + 1)),
                links: links_of(n),
                archive: false,
            }
        })
        .collect()
}

/// Orders a section's items; returns (current list, archive). Only the
/// top-level events section has an archive; a partner's folder lists its
/// past events after its current ones.
pub fn order(
    site: &Site<'_>,
    items: Vec<usize>,
    folder: &str,
    meta: &SectionMeta,
) -> (Vec<usize>, Vec<usize>) {
    let page = |i: usize| &site.content.pages[site.catalog.items[i].page];
    match SectionType::of(&format!("{folder}/")) {
        SectionType::Events => {
            let (mut past, mut current): (Vec<usize>, Vec<usize>) = items
                .into_iter()
                .partition(|&i| page(i).kind.status(site.now).is_some_and(Status::is_past));
            current.sort_by_cached_key(|&i| {
                (sort_date(page(i)).map(|d| d.start()), page(i).key.as_str())
            });
            past.sort_by_cached_key(|&i| {
                (
                    Reverse(sort_date(page(i)).map(|d| d.start())),
                    page(i).key.as_str(),
                )
            });
            if folder == "events" {
                (current, past)
            } else {
                current.extend(past);
                (current, Vec::new())
            }
        }
        SectionType::Notices => {
            let mut items = items;
            items.sort_by_cached_key(|&i| {
                let p = page(i);
                let PageKind::Notice(n) = &p.kind else {
                    return (3, 0i64, p.key.as_str());
                };
                let closes = n.closes.end().timestamp();
                let opens = n.opens.map_or(0, |o| o.start().timestamp());
                match n.status(site.now) {
                    Status::Closing | Status::Open => (0, closes, p.key.as_str()),
                    Status::Upcoming => (1, opens, p.key.as_str()),
                    _ => (2, -closes, p.key.as_str()),
                }
            });
            (items, Vec::new())
        }
        _ => (sort_by(site, items, meta.sort_by), Vec::new()),
    }
}

/// Zola's `sort_by`: dates newest first, weights and titles ascending.
/// Pages without the sort key go last, in file order.
pub fn sort_by(site: &Site<'_>, mut items: Vec<usize>, sort: SortBy) -> Vec<usize> {
    let page = |i: usize| &site.content.pages[site.catalog.items[i].page];
    match sort {
        SortBy::Date => items.sort_by_cached_key(|&i| {
            let d = sort_date(page(i)).map(|d| d.start());
            (d.is_none(), Reverse(d), page(i).key.as_str())
        }),
        SortBy::UpdateDate => items.sort_by_cached_key(|&i| {
            let p = page(i);
            let d = p.meta.updated.or(sort_date(p)).map(|d| d.start());
            (d.is_none(), Reverse(d), p.key.as_str())
        }),
        SortBy::Weight => items.sort_by_cached_key(|&i| {
            let w = page(i).meta.weight;
            (w.is_none(), w, page(i).key.as_str())
        }),
        SortBy::Title => {
            items.sort_by_cached_key(|&i| (page(i).meta.title.to_lowercase(), page(i).key.as_str()))
        }
        SortBy::TitleBytes => {
            items.sort_by_cached_key(|&i| (page(i).meta.title.as_str(), page(i).key.as_str()))
        }
        SortBy::Slug => {
            items.sort_by_cached_key(|&i| (page(i).slug.as_str(), page(i).key.as_str()))
        }
        SortBy::None => items.sort_by_cached_key(|&i| page(i).key.as_str()),
    }
    items
}

/// Where a taxonomy term's page lives: `/en/organizers/kip/`.
pub fn term_url(taxonomy: &str, lang: Lang, slug: &str) -> String {
    format!("{}/{taxonomy}/{slug}/", lang.prefix())
}

/// The items of one taxonomy term in one language.
#[derive(Debug)]
pub struct TermList {
    pub taxonomy: &'static str,
    pub lang: Lang,
    pub slug: String,
    pub name: String,
    pub url: String,
    pub items: Vec<usize>,
}

/// Gathers the terms of every taxonomy, each term's items newest first.
pub fn collect_terms(site: &Site<'_>) -> Vec<TermList> {
    let mut map: BTreeMap<(&'static str, Lang, String), (String, Vec<usize>)> = BTreeMap::new();
    for (index, item) in site.catalog.items.iter().enumerate() {
        let page = &site.content.pages[item.page];
        if page.section == "organizations" && site.data.organization(&page.slug).is_some() {
            continue;
        }
        for taxonomy in ["categories", "regions"] {
            for term in site.terms(page, taxonomy, item.lang) {
                map.entry((taxonomy, item.lang, term.slug))
                    .or_insert_with(|| (term.name, Vec::new()))
                    .1
                    .push(index);
            }
        }
        if let Some(org) = page.kind.organizer() {
            let name = site.org_ref(org, item.lang).name;
            map.entry(("organizers", item.lang, crate::content::load::slugify(org)))
                .or_insert_with(|| (name, Vec::new()))
                .1
                .push(index);
        }
    }
    map.into_par_iter()
        .map(|((taxonomy, lang, slug), (name, items))| TermList {
            url: term_url(taxonomy, lang, &slug),
            taxonomy,
            lang,
            slug,
            name,
            items: sort_by(site, items, SortBy::Date),
        })
        .collect()
}

pub struct HomeLists {
    pub open_notices: Vec<usize>,
    pub upcoming_events: Vec<usize>,
    pub programs: Vec<usize>,
    pub recent: Vec<usize>,
}

/// What the home page leads with: notices open now (closing first), events
/// of this month and the next (or the next few, if those are empty), the
/// programs, and the latest additions.
pub fn home(site: &Site<'_>, lang: Lang) -> HomeLists {
    use chrono::Datelike;
    let mut open_notices = Vec::new();
    let mut events = Vec::new();
    let mut programs = Vec::new();
    for (index, item) in site.catalog.items_in(lang) {
        let page = &site.content.pages[item.page];
        match &page.kind {
            PageKind::Notice(n) if matches!(n.status(site.now), Status::Open | Status::Closing) => {
                open_notices.push((n.closes.end(), index))
            }
            PageKind::Event(e)
                if matches!(e.status(site.now), Status::Upcoming | Status::Ongoing) =>
            {
                events.push((e.start.start(), index))
            }
            PageKind::Program(_) => programs.push(index),
            _ => {}
        }
    }
    open_notices.sort();
    events.sort();
    let today = site.now.date_naive();
    let (year, month) = if today.month() == 12 {
        (today.year() + 1, 1)
    } else {
        (today.year(), today.month() + 1)
    };
    let after_next = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let limit = chrono::NaiveDate::from_ymd_opt(after_next.0, after_next.1, 1).unwrap_or(today);
    let soon: Vec<usize> = events
        .iter()
        .filter(|(start, _)| start.date_naive() < limit)
        .map(|(_, i)| *i)
        .collect();
    let upcoming_events = if soon.is_empty() {
        events.iter().take(6).map(|(_, i)| *i).collect()
    } else {
        soon.into_iter().take(12).collect()
    };
    let mut programs = sort_by(site, programs, SortBy::Weight);
    programs.truncate(12);
    let recent_candidates: Vec<usize> = site
        .catalog
        .items_in(lang)
        .filter(|(_, item)| !matches!(site.content.pages[item.page].kind, PageKind::Plain))
        .map(|(i, _)| i)
        .collect();
    let mut recent = sort_by(site, recent_candidates, SortBy::UpdateDate);
    recent.truncate(6);
    HomeLists {
        open_notices: open_notices.into_iter().take(10).map(|(_, i)| i).collect(),
        upcoming_events,
        programs,
        recent,
    }
}

pub struct OrganizationItems {
    pub events: Vec<usize>,
    pub past_events: Vec<usize>,
    pub notices: Vec<usize>,
    pub programs: Vec<usize>,
}

/// Everything one organization publishes, in a language.
pub fn organization_items(site: &Site<'_>, id: &str, lang: Lang) -> OrganizationItems {
    let mut events = Vec::new();
    let mut past_events = Vec::new();
    let mut notices = Vec::new();
    let mut programs = Vec::new();
    for (index, item) in site.catalog.items_in(lang) {
        let page = &site.content.pages[item.page];
        if page.kind.organizer() != Some(id) {
            continue;
        }
        match &page.kind {
            PageKind::Event(e) if e.status(site.now).is_past() => past_events.push(index),
            PageKind::Event(_) => events.push(index),
            PageKind::Notice(_) => notices.push(index),
            PageKind::Program(_) => programs.push(index),
            PageKind::Plain => {}
        }
    }
    let meta = SectionMeta::default();
    OrganizationItems {
        events: order(site, events, "events", &meta).0,
        past_events: sort_by(site, past_events, SortBy::Date),
        notices: order(site, notices, "notices", &meta).0,
        programs: sort_by(site, programs, SortBy::Weight),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_follows_zola_urls() {
        let items: Vec<usize> = (0..45).collect();
        let pages = paginate(&items, Some(20), "/events/", "page");
        assert_eq!(pages.len(), 3);
        assert_eq!(pages[0].url, "/events/");
        assert_eq!(pages[1].url, "/events/page/2/");
        assert_eq!(pages[2].items.len(), 5);
        assert_eq!(pages[1].prev_url.as_deref(), Some("/events/"));
        assert_eq!(pages[2].next_url, None);
        assert_eq!(paginate(&items, None, "/a/", "page").len(), 1);
        assert_eq!(paginate(&[], Some(20), "/a/", "page").len(), 1);
    }

    #[test]
    fn a_page_links_the_first_the_last_and_its_neighbours() {
        let items: Vec<usize> = (0..1000).collect();
        let pages = paginate(&items, Some(10), "/e/", "page");
        let numbers = |p: &Paginated| p.links.iter().map(|(n, _)| *n).collect::<Vec<_>>();
        assert_eq!(numbers(&pages[0]), vec![1, 2, 3, 4, 5, 6, 100]);
        assert_eq!(
            numbers(&pages[49]),
            vec![1, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 100]
        );
        assert_eq!(numbers(&pages[99]), vec![1, 95, 96, 97, 98, 99, 100]);
        assert_eq!(pages[49].links[1].1, "/e/page/45/");
        let two = paginate(&items[..15], Some(10), "/e/", "page");
        assert_eq!(numbers(&two[0]), vec![1, 2]);
        assert_eq!(numbers(&paginate(&[], Some(10), "/e/", "page")[0]), vec![1]);
    }
}
