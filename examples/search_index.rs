//! Builds only the search index of a site (no HTML), printing how long the
//! load and the indexing took: for measuring the index on large corpora
//! without writing hundreds of thousands of pages.
//!
//!     cargo run --release --example search_index -- SITE_ROOT

use std::time::Instant;

fn main() {
    let root = std::env::args()
        .nth(1)
        .expect("usage: search_index SITE_ROOT");
    let root = std::path::Path::new(&root);
    let started = Instant::now();
    let prepared = match kpot::build::prepare(root, Some("2026-11-22"), false) {
        Ok(prepared) => prepared,
        Err(_) => {
            eprintln!("cannot load {}", root.display());
            std::process::exit(2);
        }
    };
    let loaded = started.elapsed();
    let indexing = Instant::now();
    let count = kpot::search::build_index(
        root,
        &prepared.content,
        &prepared.catalog,
        &prepared.data,
        &prepared.bodies,
    )
    .unwrap_or_else(|err| {
        eprintln!("{err}");
        std::process::exit(2);
    });
    println!(
        "{count} documents: load {:.1} s, index {:.1} s",
        loaded.as_secs_f64(),
        indexing.elapsed().as_secs_f64()
    );
}
