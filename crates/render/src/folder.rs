//! Atomic output folders: every file is written into a fresh sibling folder, which is then swapped into
//! place, so a reader never sees a half-written folder and an interrupted run leaves only a hidden
//! `.NAME.tmp-PID` sibling (removed by the next run once that process is gone).
//!
//! Only an output folder is replaced: every folder written here holds the mark [`MARK`], and an
//! existing `out` is replaced only if it holds the mark or is empty. A file, or a folder of anything
//! else (an analyst's `--out ~/analysis`), is refused before anything is written, and is left as it was.

use std::path::{Path, PathBuf};

use crate::{OutputFile, RenderError};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RenderError + '_ {
    move |error| RenderError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// The hidden file that marks a folder as written here (and so replaceable by the next run).
pub const MARK: &str = ".shieldwatch-output";

/// What [`MARK`] says to someone who opens it.
const MARK_TEXT: &str =
    "This folder was written by shieldwatch. The next run given it as its output folder replaces it whole.\n";

/// Refuses `out` if it exists and is not a folder this writer may replace: a file (or anything
/// but a folder), or a non-empty folder without [`MARK`]. The writers check again before they swap;
/// a command calls this first so that a refused `--out` is refused before the computation, not after.
pub fn check_replaceable(out: &Path) -> Result<(), RenderError> {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(out)(e)),
    };
    if !meta.is_dir() {
        return Err(RenderError::Other(format!(
            "{} exists and is not a folder: refusing to replace it with the output folder (choose another output path)",
            out.display()
        )));
    }
    if out.join(MARK).is_file() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(out).map_err(io(out))?;
    match entries.next() {
        None => Ok(()),
        Some(Err(e)) => Err(io(out)(e)),
        Some(Ok(_)) => Err(RenderError::Other(format!(
            "{} is a folder that shieldwatch did not write (it has no {MARK}): refusing to replace what is in it \
             (choose a new or empty folder, or remove this one first)",
            out.display()
        ))),
    }
}

/// Writes `files` as the folder `out`, replacing any folder there only once all are written.
pub fn write_folder(out: &Path, files: &[OutputFile]) -> Result<(), RenderError> {
    if let Some(f) = files
        .iter()
        .find(|f| f.name.is_empty() || f.name.contains(['/', '\\']) || f.name.starts_with('.'))
    {
        return Err(RenderError::Other(format!(
            "output file name {:?} is not a plain file name",
            f.name
        )));
    }
    write_folder_with(out, |tmp| {
        for f in files {
            let p = tmp.join(&f.name);
            std::fs::write(&p, &f.bytes).map_err(io(&p))?;
        }
        Ok(())
    })
}

/// As [`write_folder`], with `fill` writing the contents into the fresh folder it is given.
pub fn write_folder_with<E>(out: &Path, fill: impl FnOnce(&Path) -> Result<(), E>) -> Result<(), E>
where
    E: From<RenderError>,
{
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let name = out
        .file_name()
        .ok_or_else(|| RenderError::Other(format!("output folder {} has no name", out.display())))?
        .to_string_lossy()
        .into_owned();
    check_replaceable(out)?;
    remove_leftovers(parent, &name)?;
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    std::fs::create_dir(&tmp).map_err(io(&tmp))?;
    // The mark goes in first, so that a run stopped while filling leaves a folder the next run knows
    // as its own leftover.
    let mark = tmp.join(MARK);
    std::fs::write(&mark, MARK_TEXT).map_err(io(&mark))?;
    fill(&tmp)?;
    // Checked again: `out` may have appeared while the folder was being filled.
    check_replaceable(out)?;
    if std::fs::symlink_metadata(out).is_ok() {
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(out, &old).map_err(io(out))?;
        if let Err(e) = std::fs::rename(&tmp, out) {
            // Put the earlier folder back; if even that fails, say where it is.
            return Err(match std::fs::rename(&old, out) {
                Ok(()) => io(out)(e),
                Err(back) => RenderError::Other(format!(
                    "replacing {}: {e}; the earlier folder could not be put back ({back}) and is at {}",
                    out.display(),
                    old.display()
                )),
            }
            .into());
        }
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    } else {
        std::fs::rename(&tmp, out).map_err(io(out))?;
    }
    Ok(())
}

