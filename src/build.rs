//! `kpot build`: load → validate → render → write.

use crate::catalog;
use crate::config;
use crate::content::{self, LoadOptions};
use crate::data;
use crate::diagnostics::{Diagnostic, Diagnostics, Text};
use crate::format::Lang;
use crate::markdown;
use crate::output;
use crate::render::{Output, Site};
use crate::templates;
use crate::theme;
use crate::validate;
use crate::when;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// Where the site goes; `root/public` by default.
    pub output_dir: Option<PathBuf>,
    /// Where the search index goes; by default `root/search-index/index`
    /// for `root/public`, and `DIR-search-index` beside any other output
    /// folder DIR (see [`index_dir`]).
    pub index_dir: Option<PathBuf>,
    pub now: Option<String>,
    pub include_drafts: bool,
}

#[derive(Debug)]
pub struct BuildReport {
    pub pages: [usize; 2],
    /// Files in the built site.
    pub files: usize,
    /// Files written by this build: new or changed ones (0 when nothing
    /// changed since the last build).
    pub written: usize,
    /// Files removed because the site no longer has them.
    pub removed: usize,
    /// Whether the search index was written (else it was already current).
    pub index_rebuilt: bool,
    /// Documents in the search index.
    pub indexed: usize,
    /// RSS and Atom feeds and iCalendar files among `files`.
    pub feeds: usize,
    /// How many warnings the content drew.
    pub warning_count: usize,
    /// The warnings themselves when there are at most [`SHOWN_WARNINGS`];
    /// beyond that, `kpot check` lists them and the report only counts them.
    pub warnings: Vec<Diagnostic>,
    pub elapsed: Duration,
    /// Each stage's wall and CPU time, for profiling (`KPOT_TIMINGS=1`).
    pub stages: Vec<Stage>,
}

/// How long a stage of a build took.
#[derive(Debug, Clone)]
pub struct Stage {
    pub name: &'static str,
    pub wall: Duration,
    /// CPU time of the whole process (all threads) during the stage, when
    /// the system tells it: wall × cores when every core was busy.
    pub cpu: Option<Duration>,
    /// Resident memory of the process at the stage's end, in bytes (Linux).
    pub resident: Option<u64>,
}

#[derive(Debug)]
pub enum BuildError {
    /// Content or templates are wrong; nothing was written.
    Content(Vec<Diagnostic>),
    /// The build could not run (unreadable folder, disk full …).
    Fatal(Text),
}

/// Everything loaded and checked, ready to render: what `check` inspects
/// and what `build` renders, indexes and writes.
pub struct Prepared {
    pub config: config::Config,
    pub theme: theme::Theme,
    pub env: minijinja::Environment<'static>,
    pub data: data::Data,
    /// The pages, their Markdown sources emptied once rendered into
    /// `bodies` (except newsletter issues', whose lead is read again).
    pub content: content::Content,
    pub catalog: catalog::Catalog,
    /// Rendered Markdown, by page index.
    pub bodies: Vec<markdown::Rendered>,
    pub now: chrono::DateTime<chrono::FixedOffset>,
    /// Every problem found, errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Prepared {
    /// What rendering reads, borrowed from the prepared site.
    pub fn site(&self) -> Site<'_> {
        Site::new(
            &self.config,
            &self.data,
            &self.content,
            &self.catalog,
            &self.bodies,
            self.now,
            &self.theme,
            &self.env,
        )
    }
}

