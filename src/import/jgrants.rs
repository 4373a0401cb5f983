//! `kpot import jgrants`: open and upcoming subsidy calls from Jグランツ
//! (jGrants, the Digital Agency's national application service) as notices
//! in `content/notices/jgrants/<id>.md`.
//!
//! The public API (v1, no authentication) has a search that needs a keyword
//! of two characters or more, and a detail per call:
//!
//! - `GET {base}/subsidies?keyword=…&sort=acceptance_end_datetime&order=ASC&acceptance=0&target_area_search=…`
//!   (`acceptance=1` lists only calls accepting now; `0` also those still
//!   to open, and kpot keeps the ones that have not closed)
//!   → `{"result": [{"id", "name", "title", "target_area_search", …}]}`
//! - `GET {base}/subsidies/id/{id}` → `{"result": [{… "detail" (HTML),
//!   "use_purpose", "industry", "subsidy_rate", "institution_name", …}]}`
//!
//! Every configured keyword is searched in every configured area (these
//! are the "pages" of results; a call found twice is imported once), then
//! each call's detail is fetched, with a pause between details.

use super::http::{Client, Politeness};
use super::{ImportError, Item, Summary, fail, quoted, quoted_list};
use crate::data::Data;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const PUBLIC_API: &str = "https://api.jgrants-portal.go.jp/exp/v1/public";
pub const FOLDER: &str = "content/notices/jgrants";
pub const SOURCE: &str = "jgrants";
/// The mapping of jGrants' `use_purpose` and `industry` values to our
/// categories.
pub const MAPPING: &str = "data/import-categories.yaml";

const DEFAULT_KEYWORDS: &[&str] = &["補助金", "助成金"];
const DEFAULT_AREAS: &[&str] = &["神奈川県", "全国"];

pub struct Options {
    pub root: PathBuf,
    pub api_url: Option<String>,
    pub keywords: Vec<String>,
    pub areas: Vec<String>,
    pub pause: Option<Duration>,
    pub politeness: Politeness,
    pub now: Option<String>,
    pub dry_run: bool,
}

/// What `[extra.import.jgrants]` in config.toml sets.
struct Settings {
    api_url: String,
    keywords: Vec<String>,
    areas: Vec<String>,
    pause: Duration,
}

fn settings(options: &Options, config: &crate::config::Config) -> Result<Settings, ImportError> {
    let table = config
        .extra
        .get("import")
        .and_then(|i| i.get("jgrants"))
        .and_then(|t| t.as_table());
    let list =
        |key: &str, given: &[String], default: &[&str]| -> Result<Vec<String>, ImportError> {
            if !given.is_empty() {
                return Ok(given.to_vec());
            }
            match table.and_then(|t| t.get(key)) {
                None => Ok(default.iter().map(|s| s.to_string()).collect()),
                Some(value) => value
                    .as_array()
                    .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_string)).collect())
                    .ok_or_else(|| {
                        ImportError(format!(
                            "config.toml: [extra.import.jgrants] {key} must be a list of text"
                        ))
                    }),
            }
        };
    let keywords = list("keywords", &options.keywords, DEFAULT_KEYWORDS)?;
    if let Some(short) = keywords.iter().find(|k| k.chars().count() < 2) {
        return fail(format!(
            "jGrants keyword `{short}`: the API needs two characters or more"
        ));
    }
    let pause_ms = match table.and_then(|t| t.get("pause_ms")) {
        None => 1000,
        Some(v) => v.as_integer().filter(|n| *n >= 0).ok_or_else(|| {
            ImportError("config.toml: [extra.import.jgrants] pause_ms must be a whole number of milliseconds".into())
        })? as u64,
    };
    let api_url = options
        .api_url
        .clone()
        .or_else(|| {
            table
                .and_then(|t| t.get("api_url"))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| PUBLIC_API.to_string());
    Ok(Settings {
        api_url: api_url.trim_end_matches('/').to_string(),
        keywords,
        areas: list("areas", &options.areas, DEFAULT_AREAS)?,
        pause: options.pause.unwrap_or(Duration::from_millis(pause_ms)),
    })
}

