//! Rendering: from the loaded, checked content to the bytes of every output
//! file. Nothing here touches the disk; `output` writes what this returns.

mod chrome;
pub mod claims;
pub mod lists;
pub mod views;

use crate::catalog::{Catalog, SectionEntry, section_pages};
use crate::config::Config;
use crate::content::{Content, PageKind, SectionType};
use crate::data::Data;
use crate::diagnostics::Diagnostic;
use crate::format::Lang;
use crate::markdown::Rendered;
use crate::templates::template_error;
use crate::theme::Theme;
pub use chrome::{Alternates, Chrome};
use chrono::{DateTime, FixedOffset};
use lists::Paginated;
use minijinja::{Environment, Value, context};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// One file of the built site.
#[derive(Debug)]
pub struct Output {
    /// Relative to the output folder, `/`-separated: `en/events/index.html`.
    pub path: String,
    pub payload: Payload,
}

#[derive(Debug)]
pub enum Payload {
    Bytes(Vec<u8>),
    /// A co-located asset or static file, copied as it is.
    Copy(PathBuf),
}

/// Everything rendering reads, borrowed; built once per build.
pub struct Site<'a> {
    pub config: &'a Config,
    pub data: &'a Data,
    pub content: &'a Content,
    pub catalog: &'a Catalog,
    /// Rendered Markdown, by page index.
    pub bodies: &'a [Rendered],
    pub now: DateTime<FixedOffset>,
    pub theme: &'a Theme,
    pub env: &'a Environment<'static>,
    /// Whether a page in `organizations/` is an organization's profile.
    profiles: HashMap<String, usize>,
    /// What every page shares: language switch, navigation, strings.
    chrome: Chrome<'a>,
    /// Folders with feeds (URL → title), for autodiscovery links.
    feed_dirs: std::sync::OnceLock<BTreeMap<String, String>>,
    /// Each catalog item's list view, made the first time a list shows it:
    /// an item appears on its section's pages, its terms' pages, the home
    /// page and its organizer's page, and is serialized once for all.
    summaries: Vec<std::sync::OnceLock<Value>>,
}

/// The taxonomies kpot generates pages for.
pub const TAXONOMIES: [&str; 3] = ["categories", "regions", "organizers"];

/// How many upcoming events, open calls and programs an organization's page
/// shows before linking to the full, paginated list: a partner with
/// thousands of events would otherwise get a page of megabytes.
pub const ORGANIZATION_LIST: usize = 20;
/// How many of an organization's most recent past events its page shows.
pub const ORGANIZATION_PAST_LIST: usize = 10;