/// Loads config, theme, data and content, then checks references and links.
/// Content errors are returned inside `Prepared::diagnostics`; only problems
/// that stop loading altogether (no site folder, a broken config or theme)
/// are `Err`.
pub fn prepare(
    root: &Path,
    now: Option<&str>,
    include_drafts: bool,
) -> Result<Prepared, BuildError> {
    let now = when::now_or(now).map_err(|err| {
        BuildError::Fatal(Text::new(
            format!("--now を読めません: {err}"),
            format!("cannot read --now: {err}"),
        ))
    })?;
    require_root(root)?;
    let mut diagnostics = Diagnostics::default();
    let config = config::load(root).map_err(|d| BuildError::Content(vec![d]))?;
    let theme = theme::load(root, &config.theme).map_err(|d| BuildError::Content(vec![d]))?;
    let env = templates::environment(&theme, &config.base_url)
        .map_err(|d| BuildError::Content(vec![d]))?;
    let (data, data_problems) = data::load(root);
    diagnostics.extend(data_problems);
    let mut content = content::load(root, LoadOptions { include_drafts });
    diagnostics.extend(std::mem::take(&mut content.diagnostics));
    diagnostics.extend(validate::references(&content, &data));
    diagnostics.extend(validate::templates(&content, &theme));
    let (catalog, catalog_problems) = catalog::build(&content);
    diagnostics.extend(catalog_problems);

    // Each Markdown source is dropped as soon as it is rendered (only a
    // newsletter issue's lead is read again): the sources of a 50,000-page
    // site and their HTML are never all held at once.
    let rendered: Vec<(markdown::Rendered, Vec<markdown::LinkProblem>)> = content
        .pages
        .par_iter_mut()
        .map(|page| {
            let rendered = markdown::render(&page.body, &catalog.links(page.lang));
            if page.section != crate::feeds::newsletter::SECTION {
                page.body = String::new();
            }
            rendered
        })
        .collect();
    let (bodies, problems): (Vec<_>, Vec<_>) = rendered.into_iter().unzip();
    diagnostics.extend(validate::links(&content, &catalog, &bodies, &problems));
    // Problems found after loading (a slug leaving the site) name their
    // field: `kpot build` shows its line as `kpot check` does.
    let mut diagnostics = diagnostics.sorted();
    crate::check::place(root, &mut diagnostics);
    let mut placed = Diagnostics::default();
    placed.extend(diagnostics);
    Ok(Prepared {
        config,
        theme,
        env,
        data,
        content,
        catalog,
        bodies,
        now,
        diagnostics: placed.sorted(),
    })
}

/// Fails unless the site folder exists: a build must not create it (nor
/// anything in it) by locking or writing.
fn require_root(root: &Path) -> Result<(), BuildError> {
    if root.is_dir() {
        return Ok(());
    }
    Err(BuildError::Fatal(Text::new(
        format!("サイトのフォルダ {} がありません", root.display()),
        format!("the site folder {} does not exist", root.display()),
    )))
}

/// What a build records beside its output (in the manifest, see
/// [`output::Manifest`]): the fingerprint of its inputs and its report, so
/// that a build of unchanged inputs can say what the last one said without
/// doing its work again.
#[derive(serde::Serialize, serde::Deserialize)]
struct Recorded {
    /// [`Inputs::fingerprint`], when the build had one.
    inputs: Option<String>,
    pages: [usize; 2],
    files: usize,
    feeds: usize,
    indexed: usize,
    /// What the search index was built from (`None`: no index).
    index_source: Option<String>,
    warning_count: usize,
    /// At most [`SHOWN_WARNINGS`]: a corpus with a warning on every page
    /// would otherwise record tens of megabytes for nobody to read.
    warnings: Vec<Diagnostic>,
}

/// The most warnings `kpot build` prints; more are only counted.
pub const SHOWN_WARNINGS: usize = 20;

