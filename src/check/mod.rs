//! `kpot check`: everything `kpot build` would load, checked, nothing
//! written. Partners run it in their pull request's CI; it must say every
//! problem at once, plainly, on the right line.

pub mod owner;
pub mod report;

use crate::build::{BuildError, Prepared, prepare};
use crate::content::frontmatter;
use crate::diagnostics::{Diagnostic, Text};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub root: PathBuf,
    pub now: Option<String>,
    pub include_drafts: bool,
    /// With `changed`: the organization whose pull request this is.
    pub owner: Option<String>,
    /// Paths (relative to the site root) the pull request changes.
    pub changed: Vec<String>,
}

#[derive(Debug)]
pub struct CheckReport {
    /// Errors and warnings, in file and line order.
    pub diagnostics: Vec<Diagnostic>,
    /// Content and data files looked at.
    pub files: usize,
    pub elapsed: Duration,
}

impl CheckReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Why a check could not run at all (exit 2): the message, and any
/// diagnostics that explain it (a broken config.toml, say).
#[derive(Debug)]
pub struct CheckFailure {
    pub message: Text,
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads and checks the site as a build would, without rendering or writing.
pub fn run(options: &CheckOptions) -> Result<CheckReport, CheckFailure> {
    let started = Instant::now();
    let prepared = prepare(
        &options.root,
        options.now.as_deref(),
        options.include_drafts,
    )
    .map_err(|err| match err {
        BuildError::Fatal(message) => CheckFailure {
            message,
            diagnostics: Vec::new(),
        },
        BuildError::Content(diagnostics) => CheckFailure {
            message: Text::new(
                "サイトの設定かテーマが読めないため、確認できませんでした",
                "the site's configuration or theme cannot be read, so nothing was checked",
            ),
            diagnostics,
        },
    })?;
    let clashes = output_clashes(&prepared, &options.root)?;
    let mut diagnostics = prepared.diagnostics;
    diagnostics.extend(clashes);
    if let Some(org) = &options.owner {
        let found = owner::check(org, &options.changed, &prepared.data).map_err(|message| {
            CheckFailure {
                message,
                diagnostics: Vec::new(),
            }
        })?;
        diagnostics.extend(found);
    }
    place(&options.root, &mut diagnostics);
    diagnostics.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    let files = prepared.content.pages.len()
        + prepared
            .content
            .sections
            .iter()
            .filter(|s| s.source.is_some())
            .count()
        + std::fs::read_dir(options.root.join("data")).map_or(0, |dir| dir.count());
    Ok(CheckReport {
        diagnostics,
        files,
        elapsed: started.elapsed(),
    })
}

/// The output paths the build would refuse (two sources on one file, a file
/// where a folder is needed), found from the build's own plan.
fn output_clashes(prepared: &Prepared, root: &Path) -> Result<Vec<Diagnostic>, CheckFailure> {
    let site = prepared.site();
    let plan = site.plan();
    crate::build::output_clashes(&site, &plan, root).map_err(|err| match err {
        BuildError::Fatal(message) => CheckFailure {
            message,
            diagnostics: Vec::new(),
        },
        BuildError::Content(diagnostics) => CheckFailure {
            message: Text::new("確認できませんでした", "nothing was checked"),
            diagnostics,
        },
    })
}

/// Gives a line to diagnostics raised after loading (URL conflicts, slugs
/// that leave the site) that name a front matter field but no line: the
/// line where that field is written.
pub fn place(root: &Path, diagnostics: &mut [Diagnostic]) {
    for d in diagnostics.iter_mut().filter(|d| d.line == 0) {
        let Some(field) = d.field.as_deref() else {
            continue;
        };
        if let Some((line, column)) = frontmatter::field_position(&root.join(&d.file), field) {
            d.line = line;
            d.column = column;
        }
    }
}
