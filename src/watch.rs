//! Watching the site's sources for `kpot serve`: file system events from
//! notify, gathered into batches by a short debounce.
//!
//! A batch is only a set of paths; what happened to each is read from the
//! disk when the batch is handled. That makes editors' atomic saves (write a
//! temporary file, rename it over the original), renames, deletions and new
//! files one case: a path that exists now is (re)loaded, one that does not
//! is removed.
//!
//! The debounce is hand-made rather than notify-debouncer-mini's or -full's:
//! those tick at a fraction of their timeout and track file ids, where this
//! one waits exactly until the events have been quiet for `quiet` (an editor
//! save is a burst of events within a millisecond or two), so the latency a
//! preview adds stays a few milliseconds.

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// What the site is built from, relative to the root: folders watched with
/// everything under them, and single files.
pub const WATCHED_DIRS: [&str; 4] = ["content", "data", "themes", "static"];
pub const WATCHED_FILES: [&str; 1] = ["config.toml"];

/// Watches a site's sources. Dropping it stops the watching.
pub struct Watcher {
    root: PathBuf,
    /// Kept alive: dropping it ends notify's thread.
    watcher: RecommendedWatcher,
    events: Receiver<notify::Result<notify::Event>>,
    watching: BTreeSet<PathBuf>,
}

impl Watcher {
    /// Starts watching `root`'s sources. The root itself is watched (not its
    /// subfolders) so that `config.toml` replaced by a rename, and source
    /// folders created later, are seen.
    pub fn new(root: &Path) -> notify::Result<Watcher> {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let (sender, events) = channel();
        let watcher = notify::recommended_watcher(move |event| {
            let _ = sender.send(event);
        })?;
        let mut watcher = Watcher {
            root,
            watcher,
            events,
            watching: BTreeSet::new(),
        };
        watcher
            .watcher
            .watch(&watcher.root, RecursiveMode::NonRecursive)?;
        watcher.watch_folders()?;
        Ok(watcher)
    }

    /// The canonical root the paths of batches start with.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn watch_folders(&mut self) -> notify::Result<()> {
        for dir in WATCHED_DIRS {
            let path = self.root.join(dir);
            if path.is_dir() && !self.watching.contains(&path) {
                self.watcher.watch(&path, RecursiveMode::Recursive)?;
                self.watching.insert(path);
            }
        }
        Ok(())
    }

    /// Blocks until something changes, then until the events have been
    /// quiet for `quiet` (or `longest` has passed since the first), and
    /// returns the changed source paths, relative to the root (`/`-separated).
    /// `None` when the watcher has stopped.
    pub fn next_batch(&mut self, quiet: Duration, longest: Duration) -> Option<Vec<String>> {
        let mut paths = BTreeSet::new();
        loop {
            let event = self.events.recv().ok()?;
            self.take(event, &mut paths);
            if !paths.is_empty() {
                break;
            }
        }
        let started = Instant::now();
        loop {
            let left = longest.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            match self.events.recv_timeout(quiet.min(left)) {
                Ok(event) => self.take(event, &mut paths),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
        paths.extend(self.rewatch(&paths));
        Some(paths.into_iter().collect())
    }

    /// Watches again the source folders a batch names themselves (`content`
    /// rather than `content/a.md`): such a folder was created, deleted,
    /// moved away and back, or replaced by another tree (a `git checkout`,
    /// a sync tool). notify drops its watch on a folder that is moved or
    /// deleted, and a folder renamed into the root is not watched again on
    /// its own (the root is watched without its subfolders), so without
    /// this no later edit in it would be seen. The folders watched anew are
    /// returned: the whole folder is read again, which also covers the
    /// files saved before its watch was in place.
    fn rewatch(&mut self, batch: &BTreeSet<String>) -> Vec<String> {
        let mut again = Vec::new();
        for dir in WATCHED_DIRS {
            let path = self.root.join(dir);
            let named = batch.contains(dir);
            let appeared = !self.watching.contains(&path) && path.is_dir();
            if !named && !appeared {
                continue;
            }
            if self.watching.remove(&path) {
                // Usually already gone with the old folder; an error only
                // says so.
                let _ = self.watcher.unwatch(&path);
            }
            if path.is_dir() {
                match self.watcher.watch(&path, RecursiveMode::Recursive) {
                    Ok(()) => {
                        self.watching.insert(path);
                    }
                    Err(err) => eprintln!("kpot serve: cannot watch {}: {err}", path.display()),
                }
            }
            again.push(dir.to_string());
        }
        again
    }

    /// Adds an event's source paths to `paths`; reads and other events
    /// that change nothing are left out (kpot's own reads would otherwise
    /// wake it up again).
    fn take(&self, event: notify::Result<notify::Event>, paths: &mut BTreeSet<String>) {
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                eprintln!("kpot serve: watching failed: {err}");
                return;
            }
        };
        let changes = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
            EventKind::Access(_) => false,
            _ => true,
        };
        if !changes {
            return;
        }
        for path in &event.paths {
            if let Some(rel) = source_path(&self.root, path) {
                paths.insert(rel);
            }
        }
    }
}

