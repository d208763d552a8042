//! A lock in the output folder, so two overlapping runs (a slow cron job and the next one, or a
//! human rerun) never write the same report folder. The lock is an advisory `flock` on
//! `.costlens.lock`, held by the open file for the whole run: the kernel releases it when the
//! process ends however it ends, so a killed run never blocks the next one, and no pid is
//! trusted (a pid can belong to another process by now). The file's text (pid, start time) is
//! for humans; a file left with text in it means the run before was killed, which is reported.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub const LOCK_FILE: &str = ".costlens.lock";

/// Held for the whole run; the file is removed, then unlocked, when this is dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    file: File,
}

/// Whether `file` (opened from `path`) is still what `path` names: a run that finished may have
/// removed the file between our open and our lock, and a lock on a removed file locks nothing.
#[cfg(unix)]
fn still_named(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(held), Ok(named)) => held.dev() == named.dev() && held.ino() == named.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_named(_: &File, path: &Path) -> bool {
    path.exists()
}

fn holder(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.strip_prefix("pid="))
        .map(str::trim)
}

impl Lock {
    /// Takes the lock in `dir`; `started` (free text) is written into it for humans.
    pub fn acquire(dir: &Path, started: &str) -> Result<Lock> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("{}: creating", dir.display()), e))?;
        let path = dir.join(LOCK_FILE);
        let io = |what: &str, e| Error::io(format!("{}: {what}", path.display()), e);
        // Each retry follows a lock file removed under us by a run that just finished.
        for _ in 0..10 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| io("opening the lock", e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    let _ = file.read_to_string(&mut text);
                    let who = holder(&text).map_or(String::new(), |pid| format!(" (pid {pid})"));
                    return Err(Error::Usage(format!(
                        "{}: another costlens run{who} is writing to this folder; wait for it \
                         to finish",
                        path.display()
                    )));
                }
                Err(TryLockError::Error(e)) => return Err(io("locking", e)),
            }
            if !still_named(&file, &path) {
                continue;
            }
            let mut previous = String::new();
            let _ = file.read_to_string(&mut previous);
            if !previous.trim().is_empty() {
                tracing::warn!(
                    lock = %path.display(),
                    pid = holder(&previous).unwrap_or("unknown"),
                    "found a stale lock from a run that was killed; taking it over"
                );
            }
            file.set_len(0).map_err(|e| io("writing", e))?;
            file.rewind().map_err(|e| io("writing", e))?;
            writeln!(file, "pid={}\nstarted={started}", std::process::id())
                .map_err(|e| io("writing", e))?;
            return Ok(Lock { path, file });
        }
        Err(Error::Usage(format!(
            "{}: could not take the lock (other runs keep starting and finishing)",
            path.display()
        )))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still locked, so a run waiting on this file sees it gone and retries.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_stale_locks_are_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let lock = Lock::acquire(dir.path(), "now").unwrap();
        let err = Lock::acquire(dir.path(), "later").unwrap_err().to_string();
        let pid = std::process::id();
        assert!(
            err.contains(&format!("another costlens run (pid {pid})")),
            "{err}"
        );
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists());
        // Left by a killed run: text in it, nobody holding it, whatever pid it names (pid 1
        // always exists).
        std::fs::write(dir.path().join(LOCK_FILE), "pid=1\nstarted=yesterday\n").unwrap();
        let lock = Lock::acquire(dir.path(), "now").unwrap();
        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(text, format!("pid={pid}\nstarted=now\n"));
        drop(lock);
    }

    #[test]
    fn a_held_lock_refuses_even_before_its_text_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let held = File::create(dir.path().join(LOCK_FILE)).unwrap();
        held.lock().unwrap();
        let err = Lock::acquire(dir.path(), "now").unwrap_err().to_string();
        assert!(err.contains("another costlens run is writing"), "{err}");
    }
}