/// A unit of rendering work: one output file. Jobs run in parallel, and
/// `kpot serve` re-runs just the jobs an edit touches.
#[derive(Clone, Debug, PartialEq)]
pub enum Job {
    /// A catalog item's page (`catalog.items[i]`).
    Item(usize),
    /// One page of a section list (or of its archive); the `usize`
    /// indexes `catalog.sections`, so a job owns all it names and a plan
    /// can be kept between edits (`kpot serve`).
    SectionPage(usize, Paginated),
    Home(Lang),
    TaxonomyList(&'static str, Lang),
    /// One page of a term's list; the `usize` indexes [`Plan::terms`].
    TaxonomyTerm(&'static str, Lang, usize, Paginated),
    Councils(Lang),
    Council(usize, Lang),
    Organizations(Lang),
    Organization(usize, Lang),
    NotFound(Lang),
    Search(Lang),
}

/// What a build renders, worked out once: the generic sections with their
/// ordered items, every taxonomy term, and the jobs. Rendering then splits
/// into the jobs (one file each, see [`Site::render_jobs`]) and the files
/// that look at the whole site (feeds, sitemap; [`Site::render_extras`]).
pub struct Plan<'a> {
    /// Each generic section with its current items and its archive.
    pub sections: Vec<(&'a SectionEntry, Vec<usize>, Vec<usize>)>,
    pub terms: Vec<lists::TermList>,
    pub jobs: Vec<Job>,
}

impl<'a> Site<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: &'a Config,
        data: &'a Data,
        content: &'a Content,
        catalog: &'a Catalog,
        bodies: &'a [Rendered],
        now: DateTime<FixedOffset>,
        theme: &'a Theme,
        env: &'a Environment<'static>,
    ) -> Site<'a> {
        let profiles = content
            .pages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.section == "organizations" && data.organization(&p.slug).is_some())
            .map(|(i, p)| (format!("{}:{}", p.slug, p.lang.code()), i))
            .collect();
        let chrome = Chrome::new(config, theme, now);
        Site {
            config,
            data,
            content,
            catalog,
            bodies,
            now,
            theme,
            env,
            profiles,
            chrome,
            feed_dirs: std::sync::OnceLock::new(),
            summaries: (0..catalog.items.len())
                .map(|_| std::sync::OnceLock::new())
                .collect(),
        }
    }

    /// Renders every output. Template errors are collected, not fatal one by
    /// one, so an editor sees all of them.
    pub fn render(&self) -> Result<Vec<Output>, Vec<Diagnostic>> {
        let plan = self.plan();
        let mut outputs = self.render_jobs(&plan, &plan.jobs)?;
        outputs.extend(self.render_extras(&plan));
        Ok(outputs)
    }

    /// Frees the list views made so far (they are made again if needed):
    /// a build calls it once the pages are rendered, before the feeds.
    pub fn forget_list_views(&mut self) {
        for view in &mut self.summaries {
            view.take();
        }
    }

    /// Works out the sections, terms and jobs of this build.
    pub fn plan(&self) -> Plan<'a> {
        let generic: Vec<usize> = (0..self.catalog.sections.len())
            .filter(|&i| self.is_generic_section(&self.catalog.sections[i]))
            .collect();
        // Sections and taxonomy terms are gathered and sorted side by side.
        let (sections, terms) = rayon::join(
            || -> Vec<(&'a SectionEntry, Vec<usize>, Vec<usize>)> {
                generic
                    .par_iter()
                    .map(|&i| {
                        let entry = &self.catalog.sections[i];
                        let (current, archive) = self.section_items(entry);
                        (entry, current, archive)
                    })
                    .collect()
            },
            || lists::collect_terms(self),
        );
        // The terms just gathered name the term feeds: gathering them again
        // for the first page's feed links would sort every term's items twice.
        if self.feed_dirs.get().is_none() {
            let _ = self.feed_dirs.set(crate::feeds::feed_dirs(self, &terms));
        }

        let mut jobs: Vec<Job> = Vec::new();
        for (index, item) in self.catalog.items.iter().enumerate() {
            let page = &self.content.pages[item.page];
            if self.profile_of(page).is_none() {
                jobs.push(Job::Item(index));
            }
        }
        for (&section, (entry, current, archive)) in generic.iter().zip(&sections) {
            let meta = crate::catalog::section_meta(self.content, entry);
            if !meta.render {
                continue;
            }
            if entry.url == Lang::Ja.prefix().to_string() + "/" || entry.url == "/en/" {
                continue;
            }
            for page in lists::paginate(current, meta.paginate_by, &entry.url, &meta.paginate_path)
            {
                jobs.push(Job::SectionPage(section, page));
            }
            if !archive.is_empty() {
                let url = format!("{}archive/", entry.url);
                for mut page in
                    lists::paginate(archive, meta.paginate_by, &url, &meta.paginate_path)
                {
                    page.archive = true;
                    jobs.push(Job::SectionPage(section, page));
                }
            }
        }
        for lang in Lang::ALL {
            jobs.push(Job::Home(lang));
            jobs.push(Job::NotFound(lang));
            jobs.push(Job::Search(lang));
            for taxonomy in TAXONOMIES {
                jobs.push(Job::TaxonomyList(taxonomy, lang));
                for (index, term) in terms.iter().enumerate() {
                    if term.taxonomy != taxonomy || term.lang != lang {
                        continue;
                    }
                    for page in lists::paginate(
                        &term.items,
                        Some(self.config.taxonomy_paginate_by),
                        &term.url,
                        "page",
                    ) {
                        jobs.push(Job::TaxonomyTerm(taxonomy, lang, index, page));
                    }
                }
            }
            if !self.data.councils.is_empty() {
                jobs.push(Job::Councils(lang));
                for index in 0..self.data.councils.len() {
                    jobs.push(Job::Council(index, lang));
                }
            }
            if !self.data.organizations.is_empty() {
                jobs.push(Job::Organizations(lang));
                for index in 0..self.data.organizations.len() {
                    jobs.push(Job::Organization(index, lang));
                }
            }
        }
        Plan {
            sections,
            terms,
            jobs,
        }
    }

    /// Renders `jobs` (all of `plan.jobs` or any part of them) in parallel,
    /// one output each, in the same order. Every distinct template error is
    /// reported, not just the first.
    pub fn render_jobs(
        &self,
        plan: &Plan<'_>,
        jobs: &[Job],
    ) -> Result<Vec<Output>, Vec<Diagnostic>> {
        let results: Vec<Result<Output, Diagnostic>> = jobs
            .par_iter()
            .map(|job| self.render_job(plan, job))
            .collect();
        let mut outputs = Vec::with_capacity(results.len());
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok(output) => outputs.push(output),
                Err(diagnostic) => {
                    if !errors.iter().any(|e: &Diagnostic| {
                        e.message == diagnostic.message && e.file == diagnostic.file
                    }) {
                        errors.push(diagnostic);
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(outputs)
        } else {
            Err(errors)
        }
    }

    /// The files that are not one job's: sitemap, robots.txt, feeds and
    /// calendars, alias redirects, co-located assets and static files.
    pub fn render_extras(&self, plan: &Plan<'_>) -> Vec<Output> {
        // The sitemap and the feeds each take seconds on a large site: side
        // by side.
        let (sitemap, mut outputs) = rayon::join(
            || self.sitemap(&plan.sections, &plan.terms),
            || crate::feeds::outputs(self, &plan.terms),
        );
        outputs.extend(sitemap);
        outputs.push(Output {
            path: "robots.txt".into(),
            payload: Payload::Bytes(
                format!(
                    "User-agent: *\nAllow: /\n\nSitemap: {}\n",
                    self.config.absolute("/sitemap.xml")
                )
                .into_bytes(),
            ),
        });
        outputs.extend(self.aliases());
        outputs.extend(self.assets());
        let editor = crate::cms::Backend::for_site(self.config);
        outputs.extend(self.static_files(editor.is_some()));
        if let Some(backend) = editor {
            let strings = self.theme.strings(Lang::Ja);
            outputs.extend(
                crate::cms::outputs(self.config, self.data, strings, &backend)
                    .into_iter()
                    .map(|(path, bytes)| Output {
                        path,
                        payload: Payload::Bytes(bytes),
                    }),
            );
        }
        outputs
    }

    /// The file of one job of `plan`.
    pub fn render_job(&self, plan: &Plan<'_>, job: &Job) -> Result<Output, Diagnostic> {
        let terms = &plan.terms;
        match job {
            Job::Item(index) => self.render_item(*index),
            Job::SectionPage(section, page) => {
                self.render_section(&self.catalog.sections[*section], page)
            }
            Job::Home(lang) => self.render_home(*lang, terms),
            Job::TaxonomyList(taxonomy, lang) => self.render_taxonomy_list(taxonomy, *lang, terms),
            Job::TaxonomyTerm(taxonomy, lang, term, page) => {
                self.render_term(taxonomy, *lang, &terms[*term], page)
            }
            Job::Councils(lang) => self.render_councils(*lang),
            Job::Council(index, lang) => self.render_council(*index, *lang),
            Job::Organizations(lang) => self.render_organizations(*lang),
            Job::Organization(index, lang) => self.render_organization(*index, *lang),
            Job::Search(lang) => {
                // The static page: a form that `kpot server` answers at the
                // same address, and that the script enhances.
                let url = format!("{}/search/", lang.prefix());
                let request = crate::search::Request::default();
                let ctx = context! {
                    search => crate::server::page_context(&request, *lang, &url),
                    ..self.base(*lang, &url, Alternates::Same("/search/"))
                };
                Ok(Output {
                    path: index_path(&url),
                    payload: Payload::Bytes(self.template("search.html", ctx)?),
                })
            }
            Job::NotFound(lang) => {
                let url = format!("{}/404.html", lang.prefix());
                let ctx = context! { ..self.base(*lang, &url, Alternates::Same("/404.html")) };
                Ok(Output {
                    path: url.trim_start_matches('/').to_string(),
                    payload: Payload::Bytes(self.template("404.html", ctx)?),
                })
            }
        }
    }

    fn profile_of(&self, page: &crate::content::Page) -> Option<usize> {
        if page.section != "organizations" {
            return None;
        }
        self.data
            .organizations
            .iter()
            .position(|org| org.id == page.slug)
    }

    /// Sections with a dedicated generator (home, councils, organizations)
    /// are not rendered as plain lists.
    fn is_generic_section(&self, entry: &SectionEntry) -> bool {
        let folder = &self.content.sections[entry.section].path;
        let councils = folder == "councils" && !self.data.councils.is_empty();
        let organizations = folder == "organizations" && !self.data.organizations.is_empty();
        !councils && !organizations
    }

    /// The template a page asks for, if the theme has it; a Zola site's
    /// own template names fall back to ours (`validate::templates` warns).
    fn pick_template<'n>(&self, wanted: Option<&'n str>, default: &'n str) -> &'n str {
        match wanted {
            Some(name) if self.env.get_template(name).is_ok() => name,
            _ => default,
        }
    }

    pub(crate) fn template(&self, name: &str, ctx: Value) -> Result<Vec<u8>, Diagnostic> {
        let template = self
            .env
            .get_template(name)
            .map_err(|err| template_error(name, &err))?;
        template
            .render(ctx)
            .map(String::into_bytes)
            .map_err(|err| template_error(name, &err))
    }

    /// The context every template gets: the shared chrome, plus the feeds a
    /// reader can subscribe to from this page.
    pub(crate) fn base(&self, lang: Lang, url: &str, alternates: Alternates<'_>) -> Value {
        context! {
            feeds => self.feed_links(lang, url),
            ..self.chrome.base(lang, url, alternates)
        }
    }

    /// The feed folders of the site (URL → title), worked out once.
    pub fn feed_dirs(&self) -> &BTreeMap<String, String> {
        self.feed_dirs
            .get_or_init(|| crate::feeds::feed_dirs(self, &lists::collect_terms(self)))
    }

    /// Gives the feed folders worked out for an earlier `Site` of the same
    /// sections and terms (`kpot serve` between edits), saving the work.
    pub fn reuse_feed_dirs(&self, dirs: BTreeMap<String, String>) {
        let _ = self.feed_dirs.set(dirs);
    }

    /// The feed folder nearest to `url` (a section or term with feeds).
    pub fn feed_dir_for(&self, url: &str) -> Option<(&str, &str)> {
        let dirs = self.feed_dirs();
        let mut candidate = url;
        loop {
            if let Some((dir, title)) = dirs.get_key_value(candidate) {
                return Some((dir.as_str(), title.as_str()));
            }
            let trimmed = candidate.strip_suffix('/')?;
            let cut = trimmed.rfind('/')?;
            candidate = &candidate[..=cut];
        }
    }

    /// `<link rel="alternate">` targets for feed readers: the nearest
    /// section or term feed, then the site's, each as RSS and Atom.
    fn feed_links(&self, lang: Lang, url: &str) -> Vec<Value> {
        let mut links = Vec::new();
        for (dir, title) in crate::feeds::discovery(self, lang, url) {
            let title = crate::feeds::feed_title(self, lang, Some(&title));
            links.push(context! { kind => "application/rss+xml", href => format!("{dir}rss.xml"), title => format!("{title} (RSS)") });
            links.push(context! { kind => "application/atom+xml", href => format!("{dir}atom.xml"), title => format!("{title} (Atom)") });
        }
        links
    }

    /// The template an item's page is rendered with.
    fn item_template(&self, index: usize) -> &str {
        let page = &self.content.pages[self.catalog.items[index].page];
        let section_template = self
            .content
            .sections
            .iter()
            .find(|s| s.path == page.section && s.lang == page.lang)
            .and_then(|s| s.meta.page_template.as_deref());
        let default = match page.kind {
            PageKind::Event(_) => "event.html",
            PageKind::Notice(_) => "notice.html",
            PageKind::Program(_) => "program.html",
            PageKind::Plain if page.section == crate::feeds::newsletter::SECTION => {
                "newsletter.html"
            }
            PageKind::Plain => "page.html",
        };
        self.pick_template(page.meta.template.as_deref().or(section_template), default)
    }

    /// The output file a job writes, without rendering it: `kpot serve`
    /// uses it to find the files that no job writes any more.
    pub fn job_path(&self, job: &Job) -> String {
        match job {
            Job::Item(index) => index_path(&self.catalog.items[*index].url),
            Job::SectionPage(_, page) | Job::TaxonomyTerm(_, _, _, page) => index_path(&page.url),
            Job::Home(lang) => index_path(&format!("{}/", lang.prefix())),
            Job::TaxonomyList(taxonomy, lang) => {
                index_path(&format!("{}/{}/", lang.prefix(), taxonomy))
            }
            Job::Councils(lang) => index_path(&format!("{}/councils/", lang.prefix())),
            Job::Council(index, lang) => index_path(&format!(
                "{}/councils/{}/",
                lang.prefix(),
                self.data.councils[*index].prefecture
            )),
            Job::Organizations(lang) => index_path(&format!("{}/organizations/", lang.prefix())),
            Job::Organization(index, lang) => index_path(&format!(
                "{}/organizations/{}/",
                lang.prefix(),
                self.data.organizations[*index].id
            )),
            Job::NotFound(lang) => format!("{}/404.html", lang.prefix())
                .trim_start_matches('/')
                .to_string(),
            Job::Search(lang) => index_path(&format!("{}/search/", lang.prefix())),
        }
    }

    /// The template a job renders (`None`: a redirect, no template), so
    /// that `kpot serve` re-renders just the jobs a template edit touches.
    pub fn job_template(&self, job: &Job) -> Option<&str> {
        Some(match job {
            Job::Item(index) => self.item_template(*index),
            Job::SectionPage(section, _) => {
                let entry = &self.catalog.sections[*section];
                let meta = &self.content.sections[entry.section].meta;
                if meta.redirect_to.is_some() {
                    return None;
                }
                self.pick_template(meta.template.as_deref(), "section.html")
            }
            Job::Home(_) => "index.html",
            Job::TaxonomyList(..) => "taxonomy_list.html",
            Job::TaxonomyTerm(..) => "taxonomy_single.html",
            Job::Councils(_) => "councils.html",
            Job::Council(..) => "council.html",
            Job::Organizations(_) => "organizations.html",
            Job::Organization(..) => "organization.html",
            Job::NotFound(_) => "404.html",
            Job::Search(_) => "search.html",
        })
    }

    fn render_item(&self, index: usize) -> Result<Output, Diagnostic> {
        let item = &self.catalog.items[index];
        let page = &self.content.pages[item.page];
        let view = self.page_view(index, true);
        let other = match item.lang {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        };
        let other_item = self.catalog.item(&page.key, other);
        let base = self.base(
            item.lang,
            &item.url,
            Alternates::Item {
                other_url: other_item.map_or(item.url.as_str(), |o| o.url.as_str()),
                other_is_fallback: other_item.is_none_or(|o| o.fallback),
                self_is_fallback: item.fallback,
                original: view.original_url.as_deref(),
            },
        );
        let template = self.item_template(index);
        let windows: Vec<Value> = if page.key == "programs/management-innovation-plan.md" {
            self.data
                .windows
                .iter()
                .map(|w| {
                    context! {
                        name => w.name.get(item.lang),
                        kind => ser(w.kind),
                        phone => w.phone.clone(),
                        area => w.area.as_ref().map(|a| a.get(item.lang)),
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let calendar_url = (self.config.generate_feeds
            && matches!(page.kind, PageKind::Event(_))
            && !page.meta.draft)
            .then(|| {
                let own = view.original_url.as_deref().unwrap_or(&item.url);
                format!("{own}event.ics")
            });
        let ctx = context! {
            page => ser(&view),
            windows => windows,
            calendar_url => calendar_url,
            newsletter => crate::feeds::newsletter::view(self, index).map(ser),
            ..base
        };
        Ok(Output {
            path: index_path(&item.url),
            payload: Payload::Bytes(self.template(template, ctx)?),
        })
    }

    fn summaries(&self, items: &[usize]) -> Vec<Value> {
        items
            .iter()
            .map(|&i| {
                self.summaries[i]
                    .get_or_init(|| ser(self.page_view(i, false)))
                    .clone()
            })
            .collect()
    }

    fn render_section(
        &self,
        entry: &SectionEntry,
        paginated: &Paginated,
    ) -> Result<Output, Diagnostic> {
        let section = &self.content.sections[entry.section];
        let meta = &section.meta;
        let body = if entry.fallback {
            None
        } else {
            Some(self.section_body(entry))
        };
        let url = paginated.url.clone();
        let path_in_lang = entry
            .url
            .strip_prefix(entry.lang.prefix())
            .unwrap_or(&entry.url);
        let base = self.base(entry.lang, &url, Alternates::Same(path_in_lang));
        let kind = match SectionType::of(&format!("{}/", section.path)) {
            SectionType::Events => "events",
            SectionType::Notices => "notices",
            SectionType::Programs => "programs",
            SectionType::Other => "pages",
        };
        let organization = crate::content::load::partner_of(&section.path)
            .and_then(|id| self.data.organization(id))
            .map(|org| self.organization_view(org, entry.lang));
        let ctx = context! {
            section => context! {
                title => self.section_title(entry),
                description => meta.description.clone(),
                content => body,
                url => entry.url.clone(),
                path => section.path.clone(),
                kind => kind,
                fallback => entry.fallback,
                organization => organization.map(ser),
                archive_url => (kind == "events" && section.path == "events").then(|| format!("{}archive/", entry.url)),
                extra => ser(&meta.extra),
            },
            archive => paginated.archive,
            paginator => self.paginator_value(paginated),
            ..base
        };
        if let Some(target) = &meta.redirect_to {
            return Ok(Output {
                path: index_path(&url),
                payload: Payload::Bytes(
                    redirect_html(
                        entry.lang,
                        &self.section_title(entry),
                        target,
                        &self.config.absolute(target),
                    )
                    .into_bytes(),
                ),
            });
        }
        let template = self.pick_template(meta.template.as_deref(), "section.html");
        Ok(Output {
            path: index_path(&url),
            payload: Payload::Bytes(self.template(template, ctx)?),
        })
    }

    /// A section's title; a partner folder whose `_index.md` is missing (or
    /// gives no title) is titled with the organization's name, as PORTAL.md
    /// asks.
    pub fn section_title(&self, entry: &SectionEntry) -> String {
        let section = &self.content.sections[entry.section];
        if let Some(title) = &section.meta.title {
            return title.clone();
        }
        crate::content::load::partner_folder(&section.path)
            .filter(|folder| *folder == section.path)
            .and_then(crate::content::load::partner_of)
            .and_then(|id| self.data.organization(id))
            .map(|org| org.name.get(entry.lang).to_string())
            .unwrap_or_default()
    }

    fn section_body(&self, entry: &SectionEntry) -> String {
        let section = &self.content.sections[entry.section];
        crate::markdown::render(&section.body, &self.catalog.links(entry.lang))
            .0
            .html
    }

    fn paginator_value(&self, paginated: &Paginated) -> Value {
        context! {
            number => paginated.number,
            total_pages => paginated.total_pages,
            total_items => paginated.total_items,
            items => self.summaries(&paginated.items),
            prev_url => paginated.prev_url.clone(),
            next_url => paginated.next_url.clone(),
            pages => paginated.links.iter().map(|(n, u)| context! { number => *n, url => u.clone(), current => *n == paginated.number }).collect::<Vec<_>>(),
        }
    }

    /// A section's items in a language, ordered: for events, current ones
    /// soonest first and past ones (the archive) latest first; for notices,
    /// open and closing, then upcoming, then closed; else Zola's `sort_by`.
    fn section_items(&self, entry: &SectionEntry) -> (Vec<usize>, Vec<usize>) {
        let section = &self.content.sections[entry.section];
        let mut keys: Vec<&str> = section_pages(self.content, &section.path)
            .into_iter()
            .map(|p| self.content.pages[p].key.as_str())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let items: Vec<usize> = keys
            .into_iter()
            .filter_map(|key| self.catalog.item_index(key, entry.lang))
            .filter(|&i| {
                self.profile_of(&self.content.pages[self.catalog.items[i].page])
                    .is_none()
            })
            .collect();
        let (mut current, archive) = lists::order(self, items, &section.path, &section.meta);
        if section.meta.paginate_reversed {
            current.reverse();
        }
        (current, archive)
    }

    fn render_home(&self, lang: Lang, terms: &[lists::TermList]) -> Result<Output, Diagnostic> {
        let url = format!("{}/", lang.prefix());
        let base = self.base(lang, &url, Alternates::Same("/"));
        let home = self.catalog.section("", lang);
        let (title, description, body) = match home {
            Some(entry) => {
                let meta = &self.content.sections[entry.section].meta;
                (
                    meta.title.clone(),
                    meta.description.clone(),
                    (!entry.fallback).then(|| self.section_body(entry)),
                )
            }
            None => (None, None, None),
        };
        let home_lists = lists::home(self, lang);
        let term_summary = |taxonomy: &str| -> Vec<Value> {
            terms
                .iter()
                .filter(|t| t.taxonomy == taxonomy && t.lang == lang)
                .map(|t| context! { slug => t.slug.clone(), name => t.name.clone(), url => t.url.clone(), count => t.items.len() })
                .collect()
        };
        let ctx = context! {
            section => context! { title => title, description => description, content => body },
            open_notices => self.summaries(&home_lists.open_notices),
            upcoming_events => self.summaries(&home_lists.upcoming_events),
            programs => self.summaries(&home_lists.programs),
            recent => self.summaries(&home_lists.recent),
            categories => term_summary("categories"),
            regions => term_summary("regions"),
            ..base
        };
        Ok(Output {
            path: index_path(&url),
            payload: Payload::Bytes(self.template("index.html", ctx)?),
        })
    }

    fn render_taxonomy_list(
        &self,
        taxonomy: &str,
        lang: Lang,
        terms: &[lists::TermList],
    ) -> Result<Output, Diagnostic> {
        let url = format!("{}/{}/", lang.prefix(), taxonomy);
        let base = self.base(lang, &url, Alternates::Same(&format!("/{taxonomy}/")));
        let list: Vec<Value> = terms
            .iter()
            .filter(|t| t.taxonomy == taxonomy && t.lang == lang)
            .map(|t| context! { slug => t.slug.clone(), name => t.name.clone(), url => t.url.clone(), count => t.items.len() })
            .collect();
        let ctx = context! { taxonomy => taxonomy, terms => list, ..base };
        Ok(Output {
            path: index_path(&url),
            payload: Payload::Bytes(self.template("taxonomy_list.html", ctx)?),
        })
    }

    fn render_term(
        &self,
        taxonomy: &str,
        lang: Lang,
        term: &lists::TermList,
        paginated: &Paginated,
    ) -> Result<Output, Diagnostic> {
        let path = format!("/{}/{}/", taxonomy, term.slug);
        let base = self.base(lang, &paginated.url, Alternates::Same(&path));
        let ctx = context! {
            taxonomy => taxonomy,
            term => context! { slug => term.slug.clone(), name => term.name.clone(), url => term.url.clone(), count => term.items.len() },
            paginator => self.paginator_value(paginated),
            ..base
        };
        Ok(Output {
            path: index_path(&paginated.url),
            payload: Payload::Bytes(self.template("taxonomy_single.html", ctx)?),
        })
    }

    fn special_section(&self, folder: &str, lang: Lang) -> Value {
        match self.catalog.section(folder, lang) {
            Some(entry) => {
                let meta = &self.content.sections[entry.section].meta;
                context! {
                    title => meta.title.clone(),
                    description => meta.description.clone(),
                    content => (!entry.fallback).then(|| self.section_body(entry)),
                    fallback => entry.fallback,
                }
            }
            None => context! {},
        }
    }

    fn render_councils(&self, lang: Lang) -> Result<Output, Diagnostic> {
        let url = format!("{}/councils/", lang.prefix());
        let base = self.base(lang, &url, Alternates::Same("/councils/"));
        let councils: Vec<serde_json::Value> = self
            .data
            .councils
            .iter()
            .map(|c| self.council_view(c, lang))
            .collect();
        let ctx = context! {
            section => self.special_section("councils", lang),
            councils => ser(&councils),
            as_of => self.data.councils_as_of.map(|d| d.to_string()),
            ..base
        };
        Ok(Output {
            path: index_path(&url),
            payload: Payload::Bytes(self.template("councils.html", ctx)?),
        })
    }

    fn render_council(&self, index: usize, lang: Lang) -> Result<Output, Diagnostic> {
        let council = &self.data.councils[index];
        let path = format!("/councils/{}/", council.prefecture);
        let url = format!("{}{}", lang.prefix(), path);
        let base = self.base(lang, &url, Alternates::Same(&path));
        let ctx = context! {
            council => ser(self.council_view(council, lang)),
            section => self.special_section("councils", lang),
            as_of => self.data.councils_as_of.map(|d| d.to_string()),
            ..base
        };
        Ok(Output {
            path: index_path(&url),
            payload: Payload::Bytes(self.template("council.html", ctx)?),
        })
    }

    fn render_organizations(&self, lang: Lang) -> Result<Output, Diagnostic> {
        let url = format!("{}/organizations/", lang.prefix());
        let base = self.base(lang, &url, Alternates::Same("/organizations/"));
        let orgs: Vec<serde_json::Value> = self
            .data
            .organizations
            .iter()
            .map(|o| self.organization_view(o, lang))
            .collect();
        let ctx = context! {
            section => self.special_section("organizations", lang),
            organizations => ser(&orgs),
            ..base
        };
        Ok(Output {
            path: index_path(&url),
            payload: Payload::Bytes(self.template("organizations.html", ctx)?),
        })
    }

    fn render_organization(&self, index: usize, lang: Lang) -> Result<Output, Diagnostic> {
        let org = &self.data.organizations[index];
        let path = format!("/organizations/{}/", org.id);
        let url = format!("{}{}", lang.prefix(), path);
        let profile = self
            .profiles
            .get(&format!("{}:{}", org.id, lang.code()))
            .map(|&p| {
                let page = &self.content.pages[p];
                context! {
                    title => page.meta.title.clone(),
                    description => page.meta.description.clone(),
                    content => self.bodies[p].html.clone(),
                }
            });
        let has_ja_profile = self.profiles.contains_key(&format!("{}:ja", org.id));
        let base = self.base(lang, &url, Alternates::Same(&path));
        let items = lists::organization_items(self, &org.id, lang);
        // Everything the organization publishes, under the organizer term.
        let everything =
            lists::term_url("organizers", lang, &crate::content::load::slugify(&org.id));
        // The partner's own folder lists its items page by page.
        let folder = |section: &str| {
            self.catalog
                .section(&format!("{section}/{}", org.id), lang)
                .filter(|entry| crate::catalog::section_meta(self.content, entry).render)
                .map_or_else(|| everything.clone(), |entry| entry.url.clone())
        };
        let list = |items: &[usize], limit: usize, all_url: String| {
            context! {
                items => self.summaries(&items[..items.len().min(limit)]),
                total => items.len(),
                all_url => all_url,
            }
        };
        let ctx = context! {
            organization => ser(self.organization_view(org, lang)),
            profile => profile,
            profile_in_japanese_only => lang == Lang::En && has_ja_profile && !self.profiles.contains_key(&format!("{}:en", org.id)),
            events => list(&items.events, ORGANIZATION_LIST, folder("events")),
            past_events => list(&items.past_events, ORGANIZATION_PAST_LIST, folder("events")),
            notices => list(&items.notices, ORGANIZATION_LIST, folder("notices")),
            programs => list(&items.programs, ORGANIZATION_LIST, everything.clone()),
            calendar_url => self.config.generate_feeds.then(|| format!("{}/organizations/{}/calendar.ics", lang.prefix(), org.id)),
            ..base
        };
        Ok(Output {
            path: index_path(&url),
            payload: Payload::Bytes(self.template("organization.html", ctx)?),
        })
    }

    /// `sitemap.xml` with the language alternates of every indexable page;
    /// English fallbacks are left out (they are `noindex`).
    fn sitemap(
        &self,
        sections: &[(&SectionEntry, Vec<usize>, Vec<usize>)],
        terms: &[lists::TermList],
    ) -> Vec<Output> {
        // URL → (lastmod, language alternates)
        type Entry<'a> = (Option<String>, Vec<(&'a str, String)>);
        let mut urls: BTreeMap<String, Entry<'_>> = BTreeMap::new();
        for item in &self.catalog.items {
            if item.fallback {
                continue;
            }
            let page = &self.content.pages[item.page];
            let mut alternates = Vec::new();
            for lang in Lang::ALL {
                if let Some(other) = self.catalog.item(&page.key, lang)
                    && !other.fallback
                {
                    alternates.push((lang.code(), self.config.absolute(&other.url)));
                }
            }
            if alternates.len() < 2 {
                alternates.clear();
            }
            let lastmod = page
                .meta
                .updated
                .or(page.meta.date)
                .map(|d| d.day().to_string());
            urls.insert(self.config.absolute(&item.url), (lastmod, alternates));
        }
        let mut both = |path: String| {
            let alternates: Vec<(&str, String)> = Lang::ALL
                .iter()
                .map(|l| {
                    (
                        l.code(),
                        self.config.absolute(&format!("{}{}", l.prefix(), path)),
                    )
                })
                .collect();
            for (_, url) in &alternates {
                urls.insert(url.clone(), (None, alternates.clone()));
            }
        };
        both("/".into());
        for (entry, _, _) in sections {
            if entry.lang == Lang::Ja && !entry.url.is_empty() && entry.url != "/" {
                both(entry.url.clone());
            }
        }
        for term in terms.iter().filter(|t| t.lang == Lang::Ja) {
            both(term.url.clone());
        }
        for council in &self.data.councils {
            both(format!("/councils/{}/", council.prefecture));
        }
        if !self.data.councils.is_empty() {
            both("/councils/".into());
        }
        for org in &self.data.organizations {
            both(format!("/organizations/{}/", org.id));
        }
        let entries: Vec<String> = urls
            .iter()
            .map(|(loc, (lastmod, alternates))| {
                let mut xml = String::from("  <url>\n    <loc>");
                xml.push_str(&xml_escape(loc));
                xml.push_str("</loc>\n");
                if let Some(lastmod) = lastmod {
                    xml.push_str(&format!("    <lastmod>{lastmod}</lastmod>\n"));
                }
                for (code, href) in alternates {
                    xml.push_str(&format!(
                        "    <xhtml:link rel=\"alternate\" hreflang=\"{code}\" href=\"{}\"/>\n",
                        xml_escape(href)
                    ));
                }
                xml.push_str("  </url>\n");
                xml
            })
            .collect();
        sitemap_files(&entries, SITEMAP_URLS, &|path| self.config.absolute(path))
    }

    /// Redirect pages for `aliases`, as Zola writes them.
    fn aliases(&self) -> Vec<Output> {
        let mut out = Vec::new();
        for item in self.catalog.items.iter().filter(|i| !i.fallback) {
            let page = &self.content.pages[item.page];
            for alias in &page.meta.aliases {
                let Some(path) = crate::catalog::clean_alias(alias) else {
                    continue;
                };
                let html = redirect_html(
                    item.lang,
                    &page.meta.title,
                    &item.url,
                    &self.config.absolute(&item.url),
                );
                out.push(Output {
                    path: claims::alias_file(path),
                    payload: Payload::Bytes(html.into_bytes()),
                });
            }
        }
        out
    }

    /// Co-located files, copied beside the page or section that owns them.
    fn assets(&self) -> Vec<Output> {
        let mut out = Vec::new();
        for item in self.catalog.items.iter().filter(|i| !i.fallback) {
            let page = &self.content.pages[item.page];
            for asset in &page.assets {
                if let Some(name) = asset.file_name() {
                    out.push(Output {
                        path: format!(
                            "{}{}",
                            item.url.trim_start_matches('/'),
                            name.to_string_lossy()
                        ),
                        payload: Payload::Copy(asset.clone()),
                    });
                }
            }
        }
        for entry in self.catalog.sections.iter().filter(|s| s.lang == Lang::Ja) {
            let section = &self.content.sections[entry.section];
            for asset in &section.assets {
                if let Some(name) = asset.file_name() {
                    out.push(Output {
                        path: format!(
                            "{}{}",
                            entry.url.trim_start_matches('/'),
                            name.to_string_lossy()
                        ),
                        payload: Payload::Copy(asset.clone()),
                    });
                }
            }
        }
        out
    }

    /// The theme's static files; the web editor's (`admin/`) only for a
    /// site that has the editor.
    fn static_files(&self, with_editor: bool) -> Vec<Output> {
        self.theme
            .static_files
            .iter()
            .filter(|(name, _)| with_editor || !name.starts_with("admin/"))
            .map(|(name, bytes)| Output {
                path: name.clone(),
                payload: Payload::Bytes(bytes.clone()),
            })
            .collect()
    }
}

/// A page that sends the reader (and search engines, through the canonical
/// link) to `target`, as Zola's aliases and `redirect_to` do.
fn redirect_html(lang: Lang, title: &str, target: &str, absolute: &str) -> String {
    let target = xml_escape(target);
    format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title><link rel=\"canonical\" href=\"{}\"><meta name=\"robots\" content=\"noindex\"><meta http-equiv=\"refresh\" content=\"0; url={target}\"></head><body><p><a href=\"{target}\">{}</a></p></body></html>\n",
        lang.code(),
        xml_escape(title),
        xml_escape(absolute),
        xml_escape(if title.is_empty() {
            target.as_str()
        } else {
            title
        }),
    )
}

/// A serializable value as a template value.
pub(crate) fn ser<T: serde::Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// `/en/events/` → `en/events/index.html`.
pub fn index_path(url: &str) -> String {
    let trimmed = url.trim_start_matches('/');
    if trimmed.is_empty() {
        "index.html".into()
    } else if trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else {
        format!("{trimmed}/index.html")
    }
}

/// The sitemaps protocol's limit of URLs in one file (sitemaps.org); a
/// 50,000-page portal in two languages has more.
const SITEMAP_URLS: usize = 50_000;

/// `sitemap.xml` holding the `<url>` `entries`, or, when there are more than
/// `limit`, a sitemap index of files of at most `limit` entries each.
fn sitemap_files(
    entries: &[String],
    limit: usize,
    absolute: &dyn Fn(&str) -> String,
) -> Vec<Output> {
    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    let urlset = |entries: &[String]| {
        let mut xml = String::from(HEAD);
        xml.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n");
        for entry in entries {
            xml.push_str(entry);
        }
        xml.push_str("</urlset>\n");
        xml.into_bytes()
    };
    let file = |path: String, bytes: Vec<u8>| Output {
        path,
        payload: Payload::Bytes(bytes),
    };
    if entries.len() <= limit {
        return vec![file("sitemap.xml".into(), urlset(entries))];
    }
    let mut index = String::from(HEAD);
    index.push_str("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let mut outputs = Vec::new();
    for (n, chunk) in entries.chunks(limit.max(1)).enumerate() {
        let name = format!("sitemap-{}.xml", n + 1);
        index.push_str(&format!(
            "  <sitemap>\n    <loc>{}</loc>\n  </sitemap>\n",
            xml_escape(&absolute(&format!("/{name}")))
        ));
        outputs.push(file(name, urlset(chunk)));
    }
    index.push_str("</sitemapindex>\n");
    outputs.push(file("sitemap.xml".into(), index.into_bytes()));
    outputs
}

pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped_char(&mut out, c);
    }
    out
}

