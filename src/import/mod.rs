//! `kpot import`: content that flows in from outside (jGrants' subsidy
//! calls, partners' iCalendar feeds) as ordinary content files.
//!
//! Every importer fetches and converts everything first and only then
//! writes, so a failure half-way (the network, a malformed answer) leaves
//! `content/` as it was. Writing is shared here and made for review in a
//! pull request: a file is written only when its bytes change (the
//! `fetched` time is kept when nothing else changed), a file an editor
//! marked `locked = true` is never touched, and an item gone from its source
//! is kept and marked `withdrawn = true` rather than deleted.

pub mod html;
pub mod http;
pub mod ical;
pub mod jgrants;

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Why an import could not run; it wrote nothing (exit 2).
#[derive(Debug)]
pub struct ImportError(pub String);

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ImportError {}

pub fn fail<T>(message: impl Into<String>) -> Result<T, ImportError> {
    Err(ImportError(message.into()))
}

/// One imported item, ready to be written: its file (relative to the site
/// root) and a renderer that takes the `fetched` time to record.
pub struct Item {
    pub rel: PathBuf,
    pub source_id: String,
    pub render: Box<dyn Fn(&str) -> String>,
}

/// What an import did (or, before [`apply`], would do), file by file.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub source: String,
    pub new: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    /// Gone from the source since the last import; marked `withdrawn`.
    pub vanished: Vec<String>,
    /// Left alone because an editor set `locked = true`.
    pub locked: Vec<String>,
    /// Source values with no mapping (e.g. a jGrants `use_purpose` not in
    /// `data/import-categories.yaml`), with how many items had them.
    pub unmapped: BTreeMap<String, usize>,
    /// Guesses worth a look (an event's format guessed from its location).
    pub notes: Vec<String>,
    #[serde(skip)]
    writes: Vec<(PathBuf, String)>,
}

impl Summary {
    pub fn new(source: &str) -> Summary {
        Summary {
            source: source.to_string(),
            ..Summary::default()
        }
    }

