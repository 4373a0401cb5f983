//! Answering searches: parse a request, match with every view of the text,
//! filter and count facets, sort, page and cut snippets.

use super::analysis::{digits, english_words, grams, morph_words, normalize};
use super::columns::{Columns, NO_ID, NO_STATUS};
use super::config::SearchConfig;
use super::schema::{self, Fields, Views};
use super::snippet;
use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
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

pub use super::columns::STATUSES;

/// An opened index, ready to answer queries from many threads.
pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    config: SearchConfig,
    columns: Columns,
    /// (normalised title, document number), sorted, for suggestions.
    titles: Vec<(String, u32)>,
    searcher: Searcher,
    labels: super::documents::Labels,
    /// Recent answers by request and minute (see [`SearchIndex::answer`]);
    /// none when the operator turned the memory off.
    answers: Option<quick_cache::sync::Cache<(Request, i64), Arc<Response>>>,
}

/// From this many documents on, a query's segments are searched in
/// parallel; below, handing work to another thread costs more than it
/// saves.
const PARALLEL_FROM: u32 = 50_000;

/// How many answers an index keeps by default: popular searches repeat,
/// and an answer is at most 50 hits.
pub const ANSWERS_KEPT: usize = 2048;

/// How many answers indexes opened from now on keep (`kpot server
/// --answers N`); process-wide, since the server reopens its index on
/// every rebuild.
static ANSWERS_SETTING: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(ANSWERS_KEPT);

/// Sets how many answers indexes opened from now on keep; 0 keeps none
/// and computes every request.
pub fn keep_answers(count: usize) {
    ANSWERS_SETTING.store(count, std::sync::atomic::Ordering::Relaxed);
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Sort {
    #[default]
    Relevance,
    Date,
    Deadline,
}

/// One hit of `/api/search` (its schema is part of the OpenAPI document).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Hit {
    /// The page's path on the site.
    pub url: String,
    /// The page's title as plain text, as written (it may contain `<` or
    /// `&`): escape it before putting it into HTML.
    pub title: String,
    /// HTML: the text around the first match, escaped, with the matched
    /// words in `<mark>`; safe to insert as HTML.
    pub snippet: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub lang: String,
    #[schema(value_type = Option<String>)]
    pub status: Option<&'static str>,
    pub date: Option<String>,
    pub organizer: Option<String>,
    pub categories: Vec<String>,
    pub regions: Vec<String>,
    pub score: f32,
}

/// The answer of `/api/search`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SearchResponse)]
pub struct Response {
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub hits: Vec<Hit>,
    /// Counts by facet (`type`, `category`, …) and value.
    #[schema(value_type = BTreeMap<String, BTreeMap<String, usize>>)]
    pub facets: BTreeMap<&'static str, BTreeMap<String, usize>>,
}

/// One completion of `/api/suggest`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    /// The page's title as plain text, as written: escape it before
    /// putting it into HTML.
    pub title: String,
    pub url: String,
}

