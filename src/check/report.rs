//! Printing diagnostics for the four audiences of `kpot check`: a person in
//! a terminal (`human`), tools (`json`), GitHub pull requests (`github`
//! workflow commands) and GitLab merge requests (`gitlab` Code Quality).

use crate::diagnostics::{Diagnostic, Severity};
use crate::format::Lang;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use unicode_width::UnicodeWidthChar;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Github,
    Gitlab,
}

impl Format {
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "human" => Some(Format::Human),
            "json" => Some(Format::Json),
            "github" => Some(Format::Github),
            "gitlab" => Some(Format::Gitlab),
            _ => None,
        }
    }
}

/// Reads the files diagnostics point into, once each, so the human format
/// can quote the offending line.
pub struct Sources {
    root: PathBuf,
    cache: HashMap<PathBuf, Option<String>>,
}

impl Sources {
    pub fn new(root: &Path) -> Sources {
        Sources {
            root: root.to_path_buf(),
            cache: HashMap::new(),
        }
    }

    /// The file's text, or None when it is missing, too large or not UTF-8
    /// (then there is no line worth quoting).
    fn text(&mut self, file: &Path) -> Option<&str> {
        let root = &self.root;
        self.cache
            .entry(file.to_path_buf())
            .or_insert_with(|| {
                let path = root.join(file);
                let size = std::fs::metadata(&path).ok()?.len();
                if size > crate::content::load::MAX_FILE_BYTES {
                    return None;
                }
                String::from_utf8(std::fs::read(path).ok()?).ok()
            })
            .as_deref()
    }
}

/// The line `line` of `text` (tabs shown as four spaces) and a caret line
/// under the word at `column` (1-based, in characters), measured in
/// terminal cells so it stays under the right character after Japanese text.
pub fn source_excerpt(text: &str, line: usize, column: usize) -> Option<(String, String)> {
    if line == 0 {
        return None;
    }
    let raw = text
        .strip_prefix('\u{FEFF}')
        .unwrap_or(text)
        .split('\n')
        .nth(line - 1)?
        .trim_end_matches('\r');
    let chars: Vec<char> = raw.chars().collect();
    let shown: String = raw.replace('\t', "    ");
    if shown.trim().is_empty() {
        return None;
    }
    let column = column.max(1).min(chars.len() + 1);
    let cells = |c: &char| {
        if *c == '\t' {
            4
        } else {
            c.width().unwrap_or(0)
        }
    };
    let before: usize = chars[..column - 1].iter().map(cells).sum();
    // The character at the column, and the rest of its word.
    let word: usize = chars[column - 1..]
        .iter()
        .enumerate()
        .take_while(|(i, c)| {
            *i == 0
                || !(chars[column - 1].is_whitespace()
                    || c.is_whitespace()
                    || matches!(c, '=' | ':' | ','))
        })
        .map(|(_, c)| cells(c))
        .sum();
    let caret = format!("{}{}", " ".repeat(before), "^".repeat(word.max(1)));
    Some((shown, caret))
}

/// Colours for a terminal; all empty when output is not a terminal or
/// `NO_COLOR` is set.
#[derive(Clone, Copy)]
pub struct Palette {
    error: &'static str,
    warning: &'static str,
    dim: &'static str,
    help: &'static str,
    reset: &'static str,
}

impl Palette {
    pub fn new(color: bool) -> Palette {
        if color {
            Palette {
                error: "\x1b[1;31m",
                warning: "\x1b[1;33m",
                dim: "\x1b[34m",
                help: "\x1b[36m",
                reset: "\x1b[0m",
            }
        } else {
            Palette {
                error: "",
                warning: "",
                dim: "",
                help: "",
                reset: "",
            }
        }
    }
}

/// One diagnostic the way compilers print them:
///
/// ```text
/// content/events/kip/a.md:7:1: エラー: [extra.venu] `venu` という項目はありません
///    7 | venu = "会場"
///      | ^^^^
///   ヒント: `venue` ではありませんか？
/// ```
pub fn human(d: &Diagnostic, sources: &mut Sources, lang: Lang, palette: Palette) -> String {
    let mut out = String::new();
    let _ = write!(out, "{}", d.file.display());
    if d.line > 0 {
        let _ = write!(out, ":{}", d.line);
        if d.column > 0 {
            let _ = write!(out, ":{}", d.column);
        }
    }
    let (label, color) = match (d.severity, lang) {
        (Severity::Error, Lang::Ja) => ("エラー", palette.error),
        (Severity::Error, Lang::En) => ("error", palette.error),
        (Severity::Warning, Lang::Ja) => ("警告", palette.warning),
        (Severity::Warning, Lang::En) => ("warning", palette.warning),
    };
    let _ = write!(out, ": {color}{label}{}: ", palette.reset);
    if let Some(field) = &d.field {
        let _ = write!(out, "[{field}] ");
    }
    out.push_str(d.message.get(lang));
    out.push('\n');
    if let Some((line, caret)) = sources
        .text(&d.file)
        .and_then(|text| source_excerpt(text, d.line, d.column))
    {
        let number = d.line.to_string();
        let pad = " ".repeat(number.len());
        let _ = writeln!(out, " {}{number} |{} {line}", palette.dim, palette.reset);
        let _ = writeln!(
            out,
            " {}{pad} |{} {color}{caret}{}",
            palette.dim, palette.reset, palette.reset
        );
    }
    if let Some(help) = &d.help {
        let hint = if lang == Lang::Ja {
            "ヒント"
        } else {
            "help"
        };
        let _ = writeln!(
            out,
            "  {}{hint}{}: {}",
            palette.help,
            palette.reset,
            help.get(lang)
        );
    }
    out
}