/// Imports, and returns what was (or, with `dry_run`, would be) written.
pub fn run(options: &Options) -> Result<Summary, ImportError> {
    let root = &options.root;
    let config =
        crate::config::load(root).map_err(|d| ImportError(d.render(crate::format::Lang::En)))?;
    let (data, _) = crate::data::load(root);
    if data.organization(SOURCE).is_none() {
        return fail(format!(
            "data/organizations.yaml has no `{SOURCE}` entry (the organizer of imported calls)"
        ));
    }
    let settings = settings(options, &config)?;
    let mapping = Mapping::load(root, &data)?;
    let now = super::now_jst(options.now.as_deref())?;
    let client = Client::new(&config.base_url, options.politeness.clone());

    let ids = search(&client, &settings, now)?;
    let mut summary = Summary::new(SOURCE);
    let mut items = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            std::thread::sleep(settings.pause);
        }
        let record = detail(&client, &settings.api_url, id)?;
        match notice(&record, &mapping, &data, &mut summary) {
            Ok(item) => items.push(item),
            Err(why) => summary
                .notes
                .push(format!("jGrants {id}: not imported: {why}")),
        }
    }
    super::plan(root, FOLDER, SOURCE, &items, now, &mut summary)?;
    if !options.dry_run {
        super::apply(root, &mut summary)?;
    }
    Ok(summary)
}

/// The ids of the calls open or upcoming (not closed at `now`), over every
/// keyword and area, in the order first seen.
fn search(
    client: &Client,
    settings: &Settings,
    now: DateTime<FixedOffset>,
) -> Result<Vec<String>, ImportError> {
    let url = format!("{}/subsidies", settings.api_url);
    let mut seen = BTreeSet::new();
    let mut ids = Vec::new();
    for keyword in &settings.keywords {
        for area in &settings.areas {
            let query = [
                ("keyword", keyword.as_str()),
                ("sort", "acceptance_end_datetime"),
                ("order", "ASC"),
                ("acceptance", "0"),
                ("target_area_search", area.as_str()),
            ];
            let answer = client.get(&url, &query)?;
            for record in results(
                &answer.body,
                &format!("GET {url}?keyword={keyword}&target_area_search={area}"),
            )? {
                let id = record.get("id").and_then(Value::as_str).unwrap_or_default();
                if id.is_empty() {
                    return fail(format!(
                        "GET {url}?keyword={keyword}: a result without an id"
                    ));
                }
                // A closed call is not imported (its file, if any, stays
                // and its status follows its dates); one without a readable
                // deadline is looked at in detail.
                let closed = jst(&record, "acceptance_end_datetime")
                    .ok()
                    .flatten()
                    .is_some_and(|closes| closes < now);
                if !closed && seen.insert(id.to_string()) {
                    ids.push(id.to_string());
                }
            }
        }
    }
    Ok(ids)
}

fn detail(client: &Client, api_url: &str, id: &str) -> Result<Value, ImportError> {
    let url = format!("{api_url}/subsidies/id/{id}");
    let answer = client.get(&url, &[])?;
    results(&answer.body, &format!("GET {url}"))?
        .into_iter()
        .next()
        .ok_or_else(|| ImportError(format!("GET {url}: the answer has an empty `result`")))
}

/// The `result` array of an answer, or why the answer is not one.
fn results(body: &[u8], what: &str) -> Result<Vec<Value>, ImportError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ImportError(format!("{what}: the answer is not JSON: {e}")))?;
    match value.get("result") {
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(Value::Null) | None if value.get("metadata").is_some() => Ok(Vec::new()),
        _ => fail(format!("{what}: the answer has no `result` list")),
    }
}

/// jGrants' values mapped to our taxonomy terms.
struct Mapping {
    categories: BTreeMap<String, Vec<String>>,
}

impl Mapping {
    fn load(root: &Path, data: &Data) -> Result<Mapping, ImportError> {
        let all: BTreeMap<String, BTreeMap<String, Vec<String>>> =
            super::load_mapping_nested(root, MAPPING)?;
        let categories = all.get(SOURCE).cloned().unwrap_or_default();
        for (value, terms) in &categories {
            for term in terms {
                if term_label(data, "categories", term).is_none() {
                    return fail(format!(
                        "{MAPPING}: `{value}` maps to `{term}`, which is not a category in data/taxonomies.yaml"
                    ));
                }
            }
        }
        Ok(Mapping { categories })
    }
}

