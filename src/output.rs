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

/// Test hook: `COSTLENS_INJECT_FAILURE=before-rename` fails a folder write after every file is
/// written and before the rename, as a crash there would; the tests use it to show the previous
/// report survives.
fn injected_failure(target: &Path) -> Result<()> {
    if std::env::var_os("COSTLENS_INJECT_FAILURE").is_some_and(|v| v == "before-rename") {
        return Err(Error::Usage(format!(
            "{}: injected failure before the rename (COSTLENS_INJECT_FAILURE)",
            target.display()
        )));
    }
    Ok(())
}

/// Builds the folder `target` through `write`, which receives the temporary folder to fill;
/// the previous folder, if any, is replaced only once the new one is complete.
pub fn write_dir(target: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    ensure_parent(target)?;
    let temp = sibling(target, "tmp")?;
    if temp.exists() {
        std::fs::remove_dir_all(&temp).err_context(|| format!("{}: clearing", temp.display()))?;
    }
    std::fs::create_dir_all(&temp).err_context(|| format!("{}: creating", temp.display()))?;
    let written = write(&temp).and_then(|()| injected_failure(target));
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&temp);
        return Err(e);
    }
    let old = sibling(target, "old")?;
    if target.exists() {
        std::fs::rename(target, &old)
            .err_context(|| format!("{}: moving the previous report aside", target.display()))?;
    }
    std::fs::rename(&temp, target)
        .err_context(|| format!("{}: renaming into place", target.display()))?;
    if old.exists() {
        std::fs::remove_dir_all(&old)
            .err_context(|| format!("{}: removing the previous report", old.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
