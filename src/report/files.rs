//! Atomic file writes: a reader sees the old file or the new one, never half
//! of one.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary files of concurrent writes within one process.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// Writes `contents` to `dir/name` atomically and returns the path: the text
/// goes to a temporary file in `dir` (a hidden `.NAME.*.tmp`), is flushed to
/// disk, and is renamed into place, which is atomic within one directory on
/// POSIX and on NTFS. Creates `dir` if needed; on failure the temporary file
/// is removed.
///
/// Every report file is written this way; it is public so that callers
/// writing other renderings (the JSON report) get the same guarantee.
pub fn write_atomic(dir: &Path, name: &str, contents: &str) -> io::Result<PathBuf> {
    write_atomic_with(dir, name, |out| out.write_all(contents.as_bytes()))
}

/// [`write_atomic`] for contents produced piece by piece: `write` writes
/// them to a buffered temporary file, so large files (partial results) need
/// not be held in memory whole. An error from `write` leaves no file behind.
pub fn write_atomic_with(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let temp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        NEXT_TEMP.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = io::BufWriter::new(fs::File::create(&temp)?);
        write(&mut file)?;
        let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        // Flush to disk before the rename, so a crash cannot leave the new
        // name pointing at an empty file.
        file.sync_all()?;
        fs::rename(&temp, &path)
    })();
    if written.is_err() {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_file(&temp);
    }
    written.map(|()| path)
}

/// A file-name-safe form of an id: ASCII letters, digits, `-` and `_` kept,
/// anything else as `_`.
pub(crate) fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
