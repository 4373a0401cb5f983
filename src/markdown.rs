//! Markdown to safe HTML.
//!
//! Partner Markdown is untrusted: link schemes are checked on every link, and
//! a document that contains raw HTML goes through ammonia as a whole.

use crate::content::fields::check_url;
use crate::content::load::slugify;
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};
use std::collections::HashMap;
use std::sync::OnceLock;

/// What rendering a Markdown body gives.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    pub html: String,
    /// The HTML before `<!-- more -->`, when the author marked one.
    pub summary: Option<String>,
    pub headings: Vec<Heading>,
    /// The text without markup, for search and descriptions.
    pub text: String,
    /// `@/path.md#anchor` links, checked once every page's headings are
    /// known.
    pub anchor_links: Vec<AnchorLink>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnchorLink {
    pub line: usize,
    pub column: usize,
    pub path: String,
    pub anchor: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// A link the author wrote that cannot be followed, or raw HTML that the
/// sanitizer will take out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkProblem {
    /// Line within the Markdown body (1-based).
    pub line: usize,
    /// Column in that line (1-based, in characters).
    pub column: usize,
    /// The link as written, or the offending piece of HTML.
    pub target: String,
    pub kind: LinkProblemKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkProblemKind {
    /// `@/path.md` names no page.
    Missing,
    /// A scheme other than http, https, mailto or tel.
    Scheme,
    /// Raw HTML with a script, an event handler, a `javascript:` URL, a
    /// frame or similar: removed from the output, reported as a warning so
    /// the author knows their page will not look as they meant.
    UnsafeHtml,
}

/// Resolves `@/path.md` links to URLs.
pub trait LinkResolver {
    fn resolve(&self, content_path: &str) -> Option<String>;
}

pub const MORE_MARKER: &str = "<!-- more -->";

/// The Markdown extensions kpot renders with (shared with
/// [`crate::content::skeleton`], which must read headings as they render).
pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders a body; problems with links are reported, and the offending link
/// is made harmless rather than dropped.
pub fn render(markdown: &str, links: &dyn LinkResolver) -> (Rendered, Vec<LinkProblem>) {
    let mut problems = Vec::new();
    let mut anchor_links = Vec::new();
    let (html, headings, text) = render_part(markdown, links, &mut problems, &mut anchor_links);
    let summary = markdown
        .find(MORE_MARKER)
        .map(|at| render_part(&markdown[..at], links, &mut Vec::new(), &mut Vec::new()).0);
    (
        Rendered {
            html,
            summary,
            headings,
            text,
            anchor_links,
        },
        problems,
    )
}

fn render_part(
    markdown: &str,
    links: &dyn LinkResolver,
    problems: &mut Vec<LinkProblem>,
    anchors: &mut Vec<AnchorLink>,
) -> (String, Vec<Heading>, String) {
    let line_of = |offset: usize| line_column(markdown, offset);
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut raw_html = false;
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        let event = match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest = check_link(&dest_url, links, line_of(range.start), problems, anchors);
                Event::Start(Tag::Link {
                    link_type,
                    dest_url: dest,
                    title,
                    id,
                })
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest = check_link(&dest_url, links, line_of(range.start), problems, anchors);
                Event::Start(Tag::Image {
                    link_type,
                    dest_url: dest,
                    title,
                    id,
                })
            }
            Event::Html(ref h) | Event::InlineHtml(ref h) => {
                if h.trim() != MORE_MARKER {
                    raw_html = true;
                    for (at, what) in unsafe_html(h) {
                        let (line, column) = line_of(range.start + at);
                        problems.push(LinkProblem {
                            line,
                            column,
                            target: what.to_string(),
                            kind: LinkProblemKind::UnsafeHtml,
                        });
                    }
                }
                event
            }
            other => other,
        };
        events.push(event);
    }
    drop_japanese_soft_breaks(&mut events);
    let headings = assign_heading_ids(&mut events);
    let text = plain_text(&events);
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    if raw_html {
        out = sanitizer().clean(&out).to_string();
    }
    (out, headings, text)
}

fn check_link<'a>(
    dest: &CowStr<'a>,
    links: &dyn LinkResolver,
    (line, column): (usize, usize),
    problems: &mut Vec<LinkProblem>,
    anchors: &mut Vec<AnchorLink>,
) -> CowStr<'a> {
    if let Some(internal) = dest.strip_prefix("@/") {
        let (path, anchor) = match internal.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (internal, None),
        };
        return match links.resolve(path) {
            Some(url) => {
                if let Some(anchor) = anchor {
                    anchors.push(AnchorLink {
                        line,
                        column,
                        path: path.to_string(),
                        anchor: anchor.to_string(),
                    });
                    CowStr::from(format!("{url}#{anchor}"))
                } else {
                    CowStr::from(url)
                }
            }
            None => {
                problems.push(LinkProblem {
                    line,
                    column,
                    target: dest.to_string(),
                    kind: LinkProblemKind::Missing,
                });
                CowStr::from("#")
            }
        };
    }
    match check_url(dest) {
        Ok(()) => dest.clone(),
        Err(_) => {
            problems.push(LinkProblem {
                line,
                column,
                target: dest.to_string(),
                kind: LinkProblemKind::Scheme,
            });
            CowStr::from("#")
        }
    }
}

