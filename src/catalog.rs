//! The catalog: every page as it appears in each language, with its URL.
//!
//! This is the step between loading and rendering. It decides URLs (with
//! Zola's rules, plus kpot's fallback pages for untranslated items), checks
//! that no two outputs claim the same URL and that partners stay inside
//! their folders, and resolves `@/` links.

use crate::content::load::partner_of;
use crate::content::{Content, Page, PageKind, Section, SectionMeta};
use crate::diagnostics::{Diagnostic, Text};
use crate::format::Lang;
use crate::markdown::LinkResolver;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A page in one language: its own translation, or a fallback to the
/// Japanese original.
#[derive(Clone, Debug)]
pub struct Item {
    /// Index into `Content::pages` of the page whose content is shown.
    pub page: usize,
    pub lang: Lang,
    /// True when `lang` is English and the page exists only in Japanese.
    pub fallback: bool,
    pub url: String,
}

/// A section in one language. A folder with only a Japanese `_index.md`
/// still has an English section (with the Japanese metadata), so English
/// lists always exist.
#[derive(Clone, Debug)]
pub struct SectionEntry {
    pub section: usize,
    pub lang: Lang,
    pub fallback: bool,
    pub url: String,
}

#[derive(Debug, Default)]
pub struct Catalog {
    pub items: Vec<Item>,
    pub sections: Vec<SectionEntry>,
    /// Translation key → item index in each language ([`slot`]): looked up
    /// by `&str`, without building a key for every lookup.
    by_key: HashMap<String, [Option<usize>; 2]>,
    /// (folder, lang) → section entry index.
    by_folder: HashMap<(String, Lang), usize>,
}

/// Where a language's entry sits in `Catalog::by_key`.
fn slot(lang: Lang) -> usize {
    match lang {
        Lang::Ja => 0,
        Lang::En => 1,
    }
}

impl Catalog {
    pub fn item(&self, key: &str, lang: Lang) -> Option<&Item> {
        self.item_index(key, lang).map(|i| &self.items[i])
    }

    pub fn item_index(&self, key: &str, lang: Lang) -> Option<usize> {
        self.by_key.get(key)?[slot(lang)]
    }

    /// Records that `key` in `lang` is the item about to be pushed.
    fn add_key(&mut self, key: &str, lang: Lang) {
        let index = self.items.len();
        match self.by_key.get_mut(key) {
            Some(slots) => slots[slot(lang)] = Some(index),
            None => {
                let mut slots = [None; 2];
                slots[slot(lang)] = Some(index);
                self.by_key.insert(key.to_string(), slots);
            }
        }
    }

    pub fn section(&self, folder: &str, lang: Lang) -> Option<&SectionEntry> {
        self.by_folder
            .get(&(folder.to_string(), lang))
            .map(|&i| &self.sections[i])
    }

    pub fn items_in(&self, lang: Lang) -> impl Iterator<Item = (usize, &Item)> {
        self.items
            .iter()
            .enumerate()
            .filter(move |(_, item)| item.lang == lang)
    }

    /// A resolver for `@/` links written in a page of `lang`: the link goes
    /// to the same language's version of the target.
    pub fn links(&self, lang: Lang) -> CatalogLinks<'_> {
        CatalogLinks {
            catalog: self,
            lang,
        }
    }
}

pub struct CatalogLinks<'a> {
    catalog: &'a Catalog,
    lang: Lang,
}

impl LinkResolver for CatalogLinks<'_> {
    fn resolve(&self, path: &str) -> Option<String> {
        let path = path.trim_start_matches('/');
        let key = crate::content::load::translation_key(path);
        if let Some(item) = self.catalog.item(&key, self.lang) {
            return Some(item.url.clone());
        }
        // `@/events/_index.md` links to the section.
        let folder = path
            .strip_suffix("_index.md")
            .or_else(|| path.strip_suffix("_index.en.md"))?
            .trim_end_matches('/');
        self.catalog
            .section(folder, self.lang)
            .map(|s| s.url.clone())
    }
}

