//! Proof verification per proof: inclusion and consistency proofs in a tree of 2^20 entries.
//!
//! Run with `cargo bench -p tlog --bench proofs`. The measured proofs are a fixed sample (1 000
//! inclusion proofs of seeded random indexes, 100 consistency proofs from seeded random older
//! sizes); each criterion iteration verifies the whole sample, so the time per proof is the
//! reported time divided by the sample size. With `TLOG_PROOFS_OUT=<file>` the sample is also
//! written as JSON, so `crates/tlog/bench/compare_go.sh` can time Go's
//! `golang.org/x/mod/sumdb/tlog` on exactly the same proofs.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tlog::merkle::{self, Hash, record_hash};
use tlog::{InclusionProof, MemoryTree};

const SIZE: u64 = 1 << 20;
const INCLUSION_SAMPLE: usize = 1000;
const CONSISTENCY_SAMPLE: usize = 100;

/// splitmix64, so the sample is the same on every run.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    }
}

struct Consistency {
    old: u64,
    old_root: Hash,
    proof: Vec<Hash>,
}

fn hashes_json(hs: &[Hash]) -> String {
    let v: Vec<String> = hs.iter().map(|h| format!("\"{h}\"")).collect();
    format!("[{}]", v.join(","))
}

fn export(path: &str, root: Hash, incl: &[(InclusionProof, Hash)], cons: &[Consistency]) {
    let incl: Vec<String> = incl
        .iter()
        .map(|(p, leaf)| {
            format!(
                "{{\"index\":{},\"leaf\":\"{leaf}\",\"proof\":{}}}",
                p.index,
                hashes_json(&p.proof)
            )
        })
        .collect();
    let cons: Vec<String> = cons
        .iter()
        .map(|c| {
            format!(
                "{{\"old\":{},\"old_root\":\"{}\",\"proof\":{}}}",
                c.old,
                c.old_root,
                hashes_json(&c.proof)
            )
        })
        .collect();
    let json = format!(
        "{{\"size\":{SIZE},\"root\":\"{root}\",\"inclusion\":[{}],\"consistency\":[{}]}}\n",
        incl.join(","),
        cons.join(",")
    );
    std::fs::write(path, json).expect("writing TLOG_PROOFS_OUT");
}

fn bench(c: &mut Criterion) {
    let mut t = MemoryTree::new();
    for i in 0..SIZE {
        t.push(format!("entry {i}").as_bytes()).expect("push");
    }
    let root = t.root(SIZE).expect("root");
    let mut rng = Rng(0x7106_2026);
    let incl: Vec<(InclusionProof, Hash)> = (0..INCLUSION_SAMPLE)
        .map(|_| {
            let index = rng.below(SIZE);
            let proof = merkle::prove_inclusion(SIZE, index, &t).expect("prove");
            let leaf = record_hash(format!("entry {index}").as_bytes());
            (
                InclusionProof {
                    index,
                    size: SIZE,
                    root,
                    proof,
                },
                leaf,
            )
        })
        .collect();
    let cons: Vec<Consistency> = (0..CONSISTENCY_SAMPLE)
        .map(|_| {
            let old = 1 + rng.below(SIZE - 1);
            Consistency {
                old,
                old_root: t.root(old).expect("root"),
                proof: merkle::prove_consistency(old, SIZE, &t).expect("prove"),
            }
        })
        .collect();
    if let Ok(path) = std::env::var("TLOG_PROOFS_OUT") {
        export(&path, root, &incl, &cons);
    }

    c.bench_function("verify_inclusion_2^20_x1000", |b| {
        b.iter(|| {
            for (p, leaf) in &incl {
                merkle::verify_inclusion(black_box(&p.proof), SIZE, root, p.index, *leaf).expect("verifies");
            }
        })
    });
    c.bench_function("verify_consistency_2^20_x100", |b| {
        b.iter(|| {
            for x in &cons {
                merkle::verify_consistency(black_box(&x.proof), x.old, x.old_root, SIZE, root)
                    .expect("verifies");
            }
        })
    });
    c.bench_function("leaf_hash_1KiB", |b| {
        let e = vec![7u8; 1024];
        b.iter(|| record_hash(black_box(&e)))
    });
    let index = incl[0].0.index;
    c.bench_function("prove_inclusion_2^20_memory", |b| {
        b.iter(|| merkle::prove_inclusion(SIZE, black_box(index), &t).expect("prove"))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench
}
criterion_main!(benches);
