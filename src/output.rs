//! Atomic output: every file or folder costlens writes is built under a temporary name beside
//! its target and renamed into place only when complete, so a crash or a kill mid-run leaves the
//! previous output intact and never a half-written one.

use std::path::{Path, PathBuf};

use crate::error::{ErrContext, Error, Result};

fn sibling(target: &Path, tag: &str) -> Result<PathBuf> {
    let name = target
        .file_name()
        .ok_or_else(|| Error::Usage(format!("{}: not a file name", target.display())))?;
    let parent = target.parent().unwrap_or(Path::new(""));
    Ok(parent.join(format!(
        ".{}.{tag}-{}",
        name.to_string_lossy(),
        std::process::id()
    )))
}

fn ensure_parent(target: &Path) -> Result<()> {
    match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent)
            .err_context(|| format!("{}: creating directory", parent.display())),
        _ => Ok(()),
    }
}

/// Writes `target` through `write`, which receives the temporary path to fill.
pub fn write_file(target: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let temp = temp_file(target)?;
    let written = write(&temp);
    finish_file(&temp, target, written)
}

/// The temporary path `target` is built under, its folder created: for writers that cannot run
/// inside [`write_file`]'s closure (async downloads), which end with [`finish_file`].
pub(crate) fn temp_file(target: &Path) -> Result<PathBuf> {
    ensure_parent(target)?;
    sibling(target, "tmp")
}

/// Renames the finished temporary file into place if `written` succeeded; removes it otherwise.
pub(crate) fn finish_file(temp: &Path, target: &Path, written: Result<()>) -> Result<()> {
    let result = written.and_then(|()| {
        std::fs::rename(temp, target)
            .err_context(|| format!("{}: renaming into place", target.display()))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(temp);
    }
    result
}

/// Test-only fault injection: `COSTLENS_INJECT_FAILURE` names points (comma-separated) where
/// a folder write fails or the process dies, as a crash, a full disk or a filesystem without the
/// atomic exchange would make it; the tests use it to show the previous report always survives.
/// Never set it in production. Points: `before-rename` (fail after every file is written),
/// `exchange` (the filesystem has no atomic exchange), `second-rename` (moving the new folder
/// into place fails with EXDEV), `die-between-renames` and `die-after-swap` (the process aborts
/// there, as kill -9 would).
fn injected(point: &str) -> bool {
    std::env::var("COSTLENS_INJECT_FAILURE")
        .is_ok_and(|points| points.split(',').any(|p| p.trim() == point))
}

fn die_if_injected(point: &str) {
    if injected(point) {
        std::process::abort();
    }
}

fn injected_failure(target: &Path) -> Result<()> {
    if injected("before-rename") {
        return Err(Error::Usage(format!(
            "{}: injected failure before the rename (COSTLENS_INJECT_FAILURE)",
            target.display()
        )));
    }
    Ok(())
}

/// Swaps two paths in one step (Linux `renameat2(RENAME_EXCHANGE)`), so `b` never stops
/// existing: the new folder takes the name, the previous one takes the temporary name.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    if injected("exchange") {
        return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
    }
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths for the duration of the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// The filesystem (or kernel) cannot exchange atomically: fall back to two renames.
fn exchange_unsupported(e: &std::io::Error) -> bool {
    const EINVAL: i32 = 22;
    const ENOSYS: i32 = 38;
    const EOPNOTSUPP: i32 = 95;
    e.kind() == std::io::ErrorKind::Unsupported
        || matches!(e.raw_os_error(), Some(EINVAL | ENOSYS | EOPNOTSUPP))
}

/// Builds the folder `target` through `write`, which receives the temporary folder to fill;
/// the previous folder, if any, stays under its name until the new one is complete and is
/// then swapped out in one step. Where the filesystem cannot swap, it is moved aside and put
/// back if the new folder cannot take its place; a run killed in between leaves it aside for
/// [`recover`] to restore at the next start.
pub fn write_dir(target: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    ensure_parent(target)?;
    let temp = sibling(target, "tmp")?;
    if temp.exists() {
        std::fs::remove_dir_all(&temp).err_context(|| format!("{}: clearing", temp.display()))?;
    }
    std::fs::create_dir_all(&temp).err_context(|| format!("{}: creating", temp.display()))?;
    let placed = write(&temp)
        .and_then(|()| injected_failure(target))
        .and_then(|()| place(&temp, target));
    if placed.is_err() {
        let _ = std::fs::remove_dir_all(&temp);
    }
    placed
}