/// Loads and checks everything a build needs, renders it and writes it.
///
/// Rendering streams: jobs render in batches and each file goes straight to
/// the [`output::Writer`], which writes only files whose bytes changed; the
/// search index is built on its own thread at the same time. Nothing in the
/// output or the live index changes until every page has rendered.
pub fn build(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    let root = &options.root;
    let mut watch = Stopwatch::start();
    let target = options
        .output_dir
        .clone()
        .unwrap_or_else(|| root.join("public"));
    let cannot_write = |err: std::io::Error| {
        BuildError::Fatal(Text::new(
            format!("{} に書き込めません: {err}", target.display()),
            format!("cannot write {}: {err}", target.display()),
        ))
    };
    require_root(root)?;
    let index_dir = index_dir(options, &target);
    // Before any work: a target that cannot be swapped, or one another
    // build is writing, would only fail at the end.
    refuse_mount_points(&target, &index_dir)?;
    let locks = (
        output::Lock::output(&target).map_err(cannot_write)?,
        output::Lock::beside(&index_dir).map_err(cannot_write)?,
    );
    // Under the locks, whatever a killed build left beside them is stale.
    output::remove_stale_staging(&target).map_err(cannot_write)?;
    output::remove_stale_staging(&index_dir).map_err(cannot_write)?;

    // Unchanged inputs, unchanged output: nothing to do. Only a target
    // whose last build left a fingerprint can be unchanged; for any other,
    // the fingerprint is finished from the files as they are loaded.
    let comparable = output::Manifest::meta(&target)
        .and_then(|meta| serde_json::from_str::<Recorded>(&meta).ok())
        .is_some_and(|recorded| recorded.inputs.is_some());
    let scanned = scan_inputs(options, &target, !comparable);
    let mut inputs = None;
    let mut scanned = match scanned {
        Some(scanned) if comparable => {
            inputs = scanned.fingerprint(&HashMap::new());
            None
        }
        other => other,
    };
    watch.stage("fingerprint");
    if let Some(inputs) = &inputs
        && let Some(recorded) = unchanged(&target, &index_dir, inputs)
    {
        watch.stage("verify");
        return Ok(BuildReport {
            pages: recorded.pages,
            files: recorded.files,
            written: 0,
            removed: 0,
            indexed: recorded.indexed,
            index_rebuilt: false,
            feeds: recorded.feeds,
            warning_count: recorded.warning_count,
            warnings: recorded.warnings,
            elapsed: started.elapsed(),
            stages: watch.stages,
        });
    }

    let mut prepared = prepare(root, options.now.as_deref(), options.include_drafts)?;
    let read = std::mem::take(&mut prepared.content.read);
    if let Some(scanned) = scanned.take() {
        inputs = scanned.fingerprint(&read);
    }
    drop(read);
    watch.stage("prepare");
    let Prepared {
        config,
        data,
        content,
        catalog,
        bodies,
        diagnostics,
        ..
    } = &prepared;

    let mut site = prepared.site();
    // Planned even when the content has errors, so that the paths the
    // output would refuse are reported with them, as `kpot check` does.
    let plan = site.plan();
    watch.stage("plan");
    let clashes = output_clashes(&site, &plan, root)?;
    if !clashes.is_empty() || diagnostics.iter().any(Diagnostic::is_error) {
        let mut problems = Diagnostics::default();
        problems.extend(diagnostics.iter().cloned());
        problems.extend(clashes);
        return Err(BuildError::Content(problems.sorted()));
    }
    watch.stage("output paths");
    let writer = output::Writer::begin(&target, &locks.0).map_err(cannot_write)?;
    watch.stage("scan output");
    let feeds = AtomicUsize::new(0);
    let put = |output: &Output| -> std::io::Result<()> {
        let path = &output.path;
        if path.ends_with("rss.xml") || path.ends_with("atom.xml") || path.ends_with(".ics") {
            feeds.fetch_add(1, Ordering::Relaxed);
        }
        writer.put(output)
    };

    let rendered_and_index = std::thread::scope(|scope| {
        // The index is CPU work on documents the render does not need: it
        // runs beside rendering and writing rather than after them.
        let index = config.build_search_index.then(|| {
            scope.spawn(|| {
                let started = Instant::now();
                let staged =
                    crate::search::stage_index_at(root, &index_dir, content, catalog, data, bodies);
                (staged, started.elapsed())
            })
        });
        let rendered = render_jobs(&site, &plan, &put);
        let pages_done = moment();
        let rendered = rendered.and_then(|()| {
            // Feeds and calendars do not show list views: free them first.
            site.forget_list_views();
            render_extras(&site, &plan, root, &put)
        });
        let extras_done = moment();
        let index = index.map(|handle| match handle.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        });
        (rendered, index, pages_done, extras_done)
    });
    let (rendered, index, pages_done, extras_done) = rendered_and_index;
    // Where the rendering time went: pages, then feeds and calendars, then
    // waiting for the index thread.
    watch.stage_until("render pages", pages_done);
    watch.stage_until("render extras", extras_done);
    watch.stage("wait for index");
    rendered?;
    let mut index_took = None;
    let index = match index {
        Some((staged, took)) => {
            index_took = Some(took);
            let staged = staged.map_err(|err| {
                BuildError::Fatal(Text::new(
                    format!("検索インデックスを書けません（公開中のサイトと索引は変更していません）: {err}"),
                    format!("cannot write the search index (the live site and index were left unchanged): {err}"),
                ))
            })?;
            Some(staged)
        }
        None => None,
    };

    let mut pages = [0, 0];
    for item in &catalog.items {
        pages[match item.lang {
            Lang::Ja => 0,
            Lang::En => 1,
        }] += 1;
    }
    let feeds = feeds.into_inner();
    let recorded = Recorded {
        inputs,
        pages,
        files: writer.len(),
        feeds,
        indexed: index.as_ref().map_or(0, |i| i.documents),
        index_source: index.as_ref().map(|i| i.source.clone()),
        warning_count: diagnostics.len(),
        warnings: if diagnostics.len() <= SHOWN_WARNINGS {
            diagnostics.clone()
        } else {
            Vec::new()
        },
    };
    let meta = serde_json::to_string(&recorded).unwrap_or_default();
    let stats = writer.commit(&meta).map_err(cannot_write)?;
    let mut index_rebuilt = false;
    if let Some(staged) = index.and_then(|i| i.index) {
        staged.commit().map_err(|err| {
            BuildError::Fatal(Text::new(
                format!("検索インデックスを書けません: {err}"),
                format!("cannot write the search index: {err}"),
            ))
        })?;
        index_rebuilt = true;
    }
    watch.stage("commit");
    if let Some(took) = index_took {
        watch.beside("(index thread)", took);
    }

    let report = BuildReport {
        pages,
        files: stats.files,
        written: stats.written,
        removed: stats.removed,
        indexed: recorded.indexed,
        index_rebuilt,
        feeds,
        warning_count: recorded.warning_count,
        warnings: recorded.warnings,
        elapsed: started.elapsed(),
        stages: watch.stages,
    };
    // Freeing every page, body and view of a large site is a few percent
    // of the build; nobody needs to wait for it (`kpot build` exits).
    drop(plan);
    drop(site);
    std::thread::spawn(move || drop(prepared));
    Ok(report)
}

