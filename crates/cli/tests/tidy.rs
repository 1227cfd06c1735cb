//! Repository hygiene checks: every Rust source file starts with a `//!` module doc that says what it is
//! for, and every crate has a README.

use std::path::{Path, PathBuf};

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
