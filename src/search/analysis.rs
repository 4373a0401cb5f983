//! Text analysis shared by indexing and querying, so a query is always cut
//! the way the index was (the mismatch that makes other engines miss).
//!
//! Every text is first *normalised*: NFKC (full-width `ＫＩＰ` = `KIP`,
//! half-width `ﾃｸﾆｶﾙ` = `テクニカル`), lower case, and the variants a Japanese
//! reader treats as one (`ヶ`/`ケ`, `髙`/`高`, long-vowel marks and dashes
//! between digits). Then it is cut three ways:
//! - morphological words from IPADIC (`事業再生` → 事業, 再生) for precision;
//! - overlapping character bigrams of Japanese runs (事業, 業再, 再生) for
//!   recall, so a part of a compound still finds it;
//! - English words, stemmed (`councils` → `council`).

use lindera::dictionary::Dictionary;
use lindera::mode::Mode;
use lindera::segmenter::Segmenter;
use std::borrow::Cow;
use std::sync::OnceLock;
use tantivy::tokenizer::{
    Language, LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer,
};
use unicode_normalization::UnicodeNormalization;

mod ipadic {
    lindera_dictionary::embedded_dictionary!("/lindera-ipadic", EmbeddedIpadicLoader);
}

/// The IPADIC segmenter, loaded once from the dictionary built into the
/// binary (build.rs).
fn segmenter() -> &'static Segmenter {
    static SEGMENTER: OnceLock<Segmenter> = OnceLock::new();
    SEGMENTER.get_or_init(|| {
        let dictionary: Dictionary = ipadic::load().expect("the embedded IPADIC dictionary loads");
        Segmenter::new(Mode::Normal, dictionary, None)
    })
}

/// Folds the forms a reader treats as the same text.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let between_digits = i > 0
            && is_digit_like(chars[i - 1])
            && chars.get(i + 1).is_some_and(|n| is_digit_like(*n));
        fold_char(c, between_digits, |f| out.push(f));
    }
    out
}

fn is_digit_like(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// Normalises one character, handing the result (zero or more characters)
/// to `emit`. Plain ASCII, kana and kanji take a fast path without NFKC:
/// snippets fold every character of a page body.
pub fn fold_char(c: char, between_digits: bool, mut emit: impl FnMut(char)) {
    if c.is_ascii() {
        emit(c.to_ascii_lowercase());
        return;
    }
    let folded = match c {
        'ヶ' | 'ゖ' => 'ケ',
        'ヵ' | 'ゕ' => 'カ',
        '髙' => '高',
        '﨑' | '嵜' => '崎',
        '德' => '徳',
        '邊' | '邉' => '辺',
        '齋' | '齊' => '斎',
        '濵' => '浜',
        // Dashes and long-vowel marks between digits are hyphens in phone
        // numbers and postal codes (045ー671ー7450).
        'ー' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '－' | 'ｰ' if between_digits => {
            '-'
        }
        c => c,
    };
    let plain = matches!(folded as u32,
        0x3041..=0x3096 | 0x30A1..=0x30FA | 0x30FC | 0x4E00..=0x9FFF | 0x3001..=0x3002);
    if plain {
        emit(folded);
        return;
    }
    for n in std::iter::once(folded).nfkc() {
        for lower in n.to_lowercase() {
            emit(lower);
        }
    }
}

/// Japanese (and Chinese) characters, which are written without spaces.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x309F   // hiragana
        | 0x30A0..=0x30FF // katakana (incl. ー)
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0x3005 | 0x3006 | 0x3007 // 々 〆 〇
        | 0x20000..=0x2FA1F)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// Morphological words of normalised text; particles, auxiliary verbs and
/// symbols are left out (they carry no meaning a searcher types for).
pub fn morph_words(normalized: &str) -> Vec<String> {
    let Ok(tokens) = segmenter().segment(Cow::Borrowed(normalized)) else {
        return Vec::new();
    };
    let mut words = Vec::with_capacity(tokens.len());
    for mut token in tokens {
        let surface = token.surface.trim();
        if surface.is_empty() || !surface.chars().any(char::is_alphanumeric) {
            continue;
        }
        let surface = surface.to_string();
        let pos = token.get_detail(0).unwrap_or("");
        if matches!(pos, "助詞" | "助動詞" | "記号") {
            continue;
        }
        words.push(surface);
    }
    words
}

