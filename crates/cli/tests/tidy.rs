//! Repository hygiene checks: every Rust source file starts with a `//!` module doc that says what it is
//! for, and every crate has a README.

use std::path::{Path, PathBuf};

mod scratch;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_source_file_has_a_module_doc() {
    let root = workspace_root();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root.join("crates"))
        .expect("crates dir")
        .flatten()
    {
        for sub in ["src", "tests", "benches", "examples"] {
            rust_files(&krate.path().join(sub), &mut files);
        }
    }
    assert!(!files.is_empty());
    let missing: Vec<_> = files
        .iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|p| p.strip_prefix(&root).unwrap_or(p).display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a leading `//!` doc: {missing:#?}"
    );
}

#[test]
fn every_crate_has_a_readme() {
    let root = workspace_root();
    for krate in std::fs::read_dir(root.join("crates"))
        .expect("crates dir")
        .flatten()
    {
        if krate.path().join("Cargo.toml").exists() {
            assert!(
                krate.path().join("README.md").exists(),
                "{} has no README.md",
                krate.path().display()
            );
        }
    }
}

#[test]
fn cli_tests_make_their_directories_through_scratch_which_removes_them() {
    let root = workspace_root();
    let mut files = Vec::new();
    rust_files(&root.join("crates/cli/tests"), &mut files);
    assert!(files.len() > 10, "{files:?}");
    let pattern = ["temp_dir", "()"].concat();
    let direct: Vec<_> = files
        .iter()
        .filter(|p| !p.ends_with("scratch/mod.rs"))
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(&pattern)))
        .collect();
    assert!(
        direct.is_empty(),
        "make test directories with scratch::dir, which removes them: {direct:?}"
    );

    // Removed when the test ends, and when it fails.
    let d = scratch::dir("tidy");
    std::fs::write(d.join("file"), "x").unwrap();
    let path = d.to_path_buf();
    assert!(path.join("file").exists());
    drop(d);
    assert!(!path.exists(), "{} left behind", path.display());
    let failed = std::panic::catch_unwind(|| {
        let d = scratch::dir("tidy-failing");
        std::fs::create_dir_all(d.join("sub")).unwrap();
        panic!("{}", d.display());
    })
    .unwrap_err();
    let path = PathBuf::from(failed.downcast_ref::<String>().unwrap());
    let name = path.file_name().and_then(|n| n.to_str()).unwrap();
    assert!(
        name.starts_with("shieldwatch-tidy-failing-"),
        "{}",
        path.display()
    );
    if std::env::var_os("SHIELDWATCH_KEEP_TEST_DIRS").is_none() {
        assert!(!path.exists(), "{} left behind by a failing test", path.display());
    }
}
