//! Splitting a content file into front matter and body, and parsing the
//! front matter, with line numbers that point into the file itself.

use serde_json::{Map, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
}

/// A content file cut in two.
#[derive(Debug)]
pub struct Split<'a> {
    pub format: Format,
    /// The front matter text, without its delimiters.
    pub raw: &'a str,
    /// The file line (1-based) of the front matter's first line.
    pub first_line: usize,
    pub body: &'a str,
    /// The file line of the body's first line.
    pub body_line: usize,
}

/// Why a file could not be cut or its front matter read.
#[derive(Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Cuts `text` (already without BOM, with `\n` line ends) at its front matter
/// delimiters. `Ok(None)` means the file has no front matter at all.
pub fn split(text: &str) -> Result<Option<Split<'_>>, SyntaxError> {
    let (format, delimiter) = if text.starts_with("+++") {
        (Format::Toml, "+++")
    } else if text.starts_with("---") {
        (Format::Yaml, "---")
    } else {
        return Ok(None);
    };
    let first_end = text.find('\n').unwrap_or(text.len());
    if text[..first_end].trim_end() != delimiter {
        return Err(SyntaxError {
            line: 1,
            column: 1,
            message: format!("the first line must be `{delimiter}` alone"),
        });
    }
    let after_open = (first_end + 1).min(text.len());
    let mut offset = after_open;
    for (line, chunk) in (2..).zip(text[after_open..].split_inclusive('\n')) {
        if chunk.trim_end() == delimiter {
            let body_start = offset + chunk.len();
            return Ok(Some(Split {
                format,
                raw: &text[after_open..offset],
                first_line: 2,
                body: &text[body_start.min(text.len())..],
                body_line: line + 1,
            }));
        }
        offset += chunk.len();
    }
    Err(SyntaxError {
        line: 1,
        column: 1,
        message: format!("the front matter opened with `{delimiter}` on line 1 is never closed"),
    })
}

/// Parses front matter into a JSON-like map. TOML dates and date-times become
/// their RFC 3339 text, so both formats reach the typed layer alike.
pub fn parse(split: &Split<'_>) -> Result<Map<String, Value>, SyntaxError> {
    let value = match split.format {
        Format::Toml => {
            let table: toml::Table = toml::from_str(split.raw).map_err(|err| {
                let (line, column) = err
                    .span()
                    .map(|span| line_col(split.raw, span.start))
                    .unwrap_or((1, 1));
                SyntaxError {
                    line: split.first_line + line - 1,
                    column,
                    message: first_line_of(err.message()),
                }
            })?;
            toml_to_json(toml::Value::Table(table))
        }
        Format::Yaml => {
            if split.raw.trim().is_empty() {
                return Ok(Map::new());
            }
            let value: Value = serde_saphyr::from_str(split.raw).map_err(|err| {
                let (line, column) = err
                    .location()
                    .map(|loc| (loc.line() as usize, loc.column() as usize))
                    .unwrap_or((1, 1));
                SyntaxError {
                    line: split.first_line + line.max(1) - 1,
                    column,
                    message: first_line_of(&err.to_string()),
                }
            })?;
            value
        }
    };
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(SyntaxError {
            line: split.first_line,
            column: 1,
            message: "the front matter must be a set of `key = value` lines".into(),
        }),
    }
}

fn first_line_of(message: &str) -> String {
    message.lines().next().unwrap_or("").trim().to_string()
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(dt) => Value::String(dt.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(k, v)| (k, toml_to_json(v)))
                .collect(),
        ),
    }
}

/// Finds the file line and column where `key` is set inside `table` (None
/// for the top level), so that an error about a field points at it. A
/// line-based look suffices: front matter is a short list of keys.
pub fn locate(split: &Split<'_>, table: Option<&str>, key: &str) -> Option<(usize, usize)> {
    let mut current: Option<String> = None;
    for (index, line) in split.raw.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (found_table, found_key) = match split.format {
            Format::Toml => {
                if trimmed.starts_with('[') {
                    current = Some(trimmed.trim_matches(['[', ']']).trim().to_string());
                    continue;
                }
                let Some(name) = trimmed.split('=').next() else {
                    continue;
                };
                let name = name.trim().trim_matches('"');
                match name.split_once('.') {
                    Some((t, k)) if current.is_none() => (Some(t.to_string()), k.to_string()),
                    _ => (current.clone(), name.to_string()),
                }
            }
            Format::Yaml => {
                let Some((name, _)) = trimmed.split_once(':') else {
                    continue;
                };
                let name = name.trim().trim_matches(['"', '\'']).to_string();
                if indent == 0 {
                    current = Some(name.clone());
                    (None, name)
                } else {
                    (current.clone(), name)
                }
            }
        };
        if found_key == key && found_table.as_deref() == table {
            return Some((split.first_line + index, indent + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_toml_and_yaml() {
        let s = split("+++\ntitle = \"a\"\n+++\nbody\n").unwrap().unwrap();
        assert_eq!(s.format, Format::Toml);
        assert_eq!(s.raw, "title = \"a\"\n");
        assert_eq!(s.body, "body\n");
        assert_eq!(s.body_line, 4);
        let s = split("---\ntitle: a\n---\n").unwrap().unwrap();
        assert_eq!(s.format, Format::Yaml);
        assert_eq!(s.body, "");
        assert!(split("# just markdown\n").unwrap().is_none());
    }

    #[test]
    fn an_unclosed_front_matter_is_an_error_on_line_one() {
        let err = split("+++\ntitle = \"a\"\nbody\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("never closed"));
    }

    #[test]
    fn toml_errors_point_at_the_file_line() {
        let s = split("+++\ntitle = \"a\"\ndate = 2027-13-01\n+++\n")
            .unwrap()
            .unwrap();
        let err = parse(&s).unwrap_err();
        assert_eq!(err.line, 3, "{err:?}");
    }

    #[test]
    fn yaml_errors_point_at_the_file_line() {
        let s = split("---\ntitle: a\nextra:\n\tvenue: x\n---\n")
            .unwrap()
            .unwrap();
        let err = parse(&s).unwrap_err();
        assert!(err.line >= 3, "{err:?}");
    }

    #[test]
    fn toml_dates_become_rfc3339_text() {
        let s = split("+++\ndate = 2027-02-15\n[extra]\nstart = 2027-02-15T13:00:00+09:00\n+++\n")
            .unwrap()
            .unwrap();
        let map = parse(&s).unwrap();
        assert_eq!(map["date"], "2027-02-15");
        assert_eq!(map["extra"]["start"], "2027-02-15T13:00:00+09:00");
    }

    #[test]
    fn locates_keys_in_tables() {
        let s = split("+++\ntitle = \"a\"\n[extra]\nvenu = \"x\"\n+++\n")
            .unwrap()
            .unwrap();
        assert_eq!(locate(&s, Some("extra"), "venu"), Some((4, 1)));
        assert_eq!(locate(&s, None, "title"), Some((2, 1)));
        let s = split("---\ntitle: a\nextra:\n  venu: x\n---\n")
            .unwrap()
            .unwrap();
        assert_eq!(locate(&s, Some("extra"), "venu"), Some((4, 3)));
    }
}
