//! Answering searches: parse a request, match with every view of the text,
//! filter and count facets, sort, page and cut snippets.

use super::analysis::{digits, english_words, grams, morph_words, normalize};
use super::config::SearchConfig;
use super::schema::{self, Fields, Views};
use super::snippet;
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{
    DocAddress, DocId, Index, IndexReader, ReloadPolicy, Score, Searcher, SegmentOrdinal,
    SegmentReader, TantivyDocument, Term,
};

/// Longest query text considered; the rest is cut, not refused.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most words of a query that take part in matching.
pub const MAX_QUERY_WORDS: usize = 12;
pub const MAX_PER_PAGE: usize = 50;

/// What a document is, kept in memory for filtering, facets and sorting.
#[derive(Clone, Debug)]
struct DocMeta {
    url: String,
    title: String,
    kind: String,
    lang: String,
    organizer: Option<String>,
    categories: Vec<String>,
    regions: Vec<String>,
    date: Option<String>,
    start: Option<i64>,
    end: Option<i64>,
    opens: Option<i64>,
    closes: Option<i64>,
    event_status: Option<String>,
}

impl DocMeta {
    /// Status names of PORTAL.md, computed at query time so answers never
    /// go stale between builds.
    fn status(&self, now: i64) -> Option<&'static str> {
        match self.kind.as_str() {
            "event" => Some(match self.event_status.as_deref() {
                Some("cancelled") => "cancelled",
                Some("postponed") => "postponed",
                _ if self.start.is_some_and(|s| now < s) => "upcoming",
                _ if self.end.is_some_and(|e| now <= e) => "ongoing",
                _ => "ended",
            }),
            "notice" => {
                let closes = self.closes?;
                Some(if self.opens.is_some_and(|o| now < o) {
                    "upcoming"
                } else if now > closes {
                    "closed"
                } else if closes - now <= crate::content::CLOSING_SOON_DAYS * 86_400 {
                    "closing"
                } else {
                    "open"
                })
            }
            _ => None,
        }
    }

    /// The deadline for `sort=deadline`: a notice's close, an event's start.
    fn deadline(&self) -> Option<i64> {
        self.closes.or(self.start)
    }
}

/// An opened index, ready to answer queries from many threads.
pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    config: SearchConfig,
    /// By segment ordinal, then doc id.
    meta: Vec<Vec<Option<DocMeta>>>,
    /// (normalised title, title, url, lang) for suggestions.
    titles: Vec<(String, String, String, String)>,
    searcher: Searcher,
    labels: super::documents::Labels,
}

#[derive(Clone, Debug, Default)]
pub struct Request {
    pub q: String,
    pub lang: Option<String>,
    pub types: Vec<String>,
    pub categories: Vec<String>,
    pub regions: Vec<String>,
    pub organizers: Vec<String>,
    pub statuses: Vec<String>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub sort: Sort,
    pub page: usize,
    pub per_page: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Relevance,
    Date,
    Deadline,
}

