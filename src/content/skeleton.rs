//! The body `kpot new` writes for a partner to fill in, and the check that
//! finds what was left unfilled. Both read the definitions here, so the
//! sentence `kpot new` writes is always the one `kpot check` looks for.
//!
//! The skeleton's sample sentence and its empty headings render as a page
//! like any other: left in, they publish a page that says nothing but
//! "write the content here". They are errors, so such a page never goes out.

use super::SectionType;
use crate::diagnostics::{Diagnostic, Text};
use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use std::path::Path;
use std::sync::LazyLock;

/// A heading the skeleton writes, which must have something under it.
pub struct RequiredHeading {
    pub title: &'static str,
    /// What belongs under it, for the hint.
    pub what: Text,
}

/// The skeleton of one page type.
pub struct Skeleton {
    /// The opening of the sample sentence: what the check looks for, so that
    /// a partner who edits only its end is still told.
    pub placeholder: &'static str,
    /// What the partner should write instead, for the hint.
    pub instead: Text,
    pub headings: Vec<RequiredHeading>,
}

/// The sample sentence continues with this after [`Skeleton::placeholder`].
const PLACEHOLDER_END: &str = "（Markdown）。最初の段落が一覧に表示されます。";

/// The skeleton of events or notices; none for other sections (`kpot new`
/// writes only these two).
pub fn of(section: SectionType) -> Option<&'static Skeleton> {
    let [events, notices] = &*SKELETONS;
    match section {
        SectionType::Events => Some(events),
        SectionType::Notices => Some(notices),
        SectionType::Programs | SectionType::Other => None,
    }
}

/// Made once: every event and notice loaded is checked against them.
static SKELETONS: LazyLock<[Skeleton; 2]> = LazyLock::new(|| {
    [
        Skeleton {
            placeholder: "ここにイベントの内容を書きます",
            instead: Text::new(
                "イベントの概要（何を、誰向けに）",
                "what the event is about and who it is for",
            ),
            headings: vec![
                RequiredHeading {
                    title: "内容",
                    what: Text::new(
                        "プログラム、講師、日時の詳細など",
                        "the programme, speakers and schedule",
                    ),
                },
                RequiredHeading {
                    title: "申込方法",
                    what: Text::new(
                        "申込の手順（申込ページ、電話、メール）と締切",
                        "how to register (the page, phone or e-mail) and by when",
                    ),
                },
            ],
        },
        Skeleton {
            placeholder: "ここに募集の内容を書きます",
            instead: Text::new(
                "募集の概要（何に使えるか、いくらまでか）",
                "what the call funds and how much",
            ),
            headings: vec![
                RequiredHeading {
                    title: "対象",
                    what: Text::new("申請できる事業者の条件", "which businesses may apply"),
                },
                RequiredHeading {
                    title: "申請方法",
                    what: Text::new("申請の手順と提出先", "how and where to apply"),
                },
            ],
        },
    ]
});

impl Skeleton {
    /// The body `kpot new` writes below the front matter.
    pub fn body(&self) -> String {
        let mut out = format!(
            "{}{PLACEHOLDER_END}\n\n{}\n",
            self.placeholder,
            crate::markdown::MORE_MARKER
        );
        for heading in &self.headings {
            out.push_str(&format!("\n## {}\n", heading.title));
        }
        out
    }
}

/// The skeleton's text left in a page body: each sample sentence, and each
/// of the skeleton's headings with nothing under it. `body_line` is the file
/// line where the body starts.
pub fn check(
    section: SectionType,
    display: &Path,
    body: &str,
    body_line: usize,
) -> Vec<Diagnostic> {
    let Some(skeleton) = of(section) else {
        return Vec::new();
    };
    let mut problems = placeholders(skeleton, display, body, body_line);
    if !may_have_headings(skeleton, body) {
        return problems;
    }
    for (heading, line) in empty_headings(skeleton, body) {
        problems.push(
            Diagnostic::error(
                display,
                Text::new(
                    format!("見出し「{}」の下に何も書かれていません", heading.title),
                    format!("nothing is written under the heading 「{}」", heading.title),
                ),
            )
            .at(body_line + line - 1, 1)
            .help(Text::new(
                format!(
                    "「{}」の下に{}を書いてください",
                    heading.title, heading.what.ja
                ),
                format!("write {} under 「{}」", heading.what.en, heading.title),
            )),
        );
    }
    problems
}

/// Lines that still hold the sample sentence, in any skeleton's wording (a
/// notice's sentence pasted into an event is as wrong).
fn placeholders(
    skeleton: &Skeleton,
    display: &Path,
    body: &str,
    body_line: usize,
) -> Vec<Diagnostic> {
    let sentences: Vec<&str> = [SectionType::Events, SectionType::Notices]
        .into_iter()
        .filter_map(of)
        .map(|s| s.placeholder)
        .collect();
    let mut problems = Vec::new();
    // Nearly every body has none: one search each, not one per line.
    if !sentences.iter().any(|s| body.contains(s)) {
        return problems;
    }
    for (index, line) in body.lines().enumerate() {
        let Some((at, sentence)) = sentences
            .iter()
            .find_map(|s| line.find(s).map(|at| (at, *s)))
        else {
            continue;
        };
        let column = line[..at].chars().count() + 1;
        problems.push(
            Diagnostic::error(
                display,
                Text::new(
                    format!("`kpot new` の見本の文「{sentence}…」が残っています"),
                    format!(
                        "the sample sentence 「{sentence}…」 written by `kpot new` is still here"
                    ),
                ),
            )
            .at(body_line + index, column)
            .help(Text::new(
                format!(
                    "この文を消して、{}を書いてください（最初の段落が一覧に表示されます）",
                    skeleton.instead.ja
                ),
                format!(
                    "replace the sentence with {} (the first paragraph is shown in lists)",
                    skeleton.instead.en
                ),
            )),
        );
    }
    problems
}

