//! The newsletter digest.
//!
//! `kpot newsletter` chooses what goes in an issue and writes it as a page,
//! `content/newsletter/<YYYY-MM-DD>.md` and `.en.md`, to be committed: the
//! front matter's `[extra.newsletter]` lists the content paths of the items
//! (new since the last issue, notices closing within 14 days, events in the
//! next 30 days) and the body is the editor's lead. Every build renders each
//! issue as its archive page (template `newsletter.html`) and, beside it,
//! `newsletter.txt` (72 columns, full-width characters counted as two) and
//! `newsletter.eml` (multipart/alternative, built with lettre). Statuses in
//! an issue are those of its date, so an archived issue never changes.

use super::{display_title, is_profile, published, t};
use crate::content::{PageKind, Status};
use crate::format::{self, Lang};
use crate::render::{Output, Payload, Site};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate};
use serde::Serialize;
use unicode_width::UnicodeWidthChar;

/// The folder of issues under `content/`.
pub const SECTION: &str = "newsletter";
/// Text width of `newsletter.txt`, in columns.
pub const COLUMNS: usize = 72;
/// Events starting within this many days are listed.
pub const UPCOMING_DAYS: i64 = 30;

/// What `kpot newsletter` was asked for.
#[derive(Clone, Debug)]
pub struct Request {
    pub since: NaiveDate,
    pub until: NaiveDate,
    /// The instant statuses are evaluated at (the start of `until` unless
    /// `--now` falls on that day).
    pub at: DateTime<FixedOffset>,
    /// Category slugs or labels; empty means every item.
    pub categories: Vec<String>,
}

/// The content paths chosen for an issue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub new: Vec<String>,
    pub closing: Vec<String>,
    pub upcoming: Vec<String>,
}

/// Chooses the items of an issue from the Japanese catalog (every item has
/// a Japanese original).
pub fn select(site: &Site<'_>, request: &Request) -> Selection {
    let mut new: Vec<(u8, i64, String)> = Vec::new();
    let mut closing: Vec<(i64, String)> = Vec::new();
    let mut upcoming: Vec<(i64, String)> = Vec::new();
    let horizon = request.at + Duration::days(UPCOMING_DAYS);
    for (_, item) in site.catalog.items_in(Lang::Ja) {
        let page = &site.content.pages[item.page];
        if page.meta.draft || is_profile(site, page) || matches!(page.kind, PageKind::Plain) {
            continue;
        }
        if !request.categories.is_empty() {
            let terms = site.terms(page, "categories", Lang::Ja);
            let wanted = request.categories.iter().any(|c| {
                let (slug, _) = site.resolve_term("categories", c, Lang::Ja);
                terms.iter().any(|t| t.slug == slug || t.name == *c)
            });
            if !wanted {
                continue;
            }
        }
        if let Some(day) = published(page).map(|d| d.day())
            && day >= request.since
            && day <= request.until
        {
            let rank = match page.kind {
                PageKind::Event(_) => 0,
                PageKind::Notice(_) => 1,
                _ => 2,
            };
            let when = published(page).map_or(0, |d| d.start().timestamp());
            new.push((rank, -when, page.key.clone()));
        }
        match &page.kind {
            PageKind::Notice(n) if n.status(request.at) == Status::Closing => {
                closing.push((n.closes.end().timestamp(), page.key.clone()))
            }
            PageKind::Event(e)
                if e.start.start() >= request.at
                    && e.start.start() <= horizon
                    && e.status(request.at) != Status::Ended =>
            {
                upcoming.push((e.start.start().timestamp(), page.key.clone()))
            }
            _ => {}
        }
    }
    new.sort();
    closing.sort();
    upcoming.sort();
    Selection {
        new: new.into_iter().map(|(_, _, k)| k).collect(),
        closing: closing.into_iter().map(|(_, k)| k).collect(),
        upcoming: upcoming.into_iter().map(|(_, k)| k).collect(),
    }
}

