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
//! Which jobs to render depends on what an edit can have moved:
//!
//! - Text only (body, description): the catalog, the plan and the checks of
//!   other files are kept. The plan remembers, for every item, the jobs that
//!   show its page and the lists that show its summary; those are rendered,
//!   lists only if the summary changed.
//! - Something lists sort or filter by (a title, a date, an organizer), but
//!   no URL: the catalog is kept and the new plan is compared with the old
//!   one job by job.
//! - A URL, a new, renamed or deleted page: the catalog is built again and
//!   every job's fingerprint (a hash of what it shows: which pages, at which
//!   revision, and its pagination) is compared with the published one.
//! - Templates: the jobs whose template includes, extends or imports the
//!   edited one. Config, data and section indexes: everything.
//!
//! The pages that summarise the whole site (home, taxonomy lists) render
//! whenever a summary changed; the files of `Site::render_extras` (feeds,
//! calendars, sitemap) after every change, once the pages are served. Only
//! files whose bytes changed are replaced.

use super::{Live, Signal};
use crate::catalog::{self, Catalog};
use crate::config::{self, Config};
use crate::content::{self, Content, LoadOptions};
use crate::data::{self, Data};
use crate::diagnostics::{Diagnostic, Diagnostics, Text};
use crate::format::Lang;
use crate::markdown::{self, LinkProblem, Rendered};
use crate::render::lists::{Paginated, TermList};
use crate::render::{Job, Payload, Plan, Site};
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
    /// The web editor at `/admin/`.
    pub editor: crate::config::LocalEditor,
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
    /// Until the pages were served.
    pub elapsed: Duration,
    /// Until the site-wide files (feeds, calendars, sitemap) were too.
    pub background: Duration,
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
    site_static: BTreeMap<String, Bytes>,
    /// Render every job next time (after a full reload).
    render_all: bool,
    /// Templates edited since the last successful publish.
    pending_templates: BTreeSet<String>,
    /// Page keys changed since the last successful publish.
    changed_keys: BTreeSet<String>,
    /// Those of them whose summary in lists changed too.
    listed_keys: BTreeSet<String>,
    /// Per page key: bumped when its summary in lists changes.
    listed: HashMap<String, u64>,
    /// The plan of the last publish, while no edit changed its shape.
    plan: Option<PlanCache>,
    /// The last plan, after an edit that may reorder lists but kept the
    /// catalog.
    previous: Option<PlanCache>,
    /// The errors found by the last check, and the pages edited in place
    /// since (`None`: check everything again).
    checked: Option<Vec<Diagnostic>>,
    edited: Option<Vec<usize>>,
    /// Output paths of the last publish's jobs, extras and `static/`.
    job_paths: HashSet<String>,
    extra_paths: HashSet<String>,
    /// Page keys whose search documents are out of date; `None` when the
    /// whole index must be written again.
    index_keys: Option<BTreeSet<String>>,
    live: Arc<Live>,
}