    /// The summary for people, one line per count and the file names.
    pub fn human(&self) -> String {
        let mut out = format!(
            "{}: {} new, {} updated, {} unchanged, {} vanished, {} locked, {} unmapped values\n",
            self.source,
            self.new.len(),
            self.updated.len(),
            self.unchanged.len(),
            self.vanished.len(),
            self.locked.len(),
            self.unmapped.len()
        );
        for (label, files) in [
            ("new", &self.new),
            ("updated", &self.updated),
            ("vanished (marked withdrawn)", &self.vanished),
            ("locked (left alone)", &self.locked),
        ] {
            for file in files {
                let _ = writeln!(out, "  {label}: {file}");
            }
        }
        for (value, count) in &self.unmapped {
            let _ = writeln!(out, "  unmapped: {value} ({count} items)");
        }
        for note in &self.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        out
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    pub fn unmapped(&mut self, value: &str) {
        *self.unmapped.entry(value.to_string()).or_default() += 1;
    }
}

/// Decides, for every item and every earlier import in `folder` (relative
/// to `root`) from `source`, what to write. Nothing is written yet. An item
/// keeps the file it was first imported as (an event moved to another day
/// keeps its name, so its address does not change).
pub fn plan(
    root: &Path,
    folder: &str,
    source: &str,
    items: &[Item],
    now: chrono::DateTime<chrono::FixedOffset>,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    let fetched = rfc3339(now);
    let earlier = earlier_imports(root, folder, source)?;
    let mut seen = BTreeSet::new();
    for item in items {
        if !seen.insert(item.source_id.clone()) {
            summary.notes.push(format!(
                "{}: listed twice by the source; imported once",
                item.source_id
            ));
            continue;
        }
        let rel = earlier
            .get(&item.source_id)
            .map(|(rel, _)| rel.clone())
            .unwrap_or_else(|| item.rel.clone());
        let display = rel.display().to_string();
        let existing = read_existing(&root.join(&rel))?;
        let Some(old) = existing else {
            summary.writes.push((rel, (item.render)(&fetched)));
            summary.new.push(display);
            continue;
        };
        let Some(front) = front_matter(&old) else {
            summary.notes.push(format!(
                "{display}: its front matter does not parse; left alone"
            ));
            summary.locked.push(display);
            continue;
        };
        if flag(&front, "locked") {
            summary.locked.push(display);
            continue;
        }
        let old_fetched = extra_string(&front, "fetched");
        if old_fetched
            .as_deref()
            .is_some_and(|t| (item.render)(t) == old)
        {
            summary.unchanged.push(display);
            continue;
        }
        summary.writes.push((rel, (item.render)(&fetched)));
        summary.updated.push(display);
    }
    mark_vanished(&earlier, &seen, now, summary)
}

/// The files in `folder` imported from `source`: source id → (file, text).
fn earlier_imports(
    root: &Path,
    folder: &str,
    source: &str,
) -> Result<BTreeMap<String, (PathBuf, String)>, ImportError> {
    let mut found = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
        return Ok(found);
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    for path in files {
        let Some(text) = read_existing(&path)? else {
            continue;
        };
        let Some(front) = front_matter(&text) else {
            continue;
        };
        if extra_string(&front, "source").as_deref() != Some(source) {
            continue;
        }
        if let Some(id) = extra_string(&front, "source_id") {
            let rel = Path::new(folder).join(path.file_name().unwrap_or_default());
            found.entry(id).or_insert((rel, text));
        }
    }
    Ok(found)
}

/// Earlier imports the source no longer lists get `withdrawn = true`
/// (their status still follows their dates). One whose dates are past is
/// left as it is: sources drop closed calls and past events, which is not
/// a withdrawal.
fn mark_vanished(
    earlier: &BTreeMap<String, (PathBuf, String)>,
    seen: &BTreeSet<String>,
    now: chrono::DateTime<chrono::FixedOffset>,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    for (id, (rel, text)) in earlier {
        let Some(front) = front_matter(text) else {
            continue;
        };
        if seen.contains(id) || flag(&front, "withdrawn") || is_past(&front, now) {
            continue;
        }
        let rel = rel.clone();
        let display = rel.display().to_string();
        if flag(&front, "locked") {
            summary.locked.push(display);
            continue;
        }
        let marked = mark_withdrawn(text)
            .ok_or_else(|| ImportError(format!("{display}: cannot mark it withdrawn: its front matter is not the +++ TOML kpot import writes")))?;
        summary.writes.push((rel, marked));
        summary.vanished.push(display);
    }
    Ok(())
}

/// Whether an item's last date (`closes`, `end`, else `start`) is before
/// `now`.
fn is_past(front: &toml::Table, now: chrono::DateTime<chrono::FixedOffset>) -> bool {
    ["closes", "end", "start"]
        .iter()
        .find_map(|key| extra_string(front, key))
        .and_then(|text| crate::when::When::parse(&text).ok())
        .is_some_and(|when| when.end() < now)
}

/// The file with `withdrawn = true` added at the end of its `[extra]`
/// table, checked by reading it back.
fn mark_withdrawn(text: &str) -> Option<String> {
    let body_start = text.strip_prefix("+++\n")?.find("\n+++\n")? + 4;
    let (head, rest) = text.split_at(body_start + 1);
    let marked = format!("{head}withdrawn = true\n{rest}");
    flag(&front_matter(&marked)?, "withdrawn").then_some(marked)
}

fn read_existing(path: &Path) -> Result<Option<String>, ImportError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => fail(format!("{}: cannot read: {e}", path.display())),
    }
}

/// The TOML front matter of a file; `None` when there is none or it does
/// not parse (such a file is left alone, never overwritten blindly).
fn front_matter(text: &str) -> Option<toml::Table> {
    text.strip_prefix("+++\n")
        .and_then(|rest| rest.find("\n+++").map(|end| &rest[..end]))
        .and_then(|front| front.parse::<toml::Table>().ok())
}

fn extra(front: &toml::Table) -> Option<&toml::Table> {
    front.get("extra").and_then(|e| e.as_table())
}

fn flag(front: &toml::Table, key: &str) -> bool {
    extra(front)
        .and_then(|e| e.get(key))
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

fn extra_string(front: &toml::Table, key: &str) -> Option<String> {
    match extra(front)?.get(key)? {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Datetime(d) => Some(d.to_string()),
        _ => None,
    }
}

/// Writes every planned file, each atomically (a temporary file beside it,
/// then a rename), so a reader never sees half a file.
pub fn apply(root: &Path, summary: &mut Summary) -> Result<(), ImportError> {
    for (rel, text) in std::mem::take(&mut summary.writes) {
        let path = root.join(&rel);
        let dir = path.parent().unwrap_or(root);
        std::fs::create_dir_all(dir)
            .map_err(|e| ImportError(format!("{}: cannot create: {e}", dir.display())))?;
        let tmp = dir.join(format!(
            ".{}.kpot-import",
            path.file_name().unwrap_or_default().to_string_lossy()
        ));
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                ImportError(format!("{}: cannot write: {e}", path.display()))
            })?;
    }
    Ok(())
}