/// Writes the issue's two pages (and the section's `_index.md` files if the
/// site has none yet); returns the paths written, relative to the root.
pub fn write_issue(
    site: &Site<'_>,
    root: &std::path::Path,
    request: &Request,
    selection: &Selection,
    force: bool,
) -> Result<Vec<String>, String> {
    let dir = root.join("content").join(SECTION);
    let date = request.until.format("%Y-%m-%d").to_string();
    let mut files: Vec<(String, String)> = Vec::new();
    for lang in Lang::ALL {
        let name = match lang {
            Lang::Ja => format!("{date}.md"),
            Lang::En => format!("{date}.en.md"),
        };
        files.push((name, issue_page(site, lang, request, selection)));
    }
    for lang in Lang::ALL {
        let name = match lang {
            Lang::Ja => "_index.md",
            Lang::En => "_index.en.md",
        };
        if !dir.join(name).exists() {
            files.push((
                name.to_string(),
                format!(
                    "+++\ntitle = {}\ndescription = {}\nsort_by = \"date\"\npaginate_by = 20\n+++\n\n{}\n",
                    toml_string(t(site, lang, "newsletter_archive")),
                    toml_string(t(site, lang, "newsletter_archive_description")),
                    t(site, lang, "newsletter_archive_description"),
                ),
            ));
        }
    }
    if !force {
        for (name, _) in files.iter().take(2) {
            if dir.join(name).exists() {
                return Err(format!(
                    "content/{SECTION}/{name} exists (use --force to replace it)"
                ));
            }
        }
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("content/{SECTION}: {e}"))?;
    let mut written = Vec::new();
    for (name, text) in files {
        std::fs::write(dir.join(&name), text).map_err(|e| format!("{name}: {e}"))?;
        written.push(format!("content/{SECTION}/{name}"));
    }
    Ok(written)
}

fn toml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| toml_string(s)).collect();
    if quoted.is_empty() {
        "[]".into()
    } else {
        format!("[\n  {},\n]", quoted.join(",\n  "))
    }
}

/// The issue's title: "K-POT メールマガジン 2027年2月1日号".
fn issue_title(site: &Site<'_>, lang: Lang, day: NaiveDate) -> String {
    let date = match lang {
        Lang::Ja => format!("{}年{}月{}日", day.year(), day.month(), day.day()),
        Lang::En => day.format("%-d %B %Y").to_string(),
    };
    t(site, lang, "newsletter_issue")
        .replace("{title}", t(site, lang, "newsletter_title"))
        .replace("{date}", &date)
}

fn issue_lead(site: &Site<'_>, lang: Lang, since: NaiveDate, until: NaiveDate) -> String {
    t(site, lang, "newsletter_lead")
        .replace("{since}", &format::date(since, lang))
        .replace("{until}", &format::date(until, lang))
        .replace("{days}", &UPCOMING_DAYS.to_string())
}

fn issue_page(site: &Site<'_>, lang: Lang, request: &Request, selection: &Selection) -> String {
    let title = issue_title(site, lang, request.until);
    let lead = issue_lead(site, lang, request.since, request.until);
    format!(
        "+++\ntitle = {}\ndate = {}\n\n[extra.newsletter]\nsince = \"{}\"\nuntil = \"{}\"\nat = \"{}\"\ncategories = {}\nnew = {}\nclosing = {}\nupcoming = {}\n+++\n\n{}\n",
        toml_string(&title),
        request.until.format("%Y-%m-%d"),
        request.since.format("%Y-%m-%d"),
        request.until.format("%Y-%m-%d"),
        request.at.format("%Y-%m-%dT%H:%M:%S%:z"),
        toml_list(&request.categories),
        toml_list(&selection.new),
        toml_list(&selection.closing),
        toml_list(&selection.upcoming),
        lead,
    )
}

// ----------------------------------------------------------------------
// Rendering an issue.