/// Builds the catalog; URL conflicts and escapes are returned as errors.
pub fn build(content: &Content) -> (Catalog, Vec<Diagnostic>) {
    let mut catalog = Catalog::default();
    let mut diagnostics = Vec::new();
    let mut claimed: BTreeMap<String, Owner<'_>> = BTreeMap::new();

    // Sections: every folder that has an `_index.md` in either language.
    let mut folders: BTreeMap<&str, [Option<usize>; 2]> = BTreeMap::new();
    for (index, section) in content.sections.iter().enumerate() {
        folders.entry(section.path.as_str()).or_default()[lang_index(section.lang)] = Some(index);
    }
    for (folder, by_lang) in &folders {
        for lang in Lang::ALL {
            let (section, fallback) = match (by_lang[lang_index(lang)], by_lang[0], by_lang[1]) {
                (Some(own), _, _) => (own, false),
                (None, Some(ja), _) => (ja, true),
                (None, None, Some(en)) => (en, true),
                (None, None, None) => continue,
            };
            let url = section_url(folder, lang);
            let owner = Owner {
                display: section_display(&content.sections[section]),
                source: None,
            };
            claim(&mut claimed, &url, owner, &mut diagnostics);
            catalog
                .by_folder
                .insert((folder.to_string(), lang), catalog.sections.len());
            catalog.sections.push(SectionEntry {
                section,
                lang,
                fallback,
                url,
            });
        }
    }

    // Pages: each translation, then English fallbacks for Japanese-only pages.
    let mut has_translation: BTreeSet<&str> = BTreeSet::new();
    for page in &content.pages {
        if page.lang == Lang::En {
            has_translation.insert(&page.key);
        }
    }
    for (index, page) in content.pages.iter().enumerate() {
        let mut entries = vec![(page.lang, false)];
        if page.lang == Lang::Ja && !has_translation.contains(page.key.as_str()) {
            entries.push((Lang::En, true));
        }
        for (lang, fallback) in entries {
            let url = match page_url(page, lang) {
                Ok(url) => url,
                Err(diagnostic) => {
                    diagnostics.push(diagnostic);
                    continue;
                }
            };
            if !fallback && let Some(problem) = check_partner_prefix(page, &url, "slug") {
                diagnostics.push(problem);
                continue;
            }
            claim(&mut claimed, &url, Owner::page(page), &mut diagnostics);
            catalog.add_key(&page.key, lang);
            catalog.items.push(Item {
                page: index,
                lang,
                fallback,
                url,
            });
        }
    }
    // A page whose Japanese original is missing (only NAME.en.md) still gets
    // a Japanese entry, so language switches never lead nowhere.
    for (index, page) in content.pages.iter().enumerate() {
        if page.lang == Lang::En
            && catalog.item_index(&page.key, Lang::Ja).is_none()
            && let Ok(url) = page_url(page, Lang::Ja)
        {
            claim(&mut claimed, &url, Owner::page(page), &mut diagnostics);
            catalog.add_key(&page.key, Lang::Ja);
            catalog.items.push(Item {
                page: index,
                lang: Lang::Ja,
                fallback: true,
                url,
            });
        }
    }
    // Aliases last, so a conflict is reported on the page that wrote the
    // alias rather than on the page that owns the address.
    for page in &content.pages {
        claim_aliases(page, &mut claimed, &mut diagnostics);
    }
    (catalog, diagnostics)
}

/// The `_index.md` of a section, or its folder when it has none (a partner
/// folder without one), so a clash names something the partner can find.
fn section_display(section: &Section) -> std::path::PathBuf {
    section.source.as_ref().map_or_else(
        || std::path::Path::new("content").join(&section.path),
        |s| s.display.clone(),
    )
}

/// Who claimed a URL: the file, and the page and front matter field that
/// set the URL, when one did (a page's `path`, `slug` or `aliases`).
struct Owner<'c> {
    display: std::path::PathBuf,
    source: Option<(&'c Page, &'static str)>,
}

impl<'c> Owner<'c> {
    /// A page's own URL, set by `path`, `slug` or else its file name.
    fn page(page: &'c Page) -> Owner<'c> {
        let field = page_url_field(page);
        Owner {
            display: page.source.display.clone(),
            source: field.map(|field| (page, field)),
        }
    }

    /// The file line and column of the field that set the URL.
    fn position(&self) -> Option<(usize, usize)> {
        let (page, field) = self.source?;
        crate::content::frontmatter::field_position(&page.source.path, field)
    }

    /// `content/b.md:3` (the line of the field when there is one).
    fn describe(&self) -> String {
        match self.position() {
            Some((line, _)) => format!("{}:{line}", self.display.display()),
            None => self.display.display().to_string(),
        }
    }
}

/// The front matter field that sets a page's URL, if any does.
pub fn page_url_field(page: &Page) -> Option<&'static str> {
    if page.meta.path.is_some() {
        Some("path")
    } else if page.meta.slug.is_some() {
        Some("slug")
    } else {
        None
    }
}

fn claim<'c>(
    claimed: &mut BTreeMap<String, Owner<'c>>,
    url: &str,
    owner: Owner<'c>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(previous) = claimed.get(url) else {
        claimed.insert(url.to_string(), owner);
        return;
    };
    if previous.display == owner.display {
        return;
    }
    let other = previous.describe();
    let mut problem = Diagnostic::error(
        &owner.display,
        Text::new(
            format!("URL {url} は {other} と重複しています"),
            format!("the URL {url} is already used by {other}"),
        ),
    )
    .help(Text::new(
        "slug か path を変えて、別の URL にしてください",
        "change `slug` or `path` so the URLs differ",
    ));
    if let Some((_, field)) = owner.source {
        problem = problem.field(field);
    }
    if let Some((line, column)) = owner.position() {
        problem = problem.at(line, column);
    }
    diagnostics.push(problem);
}

fn lang_index(lang: Lang) -> usize {
    match lang {
        Lang::Ja => 0,
        Lang::En => 1,
    }
}

/// `/en/events/` for the folder `events` in English; `/` for the home page.
pub fn section_url(folder: &str, lang: Lang) -> String {
    if folder.is_empty() {
        format!("{}/", lang.prefix())
    } else {
        format!("{}/{}/", lang.prefix(), folder)
    }
}

