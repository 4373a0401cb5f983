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

/// The statuses of PORTAL.md, in a fixed order so they can be counted in
/// an array.
pub const STATUSES: [&str; 8] = [
    "open",
    "closing",
    "upcoming",
    "closed",
    "ongoing",
    "ended",
    "cancelled",
    "postponed",
];

/// Facet values (types, categories, …) interned as small numbers, so that
/// filtering and counting thousands of matches touches no strings.
#[derive(Debug, Default)]
struct Vocabulary {
    names: Vec<String>,
    ids: std::collections::HashMap<String, u32>,
}

impl Vocabulary {
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The ids of requested values; a value the index has never seen gets
    /// an id that matches nothing.
    fn lookup(&self, names: &[String]) -> Vec<u32> {
        names
            .iter()
            .map(|n| self.ids.get(n).copied().unwrap_or(u32::MAX))
            .collect()
    }
}

/// What a document is, kept in memory for filtering, facets and sorting.
#[derive(Clone, Debug)]
struct DocMeta {
    address: DocAddress,
    url: String,
    title: String,
    lang: String,
    kind: u32,
    organizer: Option<u32>,
    categories: Vec<u32>,
    regions: Vec<u32>,
    date: Option<String>,
    start: Option<i64>,
    end: Option<i64>,
    opens: Option<i64>,
    closes: Option<i64>,
    /// Cancelled or postponed (as an index into `STATUSES`), which no date
    /// changes.
    event_state: Option<usize>,
    /// 0 for Japanese, 1 for English.
    lang_code: u8,
    is_event: bool,
    is_notice: bool,
}

