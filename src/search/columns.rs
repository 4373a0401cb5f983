//! What every document is, as columns of numbers in memory: filtering,
//! facet counting and sorting run over tens of thousands of matches per
//! query, so they must touch small arrays, not strings or stored documents.

use super::analysis::normalize;
use super::schema::Fields;
use tantivy::schema::Value;
use tantivy::{DocAddress, Searcher, SegmentOrdinal, TantivyDocument};

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
const OPEN: u8 = 0;
const CLOSING: u8 = 1;
const UPCOMING: u8 = 2;
const CLOSED: u8 = 3;
const ONGOING: u8 = 4;
const ENDED: u8 = 5;
/// A status slot that no document has.
pub const NO_STATUS: u8 = u8::MAX;

/// No value in an `i64` column.
const NONE: i64 = i64::MIN;
/// No value in a `u32` column.
pub const NO_ID: u32 = u32::MAX;

/// Facet values (types, categories, …) interned as small numbers, so that
/// filtering and counting touches no strings.
#[derive(Debug, Default)]
pub struct Vocabulary {
    pub names: Vec<String>,
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
    pub fn lookup(&self, names: &[String]) -> Vec<u32> {
        names
            .iter()
            .map(|n| self.ids.get(n).copied().unwrap_or(NO_ID))
            .collect()
    }
}

/// Several ids per document (categories, regions), stored flat.
#[derive(Debug, Default)]
pub struct IdLists {
    starts: Vec<u32>,
    ids: Vec<u32>,
}

impl IdLists {
    fn push(&mut self, ids: impl IntoIterator<Item = u32>) {
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.ids.extend(ids);
        self.starts.push(self.ids.len() as u32);
    }

    pub fn of(&self, doc: u32) -> &[u32] {
        let doc = doc as usize;
        &self.ids[self.starts[doc] as usize..self.starts[doc + 1] as usize]
    }
}

/// What kind of dated thing a document is, for statuses and date ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Dated {
    Event,
    Notice,
    Other,
}

/// Per-document columns, addressed by a document number: the segment's
/// base plus the document id within the segment.
#[derive(Debug, Default)]
pub struct Columns {
    /// The first document number of each segment, by segment ordinal.
    bases: Vec<u32>,
    address: Vec<DocAddress>,
    /// Deleted documents keep their number but match nothing.
    alive: Vec<bool>,
    /// 0 for Japanese, 1 for English.
    pub lang: Vec<u8>,
    pub kind: Vec<u32>,
    pub organizer: Vec<u32>,
    pub categories: IdLists,
    pub regions: IdLists,
    dated: Vec<Dated>,
    start: Vec<i64>,
    end: Vec<i64>,
    opens: Vec<i64>,
    closes: Vec<i64>,
    /// Cancelled or postponed (an index into `STATUSES`), which no date
    /// changes; `NO_STATUS` otherwise.
    event_state: Vec<u8>,
    /// Rank of the display date (`0` = none), for `sort=date`.
    pub date_rank: Vec<u32>,
    /// Rank of the URL, the tie-breaker of every order.
    pub url_rank: Vec<u32>,
    pub url: Vec<String>,
    pub title: Vec<String>,
    pub date: Vec<Option<String>>,
    /// Facet vocabularies: type, category, region, organizer.
    pub vocab: [Vocabulary; 4],
}

impl Columns {
    /// Reads every live document's stored fields once, when the index is
    /// opened.
    pub fn load(searcher: &Searcher, fields: &Fields) -> tantivy::Result<Columns> {
        let mut c = Columns::default();
        let mut dates: Vec<Option<String>> = Vec::new();
        for (segment_ord, segment) in searcher.segment_readers().iter().enumerate() {
            c.bases.push(c.address.len() as u32);
            let store = segment.get_store_reader(64)?;
            let alive = segment.alive_bitset();
            for doc_id in 0..segment.max_doc() {
                let address = DocAddress::new(segment_ord as SegmentOrdinal, doc_id);
                if alive.is_some_and(|bits| !bits.is_alive(doc_id)) {
                    c.push_deleted(address);
                    dates.push(None);
                    continue;
                }
                let doc: TantivyDocument = store.get(doc_id)?;
                c.push(address, &doc, fields);
                dates.push(c.date.last().cloned().flatten());
            }
        }
        c.date_rank = ranks(&dates, |d| d.is_some());
        c.url_rank = ranks(&c.url, |_| true);
        Ok(c)
    }

