//! Scratch directories for the CLI tests. Each is a [`tempfile::TempDir`] under the system's temporary
//! directory, removed with everything in it when the test's [`Scratch`] goes out of scope, also when the
//! test fails (the panic unwinds through it). Set `SHIELDWATCH_KEEP_TEST_DIRS=1` to keep them for
//! inspection: each kept path is printed on stderr.

use std::path::Path;

/// A test's scratch directory; dereferences to its path.
pub struct Scratch(Option<tempfile::TempDir>);

/// A new, empty scratch directory whose name starts with `shieldwatch-{tag}-`.
pub fn dir(tag: &str) -> Scratch {
    let d = tempfile::Builder::new()
        .prefix(&format!("shieldwatch-{tag}-"))
        .tempdir()
        .unwrap_or_else(|e| panic!("creating a scratch directory for {tag}: {e}"));
    Scratch(Some(d))
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        match &self.0 {
            Some(d) => d.path(),
            None => unreachable!("a scratch directory is only taken when dropped"),
        }
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.as_os_str()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let keep = std::env::var_os("SHIELDWATCH_KEEP_TEST_DIRS").is_some_and(|v| !v.is_empty() && v != "0");
        if let (true, Some(d)) = (keep, self.0.take()) {
            eprintln!("SHIELDWATCH_KEEP_TEST_DIRS: kept {}", d.keep().display());
        }
    }
}