impl SearchIndex {
    /// Opens the index `kpot build` wrote.
    pub fn open(dir: &Path) -> Result<SearchIndex, String> {
        let mut index = Index::open_in_dir(dir)
            .map_err(|e| format!("cannot open the search index {}: {e}", dir.display()))?;
        let segments = index.searchable_segment_metas().unwrap_or_default();
        let documents: u32 = segments.iter().map(|s| s.num_docs()).sum();
        if segments.len() > 1 && documents >= PARALLEL_FROM {
            // One thread per segment: a broad query on a large site
            // finishes in about half the time on two cores.
            index
                .set_multithread_executor(super::index::SEARCH_THREADS)
                .map_err(|e| e.to_string())?;
        }
        schema::register_tokenizers(&index);
        let fields = schema::fields_of(&index.schema()).map_err(|e| e.to_string())?;
        let config = SearchConfig::load(&dir.join(super::config::FILE_NAME))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e: tantivy::TantivyError| e.to_string())?;
        let searcher = reader.searcher();
        let columns = Columns::load(&searcher, &fields).map_err(|e| e.to_string())?;
        let titles = columns.titles();
        let labels = std::fs::read(dir.join(super::LABELS_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Ok(SearchIndex {
            labels,
            reader,
            fields,
            config,
            columns,
            titles,
            searcher,
            answers: match ANSWERS_SETTING.load(std::sync::atomic::Ordering::Relaxed) {
                0 => None,
                kept => Some(quick_cache::sync::Cache::new(kept)),
            },
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

    /// Answers a request as the server does: statuses and deadlines as of
    /// the start of the current minute, and a repeated request within that
    /// minute from memory. An index never changes once opened (a rebuilt
    /// one is a new `SearchIndex`), so the only thing that ages an answer is
    /// the clock, and no answer outlives its minute.
    pub fn answer(&self, request: &Request, now: DateTime<FixedOffset>) -> Arc<Response> {
        let minute = now.timestamp().div_euclid(60) * 60;
        let at =
            DateTime::from_timestamp(minute, 0).map_or(now, |t| t.with_timezone(&now.timezone()));
        let Some(answers) = &self.answers else {
            return Arc::new(self.search(request, at));
        };
        let key = (request.clone(), minute);
        if let Some(response) = answers.get(&key) {
            return response;
        }
        let response = Arc::new(self.search(request, at));
        answers.insert(key, response.clone());
        response
    }

    /// Answers a request. Never fails on what a user typed: anything that
    /// is not a word is ignored.
    pub fn search(&self, request: &Request, now: DateTime<FixedOffset>) -> Response {
        let now = now.timestamp();
        let c = &self.columns;
        let matches = self.matches(request);

        let wanted_lang: Option<u8> = request.lang.as_deref().map(|l| u8::from(l == "en"));
        let wanted = [
            c.vocab[0].lookup(&request.types),
            c.vocab[1].lookup(&request.categories),
            c.vocab[2].lookup(&request.regions),
            c.vocab[3].lookup(&request.organizers),
        ];
        let wanted_status: Vec<u8> = request
            .statuses
            .iter()
            .map(|s| {
                STATUSES
                    .iter()
                    .position(|x| x == s)
                    .map_or(NO_STATUS - 1, |i| i as u8)
            })
            .collect();
        let filters = Filters {
            lang: wanted_lang,
            from: request.from,
            to: request.to,
            wanted,
            statuses: wanted_status,
            now,
        };
        // Broad queries on large sites match tens of thousands of pages:
        // tally them in chunks on every core.
        let tally = if matches.len() > TALLY_CHUNK {
            matches
                .par_chunks(TALLY_CHUNK)
                .map(|chunk| filters.tally(c, chunk))
                .reduce(|| Tally::new(c), Tally::merge)
        } else {
            filters.tally(c, &matches)
        };
        let Tally {
            counts,
            statuses: status_counts,
            mut hits,
        } = tally;
        let mut facets: BTreeMap<&'static str, BTreeMap<String, usize>> = BTreeMap::new();
        for (f, name) in ["type", "category", "region", "organizer"]
            .into_iter()
            .enumerate()
        {
            let entry = facets.entry(name).or_default();
            for (id, &count) in counts[f].iter().enumerate() {
                if count > 0 {
                    entry.insert(c.vocab[f].names[id].clone(), count);
                }
            }
        }
        let entry = facets.entry("status").or_default();
        for (s, &count) in status_counts.iter().enumerate() {
            if count > 0 {
                entry.insert(STATUSES[s].to_string(), count);
            }
        }

        let total = hits.len();
        let per_page = request.per_page.clamp(1, MAX_PER_PAGE);
        let page = request.page.max(1);
        let wanted_len = page.saturating_mul(per_page).min(hits.len());
        let order = |a: &(Score, u32, u8), b: &(Score, u32, u8)| {
            let (ra, rb) = (c.url_rank[a.1 as usize], c.url_rank[b.1 as usize]);
            match request.sort {
                Sort::Relevance => b.0.total_cmp(&a.0).then(ra.cmp(&rb)),
                Sort::Date => c.date_rank[b.1 as usize]
                    .cmp(&c.date_rank[a.1 as usize])
                    .then_with(|| b.0.total_cmp(&a.0))
                    .then(ra.cmp(&rb)),
                Sort::Deadline => {
                    let key = |doc: u32| {
                        let deadline = c.deadline(doc, now);
                        (deadline.is_none(), deadline)
                    };
                    key(a.1).cmp(&key(b.1)).then(ra.cmp(&rb))
                }
            }
        };
        // Only the pages up to the one asked for need to be in order.
        if wanted_len > 0 && wanted_len < hits.len() {
            hits.select_nth_unstable_by(wanted_len - 1, order);
            hits.truncate(wanted_len);
        }
        hits.sort_by(order);
        let words = query_words(&request.q);
        let names = |f: usize, ids: &[u32]| -> Vec<String> {
            ids.iter()
                .map(|&id| c.vocab[f].names[id as usize].clone())
                .collect()
        };
        let page_hits = hits
            .into_iter()
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .map(|(score, doc, status)| {
                let d = doc as usize;
                Hit {
                    url: c.url[d].clone(),
                    title: c.title[d].clone(),
                    snippet: self.snippet(c.address(doc), &words),
                    kind: c.vocab[0].names[c.kind[d] as usize].clone(),
                    lang: if c.lang[d] == 1 { "en" } else { "ja" }.to_string(),
                    status: STATUSES.get(status as usize).copied(),
                    date: c.date[d].clone(),
                    organizer: (c.organizer[d] != NO_ID)
                        .then(|| c.vocab[3].names[c.organizer[d] as usize].clone()),
                    categories: names(1, c.categories.of(doc)),
                    regions: names(2, c.regions.of(doc)),
                    score,
                }
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
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
        let (body, description) = (text(self.fields.body), text(self.fields.description));
        snippet::cut_matching(description, words, 120)
            .filter(|_| body.is_empty())
            .or_else(|| snippet::cut_matching(body, words, 120))
            .or_else(|| snippet::cut_matching(description, words, 120))
            .unwrap_or_else(|| {
                snippet::cut(
                    if description.is_empty() {
                        body
                    } else {
                        description
                    },
                    words,
                    120,
                )
            })
    }

    /// Titles that start with (then contain) what was typed.
    pub fn suggest(&self, prefix: &str, lang: Option<&str>, limit: usize) -> Vec<Suggestion> {
        let needle = normalize(prefix.trim());
        if needle.is_empty() {
            return Vec::new();
        }
        let needle: String = needle.chars().take(MAX_QUERY_CHARS).collect();
        let c = &self.columns;
        let wanted_lang: Option<u8> = lang.map(|l| u8::from(l == "en"));
        let lang_ok = |doc: u32| wanted_lang.is_none_or(|l| c.lang[doc as usize] == l);
        let starts = self
            .titles
            .iter()
            .filter(|(n, d)| lang_ok(*d) && n.starts_with(&needle));
        let contains = self
            .titles
            .iter()
            .filter(|(n, d)| lang_ok(*d) && !n.starts_with(&needle) && n.contains(&needle));
        starts
            .chain(contains)
            .take(limit)
            .map(|&(_, doc)| Suggestion {
                title: c.title[doc as usize].clone(),
                url: c.url[doc as usize].clone(),
            })
            .collect()
    }

    /// Every word must match (in any view of any text field), through its
    /// synonyms too; words written `-word` must not. Each word is searched
    /// on its own and the sorted match lists are merged here, a linear pass
    /// that also adds up each word's score.
    fn matches(&self, request: &Request) -> Vec<(u32, Score)> {
        let mut required: Vec<BooleanQuery> = Vec::new();
        let mut excluded: Vec<BooleanQuery> = Vec::new();
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
            let clause = BooleanQuery::new(alternatives);
            if negated {
                excluded.push(clause)
            } else {
                required.push(clause)
            }
        }
        let run = |query: &dyn Query| {
            let collector = AllMatches {
                columns: &self.columns,
            };
            self.searcher.search(query, &collector).unwrap_or_default()
        };
        let mut found: Vec<(u32, Score)> = match required.split_first() {
            None => (0..self.columns.documents())
                .filter(|&doc| self.columns.is_alive(doc))
                .map(|doc| (doc, 0.0))
                .collect(),
            Some((first, rest)) => {
                let mut found = run(first);
                for query in rest {
                    found = intersect(&found, &run(query));
                }
                found
            }
        };
        for query in &excluded {
            found = subtract(&found, &run(query));
        }
        found
    }

    /// The ways one word can match: whole words (morphological), character
    /// sequences (bigram phrase), stemmed English, and exact digits.
    fn word_clauses(&self, word: &str) -> Vec<Box<dyn Query>> {
        let b = &self.config.boosts;
        let normalized = normalize(word);
        let mut clauses: Vec<Box<dyn Query>> = Vec::new();
        // A word matches where all of its parts occur (its dictionary
        // words, its character bigrams, its English stems), never as an
        // exact phrase: overlapping bigrams rarely all occur in a text
        // without the word itself, the dictionary view adds the score of
        // whole-word matches, and phrase matching (reading positions for
        // every candidate) was a third of a broad query's time on 100,000
        // pages.
        // Bodies have no dictionary view (see `index::to_document`).
        let views = [
            (self.fields.title_views, b.title, true),
            (self.fields.description_views, b.description, true),
            (self.fields.body_views, b.body, false),
        ];
        let morph = morph_words(&normalized);
        let gram = grams(&normalized);
        let english = english_words(&normalized);
        for (views, weight, has_morph) in views {
            let Views {
                morph: mf,
                grams: gf,
                english: ef,
            } = views;
            if let Some(q) = all_of(mf, &morph).filter(|_| has_morph) {
                clauses.push(Box::new(BoostQuery::new(q, weight * b.morph)));
            }
            if let Some(q) = all_of(gf, &gram) {
                clauses.push(Box::new(BoostQuery::new(q, weight * b.grams)));
            }
            if let Some(q) = all_of(ef, &english) {
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

/// Matches per chunk when tallying in parallel.
const TALLY_CHUNK: usize = 8192;

/// A request's filters, resolved to column values.
struct Filters {
    lang: Option<u8>,
    from: Option<i64>,
    to: Option<i64>,
    /// Wanted ids of type, category, region and organizer (empty: any).
    wanted: [Vec<u32>; 4],
    statuses: Vec<u8>,
    now: i64,
}

/// Facet counts and the hits that pass every filter, for some matches.
struct Tally {
    /// By facet (type, category, region, organizer), by id.
    counts: [Vec<usize>; 4],
    statuses: [usize; STATUSES.len()],
    hits: Vec<(Score, u32, u8)>,
}

impl Tally {
    fn new(c: &Columns) -> Tally {
        Tally {
            counts: std::array::from_fn(|f| vec![0; c.vocab[f].names.len()]),
            statuses: [0; STATUSES.len()],
            hits: Vec::new(),
        }
    }

    fn merge(mut self, other: Tally) -> Tally {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
        for (a, b) in self.statuses.iter_mut().zip(&other.statuses) {
            *a += b;
        }
        self.hits.extend_from_slice(&other.hits);
        self
    }
}

impl Filters {
    /// Facet counts: each facet counts over the documents that pass every
    /// *other* filter, so ticking one box shows what the others offer.
    fn tally(&self, c: &Columns, matches: &[(u32, Score)]) -> Tally {
        const ALL: u8 = 0b11111;
        let any = |wanted: &[u32], have: &[u32]| {
            wanted.is_empty() || have.iter().any(|h| wanted.contains(h))
        };
        let [types, categories_wanted, regions_wanted, organizers] = &self.wanted;
        let mut t = Tally::new(c);
        for &(doc, score) in matches {
            let d = doc as usize;
            if self.lang.is_some_and(|l| c.lang[d] != l) || !c.in_range(doc, self.from, self.to) {
                continue;
            }
            let status = c.status(doc, self.now);
            let categories = c.categories.of(doc);
            let regions = c.regions.of(doc);
            // Which filters the document passes: bit f set when filter f holds.
            let bits = u8::from(any(types, &[c.kind[d]]))
                | u8::from(any(categories_wanted, categories)) << 1
                | u8::from(any(regions_wanted, regions)) << 2
                | u8::from(organizers.is_empty() || organizers.contains(&c.organizer[d])) << 3
                | u8::from(self.statuses.is_empty() || self.statuses.contains(&status)) << 4;
            if bits == ALL {
                t.hits.push((score, doc, status));
            } else if (bits | (bits + 1)) != ALL {
                // Fails two filters or more: counts in no facet.
                continue;
            }
            let others = |f: u8| bits | (1 << f) == ALL;
            if others(0) {
                t.counts[0][c.kind[d] as usize] += 1;
            }
            if others(1) {
                for &id in categories {
                    t.counts[1][id as usize] += 1;
                }
            }
            if others(2) {
                for &id in regions {
                    t.counts[2][id as usize] += 1;
                }
            }
            if others(3) && c.organizer[d] != NO_ID {
                t.counts[3][c.organizer[d] as usize] += 1;
            }
            if others(4) && status != NO_STATUS {
                t.statuses[status as usize] += 1;
            }
        }
        t
    }
}

/// Terms as one query: the term, or all of the terms anywhere in the field.
fn all_of(field: tantivy::schema::Field, terms: &[String]) -> Option<Box<dyn Query>> {
    let term = |t: &String| -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, t),
            IndexRecordOption::WithFreqs,
        ))
    };
    match terms {
        [] => None,
        [one] => Some(term(one)),
        many => Some(Box::new(BooleanQuery::new(
            many.iter().map(|t| (Occur::Must, term(t))).collect(),
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

/// Documents in both lists (each sorted by number), scores added.
fn intersect(a: &[(u32, Score)], b: &[(u32, Score)]) -> Vec<(u32, Score)> {
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push((a[i].0, a[i].1 + b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Documents of `a` that are not in `b` (each sorted by number).
fn subtract(a: &[(u32, Score)], b: &[(u32, Score)]) -> Vec<(u32, Score)> {
    let mut out = Vec::with_capacity(a.len());
    let mut j = 0;
    for &(doc, score) in a {
        while j < b.len() && b[j].0 < doc {
            j += 1;
        }
        if j >= b.len() || b[j].0 != doc {
            out.push((doc, score));
        }
    }
    out
}

/// Collects every match with its score, by document number in ascending
/// order (segments in order, documents in order within each): filtering
/// and facets need all of them, and at portal sizes (≤ 100,000 pages)
/// that is cheap.
struct AllMatches<'c> {
    columns: &'c Columns,
}

struct SegmentMatches {
    base: u32,
    found: Vec<(u32, Score)>,
}

impl Collector for AllMatches<'_> {
    type Fruit = Vec<(u32, Score)>;
    type Child = SegmentMatches;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        _reader: &SegmentReader,
    ) -> tantivy::Result<SegmentMatches> {
        Ok(SegmentMatches {
            base: self.columns.base(segment),
            found: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u32, Score)>>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(u32, Score)> = fruits.concat();
        // Segments may be searched in any order by a multi-threaded
        // executor; keep the promise of ascending numbers.
        if !all.is_sorted_by_key(|m| m.0) {
            all.sort_unstable_by_key(|m| m.0);
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentMatches {
    type Fruit = Vec<(u32, Score)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.found.push((self.base + doc, score));
    }

    fn harvest(self) -> Self::Fruit {
        self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_combine_by_document_number() {
        let a = [(1, 1.0), (3, 1.0), (5, 1.0), (9, 1.0)];
        let b = [(3, 0.5), (4, 0.5), (9, 2.0)];
        assert_eq!(intersect(&a, &b), vec![(3, 1.5), (9, 3.0)]);
        assert_eq!(subtract(&a, &b), vec![(1, 1.0), (5, 1.0)]);
        assert_eq!(intersect(&a, &[]), vec![]);
        assert_eq!(subtract(&a, &[]), a.to_vec());
    }
}