impl Session {
    /// Loads the site and publishes it whole. A site with errors still
    /// starts: the errors are shown, and the first good save publishes.
    pub fn start(settings: Settings, live: Arc<Live>) -> (Session, Outcome) {
        let mut session = Session {
            settings,
            sources: None,
            revisions: HashMap::new(),
            counter: 0,
            fingerprints: HashMap::new(),
            changed_keys: BTreeSet::new(),
            listed_keys: BTreeSet::new(),
            listed: HashMap::new(),
            plan: None,
            previous: None,
            checked: None,
            edited: None,
            job_paths: HashSet::new(),
            extra_paths: HashSet::new(),
            site_static: BTreeMap::new(),
            render_all: true,
            pending_templates: BTreeSet::new(),
            index_keys: None,
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
        if !scope.pages.is_empty() {
            match self.reload_pages(&scope.pages) {
                Some(found) => warnings = found,
                None => return self.full(started),
            }
        }
        self.pending_templates.extend(scope.templates);
        if scope.theme && !self.reload_theme() {
            return self.failed();
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
                    self.listed.insert(page.key.clone(), counter);
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
        self.plan = None;
        self.previous = None;
        self.edited = None;
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
                // Pages may name templates: check them all again.
                self.edited = None;
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
        let mut structural = false;
        // An edit that may reorder lists (a date, a title) but moves no URL.
        let mut reordered = false;
        // Pages edited in place, with their summary before the edit.
        let mut edited: Vec<(usize, u64)> = Vec::new();
        for rel in pages {
            // The old version's key too: a rename or a changed file name
            // language moves the page.
            let old = sources
                .content
                .pages
                .iter()
                .position(|p| &p.source.rel == rel)
                .map(|i| {
                    let page = &sources.content.pages[i];
                    let listing = listing(page, &sources.bodies[i]);
                    (page.key.clone(), shape(page), listing, place(page))
                });
            if let Some((key, ..)) = &old {
                changed_keys.insert(key.clone());
            }
            let reloaded = content::load::reload_page(&root, &mut sources.content, rel, options)?;
            match (reloaded.removed, reloaded.inserted) {
                // The same page, edited: the index stays, and if nothing a
                // list or URL depends on changed, so do the catalog and the
                // plan.
                (Some(was), Some(at)) if was == at => {
                    let page = &sources.content.pages[at];
                    changed_keys.insert(page.key.clone());
                    if old.as_ref().map(|(.., p)| p) != Some(&place(page)) {
                        structural = true;
                    } else if old.as_ref().map(|(_, s, ..)| s) != Some(&shape(page)) {
                        reordered = true;
                    }
                    if !fresh.contains(&at) {
                        fresh.push(at);
                    }
                    if let Some((_, _, listing, _)) = old {
                        edited.push((at, listing));
                    }
                }
                (removed, inserted) => {
                    structural = true;
                    if let Some(at) = removed {
                        sources.bodies.remove(at);
                        sources.link_problems.remove(at);
                        fresh.retain(|&i| i != at);
                        for index in &mut fresh {
                            if *index > at {
                                *index -= 1;
                            }
                        }
                    }
                    if let Some(at) = inserted {
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
                }
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
        let mut again: Vec<usize> = fresh;
        if structural {
            let (catalog, problems) = catalog::build(&sources.content);
            sources.catalog = catalog;
            sources.catalog_problems = problems;
        }
        let stamp = if structural {
            url_stamp(&sources.content, &sources.catalog)
        } else {
            sources.url_stamp
        };
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
        let mut headings_moved = false;
        for (i, body, problems) in rendered {
            let old = &sources.bodies[i];
            let ids = |b: &Rendered| b.headings.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
            if ids(old) != ids(&body) || !body.anchor_links.is_empty() {
                headings_moved = true;
            }
            if old.html != body.html || old.summary != body.summary || old.text != body.text {
                changed_keys.insert(sources.content.pages[i].key.clone());
            }
            sources.bodies[i] = body;
            sources.link_problems[i] = problems;
        }
        // A summary shown in lists changed when the page moved, or when
        // its metadata, description or summary did.
        let listed_keys: BTreeSet<String> = if structural || reordered {
            changed_keys.clone()
        } else {
            let quiet: BTreeSet<&String> = edited
                .iter()
                .filter(|(at, before)| {
                    listing(&sources.content.pages[*at], &sources.bodies[*at]) == *before
                })
                .map(|(at, _)| &sources.content.pages[*at].key)
                .collect();
            changed_keys
                .iter()
                .filter(|k| !quiet.contains(k))
                .cloned()
                .collect()
        };
        if structural || headings_moved {
            self.edited = None;
        } else if let Some(list) = self.edited.as_mut() {
            list.extend(edited.iter().map(|(at, _)| *at));
        }
        if structural {
            self.plan = None;
            self.previous = None;
        } else if reordered {
            // The catalog stays: item numbers keep their meaning, so the
            // next plan can be compared with this one job by job.
            if let Some(plan) = self.plan.take() {
                self.previous = Some(plan);
            }
        }
        self.counter += 1;
        for key in &changed_keys {
            self.revisions.insert(key.clone(), self.counter);
        }
        for key in &listed_keys {
            self.listed.insert(key.clone(), self.counter);
        }
        self.changed_keys.extend(changed_keys.iter().cloned());
        self.listed_keys.extend(listed_keys);
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

    /// Renders what changed and replaces the files whose bytes differ, in
    /// two steps: first the pages (jobs), which open pages are told about
    /// at once, then the site-wide files (feeds, calendars, sitemap), which
    /// no page waits for.
    fn publish(&mut self, started: Instant) -> Outcome {
        let Some(sources) = self.sources.as_ref() else {
            return Outcome::Nothing;
        };
        let mut stages = Stages::new(started);
        let problems = match (&self.checked, &self.edited) {
            (Some(checked), Some(edited)) => sources.problems_of(edited, checked),
            _ => sources.problems(),
        };
        self.edited = Some(Vec::new());
        self.checked = Some(problems.clone());
        stages.lap("check");
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
        let affected = dependents(&sources.theme, &self.pending_templates);
        let fingerprints = Fingerprints::new([&self.revisions, &self.listed], sources.url_stamp);
        // The plan: kept from the last publish while the edits since left
        // its shape alone, else worked out again.
        let mut cache = match self.plan.take() {
            Some(cache) if !self.render_all => {
                site.reuse_feed_dirs(cache.feed_dirs.clone());
                cache
            }
            _ => {
                let plan = site.plan();
                stages.lap("plan");
                // What `kpot build` would refuse is not previewed either: a
                // page on kpot's own robots.txt, on a static file … (a
                // kept plan moved no URL, so it has no new clash).
                let site_static: Vec<String> = self.site_static.keys().cloned().collect();
                let clashes = crate::render::claims::conflicts(
                    &site,
                    &plan,
                    &self.settings.root,
                    &site_static,
                );
                if !clashes.is_empty() {
                    return self.fail_with(clashes);
                }
                PlanCache::new(&site, plan)
            }
        };
        let mut chosen: BTreeSet<usize> = BTreeSet::new();
        if self.render_all {
            chosen.extend(0..cache.jobs.len());
        } else {
            // Pages that summarise the site change only when a summary or
            // the plan did.
            if cache.fresh || !self.listed_keys.is_empty() {
                chosen.extend(cache.always.iter().copied());
            }
            for (keys, jobs) in [
                (&self.changed_keys, &cache.pages_of),
                (&self.listed_keys, &cache.lists_of),
            ] {
                for key in keys {
                    for lang in Lang::ALL {
                        if let Some(item) = sources.catalog.item_index(key, lang) {
                            chosen.extend(jobs[item].iter().copied());
                        }
                    }
                }
            }
            if !affected.is_empty() {
                for (index, job) in cache.jobs.iter().enumerate() {
                    if site.job_template(job).is_some_and(|t| affected.contains(t)) {
                        chosen.insert(index);
                    }
                }
            }
            // Jobs whose fingerprint moved for another reason (a list that
            // reordered) are found by comparing fingerprints when the plan
            // was worked out again.
            let previous = self.previous.take();
            if let Some(previous) = previous.as_ref().filter(|_| cache.fresh) {
                // Same catalog: a job is stale when it lists other items or
                // paginates differently than before (the revisions of what
                // it shows were handled above).
                let before: HashMap<&str, &Job> = previous
                    .paths
                    .iter()
                    .map(String::as_str)
                    .zip(&previous.jobs)
                    .collect();
                for (index, job) in cache.jobs.iter().enumerate() {
                    if before.get(cache.paths[index].as_str()) != Some(&job) {
                        chosen.insert(index);
                    }
                }
                chosen.extend(cache.always.iter().copied());
                // And what showed the changed pages before (an organization
                // whose event moved to another organizer).
                let now: HashMap<&str, usize> = cache
                    .paths
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p.as_str(), i))
                    .collect();
                for key in self.changed_keys.iter().chain(&self.listed_keys) {
                    for lang in Lang::ALL {
                        let Some(item) = sources.catalog.item_index(key, lang) else {
                            continue;
                        };
                        for &job in previous.pages_of[item]
                            .iter()
                            .chain(&previous.lists_of[item])
                        {
                            if let Some(&index) = now.get(previous.paths[job].as_str()) {
                                chosen.insert(index);
                            }
                        }
                    }
                }
            } else if cache.fresh {
                for (index, job) in cache.jobs.iter().enumerate() {
                    let fp = fingerprints.of(&site, job, &cache.paths[index]);
                    if fp.is_none() || self.fingerprints.get(&cache.paths[index]) != fp.as_ref() {
                        chosen.insert(index);
                    }
                }
            }
        }
        let selected: Vec<Job> = chosen.iter().map(|&i| cache.jobs[i].clone()).collect();
        stages.lap("select");
        let plan = cache.plan(&sources.catalog);
        if std::env::var_os("KPOT_TIMINGS").is_some() {
            // Which jobs cost the most, one at a time.
            let mut costs: Vec<(Duration, String)> = selected
                .iter()
                .map(|job| {
                    let t = Instant::now();
                    let _ = site.render_jobs(&plan, std::slice::from_ref(job));
                    (t.elapsed(), site.job_path(job))
                })
                .collect();
            costs.sort();
            costs.reverse();
            let top: Vec<String> = costs
                .iter()
                .take(5)
                .map(|(t, p)| format!("{p} {:.1}", t.as_secs_f64() * 1000.0))
                .collect();
            eprintln!(
                "kpot serve: {} jobs, slowest (ms): {}",
                selected.len(),
                top.join(", ")
            );
            stages.lap("(job timings)");
        }
        let outputs = match site.render_jobs(&plan, &selected) {
            Ok(outputs) => outputs,
            Err(problems) => {
                self.plan = Some(cache.restore(plan));
                return self.fail_with(problems);
            }
        };
        stages.lap("jobs");
        let mut published = Published {
            rendered: outputs.len(),
            ..Published::default()
        };
        for (&index, job) in chosen.iter().zip(&selected) {
            let path = &cache.paths[index];
            match fingerprints.of(&site, job, path) {
                Some(fp) => self.fingerprints.insert(path.clone(), fp),
                None => self.fingerprints.remove(path),
            };
        }
        let mut pages: Vec<(String, Bytes)> = outputs
            .into_iter()
            .filter_map(|o| bytes_of(o.payload).map(|b| (o.path, b)))
            .collect();
        for (path, bytes) in &self.site_static {
            pages.push((path.clone(), bytes.clone()));
        }
        self.replace(pages, &mut published);
        published.elapsed = started.elapsed();
        stages.lap("swap");
        self.announce(&published.changed);

        // The site-wide files.
        let extras: Vec<(String, Bytes)> = site
            .render_extras(&plan)
            .into_iter()
            .filter_map(|o| bytes_of(o.payload).map(|b| (o.path, b)))
            .collect();
        published.rendered += extras.len();
        stages.lap("extras");
        let job_paths: HashSet<String> = cache.paths.iter().cloned().collect();
        let extra_paths: HashSet<String> = extras.iter().map(|(p, _)| p.clone()).collect();
        let mut later = Published::default();
        self.replace(extras, &mut later);
        // Files no job, extra or static file writes any more.
        {
            let keep = |p: &String| {
                job_paths.contains(p) || extra_paths.contains(p) || self.site_static.contains_key(p)
            };
            let gone: Vec<String> = self
                .job_paths
                .iter()
                .chain(&self.extra_paths)
                .filter(|p| !keep(p))
                .cloned()
                .collect();
            if let Ok(mut files) = self.live.files.write() {
                for path in gone {
                    if files.remove(&path).is_some() {
                        later.removed += 1;
                        later.changed.push(path);
                    }
                }
                later.total = files.len();
            }
        }
        stages.lap("extras swap");
        stages.report();
        self.announce(&later.changed);
        published.written += later.written;
        published.removed += later.removed;
        published.total = later.total;
        published.changed.extend(later.changed);
        published.background = started.elapsed();

        self.job_paths = job_paths;
        self.extra_paths = extra_paths;
        self.plan = Some(cache.restore(plan));
        self.render_all = false;
        self.pending_templates.clear();
        self.changed_keys.clear();
        self.listed_keys.clear();
        Outcome::Published(published)
    }

    /// Replaces the files whose bytes changed.
    fn replace(&self, next: Vec<(String, Bytes)>, published: &mut Published) {
        let Ok(mut files) = self.live.files.write() else {
            return;
        };
        for (path, bytes) in next {
            if files.get(&path) != Some(&bytes) {
                published.changed.push(path.clone());
                published.written += 1;
                files.insert(path, bytes);
            }
        }
        published.total = files.len();
    }

    /// Tells open pages what changed, and clears the overlay of a fixed
    /// error.
    fn announce(&self, changed: &[String]) {
        let was_failing = self
            .live
            .problems
            .write()
            .map(|mut slot| slot.take().is_some())
            .unwrap_or(false);
        if was_failing {
            let _ = self.live.events.send(Signal::Fixed);
        }
        if !changed.is_empty() {
            let css_only = changed.iter().all(|p| p.ends_with(".css"));
            let signal = if css_only {
                Signal::Css(changed.to_vec())
            } else {
                Signal::Reload(changed.to_vec())
            };
            let _ = self.live.events.send(signal);
        }
    }

    /// What the search index needs to catch up with the published site:
    /// the changed pages' documents to delete and add again in place, or
    /// (after a full reload) every document. The work itself runs on the
    /// index thread ([`IndexWork::run`]), after the new files are served, so
    /// it adds nothing to the wait for them.
    pub fn index_work(&mut self) -> Option<IndexWork> {
        let sources = self.sources.as_ref()?;
        if !sources.config.build_search_index {
            return None;
        }
        let labels =
            serde_json::to_vec(&search::documents::labels(&sources.content, &sources.data))
                .unwrap_or_default();
        let work = match self.index_keys.take() {
            None => {
                let config_path = self.settings.root.join("search-index").join("config.toml");
                IndexWork::Rebuild {
                    docs: search::documents::collect(
                        &sources.content,
                        &sources.catalog,
                        &sources.data,
                        &sources.bodies,
                    ),
                    labels,
                    config: std::fs::read(&config_path).ok(),
                    config_path,
                }
            }
            Some(keys) if keys.is_empty() => {
                self.index_keys = Some(keys);
                return None;
            }
            Some(keys) => IndexWork::Update {
                docs: search::documents::page_docs(
                    &sources.content,
                    &sources.catalog,
                    &sources.data,
                    &sources.bodies,
                    |key| keys.contains(key),
                ),
                remove: keys
                    .iter()
                    .flat_map(|key| Lang::ALL.map(|lang| format!("{key}#{}", lang.code())))
                    .collect(),
                pages: keys.len(),
                labels,
            },
        };
        self.index_keys = Some(BTreeSet::new());
        Some(work)
    }
}

/// Work for the search index, done apart from rendering.
pub enum IndexWork {
    /// Write the whole index anew (first start, full reloads).
    Rebuild {
        docs: Vec<search::documents::SearchDoc>,
        labels: Vec<u8>,
        config: Option<Vec<u8>>,
        config_path: PathBuf,
    },
    /// Delete the documents of `remove` and add `docs`, in place.
    Update {
        docs: Vec<search::documents::SearchDoc>,
        remove: Vec<String>,
        pages: usize,
        labels: Vec<u8>,
    },
}

impl IndexWork {
    /// Does the work in `dir` and serves the result; returns what was done.
    pub fn run(self, dir: &Path, live: &Live) -> Result<String, String> {
        let done = match self {
            IndexWork::Rebuild {
                docs,
                labels,
                config,
                config_path,
            } => {
                search::config::SearchConfig::load(&config_path)?;
                search::index::write(
                    dir,
                    &docs,
                    &[
                        (search::config::FILE_NAME, config.as_deref()),
                        (search::LABELS_FILE, Some(&labels)),
                    ],
                )?;
                format!("{} documents", docs.len())
            }
            IndexWork::Update {
                docs,
                remove,
                pages,
                labels,
            } => {
                search::index::update(dir, &remove, &docs, &[(search::LABELS_FILE, &labels)])?;
                format!("{pages} pages updated in place ({} documents)", docs.len())
            }
        };
        let index = search::SearchIndex::open(dir)?;
        live.search.replace_index(index);
        Ok(done)
    }
}

impl Sources {
    /// [`Sources::problems`] after edits to the pages `edited` that moved
    /// nothing (no page added, removed or renamed, no list or URL changed,
    /// no heading another page may link to): the errors of other files are
    /// those found before; the edited files are checked again.
    fn problems_of(&self, edited: &[usize], before: &[Diagnostic]) -> Vec<Diagnostic> {
        let files: HashSet<&Path> = edited
            .iter()
            .map(|&i| self.content.pages[i].source.display.as_path())
            .collect();
        let mut all = Diagnostics::default();
        all.extend(
            before
                .iter()
                .filter(|d| !files.contains(d.file.as_path()))
                .cloned(),
        );
        let part = Content {
            pages: edited
                .iter()
                .map(|&i| self.content.pages[i].clone())
                .collect(),
            ..Content::default()
        };
        let bodies: Vec<Rendered> = edited.iter().map(|&i| self.bodies[i].clone()).collect();
        let links: Vec<Vec<LinkProblem>> = edited
            .iter()
            .map(|&i| self.link_problems[i].clone())
            .collect();
        let errors = |list: Vec<Diagnostic>| list.into_iter().filter(Diagnostic::is_error);
        for file in &files {
            all.extend(
                self.file_problems
                    .get(*file)
                    .into_iter()
                    .flatten()
                    .filter(|d| d.is_error())
                    .cloned(),
            );
        }
        all.extend(errors(validate::references(&part, &self.data)));
        all.extend(errors(validate::templates(&part, &self.theme)));
        all.extend(errors(validate::links(
            &part,
            &self.catalog,
            &bodies,
            &links,
        )));
        all.sorted()
    }

    /// The errors of the current sources, in file order (warnings are
    /// reported when their file is loaded; a site can have thousands).
    fn problems(&self) -> Vec<Diagnostic> {
        let mut all = Diagnostics::default();
        let errors = |list: Vec<Diagnostic>| list.into_iter().filter(Diagnostic::is_error);
        all.extend(self.data_problems.iter().filter(|d| d.is_error()).cloned());
        all.extend(
            self.file_problems
                .values()
                .flatten()
                .filter(|d| d.is_error())
                .cloned(),
        );
        all.extend(errors(content::load::duplicate_translations(&self.content)));
        all.extend(errors(validate::references(&self.content, &self.data)));
        all.extend(errors(validate::templates(&self.content, &self.theme)));
        all.extend(
            self.catalog_problems
                .iter()
                .filter(|d| d.is_error())
                .cloned(),
        );
        all.extend(errors(validate::links(
            &self.content,
            &self.catalog,
            &self.bodies,
            &self.link_problems,
        )));
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
    let mut config = config::load(root)?;
    config.local_editor = Some(settings.editor.clone());
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

/// An output's bytes (a copied file is read).
fn bytes_of(payload: Payload) -> Option<Bytes> {
    match payload {
        Payload::Bytes(bytes) => Some(Bytes::from(bytes)),
        Payload::Copy(source) => match std::fs::read(&source) {
            Ok(bytes) => Some(Bytes::from(bytes)),
            Err(err) => {
                eprintln!("kpot serve: cannot read {}: {err}", source.display());
                None
            }
        },
    }
}

/// A plan kept between edits, with what incremental work needs: each
/// job's output path, and for each catalog item the jobs that show it.
struct PlanCache {
    sections: Vec<(usize, Vec<usize>, Vec<usize>)>,
    terms: Vec<TermList>,
    jobs: Vec<Job>,
    paths: Vec<String>,
    /// Per catalog item: the jobs that show its page (its own, the other
    /// language's, an organization's profile).
    pages_of: Vec<Vec<usize>>,
    /// Per catalog item: the lists that show its summary.
    lists_of: Vec<Vec<usize>>,
    /// Jobs rendered every time (they summarise the whole site).
    always: Vec<usize>,
    /// Worked out in this publish (fingerprints must be compared).
    fresh: bool,
    /// The site's feed folders, which depend on sections and terms only.
    feed_dirs: BTreeMap<String, String>,
}

impl PlanCache {
    fn new(site: &Site<'_>, plan: Plan<'_>) -> PlanCache {
        let catalog = site.catalog;
        let sections = plan
            .sections
            .iter()
            .map(|(entry, current, archive)| {
                let index = catalog
                    .sections
                    .iter()
                    .position(|e| std::ptr::eq(e, *entry))
                    .unwrap_or_default();
                (index, current.clone(), archive.clone())
            })
            .collect();
        let jobs: Vec<Job> = plan.jobs.to_vec();
        let paths = plan.jobs.iter().map(|j| site.job_path(j)).collect();
        let mut pages_of: Vec<Vec<usize>> = vec![Vec::new(); catalog.items.len()];
        let mut lists_of: Vec<Vec<usize>> = vec![Vec::new(); catalog.items.len()];
        let mut always = Vec::new();
        for (index, job) in plan.jobs.iter().enumerate() {
            let mut show = |item: usize| pages_of[item].push(index);
            let mut list = |item: usize| lists_of[item].push(index);
            match job {
                Job::Item(item) => {
                    show(*item);
                    let page = &site.content.pages[catalog.items[*item].page];
                    if page.section == crate::feeds::newsletter::SECTION {
                        always.push(index);
                    }
                    for lang in Lang::ALL {
                        if let Some(other) = catalog.item_index(&page.key, lang) {
                            show(other);
                        }
                    }
                }
                Job::SectionPage(_, page) | Job::TaxonomyTerm(_, _, _, page) => {
                    page.items.iter().for_each(|&i| list(i));
                }
                Job::Organization(org, lang) => {
                    let id = &site.data.organizations[*org].id;
                    let items = crate::render::lists::organization_items(site, id, *lang);
                    for items in [
                        &items.events,
                        &items.past_events,
                        &items.notices,
                        &items.programs,
                    ] {
                        items.iter().for_each(|&i| list(i));
                    }
                    for (i, item) in catalog.items.iter().enumerate() {
                        let page = &site.content.pages[item.page];
                        if page.section == "organizations" && page.slug == *id {
                            show(i);
                        }
                    }
                }
                Job::Home(_) | Job::TaxonomyList(..) => always.push(index),
                Job::Councils(_)
                | Job::Council(..)
                | Job::Organizations(_)
                | Job::NotFound(_)
                | Job::Search(_) => {}
            }
        }
        PlanCache {
            sections,
            terms: plan.terms,
            jobs,
            paths,
            pages_of,
            lists_of,
            always,
            fresh: true,
            feed_dirs: site.feed_dirs().clone(),
        }
    }

    /// A [`Plan`] for rendering (without jobs: they are passed apart),
    /// borrowing the terms until [`PlanCache::restore`].
    fn plan<'c>(&mut self, catalog: &'c Catalog) -> Plan<'c> {
        Plan {
            sections: self
                .sections
                .iter()
                .map(|(i, current, archive)| {
                    (&catalog.sections[*i], current.clone(), archive.clone())
                })
                .collect(),
            terms: std::mem::take(&mut self.terms),
            jobs: Vec::new(),
        }
    }

    /// Takes the terms back from a plan made by [`PlanCache::plan`].
    fn restore(mut self, plan: Plan<'_>) -> PlanCache {
        self.terms = plan.terms;
        self.fresh = false;
        self
    }
}

/// Wall time of the steps of a rebuild, printed with `KPOT_TIMINGS=1`.
struct Stages {
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Stages {
    fn new(started: Instant) -> Stages {
        Stages {
            last: started,
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, name: &'static str) {
        self.laps.push((name, self.last.elapsed()));
        self.last = Instant::now();
    }

    fn report(&self) {
        if std::env::var_os("KPOT_TIMINGS").is_some() {
            let laps: Vec<String> = self
                .laps
                .iter()
                .map(|(name, time)| format!("{name} {:.1}", time.as_secs_f64() * 1000.0))
                .collect();
            eprintln!("kpot serve: timings (ms): {}", laps.join(", "));
        }
    }
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

/// What of a page its catalog entry, its URL and the lists it is in depend
/// on: everything but the text shown (body and description). A page edit
/// that keeps it leaves the catalog and the plan as they are.
fn shape(page: &content::Page) -> String {
    let mut meta = page.meta.clone();
    meta.description = None;
    format!(
        "{}|{:?}|{}|{}|{:?}|{:?}",
        page.key, page.lang, page.slug, page.section, meta, page.kind
    )
}

/// What of a page its URL depends on: the catalog is built again only
/// when this changes.
fn place(page: &content::Page) -> String {
    format!(
        "{}|{:?}|{}|{}|{:?}|{:?}|{}",
        page.key,
        page.lang,
        page.slug,
        page.section,
        page.meta.path,
        page.meta.aliases,
        page.kind.name()
    )
}

/// A hash of what lists show of a page: its metadata, description and
/// summary (the text before `<!-- more -->`).
fn listing(page: &content::Page, body: &Rendered) -> u64 {
    let mut hasher = DefaultHasher::new();
    (shape(page), &page.meta.description, &body.summary).hash(&mut hasher);
    hasher.finish()
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
struct Fingerprints<'r> {
    /// Per page key: the revision of the page, and of its summary.
    revisions: &'r HashMap<String, u64>,
    listed: &'r HashMap<String, u64>,
    url_stamp: u64,
}

impl<'r> Fingerprints<'r> {
    fn new([revisions, listed]: [&'r HashMap<String, u64>; 2], url_stamp: u64) -> Fingerprints<'r> {
        Fingerprints {
            revisions,
            listed,
            url_stamp,
        }
    }

    /// A catalog item: its page's key, language, URL, fallback flag and
    /// revision (of the page itself, or with `listed` of its summary).
    fn item(&self, site: &Site<'_>, index: usize, listed: bool) -> u64 {
        let item = &site.catalog.items[index];
        let page = &site.content.pages[item.page];
        let revisions = if listed { self.listed } else { self.revisions };
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
    }

    /// `None`: render every time (pages that summarise the whole site).
    fn of(&self, site: &Site<'_>, job: &Job, path: &str) -> Option<u64> {
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
                self.item(site, *index, false).hash(&mut h);
                // The language switch shows the other version.
                for lang in Lang::ALL {
                    site.catalog
                        .item_index(&page.key, lang)
                        .map(|i| self.item(site, i, false))
                        .hash(&mut h);
                }
            }
            Job::SectionPage(section, paginated) => {
                let entry = &site.catalog.sections[*section];
                (entry.section, entry.lang, entry.fallback, &entry.url).hash(&mut h);
                let folder = &site.content.sections[entry.section].path;
                self.section_links(folder, site, &mut h);
                self.paginated(site, paginated, &mut h);
            }
            Job::TaxonomyTerm(taxonomy, lang, _, paginated) => {
                (taxonomy, lang).hash(&mut h);
                self.paginated(site, paginated, &mut h);
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
                        self.item(site, i, true).hash(&mut h);
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
                        .map(|i| self.item(site, i, false))
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

    fn paginated(&self, site: &Site<'_>, p: &Paginated, h: &mut DefaultHasher) {
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
            self.item(site, i, true).hash(h);
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