/// Bigrams of every Japanese run (a run of one character is kept whole) and
/// whole words of everything else, in reading order.
pub fn grams(normalized: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = normalized.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_cjk(c) {
            let start = i;
            while i < chars.len() && is_cjk(chars[i]) {
                i += 1;
            }
            let run = &chars[start..i];
            if run.len() == 1 {
                out.push(run[0].to_string());
            } else {
                for pair in run.windows(2) {
                    out.push(pair.iter().collect());
                }
            }
        } else if is_word_char(c) {
            let start = i;
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else {
            i += 1;
        }
    }
    out
}

/// The digits of a phone number or postal code, so `099-805-0268` and
/// `0998050268` are one.
pub fn digits(text: &str) -> String {
    normalize(text)
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// English words, lower-cased and stemmed.
pub fn english_words(normalized: &str) -> Vec<String> {
    let mut analyzer = english_analyzer();
    let mut stream = analyzer.token_stream(normalized);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

pub fn english_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Which cut a tokenizer makes.
#[derive(Clone, Copy, Debug)]
pub enum Cut {
    Morph,
    Grams,
}

/// A tantivy tokenizer over our analysis, so the index holds exactly the
/// terms the query side computes.
#[derive(Clone)]
pub struct KpotTokenizer {
    cut: Cut,
    tokens: Vec<Token>,
}

impl KpotTokenizer {
    pub fn new(cut: Cut) -> KpotTokenizer {
        KpotTokenizer {
            cut,
            tokens: Vec::new(),
        }
    }
}

pub struct VecTokenStream<'a> {
    tokens: &'a mut [Token],
    index: usize,
}

impl TokenStream for VecTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

impl Tokenizer for KpotTokenizer {
    type TokenStream<'a> = VecTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream<'a> {
        let normalized = normalize(text);
        let words = match self.cut {
            Cut::Morph => morph_words(&normalized),
            Cut::Grams => grams(&normalized),
        };
        self.tokens.clear();
        self.tokens
            .extend(words.into_iter().enumerate().map(|(position, text)| Token {
                offset_from: 0,
                offset_to: 0,
                position,
                text,
                position_length: 1,
            }));
        VecTokenStream {
            tokens: &mut self.tokens,
            index: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_and_half_width_forms_are_one() {
        assert_eq!(normalize("ＫＩＰ"), "kip");
        assert_eq!(normalize("ﾃｸﾆｶﾙｼｮｳ"), "テクニカルショウ");
        assert_eq!(normalize("霞ヶ関"), normalize("霞ケ関"));
        assert_eq!(normalize("髙橋"), "高橋");
        assert_eq!(normalize("045ー671ー7450"), "045-671-7450");
        assert_eq!(normalize("コーヒー"), "コーヒー");
    }

    #[test]
    fn morphological_words_follow_ipadic() {
        assert_eq!(
            morph_words(&normalize("中小企業活性化協議会は事業再生を支援します")),
            vec![
                "中小", "企業", "活性", "化", "協議", "会", "事業", "再生", "支援", "し"
            ]
        );
        assert_eq!(morph_words(&normalize("東京都")), vec!["東京", "都"]);
        assert_eq!(morph_words(&normalize("京都")), vec!["京都"]);
    }

    #[test]
    fn bigrams_cover_parts_of_compounds() {
        assert_eq!(grams("事業再生"), vec!["事業", "業再", "再生"]);
        assert_eq!(grams("再生"), vec!["再生"]);
        assert_eq!(grams("kip の 相談 a"), vec!["kip", "の", "相談", "a"]);
    }

    #[test]
    fn phone_numbers_reduce_to_digits() {
        assert_eq!(digits("099-805-0268"), "0998050268");
        assert_eq!(digits("０９９−８０５−０２６８"), "0998050268");
    }

    #[test]
    fn english_is_stemmed() {
        assert_eq!(
            english_words("Revitalization Councils"),
            vec!["revit", "council"]
        );
    }
}
