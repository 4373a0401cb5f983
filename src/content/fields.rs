//! Reading typed fields out of parsed front matter, one diagnostic per
//! problem, each pointing at the line where the field is written.

use super::frontmatter::{Split, locate};
use crate::diagnostics::{Diagnostic, Text, suggest};
use crate::when::When;
use serde_json::{Map, Value};
use std::path::Path;

/// URL schemes that content may link to (PORTAL.md).
pub const ALLOWED_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

/// Takes fields out of one table of front matter. Whatever is left when
/// `finish` is called was not understood.
pub struct Reader<'a> {
    split: Option<&'a Split<'a>>,
    file: &'a Path,
    table: Option<&'static str>,
    map: Map<String, Value>,
    seen: Vec<&'static str>,
    /// Required keys reported missing: a misspelt key that suggests one of
    /// them replaces that report (`venu` → did you mean `venue`? says it all).
    missing: Vec<String>,
    /// The fields this table may hold, when they are declared in
    /// `content::schema`: reading any other key is a bug in the loader (the
    /// form and the skeleton would not know it), caught in debug builds.
    declared: Option<&'static [crate::content::schema::Field]>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Reader<'a> {
    pub fn new(
        split: Option<&'a Split<'a>>,
        file: &'a Path,
        table: Option<&'static str>,
        map: Map<String, Value>,
    ) -> Reader<'a> {
        Reader {
            split,
            file,
            table,
            map,
            seen: Vec::new(),
            missing: Vec::new(),
            declared: None,
            diagnostics: Vec::new(),
        }
    }

    /// Reads only the fields of `schema` (see [`Reader::declared`]).
    pub fn declared(mut self, schema: &'static [crate::content::schema::Field]) -> Reader<'a> {
        self.declared = Some(schema);
        self
    }

    /// `extra.venue`, or `title` at the top level.
    fn field_name(&self, key: &str) -> String {
        match self.table {
            Some(table) => format!("{table}.{key}"),
            None => key.to_string(),
        }
    }

    fn position(&self, key: &str) -> (usize, usize) {
        let Some(split) = self.split else {
            return (1, 1);
        };
        locate(split, self.table, key)
            .or_else(|| self.table.and_then(|t| locate_table(split, t)))
            .unwrap_or((split.first_line.saturating_sub(1).max(1), 1))
    }

    pub fn error(&mut self, key: &str, message: Text) -> &mut Diagnostic {
        let (line, column) = self.position(key);
        let diagnostic = Diagnostic::error(self.file, message)
            .at(line, column)
            .field(self.field_name(key));
        self.diagnostics.push(diagnostic);
        self.diagnostics.last_mut().expect("just pushed")
    }

    pub fn warning(&mut self, key: &str, message: Text) -> &mut Diagnostic {
        let (line, column) = self.position(key);
        let diagnostic = Diagnostic::warning(self.file, message)
            .at(line, column)
            .field(self.field_name(key));
        self.diagnostics.push(diagnostic);
        self.diagnostics.last_mut().expect("just pushed")
    }

    fn take(&mut self, key: &'static str) -> Option<Value> {
        debug_assert!(
            self.declared
                .is_none_or(|fields| fields.iter().any(|f| f.key == key)),
            "the loader reads `{key}`, which content::schema does not declare"
        );
        self.seen.push(key);
        match self.map.remove(key) {
            Some(Value::Null) | None => None,
            Some(value) => Some(value),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    /// A text field. Numbers are accepted as their text (a phone number
    /// written without quotes in YAML is still a phone number).
    pub fn string(&mut self, key: &'static str) -> Option<String> {
        match self.take(key)? {
            Value::String(s) => {
                let s = s.trim().to_string();
                if s.is_empty() { None } else { Some(s) }
            }
            Value::Number(n) => Some(n.to_string()),
            other => {
                self.error(
                    key,
                    Text::new(
                        format!("文字列を書いてください（いまは{}）", kind_ja(&other)),
                        format!("expected text, found {}", kind_en(&other)),
                    ),
                );
                None
            }
        }
    }

    pub fn required_string(&mut self, key: &'static str) -> Option<String> {
        let present = self.has(key);
        let value = self.string(key);
        if value.is_none() && !self.diagnostics_mention(key) {
            self.missing(key, present);
        }
        value
    }

    fn diagnostics_mention(&self, key: &str) -> bool {
        let name = self.field_name(key);
        self.diagnostics
            .iter()
            .any(|d| d.field.as_deref() == Some(&name))
    }

    fn missing(&mut self, key: &'static str, present_but_empty: bool) {
        let (ja, en) = if present_but_empty {
            ("必須項目が空です", "this required field is empty")
        } else {
            ("必須項目がありません", "this required field is missing")
        };
        let table = self.table;
        let hint = match table {
            Some(t) => Text::new(
                format!("[{t}] の下に `{key} = …` を書いてください"),
                format!("add `{key} = …` under [{t}]"),
            ),
            None => Text::new(
                format!("`{key} = …` を書いてください"),
                format!("add `{key} = …`"),
            ),
        };
        self.require(key, Text::new(ja, en), hint);
    }

    /// Reports a required field as missing (or empty), with its own words.
    pub fn require(&mut self, key: &str, message: Text, help: Text) {
        self.missing.push(key.to_string());
        self.error(key, message).help = Some(help);
    }

    /// "必須項目がありません" or, when the key is written but blank, "…が空です".
    pub fn missing_text(&self, key: &str) -> Text {
        if self.map.contains_key(key) {
            Text::new("必須項目が空です", "this required field is empty")
        } else {
            Text::new("必須項目がありません", "this required field is missing")
        }
    }

    pub fn when(&mut self, key: &'static str) -> Option<When> {
        self.when_within(key, ANY_YEAR)
    }

    /// A date whose year must lie in `years`: an event in 2207 is a typo.
    pub fn when_within(
        &mut self,
        key: &'static str,
        years: std::ops::RangeInclusive<i32>,
    ) -> Option<When> {
        let value = self.take(key)?;
        let text = match &value {
            Value::String(s) if s.trim().is_empty() => return None,
            Value::String(s) => s.clone(),
            other => {
                self.error(
                    key,
                    Text::new(
                        format!("日付を書いてください（いまは{}）", kind_ja(other)),
                        format!("expected a date, found {}", kind_en(other)),
                    ),
                )
                .help = Some(date_help());
                return None;
            }
        };
        match When::parse(&text) {
            Ok(when) if !years.contains(&when.year()) => {
                self.error(
                    key,
                    Text::new(
                        format!("{} 年はありえない年です", when.year()),
                        format!("the year {} is implausible", when.year()),
                    ),
                )
                .help = Some(Text::new(
                    format!(
                        "年を確かめてください（西暦 {}〜{} 年）",
                        years.start(),
                        years.end()
                    ),
                    format!(
                        "check the year (between {} and {})",
                        years.start(),
                        years.end()
                    ),
                ));
                None
            }
            Ok(when) => Some(when),
            Err(_) => {
                let help = match date_hint(&text) {
                    Some(fixed) => Text::new(
                        format!(
                            "`{key} = \"{fixed}\"` と書いてください（半角数字とハイフン、日本時間）"
                        ),
                        format!(
                            "write `{key} = \"{fixed}\"` (ASCII digits and hyphens, Japan time)"
                        ),
                    ),
                    None => date_help(),
                };
                self.error(
                    key,
                    Text::new(
                        format!("`{text}` は日付として読めません"),
                        format!("`{text}` is not a valid date"),
                    ),
                )
                .help = Some(help);
                None
            }
        }
    }

    /// A required date of an event or notice.
    pub fn required_when_within(
        &mut self,
        key: &'static str,
        years: std::ops::RangeInclusive<i32>,
    ) -> Option<When> {
        let present = self.has(key);
        let value = self.when_within(key, years);
        if value.is_none() && !self.diagnostics_mention(key) {
            self.missing(key, present);
        }
        value
    }

    pub fn required_when(&mut self, key: &'static str) -> Option<When> {
        let present = self.has(key);
        let value = self.when(key);
        if value.is_none() && !self.diagnostics_mention(key) {
            self.missing(key, present);
        }
        value
    }

    /// An integer, such as an amount in yen.
    pub fn int(&mut self, key: &'static str) -> Option<i64> {
        match self.take(key)? {
            Value::Number(n) if n.is_i64() => n.as_i64(),
            Value::String(s) if s.trim().is_empty() => None,
            other => {
                let digits: String = match &other {
                    Value::String(s) => s.chars().filter(char::is_ascii_digit).collect(),
                    _ => String::new(),
                };
                let example = if digits.is_empty() {
                    "5000".to_string()
                } else {
                    digits
                };
                self.error(
                    key,
                    Text::new(
                        format!("整数を書いてください（いまは{}）", kind_ja(&other)),
                        format!("expected a whole number, found {}", kind_en(&other)),
                    ),
                )
                .help = Some(Text::new(
                    format!("円やカンマを付けずに数字だけを書いてください: `{key} = {example}`"),
                    format!("write digits only, without yen sign or commas: `{key} = {example}`"),
                ));
                None
            }
        }
    }

    pub fn bool(&mut self, key: &'static str) -> Option<bool> {
        match self.take(key)? {
            Value::Bool(b) => Some(b),
            other => {
                self.error(
                    key,
                    Text::new(
                        format!(
                            "true か false を書いてください（いまは{}）",
                            kind_ja(&other)
                        ),
                        format!("expected true or false, found {}", kind_en(&other)),
                    ),
                );
                None
            }
        }
    }

    /// A list of text, or a single text taken as a list of one.
    pub fn strings(&mut self, key: &'static str) -> Vec<String> {
        match self.take(key) {
            None => Vec::new(),
            Some(Value::String(s)) => vec![s],
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => out.push(s),
                        Value::Number(n) => out.push(n.to_string()),
                        other => {
                            self.error(
                                key,
                                Text::new(
                                    format!(
                                        "リストの要素は文字列にしてください（いまは{}）",
                                        kind_ja(&other)
                                    ),
                                    format!("list items must be text, found {}", kind_en(&other)),
                                ),
                            );
                        }
                    }
                }
                out
            }
            Some(other) => {
                self.error(
                    key,
                    Text::new(
                        format!(
                            "文字列のリストを書いてください（いまは{}）",
                            kind_ja(&other)
                        ),
                        format!("expected a list of text, found {}", kind_en(&other)),
                    ),
                );
                Vec::new()
            }
        }
    }

    /// A table, such as `[extra]` or `[taxonomies]`.
    pub fn table(&mut self, key: &'static str) -> Map<String, Value> {
        match self.take(key) {
            None => Map::new(),
            Some(Value::Object(map)) => map,
            Some(other) => {
                self.error(
                    key,
                    Text::new(
                        format!("表（[{key}]）を書いてください（いまは{}）", kind_ja(&other)),
                        format!("expected a table ([{key}]), found {}", kind_en(&other)),
                    ),
                );
                Map::new()
            }
        }
    }

    /// A link to the outside world: `http(s)`, `mailto` or `tel` only.
    pub fn url(&mut self, key: &'static str) -> Option<String> {
        let url = self.string(key)?;
        match check_url(&url) {
            Ok(()) if !url.contains(':') && !url.starts_with('/') => {
                let fixed = format!("https://{}", url.trim_start_matches('/'));
                self.error(
                    key,
                    Text::new(
                        format!("`{url}` は URL の途中からになっています（https:// がありません）"),
                        format!("`{url}` is not a complete URL (it lacks https://)"),
                    ),
                )
                .help = Some(Text::new(
                    format!("`{key} = \"{fixed}\"` のように https:// から書いてください"),
                    format!("write it in full, starting with https://: `{key} = \"{fixed}\"`"),
                ));
                None
            }
            Ok(()) => Some(url),
            Err(reason) => {
                self.error(key, reason).help = Some(Text::new(
                    "https:// で始まる URL を書いてください",
                    "write a URL that starts with https://",
                ));
                None
            }
        }
    }

    /// One of a fixed set of words.
    pub fn choice(&mut self, key: &'static str, allowed: &[&'static str]) -> Option<&'static str> {
        let text = self.string(key)?;
        if let Some(found) = allowed.iter().find(|a| **a == text) {
            return Some(found);
        }
        let list = allowed.join(" | ");
        let hint = suggest(&text, allowed.iter().copied());
        let diagnostic = self.error(
            key,
            Text::new(
                format!("`{text}` は使えません。{list} のどれかです"),
                format!("`{text}` is not allowed here; use one of {list}"),
            ),
        );
        if let Some(hint) = hint {
            diagnostic.help = Some(Text::new(
                format!("`{hint}` ではありませんか？"),
                format!("did you mean `{hint}`?"),
            ));
        }
        None
    }

    /// Reports keys that belong in another table (an event's `venue` written
    /// above `[extra]`, a page's `description` written below it), with
    /// `help` saying where they go, and forgets them.
    pub fn misplaced(&mut self, keys: &[&str], message: Text, help: Text) -> Vec<String> {
        let found: Vec<String> = self
            .map
            .keys()
            .filter(|k| keys.contains(&k.as_str()))
            .cloned()
            .collect();
        for key in &found {
            let key = key.clone();
            self.map.remove(&key);
            let (line, column) = self.position(&key);
            self.diagnostics.push(
                Diagnostic::error(
                    self.file,
                    Text::new(
                        message.ja.replace("{key}", &key),
                        message.en.replace("{key}", &key),
                    ),
                )
                .at(line, column)
                .field(self.field_name(&key))
                .help(Text::new(
                    help.ja.replace("{key}", &key),
                    help.en.replace("{key}", &key),
                )),
            );
        }
        found
    }

    /// Drops "missing" reports for keys that were found in the wrong table:
    /// the report that says where they belong is the one to act on.
    pub fn found_elsewhere(&mut self, keys: &[String]) {
        let names: Vec<String> = keys
            .iter()
            .filter(|k| self.missing.contains(k))
            .map(|k| self.field_name(k))
            .collect();
        self.diagnostics
            .retain(|d| !d.field.as_ref().is_some_and(|f| names.contains(f)));
    }

    /// Reports every key nobody took. Unknown keys are errors in typed
    /// tables (a typo there loses information silently) and warnings at the
    /// top level, where Zola ignores them.
    pub fn finish(mut self, as_error: bool) -> Vec<Diagnostic> {
        let known = self.seen.clone();
        // Each leftover key with the known field it is closest to, if any.
        let leftover: Vec<(String, Option<&str>)> = self
            .map
            .keys()
            .map(|key| (key.clone(), suggest(key, known.iter().copied())))
            .collect();
        let explained: Vec<String> = leftover
            .iter()
            .filter_map(|(_, hint)| *hint)
            .filter(|hint| self.missing.iter().any(|m| m == hint))
            .map(|hint| self.field_name(hint))
            .collect();
        self.diagnostics
            .retain(|d| !d.field.as_ref().is_some_and(|f| explained.contains(f)));
        for (key, hint) in leftover {
            let message = Text::new(
                format!("`{key}` という項目はありません"),
                format!("unknown field `{key}`"),
            );
            // A misspelt required field stands in for its "missing" error,
            // so it is an error too, even where unknown keys are warnings.
            let replaces_missing = hint.is_some_and(|h| self.missing.iter().any(|m| m == h));
            let diagnostic = if as_error || replaces_missing {
                self.error(&key, message)
            } else {
                self.warning(&key, message)
            };
            if let Some(hint) = hint {
                diagnostic.help = Some(Text::new(
                    format!("`{hint}` ではありませんか？"),
                    format!("did you mean `{hint}`?"),
                ));
            }
        }
        self.diagnostics
    }

    /// Marks keys as known without reading them (accepted for Zola
    /// compatibility but unused here).
    pub fn accept(&mut self, keys: &[&'static str]) {
        for key in keys {
            self.take(key);
        }
    }
}

