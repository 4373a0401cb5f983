//! Publishing the built site so that readers never see half of it, and
//! writing only the files whose bytes changed.
//!
//! `public` is a symbolic link to a *generation*, a complete copy of the
//! site in `.public.generations/<n>/` beside it. A build writes the next
//! generation while the site renders: each unchanged file is a hard link to
//! the live generation's (no bytes copied, same size and time), each new or
//! changed one is written. Once all of it is written, the generation's
//! [`Manifest`] is written beside it and one `rename(2)` of a fresh link
//! over `public` makes it live: a reader, or a build killed at any instant,
//! sees the old site or the new one, whole. (When `public` is still a real
//! folder, from a first build or an older kpot, the link takes its place by
//! `renameat2(RENAME_EXCHANGE)`, so there is never an instant without one.)
//!
//! The previous generation stays until the next build starts, for readers
//! that were still reading it; anything else in `.public.generations/` is
//! left from a build that did not finish and is removed then. Builds of one
//! target take turns by an exclusive lock on that folder ([`Lock`]), so
//! whatever a build finds there that is not live is stale.
//!
//! The manifest (`.public.generations/<n>.kpot-manifest`) records each
//! file's content hash with the size and modification time it had when
//! written: a file whose size and time still match is known to hold those
//! bytes without reading it, so an unchanged page costs a hash of the newly
//! rendered bytes and a link. A file edited or deleted by hand no longer
//! matches and is written again.

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
        std::fs::create_dir_all(parent).map_err(|err| with_path(parent, err))?;
    }
    Ok(path)
}

/// Where [`beside_named`] puts `tag`, without making its folder.
fn hidden_beside(target: &Path, tag: &str) -> PathBuf {
    parent_of(target).join(hidden_name(target, tag))
}

/// `.NAME.TAG` for `target` named NAME.
fn hidden_name(target: &Path, tag: &str) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    format!(".{name}.{tag}")
}

/// The folder `target` is in (`.` for a bare name).
fn parent_of(target: &Path) -> &Path {
    target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// `err` with the path it is about: the OS's own message ("No space left on
/// device") does not say which file.
pub fn with_path(path: &Path, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

/// Writes one file so that it is either the old or the new version, never a
/// half-written one: a temporary file beside it, then a rename.
pub fn write_file_atomically(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let staging = beside(target, "new")?;
    std::fs::write(&staging, bytes).map_err(|err| {
        let _ = std::fs::remove_file(&staging);
        with_path(&staging, err)
    })?;
    std::fs::rename(&staging, target).map_err(|err| {
        let _ = std::fs::remove_file(&staging);
        with_path(target, err)
    })
}

/// Writes `outputs` into `target` atomically and returns the number of
/// files written. Replaces the whole folder; [`Writer`] writes only what
/// changed.
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
        std::fs::remove_dir_all(&staging).map_err(|err| with_path(&staging, err))?;
    }
    Ok(staging)
}

/// Replaces the folder `target` with the completely written `staging`
/// folder in one step: the two are exchanged (`renameat2(RENAME_EXCHANGE)`),
/// so `target` is never missing, then the old one is removed. Readers see
/// the old folder or the new one, never a mix and never none.
pub fn swap_in(staging: &Path, target: &Path) -> io::Result<()> {
    if std::fs::symlink_metadata(target).is_ok() {
        match exchange(staging, target) {
            Ok(()) => {
                // Now the old folder. Left behind if this fails (or the
                // build is killed), it is removed by the next build.
                let _ = remove_any(staging);
                return Ok(());
            }
            Err(err) if exchange_unsupported(&err) => {
                return swap_in_by_two_renames(staging, target);
            }
            Err(err) => {
                let _ = std::fs::remove_dir_all(staging);
                return Err(with_path(target, err));
            }
        }
    }
    std::fs::rename(staging, target).map_err(|err| {
        let _ = std::fs::remove_dir_all(staging);
        with_path(target, err)
    })
}

/// Exchanges the names of `a` and `b` atomically (both must exist).
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