/// Puts the complete folder `temp` in place of `target`.
fn place(temp: &Path, target: &Path) -> Result<()> {
    if std::fs::symlink_metadata(target).is_err() {
        return std::fs::rename(temp, target)
            .err_context(|| format!("{}: renaming into place", target.display()));
    }
    match exchange(temp, target) {
        Ok(()) => {
            die_if_injected("die-after-swap");
            remove_previous(temp);
            return Ok(());
        }
        Err(e) if exchange_unsupported(&e) => {}
        Err(e) => {
            return Err(Error::io(
                format!("{}: swapping in the new report", target.display()),
                e,
            ))
        }
    }
    let old = sibling(target, "old")?;
    std::fs::rename(target, &old)
        .err_context(|| format!("{}: moving the previous report aside", target.display()))?;
    die_if_injected("die-between-renames");
    let moved = if injected("second-rename") {
        Err(std::io::Error::new(
            std::io::ErrorKind::CrossesDevices,
            "injected EXDEV (COSTLENS_INJECT_FAILURE)",
        ))
    } else {
        std::fs::rename(temp, target)
    };
    if let Err(e) = moved {
        let kept = match std::fs::rename(&old, target) {
            Ok(()) => "the previous report is kept".to_string(),
            Err(_) => format!(
                "the previous report is kept as {} and restored at the next run",
                old.display()
            ),
        };
        return Err(Error::io(
            format!("{}: renaming into place ({kept})", target.display()),
            e,
        ));
    }
    remove_previous(&old);
    Ok(())
}

/// The previous report, swapped out: the new one is in place, so failing to delete the old
/// copy is no reason to fail the run; the next start removes what is left.
fn remove_previous(old: &Path) {
    if let Err(e) = std::fs::remove_dir_all(old) {
        tracing::warn!(folder = %old.display(), error = %e, "could not remove the previous report; the next run removes it");
    }
}

/// What a run killed mid-write left in `dir` (the output folder): `.<name>.tmp-<pid>` copies are
/// removed, and a `.<name>.old-<pid>` report moved aside is put back under its name when that
/// name is empty, else removed. Call it only while holding the folder's lock, so no live run's
/// files are touched. Returns one line per restored report, for the user.
pub fn recover(dir: &Path) -> Result<Vec<String>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    // Reports set aside first, so a name is restored before any temporary copy is looked at.
    names.sort_by_key(|n| !n.contains(".old-"));
    let mut restored = Vec::new();
    for name in names {
        let Some((original, tag)) = leftover(&name) else {
            continue;
        };
        let path = dir.join(&name);
        let target = dir.join(original);
        if tag == "old" && std::fs::symlink_metadata(&target).is_err() {
            std::fs::rename(&path, &target)
                .err_context(|| format!("{}: restoring the previous report", target.display()))?;
            tracing::warn!(report = %target.display(), "restored the previous report that a killed run had moved aside");
            restored.push(format!(
                "restored {} (a killed run had moved it aside)",
                target.display()
            ));
            continue;
        }
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.err_context(|| format!("{}: removing what a killed run left", path.display()))?;
        tracing::info!(path = %path.display(), "removed what a killed run left");
    }
    Ok(restored)
}

/// `.<name>.<tag>-<pid>` (as [`sibling`] names them) into `(name, tag)`.
fn leftover(file_name: &str) -> Option<(&str, &str)> {
    let rest = file_name.strip_prefix('.')?;
    let (stem, pid) = rest.rsplit_once('-')?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (name, tag) = stem.rsplit_once('.')?;
    (matches!(tag, "tmp" | "old") && !name.is_empty()).then_some((name, tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_recognised_by_the_names_sibling_gives() {
        assert_eq!(leftover(".2026-10.old-4242"), Some(("2026-10", "old")));
        assert_eq!(
            leftover(".summary.json.tmp-7"),
            Some(("summary.json", "tmp"))
        );
        assert_eq!(leftover(".costlens.lock"), None);
        assert_eq!(leftover(".2026-10.old-"), None);
        assert_eq!(leftover(".2026-10.bak-12"), None);
        assert_eq!(leftover("2026-10"), None);
    }

    #[test]
    fn recover_restores_a_report_set_aside_and_removes_copies() {
        let dir = tempfile::tempdir().unwrap();
        let put = |name: &str| {
            std::fs::create_dir(dir.path().join(name)).unwrap();
            std::fs::write(dir.path().join(name).join("a.csv"), name).unwrap();
        };
        put(".2026-09.old-11"); // 2026-09 is missing: restored
        put(".2026-09.tmp-11"); // the unfinished new one: removed
        put("2026-10");
        put(".2026-10.old-12"); // 2026-10 exists: the copy is removed
        std::fs::write(dir.path().join(".costlens.lock"), "").unwrap();
        let restored = recover(dir.path()).unwrap();
        assert_eq!(restored.len(), 1, "{restored:?}");
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec![".costlens.lock", "2026-09", "2026-10"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("2026-09/a.csv")).unwrap(),
            ".2026-09.old-11"
        );
    }

    #[test]
    fn failed_write_keeps_the_previous_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        std::fs::write(&target, "old").unwrap();
        let result = write_file(&target, |temp| {
            std::fs::write(temp, "half").unwrap();
            Err(Error::Usage("boom".into()))
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn failed_folder_keeps_the_previous_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("2024-09");
        write_dir(&target, |temp| {
            std::fs::write(temp.join("a.csv"), "first").err_context(|| "write".into())
        })
        .unwrap();
        let result = write_dir(&target, |temp| {
            std::fs::write(temp.join("a.csv"), "second").unwrap();
            Err(Error::Usage("killed".into()))
        });
        assert!(result.is_err());
        assert_eq!(
            std::fs::read_to_string(target.join("a.csv")).unwrap(),
            "first"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_dir(&target, |temp| {
            std::fs::write(temp.join("a.csv"), "third").err_context(|| "write".into())
        })
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("a.csv")).unwrap(),
            "third"
        );
    }
}
