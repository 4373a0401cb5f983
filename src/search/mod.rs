//! Search: Japanese-aware analysis, the tantivy index written at build time,
//! and the query engine the server answers with.

pub mod analysis;
mod columns;
pub mod config;
pub mod documents;
pub mod index;
pub mod query;
pub mod schema;
pub mod snippet;

pub use query::{Hit, Request, Response, SearchIndex, Sort, Suggestion};

/// Facet labels saved beside the index (see `documents::labels`).
pub const LABELS_FILE: &str = "kpot-labels.json";

use std::path::Path;

/// Writes the index for the prepared site to `root/search-index/index`,
/// with the search configuration beside it; returns the number of
/// documents. Leaves the index alone when it was built from the same
/// documents and configuration.
pub fn build_index(
    root: &Path,
    content: &crate::content::Content,
    catalog: &crate::catalog::Catalog,
    data: &crate::data::Data,
    bodies: &[crate::markdown::Rendered],
) -> Result<usize, String> {
    build_index_at(
        root,
        &default_index_dir(root),
        content,
        catalog,
        data,
        bodies,
    )
}

/// The index of a build, written beside the live one but not yet in place.
pub struct StagedIndex {
    pub documents: usize,
    /// `None` when the live index is already built from these documents.
    pub index: Option<index::Staged>,
    /// The hash of the documents, the configuration and the program that
    /// the index is (or will be, once committed) built from.
    pub source: String,
}

/// Where a build of `root` keeps its search index unless told otherwise.
pub fn default_index_dir(root: &Path) -> std::path::PathBuf {
    root.join("search-index").join("index")
}

/// Collects the documents and, unless the index at `target` was built from
/// the same documents, configuration and kpot binary, writes a new index
/// into a staging folder beside it, with the search configuration of
/// `root`. Nothing live changes until the caller commits it.
pub fn stage_index_at(
    root: &Path,
    target: &Path,
    content: &crate::content::Content,
    catalog: &crate::catalog::Catalog,
    data: &crate::data::Data,
    bodies: &[crate::markdown::Rendered],
) -> Result<StagedIndex, String> {
    let config_path = root.join("search-index").join("config.toml");
    // Validate before writing anything.
    config::SearchConfig::load(&config_path)?;
    let config = std::fs::read(&config_path).ok();
    let labels =
        serde_json::to_vec(&documents::labels(content, data)).map_err(|e| e.to_string())?;
    // First pass: what the index would be made from. The documents are
    // made again for the writer rather than all held at once.
    let mut documents = 0;
    let source = {
        use std::hash::Hash;
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        crate::output::program_stamp().hash(&mut hasher);
        config.hash(&mut hasher);
        labels.hash(&mut hasher);
        for doc in documents::each(content, catalog, data, bodies) {
            doc.hash(&mut hasher);
            documents += 1;
        }
        format!("{:032x}", hasher.digest128())
    };
    let current = index::built_from(target).is_some_and(|built| built == source)
        && target.join("meta.json").is_file();
    let index = if current {
        None
    } else {
        Some(index::stage(
            target,
            documents::each(content, catalog, data, bodies),
            &[
                (config::FILE_NAME, config.as_deref()),
                (LABELS_FILE, Some(&labels)),
            ],
            Some(&source),
        )?)
    };
    Ok(StagedIndex {
        documents,
        index,
        source,
    })
}

/// [`build_index`] into `target` (`kpot serve` keeps its index in a
/// temporary folder), with the search configuration of
/// `root/search-index/config.toml` beside it.
pub fn build_index_at(
    root: &Path,
    target: &Path,
    content: &crate::content::Content,
    catalog: &crate::catalog::Catalog,
    data: &crate::data::Data,
    bodies: &[crate::markdown::Rendered],
) -> Result<usize, String> {
    let staged = stage_index_at(root, target, content, catalog, data, bodies)?;
    if let Some(index) = staged.index {
        index.commit()?;
    }
    Ok(staged.documents)
}
