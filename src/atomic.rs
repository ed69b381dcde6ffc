//! Files written whole: a uniquely named temporary file next to the target,
//! synced, then renamed into place, so a reader sees the old file or the new
//! one and never half of it. Every layer that writes files (results, traces)
//! goes through here.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file that could not be created, written, renamed or removed.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct WriteError {
    /// The file or directory.
    pub path: PathBuf,
    /// The underlying error.
    pub source: std::io::Error,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError {
        path: path.to_path_buf(),
        source,
    }
}

/// The directory a file is written in: its parent, or `.` for a bare name.
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// What marks the name of a temporary file.
const PARTIAL: &str = ".partial.";

/// A new temporary file next to `path` (whose parent directories are
/// created), under a name no other writer can hold: `.<name>.<random>.partial.<ext>`.
/// It keeps the extension, which plotting backends look at, and is removed
/// if dropped before [`persist`]. Hidden and marked `.partial`, so that
/// [`remove_partials`] can clear what a killed writer left.
pub fn temporary(path: &Path) -> Result<NamedTempFile, WriteError> {
    let dir = parent_of(path);
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (prefix, suffix) = (format!(".{name}."), format!("{PARTIAL}{extension}"));
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(&suffix);
    // A result is a file like any other: created with the mode a plain
    // `File::create` gives (0666 less the umask), not the temporary file's
    // private 0600, which would hide shared results from their readers.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir).map_err(io_error(dir))
}

/// Moves a finished temporary file into place, replacing `path` at once.
pub fn persist(temporary: NamedTempFile, path: &Path) -> Result<(), WriteError> {
    temporary
        .persist(path)
        .map(drop)
        .map_err(|e| io_error(path)(e.error))
}

/// Writes `path` whole through `write`, which gets a new temporary file:
/// a reader sees the old file or the new one, never half of it, and
/// concurrent writers of one path never share a temporary file (the last
/// rename wins). Creates parent directories.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let mut file = temporary(path)?;
    write(file.as_file_mut()).map_err(io_error(file.path()))?;
    file.as_file().sync_all().map_err(io_error(file.path()))?;
    persist(file, path)
}

/// Writes `bytes` to `path` whole, as [`write_atomic_with`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Removes the temporary files that writers killed mid-write left in
/// `dir` (not below it). Call it only while no live writer works in `dir`
/// (a results directory's lock held), so that no live writer's file is taken.
pub fn remove_partials(dir: &Path) -> Result<(), WriteError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.contains(PARTIAL) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_written_file_has_a_plain_files_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_atomic_with(&path, |f| f.write_all(b"x\n")).unwrap();
        let plain = dir.path().join("plain.csv");
        File::create(&plain).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), mode(&plain));
        assert_ne!(mode(&path), 0o600, "the umask here hides the difference");
    }

    #[test]
    fn concurrent_writers_of_one_file_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.json");
        std::thread::scope(|scope| {
            for i in 0..8u8 {
                let path = &path;
                scope.spawn(move || {
                    for _ in 0..20 {
                        write_atomic(path, &[i; 4096]).unwrap();
                    }
                });
            }
        });
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() == 4096 && bytes.iter().all(|&b| b == bytes[0]));
        remove_partials(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn partial_files_of_killed_writers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let left = temporary(&dir.path().join("a.csv"))
            .unwrap()
            .into_temp_path();
        let left = left.keep().unwrap();
        std::fs::write(dir.path().join("a.csv"), "kept").unwrap();
        remove_partials(dir.path()).unwrap();
        assert!(!left.exists() && dir.path().join("a.csv").exists());
    }
}
