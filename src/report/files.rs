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
///
/// Two kinds of destination are not replaced: a symbolic link is followed
/// (the file it points to is replaced, in its own directory), and a special
/// file (a device such as `/dev/null` or `/dev/stdout`, a FIFO) is written
/// in place, since renaming over it would turn it into a plain file.
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
    // `metadata` follows symbolic links: this is what the path leads to.
    if let Ok(meta) = fs::metadata(&path) {
        if !meta.is_file() && !meta.is_dir() {
            let mut out = io::BufWriter::new(fs::OpenOptions::new().write(true).open(&path)?);
            write(&mut out)?;
            out.flush()?;
            return Ok(path);
        }
    }
    let is_link = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    let target = if is_link {
        // A dangling link is replaced like a missing file.
        fs::canonicalize(&path).unwrap_or_else(|_| path.clone())
    } else {
        path.clone()
    };
    let dir = target.parent().unwrap_or(dir);
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
        fs::rename(&temp, &target)
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    /// `--json /dev/null` once replaced the machine's `/dev/null` with a
    /// plain file (renamed over it), which broke every later program reading
    /// from it.
    #[test]
    fn a_device_is_written_in_place_not_replaced() {
        let dev = Path::new("/dev");
        write_atomic(dev, "null", "{}").expect("write to /dev/null");
        let meta = fs::symlink_metadata("/dev/null").expect("metadata");
        assert!(meta.file_type().is_char_device(), "{meta:?}");
        let leftovers = fs::read_dir(dev)
            .expect("read /dev")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".null."))
            .count();
        assert_eq!(leftovers, 0, "temporary files left in /dev");
    }

    #[test]
    fn a_symbolic_link_is_followed() {
        let dir = std::env::temp_dir().join(format!("shortfall-files-{}", std::process::id()));
        let (real, link) = (dir.join("real"), dir.join("out"));
        fs::create_dir_all(real.parent().expect("parent")).expect("dir");
        fs::write(&real, "old").expect("write");
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        write_atomic(&dir, "out", "new").expect("write through the link");
        assert!(fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).expect("read"), "new");
        fs::remove_dir_all(&dir).expect("clean up");
    }
}
