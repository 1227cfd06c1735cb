//! What the human-facing commands share for output: the Ctrl-C flag, the progress bar and the atomic
//! output folder (through the `render` crate). `study`, `footprint` and `sweep` poll [`CANCEL`]; a
//! cancelled run exits 130 and writes nothing.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use render::OutputFile;

/// Set by Ctrl-C once [`install_ctrlc`] has run: long computations poll it and stop without writing.
pub(crate) static CANCEL: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C was pressed.
pub(crate) fn cancelled() -> bool {
    CANCEL.load(Ordering::SeqCst)
}

/// Makes Ctrl-C set [`CANCEL`] (a second Ctrl-C exits at once with status 130). Output folders are only
/// ever swapped in whole, so neither leaves a half-written folder behind.
pub(crate) fn install_ctrlc() -> anyhow::Result<()> {
    ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    })
    .context("installing the Ctrl-C handler")
}

/// A progress bar on stderr with an ETA, hidden when stderr is not a terminal or when `hidden`.
pub(crate) fn progress_bar(len: u64, unit: &str, message: String, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    // The template is a constant apart from `unit`; should it ever fail to parse, the default bar shows.
    let style = ProgressStyle::with_template(&format!(
        "{{spinner}} {{msg}} [{{bar:40}}] {{pos}}/{{len}} {unit}, ETA {{eta}}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_message(message);
    bar
}

/// Writes `files` as the folder `out`, swapped in whole (see [`render::folder`]), and says so on stderr.
pub(crate) fn write_folder(out: &Path, files: &[OutputFile]) -> anyhow::Result<()> {
    render::folder::write_folder(out, files).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {} ({} files)", out.display(), files.len());
    Ok(())
}

/// As [`write_folder`], with `fill` writing into the fresh folder.
pub(crate) fn write_folder_with(
    out: &Path,
    fill: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    render::folder::write_folder_with(out, fill).with_context(|| format!("writing {}", out.display()))
}

/// The message and exit status of a cancelled run.
pub(crate) fn cancelled_exit() -> std::process::ExitCode {
    eprintln!("shieldwatch: cancelled; nothing written");
    std::process::ExitCode::from(130)
}