/// `path` relative to `root` when it is one of the site's sources; hidden
/// files and folders (editor swap files, `.git`) are not.
pub fn source_path(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let rel = rel.to_string_lossy().replace('\\', "/");
    if rel
        .split('/')
        .any(|part| part.starts_with('.') || part.is_empty())
    {
        return None;
    }
    let top = rel.split('/').next().unwrap_or("");
    let watched = WATCHED_DIRS.contains(&top) || WATCHED_FILES.contains(&rel.as_str());
    (watched && !is_editor_scratch(&rel)).then_some(rel)
}

/// Files editors write beside the real one while saving (`a.md~`,
/// `a.md.swp`, `4913`, `#a.md#`): never sources.
fn is_editor_scratch(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name.starts_with('#')
        || name == "4913"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sources_count() {
        let root = Path::new("/site");
        let rel = |p: &str| source_path(root, Path::new(p));
        assert_eq!(
            rel("/site/content/events/a.md").as_deref(),
            Some("content/events/a.md")
        );
        assert_eq!(rel("/site/config.toml").as_deref(), Some("config.toml"));
        assert_eq!(rel("/site/public/index.html"), None);
        assert_eq!(rel("/site/search-index/index/meta.json"), None);
        assert_eq!(rel("/site/content/.a.md.swp"), None);
        assert_eq!(rel("/site/content/a.md~"), None);
        assert_eq!(rel("/site/.git/HEAD"), None);
        assert_eq!(rel("/elsewhere/content/a.md"), None);
    }

    #[test]
    fn an_atomic_save_arrives_as_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("content")).unwrap();
        std::fs::write(dir.path().join("content/a.md"), "old").unwrap();
        let mut watcher = Watcher::new(dir.path()).unwrap();
        let root = watcher.root().to_path_buf();
        // Write a temporary file, then rename it over the page.
        std::fs::write(root.join("content/.a.md.kpot-tmp"), "new").unwrap();
        std::fs::rename(
            root.join("content/.a.md.kpot-tmp"),
            root.join("content/a.md"),
        )
        .unwrap();
        std::fs::write(root.join("config.toml"), "x").unwrap();
        let batch = watcher
            .next_batch(Duration::from_millis(50), Duration::from_secs(2))
            .unwrap();
        assert_eq!(batch, vec!["config.toml", "content/a.md"]);
    }

    #[test]
    fn a_folder_moved_away_and_back_is_watched_again() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("content/events")).unwrap();
        let mut watcher = Watcher::new(dir.path()).unwrap();
        let root = watcher.root().to_path_buf();
        let quiet = Duration::from_millis(50);
        let longest = Duration::from_secs(2);
        std::fs::rename(root.join("content"), root.join("content.away")).unwrap();
        assert_eq!(watcher.next_batch(quiet, longest).unwrap(), vec!["content"]);
        std::fs::rename(root.join("content.away"), root.join("content")).unwrap();
        assert_eq!(watcher.next_batch(quiet, longest).unwrap(), vec!["content"]);
        std::fs::write(root.join("content/events/a.md"), "new").unwrap();
        // A stale watcher would wait forever: the batch is awaited on
        // another thread, for a bounded time.
        let (sender, batch) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(watcher.next_batch(quiet, longest));
        });
        let batch = batch.recv_timeout(Duration::from_secs(20));
        assert_eq!(
            batch,
            Ok(Some(vec!["content/events/a.md".to_string()])),
            "the edit after the folder came back was not seen"
        );
    }
}