/// The Japanese label of a term named by its label, slug or an alias.
fn term_label(data: &Data, taxonomy: &str, name: &str) -> Option<String> {
    data.taxonomies.get(taxonomy)?.iter().find_map(|t| {
        (t.ja == name || t.slug == name || t.aliases.iter().any(|a| a == name))
            .then(|| t.ja.clone())
    })
}

/// A text field, trimmed; `None` when missing, null or blank.
fn text(record: &Value, key: &str) -> Option<String> {
    match record.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `a / b / c` (how jGrants lists several values) as a list.
fn values(record: &Value, key: &str) -> Vec<String> {
    text(record, key)
        .map(|s| {
            s.split(['/', '／'])
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// A jGrants time (`2027-03-31T08:00:00.000Z`) in Japan time.
fn jst(record: &Value, key: &str) -> Result<Option<DateTime<FixedOffset>>, String> {
    let Some(raw) = text(record, key) else {
        return Ok(None);
    };
    let offset = FixedOffset::east_opt(9 * 3600).expect("+09:00");
    if let Ok(t) = DateTime::parse_from_rfc3339(&raw) {
        return Ok(Some(t.with_timezone(&offset)));
    }
    if let Ok(d) = NaiveDate::parse_from_str(&raw, "%Y-%m-%d") {
        let t = d.and_hms_opt(23, 59, 59).expect("a valid time");
        return Ok(t.and_local_timezone(offset).single());
    }
    Err(format!("`{key}` is not a date: {raw}"))
}

fn toml_time(t: DateTime<FixedOffset>) -> String {
    super::rfc3339(t)
}

/// The amount in yen, from a number or a text of digits.
fn yen(record: &Value, key: &str) -> Option<i64> {
    match record.get(key)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.replace([',', '円'], "").trim().parse().ok(),
        _ => None,
    }
    .filter(|n| *n > 0)
}

/// One call as a notice file, or why it cannot be one.
fn notice(
    record: &Value,
    mapping: &Mapping,
    data: &Data,
    summary: &mut Summary,
) -> Result<Item, String> {
    let id = text(record, "id").ok_or("no id")?;
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!("the id `{id}` is not usable as a file name"));
    }
    let title = text(record, "title")
        .or_else(|| text(record, "name"))
        .ok_or("no title or name")?;
    let closes = jst(record, "acceptance_end_datetime")?.ok_or("no closing date")?;
    let opens = jst(record, "acceptance_start_datetime")?.filter(|o| *o <= closes);

    let mut categories = Vec::new();
    for value in values(record, "use_purpose")
        .into_iter()
        .chain(values(record, "industry"))
    {
        match mapping.categories.get(&value) {
            Some(terms) => categories.extend(
                terms
                    .iter()
                    .filter_map(|t| term_label(data, "categories", t)),
            ),
            None => summary.unmapped(&value),
        }
    }
    categories.sort();
    categories.dedup();
    let mut regions: Vec<String> = values(record, "target_area_search")
        .iter()
        .filter_map(|area| term_label(data, "regions", area))
        .collect();
    regions.sort();
    regions.dedup();

    let official_url = text(record, "front_subsidy_detail_page_url")
        .filter(|u| u.starts_with("https://"))
        .unwrap_or_else(|| format!("https://www.jgrants-portal.go.jp/subsidy/{id}"));
    let fields = Fields {
        title,
        description: text(record, "subsidy_catch_phrase").map(|s| one_line(&s)),
        categories,
        regions,
        opens: opens.map(toml_time),
        closes: toml_time(closes),
        max_amount: yen(record, "subsidy_max_limit"),
        subsidy_rate: text(record, "subsidy_rate").map(|s| one_line(&s)),
        eligibility: eligibility(record),
        issuer: text(record, "institution_name"),
        official_url,
        id: id.clone(),
        body: body(record),
    };
    Ok(Item {
        rel: Path::new(FOLDER).join(format!("{id}.md")),
        source_id: id,
        render: Box::new(move |fetched| fields.render(fetched)),
    })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Who may apply: the employee limit and the areas, as jGrants gives them.
fn eligibility(record: &Value) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(employees) = text(record, "target_number_of_employees") {
        parts.push(format!("従業員数: {}", one_line(&employees)));
    }
    if let Some(area) = text(record, "target_area_search") {
        parts.push(format!("対象地域: {}", one_line(&area)));
    }
    if let Some(industry) = text(record, "industry") {
        parts.push(format!("業種: {}", one_line(&industry)));
    }
    (!parts.is_empty()).then(|| parts.join("。"))
}

/// The page text: the catch phrase, the detail as Markdown, and where it
/// came from.
fn body(record: &Value) -> String {
    let mut out = String::new();
    if let Some(phrase) = text(record, "subsidy_catch_phrase") {
        out.push_str(&super::html::to_markdown(&format!(
            "<p>{}</p>",
            escape(&phrase)
        )));
        out.push('\n');
    }
    if let Some(detail) = text(record, "detail") {
        let markdown = super::html::to_markdown(&detail);
        if !markdown.is_empty() {
            out.push_str(&markdown);
            out.push('\n');
        }
    }
    out.push_str(
        "この情報は Jグランツ（デジタル庁）の公開 API から取り込みました。申請の前に公式ページで最新の内容を確かめてください。\n",
    );
    out
}

/// Plain text as HTML text (the catch phrase is not HTML).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Everything a notice file holds, rendered the same way every time.
struct Fields {
    title: String,
    description: Option<String>,
    categories: Vec<String>,
    regions: Vec<String>,
    opens: Option<String>,
    closes: String,
    max_amount: Option<i64>,
    subsidy_rate: Option<String>,
    eligibility: Option<String>,
    issuer: Option<String>,
    official_url: String,
    id: String,
    body: String,
}

impl Fields {
    fn render(&self, fetched: &str) -> String {
        let mut out = format!("+++\ntitle = {}\n", quoted(&self.title));
        if let Some(d) = &self.description {
            out += &format!("description = {}\n", quoted(d));
        }
        out += "\n[taxonomies]\n";
        out += &format!("categories = {}\n", quoted_list(&self.categories));
        out += &format!("regions = {}\n", quoted_list(&self.regions));
        out += "\n[extra]\n";
        if let Some(o) = &self.opens {
            out += &format!("opens = {o}\n");
        }
        out += &format!("closes = {}\n", self.closes);
        if let Some(m) = self.max_amount {
            out += &format!("max_amount = {m}\n");
        }
        for (key, value) in [
            ("subsidy_rate", &self.subsidy_rate),
            ("eligibility", &self.eligibility),
        ] {
            if let Some(v) = value {
                out += &format!("{key} = {}\n", quoted(v));
            }
        }
        out += &format!("organizer = {}\n", quoted(SOURCE));
        if let Some(i) = &self.issuer {
            out += &format!("issuer = {}\n", quoted(i));
        }
        out += &format!("official_url = {}\n", quoted(&self.official_url));
        out += &format!(
            "source = {}\nsource_id = {}\n",
            quoted(SOURCE),
            quoted(&self.id)
        );
        out += &format!("fetched = {fetched}\n+++\n\n");
        out += &self.body;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jgrants_lists_and_dates_are_read_as_published() {
        let record = serde_json::json!({
            "use_purpose": "設備整備・IT導入をしたい / 販路拡大・海外展開をしたい",
            "acceptance_end_datetime": "2027-03-31T08:00:00.000Z",
            "subsidy_max_limit": 5000000,
            "subsidy_rate": null,
        });
        assert_eq!(values(&record, "use_purpose").len(), 2);
        assert_eq!(
            toml_time(jst(&record, "acceptance_end_datetime").unwrap().unwrap()),
            "2027-03-31T17:00:00+09:00"
        );
        assert_eq!(yen(&record, "subsidy_max_limit"), Some(5_000_000));
        assert_eq!(text(&record, "subsidy_rate"), None);
        assert_eq!(text(&record, "missing"), None);
        assert!(jst(&serde_json::json!({"x": "soon"}), "x").is_err());
    }
}