#[derive(Clone, Debug, Serialize)]
pub struct Hit {
    pub url: String,
    pub title: String,
    pub snippet: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub lang: String,
    pub status: Option<&'static str>,
    pub date: Option<String>,
    pub organizer: Option<String>,
    pub categories: Vec<String>,
    pub regions: Vec<String>,
    pub score: f32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Response {
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub hits: Vec<Hit>,
    pub facets: BTreeMap<&'static str, BTreeMap<String, usize>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Suggestion {
    pub title: String,
    pub url: String,
}

impl SearchIndex {
    /// Opens the index `kpot build` wrote.
    pub fn open(dir: &Path) -> Result<SearchIndex, String> {
        let index = Index::open_in_dir(dir)
            .map_err(|e| format!("cannot open the search index {}: {e}", dir.display()))?;
        schema::register_tokenizers(&index);
        let fields = schema::fields_of(&index.schema()).map_err(|e| e.to_string())?;
        let config = SearchConfig::load(&dir.join(super::config::FILE_NAME))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e: tantivy::TantivyError| e.to_string())?;
        let searcher = reader.searcher();
        let mut meta = Vec::new();
        let mut titles = Vec::new();
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(64).map_err(|e| e.to_string())?;
            let mut docs = vec![None; segment.max_doc() as usize];
            for doc_id in segment.doc_ids_alive() {
                let doc: TantivyDocument = store.get(doc_id).map_err(|e| e.to_string())?;
                let text = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                };
                let texts = |field| {
                    doc.get_all(field)
                        .filter_map(|v| v.as_str())
                        .map(str::to_string)
                        .collect()
                };
                let int = |field| doc.get_first(field).and_then(|v| v.as_i64());
                let m = DocMeta {
                    url: text(fields.url).unwrap_or_default(),
                    title: text(fields.title).unwrap_or_default(),
                    kind: text(fields.kind).unwrap_or_default(),
                    lang: text(fields.lang).unwrap_or_default(),
                    organizer: text(fields.organizer),
                    categories: texts(fields.category),
                    regions: texts(fields.region),
                    date: text(fields.date),
                    start: int(fields.start),
                    end: int(fields.end),
                    opens: int(fields.opens),
                    closes: int(fields.closes),
                    event_status: text(fields.event_status),
                };
                titles.push((
                    normalize(&m.title),
                    m.title.clone(),
                    m.url.clone(),
                    m.lang.clone(),
                ));
                docs[doc_id as usize] = Some(m);
            }
            meta.push(docs);
        }
        titles.sort();
        let labels = std::fs::read(dir.join(super::LABELS_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Ok(SearchIndex {
            labels,
            reader,
            fields,
            config,
            meta,
            titles,
            searcher,
        })
    }

    /// The display name of a facet value (`category`, `business-turnaround`)
    /// in a language, if the build recorded one.
    pub fn label(&self, facet: &str, value: &str, lang: crate::format::Lang) -> Option<&str> {
        let names = self.labels.get(facet)?.get(value)?;
        Some(match lang {
            crate::format::Lang::Ja => &names[0],
            crate::format::Lang::En => &names[1],
        })
    }

    pub fn num_docs(&self) -> u64 {
        self.searcher.num_docs()
    }

    fn meta(&self, address: DocAddress) -> Option<&DocMeta> {
        self.meta
            .get(address.segment_ord as usize)?
            .get(address.doc_id as usize)?
            .as_ref()
    }

    /// Answers a request. Never fails on what a user typed: anything that
    /// is not a word is ignored.
    pub fn search(&self, request: &Request, now: DateTime<FixedOffset>) -> Response {
        let now = now.timestamp();
        let query = self.build_query(request);
        let matches = self
            .searcher
            .search(&query, &AllMatches)
            .unwrap_or_default();

        let lang_ok = |m: &DocMeta| request.lang.as_deref().is_none_or(|l| m.lang == l);
        let candidates: Vec<(Score, DocAddress, &DocMeta, Option<&'static str>)> = matches
            .into_iter()
            .filter_map(|(score, address)| {
                let m = self.meta(address)?;
                lang_ok(m).then(|| (score, address, m, m.status(now)))
            })
            .filter(|(_, _, m, _)| in_range(m, request.from, request.to))
            .collect();

        // Facet counts: each facet counts over the documents that pass every
        // *other* filter, so ticking one box shows what the others offer.
        let passes = |m: &DocMeta, status: Option<&str>, skip: Facet| -> bool {
            (skip == Facet::Type || request.types.is_empty() || request.types.contains(&m.kind))
                && (skip == Facet::Category
                    || request.categories.is_empty()
                    || m.categories.iter().any(|c| request.categories.contains(c)))
                && (skip == Facet::Region
                    || request.regions.is_empty()
                    || m.regions.iter().any(|r| request.regions.contains(r)))
                && (skip == Facet::Organizer
                    || request.organizers.is_empty()
                    || m.organizer
                        .as_ref()
                        .is_some_and(|o| request.organizers.contains(o)))
                && (skip == Facet::Status
                    || request.statuses.is_empty()
                    || status.is_some_and(|s| request.statuses.iter().any(|x| x == s)))
        };
        let mut facets: BTreeMap<&'static str, BTreeMap<String, usize>> = BTreeMap::new();
        for facet in [
            Facet::Type,
            Facet::Category,
            Facet::Region,
            Facet::Organizer,
            Facet::Status,
        ] {
            let counts = facets.entry(facet.name()).or_default();
            for (_, _, m, status) in &candidates {
                if !passes(m, *status, facet) {
                    continue;
                }
                let values: Vec<&str> = match facet {
                    Facet::Type => vec![m.kind.as_str()],
                    Facet::Category => m.categories.iter().map(String::as_str).collect(),
                    Facet::Region => m.regions.iter().map(String::as_str).collect(),
                    Facet::Organizer => m.organizer.iter().map(String::as_str).collect(),
                    Facet::Status => status.iter().copied().collect(),
                    Facet::None => Vec::new(),
                };
                for v in values {
                    *counts.entry(v.to_string()).or_default() += 1;
                }
            }
        }

        let mut hits: Vec<(Score, DocAddress, &DocMeta, Option<&'static str>)> = candidates
            .into_iter()
            .filter(|(_, _, m, status)| passes(m, *status, Facet::None))
            .collect();
        match request.sort {
            Sort::Relevance => {
                hits.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.2.url.cmp(&b.2.url)))
            }
            Sort::Date => {
                hits.sort_by(|a, b| b.2.date.cmp(&a.2.date).then_with(|| b.0.total_cmp(&a.0)))
            }
            Sort::Deadline => hits.sort_by(|a, b| {
                let key = |m: &DocMeta| m.deadline().filter(|d| *d >= now);
                (key(a.2).is_none(), key(a.2)).cmp(&(key(b.2).is_none(), key(b.2)))
            }),
        }
        let total = hits.len();
        let per_page = request.per_page.clamp(1, MAX_PER_PAGE);
        let page = request.page.max(1);
        let words = query_words(&request.q);
        let page_hits = hits
            .into_iter()
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .map(|(score, address, m, status)| Hit {
                url: m.url.clone(),
                title: m.title.clone(),
                snippet: self.snippet(address, &words),
                kind: m.kind.clone(),
                lang: m.lang.clone(),
                status,
                date: m.date.clone(),
                organizer: m.organizer.clone(),
                categories: m.categories.clone(),
                regions: m.regions.clone(),
                score,
            })
            .collect();
        Response {
            total,
            page,
            per_page,
            hits: page_hits,
            facets,
        }
    }

    fn snippet(&self, address: DocAddress, words: &[String]) -> String {
        let Ok(doc) = self.searcher.doc::<TantivyDocument>(address) else {
            return String::new();
        };
        let body = doc
            .get_first(self.fields.body)
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let description = doc
            .get_first(self.fields.description)
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let source = if description.is_empty() || snippet::contains_any(body, words) {
            body
        } else {
            description
        };
        snippet::cut(source, words, 120)
    }

    /// Titles that start with (then contain) what was typed.
    pub fn suggest(&self, prefix: &str, lang: Option<&str>, limit: usize) -> Vec<Suggestion> {
        let needle = normalize(prefix.trim());
        if needle.is_empty() {
            return Vec::new();
        }
        let needle: String = needle.chars().take(MAX_QUERY_CHARS).collect();
        let lang_ok = |l: &str| lang.is_none_or(|x| x == l);
        let starts = self
            .titles
            .iter()
            .filter(|(n, _, _, l)| lang_ok(l) && n.starts_with(&needle));
        let contains = self
            .titles
            .iter()
            .filter(|(n, _, _, l)| lang_ok(l) && !n.starts_with(&needle) && n.contains(&needle));
        starts
            .chain(contains)
            .take(limit)
            .map(|(_, title, url, _)| Suggestion {
                title: title.clone(),
                url: url.clone(),
            })
            .collect()
    }

    /// Every word must match (in any view of any text field); a word
    /// matches through its synonyms too. An empty query matches everything.
    fn build_query(&self, request: &Request) -> Box<dyn Query> {
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut excluded: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for raw in raw_words(&request.q) {
            let (negated, word) = match raw.strip_prefix('-') {
                Some(rest) if !rest.is_empty() => (true, rest.to_string()),
                _ => (false, raw),
            };
            let mut forms = vec![word.clone()];
            forms.extend(self.config.synonyms_of(&word));
            let alternatives: Vec<(Occur, Box<dyn Query>)> = forms
                .iter()
                .flat_map(|form| self.word_clauses(form))
                .map(|q| (Occur::Should, q))
                .collect();
            if alternatives.is_empty() {
                continue;
            }
            let clause: Box<dyn Query> = Box::new(BooleanQuery::new(alternatives));
            if negated {
                excluded.push((Occur::MustNot, clause));
            } else {
                must.push((Occur::Must, clause));
            }
        }
        if must.is_empty() {
            must.push((Occur::Must, Box::new(AllQuery)));
        }
        must.extend(excluded);
        Box::new(BooleanQuery::new(must))
    }

    /// The ways one word can match: whole words (morphological), character
    /// sequences (bigram phrase), stemmed English, and exact digits.
    fn word_clauses(&self, word: &str) -> Vec<Box<dyn Query>> {
        let b = &self.config.boosts;
        let normalized = normalize(word);
        let mut clauses: Vec<Box<dyn Query>> = Vec::new();
        let views = [
            (self.fields.title_views, b.title),
            (self.fields.description_views, b.description),
            (self.fields.body_views, b.body),
        ];
        let morph = morph_words(&normalized);
        let gram = grams(&normalized);
        let english = english_words(&normalized);
        for (views, weight) in views {
            let Views {
                morph: mf,
                grams: gf,
                english: ef,
            } = views;
            if let Some(q) = sequence(mf, &morph) {
                clauses.push(Box::new(BoostQuery::new(q, weight * b.morph)));
            }
            if let Some(q) = sequence(gf, &gram) {
                clauses.push(Box::new(BoostQuery::new(q, weight * b.grams)));
            }
            if let Some(q) = sequence(ef, &english) {
                clauses.push(Box::new(BoostQuery::new(q, weight * b.english)));
            }
        }
        let number = digits(word);
        if number.len() >= 5
            && number.len() * 2 >= normalized.chars().filter(|c| !c.is_whitespace()).count()
        {
            let term = Term::from_field_text(self.fields.digits, &number);
            clauses.push(Box::new(BoostQuery::new(
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                b.exact,
            )));
        }
        clauses
    }

    /// Reloads nothing: an index is immutable once built. Present so a
    /// server can tell how fresh its view is.
    pub fn reader(&self) -> &IndexReader {
        &self.reader
    }
}