/// An issue as templates, the text and the mail see it.
#[derive(Clone, Debug, Serialize)]
pub struct IssueView {
    pub lang: Lang,
    pub title: String,
    pub date: String,
    pub since: String,
    pub until: String,
    pub lead: String,
    pub url: String,
    pub permalink: String,
    pub text_url: String,
    pub mail_url: String,
    pub archive_url: String,
    pub site_title: String,
    pub site_url: String,
    pub sections: Vec<IssueSection>,
    pub unsubscribe: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct IssueSection {
    pub id: &'static str,
    pub heading: String,
    pub empty: String,
    pub items: Vec<IssueItem>,
}

#[derive(Clone, Debug, Serialize)]
pub struct IssueItem {
    pub title: String,
    pub url: String,
    pub kind: &'static str,
    pub kind_label: String,
    pub new: bool,
    pub japanese_only: bool,
    pub facts: Vec<(String, String)>,
    pub description: Option<String>,
}

struct IssueData {
    since: NaiveDate,
    until: NaiveDate,
    at: DateTime<FixedOffset>,
    selection: Selection,
}

fn issue_data(page: &crate::content::Page) -> Option<IssueData> {
    if page.section != SECTION {
        return None;
    }
    let extra = page.meta.extra.get("newsletter")?.as_object()?;
    let day = |key: &str| {
        extra
            .get(key)
            .and_then(|v| v.as_str())
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    };
    let list = |key: &str| -> Vec<String> {
        extra
            .get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let until = day("until").or_else(|| page.meta.date.map(|d| d.day()))?;
    let since = day("since").unwrap_or(until);
    let at = extra
        .get("at")
        .and_then(|v| v.as_str())
        .and_then(|s| crate::when::When::parse(s).ok())
        .map_or_else(|| crate::when::When::Day(until).start(), |w| w.start());
    Some(IssueData {
        since,
        until,
        at,
        selection: Selection {
            new: list("new"),
            closing: list("closing"),
            upcoming: list("upcoming"),
        },
    })
}

/// The view of an issue page, or `None` for any other page.
pub fn view(site: &Site<'_>, index: usize) -> Option<IssueView> {
    let item = &site.catalog.items[index];
    let page = &site.content.pages[item.page];
    let data = issue_data(page)?;
    let lang = item.lang;
    let resolve = |key: &String| site.catalog.item_index(key, lang);
    let new_keys: std::collections::BTreeSet<&String> = data.selection.new.iter().collect();
    let listed_elsewhere: std::collections::BTreeSet<&String> = data
        .selection
        .closing
        .iter()
        .chain(&data.selection.upcoming)
        .collect();
    let make = |keys: Vec<&String>| -> Vec<IssueItem> {
        keys.into_iter()
            .filter_map(|key| resolve(key).map(|i| (key, i)))
            .map(|(key, i)| issue_item(site, i, data.at, new_keys.contains(key)))
            .collect()
    };
    let sections = vec![
        IssueSection {
            id: "new",
            heading: t(site, lang, "newsletter_new").to_string(),
            empty: t(site, lang, "newsletter_none").to_string(),
            items: make(
                data.selection
                    .new
                    .iter()
                    .filter(|k| !listed_elsewhere.contains(k))
                    .collect(),
            ),
        },
        IssueSection {
            id: "closing",
            heading: t(site, lang, "newsletter_closing").to_string(),
            empty: t(site, lang, "newsletter_none").to_string(),
            items: make(data.selection.closing.iter().collect()),
        },
        IssueSection {
            id: "upcoming",
            heading: t(site, lang, "newsletter_upcoming")
                .replace("{days}", &UPCOMING_DAYS.to_string()),
            empty: t(site, lang, "newsletter_none").to_string(),
            items: make(data.selection.upcoming.iter().collect()),
        },
    ];
    let lead = if item.fallback || page.body.trim().is_empty() {
        issue_lead(site, lang, data.since, data.until)
    } else {
        page.body.trim().to_string()
    };
    let settings = MailSettings::from_config(site);
    Some(IssueView {
        lang,
        title: page.meta.title.clone(),
        date: format::date(data.until, lang),
        since: format::date(data.since, lang),
        until: format::date(data.until, lang),
        lead,
        url: item.url.clone(),
        permalink: site.config.absolute(&item.url),
        text_url: format!("{}newsletter.txt", item.url),
        mail_url: format!("{}newsletter.eml", item.url),
        archive_url: format!("{}/{SECTION}/", lang.prefix()),
        site_title: site.config.title(lang).to_string(),
        site_url: site.config.absolute(&format!("{}/", lang.prefix())),
        sections,
        unsubscribe: settings.unsubscribe_url,
    })
}

fn issue_item(site: &Site<'_>, index: usize, at: DateTime<FixedOffset>, new: bool) -> IssueItem {
    let item = &site.catalog.items[index];
    let page = &site.content.pages[item.page];
    let kind = page.kind.name();
    let kind_label = match kind {
        "event" => t(site, item.lang, "nav_events"),
        "notice" => t(site, item.lang, "nav_notices"),
        "program" => t(site, item.lang, "nav_programs"),
        _ => "",
    };
    IssueItem {
        title: display_title(site, index),
        url: site.config.absolute(&item.url),
        kind,
        kind_label: kind_label.to_string(),
        new,
        japanese_only: item.fallback,
        facts: super::facts_at(site, index, at),
        description: page.meta.description.clone(),
    }
}

/// `[extra.newsletter]` in `config.toml`: the mail's addresses.
struct MailSettings {
    from: String,
    to: String,
    unsubscribe: Option<String>,
    unsubscribe_url: Option<String>,
}

impl MailSettings {
    fn from_config(site: &Site<'_>) -> MailSettings {
        let table = site
            .config
            .extra
            .get("newsletter")
            .and_then(|v| v.as_table());
        let get = |key: &str| {
            table
                .and_then(|t| t.get(key))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let host = super::calendar::host(&site.config.base_url);
        let from = get("from").unwrap_or_else(|| format!("K-POT <newsletter@{host}>"));
        let to = get("to").unwrap_or_else(|| from.clone());
        let unsubscribe = get("list_unsubscribe");
        let unsubscribe_url = unsubscribe.as_deref().and_then(|value| {
            value
                .split(',')
                .map(|s| s.trim().trim_start_matches('<').trim_end_matches('>'))
                .find(|s| s.starts_with("https://") || s.starts_with("http://"))
                .or_else(|| {
                    value
                        .split(',')
                        .map(|s| s.trim().trim_start_matches('<').trim_end_matches('>'))
                        .next()
                })
                .map(str::to_string)
        });
        MailSettings {
            from,
            to,
            unsubscribe,
            unsubscribe_url,
        }
    }
}

/// `newsletter.txt` and `newsletter.eml` beside every issue page.
pub fn outputs(site: &Site<'_>) -> Vec<Output> {
    let mut out = Vec::new();
    for (index, item) in site.catalog.items.iter().enumerate() {
        if item.fallback || site.content.pages[item.page].meta.draft {
            continue;
        }
        let Some(issue) = view(site, index) else {
            continue;
        };
        let text = plain_text(site, &issue);
        let dir = item.url.trim_start_matches('/');
        let html = mail_html(site, &issue);
        out.push(Output {
            path: format!("{dir}newsletter.txt"),
            payload: Payload::Bytes(text.clone().into_bytes()),
        });
        if let Some(eml) = mail(site, index, &issue, &text, &html) {
            out.push(Output {
                path: format!("{dir}newsletter.eml"),
                payload: Payload::Bytes(eml),
            });
        }
    }
    out
}

fn mail_html(site: &Site<'_>, issue: &IssueView) -> String {
    let ctx = minijinja::context! {
        issue => minijinja::Value::from(minijinja::value::Serde(issue)),
        lang => issue.lang.code(),
        t => minijinja::Value::from(minijinja::value::Serde(site.theme.strings(issue.lang))),
    };
    site.template("newsletter_mail.html", ctx)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|_| format!("<pre>{}</pre>", crate::render::xml_escape(&issue.lead)))
}

/// The issue as a mail: multipart/alternative with the text and the HTML,
/// Date, Message-ID and boundary derived from the issue, so two builds give
/// the same bytes.
fn mail(
    site: &Site<'_>,
    index: usize,
    issue: &IssueView,
    text: &str,
    html: &str,
) -> Option<Vec<u8>> {
    use lettre::message::header::{ContentType, HeaderName, HeaderValue};
    use lettre::message::{Mailbox, MultiPart, SinglePart};
    let item = &site.catalog.items[index];
    let page = &site.content.pages[item.page];
    let data = issue_data(page)?;
    let settings = MailSettings::from_config(site);
    let host = super::calendar::host(&site.config.base_url);
    let date = data.until.format("%Y-%m-%d").to_string();
    let lang = item.lang.code();
    let sent = crate::when::When::Day(data.until).start() + Duration::hours(9);
    let sent =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(sent.timestamp().max(0) as u64);
    let from: Mailbox = settings.from.parse().ok()?;
    let to: Mailbox = settings.to.parse().ok()?;
    let mut builder = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(issue.title.clone())
        .date(sent)
        .message_id(Some(format!("<newsletter-{date}.{lang}@{host}>")))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Content-Language"),
            lang.to_string(),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Id"),
            format!("{} <newsletter.{host}>", issue.site_title),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Archive"),
            format!("<{}>", site.config.absolute(&issue.archive_url)),
        ));
    if let Some(unsubscribe) = &settings.unsubscribe {
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            unsubscribe.clone(),
        ));
    }
    let body = MultiPart::alternative()
        .boundary(format!("kpot-newsletter-{date}-{lang}"))
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(text.replace('\n', "\r\n")),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(html.replace("\r\n", "\n").replace('\n', "\r\n")),
        );
    builder.multipart(body).ok().map(|m| m.formatted())
}

