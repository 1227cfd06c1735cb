//! The floor of a monitor's catch-up: what verifying the Ed25519 signatures of `SIGFLOOR_ENTRIES`
//! real statements (default 1 000 000) costs on this machine, with nothing else.
//!
//! The statements are the simulator's (`verify::sim`, the europe-2008 deployment, sensor period
//! 1 s, as `crates/cli/benches/catchup.rs` logs them). Before timing, every statement's note is
//! parsed and each signature by a roster key paired with its decoded key and message, so the
//! timed parts are the signature checks alone:
//!
//! - `single`: `ed25519_dalek` `verify` per signature (what `signed_note` does), on all cores
//!   (`rayon`);
//! - `batch B`: `ed25519_dalek::verify_batch` over batches of B signatures, on all cores, for
//!   several B;
//! - `zebra B`: `ed25519_zebra::batch::Verifier` over the same batches (ZIP-215's cofactored
//!   equation, the terms of signatures by one key coalesced: the statements of a log come from a
//!   handful of sensors and inspectors, counted and printed first), on all cores;
//! - `batch 64, 1 thread`: the same on one core (the cost per signature and core);
//! - `check_signatures`: what the monitor runs (`verify::sigcheck`: note parsing, key lookup and
//!   batches of [`verify::sigcheck::BATCH`]), on all cores.
//!
//! Each is run `SIGFLOOR_RUNS` times (default 3); every run is printed with the load average.
//!
//! Run: `cargo bench -p verify --bench sigfloor` (release-like `bench` profile). Without `--bench`
//! it does nothing (so `cargo test` skips it).

use std::collections::HashMap;
use std::time::Instant;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use rayon::prelude::*;
use signed_note::{Note, Signature as NoteSignature};
use verify::roster::Registry;
use verify::sigcheck::{RosterKeys, check_signatures};
use verify::sim::{self, Deployment, HOUR_MS, SimConfig};

/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600_000;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|e| panic!("{name}={v:?} is not a whole number: {e}"))
    })
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .expect("/proc/loadavg")
        .split(' ')
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `n` statements of the simulator, sensor period 1 s.
fn statements(n: usize) -> (Deployment, Vec<Vec<u8>>) {
    let mut cfg = SimConfig::europe_2008_day(START);
    cfg.period_ms = 1_000;
    cfg.duration_ms = HOUR_MS;
    let dep = Deployment::new(&cfg).expect("deployment");
    let per_hour = sim::simulate(&dep, &cfg).expect("simulate").len().max(1);
    let hours = n.div_ceil(per_hour);
    // Simulate hour by hour on all cores: each hour is a separate run of the same sensors, which
    // is enough for signatures (the rules are not run here).
    let out: Vec<Vec<u8>> = (0..hours)
        .into_par_iter()
        .flat_map_iter(|h| {
            let mut c = cfg.clone();
            c.start_ms = START + i64::try_from(h).expect("hour") * HOUR_MS;
            sim::simulate(&dep, &c)
                .expect("simulate")
                .into_iter()
                .map(|e| e.entry)
        })
        .collect();
    (dep, out.into_iter().take(n).collect())
}

struct Job {
    key: VerifyingKey,
    sig: Signature,
    msg: Vec<u8>,
}

fn decode_vkey(vkey: &str) -> (String, VerifyingKey) {
    let mut parts = vkey.splitn(3, '+');
    let name = parts.next().expect("name").to_owned();
    let _id = parts.next().expect("id");
    let key = BASE64_STANDARD
        .decode(parts.next().expect("key"))
        .expect("base64");
    let raw: [u8; 32] = key[1..].try_into().expect("32 bytes");
    (name, VerifyingKey::from_bytes(&raw).expect("key"))
}

