//! A short run of every fuzz target in the test suite: each committed seed of
//! `fuzz/corpus/<target>/` (and every crash the fuzzer found, kept in `fuzz/regressions/<target>/`)
//! replayed, then arbitrary bytes and one-byte mutations of the seeds under proptest. The long,
//! coverage-guided runs are cargo-afl's (FUZZING.md).

use std::path::{Path, PathBuf};

use proptest::prelude::*;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `fuzz/<kind>/<target>/` (none if the folder does not exist).
fn files(kind: &str, target: &str) -> Vec<Vec<u8>> {
    let dir = fuzz_dir().join(kind).join(target);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return vec![];
    };
    let mut paths: Vec<PathBuf> = rd.map(|e| e.expect("corpus entry").path()).collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

#[test]
fn every_target_has_seeds_and_replays_them_and_its_regressions() {
    for (name, target) in fuzz_targets::TARGETS {
        let seeds = files("corpus", name);
        assert!(!seeds.is_empty(), "no seed corpus for {name}");
        for s in seeds.iter().chain(&files("regressions", name)) {
            target(s);
        }
    }
    assert!(fuzz_targets::target("tile_path").is_some());
    assert!(fuzz_targets::target("nonsense").is_none());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_target_takes_arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..1024)) {
        for (_, target) in fuzz_targets::TARGETS {
            target(&b);
        }
    }

    #[test]
    fn every_target_takes_mutated_seeds(seed in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), xor in 1u8..=255) {
        for (name, target) in fuzz_targets::TARGETS {
            let seeds = files("corpus", name);
            let mut s = seeds[seed.index(seeds.len())].clone();
            if !s.is_empty() {
                let i = at.index(s.len());
                s[i] ^= xor;
            }
            target(&s);
        }
    }
}
