//! Splitting a content file into front matter and body, and parsing the
//! front matter, with line numbers that point into the file itself.

use crate::diagnostics::Text;
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
    pub message: Text,
    /// How to fix it, when the cause is known.
    pub help: Option<Text>,
}

impl SyntaxError {
    fn new(line: usize, column: usize, message: Text) -> SyntaxError {
        SyntaxError {
            line,
            column,
            message,
            help: None,
        }
    }

    fn help(mut self, help: Text) -> SyntaxError {
        self.help = Some(help);
        self
    }
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
        return Err(SyntaxError::new(
            1,
            1,
            Text::new(
                format!("1 行目は `{delimiter}` だけにしてください"),
                format!("the first line must be `{delimiter}` alone"),
            ),
        )
        .help(Text::new(
            format!("`{delimiter}` の後ろの文字は次の行に移してください"),
            format!("move whatever follows `{delimiter}` to the next line"),
        )));
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
    Err(SyntaxError::new(
        1,
        1,
        Text::new(
            format!("1 行目の `{delimiter}` で始まる front matter が閉じられていません"),
            format!("the front matter opened with `{delimiter}` on line 1 is never closed"),
        ),
    )
    .help(Text::new(
        format!("最後の項目の次の行に `{delimiter}` だけの行を書いてください（本文はその下）"),
        format!(
            "add a line holding only `{delimiter}` after the last field (the text goes below it)"
        ),
    )))
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
                syntax_error(split, line, column, err.message())
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
                syntax_error(split, line.max(1), column, &err.to_string())
            })?;
            value
        }
    };
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(SyntaxError::new(
            split.first_line,
            1,
            Text::new(
                "front matter は「項目名 = 値」の行を並べて書きます",
                "the front matter must be a set of `key = value` lines",
            ),
        )
        .help(syntax_help(split.format))),
    }
}

/// A parser's message at a place in the front matter, moved to the file
/// line. Parser messages exist in English only; the Japanese says what they
/// are about.
fn syntax_error(split: &Split<'_>, line: usize, column: usize, message: &str) -> SyntaxError {
    let message = first_line_of(message);
    let format = match split.format {
        Format::Toml => "TOML",
        Format::Yaml => "YAML",
    };
    let help = if message.contains("date") || message.contains("time") {
        Text::new(
            "実在する日付を 2027-02-15、日時を 2027-02-15T13:30:00 の形で書いてください（日本時間）",
            "write a real date as 2027-02-15, a date-time as 2027-02-15T13:30:00 (Japan time)",
        )
    } else {
        syntax_help(split.format)
    };
    SyntaxError::new(
        split.first_line + line - 1,
        column,
        Text::new(
            format!("front matter（{format}）の書き方に誤りがあります: {message}"),
            format!("front matter syntax error ({format}): {message}"),
        ),
    )
    .help(help)
}

fn syntax_help(format: Format) -> Text {
    match format {
        Format::Toml => Text::new(
            "1 行に 1 項目、`title = \"文字列\"` の形で書きます。文字列は半角の \" で囲み、= や [ ] も半角にします",
            "write one field per line as `title = \"text\"`; text goes in ASCII double quotes, and `=` and `[ ]` must be ASCII",
        ),
        Format::Yaml => Text::new(
            "1 行に 1 項目、`title: 文字列` の形で書きます（コロンは半角、後ろに半角スペース、字下げは半角スペース）",
            "write one field per line as `title: text` (an ASCII colon and a space; indent with spaces)",
        ),
    }
}

fn first_line_of(message: &str) -> String {
    message.lines().next().unwrap_or("").trim().to_string()
}

/// Finds the usual causes of a front matter that does not parse, so the
/// partner is told what to change rather than what the parser expected:
/// characters a Japanese input method types in place of ASCII syntax
/// (`：`, `＝`, a full-width space, `“`), tabs in YAML indentation, text
/// without quotes in TOML. Meant for a front matter that failed to parse;
/// YAML also reads some of these mistakes as text instead of failing, so for
/// YAML the findings are worth a warning even when parsing succeeded.
pub fn explain(split: &Split<'_>) -> Vec<SyntaxError> {
    let mut found = Vec::new();
    let mut in_multiline: Option<&str> = None;
    for (index, line) in split.raw.lines().enumerate() {
        let number = split.first_line + index;
        match split.format {
            Format::Toml => {
                if let Some(quotes) = in_multiline {
                    if line.contains(quotes) {
                        in_multiline = None;
                    }
                    continue;
                }
                for quotes in ["\"\"\"", "'''"] {
                    if line.matches(quotes).count() % 2 == 1 {
                        in_multiline = Some(quotes);
                    }
                }
                explain_toml_line(line, number, &mut found);
            }
            Format::Yaml => explain_yaml_line(line, number, &mut found),
        }
    }
    found
}

