//! The site as `kpot serve` keeps it between edits, and the incremental
//! rebuild: reload what changed, work out which output files can show it,
//! render just those, and replace only the files whose bytes changed.
//!
//! Loading mirrors `build::prepare` with the same building blocks, but keeps
//! what an incremental rebuild needs and `prepare` drops: each file's own
//! problems (so a fixed file's errors go away), the link problems of every
//! page, and the catalog's problems. `tests/serve.rs` compares the result of
//! a series of edits with a clean `kpot build`: the same files, byte for byte.
//!
//! Which jobs to render is decided by fingerprints. Every page has a
//! revision, bumped when its file, its translation or its rendered body
//! changes; a job's fingerprint hashes what it shows (for a list: which
//! pages, in which order, at which revision, and its pagination). A job
//! whose fingerprint is unchanged would render the same bytes, so it is not
//! rendered. The few pages that summarise the whole site (home, taxonomy
//! lists) and the files of `Site::render_extras` (feeds, calendars, sitemap)
//! are rendered every time; only changed bytes are replaced.

use super::{Live, Signal};
use crate::catalog::{self, Catalog};
use crate::config::{self, Config};
use crate::content::{self, Content, LoadOptions};
use crate::data::{self, Data};
use crate::diagnostics::{Diagnostic, Diagnostics, Text};
use crate::format::Lang;
use crate::markdown::{self, LinkProblem, Rendered};
use crate::render::{Job, Payload, Site};
use crate::search;
use crate::templates;
use crate::theme::{self, Theme};
use crate::validate;
use axum::body::Bytes;
use rayon::prelude::*;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a serve session was started with.
#[derive(Clone, Debug)]
pub struct Settings {
    pub root: PathBuf,
    pub now: Option<String>,
    pub include_drafts: bool,
    /// Language of terminal and overlay messages.
    pub lang: Lang,
}

/// Everything loaded from the sources, kept between edits.
struct Sources {
    config: Config,
    theme: Theme,
    env: minijinja::Environment<'static>,
    data: Data,
    data_problems: Vec<Diagnostic>,
    content: Content,
    catalog: Catalog,
    catalog_problems: Vec<Diagnostic>,
    /// Rendered Markdown and its link problems, by page index.
    bodies: Vec<Rendered>,
    link_problems: Vec<Vec<LinkProblem>>,
    /// Each content file's own problems, by its display path.
    file_problems: BTreeMap<PathBuf, Vec<Diagnostic>>,
    /// A theme that failed to load after an edit; the previous one is kept
    /// for rendering once it is fixed.
    theme_problem: Option<Diagnostic>,
    now: chrono::DateTime<chrono::FixedOffset>,
    /// Identifies the catalog's URLs: when it changes, bodies with `@/`
    /// links are rendered again.
    url_stamp: u64,
}

/// How one batch of changes ended.
#[derive(Debug)]
pub enum Outcome {
    Published(Published),
    /// The sources have errors: nothing was replaced.
    Failed(Vec<Diagnostic>),
    /// Nothing the site is built from changed.
    Nothing,
}

#[derive(Debug, Default)]
pub struct Published {
    /// Jobs and extra files rendered.
    pub rendered: usize,
    /// Files whose bytes changed (new files included).
    pub written: usize,
    pub removed: usize,
    /// Files now served.
    pub total: usize,
    /// Output paths written or removed.
    pub changed: Vec<String>,
    /// Warnings of the files reloaded in this batch.
    pub warnings: Vec<Diagnostic>,
    pub elapsed: Duration,
}

/// What a batch asks for, from the paths it touched.
#[derive(Default)]
struct Scope {
    full: bool,
    pages: BTreeSet<String>,
    templates: BTreeSet<String>,
    theme: bool,
    site_static: bool,
}

