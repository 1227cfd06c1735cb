//! Inclusion-proof verification per proof (and consistency for comparison), in a tree of
//! 2^20 entries. Run with `cargo bench -p tlog --bench proofs`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tlog::MemoryTree;
use tlog::merkle::{self, record_hash};

const SIZE: u64 = 1 << 20;

fn bench(c: &mut Criterion) {
    let mut t = MemoryTree::new();
    for i in 0..SIZE {
        t.push(format!("entry {i}").as_bytes()).unwrap();
    }
    let root = t.root(SIZE).unwrap();
    let index = 765_432;
    let leaf = record_hash(format!("entry {index}").as_bytes());
    let proof = merkle::prove_inclusion(SIZE, index, &t).unwrap();
    c.bench_function("verify_inclusion_2^20", |b| {
        b.iter(|| merkle::verify_inclusion(black_box(&proof), SIZE, root, index, leaf).unwrap())
    });
    c.bench_function("leaf_hash_1KiB", |b| {
        let e = vec![7u8; 1024];
        b.iter(|| record_hash(black_box(&e)))
    });
    let old = 123_457;
    let old_root = t.root(old).unwrap();
    let cproof = merkle::prove_consistency(old, SIZE, &t).unwrap();
    c.bench_function("verify_consistency_2^20", |b| {
        b.iter(|| merkle::verify_consistency(black_box(&cproof), old, old_root, SIZE, root).unwrap())
    });
    c.bench_function("prove_inclusion_2^20_memory", |b| {
        b.iter(|| merkle::prove_inclusion(SIZE, black_box(index), &t).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench
}
criterion_main!(benches);