/// `エラー 2 件、警告 1 件` / `2 errors, 1 warning`, or that all is well.
pub fn summary(diagnostics: &[Diagnostic], files: usize, seconds: f64, lang: Lang) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    match lang {
        Lang::Ja if errors == 0 && warnings == 0 => {
            format!("問題はありません（{files} ファイルを確認、{seconds:.2} 秒）")
        }
        Lang::Ja => format!(
            "エラー {errors} 件、警告 {warnings} 件（{files} ファイルを確認、{seconds:.2} 秒）{}",
            if errors > 0 {
                "。エラーを直すまで公開できません"
            } else {
                ""
            }
        ),
        Lang::En if errors == 0 && warnings == 0 => {
            format!("no problems ({files} files checked in {seconds:.2} s)")
        }
        Lang::En => format!(
            "{errors} {}, {warnings} {} ({files} files checked in {seconds:.2} s){}",
            plural(errors, "error", "errors"),
            plural(warnings, "warning", "warnings"),
            if errors > 0 {
                "; the site cannot be published until the errors are fixed"
            } else {
                ""
            }
        ),
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// Everything as one JSON document, both languages included, for tools.
pub fn json(diagnostics: &[Diagnostic], files: usize) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let document = serde_json::json!({
        "version": 1,
        "errors": errors,
        "warnings": diagnostics.len() - errors,
        "files": files,
        "diagnostics": diagnostics,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
}

/// GitHub Actions workflow commands: each problem becomes an annotation on
/// its line of the pull request's diff.
/// <https://docs.github.com/actions/reference/workflow-commands-for-github-actions>
pub fn github(diagnostics: &[Diagnostic], prefix: &Path, lang: Lang) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let file = prefix.join(&d.file).to_string_lossy().replace('\\', "/");
        let mut properties = vec![format!("file={}", escape_property(&file))];
        if d.line > 0 {
            properties.push(format!("line={}", d.line));
            if d.column > 0 {
                properties.push(format!("col={}", d.column));
            }
        }
        let title = match &d.field {
            Some(field) => format!("kpot check: {field}"),
            None => "kpot check".to_string(),
        };
        properties.push(format!("title={}", escape_property(&title)));
        let mut message = d.message.get(lang).to_string();
        if let Some(help) = &d.help {
            let hint = if lang == Lang::Ja {
                "ヒント"
            } else {
                "help"
            };
            let _ = write!(message, "\n{hint}: {}", help.get(lang));
        }
        let _ = writeln!(
            out,
            "::{command} {}::{}",
            properties.join(","),
            escape_data(&message)
        );
    }
    out
}

/// GitHub's escaping of a workflow command's message.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a workflow command's property value.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// GitLab Code Quality report (a JSON array), shown on merge requests.
/// <https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format>
pub fn gitlab(diagnostics: &[Diagnostic], prefix: &Path, lang: Lang) -> String {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let issues: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let file = prefix.join(&d.file).to_string_lossy().replace('\\', "/");
            let mut description = String::new();
            if let Some(field) = &d.field {
                let _ = write!(description, "[{field}] ");
            }
            description.push_str(d.message.get(lang));
            if let Some(help) = &d.help {
                let _ = write!(description, " — {}", help.get(lang));
            }
            let key = format!(
                "{file}\0{}\0{}\0{}",
                d.line,
                d.field.as_deref().unwrap_or(""),
                d.message.en
            );
            let n = seen.entry(key.clone()).or_insert(0);
            *n += 1;
            let fingerprint = format!("{:016x}{:04x}", fnv1a(key.as_bytes()), *n);
            serde_json::json!({
                "type": "issue",
                "check_name": format!("kpot/{}", d.field.as_deref().unwrap_or("content")),
                "description": description,
                "categories": ["Bug Risk"],
                "severity": match d.severity {
                    Severity::Error => "critical",
                    Severity::Warning => "minor",
                },
                "fingerprint": fingerprint,
                "location": {"path": file, "lines": {"begin": d.line.max(1)}},
            })
        })
        .collect();
    serde_json::to_string_pretty(&issues).unwrap_or_default() + "\n"
}

/// A stable hash for fingerprints (the same problem keeps its fingerprint
/// between runs, so GitLab can tell new problems from old ones).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caret_sits_under_the_column_after_wide_characters() {
        let (line, caret) = source_excerpt("a\ntitle = \"事業\"　x\n", 2, 13).unwrap();
        assert_eq!(line, "title = \"事業\"　x");
        assert_eq!(caret, format!("{}^^", " ".repeat(14)));
        let (_, caret) = source_excerpt("\tvenue: x", 1, 2).unwrap();
        assert_eq!(caret, "    ^^^^^");
        assert!(source_excerpt("a", 3, 1).is_none());
        assert!(source_excerpt("a", 0, 1).is_none());
        assert!(source_excerpt("ab", 1, 99).is_some());
    }

    #[test]
    fn github_escapes_messages_and_properties() {
        assert_eq!(escape_data("a%b\nc\r"), "a%25b%0Ac%0D");
        assert_eq!(escape_property("x:y,z"), "x%3Ay%2Cz");
    }
}