/// A serve session: the sources, what was published from them, and the
/// search index kept up to date beside them.
pub struct Session {
    settings: Settings,
    sources: Option<Sources>,
    revisions: HashMap<String, u64>,
    counter: u64,
    /// The fingerprint of each published job, by output path.
    fingerprints: HashMap<String, u64>,
    /// Output paths of the last publish: jobs, extras and `static/`.
    published_paths: HashSet<String>,
    site_static: BTreeMap<String, Bytes>,
    /// Render every job next time (after a full reload).
    render_all: bool,
    /// Templates edited since the last successful publish.
    pending_templates: BTreeSet<String>,
    /// Page keys whose search documents are out of date; `None` when the
    /// whole index must be written again.
    index_keys: Option<BTreeSet<String>>,
    index_dir: PathBuf,
    live: Arc<Live>,
}

impl Session {
    /// Loads the site and publishes it whole. A site with errors still
    /// starts: the errors are shown, and the first good save publishes.
    pub fn start(settings: Settings, index_dir: PathBuf, live: Arc<Live>) -> (Session, Outcome) {
        let mut session = Session {
            settings,
            sources: None,
            revisions: HashMap::new(),
            counter: 0,
            fingerprints: HashMap::new(),
            published_paths: HashSet::new(),
            site_static: BTreeMap::new(),
            render_all: true,
            pending_templates: BTreeSet::new(),
            index_keys: None,
            index_dir,
            live,
        };
        let outcome = session.full(Instant::now());
        (session, outcome)
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Handles a batch of changed source paths (relative to the root).
    pub fn apply(&mut self, changed: &[String]) -> Outcome {
        let started = Instant::now();
        let scope = self.scope(changed);
        if scope.full || self.sources.is_none() {
            return self.full(started);
        }
        if !scope.theme && !scope.site_static && scope.pages.is_empty() {
            return Outcome::Nothing;
        }
        let mut warnings = Vec::new();
        if scope.site_static {
            self.site_static = read_static(&self.settings.root);
        }
        if scope.theme && !self.reload_theme() {
            return self.failed();
        }
        self.pending_templates.extend(scope.templates);
        if !scope.pages.is_empty() {
            match self.reload_pages(&scope.pages) {
                Some(found) => warnings = found,
                None => return self.full(started),
            }
        }
        let mut outcome = self.publish(started);
        if let Outcome::Published(published) = &mut outcome {
            published.warnings = warnings;
        }
        outcome
    }

    /// Sorts a batch's paths into what must be done.
    fn scope(&self, changed: &[String]) -> Scope {
        let mut scope = Scope::default();
        let theme_dir = self
            .sources
            .as_ref()
            .map(|s| format!("themes/{}/", s.config.theme));
        for path in changed {
            if let Some(rel) = path.strip_prefix("content/") {
                let name = rel.rsplit('/').next().unwrap_or(rel);
                let on_disk = self.settings.root.join(path);
                let folder = on_disk.is_dir();
                if rel.ends_with(".md") && !name.starts_with("_index.") && !folder {
                    scope.pages.insert(rel.to_string());
                } else if !on_disk.exists() && !rel.ends_with(".md") && !self.is_asset(&on_disk) {
                    // A temporary file an editor or `sed -i` wrote and
                    // renamed away, or a folder that no page lived in.
                    continue;
                } else {
                    // Section indexes, co-located files, and folders
                    // created, renamed or deleted (whose pages are not
                    // named one by one).
                    scope.full = true;
                }
            } else if path == "content" {
                scope.full = true;
            } else if let Some(rest) = theme_dir.as_deref().and_then(|d| path.strip_prefix(d)) {
                if let Some(name) = rest.strip_prefix("templates/") {
                    scope.theme = true;
                    scope.templates.insert(name.to_string());
                } else if rest.starts_with("static/") {
                    scope.theme = true;
                } else {
                    scope.full = true;
                }
            } else if path.starts_with("themes/") || path == "themes" {
                // Another theme than the one in use; a theme folder created
                // where the embedded one was used changes everything.
                let in_use = theme_dir
                    .as_deref()
                    .is_some_and(|d| d.trim_end_matches('/') == path);
                scope.full |= in_use;
            } else if path == "static" || path.starts_with("static/") {
                scope.site_static = true;
            } else {
                // config.toml, data/.
                scope.full = true;
            }
        }
        scope
    }

    /// Whether `path` is (or was, at the last load) a co-located file of a
    /// page or section, or a folder holding pages.
    fn is_asset(&self, path: &Path) -> bool {
        let Some(sources) = &self.sources else {
            return true;
        };
        let content = &sources.content;
        let folder = path
            .strip_prefix(self.settings.root.join("content"))
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        content
            .pages
            .iter()
            .flat_map(|p| &p.assets)
            .chain(content.sections.iter().flat_map(|s| &s.assets))
            .any(|asset| asset == path)
            || content.pages.iter().any(|p| {
                p.source.rel.starts_with(&folder) && p.source.rel[folder.len()..].starts_with('/')
            })
    }

    /// Loads everything again and renders every job; only changed bytes are
    /// replaced, and the search index is written again.
    fn full(&mut self, started: Instant) -> Outcome {
        let settings = self.settings.clone();
        match load(&settings) {
            Ok(sources) => {
                // Every page may have changed.
                self.counter += 1;
                let counter = self.counter;
                for page in &sources.content.pages {
                    self.revisions.insert(page.key.clone(), counter);
                }
                self.sources = Some(sources);
            }
            Err(problem) => {
                self.sources = None;
                return self.fail_with(vec![problem]);
            }
        }
        self.site_static = read_static(&settings.root);
        self.render_all = true;
        self.index_keys = None;
        self.publish(started)
    }

    /// Loads the theme again after an edit under `themes/`; on failure the
    /// old theme stays and the problem blocks publishing until fixed.
    fn reload_theme(&mut self) -> bool {
        let Some(sources) = self.sources.as_mut() else {
            return false;
        };
        let loaded = theme::load(&self.settings.root, &sources.config.theme).and_then(|theme| {
            templates::environment(&theme, &sources.config.base_url).map(|env| (theme, env))
        });
        match loaded {
            Ok((theme, env)) => {
                sources.theme = theme;
                sources.env = env;
                sources.theme_problem = None;
                if let Err(err) = self.live.search.reload_page(&self.settings.root) {
                    eprintln!("kpot serve: search page: {err}");
                }
                true
            }
            Err(problem) => {
                sources.theme_problem = Some(problem);
                false
            }
        }
    }

    /// Reloads the changed page files; `None` when one of them needs a
    /// full reload. Returns the warnings of the reloaded files.
    fn reload_pages(&mut self, pages: &BTreeSet<String>) -> Option<Vec<Diagnostic>> {
        let root = self.settings.root.clone();
        let options = LoadOptions {
            include_drafts: self.settings.include_drafts,
        };
        let sources = self.sources.as_mut()?;
        let mut changed_keys = BTreeSet::new();
        let mut fresh: Vec<usize> = Vec::new();
        let mut warnings = Vec::new();
        for rel in pages {
            // The old version's key too: a rename or a changed file name
            // language moves the page.
            if let Some(old) = sources.content.pages.iter().find(|p| &p.source.rel == rel) {
                changed_keys.insert(old.key.clone());
            }
            let reloaded = content::load::reload_page(&root, &mut sources.content, rel, options)?;
            if let Some(at) = reloaded.removed {
                sources.bodies.remove(at);
                sources.link_problems.remove(at);
                for index in &mut fresh {
                    if *index > at {
                        *index -= 1;
                    }
                }
                fresh.retain(|&i| i != at);
            }
            if let Some(at) = reloaded.inserted {
                sources.bodies.insert(at, Rendered::default());
                sources.link_problems.insert(at, Vec::new());
                for index in &mut fresh {
                    if *index >= at {
                        *index += 1;
                    }
                }
                fresh.push(at);
                changed_keys.insert(sources.content.pages[at].key.clone());
            }
            let display = PathBuf::from("content").join(rel);
            warnings.extend(
                reloaded
                    .diagnostics
                    .iter()
                    .filter(|d| !d.is_error())
                    .cloned(),
            );
            if reloaded.diagnostics.is_empty() {
                sources.file_problems.remove(&display);
            } else {
                sources.file_problems.insert(display, reloaded.diagnostics);
            }
        }
        let (catalog, problems) = catalog::build(&sources.content);
        sources.catalog = catalog;
        sources.catalog_problems = problems;
        let stamp = url_stamp(&sources.content, &sources.catalog);
        let mut again: Vec<usize> = fresh;
        if stamp != sources.url_stamp {
            // Links elsewhere may now resolve differently.
            again.extend(
                sources
                    .content
                    .pages
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.body.contains("@/"))
                    .map(|(i, _)| i),
            );
            sources.url_stamp = stamp;
        }
        again.sort_unstable();
        again.dedup();
        let rendered: Vec<(usize, Rendered, Vec<LinkProblem>)> = again
            .par_iter()
            .map(|&i| {
                let page = &sources.content.pages[i];
                let (body, problems) =
                    markdown::render(&page.body, &sources.catalog.links(page.lang));
                (i, body, problems)
            })
            .collect();
        for (i, body, problems) in rendered {
            let old = &sources.bodies[i];
            if old.html != body.html || old.summary != body.summary || old.text != body.text {
                changed_keys.insert(sources.content.pages[i].key.clone());
            }
            sources.bodies[i] = body;
            sources.link_problems[i] = problems;
        }
        self.counter += 1;
        for key in &changed_keys {
            self.revisions.insert(key.clone(), self.counter);
        }
        if let Some(keys) = self.index_keys.as_mut() {
            keys.extend(changed_keys);
        }
        Some(warnings)
    }