/// Terms in order as one query: a term, or a phrase of adjacent terms.
fn sequence(field: tantivy::schema::Field, terms: &[String]) -> Option<Box<dyn Query>> {
    match terms {
        [] => None,
        [one] => Some(Box::new(TermQuery::new(
            Term::from_field_text(field, one),
            IndexRecordOption::WithFreqs,
        ))),
        many => Some(Box::new(PhraseQuery::new(
            many.iter()
                .map(|t| Term::from_field_text(field, t))
                .collect(),
        ))),
    }
}

/// The words of a query as typed: cut to size, split on spaces (NFKC turns
/// the full-width space into an ASCII one), quotes and brackets dropped.
pub fn raw_words(q: &str) -> Vec<String> {
    let cut: String = q.chars().take(MAX_QUERY_CHARS).collect();
    normalize(&cut)
        .split(|c: char| c.is_whitespace())
        .map(|w| {
            w.trim_matches(|c: char| {
                matches!(
                    c,
                    '"' | '\'' | '(' | ')' | '[' | ']' | '「' | '」' | '+' | '*' | ':' | '^' | '~'
                )
            })
        })
        .filter(|w| !w.is_empty() && *w != "-")
        .take(MAX_QUERY_WORDS)
        .map(str::to_string)
        .collect()
}