/// The 1-based line and column (in characters) of a byte offset; offsets
/// inside a character count as that character.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Tags the sanitizer removes because they run code, load other pages or
/// restyle the portal.
const UNSAFE_TAGS: [&str; 11] = [
    "<script", "<iframe", "<frame", "<object", "<embed", "<applet", "<form", "<base", "<meta",
    "<link", "<style",
];

/// The pieces of a raw HTML fragment that will not survive sanitizing, by
/// byte offset: unsafe tags, `on…=` event handlers and script URLs.
pub fn unsafe_html(html: &str) -> Vec<(usize, &str)> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for tag in UNSAFE_TAGS {
        if let Some(at) = lower.find(tag) {
            let end = lower[at + 1..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .map_or(lower.len(), |e| at + 1 + e);
            found.push((at, &html[at..end]));
        }
    }
    for scheme in ["javascript:", "vbscript:", "data:"] {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(scheme) {
            let at = from + pos;
            let quoted = lower[..at]
                .trim_end_matches([' ', '"', '\''])
                .ends_with('=');
            if scheme != "data:" || quoted {
                found.push((at, &html[at..at + scheme.len()]));
                break;
            }
            from = at + scheme.len();
        }
    }
    let bytes = lower.as_bytes();
    let mut in_tag = false;
    for i in 0..bytes.len() {
        match bytes[i] {
            b'<' => in_tag = true,
            b'>' => in_tag = false,
            b'o' if in_tag
                && bytes.get(i + 1) == Some(&b'n')
                && i > 0
                && matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'/' | b'"' | b'\'') =>
            {
                let name_end = (i + 2..bytes.len())
                    .find(|&j| !bytes[j].is_ascii_alphabetic())
                    .unwrap_or(bytes.len());
                let after = lower[name_end..].trim_start();
                if name_end > i + 2 && after.starts_with('=') {
                    found.push((i, &html[i..name_end]));
                }
            }
            _ => {}
        }
    }
    found.sort();
    found
}

/// A line break inside a Japanese paragraph is not a space: Japanese puts no
/// spaces between words, so a soft break between two Japanese characters
/// renders as nothing.
fn drop_japanese_soft_breaks(events: &mut Vec<Event<'_>>) {
    let mut keep = vec![true; events.len()];
    for i in 0..events.len() {
        if !matches!(events[i], Event::SoftBreak) {
            continue;
        }
        let before = events[..i].iter().rev().find_map(text_edge(true));
        let after = events[i + 1..].iter().find_map(text_edge(false));
        if before.flatten().is_some_and(is_cjk) && after.flatten().is_some_and(is_cjk) {
            keep[i] = false;
        }
    }
    let mut index = 0;
    events.retain(|_| {
        let k = keep[index];
        index += 1;
        k
    });
}

/// The character next to a soft break, looking through inline markup such
/// as links and emphasis: `Some(Some(c))` at text, `Some(None)` at anything
/// that ends the search (a block boundary, an image), `None` to look further.
fn text_edge(last: bool) -> impl Fn(&Event<'_>) -> Option<Option<char>> {
    move |event| match event {
        Event::Text(t) | Event::Code(t) => Some(if last {
            t.chars().next_back()
        } else {
            t.chars().next()
        }),
        Event::Start(Tag::Link { .. } | Tag::Emphasis | Tag::Strong | Tag::Strikethrough)
        | Event::End(TagEnd::Link | TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough) => {
            None
        }
        _ => Some(None),
    }
}

/// Characters of Japanese (and Chinese) text, including the full-width
/// punctuation that ends Japanese sentences.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F   // CJK punctuation
        | 0x3040..=0x30FF // hiragana, katakana
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0xFF00..=0xFFEF // full-width forms
        | 0x20000..=0x2FA1F)
}

/// Gives every heading an id (its own `{#id}` or a slug of its text, made
/// unique), so headings can be linked to.
fn assign_heading_ids(events: &mut [Event<'_>]) -> Vec<Heading> {
    let mut headings = Vec::new();
    let mut used: HashMap<String, usize> = HashMap::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { level, id, .. }) = &events[i] {
            let level = *level;
            let explicit = id.as_ref().map(|s| s.to_string());
            let mut title = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j] {
                    title.push_str(t);
                }
                j += 1;
            }
            let base = explicit.unwrap_or_else(|| {
                let slug = slugify(&title);
                if slug.is_empty() {
                    "section".into()
                } else {
                    slug
                }
            });
            let count = used.entry(base.clone()).or_insert(0);
            let unique = if *count == 0 {
                base.clone()
            } else {
                format!("{base}-{count}")
            };
            *count += 1;
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                *id = Some(CowStr::from(unique.clone()));
            }
            headings.push(Heading {
                level: heading_number(level),
                id: unique,
                title,
            });
            i = j;
        }
        i += 1;
    }
    headings
}