    fn failed(&mut self) -> Outcome {
        let problems = self
            .sources
            .as_ref()
            .map(|s| s.problems())
            .unwrap_or_default();
        self.fail_with(problems)
    }

    fn fail_with(&mut self, problems: Vec<Diagnostic>) -> Outcome {
        let errors: Vec<Diagnostic> = problems.into_iter().filter(|d| d.is_error()).collect();
        let payload = overlay_payload(&errors, self.settings.lang);
        if let Ok(mut slot) = self.live.problems.write() {
            *slot = Some(payload.clone());
        }
        let _ = self.live.events.send(Signal::Problems(payload));
        Outcome::Failed(errors)
    }

    /// Renders what changed and replaces the files whose bytes differ.
    fn publish(&mut self, started: Instant) -> Outcome {
        let Some(sources) = self.sources.as_ref() else {
            return Outcome::Nothing;
        };
        let problems = sources.problems();
        if problems.iter().any(Diagnostic::is_error) {
            return self.fail_with(problems);
        }
        let site = Site::new(
            &sources.config,
            &sources.data,
            &sources.content,
            &sources.catalog,
            &sources.bodies,
            sources.now,
            &sources.theme,
            &sources.env,
        );
        let plan = site.plan();
        let affected = dependents(&sources.theme, &self.pending_templates);
        let fingerprints = Fingerprints::new(&site, &self.revisions, sources.url_stamp);
        let mut new_fingerprints = HashMap::with_capacity(plan.jobs.len());
        let mut selected: Vec<Job<'_>> = Vec::new();
        let mut job_paths = Vec::with_capacity(plan.jobs.len());
        for job in &plan.jobs {
            let path = site.job_path(job);
            let fingerprint = fingerprints.of(&site, job, &path);
            let stale = match fingerprint {
                Some(fp) => self.fingerprints.get(&path) != Some(&fp),
                None => true,
            };
            let template_changed = site.job_template(job).is_some_and(|t| affected.contains(t));
            if self.render_all || stale || template_changed {
                selected.push(job.clone());
            }
            if let Some(fp) = fingerprint {
                new_fingerprints.insert(path.clone(), fp);
            }
            job_paths.push(path);
        }
        let outputs = match site.render_jobs(&plan, &selected) {
            Ok(outputs) => outputs,
            Err(problems) => return self.fail_with(problems),
        };
        let extras = site.render_extras(&plan);
        let rendered = outputs.len() + extras.len();

        let mut next: Vec<(String, Bytes)> = Vec::with_capacity(rendered + self.site_static.len());
        for output in outputs.into_iter().chain(extras) {
            let bytes = match output.payload {
                Payload::Bytes(bytes) => Bytes::from(bytes),
                Payload::Copy(source) => match std::fs::read(&source) {
                    Ok(bytes) => Bytes::from(bytes),
                    Err(err) => {
                        eprintln!("kpot serve: cannot read {}: {err}", source.display());
                        continue;
                    }
                },
            };
            next.push((output.path, bytes));
        }
        let mut paths: HashSet<String> = job_paths.into_iter().collect();
        paths.extend(next.iter().map(|(p, _)| p.clone()));
        paths.extend(self.site_static.keys().cloned());
        for (path, bytes) in &self.site_static {
            next.push((path.clone(), bytes.clone()));
        }

        let mut published = Published {
            rendered,
            ..Published::default()
        };
        {
            let Ok(mut files) = self.live.files.write() else {
                return Outcome::Nothing;
            };
            for (path, bytes) in next {
                if files.get(&path) != Some(&bytes) {
                    published.changed.push(path.clone());
                    published.written += 1;
                    files.insert(path, bytes);
                }
            }
            for gone in self.published_paths.difference(&paths) {
                if files.remove(gone).is_some() {
                    published.removed += 1;
                    published.changed.push(gone.clone());
                }
            }
            published.total = files.len();
        }
        self.published_paths = paths;
        self.fingerprints = new_fingerprints;
        self.render_all = false;
        self.pending_templates.clear();
        published.elapsed = started.elapsed();

        let was_failing = self
            .live
            .problems
            .write()
            .map(|mut slot| slot.take().is_some())
            .unwrap_or(false);
        if was_failing {
            let _ = self.live.events.send(Signal::Fixed);
        }
        if !published.changed.is_empty() {
            let css_only = published.changed.iter().all(|p| p.ends_with(".css"));
            let signal = if css_only {
                Signal::Css(published.changed.clone())
            } else {
                Signal::Reload(published.changed.clone())
            };
            let _ = self.live.events.send(signal);
        }
        Outcome::Published(published)
    }