/// The words to highlight (without exclusions).
fn query_words(q: &str) -> Vec<String> {
    raw_words(q)
        .into_iter()
        .filter(|w| !w.starts_with('-'))
        .collect()
}

fn in_range(m: &DocMeta, from: Option<i64>, to: Option<i64>) -> bool {
    if from.is_none() && to.is_none() {
        return true;
    }
    let (first, last) = match m.kind.as_str() {
        "event" => (m.start, m.end.or(m.start)),
        "notice" => (m.opens.or(m.closes), m.closes),
        _ => return false,
    };
    let (Some(first), Some(last)) = (first, last) else {
        return false;
    };
    from.is_none_or(|f| last >= f) && to.is_none_or(|t| first <= t)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Facet {
    Type,
    Category,
    Region,
    Organizer,
    Status,
    None,
}

impl Facet {
    fn name(self) -> &'static str {
        match self {
            Facet::Type => "type",
            Facet::Category => "category",
            Facet::Region => "region",
            Facet::Organizer => "organizer",
            Facet::Status => "status",
            Facet::None => "",
        }
    }
}

/// Collects every match with its score: filtering and facets need all of
/// them, and at portal sizes (≤ 100,000 pages) that is cheap.
struct AllMatches;

struct SegmentMatches {
    segment: SegmentOrdinal,
    found: Vec<(Score, DocAddress)>,
}

impl Collector for AllMatches {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = SegmentMatches;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        _reader: &SegmentReader,
    ) -> tantivy::Result<SegmentMatches> {
        Ok(SegmentMatches {
            segment,
            found: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(Score, DocAddress)>>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for SegmentMatches {
    type Fruit = Vec<(Score, DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.found.push((score, DocAddress::new(self.segment, doc)));
    }

    fn harvest(self) -> Self::Fruit {
        self.found
    }
}
