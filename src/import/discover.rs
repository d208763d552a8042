//! Input discovery: files, directories (searched recursively) and globs into the list of billing
//! files to read, each exactly once. A file reached twice (a symlink or a hard link to it, the
//! same folder given twice) is read once: files are told apart by device and inode, not by
//! name. Symlinks are followed, but a folder already being searched is not entered again, so a
//! loop ends. FIFOs, sockets and devices are never opened (reading one can block forever): in a
//! folder they are skipped with a logged reason, named on the command line they are an error.

use std::collections::HashSet;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Billing file endings looked for inside a directory; other files (manifests, READMEs,
/// licences) are skipped.
pub fn is_billing_file_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [".csv", ".csv.gz", ".parquet", ".gz"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

fn has_billing_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(is_billing_file_name)
}

/// What a file system entry is, for a message.
fn kind_of(meta: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// What tells two names of one file apart: device and inode on unix, the canonical path
/// elsewhere.
#[cfg(unix)]
type Identity = (u64, u64);
#[cfg(not(unix))]
type Identity = PathBuf;

#[cfg(unix)]
fn identity(_path: &Path, meta: &Metadata) -> Identity {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(path: &Path, _meta: &Metadata) -> Identity {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The files found so far, each once, and the folders entered.
#[derive(Default)]
struct Found {
    files: Vec<PathBuf>,
    seen: HashSet<Identity>,
    folders: HashSet<Identity>,
}

impl Found {
    /// Keeps a regular file unless it was already found under another name.
    fn file(&mut self, path: &Path, meta: &Metadata) {
        if self.seen.insert(identity(path, meta)) {
            self.files.push(path.to_path_buf());
        } else {
            tracing::warn!(
                file = %path.display(),
                "skipped: the same file as one already read (a link or a repeated input)"
            );
        }
    }

    /// Searches a folder for billing files, sorted by name within each folder; false when the
    /// folder was already searched.
    fn folder(&mut self, dir: &Path, meta: &Metadata) -> Result<bool> {
        if !self.folders.insert(identity(dir, meta)) {
            tracing::warn!(dir = %dir.display(), "skipped: a folder already searched (a link loop or a repeated input)");
            return Ok(false);
        }
        let listing = |e: std::io::Error| Error::input(dir, format!("listing directory: {e}"));
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(listing)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .map_err(listing)?;
        entries.sort();
        for path in entries {
            // Follows symlinks: a link to a file is that file (and found once, see `file`).
            let meta = match std::fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) => {
                    if has_billing_name(&path) {
                        tracing::warn!(file = %path.display(), "skipped: cannot be read ({e}; a broken or looping symlink?)");
                    }
                    continue;
                }
            };
            if meta.is_dir() {
                self.folder(&path, &meta)?;
            } else if !has_billing_name(&path) {
                continue;
            } else if meta.is_file() {
                self.file(&path, &meta);
            } else {
                tracing::warn!(file = %path.display(), "skipped: {}, not a billing file", kind_of(&meta));
            }
        }
        Ok(true)
    }
}

/// A file named on the command line (or matched by a glob): it must be a regular file.
fn named_file(found: &mut Found, path: &Path, meta: &Metadata) -> Result<()> {
    if meta.is_file() {
        found.file(path, meta);
        Ok(())
    } else {
        Err(Error::input(
            path,
            format!(
                "{}: costlens reads regular files only (write the data to a file first)",
                kind_of(meta)
            ),
        ))
    }
}

/// Files, directories (searched recursively) and globs into the list of files to read, each
/// once (see the module doc).
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if inputs.is_empty() {
        return Err(Error::Usage("no input given".into()));
    }
    let mut found = Found::default();
    for input in inputs {
        let text = input.to_string_lossy();
        let meta = std::fs::metadata(input);
        if text.contains(['*', '?', '[']) && meta.is_err() {
            let mut matched: Vec<PathBuf> = glob::glob(&text)
                .map_err(|e| Error::input(input, format!("bad glob pattern: {e}")))?
                .filter_map(|entry| entry.ok())
                .filter(|p| has_billing_name(p))
                .collect();
            matched.sort();
            let before = found.files.len();
            for path in matched {
                match std::fs::metadata(&path) {
                    Ok(meta) if meta.is_dir() => {}
                    Ok(meta) => named_file(&mut found, &path, &meta)?,
                    Err(e) => {
                        tracing::warn!(file = %path.display(), "skipped: cannot be read ({e})")
                    }
                }
            }
            if found.files.len() == before {
                return Err(Error::input(input, "the pattern matches no billing file"));
            }
            continue;
        }
        match meta {
            Ok(meta) if meta.is_dir() => {
                let before = found.files.len();
                if found.folder(input, &meta)? && found.files.len() == before {
                    return Err(Error::input(
                        input,
                        "directory holds no billing files (*.csv, *.csv.gz, *.parquet) that \
                         were not already read",
                    ));
                }
            }
            Ok(meta) => named_file(&mut found, input, &meta)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound {
                    path: input.clone(),
                })
            }
            Err(e) => return Err(Error::input(input, format!("cannot be read: {e}"))),
        }
    }
    Ok(found.files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_file_names() {
        assert!(is_billing_file_name("cur-00001.csv.gz"));
        assert!(is_billing_file_name("part-0.snappy.parquet"));
        assert!(!is_billing_file_name("cur-Manifest.json"));
        assert!(!is_billing_file_name("LICENSE"));
    }

    #[cfg(unix)]
    #[test]
    fn links_and_loops_give_each_file_once() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("month")).unwrap();
        std::fs::write(d.join("month/a.csv"), "x").unwrap();
        std::fs::write(d.join("month/b.csv"), "y").unwrap();
        symlink(d.join("month/a.csv"), d.join("month/c-link.csv")).unwrap();
        std::fs::hard_link(d.join("month/b.csv"), d.join("month/d-hard.csv")).unwrap();
        // A folder link back to its parent, and two links pointing at each other.
        symlink(d.join("month"), d.join("month/loop")).unwrap();
        symlink(d.join("month/f.csv"), d.join("month/e.csv")).unwrap();
        symlink(d.join("month/e.csv"), d.join("month/f.csv")).unwrap();
        let files = expand_inputs(&[d.join("month"), d.join("month/a.csv")]).unwrap();
        assert_eq!(files, vec![d.join("month/a.csv"), d.join("month/b.csv")]);
    }
}
