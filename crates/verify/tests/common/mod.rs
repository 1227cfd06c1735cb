//! Test harness: a simulated deployment logged into an in-memory RFC 6962 tree, checkpoints
//! signed by a log key and cosigned by a witness key every simulated hour, and the compliance
//! engine following along — the monitor's view, without HTTP.

#![allow(dead_code)]

use std::sync::Arc;

use tlog::{LogSigner, MemoryTree, merkle};
use verify::engine::{Engine, Finding};
use verify::evidence::{self, Evidence, Trust};
use verify::monitor::{LogSource, SourceError, SourceErrorKind};
use verify::roster::Registry;
use verify::rules::{self, RuleSet};
use verify::sim::{self, Deployment, Fault, HOUR_MS, SimConfig};
use witness::CosignatureSigner;

/// 2026-01-01T00:00:00Z.
pub const START: i64 = 1_767_225_600_000;

pub struct Log {
    pub tree: MemoryTree,
    pub entries: Vec<Vec<u8>>,
    pub signer: LogSigner,
    pub witness: CosignatureSigner,
}

impl Log {
    pub fn new() -> Self {
        let (signer, _) = LogSigner::generate("log.example/shieldwatch").unwrap();
        let (witness, _) = CosignatureSigner::generate("witness.example/w1").unwrap();
        Self {
            tree: MemoryTree::new(),
            entries: Vec::new(),
            signer,
            witness,
        }
    }

    pub fn append(&mut self, e: Vec<u8>) -> u64 {
        let i = self.tree.push(&e).unwrap();
        self.entries.push(e);
        i
    }

    pub fn size(&self) -> u64 {
        self.entries.len() as u64
    }

    /// The log's checkpoint of the current tree, cosigned by the witness at `cosign_s`.
    pub fn checkpoint(&self, cosign_s: u64) -> Vec<u8> {
        let size = self.size();
        let note = self
            .signer
            .sign_checkpoint(size, self.tree.root(size).unwrap())
            .unwrap();
        let text_len = note.windows(2).position(|w| w == b"\n\n").unwrap() + 1;
        let sig = self.witness.cosign(&note[..text_len], cosign_s).unwrap();
        let line = String::from_utf8(sig.to_bytes()).unwrap();
        witness::attach_cosignatures(&note, &[line]).unwrap()
    }

    pub fn proof(&self, index: u64, size: u64) -> Vec<tlog::Hash> {
        merkle::prove_inclusion(size, index, &self.tree).unwrap()
    }
}

/// A finding, the checkpoint note it was judged at and the checkpoint judged before that one.
pub type Judged = (Finding, Vec<u8>, Option<Vec<u8>>);

pub struct Run {
    pub dep: Deployment,
    pub log: Log,
    pub rules: Arc<RuleSet>,
    /// Each finding with the checkpoint note its evidence is built against and the checkpoint
    /// judged before that one.
    pub findings: Vec<Judged>,
    pub rosters: Vec<u64>,
    /// Indexes of entries that inject a fault.
    pub faulty: Vec<(u64, Fault)>,
}

pub fn config(hours: i64, faults: &[(i64, Fault)]) -> SimConfig {
    let mut cfg = SimConfig::europe_2008_day(START);
    cfg.duration_ms = hours * HOUR_MS;
    cfg.faults = faults.to_vec();
    cfg
}

/// Simulates `hours` with `faults`, logging everything (a dishonest or careless log that
/// accepts whatever it is given, so the monitor's checks are what is tested).
pub fn run(hours: i64, faults: &[(i64, Fault)]) -> Run {
    let cfg = config(hours, faults);
    let dep = Deployment::new(&cfg).unwrap();
    let rules = Arc::new(rules::builtin_or_path("europe-2008").unwrap());
    let mut engine = Engine::new(Registry::new(dep.anchors()).unwrap(), Arc::clone(&rules));
    let mut log = Log::new();
    let mut pending: Vec<Finding> = Vec::new();
    let mut findings = Vec::new();
    let i = log.append(dep.roster_entry.clone());
    pending.extend(engine.entry(i, &dep.roster_entry));
    let events = sim::simulate(&dep, &cfg).unwrap();
    let mut faulty = Vec::new();
    // The log is checkpointed and cosigned every 10 minutes.
    let cadence = 10 * 60_000;
    let mut next_cp = START + cadence;
    let mut last_t = START;
    let mut previous: Option<Vec<u8>> = None;
    let mut checkpoint = |log: &Log,
                          engine: &mut Engine,
                          t_ms: i64,
                          pending: &mut Vec<Finding>,
                          findings: &mut Vec<Judged>| {
        let cosign_s = (t_ms / 1000 + 5) as u64;
        let note = log.checkpoint(cosign_s);
        for f in pending.drain(..) {
            findings.push((f, note.clone(), previous.clone()));
        }
        for f in engine.checkpoint(log.size(), cosign_s as i64 * 1000) {
            findings.push((f, note.clone(), previous.clone()));
        }
        previous = Some(note);
    };
    for ev in events {
        if ev.time_ms > next_cp {
            checkpoint(&log, &mut engine, next_cp, &mut pending, &mut findings);
            next_cp += cadence;
        }
        last_t = ev.time_ms;
        let i = log.append(ev.entry.clone());
        if let Some(f) = ev.fault {
            faulty.push((i, f));
        }
        pending.extend(engine.entry(i, &ev.entry));
    }
    checkpoint(&log, &mut engine, last_t, &mut pending, &mut findings);
    Run {
        rosters: engine.roster_indexes().to_vec(),
        dep,
        log,
        rules,
        findings,
        faulty,
    }
}

