//! The theme: templates, translation tables and static files.
//!
//! A site uses `themes/<name>/` from its own folder. The kpot theme is also
//! built into the binary, so a partner's CI (or the benchmark corpus) can
//! check and build content that has no theme folder of its own.

use crate::diagnostics::{Diagnostic, Text, display_path};
use crate::format::Lang;
use std::collections::BTreeMap;
use std::path::Path;

pub struct Theme {
    pub templates: Vec<(String, String)>,
    pub static_files: Vec<(String, Vec<u8>)>,
    pub strings: [BTreeMap<String, String>; 2],
}

impl Theme {
    pub fn strings(&self, lang: Lang) -> &BTreeMap<String, String> {
        match lang {
            Lang::Ja => &self.strings[0],
            Lang::En => &self.strings[1],
        }
    }
}

macro_rules! embedded {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!("../themes/kpot/", $path)) as &[u8])),*]
    };
}

/// The kpot theme as shipped; a test checks that this list matches the
/// folder, so no file is forgotten.
pub const EMBEDDED: &[(&str, &[u8])] = embedded![
    "i18n/en.toml",
    "i18n/ja.toml",
    "static/admin/kpot-cms.css",
    "static/admin/kpot-cms.js",
    "static/kpot.css",
    "static/kpot.js",
    "templates/404.html",
    "templates/base.html",
    "templates/council.html",
    "templates/councils.html",
    "templates/event.html",
    "templates/index.html",
    "templates/macros.html",
    "templates/newsletter.html",
    "templates/newsletter_mail.html",
    "templates/notice.html",
    "templates/organization.html",
    "templates/organizations.html",
    "templates/page.html",
    "templates/program.html",
    "templates/search.html",
    "templates/section.html",
    "templates/taxonomy_list.html",
    "templates/taxonomy_single.html",
];

/// The web editor's vendored libraries (Decap CMS, smol-toml) in the theme
/// folder, left out of the
/// binary.
pub const VENDORED: &str = "static/admin/vendor/";

pub fn load(root: &Path, name: &str) -> Result<Theme, Diagnostic> {
    let dir = root.join("themes").join(name);
    let files: Vec<(String, Vec<u8>)> = if dir.is_dir() {
        read_dir_files(&dir).map_err(|err| {
            Diagnostic::error(
                display_path(root, &dir),
                Text::new(
                    format!("テーマを読めません: {err}"),
                    format!("cannot read the theme: {err}"),
                ),
            )
        })?
    } else if name == "kpot" {
        EMBEDDED
            .iter()
            .map(|(path, bytes)| (path.to_string(), bytes.to_vec()))
            .collect()
    } else {
        return Err(Diagnostic::error(
            display_path(root, &dir),
            Text::new(
                format!("テーマ `{name}` がありません"),
                format!("the theme `{name}` does not exist"),
            ),
        ));
    };
    let mut theme = Theme {
        templates: Vec::new(),
        static_files: Vec::new(),
        strings: [BTreeMap::new(), BTreeMap::new()],
    };
    for (path, bytes) in files {
        if let Some(name) = path.strip_prefix("templates/") {
            let source = String::from_utf8(bytes).map_err(|_| {
                Diagnostic::error(
                    display_path(root, &dir.join(&path)),
                    Text::new("UTF-8 ではありません", "the file is not UTF-8"),
                )
            })?;
            theme.templates.push((name.to_string(), source));
        } else if let Some(name) = path.strip_prefix("static/") {
            theme.static_files.push((name.to_string(), bytes));
        } else if let Some(code) = path
            .strip_prefix("i18n/")
            .and_then(|f| f.strip_suffix(".toml"))
        {
            let Some(lang) = Lang::from_code(code) else {
                continue;
            };
            let display = display_path(root, &dir.join(&path));
            let text = String::from_utf8(bytes).map_err(|_| {
                Diagnostic::error(
                    &display,
                    Text::new("UTF-8 ではありません", "the file is not UTF-8"),
                )
            })?;
            let table: BTreeMap<String, String> = toml::from_str(&text).map_err(|err| {
                Diagnostic::error(
                    &display,
                    Text::new(
                        format!("翻訳表の誤り: {}", err.message()),
                        format!("translation table error: {}", err.message()),
                    ),
                )
            })?;
            theme.strings[match lang {
                Lang::Ja => 0,
                Lang::En => 1,
            }] = table;
        }
    }
    Ok(theme)
}

fn read_dir_files(dir: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .replace('\\', "/");
            files.push((rel, std::fs::read(entry.path())?));
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_theme_matches_the_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/kpot");
        let on_disk: Vec<String> = read_dir_files(&dir)
            .unwrap()
            .into_iter()
            .map(|(p, _)| p)
            // The web editor's vendored bundle (6 MB) is served from the
            // theme folder only: a site without one has no editor to serve.
            .filter(|p| !p.starts_with(VENDORED))
            .collect();
        let embedded: Vec<String> = EMBEDDED.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(on_disk, embedded, "update theme::EMBEDDED");
    }

    #[test]
    fn both_languages_translate_every_string() {
        let theme = load(Path::new("/nonexistent"), "kpot").unwrap();
        let ja: Vec<&String> = theme.strings(Lang::Ja).keys().collect();
        let en: Vec<&String> = theme.strings(Lang::En).keys().collect();
        assert_eq!(ja, en);
        assert!(!ja.is_empty());
    }
}
