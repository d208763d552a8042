//! A lock file in the output folder, so two overlapping runs (a slow cron job and the next one,
//! or a human rerun) never write the same report folder. A lock left by a killed run is
//! detected (its process is gone), reported, and taken over.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub const LOCK_FILE: &str = ".costlens.lock";

/// Held for the whole run; the file is removed when this is dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

/// Whether a process with this pid is running (Linux: /proc). Elsewhere assume it is, so a
/// lock is never broken by mistake.
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

fn holder(text: &str) -> Option<u32> {
    text.lines()
        .find_map(|l| l.strip_prefix("pid="))
        .and_then(|p| p.trim().parse().ok())
}

impl Lock {
    /// Takes the lock in `dir`; `started` (free text) is written into it for humans.
    pub fn acquire(dir: &Path, started: &str) -> Result<Lock> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("{}: creating", dir.display()), e))?;
        let path = dir.join(LOCK_FILE);
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    writeln!(file, "pid={}\nstarted={started}", std::process::id())
                        .map_err(|e| Error::io(format!("{}: writing", path.display()), e))?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    match holder(&text) {
                        Some(pid) if process_alive(pid) => {
                            return Err(Error::Usage(format!(
                                "{}: another costlens run (pid {pid}) is writing to this folder; \
                                 wait for it to finish",
                                path.display()
                            )));
                        }
                        stale => {
                            tracing::warn!(
                                lock = %path.display(),
                                pid = ?stale,
                                "found a stale lock from a run that was killed; taking it over"
                            );
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => {
                    return Err(Error::io(
                        format!("{}: creating the lock", path.display()),
                        e,
                    ))
                }
            }
        }
        Err(Error::Usage(format!(
            "{}: could not take the lock",
            path.display()
        )))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
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
        assert!(err.contains("another costlens run"), "{err}");
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists());
        // A lock whose process is gone (pid far above pid_max) is stale.
        std::fs::write(
            dir.path().join(LOCK_FILE),
            "pid=4294967\nstarted=yesterday\n",
        )
        .unwrap();
        let lock = Lock::acquire(dir.path(), "now").unwrap();
        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert!(text.contains(&format!("pid={}", std::process::id())));
        drop(lock);
    }
}