fn locate_table(split: &Split<'_>, table: &str) -> Option<(usize, usize)> {
    split
        .raw
        .lines()
        .position(|line| {
            let t = line.trim();
            t == format!("[{table}]") || t == format!("{table}:")
        })
        .map(|index| (split.first_line + index, 1))
}

/// Checks a URL written in content. Relative links are fine; a scheme must
/// be one a reader can safely follow.
pub fn check_url(url: &str) -> Result<(), Text> {
    let trimmed: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let Some(colon) = trimmed.find(':') else {
        return Ok(());
    };
    let before = &trimmed[..colon];
    // A colon after a path or query character is not a scheme.
    if before.contains(['/', '?', '#']) {
        return Ok(());
    }
    let scheme = before.to_ascii_lowercase();
    if ALLOWED_SCHEMES.contains(&scheme.as_str()) {
        Ok(())
    } else {
        Err(Text::new(
            format!("`{scheme}:` の URL は使えません（http, https, mailto, tel のみ）"),
            format!("`{scheme}:` URLs are not allowed (only http, https, mailto and tel)"),
        ))
    }
}

/// Years an event, a notice or a program date may plausibly have.
pub const TYPED_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;
const ANY_YEAR: std::ops::RangeInclusive<i32> = 1900..=2200;

/// The ISO form of a date written the Japanese way (`2027年2月15日 13時30分`,
/// `令和9年2月15日`, `2027/2/15 13:30`, full-width digits), to suggest it.
pub fn date_hint(text: &str) -> Option<String> {
    let ascii: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' | '／' | '：' | '－' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '　' => ' ',
            c => c,
        })
        .collect();
    let (era_base, rest) = [("令和", 2018), ("平成", 1988), ("R", 2018), ("H", 1988)]
        .iter()
        .find_map(|(era, base)| ascii.strip_prefix(era).map(|r| (*base, r)))
        .unwrap_or((0, ascii.as_str()));
    let rest = rest.replace("元年", "1年");
    let numbers: Vec<u32> = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()?;
    let (year, month, day) = match numbers.as_slice() {
        [y, m, d, ..] => (i32::try_from(*y).ok()? + era_base, *m, *d),
        _ => return None,
    };
    let date = chrono::NaiveDate::from_ymd_opt(year, month, day)?;
    if !(1900..=2200).contains(&year) {
        return None;
    }
    match numbers.get(3..) {
        Some([h, m, ..]) if *h < 24 && *m < 60 => Some(format!("{date}T{h:02}:{m:02}:00")),
        Some([h]) if *h < 24 => Some(format!("{date}T{h:02}:00:00")),
        _ => Some(date.to_string()),
    }
}

