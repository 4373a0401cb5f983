//! Search: Japanese-aware analysis, the tantivy index written at build time,
//! and the query engine the server answers with.

pub mod analysis;
pub mod config;
pub mod documents;
pub mod index;
pub mod query;
pub mod schema;
pub mod snippet;

pub use query::{Request, Response, SearchIndex, Sort};

/// Facet labels saved beside the index (see `documents::labels`).
pub const LABELS_FILE: &str = "kpot-labels.json";

use std::path::Path;

/// Writes the index for the prepared site to `root/search-index/index`,
/// with the search configuration beside it.
pub fn build_index(
    root: &Path,
    content: &crate::content::Content,
    catalog: &crate::catalog::Catalog,
    data: &crate::data::Data,
    bodies: &[crate::markdown::Rendered],
) -> Result<usize, String> {
    let target = root.join("search-index").join("index");
    build_index_at(root, &target, content, catalog, data, bodies)
}

/// Writes the index for the prepared site to `target` (`kpot serve` keeps
/// its own in a temporary folder), with the search configuration of
/// `root/search-index/config.toml` beside it.
pub fn build_index_at(
    root: &Path,
    target: &Path,
    content: &crate::content::Content,
    catalog: &crate::catalog::Catalog,
    data: &crate::data::Data,
    bodies: &[crate::markdown::Rendered],
) -> Result<usize, String> {
    let config_path = root.join("search-index").join("config.toml");
    // Validate before writing anything.
    config::SearchConfig::load(&config_path)?;
    let docs = documents::collect(content, catalog, data, bodies);
    let config = std::fs::read(&config_path).ok();
    let labels =
        serde_json::to_vec(&documents::labels(content, data)).map_err(|e| e.to_string())?;
    index::write(
        target,
        &docs,
        &[
            (config::FILE_NAME, config.as_deref()),
            (LABELS_FILE, Some(&labels)),
        ],
    )?;
    Ok(docs.len())
}
