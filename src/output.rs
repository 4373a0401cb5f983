//! Writing the built site so that readers never see half of it, and writing
//! only the files whose bytes changed.
//!
//! Every new or changed file is first written to a staging folder beside
//! the target while the site renders; nothing in the target is touched
//! until all of it has rendered and been written. Then:
//!
//! - a first build (no target, or no record of the last build) swaps the
//!   staging folder in whole, as before;
//! - a later build moves each changed file in with a rename (readers see
//!   the old file or the new one, never half of one) and removes the files
//!   the site no longer has.
//!
//! A [`Manifest`] beside the target (`.public.kpot-manifest`) records each
//! file's content hash with the size and modification time it had when
//! written: a file whose size and time still match is known to hold those
//! bytes without reading it, so an unchanged page costs a hash of the newly
//! rendered bytes and nothing on disk. A file edited or deleted by hand no
//! longer matches and is written again.

use crate::render::{Output, Payload};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::io::{self, Write as _};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::UNIX_EPOCH;

/// A hidden name beside `target` for a temporary file or folder
/// (`.public.new-1234`), so a rename within one file system finishes the
/// job. Creates the parent folder.
fn beside(target: &Path, tag: &str) -> io::Result<PathBuf> {
    beside_named(target, &format!("{tag}-{}", std::process::id()))
}

/// `.NAME.TAG` beside `target`; creates the parent folder.
fn beside_named(target: &Path, tag: &str) -> io::Result<PathBuf> {
    let path = hidden_beside(target, tag);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    Ok(path)
}

/// Where [`beside_named`] puts `tag`, without making its folder.
fn hidden_beside(target: &Path, tag: &str) -> PathBuf {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    parent.join(format!(".{name}.{tag}"))
}

/// Writes one file so that it is either the old or the new version, never a
/// half-written one: a temporary file beside it, then a rename.
pub fn write_file_atomically(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let staging = beside(target, "new")?;
    std::fs::write(&staging, bytes)?;
    std::fs::rename(&staging, target).inspect_err(|_| {
        let _ = std::fs::remove_file(&staging);
    })
}

/// Writes `outputs` into `target` atomically (as far as the file system
/// allows: two renames) and returns the number of files written. Replaces
/// the whole folder; [`Writer`] writes only what changed.
pub fn write_atomically(target: &Path, outputs: &[Output]) -> io::Result<usize> {
    let staging = staging_dir(target)?;
    if let Err(err) = write_all(&staging, outputs) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(err);
    }
    swap_in(&staging, target)?;
    Ok(outputs.len())
}

/// A fresh staging folder beside `target`, for [`swap_in`].
pub fn staging_dir(target: &Path) -> io::Result<PathBuf> {
    let staging = beside(target, "new")?;
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    Ok(staging)
}

/// Replaces `target` with the completely written `staging` folder: readers
/// see the old folder or the new one, never a mix.
pub fn swap_in(staging: &Path, target: &Path) -> io::Result<()> {
    let old = beside(target, "old")?;
    if target.exists() {
        std::fs::rename(target, &old)?;
    }
    if let Err(err) = std::fs::rename(staging, target) {
        // Put the previous version back rather than leave none.
        if old.exists() {
            let _ = std::fs::rename(&old, target);
        }
        let _ = std::fs::remove_dir_all(staging);
        return Err(err);
    }
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    Ok(())
}

fn write_all(root: &Path, outputs: &[Output]) -> io::Result<()> {
    std::fs::create_dir_all(root)?;
    let dirs = Dirs::default();
    outputs.par_iter().try_for_each(|output| {
        let path = safe_join(root, &output.path)?;
        dirs.ensure_parent(&path)?;
        match &output.payload {
            Payload::Bytes(bytes) => std::fs::write(&path, bytes),
            Payload::Copy(source) => std::fs::copy(source, &path).map(|_| ()),
        }
        .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))
    })
}

/// Joins an output path to the output folder, refusing anything that would
/// land outside it: a last line of defence behind the catalog's checks.
fn safe_join(root: &Path, rel: &str) -> io::Result<PathBuf> {
    let rel_path = Path::new(rel);
    if rel.is_empty()
        || rel.contains('\n')
        || rel_path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to write outside the output folder: {rel}"),
        ));
    }
    Ok(root.join(rel_path))
}

/// Folders already made, so that 30,000 files in 3,000 folders cost 3,000
/// `mkdir`s, not 30,000.
#[derive(Default)]
struct Dirs(Mutex<HashSet<PathBuf>>);