/// Whether a line could be one of the skeleton's headings (`## 内容`, with
/// closing `#`s or `{#id}`, or the text line of a setext heading): most
/// bodies have none and need no second Markdown parse, which a 50,000-page
/// site would feel.
fn may_have_headings(skeleton: &Skeleton, body: &str) -> bool {
    body.lines().any(|line| {
        let text = line.trim().trim_start_matches('#').trim_end_matches('#');
        let text = match text.rsplit_once(" {") {
            Some((before, attributes)) if attributes.ends_with('}') => before,
            _ => text,
        };
        skeleton.headings.iter().any(|h| h.title == text.trim())
    })
}

/// The skeleton's headings that have nothing under them before the next
/// heading of the same or a higher level (an HTML comment such as
/// `<!-- more -->` is nothing), with their line in the body.
fn empty_headings<'s>(skeleton: &'s Skeleton, body: &str) -> Vec<(&'s RequiredHeading, usize)> {
    let mut empty = Vec::new();
    // The required heading being read: (heading, level, line, seen content).
    let mut open: Option<(&RequiredHeading, HeadingLevel, usize, bool)> = None;
    // The heading whose title is being collected: (level, line, title).
    let mut title: Option<(HeadingLevel, usize, String)> = None;
    let line_of = |offset: usize| body[..offset].matches('\n').count() + 1;
    for (event, range) in Parser::new_ext(body, crate::markdown::options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                if let Some((heading, open_level, line, seen)) = open
                    && level <= open_level
                {
                    if !seen {
                        empty.push((heading, line));
                    }
                    open = None;
                }
                title = Some((level, line_of(range.start), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                let Some((level, line, text)) = title.take() else {
                    continue;
                };
                let found = skeleton.headings.iter().find(|h| h.title == text.trim());
                match found {
                    Some(heading) if open.is_none() => open = Some((heading, level, line, false)),
                    _ => mark_seen(&mut open),
                }
            }
            Event::Text(text) | Event::Code(text) if title.is_some() => {
                if let Some((_, _, collected)) = &mut title {
                    collected.push_str(&text);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) if is_comment(&html) => {}
            Event::Start(_) | Event::End(_) | Event::SoftBreak | Event::HardBreak => {}
            _ => mark_seen(&mut open),
        }
    }
    if let Some((heading, _, line, false)) = open {
        empty.push((heading, line));
    }
    empty
}

fn mark_seen(open: &mut Option<(&RequiredHeading, HeadingLevel, usize, bool)>) {
    if let Some((_, _, _, seen)) = open {
        *seen = true;
    }
}

fn is_comment(html: &str) -> bool {
    let html = html.trim();
    html.starts_with("<!--") && html.ends_with("-->")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(section: SectionType, body: &str) -> Vec<(usize, String)> {
        check(section, Path::new("a.md"), body, 10)
            .into_iter()
            .map(|d| (d.line, d.message.en))
            .collect()
    }

    #[test]
    fn the_skeleton_as_written_is_reported_line_by_line() {
        for section in [SectionType::Events, SectionType::Notices] {
            let body = of(section).unwrap().body();
            let found = lines(section, &body);
            assert_eq!(found.len(), 3, "{found:?}");
            // Sentence on body line 1, headings on lines 5 and 7.
            assert_eq!(found[0].0, 10, "{found:?}");
            assert!(found[0].1.contains("sample sentence"), "{found:?}");
            assert_eq!((found[1].0, found[2].0), (14, 16), "{found:?}");
        }
    }

    #[test]
    fn filled_headings_and_subheadings_count_as_content() {
        let body = "概要です。\n\n## 内容\n\n### 第1部\n\n講演\n\n## 申込方法\n\n- [申込ページ](https://example.org)\n";
        assert_eq!(lines(SectionType::Events, body), vec![]);
        let body = "概要です。\n\n## 内容\n<!-- あとで -->\n## 申込方法\n電話で\n";
        assert_eq!(lines(SectionType::Events, body).len(), 1);
        // A heading that is not the skeleton's may be empty; programs have
        // no skeleton.
        assert_eq!(lines(SectionType::Events, "## 参考\n").len(), 0);
        assert_eq!(lines(SectionType::Programs, "## 内容\n").len(), 0);
    }

    #[test]
    fn headings_in_every_markdown_form_are_found() {
        for body in [
            "## 内容 ##\n\n## 参考\n資料\n",
            "## 内容 {#detail}\n## 参考\n資料\n",
            "内容\n----\n\n参考\n----\n資料\n",
        ] {
            let found = lines(SectionType::Events, body);
            assert_eq!(found, vec![(10, found[0].1.clone())], "{body}");
            assert!(found[0].1.contains("「内容」"), "{body}");
        }
    }

    #[test]
    fn an_edited_sample_sentence_is_still_found() {
        let found = lines(SectionType::Events, "概要。ここに募集の内容を書きます。\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 10);
    }
}