/// One character as HTML/XML text: the five markup characters escaped.
pub fn push_escaped_char(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(output: &Output) -> &str {
        match &output.payload {
            Payload::Bytes(bytes) => std::str::from_utf8(bytes).unwrap(),
            Payload::Copy(_) => panic!("a sitemap is bytes"),
        }
    }

    #[test]
    fn a_sitemap_past_the_limit_becomes_an_index_of_sitemaps() {
        let entries: Vec<String> = (1..=5)
            .map(|n| format!("  <url>\n    <loc>https://e.org/{n}/</loc>\n  </url>\n"))
            .collect();
        let absolute = |path: &str| format!("https://e.org{path}");
        let one = sitemap_files(&entries, 5, &absolute);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].path, "sitemap.xml");
        assert!(text(&one[0]).contains("<urlset") && text(&one[0]).contains("/5/</loc>"));

        let split = sitemap_files(&entries, 2, &absolute);
        let paths: Vec<&str> = split.iter().map(|o| o.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "sitemap-1.xml",
                "sitemap-2.xml",
                "sitemap-3.xml",
                "sitemap.xml"
            ]
        );
        let index = text(&split[3]);
        assert!(index.contains("<sitemapindex"), "{index}");
        assert!(
            index.contains("<loc>https://e.org/sitemap-3.xml</loc>"),
            "{index}"
        );
        assert!(!index.contains("<url>"), "{index}");
        assert!(text(&split[0]).contains("/1/</loc>") && text(&split[0]).contains("/2/</loc>"));
        assert!(!text(&split[0]).contains("/3/</loc>"));
        assert!(text(&split[2]).contains("/5/</loc>") && text(&split[2]).contains("</urlset>"));
    }
}
