//! Writing the index: built beside the live one and swapped in whole, so a
//! server reading it never sees a half-written index.

use super::documents::SearchDoc;
use super::schema::{self, Fields};
use std::path::Path;
use tantivy::{Index, IndexWriter, TantivyDocument};

/// The writer's memory budget: bounded so a 100,000-page build stays small.
/// Two threads analyse documents in parallel; ranking does not depend on
/// how documents fall into segments (statistics are index-wide, ties break
/// by URL).
const WRITER_BUDGET: usize = 64 * 1024 * 1024;

/// Writes the index and the `extra` files beside it (configuration and
/// labels), then swaps the folder in.
pub fn write(
    target: &Path,
    docs: &[SearchDoc],
    extra: &[(&str, Option<&[u8]>)],
) -> Result<(), String> {
    let staging = crate::output::staging_dir(target).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&staging).map_err(|e| e.to_string())?;
    let result = write_into(&staging, docs).and_then(|()| {
        for (name, bytes) in extra {
            if let Some(bytes) = bytes {
                std::fs::write(staging.join(name), bytes)?;
            }
        }
        Ok(())
    });
    if let Err(err) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(err.to_string());
    }
    crate::output::swap_in(&staging, target).map_err(|e| e.to_string())
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

fn write_into(dir: &Path, docs: &[SearchDoc]) -> tantivy::Result<()> {
    let (schema, fields) = schema::build();
    let index = Index::create_in_dir(dir, schema)?;
    schema::register_tokenizers(&index);
    let mut writer: IndexWriter = index.writer_with_num_threads(2, WRITER_BUDGET)?;
    for doc in docs {
        writer.add_document(to_document(&fields, doc))?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
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
    for (views, text) in [
        (f.title_views, &doc.title),
        (f.description_views, &doc.description),
        (f.body_views, &doc.body),
    ] {
        d.add_text(views.grams, text);
        if doc.lang == "ja" {
            d.add_text(views.morph, text);
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
