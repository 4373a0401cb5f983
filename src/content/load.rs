//! Loading `content/`: files become pages and sections, problems become
//! diagnostics. Nothing here renders or writes.

use super::fields::{Reader, TYPED_YEARS};
use super::frontmatter;
use super::model::*;
use super::schema;
use crate::diagnostics::{Diagnostic, Diagnostics, Text, display_path};
use crate::format::Lang;
use crate::when::When;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Content files larger than this are refused: nobody writes a 2 MB event
/// page by hand, and the limit keeps a stray binary from stalling a build.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// File types a partner may place beside their pages (PORTAL.md).
pub const PARTNER_ASSET_TYPES: [&str; 6] = ["png", "jpg", "jpeg", "gif", "webp", "pdf"];

#[derive(Debug, Default)]
pub struct Content {
    /// Sorted by content path, then language.
    pub pages: Vec<Page>,
    /// Every `_index.md` found, sorted by folder, then language.
    pub sections: Vec<Section>,
    pub diagnostics: Diagnostics,
    /// Folders left out because their `_index.md` says `draft = true`
    /// (without `--drafts`), so a page reloaded alone is left out too.
    pub draft_sections: Vec<String>,
    /// The hash ([`crate::output::content_hash`]) of each Markdown file's
    /// bytes as [`load`] read them, drafts included: a fresh build makes its
    /// input fingerprint from these instead of reading every file twice.
    /// Not kept up to date by [`reload_page`].
    pub read: HashMap<PathBuf, u128>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct LoadOptions {
    pub include_drafts: bool,
}

/// Loads every page and section under `root/content`.
pub fn load(root: &Path, options: LoadOptions) -> Content {
    let mut content = load_files(root, options);
    let duplicates = duplicate_translations(&content);
    content.diagnostics.extend(duplicates);
    content
}

/// [`load`] without the checks that look at all pages together
/// ([`duplicate_translations`]): every diagnostic here belongs to one file,
/// so `kpot serve` can drop a file's problems when it reloads the file.
pub fn load_files(root: &Path, options: LoadOptions) -> Content {
    let content_dir = root.join("content");
    let mut content = Content::default();
    let files = match collect_files(&content_dir) {
        Ok(files) => files,
        Err(err) => {
            content.diagnostics.push(Diagnostic::error(
                display_path(root, &content_dir),
                Text::new(
                    format!("content フォルダを読めません: {err}"),
                    format!("cannot read the content folder: {err}"),
                ),
            ));
            return content;
        }
    };

    let markdown: Vec<&PathBuf> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    let loaded: Vec<Loaded> = markdown
        .par_iter()
        .map(|path| load_file(root, &content_dir, path))
        .collect();

    content.pages.reserve(loaded.len());
    content.read.reserve(loaded.len());
    for (path, item) in markdown.into_iter().zip(loaded) {
        content.diagnostics.extend(item.diagnostics);
        if let Some(hash) = item.hash {
            content.read.insert(path.clone(), hash);
        }
        match item.entry {
            Some(Entry::Page(page)) if page.meta.draft && !options.include_drafts => {}
            Some(Entry::Page(page)) => content.pages.push(*page),
            Some(Entry::Section(section)) => content.sections.push(*section),
            None => {}
        }
    }

    if !options.include_drafts {
        drop_draft_sections(&mut content);
    }
    add_partner_sections(&mut content);
    attach_assets(root, &content_dir, &files, &mut content);
    // (file, language) is unique: an unstable sort is as deterministic, and
    // needs no copy of 75,000 pages on the side.
    content
        .pages
        .sort_unstable_by(|a, b| (&a.source.rel, a.lang).cmp(&(&b.source.rel, b.lang)));
    content
        .sections
        .sort_by(|a, b| (&a.path, a.lang).cmp(&(&b.path, b.lang)));
    content
}

/// What reloading one page file did, so that vectors kept in step with
/// `Content::pages` (rendered bodies) can follow, and the problems of that
/// file alone.
pub struct Reloaded {
    /// The index the old version had before it was taken out.
    pub removed: Option<usize>,
    /// The index of the new version (after the removal).
    pub inserted: Option<usize>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reloads the page file `rel` (a path under `content/`, not an
/// `_index.md`) into `content` after an edit, a new file or a deletion,
/// keeping `pages` sorted as [`load`] does. Returns `None` when the change
/// is one a single file cannot settle (a section index, a new page bundle
/// whose assets must be collected): the caller loads everything again.
pub fn reload_page(
    root: &Path,
    content: &mut Content,
    rel: &str,
    options: LoadOptions,
) -> Option<Reloaded> {
    let content_dir = root.join("content");
    let path = content_dir.join(rel);
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    if !rel.ends_with(".md")
        || file_name.starts_with("_index.")
        || rel.split('/').any(|part| part.starts_with('.'))
    {
        return None;
    }
    let old = content.pages.iter().position(|p| p.source.rel == rel);
    let assets = old
        .map(|i| content.pages[i].assets.clone())
        .unwrap_or_default();
    let is_bundle = is_bundle_index(file_name);
    if (old.is_none() || !path.is_file()) && stands_in_for_index(content, rel) {
        return None;
    }
    if let Some(i) = old {
        content.pages.remove(i);
    }
    if is_bundle && old.is_none() && path.is_file() {
        return None;
    }
    let mut reloaded = Reloaded {
        removed: old,
        inserted: None,
        diagnostics: Vec::new(),
    };
    if !path.is_file() {
        return Some(reloaded);
    }
    let loaded = load_file(root, &content_dir, &path);
    match loaded.entry {
        Some(Entry::Page(mut page)) => {
            let in_draft = content.draft_sections.iter().any(|d| {
                d.is_empty() || page.section == *d || page.section.starts_with(&format!("{d}/"))
            });
            if (!page.meta.draft || options.include_drafts) && !in_draft {
                page.assets = assets;
                let at = content
                    .pages
                    .partition_point(|p| (&p.source.rel, p.lang) < (&page.source.rel, page.lang));
                content.pages.insert(at, *page);
                reloaded.inserted = Some(at);
            }
        }
        Some(Entry::Section(_)) => return None,
        None => {}
    }
    reloaded.diagnostics = loaded.diagnostics;
    Some(reloaded)
}

/// Whether `rel` lies in a partner folder that has no `_index.md`: adding or
/// removing a page there may add or remove the folder's stand-in section
/// ([`add_partner_sections`]).
fn stands_in_for_index(content: &Content, rel: &str) -> bool {
    let folder = rel.rsplit_once('/').map_or("", |(dir, _)| dir);
    partner_folder(folder).is_some_and(|partner| {
        !content
            .sections
            .iter()
            .any(|s| s.path == partner && s.source.is_some())
    })
}

fn collect_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
    {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.file_type().is_file() {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

enum Entry {
    Page(Box<Page>),
    Section(Box<Section>),
}

struct Loaded {
    entry: Option<Entry>,
    diagnostics: Vec<Diagnostic>,
    /// The hash of the file's bytes, when they could be read.
    hash: Option<u128>,
}

/// What a file name says: its language, whether it is a section index, the
/// date in front of it and the rest as a slug.
#[derive(Debug, PartialEq, Eq)]
pub struct FileName {
    pub lang: Lang,
    pub is_section: bool,
    pub is_bundle: bool,
    pub stem: String,
    pub date: Option<When>,
}

/// Reads `2021-02-03-kickoff.en.md` as (en, date 2021-02-03, stem
/// `kickoff`). Unknown language suffixes are an error.
pub fn parse_file_name(name: &str) -> Result<FileName, String> {
    let base = name.strip_suffix(".md").unwrap_or(name);
    let (stem, lang) = match base.rsplit_once('.') {
        Some((stem, code)) => match Lang::from_code(code) {
            Some(lang) => (stem, lang),
            None => return Err(code.to_string()),
        },
        None => (base, Lang::Ja),
    };
    let is_section = stem == "_index";
    let is_bundle = stem == "index";
    let (date, rest) = split_date_prefix(stem);
    Ok(FileName {
        lang,
        is_section,
        is_bundle,
        stem: rest.to_string(),
        date,
    })
}

/// Zola reads a leading `YYYY-MM-DD` (or a full date-time) followed by `_`
/// or `-` as the page date.
fn split_date_prefix(stem: &str) -> (Option<When>, &str) {
    if stem.len() > 11 && stem.is_char_boundary(10) {
        let (head, tail) = stem.split_at(10);
        if (tail.starts_with('-') || tail.starts_with('_'))
            && let Ok(when) = When::parse(head)
        {
            return (Some(when), &tail[1..]);
        }
    }
    (None, stem)
}

fn load_file(root: &Path, content_dir: &Path, path: &Path) -> Loaded {
    let display = display_path(root, path);
    let rel = path
        .strip_prefix(content_dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    let mut diagnostics = Vec::new();
    let fail = |diagnostics: Vec<Diagnostic>| Loaded {
        entry: None,
        diagnostics,
        hash: None,
    };

    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let name = match parse_file_name(&file_name) {
        Ok(name) => name,
        Err(code) => {
            diagnostics.push(
                Diagnostic::error(
                    &display,
                    Text::new(
                        format!("言語 `{code}` には対応していません（ja と en のみ）"),
                        format!("the language `{code}` is not supported (only ja and en)"),
                    ),
                )
                .help(Text::new(
                    "英語版は NAME.en.md という名前にします",
                    "an English translation is named NAME.en.md",
                )),
            );
            return fail(diagnostics);
        }
    };

    match read_text(path) {
        Ok((text, hash)) => Loaded {
            hash: Some(hash),
            ..load_text(path, &display, &rel, &name, &text)
        },
        Err((message, line)) => {
            diagnostics.push(Diagnostic::error(&display, message).at(line, 0));
            fail(diagnostics)
        }
    }
}

/// Loads one content file from its text, as `load` does from disk, and
/// returns what is wrong with it: an entry point for the fuzzer and for
/// tools that check a file before it is saved. `rel` is the path under
/// `content/`.
pub fn check_text(rel: &str, text: &str) -> Vec<Diagnostic> {
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    let Ok(name) = parse_file_name(file_name) else {
        return Vec::new();
    };
    let display = PathBuf::from("content").join(rel);
    let text = normalize_text(text);
    load_text(Path::new(rel), &display, rel, &name, &text).diagnostics
}

/// The part of loading that works on the text alone.
fn load_text(path: &Path, display: &Path, rel: &str, name: &FileName, text: &str) -> Loaded {
    let display = display.to_path_buf();
    let rel = rel.to_string();
    let mut diagnostics = Vec::new();
    let fail = |diagnostics: Vec<Diagnostic>| Loaded {
        entry: None,
        diagnostics,
        hash: None,
    };
    let split = match frontmatter::split(text) {
        Ok(split) => split,
        Err(err) => {
            diagnostics.push(syntax_diagnostic(&display, err));
            return fail(diagnostics);
        }
    };
    let map = match &split {
        Some(split) => match frontmatter::parse(split) {
            Ok(map) => {
                if split.format == frontmatter::Format::Yaml {
                    diagnostics.extend(frontmatter::explain(split).into_iter().map(|err| {
                        let mut d = syntax_diagnostic(&display, err);
                        d.severity = crate::diagnostics::Severity::Warning;
                        d
                    }));
                }
                map
            }
            Err(err) => {
                diagnostics.extend(explain_failure(&display, split, err));
                return fail(diagnostics);
            }
        },
        None => Default::default(),
    };
    let (body, body_line) = match &split {
        Some(s) => (s.body.to_string(), s.body_line),
        None => (text.to_string(), 1),
    };
    let source = Source {
        path: path.to_path_buf(),
        rel: rel.clone(),
        display: display.clone(),
    };
    let folder = match rel.rsplit_once('/') {
        Some((dir, _)) => dir.to_string(),
        None => String::new(),
    };

    if name.is_section {
        let mut reader = Reader::new(split.as_ref(), &display, None, map);
        let meta = read_section_meta(&mut reader);
        diagnostics.extend(reader.finish(false));
        return Loaded {
            entry: Some(Entry::Section(Box::new(Section {
                source: Some(source),
                lang: name.lang,
                path: folder,
                meta,
                body,
                body_line,
                assets: Vec::new(),
            }))),
            diagnostics,
            hash: None,
        };
    }

    // The web editor saves `NAME.en.md` with the fields both languages
    // share as soon as an item is saved, before anyone writes the English:
    // without a title and a text it is not a translation yet, and the
    // English page shows the Japanese original (as for a missing file).
    if name.lang == Lang::En
        && split.is_some()
        && body.trim().is_empty()
        && map
            .get("title")
            .is_none_or(|t| t.as_str().is_some_and(|t| t.trim().is_empty()))
    {
        diagnostics.push(
            Diagnostic::warning(
                &display,
                Text::new(
                    "英語版のタイトルと本文がまだないので、英語のページには日本語版を表示します",
                    "the English version has no title and no text yet: the English page shows the Japanese original",
                ),
            )
            .at(1, 1)
            .help(Text::new(
                "英訳ができたら title と本文を書いてください",
                "write its title and text once the translation is ready",
            )),
        );
        return fail(diagnostics);
    }

    if split.is_none() {
        diagnostics.push(
            Diagnostic::error(
                &display,
                Text::new(
                    "front matter（+++ で囲んだ部分）がありません",
                    "the file has no front matter",
                ),
            )
            .at(1, 1)
            .help(Text::new(
                "ファイルの先頭に +++ の行、title = \"…\"、+++ の行を書いてください",
                "start the file with a `+++` line, `title = \"…\"` and another `+++` line",
            )),
        );
        return fail(diagnostics);
    }

    // A page bundle (`folder/index.md`) is named after its folder and lives
    // in the folder's parent section.
    let (section, stem, date_from_name) = if name.is_bundle {
        let (parent, dir_name) = match folder.rsplit_once('/') {
            Some((parent, dir)) => (parent.to_string(), dir.to_string()),
            None => (String::new(), folder.clone()),
        };
        let (date, rest) = split_date_prefix(&dir_name);
        (parent, rest.to_string(), date)
    } else {
        (folder.clone(), name.stem.clone(), name.date)
    };

    let section_type = SectionType::of(&rel);
    let mut reader = Reader::new(split.as_ref(), &display, None, map);
    let mut meta = read_page_meta(&mut reader);
    if meta.date.is_none() {
        meta.date = date_from_name;
    }
    let extra = std::mem::take(&mut meta.extra);
    let typed_keys: Vec<&str> = schema::keys(section_type.fields()).collect();
    let above_extra = reader.misplaced(
        &typed_keys,
        Text::new(
            "`{key}` は [extra] の中に書く項目です",
            "`{key}` belongs in [extra]",
        ),
        Text::new(
            "`{key}` の行を [extra] の行より下に移してください（YAML なら extra: の下に字下げして）",
            "move the `{key}` line below the [extra] line (in YAML, indent it under extra:)",
        ),
    );
    diagnostics.extend(reader.finish(false));
    // Reported even when the fields below fail, so one run names everything.
    diagnostics.extend(super::skeleton::check(
        section_type,
        &display,
        &body,
        body_line,
    ));

    let kind = match section_type {
        SectionType::Other => {
            meta.extra = extra;
            PageKind::Plain
        }
        typed => {
            let mut extra_reader =
                Reader::new(split.as_ref(), &display, Some("extra"), extra.clone())
                    .declared(typed.fields());
            let kind = read_typed(&mut extra_reader, typed, &section);
            extra_reader.found_elsewhere(&above_extra);
            extra_reader.misplaced(
                &PAGE_FIELDS,
                Text::new(
                    "`{key}` は [extra] より上に書く項目です",
                    "`{key}` belongs above [extra]",
                ),
                Text::new(
                    "`{key}` の行を [extra] の行より上（title の近く）に移してください",
                    "move the `{key}` line above the [extra] line (next to title)",
                ),
            );
            diagnostics.extend(extra_reader.finish(true));
            meta.extra = extra;
            match kind {
                Some(kind) => kind,
                None => return fail(diagnostics),
            }
        }
    };

    let key = translation_key(&rel);
    let slug = meta.slug.clone().unwrap_or_else(|| slugify(&stem));
    Loaded {
        entry: Some(Entry::Page(Box::new(Page {
            source,
            lang: name.lang,
            key,
            meta,
            kind,
            body,
            body_line,
            section,
            slug,
            assets: Vec::new(),
        }))),
        diagnostics,
        hash: None,
    }
}

/// A partner folder needs no `_index.md` (PORTAL.md: a new partner never
/// thinks of it): one without gets, in both languages, the section its
/// usual `_index.md` would give, so the folder has its own list and its
/// items list in `/events/` and `/notices/` as they do on the home page. Its
/// title is the organization's name, which the renderer knows
/// ([`crate::render::Site::section_title`]).
fn add_partner_sections(content: &mut Content) {
    let have: std::collections::BTreeSet<&str> =
        content.sections.iter().map(|s| s.path.as_str()).collect();
    let missing: std::collections::BTreeSet<String> = content
        .pages
        .iter()
        .filter_map(|page| partner_folder(&page.section))
        .filter(|folder| !have.contains(folder))
        .map(str::to_string)
        .collect();
    for folder in missing {
        for lang in Lang::ALL {
            content.sections.push(Section {
                source: None,
                lang,
                path: folder.clone(),
                meta: partner_section_meta(),
                body: String::new(),
                body_line: 1,
                assets: Vec::new(),
            });
        }
    }
}

/// What a partner folder's usual `_index.md` says (see
/// `content/events/kip/_index.md`), less the title and description.
fn partner_section_meta() -> SectionMeta {
    SectionMeta {
        sort_by: SortBy::Date,
        paginate_by: Some(20),
        transparent: true,
        ..SectionMeta::default()
    }
}

/// `events/<org>` for any folder in or under a partner folder.
pub fn partner_folder(folder: &str) -> Option<&str> {
    let org = partner_of(folder)?;
    let top = folder.split('/').next()?;
    Some(&folder[..top.len() + 1 + org.len()])
}

/// A section marked `draft = true` is left out with everything under it, as
/// in Zola.
fn drop_draft_sections(content: &mut Content) {
    let drafts: Vec<String> = content
        .sections
        .iter()
        .filter(|s| s.meta.draft)
        .map(|s| s.path.clone())
        .collect();
    if drafts.is_empty() {
        return;
    }
    let under = |folder: &str| {
        drafts
            .iter()
            .any(|d| d.is_empty() || folder == d || folder.starts_with(&format!("{d}/")))
    };
    content.sections.retain(|s| !under(&s.path));
    content.pages.retain(|p| !under(&p.section));
    content.draft_sections = drafts;
}

/// The content path of the Japanese original of `rel`. The web editor
/// names the original `NAME.ja.md` (beside `NAME.en.md`): it is the same
/// page as `NAME.md`.
pub fn translation_key(rel: &str) -> String {
    match rel
        .strip_suffix(".en.md")
        .or_else(|| rel.strip_suffix(".ja.md"))
    {
        Some(stem) => format!("{stem}.md"),
        None => rel.to_string(),
    }
}

/// `index.md` in any of its language forms: the page of a bundle.
fn is_bundle_index(file_name: &str) -> bool {
    matches!(file_name, "index.md" | "index.ja.md" | "index.en.md")
}

/// Reads a file as UTF-8 text with `\n` line ends, with the hash of its
/// bytes, or says why it cannot (and on which line, for a file that is not
/// UTF-8).
fn read_text(path: &Path) -> Result<(String, u128), (Text, usize)> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| {
        (
            Text::new(format!("読めません: {e}"), format!("cannot read: {e}")),
            0,
        )
    };
    // One open for the size check and the read: a 50,000-page site is
    // 75,000 files.
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let size = file.metadata().map_err(unreadable)?.len();
    if size > MAX_FILE_BYTES {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize + 1);
    // The limit again: the file may have grown since it was measured.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    let hash = crate::output::content_hash(&bytes);
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let bytes = err.as_bytes();
            let valid_up_to = err.utf8_error().valid_up_to();
            let line = bytes[..valid_up_to].iter().filter(|b| **b == b'\n').count() + 1;
            let guess = crate::encoding::guess(bytes);
            return Err((
                Text::new(
                    format!(
                        "文字コードが UTF-8 ではありません（{line} 行目）。{}エディタで「UTF-8」を選んで保存し直してください",
                        guess.map_or(String::new(), |g| format!("{g} で保存されているようです。"))
                    ),
                    format!(
                        "the file is not UTF-8 (line {line}){}; save it again choosing the UTF-8 encoding in your editor",
                        guess.map_or(String::new(), |g| format!(": it looks like {g}"))
                    ),
                ),
                line,
            ));
        }
    };
    // Most files need no change: keep their buffer rather than copy it.
    let text = if text.contains('\r') {
        normalize_text(&text)
    } else {
        text
    };
    Ok((text, hash))
}

fn too_large(size: u64) -> (Text, usize) {
    (
        Text::new(
            format!(
                "ファイルが大きすぎます（{} KB、上限 {} KB）。画像や PDF は Markdown に貼り込まず、別のファイルとして同じフォルダに置いてください",
                size / 1024,
                MAX_FILE_BYTES / 1024
            ),
            format!(
                "the file is too large ({} KB; the limit is {} KB); put images and PDFs beside it as separate files instead of inside the text",
                size / 1024,
                MAX_FILE_BYTES / 1024
            ),
        ),
        0,
    )
}

/// `\n` line ends and no byte-order mark: what every later stage expects.
fn normalize_text(text: &str) -> String {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    }
}

/// The parser's error plus the likely causes found on the lines; the
/// parser's own message is left out when a cause was found on or next to its
/// line, since it only restates the cause less clearly.
fn explain_failure(
    display: &Path,
    split: &frontmatter::Split<'_>,
    err: frontmatter::SyntaxError,
) -> Vec<Diagnostic> {
    let causes = frontmatter::explain(split);
    let explained = causes.iter().any(|c| c.line.abs_diff(err.line) <= 1);
    let mut out: Vec<Diagnostic> = causes
        .into_iter()
        .map(|c| syntax_diagnostic(display, c))
        .collect();
    if !explained {
        out.push(syntax_diagnostic(display, err));
    }
    out
}

fn syntax_diagnostic(display: &Path, err: frontmatter::SyntaxError) -> Diagnostic {
    let diagnostic = Diagnostic::error(display, err.message).at(err.line, err.column);
    match err.help {
        Some(help) => diagnostic.help(help),
        None => diagnostic,
    }
}

fn read_page_meta(reader: &mut Reader<'_>) -> PageMeta {
    let title = reader.required_string("title").unwrap_or_default();
    let mut meta = PageMeta {
        title,
        description: reader.string("description"),
        date: reader.when("date"),
        updated: reader.when("updated"),
        draft: reader.bool("draft").unwrap_or(false),
        slug: reader.string("slug"),
        path: reader.string("path"),
        aliases: reader.strings("aliases"),
        weight: reader.int("weight"),
        template: reader.string("template"),
        in_search_index: reader.bool("in_search_index").unwrap_or(true),
        taxonomies: BTreeMap::new(),
        extra: reader.table("extra"),
    };
    for (name, value) in reader.table("taxonomies") {
        let terms = match value {
            serde_json::Value::Array(items) => items
                .into_iter()
                .filter_map(|v| match v {
                    serde_json::Value::String(s) => Some(s),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            serde_json::Value::String(s) => vec![s],
            _ => {
                reader.error(
                    "taxonomies",
                    Text::new(
                        format!("taxonomies.{name} は文字列のリストにしてください"),
                        format!("taxonomies.{name} must be a list of text"),
                    ),
                );
                continue;
            }
        };
        meta.taxonomies.insert(name, terms);
    }
    reader.accept(&["authors", "render", "summary"]);
    meta
}

fn read_section_meta(reader: &mut Reader<'_>) -> SectionMeta {
    let defaults = SectionMeta::default();
    let sort_by = match reader.choice(
        "sort_by",
        &[
            "date",
            "update_date",
            "title",
            "title_bytes",
            "weight",
            "slug",
            "none",
        ],
    ) {
        Some("date") => SortBy::Date,
        Some("update_date") => SortBy::UpdateDate,
        Some("title") => SortBy::Title,
        Some("title_bytes") => SortBy::TitleBytes,
        Some("weight") => SortBy::Weight,
        Some("slug") => SortBy::Slug,
        _ => SortBy::None,
    };
    let paginate_by = reader
        .int("paginate_by")
        .and_then(|n| if n > 0 { Some(n as usize) } else { None });
    let meta = SectionMeta {
        title: reader.string("title"),
        description: reader.string("description"),
        sort_by,
        paginate_by,
        paginate_path: reader
            .string("paginate_path")
            .unwrap_or(defaults.paginate_path),
        paginate_reversed: reader.bool("paginate_reversed").unwrap_or(false),
        transparent: reader.bool("transparent").unwrap_or(false),
        render: reader.bool("render").unwrap_or(true),
        template: reader.string("template"),
        page_template: reader.string("page_template"),
        weight: reader.int("weight").unwrap_or(0),
        redirect_to: reader.string("redirect_to"),
        in_search_index: reader.bool("in_search_index").unwrap_or(true),
        generate_feeds: reader
            .bool("generate_feeds")
            .or_else(|| reader.bool("generate_feed")),
        draft: reader.bool("draft").unwrap_or(false),
        extra: reader.table("extra"),
    };
    reader.accept(&["insert_anchor_links", "aliases", "sort_by_reverse"]);
    meta
}

/// The page keys kpot reads (Zola's, plus the tables), so a key that
/// belongs here but was written under `[extra]` can be pointed out.
pub const PAGE_FIELDS: [&str; 16] = [
    "title",
    "description",
    "date",
    "updated",
    "draft",
    "slug",
    "path",
    "aliases",
    "weight",
    "template",
    "in_search_index",
    "taxonomies",
    "extra",
    "authors",
    "render",
    "summary",
];

impl SectionType {
    /// The `[extra]` fields of the type.
    pub fn fields(self) -> &'static [schema::Field] {
        match self {
            SectionType::Events => schema::EVENT,
            SectionType::Notices => schema::NOTICE,
            SectionType::Programs => schema::PROGRAM,
            SectionType::Other => &[],
        }
    }
}

/// Reads the typed fields of an event, notice or program. Every field is
/// read even when one is missing, so that none is reported as unknown.
fn read_typed(
    reader: &mut Reader<'_>,
    section_type: SectionType,
    folder: &str,
) -> Option<PageKind> {
    let partner = partner_of(folder);
    let organizer = reader.required_string("organizer");
    if let (Some(org), Some(partner)) = (&organizer, partner)
        && org != partner
    {
        reader
            .error(
                "organizer",
                Text::new(
                    format!("organizer `{org}` がフォルダ `{partner}` と一致しません"),
                    format!("organizer `{org}` does not match the folder `{partner}`"),
                ),
            )
            .help = Some(Text::new(
            format!(
                "organizer = \"{partner}\" にするか、ファイルを {org} のフォルダに移してください"
            ),
            format!("set organizer = \"{partner}\" or move the file to the `{org}` folder"),
        ));
    }
    match section_type {
        SectionType::Events => read_event(reader, organizer).map(PageKind::Event),
        SectionType::Notices => read_notice(reader, organizer).map(PageKind::Notice),
        SectionType::Programs => {
            let target = reader.string("target");
            let contact_phone = reader.string("contact_phone");
            let official_url = reader.url("official_url");
            Some(PageKind::Program(Program {
                organizer: organizer?,
                target,
                contact_phone,
                official_url,
            }))
        }
        SectionType::Other => Some(PageKind::Plain),
    }
}

/// The partner id of a page in `events/<org>/…` or `notices/<org>/…`.
pub fn partner_of(folder: &str) -> Option<&str> {
    let mut parts = folder.split('/');
    match (parts.next(), parts.next()) {
        (Some("events" | "notices"), Some(org)) if !org.is_empty() => Some(org),
        _ => None,
    }
}

fn read_event(reader: &mut Reader<'_>, organizer: Option<String>) -> Option<Event> {
    let withdrawn = read_imported(reader);
    let start = reader.required_when_within("start", TYPED_YEARS);
    let end = reader.when_within("end", TYPED_YEARS);
    let missing = reader.missing_text("format");
    let format = reader.choice("format", schema::EVENT_FORMATS);
    if format.is_none()
        && !reader
            .diagnostics
            .iter()
            .any(|d| d.field.as_deref() == Some("extra.format"))
    {
        reader.require(
            "format",
            missing,
            Text::new(
                "format = \"onsite\"（会場）、\"online\"（オンライン）、\"hybrid\"（両方）のどれかを書いてください",
                "write format = \"onsite\", \"online\" or \"hybrid\"",
            ),
        );
    }
    let format = match format {
        Some("online") => Some(EventFormat::Online),
        Some("hybrid") => Some(EventFormat::Hybrid),
        Some(_) => Some(EventFormat::Onsite),
        None => None,
    };
    let venue = reader.string("venue");
    if venue.is_none()
        && format.is_some_and(|f| f != EventFormat::Online)
        && !reader
            .diagnostics
            .iter()
            .any(|d| d.field.as_deref() == Some("extra.venue"))
    {
        reader.require(
            "venue",
            Text::new(
                "会場で開催するイベントには venue（会場名）が必要です",
                "an event held at a venue needs `venue`",
            ),
            Text::new(
                "venue = \"会場名\" を書くか、オンラインのみなら format = \"online\" にしてください",
                "add venue = \"…\", or set format = \"online\" if it is online only",
            ),
        );
    }
    let address = reader.string("address");
    let online_url = reader.url("online_url");
    let fee = reader.int("fee");
    if let Some(fee) = fee
        && fee < 0
    {
        reader.error(
            "fee",
            Text::new(
                "参加費は 0 以上にしてください",
                "the fee cannot be negative",
            ),
        );
    }
    let capacity = reader.int("capacity");
    let registration_url = reader.url("registration_url");
    let registration_deadline = reader.when_within("registration_deadline", TYPED_YEARS);
    let co_organizers = reader.strings("co_organizers");
    let event_status = match reader.choice("event_status", schema::EVENT_STATUSES) {
        Some("cancelled") => EventStatus::Cancelled,
        Some("postponed") => EventStatus::Postponed,
        _ => EventStatus::Scheduled,
    };
    let contact = reader.string("contact");

    let (start, organizer) = (start?, organizer?);
    let end = end.unwrap_or(start);
    if end.end() < start.start() {
        reader.error(
            "end",
            Text::new(
                format!("終了（{end}）が開始（{start}）より前です"),
                format!("the end ({end}) is before the start ({start})"),
            ),
        );
        return None;
    }
    if let Some(deadline) = registration_deadline
        && deadline.start() > start.end()
    {
        reader.error(
            "registration_deadline",
            Text::new(
                format!("申込締切（{deadline}）が開始（{start}）より後です"),
                format!("the registration deadline ({deadline}) is after the start ({start})"),
            ),
        );
    }
    Some(Event {
        start,
        end,
        format: format?,
        venue,
        address,
        online_url,
        fee,
        capacity,
        registration_url,
        registration_deadline,
        organizer,
        co_organizers,
        event_status,
        contact,
        withdrawn,
    })
}

/// Reads what `kpot import` records about an item's source; only
/// `withdrawn` changes the page (it says the source no longer lists it).
fn read_imported(reader: &mut Reader<'_>) -> bool {
    reader.string("source");
    reader.string("source_id");
    reader.when("fetched");
    reader.bool("locked");
    reader.bool("withdrawn").unwrap_or(false)
}

fn read_notice(reader: &mut Reader<'_>, organizer: Option<String>) -> Option<Notice> {
    let opens = reader.when_within("opens", TYPED_YEARS);
    let closes = reader.required_when_within("closes", TYPED_YEARS);
    let max_amount = reader.int("max_amount");
    let subsidy_rate = reader.string("subsidy_rate");
    let eligibility = reader.string("eligibility");
    let issuer = reader.string("issuer");
    let official_url = reader.url("official_url");
    let withdrawn = read_imported(reader);
    let (closes, organizer) = (closes?, organizer?);
    if let Some(opens) = opens
        && closes.end() < opens.start()
    {
        reader.error(
            "closes",
            Text::new(
                format!("締切（{closes}）が受付開始（{opens}）より前です"),
                format!("`closes` ({closes}) is before `opens` ({opens})"),
            ),
        );
        return None;
    }
    Some(Notice {
        opens,
        closes,
        max_amount,
        subsidy_rate,
        eligibility,
        organizer,
        issuer,
        official_url,
        withdrawn,
    })
}

/// A URL-safe slug: ASCII letters and digits lower-cased, runs of anything
/// else a single `-`; non-ASCII letters are kept (browsers show them).
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() && !c.is_ascii() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

/// Gives each page and section the non-Markdown files beside it: everything
/// in a page bundle's folder, and loose files in a section folder. Partner
/// folders may only hold images and PDF.
fn attach_assets(root: &Path, content_dir: &Path, files: &[PathBuf], content: &mut Content) {
    let mut by_folder: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for file in files {
        if file.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let rel = file
            .strip_prefix(content_dir)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/");
        let folder = rel
            .rsplit_once('/')
            .map_or(String::new(), |(d, _)| d.to_string());
        if partner_of(&folder).is_some() {
            let ext = file
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            if !PARTNER_ASSET_TYPES.contains(&ext.as_str()) {
                content.diagnostics.push(
                    Diagnostic::error(
                        display_path(root, file),
                        Text::new(
                            "パートナーのフォルダに置けるのは画像（png, jpg, gif, webp）と PDF だけです",
                            "partner folders may only hold images (png, jpg, gif, webp) and PDF files",
                        ),
                    ),
                );
                continue;
            }
        }
        by_folder.entry(folder).or_default().push(file.clone());
    }
    for page in &mut content.pages {
        let is_bundle = page
            .source
            .rel
            .rsplit_once('/')
            .is_some_and(|(_, name)| is_bundle_index(name));
        if is_bundle {
            let folder = page.source.rel.rsplit_once('/').map_or("", |(d, _)| d);
            if let Some(assets) = by_folder.get(folder) {
                page.assets = assets.clone();
            }
        }
    }
    let bundle_folders: Vec<String> = content
        .pages
        .iter()
        .filter(|p| !p.assets.is_empty())
        .filter_map(|p| p.source.rel.rsplit_once('/').map(|(d, _)| d.to_string()))
        .collect();
    for section in &mut content.sections {
        if bundle_folders.contains(&section.path) {
            continue;
        }
        if let Some(assets) = by_folder.get(&section.path) {
            section.assets = assets.clone();
        }
    }
}

/// Two files that are the same page in the same language (`a.md` and
/// `a/index.md`): a check across all pages, run after every load.
pub fn duplicate_translations(content: &Content) -> Vec<Diagnostic> {
    let mut seen: BTreeMap<(String, Lang), &Page> = BTreeMap::new();
    let mut problems = Vec::new();
    for page in &content.pages {
        if let Some(other) = seen.insert((page.key.clone(), page.lang), page) {
            problems.push(Diagnostic::error(
                &page.source.display,
                Text::new(
                    format!(
                        "{} と同じページの{}版がすでにあります",
                        other.source.display.display(),
                        page.lang.code()
                    ),
                    format!(
                        "{} is already the {} version of this page",
                        other.source.display.display(),
                        page.lang.code()
                    ),
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::schema::{Field, Kind, Required};

    /// A value the loader accepts for a field of this kind.
    fn good_value(field: &Field) -> String {
        match field.kind {
            Kind::Text | Kind::LongText => "\"テキスト\"".into(),
            Kind::DateTime | Kind::Date => match field.key {
                "end" | "closes" => "\"2027-02-16\"".into(),
                "registration_deadline" | "opens" => "\"2027-02-01\"".into(),
                _ => "\"2027-02-15T13:30:00\"".into(),
            },
            Kind::Yen | Kind::Count => "1000".into(),
            Kind::Url => "\"https://example.jp/\"".into(),
            Kind::Choice(values) => format!("\"{}\"", values[0]),
            Kind::Organization => "\"kip\"".into(),
            Kind::Names => "[\"kip\", \"横浜市\"]".into(),
            Kind::Flag => "true".into(),
        }
    }

    /// A value the loader must refuse for a field of this kind, if any.
    fn bad_value(field: &Field) -> Option<&'static str> {
        match field.kind {
            Kind::Text | Kind::LongText => Some("[1, 2]"),
            Kind::DateTime | Kind::Date => Some("\"2027-13-45\""),
            Kind::Yen | Kind::Count => Some("\"千円\""),
            Kind::Url => Some("\"javascript:alert(1)\""),
            Kind::Choice(_) => Some("\"bogus\""),
            Kind::Organization => Some("[1]"),
            Kind::Names => Some("[[1]]"),
            Kind::Flag => Some("\"yes\""),
        }
    }

    fn item(fields: &[Field], skip: Option<&str>, replace: Option<(&str, &str)>) -> String {
        let mut text = String::from("+++\ntitle = \"t\"\n[extra]\n");
        for f in fields {
            if Some(f.key) == skip {
                continue;
            }
            let value = match replace {
                Some((key, value)) if key == f.key => value.to_string(),
                _ => good_value(f),
            };
            text.push_str(&format!("{} = {}\n", f.key, value));
        }
        text + "+++\nbody\n"
    }

    fn errors_on(diagnostics: &[Diagnostic], key: &str) -> usize {
        let name = format!("extra.{key}");
        diagnostics
            .iter()
            .filter(|d| d.is_error() && d.field.as_deref() == Some(name.as_str()))
            .count()
    }

    /// The web editor's form and `kpot new` are generated from
    /// `content::schema`; this holds the loader (and so `kpot check`) to the
    /// same fields, required marks and kinds. Reading an undeclared key
    /// panics in debug builds (see `Reader::declared`).
    #[test]
    fn the_loader_reads_exactly_the_declared_fields() {
        for (rel, fields) in [
            ("events/kip/e.md", schema::EVENT),
            ("notices/kip/n.md", schema::NOTICE),
            ("programs/p.md", schema::PROGRAM),
        ] {
            let all = check_text(rel, &item(fields, None, None));
            assert!(all.is_empty(), "{rel}: a full item has problems: {all:?}");
            for f in fields {
                let without = check_text(rel, &item(fields, Some(f.key), None));
                let required = f.required != Required::No;
                assert_eq!(
                    errors_on(&without, f.key) > 0,
                    required,
                    "{rel}: `{}` left out; required in the schema: {required}; {without:?}",
                    f.key
                );
                if let Some(bad) = bad_value(f) {
                    let text = item(fields, None, Some((f.key, bad)));
                    let wrong = check_text(rel, &text);
                    assert!(
                        errors_on(&wrong, f.key) > 0,
                        "{rel}: `{} = {bad}` is accepted; the schema says {:?}",
                        f.key,
                        f.kind
                    );
                }
            }
        }
    }

    #[test]
    fn file_names_give_language_date_and_slug() {
        let n = parse_file_name("2021-02-03-kickoff.en.md").unwrap();
        assert_eq!(n.lang, Lang::En);
        assert_eq!(n.stem, "kickoff");
        assert_eq!(n.date, Some(When::parse("2021-02-03").unwrap()));
        let n = parse_file_name("_index.md").unwrap();
        assert!(n.is_section);
        assert_eq!(n.lang, Lang::Ja);
        assert_eq!(parse_file_name("a.fr.md").unwrap_err(), "fr");
        assert_eq!(parse_file_name("2021-13-45-x.md").unwrap().date, None);
    }

    #[test]
    fn slugs_are_ascii_where_they_can_be() {
        assert_eq!(slugify("Hello World!"), "hello-world");
        assert_eq!(slugify("2021-02 seminar"), "2021-02-seminar");
        assert_eq!(slugify("事業 再生"), "事業-再生");
    }
}
