// Diagnostics travel in `Err`: they are the error path, rare and already
// boxed where they are collected, so their size does not matter.
#![allow(clippy::result_large_err)]

//! kpot: the K-POT portal generator and search server.
//!
//! Data flows one way: `content` and `data` load, `validate` and `catalog`
//! check and place, `markdown` and `render` transform, `output` writes.

/// Rendering, indexing and searching allocate and free many short-lived
/// buffers on several threads at once: with the system allocator that was
/// a fifth of a build's time and a sixth of a broad query's (consolidating
/// freed chunks). Declared in the library so the binary, the examples and
/// the tests all run with it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod build;
pub mod catalog;
pub mod check;
pub mod cms;
pub mod config;
pub mod content;
pub mod data;
pub mod diagnostics;
pub mod encoding;
pub mod feeds;
pub mod format;
pub mod import;
pub mod markdown;
pub mod new;
pub mod output;
pub mod render;
pub mod search;
pub mod serve;
pub mod server;
pub mod templates;
pub mod theme;
pub mod validate;
pub mod watch;
pub mod when;
