//! `kpot new event|notice`: the file a partner fills in.
//!
//! Partners are not programmers, so the skeleton carries every field with a
//! short comment in Japanese (and an English gloss), blanks written as `""`
//! that `kpot check` reports by name until they are filled, and a slug that
//! cannot clash with the partner's other pages.

use crate::check::owner;
use crate::content::frontmatter;
use crate::content::load::{parse_file_name, slugify};
use crate::content::{SectionType, skeleton};
use crate::diagnostics::Text;
use crate::when::{self, When};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Event,
    Notice,
}

impl Kind {
    fn folder(self) -> &'static str {
        match self {
            Kind::Event => "events",
            Kind::Notice => "notices",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Event => "event",
            Kind::Notice => "notice",
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewOptions {
    pub root: PathBuf,
    pub kind: Kind,
    pub org: String,
    pub title: Option<String>,
    pub slug: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub format: Option<String>,
    pub venue: Option<String>,
    pub opens: Option<String>,
    pub closes: Option<String>,
    pub now: Option<String>,
}

#[derive(Debug)]
pub struct Written {
    /// The new file, relative to the site root.
    pub path: PathBuf,
    /// Things the partner should know (a folder the editors must set up).
    pub notes: Vec<Text>,
}

#[derive(Debug)]
pub enum NewError {
    /// A value given on the command line is wrong (exit 1).
    Usage(Text),
    /// Nothing could be written (exit 2).
    Fatal(Text),
}

/// Writes the skeleton and returns where.
pub fn run(options: &NewOptions) -> Result<Written, NewError> {
    let root = &options.root;
    if !root.is_dir() {
        return Err(NewError::Fatal(Text::new(
            format!("サイトのフォルダ {} がありません", root.display()),
            format!("the site folder {} does not exist", root.display()),
        )));
    }
    let (data, _) = crate::data::load(root);
    owner::known(&options.org, &data).map_err(NewError::Usage)?;
    let today = when::now_or(options.now.as_deref())
        .map_err(|err| {
            NewError::Usage(Text::new(
                format!("--now を読めません: {err}"),
                format!("cannot read --now: {err}"),
            ))
        })?
        .date_naive();
    for (flag, value) in [
        ("start", &options.start),
        ("end", &options.end),
        ("opens", &options.opens),
        ("closes", &options.closes),
    ] {
        if let Some(value) = value {
            check_date(flag, value)?;
        }
    }
    let folder_rel = format!("content/{}/{}", options.kind.folder(), options.org);
    let folder = root.join(&folder_rel);
    let taken = taken_slugs(&folder);
    let base = base_slug(options, today)?;
    let slug = unique(&base, &taken, &folder);
    let text = match options.kind {
        Kind::Event => event(options, &slug, today),
        Kind::Notice => notice(options, &slug, today),
    };
    let section = match options.kind {
        Kind::Event => SectionType::Events,
        Kind::Notice => SectionType::Notices,
    };
    let notes = skeleton::of(section).map(body_note).into_iter().collect();
    std::fs::create_dir_all(&folder).map_err(|err| cannot_write(&folder, &err))?;
    let rel = PathBuf::from(format!("{folder_rel}/{slug}.md"));
    let path = root.join(&rel);
    // create_new: never overwrite, even if a file appeared meanwhile.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|err| cannot_write(&path, &err))?;
    file.write_all(text.as_bytes())
        .map_err(|err| cannot_write(&path, &err))?;
    Ok(Written { path: rel, notes })
}

fn cannot_write(path: &Path, err: &std::io::Error) -> NewError {
    NewError::Fatal(Text::new(
        format!("{} に書き込めません: {err}", path.display()),
        format!("cannot write {}: {err}", path.display()),
    ))
}

fn check_date(flag: &str, value: &str) -> Result<(), NewError> {
    match When::parse(value) {
        Ok(_) => Ok(()),
        Err(_) => {
            let example = crate::content::fields::date_hint(value)
                .unwrap_or_else(|| "2027-02-15T13:30:00".to_string());
            Err(NewError::Usage(Text::new(
                format!("--{flag} の `{value}` は日付として読めません。例: --{flag} {example}"),
                format!("--{flag} `{value}` is not a date; for example --{flag} {example}"),
            )))
        }
    }
}

/// `--slug`, else an ASCII title made a slug, else `2027-02-15-event`.
fn base_slug(options: &NewOptions, today: chrono::NaiveDate) -> Result<String, NewError> {
    if let Some(slug) = &options.slug {
        let ok = !slug.is_empty()
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !slug.starts_with('-')
            && !slug.ends_with('-');
        if !ok {
            let fixed = slugify(slug);
            return Err(NewError::Usage(Text::new(
                format!(
                    "--slug `{slug}` は使えません。半角の英小文字・数字・ハイフンだけにしてください{}",
                    if fixed.is_ascii() && !fixed.is_empty() {
                        format!("（例: {fixed}）")
                    } else {
                        String::new()
                    }
                ),
                format!(
                    "--slug `{slug}` cannot be used: use lower-case ASCII letters, digits and hyphens{}",
                    if fixed.is_ascii() && !fixed.is_empty() {
                        format!(" (e.g. {fixed})")
                    } else {
                        String::new()
                    }
                ),
            )));
        }
        return Ok(slug.clone());
    }
    if let Some(title) = &options.title {
        let slug = slugify(title);
        if !slug.is_empty() && slug.is_ascii() && slug.len() <= 60 {
            return Ok(slug.replace('_', "-"));
        }
    }
    Ok(format!("{today}-{}", options.kind.name()))
}

/// Slugs the folder's pages already use: file names (without date prefix
/// and language) and explicit `slug` keys.
fn taken_slugs(folder: &Path) -> BTreeSet<String> {
    let mut taken = BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(folder) else {
        return taken;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if path.is_dir() {
            taken.insert(name.clone());
            if let Ok(parsed) = parse_file_name(&format!("{name}.md")) {
                taken.insert(parsed.stem);
            }
            continue;
        }
        if !name.ends_with(".md") {
            continue;
        }
        if let Ok(parsed) = parse_file_name(&name) {
            taken.insert(parsed.stem);
        }
        taken.insert(
            name.trim_end_matches(".md")
                .trim_end_matches(".en")
                .to_string(),
        );
        if let Some(slug) = explicit_slug(&path) {
            taken.insert(slug);
        }
    }
    taken
}

fn explicit_slug(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?.replace("\r\n", "\n");
    let split = frontmatter::split(&text).ok()??;
    let map = frontmatter::parse(&split).ok()?;
    map.get("slug")?.as_str().map(str::to_string)
}

/// `base`, or `base-2`, `base-3` … whichever is free.
fn unique(base: &str, taken: &BTreeSet<String>, folder: &Path) -> String {
    let free = |slug: &str| !taken.contains(slug) && !folder.join(format!("{slug}.md")).exists();
    if free(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|slug| free(slug))
        .expect("some number is free")
}

/// A TOML string literal.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn value(given: &Option<String>) -> String {
    quoted(given.as_deref().unwrap_or(""))
}

/// Tells the partner that the body must be written too: `kpot check`
/// reports the sample sentence and the empty headings until it is.
fn body_note(skeleton: &skeleton::Skeleton) -> Text {
    let titles: Vec<String> = skeleton
        .headings
        .iter()
        .map(|h| format!("「{}」", h.title))
        .collect();
    Text::new(
        format!(
            "本文の見本の文（{}…）を書き換え、見出し{}の下を書いてください。",
            skeleton.placeholder,
            titles.join("")
        ),
        format!(
            "replace the sample sentence ({}…) and write under the headings {}.",
            skeleton.placeholder,
            titles.join(" ")
        ),
    )
}

/// The body below the front matter: a sample sentence and the headings to
/// fill in, which `kpot check` reports until they are replaced.
fn skeleton_body(section: SectionType) -> String {
    skeleton::of(section).map_or_else(String::new, |s| s.body())
}

/// The lines every page starts with.
fn page_head(options: &NewOptions, slug: &str, today: chrono::NaiveDate) -> String {
    format!(
        r#"+++
# タイトル（必須）/ Title (required)
title = {title}
# 一覧や検索結果に出る一文の説明 / One sentence shown in lists and search results
description = ""
# 掲載日 / Publication date
date = {today}
# URL の最後の部分（半角の英小文字・数字・ハイフン）/ Last part of the URL
slug = {slug}
# true にすると公開されません（下書き）/ true keeps the page unpublished
draft = false

[taxonomies]
# 分野。例: ["販路開拓", "事業再生"] / Categories
categories = []
# 地域。例: ["横浜"] / Regions
regions = []

[extra]
"#,
        title = value(&options.title),
        slug = quoted(slug),
    )
}

fn event(options: &NewOptions, slug: &str, today: chrono::NaiveDate) -> String {
    let mut out = page_head(options, slug, today);
    let _ = write!(
        out,
        r#"# 開始日時（必須）。例: "2027-02-15T13:30:00"（日本時間）、終日なら "2027-02-15" / Start (required)
start = {start}
# 終了日時。空なら開始と同じ / End; empty means the same as start
end = {end}
# 開催形式（必須）: "onsite"（会場）、"online"（オンライン）、"hybrid"（両方）/ Format (required)
format = {format}
# 会場名（オンラインのみでなければ必須）/ Venue (required unless online)
venue = {venue}
# 会場の住所 / Address of the venue
address = ""
# オンライン参加の URL（https:// から）/ URL to join online
online_url = ""
# 参加費（円、半角数字のみ。無料は 0）。例: fee = 3000 / Fee in yen, digits only, 0 = free
fee = ""
# 定員（人数、半角数字のみ）。例: capacity = 50 / Capacity
capacity = ""
# 申込ページの URL（https:// から）/ Registration page
registration_url = ""
# 申込締切（開始より前）。例: "2027-02-10" / Registration deadline (not after start)
registration_deadline = ""
# 主催の機関 ID（このフォルダの名前。変えないでください）/ Organizer: this folder's id, do not change
organizer = {org}
# 共催（機関 ID か名前）。例: ["kanagawa-pref", "横浜市"] / Co-organizers
co_organizers = []
# 状態: "scheduled"（予定どおり）、"cancelled"（中止）、"postponed"（延期）/ Status
event_status = "scheduled"
# 問い合わせ先（電話番号やメールアドレス）/ Contact
contact = ""
+++
"#,
        start = value(&options.start),
        end = value(&options.end),
        format = value(&options.format),
        venue = value(&options.venue),
        org = quoted(&options.org),
    );
    out.push_str(&skeleton_body(SectionType::Events));
    out
}

fn notice(options: &NewOptions, slug: &str, today: chrono::NaiveDate) -> String {
    let mut out = page_head(options, slug, today);
    let _ = write!(
        out,
        r#"# 受付開始日。例: "2027-04-01"（空なら掲載時から受付中）/ Applications open
opens = {opens}
# 締切日時（必須）。日付だけならその日の 23:59 まで。例: "2027-05-31" / Applications close (required)
closes = {closes}
# 上限額（円、半角数字のみ）。例: max_amount = 1000000 / Maximum amount in yen
max_amount = ""
# 補助率。例: "2/3" / Subsidy rate
subsidy_rate = ""
# 対象となる事業者 / Who may apply
eligibility = ""
# 主催の機関 ID（このフォルダの名前。変えないでください）/ Organizer: this folder's id, do not change
organizer = {org}
# 実施機関（主催と違うとき。例: "経済産業省"）/ Issuing body, when not the organizer
issuer = ""
# 公式ページの URL（https:// から）/ Official page
official_url = ""
+++
"#,
        opens = value(&options.opens),
        closes = value(&options.closes),
        org = quoted(&options.org),
    );
    out.push_str(&skeleton_body(SectionType::Notices));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> NewOptions {
        NewOptions {
            root: PathBuf::new(),
            kind: Kind::Event,
            org: "kip".into(),
            title: None,
            slug: None,
            start: None,
            end: None,
            format: None,
            venue: None,
            opens: None,
            closes: None,
            now: None,
        }
    }

    #[test]
    fn slugs_come_from_the_flag_an_ascii_title_or_the_date() {
        let today = chrono::NaiveDate::from_ymd_opt(2027, 2, 15).unwrap();
        let mut o = options();
        assert_eq!(base_slug(&o, today).unwrap(), "2027-02-15-event");
        o.title = Some("商談会".into());
        assert_eq!(base_slug(&o, today).unwrap(), "2027-02-15-event");
        o.title = Some("Business Matching 2027!".into());
        assert_eq!(base_slug(&o, today).unwrap(), "business-matching-2027");
        o.slug = Some("Bad Slug".into());
        assert!(base_slug(&o, today).is_err());
    }

    #[test]
    fn the_skeleton_names_every_typed_field_once() {
        let today = chrono::NaiveDate::from_ymd_opt(2027, 2, 15).unwrap();
        let text = event(&options(), "a", today);
        use crate::content::schema::{EVENT, NOTICE, form_fields};
        for field in form_fields(EVENT).map(|f| f.key) {
            assert_eq!(text.matches(&format!("\n{field} = ")).count(), 1, "{field}");
        }
        let text = notice(&options(), "a", today);
        for field in form_fields(NOTICE).map(|f| f.key) {
            assert_eq!(text.matches(&format!("\n{field} = ")).count(), 1, "{field}");
        }
        assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
