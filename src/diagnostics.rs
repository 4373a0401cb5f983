//! Problems found in content, said so that a partner can fix them.
//!
//! Each diagnostic names the file, the line and the field, in Japanese and in
//! English; the reader's language picks one when it is printed.

use crate::format::Lang;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One sentence in both of the portal's languages.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Text {
    pub ja: String,
    pub en: String,
}

impl Text {
    pub fn new(ja: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            ja: ja.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Relative to the site root, with `/` separators, as a partner sees it
    /// in their pull request.
    pub file: PathBuf,
    /// 1-based line in the file (not in the front matter); 0 when the
    /// problem is the file as a whole.
    pub line: usize,
    pub column: usize,
    pub field: Option<String>,
    pub message: Text,
    pub help: Option<Text>,
}

impl Diagnostic {
    pub fn error(file: impl Into<PathBuf>, message: Text) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            line: 0,
            column: 0,
            field: None,
            message,
            help: None,
        }
    }

    pub fn warning(file: impl Into<PathBuf>, message: Text) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, message)
        }
    }

    pub fn at(mut self, line: usize, column: usize) -> Diagnostic {
        self.line = line;
        self.column = column;
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Diagnostic {
        self.field = Some(field.into());
        self
    }

    pub fn help(mut self, help: Text) -> Diagnostic {
        self.help = Some(help);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `content/events/kip/a.md:12:3: error: [extra.venue] …` followed by the
    /// help on its own line: the shape compilers use, so editors can jump to
    /// the place.
    pub fn render(&self, lang: Lang) -> String {
        let mut out = String::new();
        let _ = write!(out, "{}", self.file.display());
        if self.line > 0 {
            let _ = write!(out, ":{}", self.line);
            if self.column > 0 {
                let _ = write!(out, ":{}", self.column);
            }
        }
        let label = match (self.severity, lang) {
            (Severity::Error, Lang::Ja) => "エラー",
            (Severity::Error, Lang::En) => "error",
            (Severity::Warning, Lang::Ja) => "警告",
            (Severity::Warning, Lang::En) => "warning",
        };
        let _ = write!(out, ": {label}: ");
        if let Some(field) = &self.field {
            let _ = write!(out, "[{field}] ");
        }
        out.push_str(self.message.get(lang));
        if let Some(help) = &self.help {
            let hint = if lang == Lang::Ja {
                "ヒント"
            } else {
                "help"
            };
            let _ = write!(out, "\n  {hint}: {}", help.get(lang));
        }
        out
    }
}

/// Every problem of a run, gathered so a partner sees all of them at once.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    /// In file and line order, so output is stable across parallel runs.
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.items
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        self.items
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// The closest of `known` to a misspelt `name`, if any is close enough to be
/// what the author meant (`venu` → `venue`).
pub fn suggest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// A path as a partner sees it: relative to the site root, `/`-separated.
pub fn display_path(root: &Path, path: &Path) -> PathBuf {
    let rel = path.strip_prefix(root).unwrap_or(path);
    PathBuf::from(rel.to_string_lossy().replace('\\', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_near_miss_only() {
        let known = ["venue", "start", "end", "format"];
        assert_eq!(suggest("venu", known), Some("venue"));
        assert_eq!(suggest("strat", known), Some("start"));
        assert_eq!(suggest("colour", known), None);
    }

    #[test]
    fn renders_file_line_field_and_help() {
        let d = Diagnostic::error("content/a.md", Text::new("不明な項目です", "unknown field"))
            .at(4, 1)
            .field("extra.venu")
            .help(Text::new(
                "`venue` ではありませんか？",
                "did you mean `venue`?",
            ));
        assert_eq!(
            d.render(Lang::En),
            "content/a.md:4:1: error: [extra.venu] unknown field\n  help: did you mean `venue`?"
        );
        assert!(d.render(Lang::Ja).starts_with("content/a.md:4:1: エラー: "));
    }
}
