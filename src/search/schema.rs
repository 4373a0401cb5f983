//! The index schema: one document per page and language, plus the councils
//! directory.

use super::analysis::{Cut, KpotTokenizer, english_analyzer};
use tantivy::Index;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

pub const MORPH: &str = "kpot_morph";
pub const GRAMS: &str = "kpot_grams";
pub const ENGLISH: &str = "kpot_en";

/// The three analysed views of one text (title, description or body).
#[derive(Clone, Copy, Debug)]
pub struct Views {
    pub morph: Field,
    pub grams: Field,
    pub english: Field,
}

#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// `<content key>#<lang>`: identifies a document for updates.
    pub key: Field,
    pub url: Field,
    pub lang: Field,
    pub kind: Field,
    pub title: Field,
    pub description: Field,
    pub body: Field,
    pub title_views: Views,
    pub description_views: Views,
    pub body_views: Views,
    pub organizer: Field,
    pub category: Field,
    pub region: Field,
    /// Exact-match digits of phone numbers and postal codes.
    pub digits: Field,
    /// Display and sort date, RFC 3339 text (stored only).
    pub date: Field,
    /// Unix seconds of the event or application window (stored), for
    /// statuses evaluated at query time.
    pub start: Field,
    pub end: Field,
    pub opens: Field,
    pub closes: Field,
    pub event_status: Field,
}

/// An analysed field, with frequencies for ranking and no positions: a
/// word matches where all of its parts occur (see `query::word_clauses`),
/// so no phrase is ever matched.
fn analysed(tokenizer: &str) -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(tokenizer)
        .set_index_option(IndexRecordOption::WithFreqs);
    TextOptions::default().set_indexing_options(indexing)
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let mut views = |name: &str| Views {
        morph: b.add_text_field(&format!("{name}_morph"), analysed(MORPH)),
        grams: b.add_text_field(&format!("{name}_grams"), analysed(GRAMS)),
        english: b.add_text_field(&format!("{name}_en"), analysed(ENGLISH)),
    };
    let title_views = views("title");
    let description_views = views("description");
    let body_views = views("body");
    let fields = Fields {
        key: b.add_text_field("key", STRING | STORED),
        url: b.add_text_field("url", STORED),
        lang: b.add_text_field("lang", STRING | STORED | FAST),
        kind: b.add_text_field("type", STRING | STORED | FAST),
        title: b.add_text_field("title", STORED),
        description: b.add_text_field("description", STORED),
        body: b.add_text_field("body", STORED),
        title_views,
        description_views,
        body_views,
        organizer: b.add_text_field("organizer", STRING | STORED),
        category: b.add_text_field("category", STRING | STORED),
        region: b.add_text_field("region", STRING | STORED),
        digits: b.add_text_field("digits", STRING),
        date: b.add_text_field("date", STORED),
        start: b.add_i64_field("start", STORED | INDEXED),
        end: b.add_i64_field("end", STORED),
        opens: b.add_i64_field("opens", STORED),
        closes: b.add_i64_field("closes", STORED),
        event_status: b.add_text_field("event_status", STRING | STORED),
    };
    (b.build(), fields)
}

/// Registers kpot's analysers on an index (needed for writing and reading).
pub fn register_tokenizers(index: &Index) {
    let manager = index.tokenizers();
    manager.register(
        MORPH,
        tantivy::tokenizer::TextAnalyzer::from(KpotTokenizer::new(Cut::Morph)),
    );
    manager.register(
        GRAMS,
        tantivy::tokenizer::TextAnalyzer::from(KpotTokenizer::new(Cut::Grams)),
    );
    manager.register(ENGLISH, english_analyzer());
}

/// Looks the fields up by name in an opened index's schema.
pub fn fields_of(schema: &Schema) -> tantivy::Result<Fields> {
    let f = |name: &str| schema.get_field(name);
    let views = |name: &str| -> tantivy::Result<Views> {
        Ok(Views {
            morph: f(&format!("{name}_morph"))?,
            grams: f(&format!("{name}_grams"))?,
            english: f(&format!("{name}_en"))?,
        })
    };
    Ok(Fields {
        key: f("key")?,
        url: f("url")?,
        lang: f("lang")?,
        kind: f("type")?,
        title: f("title")?,
        description: f("description")?,
        body: f("body")?,
        title_views: views("title")?,
        description_views: views("description")?,
        body_views: views("body")?,
        organizer: f("organizer")?,
        category: f("category")?,
        region: f("region")?,
        digits: f("digits")?,
        date: f("date")?,
        start: f("start")?,
        end: f("end")?,
        opens: f("opens")?,
        closes: f("closes")?,
        event_status: f("event_status")?,
    })
}
