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
    let original: Vec<char> = collapse_spaces(text).chars().collect();
    // Normalised characters and, for each, the original index it came from.
    let mut folded: Vec<char> = Vec::with_capacity(original.len());
    let mut origin: Vec<usize> = Vec::with_capacity(original.len());
    let digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    for (i, &c) in original.iter().enumerate() {
        let between =
            i > 0 && digit(original[i - 1]) && original.get(i + 1).is_some_and(|n| digit(*n));
        fold_char(c, between, |n| {
            folded.push(n);
            origin.push(i);
        });
    }
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for word in words {
        let needle: Vec<char> = normalize(word).chars().collect();
        if needle.is_empty() || needle.len() > folded.len() {
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
    if end < original.len() {
        out.push('…');
    }
    (out, !merged.is_empty())
}

fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

fn push_escaped(out: &mut String, chars: &[char]) {
    for c in chars {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(*c),
        }
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