impl Run {
    pub fn trust(&self) -> Trust {
        Trust {
            log_key: self.log.signer.verifier_key().to_owned(),
            witness_keys: vec![self.log.witness.verifier_key()],
            min_cosignatures: 1,
            anchors: self.dep.anchors(),
            rules: Arc::clone(&self.rules),
        }
    }

    pub fn evidence(&self, n: usize) -> Evidence {
        let (f, note, previous) = &self.findings[n];
        let cp = tlog::verify_checkpoint(note, self.log.signer.verifier_key()).unwrap();
        let at = evidence::Judgement {
            note,
            size: cp.size,
            previous: previous.as_deref(),
            clock: evidence::Clock::Witness,
        };
        evidence::build(
            f,
            &self.rules,
            &at,
            |i| Ok(self.log.entries[i as usize].clone()),
            |i| Ok(self.log.proof(i, cp.size)),
        )
        .unwrap()
    }

    pub fn kinds(&self) -> Vec<String> {
        self.findings.iter().map(|(f, _, _)| f.kind.name()).collect()
    }
}

impl Log {
    /// A log with the same keys holding `entries`.
    pub fn with_entries(&self, entries: &[Vec<u8>]) -> Log {
        let mut l = Log {
            tree: MemoryTree::new(),
            entries: Vec::new(),
            signer: self.signer.clone(),
            witness: self.witness.clone(),
        };
        for e in entries {
            l.append(e.clone());
        }
        l
    }

    /// The log's checkpoint signed by the log only (no witness cosigned it).
    pub fn uncosigned_checkpoint(&self) -> Vec<u8> {
        let size = self.size();
        self.signer
            .sign_checkpoint(size, self.tree.root(size).unwrap())
            .unwrap()
    }
}

/// A log served from memory, as a server would over HTTP, with switches for the ways a log
/// server can fail or lie.
pub struct MemSource {
    /// What is served.
    pub log: Log,
    /// Cosignature time of the checkpoint served, Unix s.
    pub cosign_s: u64,
    /// Serve checkpoints with no witness cosignature (a witness refused them).
    pub uncosigned: bool,
    /// Answer every request with this failure.
    pub down: Option<SourceErrorKind>,
    /// Serve this entry in place of the real one at that index (entry bundles only).
    pub swap_entry: Option<(u64, Vec<u8>)>,
    /// Answer requests for this entry bundle (only) with this failure.
    pub fail_bundle: Option<(u64, SourceErrorKind)>,
}

impl MemSource {
    pub fn new(log: Log, cosign_s: u64) -> Self {
        Self {
            log,
            cosign_s,
            uncosigned: false,
            down: None,
            swap_entry: None,
            fail_bundle: None,
        }
    }

    fn up(&self) -> Result<(), SourceError> {
        match self.down {
            Some(k) => Err(SourceError::new(k, "the log server is down")),
            None => Ok(()),
        }
    }
}

impl LogSource for MemSource {
    fn checkpoint(&mut self) -> Result<Vec<u8>, SourceError> {
        self.up()?;
        Ok(if self.uncosigned {
            self.log.uncosigned_checkpoint()
        } else {
            self.log.checkpoint(self.cosign_s)
        })
    }

    fn entry_bundle(&mut self, n: u64, tree_size: u64) -> Result<Vec<u8>, SourceError> {
        self.up()?;
        if let Some((_, kind)) = self.fail_bundle.filter(|&(at, _)| at == n) {
            return Err(SourceError::new(
                kind,
                format!("entry bundle {n} could not be read"),
            ));
        }
        let w = u64::from(tlog::tiles::TILE_WIDTH);
        let from = n * w;
        let to = tree_size.min(from + w).min(self.log.size());
        if from >= to {
            return Err(SourceError::new(SourceErrorKind::Status(404), "no such bundle"));
        }
        let entries: Vec<Vec<u8>> = (from..to)
            .map(|i| match &self.swap_entry {
                Some((j, e)) if *j == i => e.clone(),
                _ => self.log.entries[i as usize].clone(),
            })
            .collect();
        Ok(tlog::tiles::encode_bundle(entries.iter().map(Vec::as_slice)).unwrap())
    }

    fn consistency(&mut self, old: u64, new: u64) -> Result<Vec<tlog::Hash>, SourceError> {
        self.up()?;
        merkle::prove_consistency(old, new, &self.log.tree)
            .map_err(|e| SourceError::new(SourceErrorKind::Status(400), e.to_string()))
    }

    fn inclusion(&mut self, index: u64, size: u64) -> Result<Vec<tlog::Hash>, SourceError> {
        self.up()?;
        merkle::prove_inclusion(size, index, &self.log.tree)
            .map_err(|e| SourceError::new(SourceErrorKind::Status(400), e.to_string()))
    }
}
