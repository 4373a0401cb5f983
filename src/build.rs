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
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// Where the site goes; `root/public` by default.
    pub output_dir: Option<PathBuf>,
    pub now: Option<String>,
    pub include_drafts: bool,
}

#[derive(Debug)]
pub struct BuildReport {
    pub pages: [usize; 2],
    pub files: usize,
    /// Documents in the search index.
    pub indexed: usize,
    /// RSS and Atom feeds and iCalendar files among `files`.
    pub feeds: usize,
    pub warnings: Vec<Diagnostic>,
    pub elapsed: Duration,
    /// Wall time of each stage, for profiling (`KPOT_TIMINGS=1`).
    pub stages: Vec<(&'static str, Duration)>,
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
    pub content: content::Content,
    pub catalog: catalog::Catalog,
    /// Rendered Markdown, by page index.
    pub bodies: Vec<markdown::Rendered>,
    pub now: chrono::DateTime<chrono::FixedOffset>,
    /// Every problem found, errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
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
    if !root.is_dir() {
        return Err(BuildError::Fatal(Text::new(
            format!("サイトのフォルダ {} がありません", root.display()),
            format!("the site folder {} does not exist", root.display()),
        )));
    }
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

    let rendered: Vec<(markdown::Rendered, Vec<markdown::LinkProblem>)> = content
        .pages
        .par_iter()
        .map(|page| markdown::render(&page.body, &catalog.links(page.lang)))
        .collect();
    let (bodies, problems): (Vec<_>, Vec<_>) = rendered.into_iter().unzip();
    diagnostics.extend(validate::links(&content, &catalog, &bodies, &problems));
    Ok(Prepared {
        config,
        theme,
        env,
        data,
        content,
        catalog,
        bodies,
        now,
        diagnostics: diagnostics.sorted(),
    })
}

/// Loads and checks everything a build needs, renders it and writes it.
pub fn build(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    let root = &options.root;
    let mut stages = Vec::new();
    let mut lap = Instant::now();
    let mut stage = |name: &'static str| {
        stages.push((name, lap.elapsed()));
        lap = Instant::now();
    };

    let prepared = prepare(root, options.now.as_deref(), options.include_drafts)?;
    stage("prepare");
    if prepared.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(BuildError::Content(prepared.diagnostics));
    }
    let Prepared {
        config,
        theme,
        env,
        data,
        content,
        catalog,
        bodies,
        now,
        diagnostics,
    } = &prepared;

    let site = Site::new(config, data, content, catalog, bodies, *now, theme, env);
    let mut outputs: Vec<Output> = site.render().map_err(BuildError::Content)?;
    outputs.extend(site_static_files(root).map_err(|err| {
        BuildError::Fatal(Text::new(
            format!("static を読めません: {err}"),
            format!("cannot read static/: {err}"),
        ))
    })?);
    stage("render");
    let feeds = outputs
        .iter()
        .filter(|o| {
            o.path.ends_with("rss.xml") || o.path.ends_with("atom.xml") || o.path.ends_with(".ics")
        })
        .count();

    let target = options
        .output_dir
        .clone()
        .unwrap_or_else(|| root.join("public"));
    let files = output::write_atomically(&target, &outputs).map_err(|err| {
        BuildError::Fatal(Text::new(
            format!("{} に書き込めません: {err}", target.display()),
            format!("cannot write {}: {err}", target.display()),
        ))
    })?;
    stage("write");

    let indexed = if config.build_search_index {
        crate::search::build_index(root, content, catalog, data, bodies).map_err(|err| {
            BuildError::Fatal(Text::new(
                format!("検索インデックスを書けません: {err}"),
                format!("cannot write the search index: {err}"),
            ))
        })?
    } else {
        0
    };
    stage("index");

    let mut pages = [0, 0];
    for item in &catalog.items {
        pages[match item.lang {
            Lang::Ja => 0,
            Lang::En => 1,
        }] += 1;
    }
    Ok(BuildReport {
        pages,
        files,
        indexed,
        feeds,
        warnings: diagnostics.clone(),
        elapsed: started.elapsed(),
        stages,
    })
}

/// The site's own `static/` folder, copied to the root of the output.
fn site_static_files(root: &Path) -> std::io::Result<Vec<Output>> {
    let dir = root.join("static");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
            out.push(Output {
                path: rel.to_string_lossy().replace('\\', "/"),
                payload: crate::render::Payload::Copy(entry.path().to_path_buf()),
            });
        }
    }
    Ok(out)
}