/// A TOML string literal (quotes and escapes as TOML wants them).
pub fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A TOML list of string literals.
pub fn quoted_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| quoted(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// "Now" in Japan time, to the second, as `fetched` records it.
pub fn now_jst(now: Option<&str>) -> Result<chrono::DateTime<chrono::FixedOffset>, ImportError> {
    crate::when::now_or(now)
        .map(|t| t.with_timezone(&crate::when::jst()))
        .map_err(|_| {
            ImportError(format!(
                "--now {}: not a date (2027-02-15) or date-time",
                now.unwrap_or_default()
            ))
        })
}

pub fn rfc3339(t: chrono::DateTime<chrono::FixedOffset>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// A small YAML table in `data/` (a mapping of a source's values to our
/// terms); empty when the file does not exist.
pub fn load_mapping_nested<T: serde::de::DeserializeOwned + Default>(
    root: &Path,
    rel: &str,
) -> Result<T, ImportError> {
    let path = root.join(rel);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
        Err(e) => return fail(format!("{rel}: cannot read: {e}")),
    };
    serde_saphyr::from_str(&text).map_err(|e| ImportError(format!("{rel}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(hour: u32) -> chrono::DateTime<chrono::FixedOffset> {
        chrono::DateTime::parse_from_rfc3339(&format!("2027-02-15T{hour:02}:00:00+09:00")).unwrap()
    }

    fn item(rel: &str, id: &str, body: &'static str) -> Item {
        let id_owned = id.to_string();
        Item {
            rel: PathBuf::from(rel),
            source_id: id.to_string(),
            render: Box::new(move |fetched| {
                format!(
                    "+++\ntitle = \"t\"\n[extra]\nsource = \"s\"\nsource_id = \"{id_owned}\"\nfetched = \"{fetched}\"\n+++\n{body}"
                )
            }),
        }
    }

    #[test]
    fn an_unchanged_item_keeps_its_fetched_time_and_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = Summary::new("s");
        plan(
            dir.path(),
            "c",
            "s",
            &[item("c/a.md", "a", "x\n")],
            t(1),
            &mut first,
        )
        .unwrap();
        apply(dir.path(), &mut first).unwrap();
        assert_eq!(first.new, ["c/a.md"]);
        let mut again = Summary::new("s");
        plan(
            dir.path(),
            "c",
            "s",
            &[item("c/a.md", "a", "x\n")],
            t(2),
            &mut again,
        )
        .unwrap();
        assert_eq!(again.unchanged, ["c/a.md"]);
        assert!(again.writes.is_empty());
        let mut changed = Summary::new("s");
        plan(
            dir.path(),
            "c",
            "s",
            &[item("c/a.md", "a", "y\n")],
            t(3),
            &mut changed,
        )
        .unwrap();
        assert_eq!(changed.updated, ["c/a.md"]);
        assert!(
            changed.writes[0]
                .1
                .contains("fetched = \"2027-02-15T03:00:00+09:00\"")
        );
    }

    #[test]
    fn a_vanished_item_is_marked_and_a_locked_one_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = Summary::new("s");
        let items = [item("c/a.md", "a", "x\n"), item("c/b.md", "b", "x\n")];
        plan(dir.path(), "c", "s", &items, t(1), &mut first).unwrap();
        apply(dir.path(), &mut first).unwrap();
        let b = dir.path().join("c/b.md");
        let locked = std::fs::read_to_string(&b)
            .unwrap()
            .replace("[extra]\n", "[extra]\nlocked = true\n");
        std::fs::write(&b, &locked).unwrap();
        let mut second = Summary::new("s");
        plan(
            dir.path(),
            "c",
            "s",
            &[item("c/b.md", "b", "new text\n")],
            t(2),
            &mut second,
        )
        .unwrap();
        apply(dir.path(), &mut second).unwrap();
        assert_eq!(second.vanished, ["c/a.md"]);
        assert_eq!(second.locked, ["c/b.md"]);
        let a = std::fs::read_to_string(dir.path().join("c/a.md")).unwrap();
        assert!(flag(&front_matter(&a).unwrap(), "withdrawn"), "{a}");
        assert!(a.ends_with("+++\nx\n"), "{a}");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), locked);
    }
}