/// The URL of a page in a language, following Zola: `path` wins, else the
/// section folder and the slug.
fn page_url(page: &Page, lang: Lang) -> Result<String, Diagnostic> {
    let path = match &page.meta.path {
        Some(path) => clean_path(path).ok_or_else(|| escape_error(page, "path", path))?,
        None => {
            if page.slug.is_empty() || clean_path(&page.slug).is_none() || page.slug.contains('/') {
                return Err(escape_error(page, "slug", &page.slug));
            }
            if page.section.is_empty() {
                page.slug.clone()
            } else {
                format!("{}/{}", page.section, page.slug)
            }
        }
    };
    Ok(format!("{}/{}/", lang.prefix(), path))
}

/// The output path of an alias (`old/url/` or `old.html`), or None when it
/// would leave the site.
pub fn clean_alias(alias: &str) -> Option<String> {
    clean_path(alias)
}

/// Normalises a URL path written in front matter, refusing anything that
/// could leave the output folder.
fn clean_path(path: &str) -> Option<String> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" => continue,
            "." | ".." => return None,
            p if p.contains('\\') || p.contains(':') || p.chars().any(char::is_control) => {
                return None;
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

fn escape_error(page: &Page, field: &str, value: &str) -> Diagnostic {
    Diagnostic::error(
        &page.source.display,
        Text::new(
            format!("{field} `{value}` は使えません（出力フォルダの外を指すか、空です）"),
            format!("{field} `{value}` cannot be used: it is empty or points outside the site"),
        ),
    )
    .field(field)
}

/// Aliases are URLs too: they must stay inside the site (and a partner's
/// folder) and may not take another page's address.
fn claim_aliases<'c>(
    page: &'c Page,
    claimed: &mut BTreeMap<String, Owner<'c>>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for alias in &page.meta.aliases {
        let Some(path) = clean_alias(alias) else {
            diagnostics.push(escape_error(page, "aliases", alias));
            continue;
        };
        let url = if path.ends_with(".html") {
            format!("/{path}")
        } else {
            format!("/{path}/")
        };
        if let Some(problem) = check_partner_prefix(page, &url, "aliases") {
            diagnostics.push(problem);
            continue;
        }
        let owner = Owner {
            source: Some((page, "aliases")),
            ..Owner::page(page)
        };
        claim(claimed, &url, owner, diagnostics);
    }
}

/// A partner's page must stay under its folder's URL prefix (PORTAL.md), so
/// that one partner cannot publish at another's or the portal's addresses.
fn check_partner_prefix(page: &Page, url: &str, field: &str) -> Option<Diagnostic> {
    let partner = partner_of(&page.section)?;
    let top = page.section.split('/').next()?;
    let prefix = format!("{}/{}/{}/", page.lang.prefix(), top, partner);
    if url.starts_with(&prefix) {
        return None;
    }
    Some(
        Diagnostic::error(
            &page.source.display,
            Text::new(
                format!("URL {url} はこのフォルダの URL（{prefix}）の外にあります"),
                format!("the URL {url} is outside this folder's URL prefix {prefix}"),
            ),
        )
        .field(if field == "slug" && page.meta.path.is_some() {
            "path"
        } else {
            field
        }),
    )
}

/// The pages a section lists: its own and, through transparent
/// subsections, theirs (Zola's `transparent`).
pub fn section_pages(content: &Content, folder: &str) -> Vec<usize> {
    let transparent: BTreeSet<&str> = content
        .sections
        .iter()
        .filter(|s| s.meta.transparent)
        .map(|s| s.path.as_str())
        .collect();
    content
        .pages
        .iter()
        .enumerate()
        .filter(|(_, page)| {
            let mut current = page.section.as_str();
            loop {
                if current == folder {
                    return true;
                }
                if !transparent.contains(current) && !lists_in_parent(current) {
                    return false;
                }
                current = match current.rsplit_once('/') {
                    Some((parent, _)) => parent,
                    None if !current.is_empty() => "",
                    None => return false,
                };
            }
        })
        .map(|(i, _)| i)
        .collect()
}

/// Below `events/`, `notices/` and `programs/` every folder lists its pages
/// in its parent, whether it has an `_index.md` or not and whatever that
/// says: the home page and the organization pages show every typed item, so
/// `/events/`, `/notices/` and `/programs/` must list them too.
fn lists_in_parent(folder: &str) -> bool {
    matches!(
        folder.split_once('/'),
        Some(("events" | "notices" | "programs", _))
    )
}

/// The metadata a section shows in a language.
pub fn section_meta<'a>(content: &'a Content, entry: &SectionEntry) -> &'a SectionMeta {
    &content.sections[entry.section].meta
}

pub fn is_typed(kind: &PageKind) -> bool {
    !matches!(kind, PageKind::Plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_escape() {
        assert_eq!(clean_path("/a/b/").as_deref(), Some("a/b"));
        assert_eq!(clean_path("../etc"), None);
        assert_eq!(clean_path("a/../../b"), None);
        assert_eq!(clean_path("C:\\x"), None);
        assert_eq!(clean_path("//"), None);
    }
}