    /// Brings the search index up to date with the published site: the
    /// changed pages' documents are deleted and added again in place, or
    /// (after a full reload) the index is written anew. Run after the new
    /// files are served, so it adds nothing to the wait for them.
    /// Returns what was done, for the log.
    pub fn update_index(&mut self) -> Result<Option<String>, String> {
        let Some(sources) = self.sources.as_ref() else {
            return Ok(None);
        };
        if !sources.config.build_search_index {
            return Ok(None);
        }
        let root = &self.settings.root;
        let done = match self.index_keys.take() {
            None => search::build_index_at(
                root,
                &self.index_dir,
                &sources.content,
                &sources.catalog,
                &sources.data,
                &sources.bodies,
            )
            .map(|count| format!("{count} documents"))?,
            Some(keys) if keys.is_empty() => {
                self.index_keys = Some(keys);
                return Ok(None);
            }
            Some(keys) => {
                let docs = search::documents::page_docs(
                    &sources.content,
                    &sources.catalog,
                    &sources.data,
                    &sources.bodies,
                    |key| keys.contains(key),
                );
                let remove: Vec<String> = keys
                    .iter()
                    .flat_map(|key| Lang::ALL.map(|lang| format!("{key}#{}", lang.code())))
                    .collect();
                let labels =
                    serde_json::to_vec(&search::documents::labels(&sources.content, &sources.data))
                        .map_err(|e| e.to_string())?;
                search::index::update(
                    &self.index_dir,
                    &remove,
                    &docs,
                    &[(search::LABELS_FILE, &labels)],
                )?;
                format!(
                    "{} pages updated in place ({} documents)",
                    keys.len(),
                    docs.len()
                )
            }
        };
        self.index_keys = Some(BTreeSet::new());
        let index = search::SearchIndex::open(&self.index_dir)?;
        self.live.search.replace_index(index);
        Ok(Some(done))
    }
}