fn heading_number(level: HeadingLevel) -> u8 {
    level as u8
}

fn plain_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            // Block ends and line breaks separate words; inline markup
            // (links, emphasis) does not.
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::List(_)
                | TagEnd::FootnoteDefinition,
            ) if !text.ends_with([' ', '\n']) => {
                text.push(' ');
            }
            _ => {}
        }
    }
    text.trim().to_string()
}

/// The HTML allowed through from content: ordinary document markup, no
/// scripts, no event handlers, no styles, no frames, safe URL schemes only.
fn sanitizer() -> &'static ammonia::Builder<'static> {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
            .add_generic_attributes(["id", "lang"])
            .add_tags(["input", "sup", "section", "figure", "figcaption"])
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            .add_tag_attributes("td", ["style"])
            .add_tag_attributes("th", ["style"])
            .add_tag_attributes("div", ["class"])
            .add_tag_attributes("sup", ["class"])
            .link_rel(Some("noopener noreferrer"));
        builder
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Links;
    impl LinkResolver for Links {
        fn resolve(&self, path: &str) -> Option<String> {
            (path == "programs/a.md").then(|| "/programs/a/".to_string())
        }
    }

    fn html(md: &str) -> String {
        render(md, &Links).0.html
    }

    #[test]
    fn japanese_soft_breaks_vanish_but_english_ones_stay() {
        assert_eq!(
            html("事業再生を\n支援します。"),
            "<p>事業再生を支援します。</p>\n"
        );
        assert_eq!(
            html("business\nturnaround"),
            "<p>business\nturnaround</p>\n"
        );
    }

    #[test]
    fn internal_links_resolve_and_broken_ones_are_reported() {
        let (r, problems) = render(
            "[a](@/programs/a.md) [b](@/nope.md)\n\n[c](@/programs/a.md#x)",
            &Links,
        );
        assert!(r.html.contains(r#"href="/programs/a/""#));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, LinkProblemKind::Missing);
        assert_eq!(problems[0].line, 1);
        assert_eq!(
            r.anchor_links,
            vec![AnchorLink {
                line: 3,
                column: 1,
                path: "programs/a.md".into(),
                anchor: "x".into()
            }]
        );
    }

    #[test]
    fn hostile_html_is_removed() {
        let out = html(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<a href=\"javascript:alert(1)\">x</a>\n\n<iframe src=\"https://evil.example\"></iframe>",
        );
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("onerror"), "{out}");
        assert!(!out.contains("javascript:"), "{out}");
        assert!(!out.contains("<iframe"), "{out}");
    }

    #[test]
    fn hostile_html_is_reported_where_it_is() {
        let (_, problems) = render(
            "text\n\n<img src=x onerror=alert(1)>\n\n<p>ok</p> <a href='JavaScript:x'>y</a>\n\n<div>data: 3, online = yes</div>",
            &Links,
        );
        let found: Vec<(usize, usize, &str)> = problems
            .iter()
            .map(|p| (p.line, p.column, p.target.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![(3, 12, "onerror"), (5, 20, "JavaScript:")],
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .all(|p| p.kind == LinkProblemKind::UnsafeHtml)
        );
        let tags = unsafe_html("<SCRIPT>x</SCRIPT><iframe src=a>");
        assert_eq!(tags, vec![(0, "<SCRIPT"), (18, "<iframe")]);
    }

    #[test]
    fn markdown_links_with_bad_schemes_are_neutralised() {
        let (r, problems) = render("[x](javascript:alert(1)) [y](JAVASCRIPT:alert(1))", &Links);
        assert!(!r.html.to_lowercase().contains("javascript"), "{}", r.html);
        assert_eq!(problems.len(), 2);
    }

    #[test]
    fn extensions_and_heading_ids() {
        let r = render("## 概要\n\n## 概要\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~x~~ [^1]\n\n- [x] done\n\n[^1]: note", &Links).0;
        assert!(r.html.contains(r#"<h2 id="概要">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="概要-1">"#));
        assert!(r.html.contains("<table>"));
        assert!(r.html.contains("<del>"));
        assert!(r.html.contains("footnote"));
        assert!(r.html.contains("checkbox"));
        assert_eq!(r.headings.len(), 2);
    }

    #[test]
    fn the_more_marker_cuts_a_summary() {
        let r = render("first\n\n<!-- more -->\n\nsecond", &Links).0;
        assert_eq!(r.summary.as_deref(), Some("<p>first</p>\n"));
        assert!(r.html.contains("second"));
    }
}