/// Every signature by a roster key, with its key and message.
fn jobs(dep: &Deployment, entries: &[Vec<u8>]) -> Vec<Job> {
    let keys: HashMap<String, VerifyingKey> = dep.roster.keys.iter().map(|k| decode_vkey(&k.vkey)).collect();
    entries
        .par_iter()
        .flat_map_iter(|e| {
            let note = Note::from_bytes(e).expect("note");
            let at = memchr::memmem::rfind(e, b"\n\n").expect("signature block");
            let block = e[at + 2..].strip_suffix(b"\n").expect("newline");
            block
                .split(|&b| b == b'\n')
                .filter_map(|line| {
                    let s = NoteSignature::from_bytes(line).expect("signature line");
                    let key = *keys.get(s.name())?;
                    let bytes: [u8; 64] = s.signature().try_into().expect("64 bytes");
                    Some(Job {
                        key,
                        sig: Signature::from_bytes(&bytes),
                        msg: note.text().to_vec(),
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn batch(jobs: &[Job]) -> bool {
    let msgs: Vec<&[u8]> = jobs.iter().map(|j| j.msg.as_slice()).collect();
    let sigs: Vec<Signature> = jobs.iter().map(|j| j.sig).collect();
    let keys: Vec<VerifyingKey> = jobs.iter().map(|j| j.key).collect();
    ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok()
}

/// `rand` 0.10's thread-local CSPRNG behind `rand_core` 0.6's traits, which `ed25519-zebra` 4 takes.
struct Rng06(rand::rngs::ThreadRng);

impl rand_core::RngCore for Rng06 {
    fn next_u32(&mut self) -> u32 {
        rand::Rng::next_u32(&mut self.0)
    }
    fn next_u64(&mut self) -> u64 {
        rand::Rng::next_u64(&mut self.0)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand::Rng::fill_bytes(&mut self.0, dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        rand::Rng::fill_bytes(&mut self.0, dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for Rng06 {}

fn zebra(jobs: &[Job]) -> bool {
    let mut v = ed25519_zebra::batch::Verifier::new();
    for j in jobs {
        v.queue((
            ed25519_zebra::VerificationKeyBytes::from(j.key.to_bytes()),
            j.sig,
            j.msg.as_slice(),
        ));
    }
    v.verify(Rng06(rand::rng())).is_ok()
}

fn report(what: &str, run: u64, sigs: usize, secs: f64) {
    println!(
        "sigfloor: {what:<22} run {run}: {secs:7.2} s for {sigs} signatures, {:6.2} µs per signature \
         (wall), {:6.2} s per 1 000 000; load {}",
        secs * 1e6 / sigs as f64,
        secs * 1e6 / sigs as f64,
        load()
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = usize::try_from(env_u64("SIGFLOOR_ENTRIES", 1_000_000)).expect("entries");
    let runs = env_u64("SIGFLOOR_RUNS", 3);
    let t = Instant::now();
    let (dep, entries) = statements(n);
    let jobs = jobs(&dep, &entries);
    let distinct: std::collections::HashSet<[u8; 32]> = jobs.iter().map(|j| j.key.to_bytes()).collect();
    println!(
        "sigfloor: {} statements, {} signatures by roster keys ({} distinct keys), prepared in {:.1} s; \
         {} rayon threads; load {}",
        entries.len(),
        jobs.len(),
        distinct.len(),
        t.elapsed().as_secs_f64(),
        rayon::current_num_threads(),
        load()
    );
    let mut registry = Registry::new(dep.anchors()).expect("registry");
    registry.admit(&dep.roster_entry).expect("roster");
    let keys = RosterKeys::of(&registry).expect("roster keys");
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("one-thread pool");
    for run in 1..=runs {
        let t = Instant::now();
        assert!(jobs.par_iter().all(|j| j.key.verify(&j.msg, &j.sig).is_ok()));
        report("single", run, jobs.len(), t.elapsed().as_secs_f64());
        for b in [64, 256, 1024, 4096] {
            let t = Instant::now();
            assert!(jobs.par_chunks(b).all(batch));
            report(&format!("batch {b}"), run, jobs.len(), t.elapsed().as_secs_f64());
            let t = Instant::now();
            assert!(jobs.par_chunks(b).all(zebra));
            report(&format!("zebra {b}"), run, jobs.len(), t.elapsed().as_secs_f64());
        }
        // One core: a tenth of the signatures.
        let part = &jobs[..jobs.len() / 10];
        let t = Instant::now();
        assert!(one.install(|| part.par_chunks(64).all(batch)));
        report("batch 64, 1 thread", run, part.len(), t.elapsed().as_secs_f64());
        let t = Instant::now();
        let signed = check_signatures(&keys, &entries);
        let secs = t.elapsed().as_secs_f64();
        assert!(signed.iter().all(Option::is_some));
        report("check_signatures", run, jobs.len(), secs);
    }
}