impl Sources {
    /// Every problem of the current sources, in file order.
    fn problems(&self) -> Vec<Diagnostic> {
        let mut all = Diagnostics::default();
        all.extend(self.data_problems.iter().cloned());
        all.extend(self.file_problems.values().flatten().cloned());
        all.extend(content::load::duplicate_translations(&self.content));
        all.extend(validate::references(&self.content, &self.data));
        all.extend(validate::templates(&self.content, &self.theme));
        all.extend(self.catalog_problems.iter().cloned());
        all.extend(validate::links(
            &self.content,
            &self.catalog,
            &self.bodies,
            &self.link_problems,
        ));
        all.extend(self.theme_problem.iter().cloned());
        all.sorted()
    }
}

/// Loads the whole site as `build::prepare` does; `Err` when it cannot be
/// loaded at all (a broken config or theme).
fn load(settings: &Settings) -> Result<Sources, Diagnostic> {
    let root = &settings.root;
    let now = crate::when::now_or(settings.now.as_deref()).map_err(|err| {
        Diagnostic::error(
            "--now",
            Text::new(
                format!("--now を読めません: {err}"),
                format!("cannot read --now: {err}"),
            ),
        )
    })?;
    let config = config::load(root)?;
    let theme = theme::load(root, &config.theme)?;
    let env = templates::environment(&theme, &config.base_url)?;
    let (data, data_problems) = data::load(root);
    let mut content = content::load::load_files(
        root,
        LoadOptions {
            include_drafts: settings.include_drafts,
        },
    );
    let mut file_problems: BTreeMap<PathBuf, Vec<Diagnostic>> = BTreeMap::new();
    for problem in std::mem::take(&mut content.diagnostics) {
        file_problems
            .entry(problem.file.clone())
            .or_default()
            .push(problem);
    }
    let (catalog, catalog_problems) = catalog::build(&content);
    let rendered: Vec<(Rendered, Vec<LinkProblem>)> = content
        .pages
        .par_iter()
        .map(|page| markdown::render(&page.body, &catalog.links(page.lang)))
        .collect();
    let (bodies, link_problems): (Vec<_>, Vec<_>) = rendered.into_iter().unzip();
    let url_stamp = url_stamp(&content, &catalog);
    Ok(Sources {
        config,
        theme,
        env,
        data,
        data_problems,
        content,
        catalog,
        catalog_problems,
        bodies,
        link_problems,
        file_problems,
        theme_problem: None,
        now,
        url_stamp,
    })
}