/// Removes `.NAME.tmp-PID` and `.NAME.old-PID` siblings left by runs whose process is gone: folders
/// that hold [`MARK`] (or nothing, a run stopped before writing it). Anything else of such a name (a
/// file, a folder of other things) is not this writer's and is left alone.
fn remove_leftovers(parent: &Path, name: &str) -> Result<(), RenderError> {
    for e in std::fs::read_dir(parent).map_err(io(parent))? {
        let e = e.map_err(io(parent))?;
        let f = e.file_name().to_string_lossy().into_owned();
        let pid = [".tmp-", ".old-"]
            .iter()
            .find_map(|k| f.strip_prefix(&format!(".{name}{k}")))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid
            && pid != std::process::id()
            && !PathBuf::from(format!("/proc/{pid}")).exists()
        {
            let p = e.path();
            let is_dir = std::fs::symlink_metadata(&p).map_err(io(&p))?.is_dir();
            let ours =
                is_dir && (p.join(MARK).is_file() || std::fs::read_dir(&p).map_err(io(&p))?.next().is_none());
            if ours {
                std::fs::remove_dir_all(&p).map_err(io(&p))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary directory, removed when dropped.
    fn temp(tag: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("render-folder-{tag}-"))
            .tempdir()
            .unwrap()
    }

    #[test]
    fn replaces_a_folder_whole_and_clears_dead_leftovers() {
        let tmp = temp("swap");
        let d = tmp.path();
        let out = d.join("out");
        std::fs::create_dir_all(d.join(".out.tmp-4000000000")).unwrap();
        write_folder(&out, &[OutputFile::new("a.txt", "one")]).unwrap();
        write_folder(&out, &[OutputFile::new("b.txt", "two")]).unwrap();
        assert!(!out.join("a.txt").exists(), "the old folder is gone whole");
        assert_eq!(std::fs::read_to_string(out.join("b.txt")).unwrap(), "two");
        let names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["out".to_string()], "no leftovers");
    }

    #[test]
    fn an_os_error_is_said_once() {
        let tmp = temp("oserror");
        let file = tmp.path().join("afile");
        std::fs::write(&file, "x").unwrap();
        let e = write_folder(&file.join("out"), &[OutputFile::new("a.txt", "one")]).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("os error"), "{text}");
        // Not also the error's source: a printed chain (anyhow's `{:#}`) would repeat it.
        assert!(std::error::Error::source(&e).is_none(), "{text}");
    }

    #[test]
    fn leftovers_of_another_kind_are_left_alone() {
        let tmp = temp("foreign");
        let d = tmp.path();
        let out = d.join("out");
        // Dead process ids, but not this writer's: a file, and a folder of someone's files.
        std::fs::write(d.join(".out.old-4000000001"), "a note").unwrap();
        std::fs::create_dir_all(d.join(".out.tmp-4000000002")).unwrap();
        std::fs::write(d.join(".out.tmp-4000000002/data.csv"), "1,2").unwrap();
        // This writer's: a marked leftover.
        std::fs::create_dir_all(d.join(".out.old-4000000003")).unwrap();
        std::fs::write(d.join(".out.old-4000000003").join(MARK), MARK_TEXT).unwrap();
        write_folder(&out, &[OutputFile::new("a.txt", "one")]).unwrap();
        assert_eq!(
            std::fs::read_to_string(d.join(".out.old-4000000001")).unwrap(),
            "a note"
        );
        assert_eq!(
            std::fs::read_to_string(d.join(".out.tmp-4000000002/data.csv")).unwrap(),
            "1,2"
        );
        assert!(!d.join(".out.old-4000000003").exists());
    }

    #[test]
    fn a_failing_fill_leaves_the_old_folder_in_place() {
        let tmp = temp("fail");
        let out = tmp.path().join("out");
        write_folder(&out, &[OutputFile::new("a.txt", "one")]).unwrap();
        let e = write_folder_with(&out, |_| -> Result<(), RenderError> {
            Err(RenderError::Other("boom".into()))
        });
        assert!(e.is_err());
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "one");
        assert!(write_folder(&out, &[OutputFile::new("../x", "no")]).is_err());
    }

    #[test]
    fn a_file_or_a_folder_not_written_here_is_refused_and_left_as_it_was() {
        let tmp = temp("refuse");
        let d = tmp.path();
        // A file named as the output folder.
        let file = d.join("notes.txt");
        std::fs::write(&file, "mine").unwrap();
        let e = write_folder(&file, &[OutputFile::new("a.txt", "one")]).unwrap_err();
        assert!(e.to_string().contains("is not a folder"), "{e}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
        // A folder of the analyst's own files.
        let own = d.join("analysis");
        std::fs::create_dir_all(own.join("sub")).unwrap();
        std::fs::write(own.join("thesis.txt"), "draft").unwrap();
        let e = write_folder(&own, &[OutputFile::new("a.txt", "one")]).unwrap_err();
        assert!(e.to_string().contains("did not write"), "{e}");
        assert_eq!(std::fs::read_to_string(own.join("thesis.txt")).unwrap(), "draft");
        assert!(own.join("sub").is_dir());
        assert!(!own.join("a.txt").exists());
        let mut names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["analysis", "notes.txt"], "nothing written beside them");
        // An empty folder is taken; then, marked, it is replaced by the next run.
        let empty = d.join("empty");
        std::fs::create_dir(&empty).unwrap();
        write_folder(&empty, &[OutputFile::new("a.txt", "one")]).unwrap();
        assert!(empty.join(MARK).is_file());
        write_folder(&empty, &[OutputFile::new("b.txt", "two")]).unwrap();
        assert!(!empty.join("a.txt").exists());
        assert_eq!(std::fs::read_to_string(empty.join("b.txt")).unwrap(), "two");
    }
}