    fn push_deleted(&mut self, address: DocAddress) {
        self.address.push(address);
        self.alive.push(false);
        self.lang.push(u8::MAX);
        self.kind.push(NO_ID);
        self.organizer.push(NO_ID);
        self.categories.push([]);
        self.regions.push([]);
        self.dated.push(Dated::Other);
        for column in [
            &mut self.start,
            &mut self.end,
            &mut self.opens,
            &mut self.closes,
        ] {
            column.push(NONE);
        }
        self.event_state.push(NO_STATUS);
        self.url.push(String::new());
        self.title.push(String::new());
        self.date.push(None);
    }

    fn push(&mut self, address: DocAddress, doc: &TantivyDocument, f: &Fields) {
        let text = |field| doc.get_first(field).and_then(|v| v.as_str());
        let int = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_i64())
                .unwrap_or(NONE)
        };
        let kind = text(f.kind).unwrap_or_default();
        self.address.push(address);
        self.alive.push(true);
        self.lang.push(u8::from(text(f.lang) == Some("en")));
        self.dated.push(match kind {
            "event" => Dated::Event,
            "notice" => Dated::Notice,
            _ => Dated::Other,
        });
        self.kind.push(self.vocab[0].intern(kind));
        let organizer = text(f.organizer).map_or(NO_ID, |o| self.vocab[3].intern(o));
        self.organizer.push(organizer);
        let categories: Vec<u32> = doc
            .get_all(f.category)
            .filter_map(|v| v.as_str())
            .map(|c| self.vocab[1].intern(c))
            .collect();
        self.categories.push(categories);
        let regions: Vec<u32> = doc
            .get_all(f.region)
            .filter_map(|v| v.as_str())
            .map(|r| self.vocab[2].intern(r))
            .collect();
        self.regions.push(regions);
        self.start.push(int(f.start));
        self.end.push(int(f.end));
        self.opens.push(int(f.opens));
        self.closes.push(int(f.closes));
        self.event_state.push(
            text(f.event_status)
                .filter(|s| matches!(*s, "cancelled" | "postponed"))
                .and_then(|s| STATUSES.iter().position(|x| *x == s))
                .map_or(NO_STATUS, |i| i as u8),
        );
        self.url.push(text(f.url).unwrap_or_default().to_string());
        self.title
            .push(text(f.title).unwrap_or_default().to_string());
        self.date.push(text(f.date).map(str::to_string));
    }

    /// How many document numbers there are, deleted ones included.
    pub fn documents(&self) -> u32 {
        self.address.len() as u32
    }

    pub fn is_alive(&self, doc: u32) -> bool {
        self.alive[doc as usize]
    }

    pub fn address(&self, doc: u32) -> DocAddress {
        self.address[doc as usize]
    }

    pub fn base(&self, segment: SegmentOrdinal) -> u32 {
        self.bases[segment as usize]
    }

    /// `(normalised title, number)` of every live document, for
    /// suggestions.
    pub fn titles(&self) -> Vec<(String, u32)> {
        let mut titles: Vec<(String, u32)> = (0..self.documents())
            .filter(|&d| self.is_alive(d))
            .map(|d| (normalize(&self.title[d as usize]), d))
            .collect();
        titles.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(self.url[a.1 as usize].cmp(&self.url[b.1 as usize]))
        });
        titles
    }

    /// The status (an index into `STATUSES`, or `NO_STATUS`) at `now`,
    /// computed per query so answers never go stale between builds. It runs
    /// for every match, so it compares numbers only.
    pub fn status(&self, doc: u32, now: i64) -> u8 {
        let d = doc as usize;
        match self.dated[d] {
            Dated::Event => {
                if self.event_state[d] != NO_STATUS {
                    self.event_state[d]
                } else if self.start[d] != NONE && now < self.start[d] {
                    UPCOMING
                } else if self.end[d] != NONE && now <= self.end[d] {
                    ONGOING
                } else {
                    ENDED
                }
            }
            Dated::Notice => {
                let closes = self.closes[d];
                if closes == NONE {
                    NO_STATUS
                } else if self.opens[d] != NONE && now < self.opens[d] {
                    UPCOMING
                } else if now > closes {
                    CLOSED
                } else if closes - now <= crate::content::CLOSING_SOON_DAYS * 86_400 {
                    CLOSING
                } else {
                    OPEN
                }
            }
            Dated::Other => NO_STATUS,
        }
    }

    /// The deadline for `sort=deadline` (a notice's close, else an event's
    /// start) if it is not past.
    pub fn deadline(&self, doc: u32, now: i64) -> Option<i64> {
        let d = doc as usize;
        [self.closes[d], self.start[d]]
            .into_iter()
            .find(|&t| t != NONE)
            .filter(|&t| t >= now)
    }

    /// Whether an event's days or a notice's application window overlap
    /// `from..=to`; pages without dates are outside every range.
    pub fn in_range(&self, doc: u32, from: Option<i64>, to: Option<i64>) -> bool {
        match (from, to) {
            (None, None) => return true,
            // An empty range (`to` before `from`) holds nothing.
            (Some(f), Some(t)) if f > t => return false,
            _ => {}
        }
        let d = doc as usize;
        let or = |a: i64, b: i64| if a == NONE { b } else { a };
        let (first, last) = match self.dated[d] {
            Dated::Event => (self.start[d], or(self.end[d], self.start[d])),
            Dated::Notice => (or(self.opens[d], self.closes[d]), self.closes[d]),
            Dated::Other => return false,
        };
        if first == NONE || last == NONE {
            return false;
        }
        from.is_none_or(|f| last >= f) && to.is_none_or(|t| first <= t)
    }
}