/// The site's own `static/` folder, as build copies it to the output root.
fn read_static(root: &Path) -> BTreeMap<String, Bytes> {
    let dir = root.join("static");
    let mut files = BTreeMap::new();
    if !dir.is_dir() {
        return files;
    }
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
        match std::fs::read(entry.path()) {
            Ok(bytes) => {
                files.insert(rel.to_string_lossy().replace('\\', "/"), Bytes::from(bytes));
            }
            Err(err) => eprintln!("kpot serve: cannot read {}: {err}", entry.path().display()),
        }
    }
    files
}

/// A hash of every URL the catalog gives, for `@/` links.
fn url_stamp(content: &Content, catalog: &Catalog) -> u64 {
    let mut hasher = DefaultHasher::new();
    for item in &catalog.items {
        (&content.pages[item.page].key, item.lang, &item.url).hash(&mut hasher);
    }
    for entry in &catalog.sections {
        (
            &content.sections[entry.section].path,
            entry.lang,
            &entry.url,
        )
            .hash(&mut hasher);
    }
    hasher.finish()
}

/// The templates `changed` and every template that includes, extends or
/// imports one of them, directly or not. A template names another by its
/// quoted file name, so a quoted name is taken as a use (which can only
/// over-count).
fn dependents(theme: &Theme, changed: &BTreeSet<String>) -> HashSet<String> {
    let mut affected: HashSet<String> = changed.iter().cloned().collect();
    loop {
        let before = affected.len();
        for (name, source) in &theme.templates {
            if affected.contains(name) {
                continue;
            }
            let uses = affected.iter().any(|used| {
                source.contains(&format!("\"{used}\"")) || source.contains(&format!("'{used}'"))
            });
            if uses {
                affected.insert(name.clone());
            }
        }
        if affected.len() == before {
            return affected;
        }
    }
}

/// Fingerprints of jobs: a hash of what a job shows. Two renders of jobs
/// with equal fingerprints give the same bytes as long as config, data,
/// theme and sections are unchanged (any change to those renders all).
struct Fingerprints {
    /// Per catalog item: its page's key, language, URL, fallback flag and
    /// revision.
    items: Vec<u64>,
    url_stamp: u64,
}

