//! Which file of the built site each source claims, and the claims no build
//! can write: two sources on one file, or a file where another source needs
//! a folder (kpot's `robots.txt` and a page's `robots.txt/index.html`).
//!
//! Worked out from the plan, before anything is rendered or written, by
//! `kpot build` and `kpot check` alike: what the build would refuse with a
//! bare "Is a directory", the check reports on the page that asked for the
//! path, with the other claimant. Two pages or aliases on one URL are the
//! catalog's to report (it sees sections that render nothing too); here
//! they are left out.

use super::{Job, Plan, Site};
use crate::content::frontmatter::field_position;
use crate::diagnostics::{Diagnostic, Text};
use crate::format::Lang;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What writes a file, in the order claims are made: the first claimant of
/// a file keeps it, and a conflict is reported on the later one.
#[derive(Clone, Debug)]
enum Claimant {
    /// A file kpot makes itself: lists, search and error pages, feeds,
    /// calendars, `robots.txt`, the sitemap.
    Kpot,
    /// A file of the theme's `static/` folder (`kpot.css`).
    Theme(String),
    /// A file copied from the site's `static/` folder (relative to it).
    Static(String),
    /// A page's own address (a catalog item); the page index.
    Page(usize),
    /// A redirect written for one of a page's `aliases`.
    Alias(usize),
    /// A file copied beside the page or section that holds it.
    Asset(PathBuf),
}

#[derive(Default)]
struct Claims {
    /// Output path → (claimant, order of the claim).
    files: HashMap<String, (Claimant, usize)>,
    /// Two claims of one file: (path, first, second).
    same: Vec<(String, Claimant, Claimant)>,
}

impl Claims {
    fn claim(&mut self, path: String, claimant: Claimant) {
        let order = self.files.len() + self.same.len();
        match self.files.get(&path) {
            Some((first, _)) => {
                if !same_address(first, &claimant) && !both_kpot(first, &claimant) {
                    let first = first.clone();
                    self.same.push((path, first, claimant));
                }
            }
            None => {
                self.files.insert(path, (claimant, order));
            }
        }
    }
}

/// Both files are kpot's own: nothing a partner wrote, and nothing to tell
/// them.
fn both_kpot(first: &Claimant, second: &Claimant) -> bool {
    matches!((first, second), (Claimant::Kpot, Claimant::Kpot))
}

/// Both claims are content's own URLs (a page's and another's, or an
/// alias's), which the catalog reports as one URL used twice.
fn same_address(first: &Claimant, second: &Claimant) -> bool {
    let content = |c: &Claimant| matches!(c, Claimant::Page(_) | Claimant::Alias(_));
    content(first) && content(second)
}

/// Every output path of `plan` that two claimants want, or that one wants
/// as a file and another as a folder, as errors on the content file that
/// asked for it. `site_static` lists the files of the site's `static/`
/// folder, relative to it; `root` is the site folder.
pub fn conflicts(
    site: &Site<'_>,
    plan: &Plan<'_>,
    root: &Path,
    site_static: &[String],
) -> Vec<Diagnostic> {
    let claims = gather(site, plan, root, site_static);
    let mut problems = Vec::new();
    for (path, first, second) in &claims.same {
        problems.push(report(site, second, first, Clash::Same(path)));
    }
    for (path, (claimant, order)) in &claims.files {
        for (cut, _) in path.match_indices('/') {
            let folder = &path[..cut];
            let Some((file_owner, file_order)) = claims.files.get(folder) else {
                continue;
            };
            if both_kpot(claimant, file_owner) {
                continue;
            }
            let problem = if order > file_order {
                report(
                    site,
                    claimant,
                    file_owner,
                    Clash::FileInTheWay { mine: path, folder },
                )
            } else {
                report(
                    site,
                    file_owner,
                    claimant,
                    Clash::FolderInTheWay {
                        mine: folder,
                        theirs: path,
                    },
                )
            };
            problems.push(problem);
        }
    }
    problems
        .sort_by(|a, b| (&a.file, a.line, &a.message.en).cmp(&(&b.file, b.line, &b.message.en)));
    problems.dedup_by(|a, b| a.file == b.file && a.line == b.line && a.message == b.message);
    problems
}

