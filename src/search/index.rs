//! Writing the index: built beside the live one and swapped in whole, so a
//! server reading it never sees a half-written index.

use super::documents::SearchDoc;
use super::schema::{self, Fields};
use std::path::{Path, PathBuf};
use tantivy::{Index, IndexWriter, TantivyDocument};

/// The writer's memory budget: bounded so a 100,000-page build stays small.
/// Two threads analyse documents in parallel; ranking does not depend on
/// how documents fall into segments (statistics are index-wide, ties break
/// by URL).
const WRITER_BUDGET: usize = 64 * 1024 * 1024;

/// Where the index records what it was built from (see [`built_from`]).
const SOURCE_FILE: &str = "kpot-source.txt";

/// Writes the index and the `extra` files beside it (configuration and
/// labels), then swaps the folder in.
pub fn write(
    target: &Path,
    docs: &[SearchDoc],
    extra: &[(&str, Option<&[u8]>)],
) -> Result<(), String> {
    stage(target, docs.iter(), extra, None)?.commit()
}

/// An index written completely beside the live one, waiting for
/// [`Staged::commit`]; dropped uncommitted, it is removed and the live index
/// stays as it was. `kpot build` stages the index while the site renders and
/// commits it only once the site is written.
pub struct Staged {
    staging: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staged {
    /// Swaps the staged index in for the live one.
    pub fn commit(mut self) -> Result<(), String> {
        self.committed = true;
        crate::output::swap_in(&self.staging, &self.target).map_err(|e| e.to_string())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Writes the index of `docs` and the `extra` files into a staging folder
/// beside `target`. `source` (a hash of everything the index is made from)
/// is saved with it, for [`built_from`].
pub fn stage<D: std::borrow::Borrow<SearchDoc>>(
    target: &Path,
    docs: impl IntoIterator<Item = D>,
    extra: &[(&str, Option<&[u8]>)],
    source: Option<&str>,
) -> Result<Staged, String> {
    let staging = crate::output::staging_dir(target).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&staging).map_err(|e| format!("{}: {e}", staging.display()))?;
    let staged = Staged {
        staging,
        target: target.to_path_buf(),
        committed: false,
    };
    // tantivy's errors do not say where ("An IO error occurred: No space
    // left on device"): the folder being written does.
    write_into(&staged.staging, docs).map_err(|e| format!("{}: {e}", staged.staging.display()))?;
    let write = |name: &str, bytes: &[u8]| {
        let path = staged.staging.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))
    };
    for (name, bytes) in extra {
        if let Some(bytes) = bytes {
            write(name, bytes)?;
        }
    }
    if let Some(source) = source {
        write(SOURCE_FILE, source.as_bytes())?;
    }
    Ok(staged)
}

/// The `source` the live index at `target` was staged with, if any: when
/// it equals the hash of the documents of this build, the index is current.
pub fn built_from(target: &Path) -> Option<String> {
    std::fs::read_to_string(target.join(SOURCE_FILE)).ok()
}

