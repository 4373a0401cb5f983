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

/// Loads and checks everything a build needs, renders it and writes it.
pub fn build(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    let root = &options.root;
    let now = when::now_or(options.now.as_deref()).map_err(|err| {
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
    let mut stages = Vec::new();
    let mut lap = Instant::now();
    let mut stage = |name: &'static str| {
        stages.push((name, lap.elapsed()));
        lap = Instant::now();
    };

    let config = config::load(root).map_err(|d| BuildError::Content(vec![d]))?;
    let theme = theme::load(root, &config.theme).map_err(|d| BuildError::Content(vec![d]))?;
    let env = templates::environment(&theme, &config.base_url)
        .map_err(|d| BuildError::Content(vec![d]))?;
    let (data, data_problems) = data::load(root);
    diagnostics.extend(data_problems);
    let content = content::load(
        root,
        LoadOptions {
            include_drafts: options.include_drafts,
        },
    );
    let content = {
        let mut content = content;
        diagnostics.extend(std::mem::take(&mut content.diagnostics));
        content
    };
    stage("load");
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
    stage("markdown");

    if diagnostics.has_errors() {
        return Err(BuildError::Content(diagnostics.sorted()));
    }

    let site = Site::new(
        &config, &data, &content, &catalog, &bodies, now, &theme, &env,
    );
    let mut outputs: Vec<Output> = site.render().map_err(BuildError::Content)?;
    outputs.extend(site_static_files(root).map_err(|err| {
        BuildError::Fatal(Text::new(
            format!("static を読めません: {err}"),
            format!("cannot read static/: {err}"),
        ))
    })?);
    stage("render");

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
        warnings: diagnostics.sorted(),
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