/// Claims every file the build writes, kpot's own first.
fn gather(site: &Site<'_>, plan: &Plan<'_>, root: &Path, site_static: &[String]) -> Claims {
    let mut claims = Claims::default();
    for job in &plan.jobs {
        if !matches!(job, Job::Item(_)) {
            claims.claim(site.job_path(job), Claimant::Kpot);
        }
    }
    for path in kpot_extras(site, plan) {
        claims.claim(path, Claimant::Kpot);
    }
    let editor = crate::cms::Backend::for_site(site.config).is_some();
    if editor {
        for path in crate::cms::FILES {
            claims.claim(path.to_string(), Claimant::Kpot);
        }
    }
    for (name, _) in &site.theme.static_files {
        if editor || !name.starts_with("admin/") {
            claims.claim(name.clone(), Claimant::Theme(name.clone()));
        }
    }
    for name in site_static {
        claims.claim(name.clone(), Claimant::Static(name.clone()));
    }
    for job in &plan.jobs {
        if let Job::Item(index) = job {
            let page = site.catalog.items[*index].page;
            claims.claim(site.job_path(job), Claimant::Page(page));
        }
    }
    for item in site.catalog.items.iter().filter(|i| !i.fallback) {
        let page = &site.content.pages[item.page];
        for alias in &page.meta.aliases {
            if let Some(path) = crate::catalog::clean_alias(alias) {
                claims.claim(alias_file(path), Claimant::Alias(item.page));
            }
        }
    }
    for (path, display) in assets(site, root) {
        claims.claim(path, Claimant::Asset(display));
    }
    claims
}

/// The file an alias's redirect is written to: `old.html` as it is, any
/// other path as a folder with an `index.html`.
pub fn alias_file(path: String) -> String {
    if path.ends_with(".html") {
        path
    } else {
        format!("{path}/index.html")
    }
}

/// The files kpot writes that are no job's: robots.txt, the sitemap,
/// feeds, calendars and newsletter mails (see [`Site::render_extras`]).
fn kpot_extras(site: &Site<'_>, plan: &Plan<'_>) -> Vec<String> {
    let mut paths = vec!["robots.txt".to_string(), "sitemap.xml".to_string()];
    let file = |url: &str, name: &str| format!("{}{name}", url.trim_start_matches('/'));
    if site.config.generate_feeds {
        let mut dirs: Vec<String> = Lang::ALL
            .iter()
            .map(|l| format!("{}/", l.prefix()))
            .collect();
        dirs.extend(site.feed_dirs().keys().cloned());
        for dir in &dirs {
            paths.push(file(dir, "rss.xml"));
            paths.push(file(dir, "atom.xml"));
        }
        for lang in Lang::ALL {
            paths.push(file(&format!("{}/events/", lang.prefix()), "calendar.ics"));
            for org in &site.data.organizations {
                let dir = format!("{}/organizations/{}/", lang.prefix(), org.id);
                paths.push(file(&dir, "calendar.ics"));
            }
        }
        for term in plan.terms.iter().filter(|t| t.taxonomy == "categories") {
            paths.push(file(&term.url, "calendar.ics"));
        }
    }
    for item in site.catalog.items.iter().filter(|i| !i.fallback) {
        let page = &site.content.pages[item.page];
        if page.meta.draft {
            continue;
        }
        if site.config.generate_feeds && matches!(page.kind, crate::content::PageKind::Event(_)) {
            paths.push(file(&item.url, "event.ics"));
        }
        if page.section == crate::feeds::newsletter::SECTION {
            paths.push(file(&item.url, "newsletter.txt"));
            paths.push(file(&item.url, "newsletter.eml"));
        }
    }
    paths
}

/// Co-located files with the path they are copied to (as
/// [`Site::render_extras`] copies them) and their own path.
fn assets(site: &Site<'_>, root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut add = |url: &str, asset: &std::path::Path| {
        if let Some(name) = asset.file_name() {
            let path = format!("{}{}", url.trim_start_matches('/'), name.to_string_lossy());
            out.push((path, crate::diagnostics::display_path(root, asset)));
        }
    };
    for item in site.catalog.items.iter().filter(|i| !i.fallback) {
        for asset in &site.content.pages[item.page].assets {
            add(&item.url, asset);
        }
    }
    for entry in site.catalog.sections.iter().filter(|s| s.lang == Lang::Ja) {
        for asset in &site.content.sections[entry.section].assets {
            add(&entry.url, asset);
        }
    }
    out
}

/// How two claims meet.
enum Clash<'p> {
    /// Both write the file `.0`.
    Same(&'p str),
    /// The claimant writes `mine`, but the other writes the file `folder`
    /// where `mine` needs a folder.
    FileInTheWay { mine: &'p str, folder: &'p str },
    /// The claimant writes the file `mine`, where the other needs a folder
    /// for `theirs`.
    FolderInTheWay { mine: &'p str, theirs: &'p str },
}

