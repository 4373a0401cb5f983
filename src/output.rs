//! Writing the built site so that readers never see half of it.
//!
//! Everything goes to a fresh folder beside the target; only when all of it
//! is written is the old folder swapped out. A failed build leaves the
//! previous output untouched.

use crate::render::{Output, Payload};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::io;
use std::path::{Component, Path, PathBuf};

/// A hidden name beside `target` for a temporary file or folder
/// (`.public.new-1234`), so a rename within one file system finishes the
/// job. Creates the parent folder.
fn beside(target: &Path, tag: &str) -> io::Result<PathBuf> {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    Ok(parent.join(format!(".{name}.{tag}-{}", std::process::id())))
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
/// allows: two renames) and returns the number of files written.
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
    let mut dirs = BTreeSet::new();
    for output in outputs {
        let path = safe_join(root, &output.path)?;
        if let Some(dir) = path.parent() {
            dirs.insert(dir.to_path_buf());
        }
    }
    for dir in &dirs {
        std::fs::create_dir_all(dir)?;
    }
    outputs.par_iter().try_for_each(|output| {
        let path = safe_join(root, &output.path)?;
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
    if rel_path
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
}