impl Fingerprints {
    fn new(site: &Site<'_>, revisions: &HashMap<String, u64>, url_stamp: u64) -> Fingerprints {
        let items = site
            .catalog
            .items
            .par_iter()
            .map(|item| {
                let page = &site.content.pages[item.page];
                let mut hasher = DefaultHasher::new();
                (
                    &page.key,
                    item.lang,
                    &item.url,
                    item.fallback,
                    revisions.get(&page.key),
                )
                    .hash(&mut hasher);
                hasher.finish()
            })
            .collect();
        Fingerprints { items, url_stamp }
    }

    /// `None`: render every time (pages that summarise the whole site).
    fn of(&self, site: &Site<'_>, job: &Job<'_>, path: &str) -> Option<u64> {
        let mut h = DefaultHasher::new();
        path.hash(&mut h);
        match job {
            Job::Item(index) => {
                let item = &site.catalog.items[*index];
                let page = &site.content.pages[item.page];
                if page.section == crate::feeds::newsletter::SECTION {
                    // An issue lists other pages by key.
                    return None;
                }
                self.items[*index].hash(&mut h);
                // The language switch shows the other version.
                for lang in Lang::ALL {
                    site.catalog
                        .item_index(&page.key, lang)
                        .map(|i| self.items[i])
                        .hash(&mut h);
                }
            }
            Job::SectionPage(entry, paginated) => {
                (entry.section, entry.lang, entry.fallback, &entry.url).hash(&mut h);
                let folder = &site.content.sections[entry.section].path;
                self.section_links(folder, site, &mut h);
                self.paginated(paginated, &mut h);
            }
            Job::TaxonomyTerm(taxonomy, lang, _, paginated) => {
                (taxonomy, lang).hash(&mut h);
                self.paginated(paginated, &mut h);
            }
            Job::Organization(index, lang) => {
                let org = &site.data.organizations[*index];
                let items = crate::render::lists::organization_items(site, &org.id, *lang);
                for list in [
                    &items.events,
                    &items.past_events,
                    &items.notices,
                    &items.programs,
                ] {
                    list.len().hash(&mut h);
                    for &i in list {
                        self.items[i].hash(&mut h);
                    }
                }
                // The profile pages shown on it.
                for page in site
                    .content
                    .pages
                    .iter()
                    .filter(|p| p.section == "organizations" && p.slug == org.id)
                {
                    site.catalog
                        .item_index(&page.key, page.lang)
                        .map(|i| self.items[i])
                        .hash(&mut h);
                }
                self.section_links("organizations", site, &mut h);
            }
            Job::Council(..) | Job::Councils(_) => self.section_links("councils", site, &mut h),
            Job::Organizations(_) => self.section_links("organizations", site, &mut h),
            // Only config, data, theme and sections, which render all.
            Job::NotFound(_) | Job::Search(_) => {}
            Job::Home(_) | Job::TaxonomyList(..) => return None,
        }
        Some(h.finish())
    }

    /// A section's text is rendered with the job, so its `@/` links follow
    /// the catalog's URLs.
    fn section_links(&self, folder: &str, site: &Site<'_>, h: &mut DefaultHasher) {
        let links = site
            .content
            .sections
            .iter()
            .any(|s| s.path == folder && s.body.contains("@/"));
        if links {
            self.url_stamp.hash(h);
        }
    }

    fn paginated(&self, p: &crate::render::lists::Paginated, h: &mut DefaultHasher) {
        (
            p.number,
            p.total_pages,
            p.total_items,
            &p.url,
            &p.prev_url,
            &p.next_url,
            &p.links,
            p.archive,
        )
            .hash(h);
        p.items.len().hash(h);
        for &i in &p.items {
            self.items[i].hash(h);
        }
    }
}

/// The overlay's content: each error's file, line and message (the page
/// script shows them as text, never as HTML).
fn overlay_payload(errors: &[Diagnostic], lang: Lang) -> serde_json::Value {
    let list: Vec<serde_json::Value> = errors
        .iter()
        .map(|d| {
            serde_json::json!({
                "file": d.file.to_string_lossy(),
                "line": d.line,
                "column": d.column,
                "field": d.field,
                "message": d.message.get(lang),
                "help": d.help.as_ref().map(|h| h.get(lang)),
            })
        })
        .collect();
    serde_json::json!({ "errors": list })
}