impl Dirs {
    fn ensure_parent(&self, path: &Path) -> io::Result<()> {
        let Some(dir) = path.parent() else {
            return Ok(());
        };
        if self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(dir)
        {
            return Ok(());
        }
        std::fs::create_dir_all(dir)?;
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(dir.to_path_buf());
        Ok(())
    }
}

/// A file's content hash: 128 bits of XXH3, ample against accidental
/// collisions among a site's files (this is no defence against forgery,
/// and needs none: whoever can write the output can write anything).
pub fn content_hash(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

/// Identifies the running kpot program: its version and its executable's
/// size and modification time. A rebuilt kpot may render differently, so
/// whatever a build records as current is only current for the same program.
pub fn program_stamp() -> &'static str {
    static STAMP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    STAMP.get_or_init(|| {
        let exe = std::env::current_exe()
            .and_then(std::fs::metadata)
            .map(|m| stamp(&m));
        match exe {
            Ok((size, mtime)) => format!("{} {size} {mtime}", env!("CARGO_PKG_VERSION")),
            // Unknown: a stamp that matches nothing recorded.
            Err(_) => format!(
                "{} unknown {:?}",
                env!("CARGO_PKG_VERSION"),
                std::time::SystemTime::now()
            ),
        }
    })
}

/// What the manifest knows about one written file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileRecord {
    pub hash: u128,
    pub size: u64,
    /// Modification time in nanoseconds since the epoch, as written.
    pub mtime: u128,
}

/// Size and modification time of a file on disk.
fn stamp(meta: &std::fs::Metadata) -> (u64, u128) {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    (meta.len(), mtime)
}

/// The record of the last build of a target folder: each file's hash, size
/// and time, and a line the caller keeps there (`kpot build` keeps the
/// fingerprint of its inputs and its report).
#[derive(Debug, Default)]
pub struct Manifest {
    pub meta: String,
    pub files: HashMap<String, FileRecord>,
}

const MANIFEST_HEADER: &str = "kpot-manifest 1";

impl Manifest {
    /// Where the manifest of `target` lives: `.public.kpot-manifest` beside
    /// `public/` (hidden, like the staging folders, and never deployed).
    pub fn path(target: &Path) -> io::Result<PathBuf> {
        beside_named(target, "kpot-manifest")
    }

    /// The manifest of `target`, if there is a readable one.
    pub fn load(target: &Path) -> Option<Manifest> {
        let text = std::fs::read_to_string(hidden_beside(target, "kpot-manifest")).ok()?;
        Manifest::parse(&text)
    }

    /// The `meta` line of `target`'s manifest, without reading the list of
    /// files after it.
    pub fn meta(target: &Path) -> Option<String> {
        use std::io::BufRead;
        let file = std::fs::File::open(hidden_beside(target, "kpot-manifest")).ok()?;
        let mut lines = io::BufReader::new(file).lines();
        if lines.next()?.ok()? != MANIFEST_HEADER {
            return None;
        }
        lines.next()?.ok()
    }

    fn parse(text: &str) -> Option<Manifest> {
        let mut lines = text.lines();
        if lines.next()? != MANIFEST_HEADER {
            return None;
        }
        let meta = lines.next()?.to_string();
        let mut files = HashMap::new();
        for line in lines {
            let mut parts = line.splitn(4, '\t');
            let hash = u128::from_str_radix(parts.next()?, 16).ok()?;
            let size = parts.next()?.parse().ok()?;
            let mtime = parts.next()?.parse().ok()?;
            let path = parts.next()?.to_string();
            files.insert(path, FileRecord { hash, size, mtime });
        }
        Some(Manifest { meta, files })
    }

    fn serialize(&self) -> String {
        let mut paths: Vec<&String> = self.files.keys().collect();
        paths.sort_unstable();
        let mut out = String::with_capacity(64 * paths.len() + self.meta.len() + 32);
        out.push_str(MANIFEST_HEADER);
        out.push('\n');
        out.push_str(&self.meta.replace('\n', " "));
        out.push('\n');
        for path in paths {
            let r = &self.files[path];
            use std::fmt::Write as _;
            let _ = writeln!(out, "{:032x}\t{}\t{}\t{path}", r.hash, r.size, r.mtime);
        }
        out
    }

    /// Whether `target` holds exactly the files recorded, each with its
    /// recorded size and time: then it holds the recorded bytes.
    pub fn matches(&self, target: &Path) -> bool {
        match scan(target) {
            Ok(found) => {
                found.len() == self.files.len()
                    && found.iter().all(|(path, (size, mtime))| {
                        self.files
                            .get(path)
                            .is_some_and(|r| r.size == *size && r.mtime == *mtime)
                    })
            }
            Err(_) => false,
        }
    }
}

