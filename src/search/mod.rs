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
    let config_path = root.join("search-index").join("config.toml");
    // Validate before writing anything.
    config::SearchConfig::load(&config_path)?;
    let docs = documents::collect(content, catalog, data, bodies);
    let target = root.join("search-index").join("index");
    let config = std::fs::read(&config_path).ok();
    index::write(&target, &docs, config.as_deref())?;
    Ok(docs.len())
}