/// The rank of each value in sorted order, equal values sharing a rank;
/// values that `counts` rejects rank 0, below all others.
fn ranks<T: Ord>(values: &[T], counts: impl Fn(&T) -> bool) -> Vec<u32> {
    let mut order: Vec<usize> = (0..values.len()).filter(|&i| counts(&values[i])).collect();
    order.sort_by(|&a, &b| values[a].cmp(&values[b]));
    let mut rank = vec![0u32; values.len()];
    let mut current = 0u32;
    for (n, &i) in order.iter().enumerate() {
        if n == 0 || values[order[n - 1]] != values[i] {
            current += 1;
        }
        rank[i] = current;
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(dated: Dated, times: [i64; 4], event_state: Option<&str>) -> Columns {
        let mut c = Columns::default();
        c.push_deleted(DocAddress::new(0, 0));
        c.alive[0] = true;
        c.dated[0] = dated;
        c.start[0] = times[0];
        c.end[0] = times[1];
        c.opens[0] = times[2];
        c.closes[0] = times[3];
        c.event_state[0] = event_state
            .and_then(|s| STATUSES.iter().position(|x| *x == s))
            .map_or(NO_STATUS, |i| i as u8);
        c
    }

    fn name(status: u8) -> Option<&'static str> {
        STATUSES.get(status as usize).copied()
    }

    #[test]
    fn statuses_are_computed_at_query_time() {
        let day = 86_400;
        let notice = columns(Dated::Notice, [NONE, NONE, 100 * day, 200 * day], None);
        assert_eq!(name(notice.status(0, 99 * day)), Some("upcoming"));
        assert_eq!(name(notice.status(0, 150 * day)), Some("open"));
        assert_eq!(name(notice.status(0, 190 * day)), Some("closing"));
        assert_eq!(name(notice.status(0, 201 * day)), Some("closed"));
        let event = columns(Dated::Event, [10 * day, 11 * day, NONE, NONE], None);
        assert_eq!(name(event.status(0, 9 * day)), Some("upcoming"));
        assert_eq!(name(event.status(0, 10 * day + 5)), Some("ongoing"));
        assert_eq!(name(event.status(0, 12 * day)), Some("ended"));
        let cancelled = columns(
            Dated::Event,
            [10 * day, 11 * day, NONE, NONE],
            Some("cancelled"),
        );
        assert_eq!(name(cancelled.status(0, 9 * day)), Some("cancelled"));
        let page = columns(Dated::Other, [NONE; 4], None);
        assert_eq!(name(page.status(0, 9 * day)), None);
    }

    #[test]
    fn date_ranges_overlap_event_days_and_notice_windows() {
        let event = columns(Dated::Event, [10, 20, NONE, NONE], None);
        assert!(event.in_range(0, Some(15), Some(30)));
        assert!(!event.in_range(0, Some(16), Some(15)), "an empty range");
        assert!(event.in_range(0, None, Some(10)));
        assert!(!event.in_range(0, Some(21), None));
        let notice = columns(Dated::Notice, [NONE, NONE, NONE, 50], None);
        assert!(notice.in_range(0, Some(50), None));
        assert!(!notice.in_range(0, None, Some(49)));
        let page = columns(Dated::Other, [NONE; 4], None);
        assert!(page.in_range(0, None, None));
        assert!(!page.in_range(0, Some(0), None));
    }

    #[test]
    fn ranks_share_equal_values_and_put_missing_first() {
        let values = vec![Some("b"), None, Some("a"), Some("b")];
        assert_eq!(ranks(&values, |v| v.is_some()), vec![2, 0, 1, 2]);
    }
}