/// Updates the index in `dir` in place: the documents whose `key` is in
/// `remove` are deleted, `docs` are added, and the `extra` files beside it
/// rewritten, in one commit. `kpot serve` calls this after an edit rather
/// than indexing the whole site again; readers opened afterwards see the
/// new documents, a reader already open keeps its snapshot.
pub fn update(
    dir: &Path,
    remove: &[String],
    docs: &[SearchDoc],
    extra: &[(&str, &[u8])],
) -> Result<(), String> {
    let run = || -> tantivy::Result<()> {
        let index = Index::open_in_dir(dir)?;
        schema::register_tokenizers(&index);
        let fields = schema::fields_of(&index.schema())?;
        // One thread: an edit adds a handful of documents.
        let mut writer: IndexWriter = index.writer_with_num_threads(1, UPDATE_BUDGET)?;
        for key in remove {
            writer.delete_term(tantivy::Term::from_field_text(fields.key, key));
        }
        for doc in docs {
            writer.add_document(to_document(&fields, doc))?;
        }
        writer.commit()?;
        Ok(())
    };
    run().map_err(|e| e.to_string())?;
    for (name, bytes) in extra {
        crate::output::write_file_atomically(&dir.join(name), bytes).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The writer's budget for [`update`]: tantivy's minimum is 15 MB.
const UPDATE_BUDGET: usize = 20 * 1024 * 1024;

fn write_into<D: std::borrow::Borrow<SearchDoc>>(
    dir: &Path,
    docs: impl IntoIterator<Item = D>,
) -> tantivy::Result<()> {
    let (schema, fields) = schema::build();
    // Small blocks in the document store: a result's snippet reads one
    // document, and decompressing a default 16 KiB block for it was a
    // sixth of a query's time.
    let settings = tantivy::IndexSettings {
        docstore_blocksize: 4096,
        ..Default::default()
    };
    let index = Index::builder()
        .schema(schema)
        .settings(settings)
        .create_in_dir(dir)?;
    schema::register_tokenizers(&index);
    let mut writer: IndexWriter = index.writer_with_num_threads(2, WRITER_BUDGET)?;
    writer.set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
    for doc in docs {
        writer.add_document(to_document(&fields, doc.borrow()))?;
    }
    writer.commit()?;
    merge_into(&index, &mut writer, SEARCH_THREADS)?;
    writer.wait_merging_threads()?;
    // The merged-away segments' files stay on disk while the writer that
    // merged them lives; a fresh writer sees only the two left.
    let cleaner: IndexWriter = index.writer_with_num_threads(1, 15_000_000)?;
    cleaner.garbage_collect_files().wait()?;
    cleaner.wait_merging_threads()?;
    Ok(())
}

/// How many threads answer one query, each searching its own segments
/// (see `SearchIndex::open`).
pub const SEARCH_THREADS: usize = 2;

/// Merges the freshly written segments into `groups` segments of about
/// the same size: a query is searched one segment per thread, so equal
/// segments make the threads finish together, and few segments keep each
/// term lookup to a few dictionaries.
fn merge_into(index: &Index, writer: &mut IndexWriter, groups: usize) -> tantivy::Result<()> {
    let mut segments = index.searchable_segment_metas()?;
    if segments.len() <= groups {
        return Ok(());
    }
    // Largest first, each into the group with the fewest documents.
    segments.sort_by_key(|s| std::cmp::Reverse(s.num_docs()));
    let mut bins: Vec<(u32, Vec<tantivy::index::SegmentId>)> = vec![(0, Vec::new()); groups];
    for segment in &segments {
        let bin = bins
            .iter_mut()
            .min_by_key(|(docs, _)| *docs)
            .expect("at least one group");
        bin.0 += segment.num_docs();
        bin.1.push(segment.id());
    }
    for (_, ids) in bins.into_iter().filter(|(_, ids)| ids.len() > 1) {
        writer.merge(&ids).wait()?;
    }
    Ok(())
}

fn to_document(f: &Fields, doc: &SearchDoc) -> TantivyDocument {
    let mut d = TantivyDocument::default();
    d.add_text(f.key, &doc.key);
    d.add_text(f.url, &doc.url);
    d.add_text(f.lang, &doc.lang);
    d.add_text(f.kind, &doc.kind);
    d.add_text(f.title, &doc.title);
    d.add_text(f.description, &doc.description);
    d.add_text(f.body, &doc.body);
    // Bodies get no dictionary view: it would be most of the indexing time
    // (the morphological analysis of every page's whole text), while the
    // whole-word ranking it adds matters in titles and descriptions.
    for (views, text, morph) in [
        (f.title_views, &doc.title, true),
        (f.description_views, &doc.description, true),
        (f.body_views, &doc.body, false),
    ] {
        d.add_text(views.grams, text);
        if doc.lang == "ja" {
            if morph {
                d.add_text(views.morph, text);
            }
        } else {
            d.add_text(views.english, text);
        }
    }
    if let Some(org) = &doc.organizer {
        d.add_text(f.organizer, org);
    }
    for c in &doc.categories {
        d.add_text(f.category, c);
    }
    for r in &doc.regions {
        d.add_text(f.region, r);
    }
    for n in &doc.numbers {
        let digits = super::analysis::digits(n);
        if !digits.is_empty() {
            d.add_text(f.digits, &digits);
        }
    }
    if let Some(date) = &doc.date {
        d.add_text(f.date, date);
    }
    for (field, value) in [
        (f.start, doc.start),
        (f.end, doc.end),
        (f.opens, doc.opens),
        (f.closes, doc.closes),
    ] {
        if let Some(v) = value {
            d.add_i64(field, v);
        }
    }
    if let Some(s) = &doc.event_status {
        d.add_text(f.event_status, s);
    }
    d
}
