//! Advisory locks on results directories, so that processes sharing one
//! `--out` (the shards of a sweep, or two runs of the same scenario) never
//! interleave their writes of the same unit or of the sweep tables.
//!
//! The lock is the operating system's (`flock` on Unix, `LockFileEx` on
//! Windows, through [`std::fs::File::lock`]) on a `.lock` file in the
//! directory. The kernel releases it when the holder exits, however it
//! exits: a sweep killed with SIGKILL leaves no stale lock for a resume to
//! trip over, as a lock file created with `create_new` would.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use super::ReportError;

/// The name of the lock file in a locked directory.
pub const LOCK_FILE: &str = ".lock";

/// A held lock on a directory; released when dropped.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Waits for the exclusive lock of `dir` (created if missing): no other
    /// holder, shared or exclusive, until this one is dropped.
    pub fn exclusive(dir: &Path) -> Result<DirLock, ReportError> {
        let (file, path) = open(dir)?;
        file.lock()
            .map_err(|source| ReportError::Io { path, source })?;
        Ok(DirLock { _file: file })
    }

    /// Waits for a shared lock of `dir` (created if missing): other readers
    /// may hold one too, no writer does until this one is dropped.
    pub fn shared(dir: &Path) -> Result<DirLock, ReportError> {
        let (file, path) = open(dir)?;
        file.lock_shared()
            .map_err(|source| ReportError::Io { path, source })?;
        Ok(DirLock { _file: file })
    }
}

fn open(dir: &Path) -> Result<(File, PathBuf), ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| ReportError::Io {
            path: path.clone(),
            source,
        })?;
    Ok((file, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exclusive_lock_waits_for_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let held = DirLock::exclusive(dir.path()).unwrap();
        let other = File::open(dir.path().join(LOCK_FILE)).unwrap();
        assert!(other.try_lock_shared().is_err(), "held exclusively");
        drop(held);
        assert!(other.try_lock_shared().is_ok(), "released on drop");
    }
}