impl DocMeta {
    /// Index into `STATUSES`, computed at query time so answers never go
    /// stale between builds.
    /// This runs for every match of every query, so it compares numbers
    /// only; the indexes follow `STATUSES`.
    fn status(&self, now: i64) -> Option<usize> {
        const OPEN: usize = 0;
        const CLOSING: usize = 1;
        const UPCOMING: usize = 2;
        const CLOSED: usize = 3;
        const ONGOING: usize = 4;
        const ENDED: usize = 5;
        if self.is_event {
            Some(match self.event_state {
                Some(state) => state,
                None if self.start.is_some_and(|s| now < s) => UPCOMING,
                None if self.end.is_some_and(|e| now <= e) => ONGOING,
                None => ENDED,
            })
        } else if self.is_notice {
            let closes = self.closes?;
            Some(if self.opens.is_some_and(|o| now < o) {
                UPCOMING
            } else if now > closes {
                CLOSED
            } else if closes - now <= crate::content::CLOSING_SOON_DAYS * 86_400 {
                CLOSING
            } else {
                OPEN
            })
        } else {
            None
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
    /// Facet vocabularies: type, category, region, organizer.
    vocab: [Vocabulary; 4],
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
        let mut vocab: [Vocabulary; 4] = Default::default();
        for (segment_ord, segment) in searcher.segment_readers().iter().enumerate() {
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
                let kind = text(fields.kind).unwrap_or_default();
                let categories: Vec<String> = texts(fields.category);
                let regions: Vec<String> = texts(fields.region);
                let m = DocMeta {
                    address: DocAddress::new(segment_ord as SegmentOrdinal, doc_id),
                    url: text(fields.url).unwrap_or_default(),
                    title: text(fields.title).unwrap_or_default(),
                    is_event: kind == "event",
                    is_notice: kind == "notice",
                    kind: vocab[0].intern(&kind),
                    lang: text(fields.lang).unwrap_or_default(),
                    organizer: text(fields.organizer).map(|o| vocab[3].intern(&o)),
                    categories: categories.iter().map(|c| vocab[1].intern(c)).collect(),
                    regions: regions.iter().map(|r| vocab[2].intern(r)).collect(),
                    date: text(fields.date),
                    start: int(fields.start),
                    end: int(fields.end),
                    opens: int(fields.opens),
                    closes: int(fields.closes),
                    event_state: text(fields.event_status)
                        .and_then(|s| STATUSES.iter().position(|x| *x == s))
                        .filter(|i| matches!(STATUSES[*i], "cancelled" | "postponed")),
                    lang_code: u8::from(text(fields.lang).as_deref() == Some("en")),
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
            vocab,
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
        let matches = self.matches(request);

        let wanted_lang: Option<u8> = request.lang.as_deref().map(|l| u8::from(l == "en"));
        let lang_ok = |m: &DocMeta| wanted_lang.is_none_or(|l| m.lang_code == l);
        let candidates: Vec<(Score, &DocMeta, Option<usize>)> = matches
            .into_iter()
            .filter_map(|(score, address)| {
                let m = self.meta(address)?;
                (lang_ok(m) && in_range(m, request.from, request.to))
                    .then(|| (score, m, m.status(now)))
            })
            .collect();

        let wanted = [
            self.vocab[0].lookup(&request.types),
            self.vocab[1].lookup(&request.categories),
            self.vocab[2].lookup(&request.regions),
            self.vocab[3].lookup(&request.organizers),
        ];
        let wanted_status: Vec<usize> = request
            .statuses
            .iter()
            .map(|s| STATUSES.iter().position(|x| x == s).unwrap_or(usize::MAX))
            .collect();
        // Which filters a document passes: bit f set when filter f holds.
        let all = 0b11111u8;
        let passes = |m: &DocMeta, status: Option<usize>| -> u8 {
            let any = |wanted: &[u32], have: &[u32]| {
                wanted.is_empty() || have.iter().any(|h| wanted.contains(h))
            };
            let mut bits = 0u8;
            if any(&wanted[0], &[m.kind]) {
                bits |= 1;
            }
            if any(&wanted[1], &m.categories) {
                bits |= 2;
            }
            if any(&wanted[2], &m.regions) {
                bits |= 4;
            }
            if wanted[3].is_empty() || m.organizer.is_some_and(|o| wanted[3].contains(&o)) {
                bits |= 8;
            }
            if wanted_status.is_empty() || status.is_some_and(|s| wanted_status.contains(&s)) {
                bits |= 16;
            }
            bits
        };
        // Facet counts: each facet counts over the documents that pass every
        // *other* filter, so ticking one box shows what the others offer.
        let mut counts: [Vec<usize>; 4] =
            std::array::from_fn(|f| vec![0; self.vocab[f].names.len()]);
        let mut status_counts = [0usize; STATUSES.len()];
        let mut hits: Vec<(Score, &DocMeta, Option<usize>)> = Vec::with_capacity(candidates.len());
        for &(score, m, status) in &candidates {
            let bits = passes(m, status);
            let others = |f: u8| bits | (1 << f) == all;
            if others(0) {
                counts[0][m.kind as usize] += 1;
            }
            if others(1) {
                for &c in &m.categories {
                    counts[1][c as usize] += 1;
                }
            }
            if others(2) {
                for &r in &m.regions {
                    counts[2][r as usize] += 1;
                }
            }
            if others(3)
                && let Some(o) = m.organizer
            {
                counts[3][o as usize] += 1;
            }
            if others(4)
                && let Some(s) = status
            {
                status_counts[s] += 1;
            }
            if bits == all {
                hits.push((score, m, status));
            }
        }
        let mut facets: BTreeMap<&'static str, BTreeMap<String, usize>> = BTreeMap::new();
        for (f, name) in ["type", "category", "region", "organizer"]
            .into_iter()
            .enumerate()
        {
            let entry = facets.entry(name).or_default();
            for (id, &count) in counts[f].iter().enumerate() {
                if count > 0 {
                    entry.insert(self.vocab[f].names[id].clone(), count);
                }
            }
        }
        let entry = facets.entry("status").or_default();
        for (s, &count) in status_counts.iter().enumerate() {
            if count > 0 {
                entry.insert(STATUSES[s].to_string(), count);
            }
        }

        let per_page = request.per_page.clamp(1, MAX_PER_PAGE);
        let page = request.page.max(1);
        let wanted_len = page.saturating_mul(per_page).min(hits.len());
        let order = |a: &(Score, &DocMeta, Option<usize>), b: &(Score, &DocMeta, Option<usize>)| {
            match request.sort {
                Sort::Relevance => b.0.total_cmp(&a.0).then_with(|| a.1.url.cmp(&b.1.url)),
                Sort::Date => b.1.date.cmp(&a.1.date).then_with(|| b.0.total_cmp(&a.0)),
                Sort::Deadline => {
                    let key = |m: &DocMeta| m.deadline().filter(|d| *d >= now);
                    (key(a.1).is_none(), key(a.1), &a.1.url).cmp(&(
                        key(b.1).is_none(),
                        key(b.1),
                        &b.1.url,
                    ))
                }
            }
        };
        // Only the pages up to the one asked for need to be in order.
        if wanted_len > 0 && wanted_len < hits.len() {
            hits.select_nth_unstable_by(wanted_len - 1, order);
            hits.truncate(wanted_len);
        }
        hits.sort_by(order);
        let total = candidates
            .iter()
            .filter(|(_, m, status)| passes(m, *status) == all)
            .count();
        let words = query_words(&request.q);
        let page_hits = hits
            .into_iter()
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .map(|(score, m, status)| Hit {
                url: m.url.clone(),
                title: m.title.clone(),
                snippet: self.snippet(m.address, &words),
                kind: self.vocab[0].names[m.kind as usize].clone(),
                lang: m.lang.clone(),
                status: status.map(|s| STATUSES[s]),
                date: m.date.clone(),
                organizer: m.organizer.map(|o| self.vocab[3].names[o as usize].clone()),
                categories: m
                    .categories
                    .iter()
                    .map(|&c| self.vocab[1].names[c as usize].clone())
                    .collect(),
                regions: m
                    .regions
                    .iter()
                    .map(|&r| self.vocab[2].names[r as usize].clone())
                    .collect(),
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

    /// Every word must match (in any view of any text field), through its
    /// synonyms too; words written `-word` must not. Each word is searched
    /// on its own and the matches are combined here, which keeps phrase
    /// queries out of tantivy's intersections and exclusions (where a
    /// phrase scorer can be asked to seek backwards).
    fn matches(&self, request: &Request) -> Vec<(Score, DocAddress)> {
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
        let run = |query: &dyn Query| self.searcher.search(query, &AllMatches).unwrap_or_default();
        let mut found: Vec<(Score, DocAddress)> = match required.split_first() {
            None => run(&AllQuery),
            Some((first, rest)) => {
                let mut found = run(first);
                for query in rest {
                    let scores: std::collections::HashMap<DocAddress, Score> = run(query)
                        .into_iter()
                        .map(|(score, address)| (address, score))
                        .collect();
                    found.retain_mut(|(score, address)| match scores.get(address) {
                        Some(more) => {
                            *score += more;
                            true
                        }
                        None => false,
                    });
                }
                found
            }
        };
        for query in &excluded {
            let out: std::collections::HashSet<DocAddress> =
                run(query).into_iter().map(|(_, a)| a).collect();
            found.retain(|(_, address)| !out.contains(address));
        }
        found
    }

    /// The ways one word can match: whole words (morphological), character
    /// sequences (bigram phrase), stemmed English, and exact digits.
    fn word_clauses(&self, word: &str) -> Vec<Box<dyn Query>> {
        let b = &self.config.boosts;
        let normalized = normalize(word);
        let mut clauses: Vec<Box<dyn Query>> = Vec::new();
        // Titles and descriptions are short: a word must appear as written
        // (a phrase of its parts). Bodies are long: all parts somewhere in
        // the page is enough, and needs no positions, which keeps broad
        // queries fast on large sites.
        let views = [
            (self.fields.title_views, b.title, true),
            (self.fields.description_views, b.description, true),
            (self.fields.body_views, b.body, false),
        ];
        let morph = morph_words(&normalized);
        let gram = grams(&normalized);
        let english = english_words(&normalized);
        for (views, weight, phrase) in views {
            let Views {
                morph: mf,
                grams: gf,
                english: ef,
            } = views;
            if let Some(q) = sequence(mf, &morph, phrase) {
                clauses.push(Box::new(BoostQuery::new(q, weight * b.morph)));
            }
            if let Some(q) = sequence(gf, &gram, phrase) {
                clauses.push(Box::new(BoostQuery::new(q, weight * b.grams)));
            }
            if let Some(q) = sequence(ef, &english, phrase) {
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

/// Terms as one query: a term, a phrase of adjacent terms, or (without
/// `phrase`) all of the terms anywhere in the field.
fn sequence(
    field: tantivy::schema::Field,
    terms: &[String],
    phrase: bool,
) -> Option<Box<dyn Query>> {
    let term = |t: &String| -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, t),
            IndexRecordOption::WithFreqs,
        ))
    };
    match terms {
        [] => None,
        [one] => Some(term(one)),
        many if !phrase => Some(Box::new(BooleanQuery::new(
            many.iter().map(|t| (Occur::Must, term(t))).collect(),
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
    let (first, last) = if m.is_event {
        (m.start, m.end.or(m.start))
    } else if m.is_notice {
        (m.opens.or(m.closes), m.closes)
    } else {
        return false;
    };
    let (Some(first), Some(last)) = (first, last) else {
        return false;
    };
    from.is_none_or(|f| last >= f) && to.is_none_or(|t| first <= t)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(is_event: bool, times: [Option<i64>; 4], event_state: Option<&str>) -> DocMeta {
        DocMeta {
            address: DocAddress::new(0, 0),
            url: String::new(),
            title: String::new(),
            lang: "ja".into(),
            kind: 0,
            organizer: None,
            categories: Vec::new(),
            regions: Vec::new(),
            date: None,
            start: times[0],
            end: times[1],
            opens: times[2],
            closes: times[3],
            event_state: event_state.and_then(|s| STATUSES.iter().position(|x| *x == s)),
            lang_code: 0,
            is_event,
            is_notice: !is_event,
        }
    }

    fn name(status: Option<usize>) -> Option<&'static str> {
        status.map(|s| STATUSES[s])
    }

    #[test]
    fn statuses_are_computed_at_query_time() {
        let day = 86_400;
        let notice = doc(false, [None, None, Some(100 * day), Some(200 * day)], None);
        assert_eq!(name(notice.status(99 * day)), Some("upcoming"));
        assert_eq!(name(notice.status(150 * day)), Some("open"));
        assert_eq!(name(notice.status(190 * day)), Some("closing"));
        assert_eq!(name(notice.status(201 * day)), Some("closed"));
        let event = doc(true, [Some(10 * day), Some(11 * day), None, None], None);
        assert_eq!(name(event.status(9 * day)), Some("upcoming"));
        assert_eq!(name(event.status(10 * day + 5)), Some("ongoing"));
        assert_eq!(name(event.status(12 * day)), Some("ended"));
        let cancelled = doc(
            true,
            [Some(10 * day), Some(11 * day), None, None],
            Some("cancelled"),
        );
        assert_eq!(name(cancelled.status(9 * day)), Some("cancelled"));
    }
}