/// Every file below `root` (relative `/`-separated path → size and time).
fn scan(root: &Path) -> io::Result<HashMap<String, (u64, u128)>> {
    let mut paths = Vec::new();
    for entry in walkdir::WalkDir::new(root).min_depth(1) {
        let entry = entry.map_err(io::Error::other)?;
        if !entry.file_type().is_dir() {
            let rel = entry.path().strip_prefix(root).map_err(io::Error::other)?;
            paths.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    paths
        .into_par_iter()
        .map(|rel| {
            let meta = std::fs::symlink_metadata(root.join(&rel))?;
            Ok((rel, stamp(&meta)))
        })
        .collect()
}

/// What a [`Writer`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    /// Files in the new site.
    pub files: usize,
    /// Files whose bytes were written (new or changed).
    pub written: usize,
    /// Files removed because the site no longer has them.
    pub removed: usize,
}

/// Writes a site into `target` file by file as it renders, then commits it
/// in one step (see the module comment). Safe to feed from many threads.
/// Dropping it without [`Writer::commit`] leaves `target` untouched.
pub struct Writer {
    target: PathBuf,
    staging: PathBuf,
    /// The files in `target` now, when it can be updated in place: the last
    /// build's record, with what is on disk.
    previous: Option<Previous>,
    dirs: Dirs,
    /// Every file of the new site; those written to staging are `changed`.
    records: Mutex<Vec<(String, FileRecord, bool)>>,
    written: AtomicUsize,
    committed: bool,
}

struct Previous {
    manifest: Manifest,
    /// What is in `target` now: relative path → size and time.
    on_disk: HashMap<String, (u64, u128)>,
}

impl Writer {
    /// Starts a build of `target`. The last build's manifest, if any and if
    /// `target` exists, lets unchanged files be skipped.
    pub fn begin(target: &Path) -> io::Result<Writer> {
        let previous = match Manifest::load(target) {
            Some(manifest) if target.is_dir() => Some(Previous {
                manifest,
                on_disk: scan(target)?,
            }),
            _ => None,
        };
        let staging = staging_dir(target)?;
        std::fs::create_dir_all(&staging)?;
        Ok(Writer {
            target: target.to_path_buf(),
            staging,
            previous,
            dirs: Dirs::default(),
            records: Mutex::new(Vec::new()),
            written: AtomicUsize::new(0),
            committed: false,
        })
    }

    /// Files added so far.
    pub fn len(&self) -> usize {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether this build updates an existing target in place.
    pub fn is_incremental(&self) -> bool {
        self.previous.is_some()
    }

    /// Adds one file of the new site: skipped when the target already holds
    /// these bytes, else written to staging.
    pub fn put(&self, output: &Output) -> io::Result<()> {
        let staged = safe_join(&self.staging, &output.path)?;
        let copied;
        let bytes: &[u8] = match &output.payload {
            Payload::Bytes(bytes) => bytes,
            Payload::Copy(source) => {
                copied = std::fs::read(source).map_err(|err| {
                    io::Error::new(err.kind(), format!("{}: {err}", source.display()))
                })?;
                &copied
            }
        };
        let hash = content_hash(bytes);
        if let Some(previous) = &self.previous
            && let Some(old) = previous.manifest.files.get(&output.path)
            && old.hash == hash
            && previous.on_disk.get(&output.path) == Some(&(old.size, old.mtime))
        {
            self.record(output.path.clone(), *old, false);
            return Ok(());
        }
        self.dirs.ensure_parent(&staged)?;
        let with_path =
            |err: io::Error| io::Error::new(err.kind(), format!("{}: {err}", staged.display()));
        let mut file = std::fs::File::create(&staged).map_err(with_path)?;
        file.write_all(bytes).map_err(with_path)?;
        let (size, mtime) = stamp(&file.metadata().map_err(with_path)?);
        self.written.fetch_add(1, Ordering::Relaxed);
        self.record(output.path.clone(), FileRecord { hash, size, mtime }, true);
        Ok(())
    }

    fn record(&self, path: String, record: FileRecord, changed: bool) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((path, record, changed));
    }

    /// Makes the new site the target's content and records it with `meta`.
    pub fn commit(mut self, meta: &str) -> io::Result<WriteStats> {
        self.committed = true;
        let records = std::mem::take(&mut *self.records.lock().unwrap_or_else(|e| e.into_inner()));
        let mut seen = HashSet::with_capacity(records.len());
        for (path, _, _) in &records {
            if !seen.insert(path.as_str()) {
                let _ = std::fs::remove_dir_all(&self.staging);
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("two outputs write the same file: {path}"),
                ));
            }
        }
        let manifest_path = Manifest::path(&self.target)?;
        let result = match self.previous.take() {
            None => self.commit_whole(&manifest_path),
            Some(previous) => self.commit_changes(&previous, &records, &manifest_path),
        };
        let removed = match result {
            Ok(removed) => removed,
            Err(err) => {
                let _ = std::fs::remove_dir_all(&self.staging);
                return Err(err);
            }
        };
        let manifest = Manifest {
            meta: meta.to_string(),
            files: records
                .iter()
                .map(|(path, record, _)| (path.clone(), *record))
                .collect(),
        };
        write_file_atomically(&manifest_path, manifest.serialize().as_bytes())?;
        Ok(WriteStats {
            files: records.len(),
            written: self.written.load(Ordering::Relaxed),
            removed,
        })
    }

    /// First build: the staging folder becomes the target.
    fn commit_whole(&self, manifest_path: &Path) -> io::Result<usize> {
        // A manifest must never describe a folder it was not written for.
        remove_if_exists(manifest_path)?;
        swap_in(&self.staging, &self.target)?;
        Ok(0)
    }

    /// Later builds: stale files out, changed files in, one rename each.
    fn commit_changes(
        &self,
        previous: &Previous,
        records: &[(String, FileRecord, bool)],
        manifest_path: &Path,
    ) -> io::Result<usize> {
        // Until the new manifest is written, the old one would be wrong.
        remove_if_exists(manifest_path)?;
        let keep: HashSet<&str> = records.iter().map(|(p, _, _)| p.as_str()).collect();
        // Everything in the target that the new site lacks (including any
        // file put there by hand: the target is the build's alone).
        let mut stale: Vec<&String> = previous
            .on_disk
            .keys()
            .filter(|p| !keep.contains(p.as_str()))
            .collect();
        stale.sort_unstable();
        for rel in &stale {
            let path = self.target.join(rel);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
        let dirs = Dirs::default();
        records
            .par_iter()
            .filter(|(_, _, changed)| *changed)
            .try_for_each(|(rel, _, _)| {
                let to = self.target.join(rel);
                dirs.ensure_parent(&to)?;
                if to.is_dir() {
                    // A folder where a file now goes: the old site had
                    // pages below this path, the new one has a file.
                    std::fs::remove_dir_all(&to)?;
                }
                std::fs::rename(self.staging.join(rel), &to)
                    .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", to.display())))
            })?;
        // Folders left empty by removed pages.
        for rel in &stale {
            let mut dir = self.target.join(rel);
            while dir.pop() && dir != self.target {
                if std::fs::remove_dir(&dir).is_err() {
                    break;
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.staging);
        Ok(stale.len())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(path: &str, text: &str) -> Output {
        Output {
            path: path.into(),
            payload: Payload::Bytes(text.as_bytes().to_vec()),
        }
    }

    #[test]
    fn replaces_the_whole_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        write_atomically(&target, &[out("a/index.html", "1"), out("old.html", "x")]).unwrap();
        write_atomically(&target, &[out("a/index.html", "2")]).unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("a/index.html")).unwrap(),
            "2"
        );
        assert!(!target.join("old.html").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[test]
    fn refuses_paths_outside_and_keeps_the_old_site() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        write_atomically(&target, &[out("index.html", "good")]).unwrap();
        assert!(write_atomically(&target, &[out("../evil.html", "x")]).is_err());
        assert!(write_atomically(&target, &[out("/etc/evil", "x")]).is_err());
        assert_eq!(
            std::fs::read_to_string(target.join("index.html")).unwrap(),
            "good"
        );
        assert!(!dir.path().join("evil.html").exists());
    }

    /// Builds `outputs` into `target` with a [`Writer`].
    fn build(target: &Path, outputs: &[Output]) -> WriteStats {
        let writer = Writer::begin(target).unwrap();
        for o in outputs {
            writer.put(o).unwrap();
        }
        writer.commit("meta line").unwrap()
    }

    /// The names in `dir`, sorted.
    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn files(target: &Path) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = scan(target)
            .unwrap()
            .into_keys()
            .map(|p| {
                let text = std::fs::read_to_string(target.join(&p)).unwrap();
                (p, text)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_second_build_of_the_same_files_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        let site = [out("index.html", "home"), out("a/b/index.html", "page")];
        let first = build(&target, &site);
        assert_eq!((first.files, first.written, first.removed), (2, 2, 0));
        let before = files(&target);
        let mtime = std::fs::metadata(target.join("index.html"))
            .unwrap()
            .modified()
            .unwrap();

        let second = build(&target, &site);
        assert_eq!((second.files, second.written, second.removed), (2, 0, 0));
        assert_eq!(files(&target), before);
        assert_eq!(
            std::fs::metadata(target.join("index.html"))
                .unwrap()
                .modified()
                .unwrap(),
            mtime,
            "an unchanged file must not be rewritten"
        );
        let manifest = Manifest::load(&target).unwrap();
        assert_eq!(manifest.meta, "meta line");
        assert_eq!(manifest.files.len(), 2);
        assert!(manifest.matches(&target));
        // Only the target and its manifest are left beside it.
        assert_eq!(
            names_in(dir.path()),
            vec![".public.kpot-manifest", "public"]
        );
    }

    #[test]
    fn changed_files_are_rewritten_and_missing_ones_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        build(
            &target,
            &[
                out("index.html", "home"),
                out("gone/deep/index.html", "bye"),
                out("same.html", "same"),
            ],
        );
        let stats = build(
            &target,
            &[
                out("index.html", "home, edited"),
                out("same.html", "same"),
                out("new/index.html", "new"),
            ],
        );
        assert_eq!((stats.files, stats.written, stats.removed), (3, 2, 1));
        assert_eq!(
            files(&target),
            vec![
                ("index.html".into(), "home, edited".into()),
                ("new/index.html".into(), "new".into()),
                ("same.html".into(), "same".into()),
            ]
        );
        assert!(
            !target.join("gone").exists(),
            "folders left empty are removed"
        );
    }

    #[test]
    fn files_changed_by_hand_are_restored_and_strays_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        let site = [out("index.html", "home"), out("a.html", "a")];
        build(&target, &site);
        std::fs::write(target.join("index.html"), "vandalised").unwrap();
        std::fs::remove_file(target.join("a.html")).unwrap();
        std::fs::write(target.join("stray.html"), "stray").unwrap();
        assert!(!Manifest::load(&target).unwrap().matches(&target));
        let stats = build(&target, &site);
        assert_eq!((stats.written, stats.removed), (2, 1));
        assert_eq!(
            files(&target),
            vec![
                ("a.html".into(), "a".into()),
                ("index.html".into(), "home".into())
            ]
        );
        assert!(Manifest::load(&target).unwrap().matches(&target));
    }

    #[test]
    fn an_abandoned_build_leaves_the_target_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        build(&target, &[out("index.html", "home")]);
        let writer = Writer::begin(&target).unwrap();
        writer.put(&out("index.html", "half")).unwrap();
        assert!(writer.put(&out("../evil.html", "x")).is_err());
        drop(writer);
        assert_eq!(files(&target), vec![("index.html".into(), "home".into())]);
        assert_eq!(
            names_in(dir.path()),
            vec![".public.kpot-manifest", "public"]
        );
    }

    #[test]
    fn a_page_may_become_a_folder_and_back() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        build(&target, &[out("a", "file")]);
        build(&target, &[out("a/index.html", "folder")]);
        assert_eq!(
            files(&target),
            vec![("a/index.html".into(), "folder".into())]
        );
        build(&target, &[out("a", "file again")]);
        assert_eq!(files(&target), vec![("a".into(), "file again".into())]);
    }

    #[test]
    fn the_same_file_twice_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        let writer = Writer::begin(&target).unwrap();
        writer.put(&out("a.html", "1")).unwrap();
        writer.put(&out("a.html", "2")).unwrap();
        assert!(writer.commit("").is_err());
        assert!(!target.exists());
    }

    #[test]
    fn a_manifest_reads_back_what_was_written() {
        let mut files = HashMap::new();
        files.insert(
            "a b/index.html".to_string(),
            FileRecord {
                hash: u128::MAX - 7,
                size: 12,
                mtime: 1_700_000_000_123_456_789,
            },
        );
        let manifest = Manifest {
            meta: "{\"x\":1}".into(),
            files,
        };
        let back = Manifest::parse(&manifest.serialize()).unwrap();
        assert_eq!(back.meta, manifest.meta);
        assert_eq!(back.files, manifest.files);
        assert!(Manifest::parse("something else\n").is_none());
        assert!(Manifest::parse("kpot-manifest 1\nmeta\nnot a line\n").is_none());
    }
}