/// The ASCII character a full-width look-alike stands for.
fn ascii_for(c: char) -> Option<char> {
    match c {
        '\u{3000}' => Some(' '),
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
        '“' | '”' | '″' => Some('"'),
        '‘' | '’' => Some('\''),
        _ => None,
    }
}

fn lookalike_error(number: usize, column: usize, c: char, ascii: char) -> SyntaxError {
    let (name_ja, name_en) = if c == '\u{3000}' {
        ("全角スペース".to_string(), "a full-width space".to_string())
    } else {
        (format!("全角の `{c}`"), format!("the full-width `{c}`"))
    };
    let (ascii_shown, ascii_en) = if ascii == ' ' {
        ("半角スペース".to_string(), "an ASCII space".to_string())
    } else {
        (format!("半角の `{ascii}`"), format!("the ASCII `{ascii}`"))
    };
    SyntaxError::new(
        number,
        column,
        Text::new(
            format!("{name_ja}が使われています。ここは{ascii_shown}でなければなりません"),
            format!("{name_en} is used where the syntax needs {ascii_en}"),
        ),
    )
    .help(Text::new(
        format!("日本語入力を切って、{ascii_shown}で打ち直してください（\" で囲んだ文字列の中なら全角でもかまいません）"),
        format!("turn the Japanese input method off and type {ascii_en} instead (inside \"quoted text\" full-width characters are fine)"),
    ))
}

fn explain_toml_line(line: &str, number: usize, found: &mut Vec<SyntaxError>) {
    let mut quote: Option<char> = None;
    let mut opened_at = 0;
    let mut escaped = false;
    let mut flagged = false;
    for (index, c) in line.chars().enumerate() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if q == '"' && c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => {
                quote = Some(c);
                opened_at = index + 1;
            }
            '#' => break,
            c => {
                if let Some(ascii) = ascii_for(c) {
                    found.push(lookalike_error(number, index + 1, c, ascii));
                    flagged = true;
                    break;
                }
            }
        }
    }
    if flagged {
        return;
    }
    if let Some(q) = quote
        && !line.contains("\"\"\"")
        && !line.contains("'''")
    {
        found.push(
            SyntaxError::new(
                number,
                opened_at,
                Text::new(
                    format!("{q} で始めた文字列が、この行のうちに {q} で閉じられていません"),
                    format!("the text opened with {q} is not closed with {q} on this line"),
                ),
            )
            .help(Text::new(
                format!("文字列の最後に半角の {q} を付けてください"),
                format!("add an ASCII {q} at the end of the text"),
            )),
        );
        return;
    }
    let trimmed = line.trim_start();
    if trimmed.starts_with(['#', '[']) {
        return;
    }
    let Some((key, value)) = trimmed.split_once('=') else {
        return;
    };
    let value = value.trim();
    let unquoted_text = value
        .chars()
        .next()
        .is_some_and(|c| !c.is_ascii() || c.is_ascii_alphabetic())
        && !matches!(value, "true" | "false" | "inf" | "nan")
        && !value.starts_with("true ")
        && !value.starts_with("false ");
    if unquoted_text {
        let key = key.trim();
        let column = line.chars().count() - line.trim_start().chars().count()
            + trimmed.chars().take_while(|c| *c != '=').count()
            + 1
            + (trimmed.split_once('=').map_or(0, |(_, v)| {
                v.chars().count() - v.trim_start().chars().count()
            }))
            + 1;
        found.push(
            SyntaxError::new(
                number,
                column,
                Text::new(
                    format!("`{key}` の値の文字列が \" で囲まれていません"),
                    format!("the text of `{key}` is not in double quotes"),
                ),
            )
            .help(Text::new(
                format!("{key} = \"{value}\" のように半角の \" で囲んでください"),
                format!("put it in ASCII double quotes: {key} = \"{value}\""),
            )),
        );
    }
}