// ----------------------------------------------------------------------
// Plain text.

/// The display width of text in a terminal or mail client: full-width
/// characters count as two columns, and so do East Asian "ambiguous" ones
/// (■ ◆ ※ –), as Japanese fonts draw them.
pub fn width(text: &str) -> usize {
    text.chars().map(|c| c.width_cjk().unwrap_or(0)).sum()
}

/// Characters a Japanese line may not start with (kinsoku).
fn no_line_start(c: char) -> bool {
    "、。，．・：；？！ー）」』】〕｝〉》〜…‥ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ,.)]}:;!?%"
        .contains(c)
}

/// Wraps `text` to `columns`, each line after the first prefixed by
/// `indent` (and the first by `first`). English breaks at spaces, Japanese
/// between characters (not before closing punctuation); a URL or other long
/// word is never broken.
pub fn wrap(text: &str, first: &str, indent: &str, columns: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = if lines.is_empty() {
            first.to_string()
        } else {
            indent.to_string()
        };
        let prefix_width = width(&line);
        let mut line_width = prefix_width;
        // Tokens: runs of non-space ASCII (words, URLs), single spaces, and
        // single other characters.
        let mut tokens: Vec<String> = Vec::new();
        for c in paragraph.chars() {
            let ascii_word = c.is_ascii() && !c.is_ascii_whitespace();
            match tokens.last_mut() {
                Some(last)
                    if ascii_word
                        && last
                            .chars()
                            .last()
                            .is_some_and(|l| l.is_ascii() && !l.is_ascii_whitespace()) =>
                {
                    last.push(c)
                }
                _ => tokens.push(c.to_string()),
            }
        }
        let mut i = 0;
        while i < tokens.len() {
            let token = &tokens[i];
            let w = width(token);
            if token == " " && line_width == prefix_width {
                i += 1;
                continue;
            }
            let next_is_closing = tokens
                .get(i + 1)
                .and_then(|t| t.chars().next())
                .is_some_and(no_line_start);
            let need = w + if next_is_closing {
                width(&tokens[i + 1])
            } else {
                0
            };
            if line_width + need > columns && line_width > prefix_width {
                lines.push(line.trim_end().to_string());
                line = indent.to_string();
                line_width = width(indent);
                if token == " " {
                    i += 1;
                    continue;
                }
            }
            line.push_str(token);
            line_width += w;
            i += 1;
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// `newsletter.txt`: plain text for mail clients, 72 columns.
pub fn plain_text(site: &Site<'_>, issue: &IssueView) -> String {
    let rule_heavy = "=".repeat(COLUMNS);
    let rule = "-".repeat(COLUMNS);
    let sep = if issue.lang == Lang::Ja { "：" } else { ": " };
    let mut out: Vec<String> = Vec::new();
    out.extend(wrap(&issue.site_title, "", "", COLUMNS));
    out.extend(wrap(&issue.title, "", "", COLUMNS));
    out.push(rule_heavy.clone());
    out.push(String::new());
    out.extend(wrap(&issue.lead, "", "", COLUMNS));
    out.push(String::new());
    for section in &issue.sections {
        let count = match issue.lang {
            Lang::Ja => format!("（{}件）", section.items.len()),
            Lang::En => format!(" ({})", section.items.len()),
        };
        out.extend(wrap(
            &format!("{}{count}", section.heading),
            "■ ",
            "  ",
            COLUMNS,
        ));
        out.push(rule.clone());
        if section.items.is_empty() {
            out.extend(wrap(&section.empty, "", "", COLUMNS));
            out.push(String::new());
        }
        for item in &section.items {
            let mut title = item.title.clone();
            if item.new {
                title = match issue.lang {
                    Lang::Ja => format!("【{}】{title}", t(site, Lang::Ja, "newsletter_new_badge")),
                    Lang::En => format!("[{}] {title}", t(site, Lang::En, "newsletter_new_badge")),
                };
            }
            out.extend(wrap(&title, "◆ ", "  ", COLUMNS));
            if item.japanese_only {
                out.extend(wrap(
                    &format!("({})", t(site, issue.lang, "only_ja")),
                    "  ",
                    "  ",
                    COLUMNS,
                ));
            }
            for (label, value) in &item.facts {
                let head = format!("  {label}{sep}");
                let hang = " ".repeat(width(&head).min(24));
                out.extend(wrap(value, &head, &hang, COLUMNS));
            }
            out.extend(wrap(&item.url, "  ", "  ", COLUMNS));
            out.push(String::new());
        }
    }
    out.push(rule_heavy);
    let sep_en = if issue.lang == Lang::Ja { "：" } else { ": " };
    out.extend(wrap(
        &format!(
            "{}{sep_en}{}",
            t(site, issue.lang, "newsletter_web_version"),
            issue.permalink
        ),
        "",
        "  ",
        COLUMNS,
    ));
    out.extend(wrap(
        &format!(
            "{}{sep_en}{}",
            t(site, issue.lang, "newsletter_archive"),
            site.config.absolute(&issue.archive_url)
        ),
        "",
        "  ",
        COLUMNS,
    ));
    if let Some(url) = &issue.unsubscribe {
        out.extend(wrap(
            &format!(
                "{}{sep_en}{url}",
                t(site, issue.lang, "newsletter_unsubscribe")
            ),
            "",
            "  ",
            COLUMNS,
        ));
    }
    out.extend(wrap(t(site, issue.lang, "footer_note"), "", "", COLUMNS));
    let mut text = super::defang(&out.join("\n"));
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_japanese_by_width_and_keeps_closing_punctuation() {
        let text = "あ".repeat(40) + "。";
        let lines = wrap(&text, "", "", 72);
        assert!(lines.iter().all(|l| width(l) <= 72), "{lines:?}");
        assert!(!lines[1].starts_with('。'), "{lines:?}");
        assert_eq!(lines.concat(), text);
    }

    #[test]
    fn wraps_english_at_spaces_and_never_breaks_urls() {
        let url = format!("https://example.org/{}", "x".repeat(90));
        let text = format!("Read the whole issue at {url} today.");
        let lines = wrap(&text, "", "  ", 72);
        assert!(lines.iter().any(|l| l.trim() == url), "{lines:?}");
        assert!(
            lines
                .iter()
                .filter(|l| !l.contains(&url))
                .all(|l| width(l) <= 72)
        );
    }

    #[test]
    fn full_width_counts_two() {
        assert_eq!(width("ＫＩＰ商談会"), 12);
        assert_eq!(width("KIP"), 3);
        assert_eq!(width("■ "), 3);
    }
}