fn date_help() -> Text {
    Text::new(
        "日付は 2027-02-15、日時は 2027-02-15T13:30:00 の形で書いてください（日本時間）",
        "write a date as 2027-02-15, a date-time as 2027-02-15T13:30:00 (Japan time)",
    )
}

fn kind_ja(value: &Value) -> &'static str {
    match value {
        Value::Null => "空",
        Value::Bool(_) => "真偽値",
        Value::Number(_) => "数値",
        Value::String(_) => "文字列",
        Value::Array(_) => "リスト",
        Value::Object(_) => "表",
    }
}

fn kind_en(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_dates_get_their_iso_form_suggested() {
        assert_eq!(date_hint("2027年2月15日").as_deref(), Some("2027-02-15"));
        assert_eq!(
            date_hint("２０２７年２月１５日 １３：３０").as_deref(),
            Some("2027-02-15T13:30:00")
        );
        assert_eq!(date_hint("令和9年2月15日").as_deref(), Some("2027-02-15"));
        assert_eq!(
            date_hint("2027/2/15 13時").as_deref(),
            Some("2027-02-15T13:00:00")
        );
        assert_eq!(date_hint("来週"), None);
        assert_eq!(date_hint("2027年2月30日"), None);
    }

    #[test]
    fn urls_allow_only_safe_schemes() {
        assert!(check_url("https://example.org/a").is_ok());
        assert!(check_url("/programs/").is_ok());
        assert!(check_url("mailto:a@example.org").is_ok());
        assert!(check_url("tel:045-000-0000").is_ok());
        assert!(check_url("javascript:alert(1)").is_err());
        assert!(check_url("JaVaScRiPt:alert(1)").is_err());
        assert!(check_url("java\tscript:alert(1)").is_err());
        assert!(check_url("data:text/html,x").is_err());
        assert!(check_url("a/b:c").is_ok());
    }
}