/// Whether `exchange` failed because the file system (or kernel) cannot
/// exchange names, rather than for a reason that a plain rename shares.
fn exchange_unsupported(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(code) if code == rustix::io::Errno::INVAL.raw_os_error()
            || code == rustix::io::Errno::NOSYS.raw_os_error()
            || code == rustix::io::Errno::OPNOTSUPP.raw_os_error()
    )
}

/// The swap for file systems without `RENAME_EXCHANGE`: `target` is missing
/// between the two renames.
fn swap_in_by_two_renames(staging: &Path, target: &Path) -> io::Result<()> {
    let old = beside(target, "old")?;
    std::fs::rename(target, &old).map_err(|err| with_path(target, err))?;
    if let Err(err) = std::fs::rename(staging, target) {
        // Put the previous version back rather than leave none.
        let _ = std::fs::rename(&old, target);
        let _ = std::fs::remove_dir_all(staging);
        return Err(with_path(target, err));
    }
    let _ = remove_any(&old);
    Ok(())
}

/// Removes a file, link or folder (with everything in it).
fn remove_any(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
    }
}

/// Removes what an interrupted swap or write left beside `target`: the
/// `.NAME.new-PID` and `.NAME.old-PID` files and folders. Only safe while
/// holding the [`Lock`] that covers `target`: then no other build is
/// writing them.
pub fn remove_stale_staging(target: &Path) -> io::Result<()> {
    let parent = parent_of(target);
    let prefixes = [hidden_name(target, "new-"), hidden_name(target, "old-")];
    let entries = match std::fs::read_dir(parent) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(with_path(parent, err)),
    };
    for entry in entries {
        let entry = entry.map_err(|err| with_path(parent, err))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if prefixes.iter().any(|p| name.starts_with(p.as_str())) {
            let path = entry.path();
            remove_any(&path).map_err(|err| with_path(&path, err))?;
        }
    }
    Ok(())
}

/// An exclusive lock on a folder, held while a build writes the target the
/// folder belongs to, so that two builds never interleave and a build may
/// treat any staging left beside the target as stale. Released when
/// dropped (or when the process dies, however it dies).
#[derive(Debug)]
pub struct Lock {
    _dir: std::fs::File,
}

impl Lock {
    /// Locks `dir` (made if missing), failing at once if another process
    /// holds it: waiting could wait for ever on a stuck build.
    fn acquire(dir: &Path) -> io::Result<Lock> {
        use rustix::fs::{FlockOperation, flock};
        std::fs::create_dir_all(dir).map_err(|err| with_path(dir, err))?;
        let file = std::fs::File::open(dir).map_err(|err| with_path(dir, err))?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(Lock { _dir: file }),
            Err(rustix::io::Errno::WOULDBLOCK) => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "another kpot build holds the lock on {}; run again once it has finished",
                    dir.display()
                ),
            )),
            Err(err) => Err(with_path(dir, err.into())),
        }
    }

    /// The lock of the site folder `target`: its generations folder.
    pub fn output(target: &Path) -> io::Result<Lock> {
        Lock::acquire(&generations_dir(target))
    }

    /// The lock of a folder swapped in whole by [`swap_in`] (the search
    /// index): a `.NAME.lock` folder beside it.
    pub fn beside(target: &Path) -> io::Result<Lock> {
        Lock::acquire(&hidden_beside(target, "lock"))
    }
}

/// Why `target` cannot be published by swapping a name, if it cannot: it
/// is a mount point, and a mount point cannot be renamed or replaced.
/// Checked before a build does any work.
pub fn unswappable(target: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(target).ok()?;
    if !meta.is_dir() {
        return None;
    }
    is_mount_point(target).then(|| {
        format!(
            "{} is a mount point, which cannot be replaced in one step",
            target.display()
        )
    })
}