fn explain_yaml_line(line: &str, number: usize, found: &mut Vec<SyntaxError>) {
    let indent: Vec<char> = line
        .chars()
        .take_while(|c| matches!(c, ' ' | '\t' | '\u{3000}'))
        .collect();
    if let Some(at) = indent.iter().position(|c| *c == '\t') {
        found.push(
            SyntaxError::new(
                number,
                at + 1,
                Text::new(
                    "YAML の字下げにタブは使えません",
                    "YAML indentation cannot use tabs",
                ),
            )
            .help(Text::new(
                "タブを半角スペース 2 つに置き換えてください",
                "replace the tab with two spaces",
            )),
        );
        return;
    }
    if let Some(at) = indent.iter().position(|c| *c == '\u{3000}') {
        found.push(lookalike_error(number, at + 1, '\u{3000}', ' '));
        return;
    }
    let rest = &line[indent.iter().map(|c| c.len_utf8()).sum::<usize>()..];
    if rest.is_empty() || rest.starts_with(['#', '-', '|', '>', '"', '\'']) {
        return;
    }
    // The key is what comes before the first ASCII `: `; look-alikes there
    // (or a line with only a full-width colon) break the syntax.
    let key_end = rest
        .char_indices()
        .find(|&(i, c)| c == ':' && rest[i + 1..].chars().next().is_none_or(|n| n == ' '))
        .map_or(rest.len(), |(i, _)| i);
    for (index, c) in rest[..key_end].chars().enumerate() {
        if let Some(ascii @ (':' | ' ')) = ascii_for(c) {
            found.push(lookalike_error(number, indent.len() + index + 1, c, ascii));
            return;
        }
    }
    if key_end == rest.len()
        && let Some((i, _)) = rest.char_indices().find(|&(_, c)| c == ':')
        && rest[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && i > 0
    {
        let column = indent.len() + rest[..i].chars().count() + 2;
        found.push(
            SyntaxError::new(
                number,
                column,
                Text::new(
                    "コロンの後に半角スペースがありません",
                    "there is no space after the colon",
                ),
            )
            .help(Text::new(
                format!(
                    "`{}: …` のようにコロンの後に半角スペースを入れてください",
                    &rest[..i]
                ),
                format!("put a space after the colon: `{}: …`", &rest[..i]),
            )),
        );
    }
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

/// The file line and column where the front matter of the file at `path`
/// sets `field` (`path`, or `extra.venue` inside a table), read again from
/// the disk: for problems found after loading, which is rare, so the pages
/// need not keep every key's line.
pub fn field_position(path: &std::path::Path, field: &str) -> Option<(usize, usize)> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.replace("\r\n", "\n");
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    let split = split(text).ok()??;
    let (table, key) = match field.split_once('.') {
        Some((table, key)) => (Some(table), key),
        None => (None, field),
    };
    locate(&split, table, key)
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
        assert!(err.message.en.contains("never closed"));
        assert!(err.help.is_some());
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

    fn explained(text: &str) -> Vec<(usize, usize, String)> {
        let s = split(text).unwrap().unwrap();
        explain(&s)
            .into_iter()
            .map(|e| (e.line, e.column, e.message.en))
            .collect()
    }

    #[test]
    fn explains_full_width_syntax_tabs_and_unquoted_text() {
        let found = explained("+++\ntitle　= \"a\"\n[extra]\nvenue ＝ \"会場　3階\"\n+++\n");
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].0, found[0].1), (2, 6));
        assert!(found[0].2.contains("full-width space"), "{found:?}");
        assert_eq!((found[1].0, found[1].1), (4, 7));
        let found = explained("+++\ntitle = \"事業再生\nx = \"\"\"a\n\"\"\"\n+++\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].0, found[0].1), (2, 9));
        assert!(found[0].2.contains("not closed"), "{found:?}");
        let found = explained("+++\ntitle = 事業再生セミナー\n+++\n");
        assert_eq!((found[0].0, found[0].1), (2, 9), "{found:?}");
        assert!(found[0].2.contains("double quotes"));
        let found = explained("---\ntitle: a\nextra:\n\tvenue: x\n---\n");
        assert_eq!((found[0].0, found[0].1), (4, 1), "{found:?}");
        assert!(found[0].2.contains("tabs"));
        let found = explained("---\ntitle: a\nextra:\n  venue：会場\n---\n");
        assert_eq!((found[0].0, found[0].1), (4, 8), "{found:?}");
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