/// Renders every job in batches, handing each file to `put` as soon as its
/// batch is done. Template errors stop the writing but not the rendering,
/// so that all of them are reported at once.
fn render_jobs(
    site: &Site<'_>,
    plan: &crate::render::Plan<'_>,
    put: &(dyn Fn(&Output) -> std::io::Result<()> + Sync),
) -> Result<(), BuildError> {
    // Each file is written by the thread that rendered it, as soon as it is
    // rendered: no batch waits for its slowest page before writing, and no
    // more than a file per thread is held. After the first error nothing
    // more is written (the staged files are thrown away), but every job is
    // still rendered so that all the site's problems are reported at once.
    let errors: Mutex<Vec<Diagnostic>> = Mutex::new(Vec::new());
    let failed = AtomicBool::new(false);
    let written = plan
        .jobs
        .par_iter()
        .try_for_each(|job| match site.render_job(plan, job) {
            Ok(output) if !failed.load(Ordering::Relaxed) => put(&output),
            Ok(_) => Ok(()),
            Err(diagnostic) => {
                failed.store(true, Ordering::Relaxed);
                let mut errors = errors.lock().unwrap_or_else(|e| e.into_inner());
                if !errors
                    .iter()
                    .any(|e| e.message == diagnostic.message && e.file == diagnostic.file)
                {
                    errors.push(diagnostic);
                }
                Ok(())
            }
        });
    written.map_err(write_error)?;
    let mut errors = errors.into_inner().unwrap_or_else(|e| e.into_inner());
    if errors.is_empty() {
        Ok(())
    } else {
        // By file and line: the report must not depend on thread timing.
        errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        Err(BuildError::Content(errors))
    }
}

