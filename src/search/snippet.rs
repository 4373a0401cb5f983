//! Snippets with the matched words marked, cut on character boundaries.
//!
//! Matching happens on normalised text (so `ＫＩＰ` marks `KIP`), but the
//! snippet shows the original characters: each normalised character remembers
//! which original character it came from.

use super::analysis::{fold_char, normalize};

/// About `width` characters of `text` around the first match, HTML-escaped,
/// with every match inside `<mark>`; None when no word occurs in it.
pub fn cut_matching(text: &str, words: &[String], width: usize) -> Option<String> {
    let (snippet, matched) = cut_inner(text, words, width);
    matched.then_some(snippet)
}

/// Like `cut_matching`, but gives the start of the text when nothing
/// matches.
pub fn cut(text: &str, words: &[String], width: usize) -> String {
    cut_inner(text, words, width).0
}

fn cut_inner(text: &str, words: &[String], width: usize) -> (String, bool) {
    let needles: Vec<Vec<char>> = words
        .iter()
        .map(|w| normalize(w).chars().collect::<Vec<char>>())
        .filter(|n| !n.is_empty())
        .collect();
    // The original characters (spaces collapsed), the normalised ones, and
    // for each normalised character the original it came from. Folding
    // stops once the window after the first match is complete: a snippet
    // needs only the text up to there, not the whole page.
    let mut original: Vec<char> = Vec::new();
    let mut folded: Vec<char> = Vec::new();
    let mut origin: Vec<usize> = Vec::new();
    let mut first_match: Option<usize> = None;
    let digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    let mut chars = collapse_spaces_iter(text).peekable();
    while let Some(c) = chars.next() {
        let i = original.len();
        let between = i > 0 && digit(original[i - 1]) && chars.peek().is_some_and(|n| digit(*n));
        original.push(c);
        fold_char(c, between, |n| {
            folded.push(n);
            origin.push(i);
        });
        if first_match.is_none() {
            for needle in &needles {
                if folded.ends_with(needle) {
                    first_match = Some(origin[folded.len() - needle.len()]);
                    break;
                }
            }
        }
        if let Some(at) = first_match
            && i > at + width
        {
            break;
        }
        if first_match.is_none() && needles.is_empty() && i > width {
            break;
        }
    }
    let truncated = chars.peek().is_some();
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for needle in &needles {
        if needle.len() > folded.len() {
            continue;
        }
        let mut i = 0;
        while i + needle.len() <= folded.len() {
            if folded[i..i + needle.len()] == needle[..] {
                marks.push((origin[i], origin[i + needle.len() - 1] + 1));
                i += needle.len();
            } else {
                i += 1;
            }
        }
    }
    marks.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in marks {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let first = merged.first().map_or(0, |m| m.0);
    let start = first.saturating_sub(width / 4);
    let end = (start + width).min(original.len());
    let start = end.saturating_sub(width).min(start);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut i = start;
    for &(s, e) in merged.iter().filter(|(s, e)| *e > start && *s < end) {
        let s = s.max(start);
        let e = e.min(end);
        push_escaped(&mut out, &original[i..s]);
        out.push_str("<mark>");
        push_escaped(&mut out, &original[s..e]);
        out.push_str("</mark>");
        i = e;
    }
    push_escaped(&mut out, &original[i..end]);
    if end < original.len() || truncated {
        out.push('…');
    }
    (out, !merged.is_empty())
}

/// The characters of `text` with every run of white space made one space
/// (and none at the start).
fn collapse_spaces_iter(text: &str) -> impl Iterator<Item = char> + '_ {
    let mut pending_space = false;
    let mut started = false;
    let mut chars = text.chars();
    let mut queued: Option<char> = None;
    std::iter::from_fn(move || {
        if let Some(c) = queued.take() {
            return Some(c);
        }
        for c in chars.by_ref() {
            if c.is_whitespace() {
                pending_space = started;
                continue;
            }
            started = true;
            if pending_space {
                pending_space = false;
                queued = Some(c);
                return Some(' ');
            }
            return Some(c);
        }
        None
    })
}

fn push_escaped(out: &mut String, chars: &[char]) {
    for &c in chars {
        crate::render::push_escaped_char(out, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn marks_japanese_matches_on_character_boundaries() {
        let s = cut("中小企業の事業再生を支援します。", &w(&["事業再生"]), 60);
        assert_eq!(s, "中小企業の<mark>事業再生</mark>を支援します。");
    }

    #[test]
    fn marks_full_width_text_for_a_half_width_query() {
        let s = cut("ＫＩＰの窓口", &w(&["kip"]), 60);
        assert_eq!(s, "<mark>ＫＩＰ</mark>の窓口");
    }

    #[test]
    fn escapes_html_and_cuts_long_text() {
        let text = format!("{}<script>事業再生{}", "あ".repeat(100), "い".repeat(100));
        let s = cut(&text, &w(&["事業再生"]), 40);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("&lt;script&gt;<mark>事業再生</mark>"), "{s}");
        assert!(!s.contains("<script>"));
        assert!(s.chars().count() < 80);
    }

    #[test]
    fn no_match_gives_the_start() {
        assert_eq!(cut("abc", &w(&["zzz"]), 2), "ab…");
    }
}