/// Whether the folder `path` is the root of a mounted file system: statx's
/// own flag where the kernel gives it (bind mounts included), else a device
/// different from its parent's.
fn is_mount_point(path: &Path) -> bool {
    use rustix::fs::{AtFlags, CWD, StatxAttributes, StatxFlags, statx};
    use std::os::unix::fs::MetadataExt;
    if let Ok(stat) = statx(
        CWD,
        path,
        AtFlags::SYMLINK_NOFOLLOW | AtFlags::NO_AUTOMOUNT,
        StatxFlags::empty(),
    ) && stat
        .stx_attributes_mask
        .contains(StatxAttributes::MOUNT_ROOT)
    {
        return stat.stx_attributes.contains(StatxAttributes::MOUNT_ROOT);
    }
    let parent = match std::path::absolute(path) {
        Ok(abs) => abs.parent().map(Path::to_path_buf),
        Err(_) => None,
    };
    match (
        std::fs::symlink_metadata(path),
        parent.map(std::fs::metadata),
    ) {
        (Ok(own), Some(Ok(up))) => own.dev() != up.dev(),
        _ => false,
    }
}

fn write_all(root: &Path, outputs: &[Output]) -> io::Result<()> {
    std::fs::create_dir_all(root).map_err(|err| with_path(root, err))?;
    let dirs = Dirs::default();
    outputs.par_iter().try_for_each(|output| {
        let path = safe_join(root, &output.path)?;
        dirs.ensure_parent(&path)?;
        match &output.payload {
            Payload::Bytes(bytes) => std::fs::write(&path, bytes),
            Payload::Copy(source) => std::fs::copy(source, &path).map(|_| ()),
        }
        .map_err(|err| with_path(&path, err))
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
        std::fs::create_dir_all(dir).map_err(|err| with_path(dir, err))?;
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

/// `.public.generations`, beside `public`: the generations, their
/// manifests, and the lock.
fn generations_dir(target: &Path) -> PathBuf {
    hidden_beside(target, "generations")
}

/// The live generation of `target`: its number and folder, when `target`
/// is a link to one of its generations (as a build leaves it).
fn live_generation(target: &Path) -> Option<(u64, PathBuf)> {
    let link = std::fs::read_link(target).ok()?;
    let mut parts = link.components();
    let (Some(Component::Normal(dir)), Some(Component::Normal(number)), None) =
        (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if dir.to_str() != Some(hidden_name(target, "generations").as_str()) {
        return None;
    }
    let number: u64 = number.to_str()?.parse().ok()?;
    Some((number, generations_dir(target).join(number.to_string())))
}

/// Where the manifest of generation `number` is.
fn manifest_path(target: &Path, number: u64) -> PathBuf {
    generations_dir(target).join(format!("{number}.kpot-manifest"))
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
    /// The manifest of `target`'s live generation, if there is a readable
    /// one. It is written before the generation goes live, so it always
    /// describes what `target` shows.
    pub fn load(target: &Path) -> Option<Manifest> {
        let (number, _) = live_generation(target)?;
        let text = std::fs::read_to_string(manifest_path(target, number)).ok()?;
        Manifest::parse(&text)
    }

    /// The `meta` line of `target`'s manifest, without reading the list of
    /// files after it.
    pub fn meta(target: &Path) -> Option<String> {
        use std::io::BufRead;
        let (number, _) = live_generation(target)?;
        let file = std::fs::File::open(manifest_path(target, number)).ok()?;
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

/// Every file below `root` (relative `/`-separated path → size and time);
/// `root` itself may be a link to the folder.
fn scan(root: &Path) -> io::Result<HashMap<String, (u64, u128)>> {
    let mut paths = Vec::new();
    for entry in walkdir::WalkDir::new(root)
        .follow_root_links(true)
        .min_depth(1)
    {
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
    /// Files the live site had and the new one has not.
    pub removed: usize,
}

/// Writes the next generation of `target` file by file as the site renders,
/// then makes it live in one step (see the module comment). Safe to feed
/// from many threads. Dropping it without [`Writer::commit`] removes the
/// unfinished generation and leaves `target` untouched.
pub struct Writer {
    target: PathBuf,
    /// The generation being written, `.public.generations/<number>`.
    staging: PathBuf,
    number: u64,
    /// The live generation, when unchanged files can be linked from it.
    previous: Option<Previous>,
    dirs: Dirs,
    /// Every file of the new site; those written (not linked) are `changed`.
    records: Mutex<Vec<(String, FileRecord, bool)>>,
    written: AtomicUsize,
    committed: bool,
    /// Removing the generations that are no longer needed, meanwhile.
    pruning: Option<std::thread::JoinHandle<()>>,
}

struct Previous {
    /// The live generation's folder.
    dir: PathBuf,
    manifest: Manifest,
    /// What is in it now: relative path → size and time.
    on_disk: HashMap<String, (u64, u128)>,
}

impl Writer {
    /// Starts the next generation of `target`; `_lock` (from
    /// [`Lock::output`]) proves no other build is at it. The live
    /// generation's manifest, if any, lets unchanged files be linked
    /// instead of written. Everything else in the generations folder but
    /// the live generation is removed, on a thread of its own: the previous
    /// generation, kept since the last build for readers still reading it,
    /// and whatever an interrupted build left.
    pub fn begin(target: &Path, _lock: &Lock) -> io::Result<Writer> {
        let generations = generations_dir(target);
        let live = live_generation(target);
        let (stale, newest) = stale_generations(&generations, live.as_ref().map(|(n, _)| *n))?;
        let pruning = (!stale.is_empty()).then(|| {
            std::thread::spawn(move || {
                for path in stale {
                    // What cannot be removed now is tried again next time.
                    let _ = remove_any(&path);
                }
            })
        });
        // Without a readable live generation and manifest, everything is
        // written.
        let previous = live.and_then(|(number, dir)| {
            let text = std::fs::read_to_string(manifest_path(target, number)).ok()?;
            Some(Previous {
                manifest: Manifest::parse(&text)?,
                on_disk: scan(&dir).ok()?,
                dir,
            })
        });
        let number = newest + 1;
        let staging = generations.join(number.to_string());
        std::fs::create_dir_all(&staging).map_err(|err| with_path(&staging, err))?;
        Ok(Writer {
            target: target.to_path_buf(),
            staging,
            number,
            previous,
            dirs: Dirs::default(),
            records: Mutex::new(Vec::new()),
            written: AtomicUsize::new(0),
            committed: false,
            pruning,
        })
    }

    /// Files added so far.
    pub fn len(&self) -> usize {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether this build starts from a live generation it can link from.
    pub fn is_incremental(&self) -> bool {
        self.previous.is_some()
    }

    /// Adds one file of the new site: linked from the live generation when
    /// that already holds these bytes, else written.
    pub fn put(&self, output: &Output) -> io::Result<()> {
        let staged = safe_join(&self.staging, &output.path)?;
        let copied;
        let bytes: &[u8] = match &output.payload {
            Payload::Bytes(bytes) => bytes,
            Payload::Copy(source) => {
                copied = std::fs::read(source).map_err(|err| with_path(source, err))?;
                &copied
            }
        };
        let hash = content_hash(bytes);
        self.dirs.ensure_parent(&staged)?;
        if let Some(previous) = &self.previous
            && let Some(old) = previous.manifest.files.get(&output.path)
            && old.hash == hash
            && previous.on_disk.get(&output.path) == Some(&(old.size, old.mtime))
            // Should the file have gone since the scan, it is written.
            && std::fs::hard_link(previous.dir.join(&output.path), &staged).is_ok()
        {
            self.record(output.path.clone(), *old, false);
            return Ok(());
        }
        let mut file = std::fs::File::create(&staged).map_err(|err| with_path(&staged, err))?;
        file.write_all(bytes)
            .map_err(|err| with_path(&staged, err))?;
        let (size, mtime) = stamp(&file.metadata().map_err(|err| with_path(&staged, err))?);
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

    /// Records the new generation with `meta` and makes it live.
    pub fn commit(mut self, meta: &str) -> io::Result<WriteStats> {
        let records = std::mem::take(&mut *self.records.lock().unwrap_or_else(|e| e.into_inner()));
        let mut seen = HashSet::with_capacity(records.len());
        for (path, _, _) in &records {
            if !seen.insert(path.as_str()) {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("two outputs write the same file: {path}"),
                ));
            }
        }
        let removed = self.previous.as_ref().map_or(0, |previous| {
            previous
                .on_disk
                .keys()
                .filter(|p| !seen.contains(p.as_str()))
                .count()
        });
        let manifest = Manifest {
            meta: meta.to_string(),
            files: records
                .iter()
                .map(|(path, record, _)| (path.clone(), *record))
                .collect(),
        };
        // Before the swap: the live generation always has its manifest.
        write_file_atomically(
            &manifest_path(&self.target, self.number),
            manifest.serialize().as_bytes(),
        )?;
        self.publish()?;
        self.committed = true;
        // An older kpot's record of the folder this build replaced.
        let _ = remove_any(&hidden_beside(&self.target, "kpot-manifest"));
        if let Some(pruning) = self.pruning.take() {
            let _ = pruning.join();
        }
        Ok(WriteStats {
            files: records.len(),
            written: self.written.load(Ordering::Relaxed),
            removed,
        })
    }

    /// Points `target` at the new generation in one step.
    fn publish(&self) -> io::Result<()> {
        let generations = generations_dir(&self.target);
        let link = generations.join(format!("{}.link", self.number));
        let _ = remove_any(&link);
        // Relative, so that the site folder can be moved or mounted elsewhere.
        let points_to =
            Path::new(&hidden_name(&self.target, "generations")).join(self.number.to_string());
        std::os::unix::fs::symlink(&points_to, &link).map_err(|err| with_path(&link, err))?;
        let is_folder = std::fs::symlink_metadata(&self.target).is_ok_and(|m| m.is_dir());
        let swapped = if is_folder {
            // A real folder (a first build over an older kpot's output):
            // exchanged with the link, then removed from where it lands.
            exchange(&link, &self.target).map(|()| {
                let _ = remove_any(&link);
            })
        } else {
            std::fs::rename(&link, &self.target)
        };
        swapped.map_err(|err| {
            let _ = std::fs::remove_file(&link);
            with_path(&self.target, err)
        })
    }
}

/// Everything in the generations folder but generation `live` and its
/// manifest, and the highest generation number found there (0 if none).
fn stale_generations(generations: &Path, live: Option<u64>) -> io::Result<(Vec<PathBuf>, u64)> {
    let mut stale = Vec::new();
    let mut newest = live.unwrap_or(0);
    let entries = match std::fs::read_dir(generations) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok((stale, newest)),
        Err(err) => return Err(with_path(generations, err)),
    };
    for entry in entries {
        let entry = entry.map_err(|err| with_path(generations, err))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let number = name
            .split('.')
            .find(|part| !part.is_empty())
            .and_then(|part| part.parse::<u64>().ok());
        newest = newest.max(number.unwrap_or(0));
        let is_live = live.is_some_and(|live| {
            number == Some(live) && (*name == *live.to_string() || name.ends_with(".kpot-manifest"))
        });
        if !is_live {
            stale.push(entry.path());
        }
    }
    Ok((stale, newest))
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
            let _ = std::fs::remove_file(manifest_path(&self.target, self.number));
        }
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
        let lock = Lock::output(target).unwrap();
        let writer = Writer::begin(target, &lock).unwrap();
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
        // Only the target and its generations are left beside it.
        assert_eq!(names_in(dir.path()), vec![".public.generations", "public"]);
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
        let generations = names_in(&generations_dir(&target));
        let lock = Lock::output(&target).unwrap();
        let writer = Writer::begin(&target, &lock).unwrap();
        writer.put(&out("index.html", "half")).unwrap();
        assert!(writer.put(&out("../evil.html", "x")).is_err());
        drop(writer);
        assert_eq!(files(&target), vec![("index.html".into(), "home".into())]);
        assert_eq!(names_in(dir.path()), vec![".public.generations", "public"]);
        assert_eq!(names_in(&generations_dir(&target)), generations);
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
        let lock = Lock::output(&target).unwrap();
        let writer = Writer::begin(&target, &lock).unwrap();
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

    #[test]
    fn the_live_and_the_previous_generation_are_kept_and_older_ones_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        for text in ["1", "2", "3"] {
            build(
                &target,
                &[out("index.html", text), out("same.html", "same")],
            );
        }
        assert_eq!(
            std::fs::read_link(&target).unwrap(),
            Path::new(".public.generations/3")
        );
        assert_eq!(
            names_in(&generations_dir(&target)),
            vec!["2", "2.kpot-manifest", "3", "3.kpot-manifest"]
        );
        // The previous generation is still whole for its readers, and an
        // unchanged file is one file in both (a hard link).
        let previous = generations_dir(&target).join("2");
        assert_eq!(
            std::fs::read_to_string(previous.join("index.html")).unwrap(),
            "2"
        );
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            std::fs::metadata(previous.join("same.html")).unwrap().ino(),
            std::fs::metadata(target.join("same.html")).unwrap().ino()
        );
    }

    #[test]
    fn what_an_interrupted_build_left_is_removed_by_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        build(&target, &[out("index.html", "1")]);
        let generations = generations_dir(&target);
        // An unfinished generation, a link never swapped in, a manifest
        // half written, and an older kpot's staging folders.
        std::fs::create_dir_all(generations.join("7/a")).unwrap();
        std::fs::write(generations.join("7/a/index.html"), "half").unwrap();
        std::os::unix::fs::symlink(".public.generations/7", generations.join("7.link")).unwrap();
        std::fs::write(generations.join(".1.kpot-manifest.new-99"), "kpot").unwrap();
        std::fs::create_dir_all(dir.path().join(".public.new-4242/x")).unwrap();
        std::fs::create_dir_all(dir.path().join(".public.old-4243")).unwrap();
        remove_stale_staging(&target).unwrap();
        build(&target, &[out("index.html", "2")]);
        assert_eq!(names_in(dir.path()), vec![".public.generations", "public"]);
        assert_eq!(
            names_in(&generations),
            vec!["1", "1.kpot-manifest", "8", "8.kpot-manifest"]
        );
        assert_eq!(files(&target), vec![("index.html".into(), "2".into())]);
    }

    #[test]
    fn a_real_folder_is_replaced_by_a_link_to_the_first_generation() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        std::fs::create_dir_all(target.join("old")).unwrap();
        std::fs::write(target.join("old/index.html"), "old").unwrap();
        std::fs::write(
            dir.path().join(".public.kpot-manifest"),
            "kpot-manifest 1\n",
        )
        .unwrap();
        build(&target, &[out("index.html", "new")]);
        assert!(std::fs::symlink_metadata(&target).unwrap().is_symlink());
        assert_eq!(files(&target), vec![("index.html".into(), "new".into())]);
        assert_eq!(names_in(dir.path()), vec![".public.generations", "public"]);
        assert_eq!(
            names_in(&generations_dir(&target)),
            vec!["1", "1.kpot-manifest"]
        );
    }

    #[test]
    fn a_second_build_of_the_same_target_is_refused_while_one_runs() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        let held = Lock::output(&target).unwrap();
        let err = Lock::output(&target).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        assert!(err.to_string().contains(".public.generations"), "{err}");
        drop(held);
        Lock::output(&target).unwrap();
    }

    #[test]
    fn swap_in_exchanges_folders_and_leaves_nothing_beside() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("index");
        for text in ["1", "2"] {
            let staging = staging_dir(&target).unwrap();
            std::fs::create_dir_all(&staging).unwrap();
            std::fs::write(staging.join("meta.json"), text).unwrap();
            swap_in(&staging, &target).unwrap();
            assert_eq!(
                std::fs::read_to_string(target.join("meta.json")).unwrap(),
                text
            );
            assert_eq!(names_in(dir.path()), vec!["index"]);
        }
    }

    #[test]
    fn mount_points_are_told_apart_from_folders() {
        let dir = tempfile::tempdir().unwrap();
        assert!(unswappable(dir.path()).is_none());
        assert!(unswappable(&dir.path().join("missing")).is_none());
        // `/proc` is a mount point wherever these tests run (Linux).
        let proc = unswappable(Path::new("/proc")).expect("/proc is a mount point");
        assert!(proc.contains("/proc is a mount point"), "{proc}");
    }
}