/// The files that look at the whole site (feeds, calendars, sitemap) and
/// the static files, handed to `put`.
fn render_extras(
    site: &Site<'_>,
    plan: &crate::render::Plan<'_>,
    root: &Path,
    put: &(dyn Fn(&Output) -> std::io::Result<()> + Sync),
) -> Result<(), BuildError> {
    let mut extras = site.render_extras(plan);
    extras.extend(site_static_files(root).map_err(|err| {
        BuildError::Fatal(Text::new(
            format!("static を読めません: {err}"),
            format!("cannot read static/: {err}"),
        ))
    })?);
    extras.par_iter().try_for_each(put).map_err(write_error)
}

fn write_error(err: std::io::Error) -> BuildError {
    BuildError::Fatal(Text::new(
        format!("出力を書けません（公開中のサイトは変更していません）: {err}"),
        format!("cannot write the output (the live site was left unchanged): {err}"),
    ))
}

/// Where this build's search index goes: `--index-dir`, else the site's
/// own `search-index/index` for the site's own `public/`, else
/// `DIR-search-index` beside the output folder DIR. A build into another
/// folder never replaces the index the site's server is reading.
fn index_dir(options: &BuildOptions, target: &Path) -> PathBuf {
    let own = options.root.join("public");
    if let Some(dir) = &options.index_dir {
        return dir.clone();
    }
    if options.output_dir.is_none() || same_place(target, &own) {
        return crate::search::default_index_dir(&options.root);
    }
    let name = target
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    target
        .parent()
        .unwrap_or(Path::new(""))
        .join(format!("{name}-search-index"))
}