/// The error on `claimant`'s file for its clash with `other`.
fn report(site: &Site<'_>, claimant: &Claimant, other: &Claimant, clash: Clash<'_>) -> Diagnostic {
    let (ja_other, en_other) = describe(site, other);
    let (ja_what, en_what) = match claimant {
        Claimant::Page(_) => ("このページ", "this page"),
        Claimant::Alias(_) => ("この別名（aliases）", "this alias"),
        _ => ("このファイル", "this file"),
    };
    let message = match clash {
        Clash::Same(path) => Text::new(
            format!("{ja_what}の出力先 /{path} は、{ja_other}が書き出すファイルと同じです"),
            format!("{en_what} would be written to /{path}, but {en_other} writes that file"),
        ),
        Clash::FileInTheWay { mine, folder } => Text::new(
            format!(
                "{ja_what}の出力先 /{mine} にはフォルダ /{folder}/ が必要ですが、{ja_other}が同じ名前のファイル /{folder} を書き出します"
            ),
            format!(
                "{en_what} would be written to /{mine}, inside a folder /{folder}/, but {en_other} writes a file /{folder} there"
            ),
        ),
        Clash::FolderInTheWay { mine, theirs } => Text::new(
            format!(
                "{ja_what}の出力先 /{mine} はファイルですが、{ja_other}が同じ名前のフォルダを使います（/{theirs}）"
            ),
            format!(
                "{en_what} would be written to the file /{mine}, but {en_other} writes /{theirs}, inside a folder of that name"
            ),
        ),
    };
    let (file, field) = source_of(site, claimant);
    let mut problem = Diagnostic::error(file, message).help(fix(site, claimant));
    if let Some((page, field)) = field {
        problem = problem.field(field);
        if let Some((line, column)) = field_position(&site.content.pages[page].source.path, field) {
            problem = problem.at(line, column);
        }
    }
    problem
}

/// The file a claim comes from, with the page and front matter field that
/// made it when there is one.
fn source_of(site: &Site<'_>, claimant: &Claimant) -> (PathBuf, Option<(usize, &'static str)>) {
    match claimant {
        Claimant::Page(page) => {
            let field = crate::catalog::page_url_field(&site.content.pages[*page]);
            (
                site.content.pages[*page].source.display.clone(),
                field.map(|f| (*page, f)),
            )
        }
        Claimant::Alias(page) => (
            site.content.pages[*page].source.display.clone(),
            Some((*page, "aliases")),
        ),
        Claimant::Static(name) => (PathBuf::from(format!("static/{name}")), None),
        Claimant::Theme(name) => (
            PathBuf::from(format!("themes/{}/static/{name}", site.config.theme)),
            None,
        ),
        Claimant::Asset(display) => (display.clone(), None),
        Claimant::Kpot => (PathBuf::from("config.toml"), None),
    }
}

/// `content/b.md:3`, `static/robots.txt`, `kpot's own robots.txt`: the other
/// claimant as a reader finds it, in Japanese and English.
fn describe(site: &Site<'_>, claimant: &Claimant) -> (String, String) {
    let (file, field) = source_of(site, claimant);
    let at = field
        .and_then(|(page, field)| field_position(&site.content.pages[page].source.path, field))
        .map(|(line, _)| format!(":{line}"))
        .unwrap_or_default();
    let file = format!("{}{at}", file.display());
    match claimant {
        Claimant::Kpot => ("kpot 自身".into(), "kpot itself".into()),
        Claimant::Theme(name) => (
            format!("kpot 自身（テーマの {name}）"),
            format!("kpot itself (the theme's {name})"),
        ),
        Claimant::Alias(_) => (
            format!("「{file}」の別名（aliases）"),
            format!("an alias in {file}"),
        ),
        _ => (format!("「{file}」"), file),
    }
}

/// How to resolve a clash, said for the claimant's kind of source.
fn fix(site: &Site<'_>, claimant: &Claimant) -> Text {
    match claimant {
        Claimant::Page(page) => match crate::catalog::page_url_field(&site.content.pages[*page]) {
            Some(field) => Text::new(
                format!(
                    "`{field}` をほかと重ならない名前に変えてください。kpot 自身が使う名前（robots.txt、sitemap.xml、404.html、search、kpot.css、kpot.js、rss.xml など）は使えません"
                ),
                format!(
                    "change `{field}` to a name nothing else uses; the names kpot uses itself (robots.txt, sitemap.xml, 404.html, search, kpot.css, kpot.js, rss.xml, …) are reserved"
                ),
            ),
            None => Text::new(
                "ファイル名を変えるか、`slug` でほかと重ならない名前を付けてください",
                "rename the file, or give it a `slug` that nothing else uses",
            ),
        },
        Claimant::Alias(_) => Text::new(
            "この別名を変えるか、消してください。kpot 自身が使う名前（robots.txt、kpot.css など）は使えません",
            "change or remove this alias; the names kpot uses itself (robots.txt, kpot.css, …) are reserved",
        ),
        Claimant::Static(_) => Text::new(
            "static/ のこのファイルの名前を変えるか、消してください",
            "rename or remove this file in static/",
        ),
        _ => Text::new("このファイルの名前を変えてください", "rename this file"),
    }
}