/// Whether two paths name the same place, though spelled differently
/// (`public` and `./public`). The last component is compared as it is:
/// `public` may be a link to a generation, and resolving it would not do.
fn same_place(a: &Path, b: &Path) -> bool {
    let resolve = |path: &Path| {
        let absolute = std::path::absolute(path).ok()?;
        let parent = absolute.parent()?.canonicalize().ok()?;
        Some(parent.join(absolute.file_name()?))
    };
    match (resolve(a), resolve(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Fails when the output or index folder is a mount point: a build is
/// published by putting a new name in its place, which a mount point
/// cannot take. Says what to do instead.
fn refuse_mount_points(target: &Path, index_dir: &Path) -> Result<(), BuildError> {
    if output::unswappable(target).is_some() {
        let t = target.display();
        return Err(BuildError::Fatal(Text::new(
            format!(
                "{t} はマウントポイントです。kpot build はその場所のリンクを一度に差し替えて公開するため、マウントポイントには公開できません（何も書き込んでいません）。ボリュームを別の場所（例: /mnt/volume）にマウントし、`kpot build -o /mnt/volume/site` でビルドして、/mnt/volume/site（公開中の世代へのリンク）を配信してください"
            ),
            format!(
                "{t} is a mount point: kpot build publishes by swapping in a link at that path in one step, which a mount point cannot take (nothing was written). Mount the volume elsewhere (e.g. /mnt/volume), build with `kpot build -o /mnt/volume/site` and serve /mnt/volume/site (a link to the live generation)"
            ),
        )));
    }
    if output::unswappable(index_dir).is_some() {
        let t = index_dir.display();
        return Err(BuildError::Fatal(Text::new(
            format!(
                "{t} はマウントポイントです。検索インデックスは一度に差し替えるため、マウントポイントには書けません（何も書き込んでいません）。ボリュームを別の場所にマウントし、`--index-dir` でその中のフォルダ（例: /mnt/volume/index）を指定してください"
            ),
            format!(
                "{t} is a mount point: the search index is swapped in whole, which a mount point cannot take (nothing was written). Mount the volume elsewhere and give a folder inside it with `--index-dir` (e.g. /mnt/volume/index)"
            ),
        )));
    }
    Ok(())
}

/// The time each stage of a build took (`KPOT_TIMINGS=1`).
struct Stopwatch {
    stages: Vec<Stage>,
    lap: Instant,
    cpu: Option<Duration>,
}

impl Stopwatch {
    fn start() -> Self {
        Stopwatch {
            stages: Vec::new(),
            lap: Instant::now(),
            cpu: process_cpu_time(),
        }
    }

    /// Ends the running stage now.
    fn stage(&mut self, name: &'static str) {
        let cpu = process_cpu_time();
        self.push(name, Instant::now(), cpu);
    }

    /// Ends the running stage at a moment already past, taken by [`moment`].
    fn stage_until(&mut self, name: &'static str, (at, cpu): (Instant, Option<Duration>)) {
        self.push(name, at, cpu);
    }

    fn push(&mut self, name: &'static str, at: Instant, cpu: Option<Duration>) {
        self.stages.push(Stage {
            name,
            wall: at.saturating_duration_since(self.lap),
            cpu: cpu
                .zip(self.cpu)
                .map(|(now, then)| now.saturating_sub(then)),
            resident: resident_bytes(),
        });
        self.lap = at;
        self.cpu = cpu;
    }

    /// A stage that ran beside the others (the index thread): its wall time.
    fn beside(&mut self, name: &'static str, wall: Duration) {
        self.stages.push(Stage {
            name,
            wall,
            cpu: None,
            resident: None,
        });
    }
}

/// This moment, with the process's CPU time, for [`Stopwatch::stage_until`].
fn moment() -> (Instant, Option<Duration>) {
    (Instant::now(), process_cpu_time())
}

/// User + system time of this process so far (Linux: `/proc/self/stat`,
/// in the kernel's 100 Hz ticks).
fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; fields after it are plain.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ').skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 10))
}

/// Resident memory of this process now (`VmRSS` in `/proc/self/status`).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Everything a build reads, listed before anything is loaded: the kpot
/// program, the options, `config.toml`, the search configuration and every
/// file in `content/`, `data/`, `themes/` and `static/`, each hashed by
/// content. `None` when "now" is the clock's (every build is then at a new
/// moment, and statuses may have changed) or when a folder cannot be read.
///
/// With `defer_markdown`, the Markdown files under `content/` are not read
/// here but hashed by the loader as it reads them ([`Content::read`]), so a
/// fresh build reads each page once. Everything else is hashed now, before
/// loading: a file that changes during the build makes the next build see a
/// change rather than miss one.
///
/// [`Content::read`]: crate::content::Content::read
fn scan_inputs(options: &BuildOptions, target: &Path, defer_markdown: bool) -> Option<Inputs> {
    use std::hash::Hash;
    let now = when::now_or(Some(options.now.as_deref()?)).ok()?;
    let root = &options.root;
    let mut files: Vec<PathBuf> = ["config.toml", "search-index/config.toml"]
        .iter()
        .map(|name| root.join(name))
        .filter(|path| path.is_file())
        .collect();
    for dir in ["content", "data", "themes", "static"] {
        let dir = root.join(dir);
        if !dir.exists() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
            let entry = entry.ok()?;
            if !entry.file_type().is_dir() {
                files.push(entry.into_path());
            }
        }
    }
    let content = root.join("content");
    let deferred = |path: &Path| {
        defer_markdown && path.starts_with(&content) && path.extension().is_some_and(|e| e == "md")
    };
    let hashes: Vec<Option<u128>> = files
        .par_iter()
        .map(|path| {
            if deferred(path) {
                return Some(None);
            }
            hash_file(path).map(Some)
        })
        .collect::<Option<_>>()?;
    let mut head = xxhash_rust::xxh3::Xxh3::new();
    "kpot build inputs 1".hash(&mut head);
    output::program_stamp().hash(&mut head);
    now.to_rfc3339().hash(&mut head);
    options.include_drafts.hash(&mut head);
    std::path::absolute(root).ok()?.hash(&mut head);
    std::path::absolute(target).ok()?.hash(&mut head);
    Some(Inputs {
        root: root.clone(),
        head,
        files: files.into_iter().zip(hashes).collect(),
    })
}

/// The [`output::content_hash`] of a file's bytes, if it can be read.
fn hash_file(path: &Path) -> Option<u128> {
    std::fs::read(path)
        .ok()
        .map(|bytes| output::content_hash(&bytes))
}

/// The inputs [`scan_inputs`] found, some not hashed yet.
struct Inputs {
    root: PathBuf,
    head: xxhash_rust::xxh3::Xxh3,
    files: Vec<(PathBuf, Option<u128>)>,
}

impl Inputs {
    /// The fingerprint of the inputs, taking each file not hashed yet from
    /// `read` (what the loader read). A file the loader did not read (a
    /// hidden one) is read now; one that has gone since it was listed leaves
    /// the build without a fingerprint, so the next build does all its work.
    fn fingerprint(self, read: &HashMap<PathBuf, u128>) -> Option<String> {
        use std::hash::Hash;
        let hashes: Vec<u128> = self
            .files
            .par_iter()
            .map(|(path, hash)| {
                hash.or_else(|| read.get(path).copied())
                    .or_else(|| hash_file(path))
            })
            .collect::<Option<_>>()?;
        let mut hasher = self.head;
        for ((path, _), hash) in self.files.iter().zip(&hashes) {
            path.strip_prefix(&self.root)
                .unwrap_or(path)
                .hash(&mut hasher);
            hash.hash(&mut hasher);
        }
        Some(format!("{:032x}", hasher.digest128()))
    }
}

/// What the last build recorded, if its inputs had this fingerprint and
/// its output and search index are still exactly as it left them.
fn unchanged(target: &Path, index_dir: &Path, inputs: &str) -> Option<Recorded> {
    let manifest = output::Manifest::load(target)?;
    let recorded: Recorded = serde_json::from_str(&manifest.meta).ok()?;
    if recorded.inputs.as_deref() != Some(inputs) {
        return None;
    }
    if let Some(source) = &recorded.index_source
        && crate::search::index::built_from(index_dir).as_deref() != Some(source)
    {
        return None;
    }
    manifest.matches(target).then_some(recorded)
}

/// The site's own `static/` folder, copied to the root of the output.
fn site_static_files(root: &Path) -> std::io::Result<Vec<Output>> {
    let dir = root.join("static");
    Ok(site_static_names(root)?
        .into_iter()
        .map(|path| Output {
            payload: crate::render::Payload::Copy(dir.join(&path)),
            path,
        })
        .collect())
}

/// The files of the site's `static/` folder, relative to it
/// (`/`-separated), in name order.
pub fn site_static_names(root: &Path) -> std::io::Result<Vec<String>> {
    let dir = root.join("static");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(out)
}

/// The output paths two sources claim, or one as a file and another as a
/// folder ([`crate::render::claims`]), as errors: found before anything is
/// written, so the build refuses them as content errors instead of
/// failing half-way with "Is a directory".
pub fn output_clashes(
    site: &Site<'_>,
    plan: &crate::render::Plan<'_>,
    root: &Path,
) -> Result<Vec<Diagnostic>, BuildError> {
    let site_static = site_static_names(root).map_err(|err| {
        BuildError::Fatal(Text::new(
            format!("static を読めません: {err}"),
            format!("cannot read static/: {err}"),
        ))
    })?;
    Ok(crate::render::claims::conflicts(
        site,
        plan,
        root,
        &site_static,
    ))
}
