//! The monitor: follows a log through a [`LogSource`], checks every checkpoint (log signature,
//! witness quorum, consistency with the last one verified), keeps its own replica of the tree,
//! replays every entry through the compliance [`Engine`] and turns what it sees into [`Alert`]s:
//!
//! - each [`Finding`] of the engine, as an evidence bundle that [`evidence::verify`] checks
//!   offline;
//! - log misbehaviour, as [`LogEvidence`] that verifies with the log's key alone: a split view
//!   (two trees of one size), rewritten history or a fork (a tree that does not extend, or is not
//!   a prefix of, the one verified earlier: one index, two entries, each proven in a
//!   log-signed checkpoint), or a rollback (a smaller tree, a prefix of the verified one: the
//!   entries acknowledged beyond it are gone, and named);
//! - unavailability: the log has answered nothing usable (no answer, an error status, a
//!   checkpoint that does not verify or is not cosigned) for longer than
//!   [`MonitorConfig::unavailable_after_ms`].
//!
//! A monitor never stops on what the log does: a misbehaving or absent log is alerted on, and
//! the caller keeps polling, spacing polls by [`Backoff`] while the log is unavailable. The
//! source is a trait, so the same code follows a log over HTTP (the `shieldwatch monitor`
//! command) or an in-memory log (tests, including logs that lie).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::engine::{Engine, Finding};
use crate::error::{Error, Result};
use crate::evidence::{self, Clock, Evidence, Judgement, Trust};
use crate::logwatch::{LogEvidence, LogWatch, Misbehaviour, Seen};
use crate::roster::Registry;
use crate::sigcheck::{self, RosterKeys, Signed};
use bytes::Bytes;
use rayon::prelude::*;
use tlog::MemoryTree;
use tlog::tiles::TILE_WIDTH;

/// What went wrong fetching from a log, by kind, so the monitor can tell an absent log from one
/// that answers nonsense.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceErrorKind {
    /// No answer: connection refused or reset, time-out.
    Unreachable,
    /// An HTTP error status (e.g. 503 while no checkpoint is cosigned, 400 for a proof the log
    /// cannot give).
    Status(u16),
    /// An answer that does not parse (bad framing, bad JSON, bad hash).
    Malformed,
}

/// A failed fetch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SourceError {
    /// What kind of failure.
    pub kind: SourceErrorKind,
    /// What failed, for people.
    pub message: String,
}

impl SourceError {
    /// A failure of `kind`.
    pub fn new(kind: SourceErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// Where a monitor reads a log from. Nothing it returns is trusted.
pub trait LogSource {
    /// The log's current checkpoint (a signed note, with cosignatures).
    ///
    /// # Errors
    ///
    /// [`SourceError`] if it cannot be fetched.
    fn checkpoint(&mut self) -> std::result::Result<Vec<u8>, SourceError>;

    /// Entry bundle `n` (C2SP tlog-tiles framing) of the tree of `tree_size` entries: full, or
    /// partial if it is the tree's last.
    ///
    /// # Errors
    ///
    /// [`SourceError`] if it cannot be fetched.
    fn entry_bundle(&mut self, n: u64, tree_size: u64) -> std::result::Result<Vec<u8>, SourceError>;

    /// Entry bundles `ns` of the tree of `tree_size` entries, in order: a source that can
    /// fetch concurrently (over HTTP) overrides this; by default one after another.
    ///
    /// # Errors
    ///
    /// The first [`SourceError`] in bundle order.
    fn entry_bundles(
        &mut self,
        ns: std::ops::Range<u64>,
        tree_size: u64,
    ) -> std::result::Result<Vec<Vec<u8>>, SourceError> {
        ns.map(|n| self.entry_bundle(n, tree_size)).collect()
    }

    /// The consistency proof from the tree of `old` entries to the tree of `new`.
    ///
    /// # Errors
    ///
    /// [`SourceError`] if it cannot be fetched.
    fn consistency(&mut self, old: u64, new: u64) -> std::result::Result<Vec<tlog::Hash>, SourceError>;

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    ///
    /// # Errors
    ///
    /// [`SourceError`] if it cannot be fetched.
    fn inclusion(&mut self, index: u64, size: u64) -> std::result::Result<Vec<tlog::Hash>, SourceError>;
}

/// How a monitor judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonitorConfig {
    /// The clock time rules are judged by.
    pub clock: Clock,
    /// How long (ms) the log may answer nothing usable before an [`Alert::Unavailable`].
    pub unavailable_after_ms: i64,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            clock: Clock::Witness,
            unavailable_after_ms: 5 * 60_000,
        }
    }
}

/// What a monitor reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Alert {
    /// A finding of the compliance engine, with its evidence.
    Finding(Box<Evidence>),
    /// The log signed incompatible histories, or rolled back.
    Log(Box<LogEvidence>),
    /// A checkpoint obtained elsewhere is inconsistent with the log's, by the log's own proof
    /// (or the log gave no proof).
    PeerInconsistent {
        /// The peer checkpoint's size.
        peer_size: u64,
        /// The size the monitor verified.
        our_size: u64,
        /// Why.
        reason: String,
    },
    /// The log has answered nothing usable since `since_ms`.
    Unavailable {
        /// When the first failed poll of this outage happened (the caller's clock, Unix ms).
        since_ms: i64,
        /// For how long, ms.
        for_ms: i64,
        /// The last failure.
        error: SourceError,
    },
}

impl Alert {
    /// A short kind name: `rule:<id>`, `gap`, …, `split_view`, `rewritten_history`,
    /// `rollback`, `inconsistent_peer_checkpoint`, `unavailable`.
    pub fn name(&self) -> String {
        match self {
            Alert::Finding(ev) => ev.finding.kind.name(),
            Alert::Log(ev) => match ev.kind {
                Misbehaviour::SplitView => "split_view".into(),
                Misbehaviour::RewrittenHistory => "rewritten_history".into(),
                Misbehaviour::Rollback => "rollback".into(),
            },
            Alert::PeerInconsistent { .. } => "inconsistent_peer_checkpoint".into(),
            Alert::Unavailable { .. } => "unavailable".into(),
        }
    }
}

/// What one poll saw.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Polled {
    /// Alerts raised.
    pub alerts: Vec<Alert>,
    /// Whether the log answered with a usable checkpoint (otherwise the caller backs off).
    pub available: bool,
    /// Why not, when it did not.
    pub error: Option<SourceError>,
}

/// Delays between polls while a log is unavailable: doubling from `base_ms` up to `max_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    base_ms: u64,
    max_ms: u64,
    next_ms: u64,
}

impl Backoff {
    /// Delays from `base_ms` (at least 1) doubling up to `max_ms` (at least `base_ms`).
    pub fn new(base_ms: u64, max_ms: u64) -> Self {
        let base_ms = base_ms.max(1);
        Self {
            base_ms,
            max_ms: max_ms.max(base_ms),
            next_ms: base_ms,
        }
    }

    /// The next delay (ms); the one after is twice as long, up to the maximum.
    pub fn next_delay_ms(&mut self) -> u64 {
        let d = self.next_ms;
        self.next_ms = self.next_ms.saturating_mul(2).min(self.max_ms);
        d
    }

    /// Back to the first delay (the log answered).
    pub fn reset(&mut self) {
        self.next_ms = self.base_ms;
    }
}

/// The monitor's state: the checkpoint verified last, the replica and the engine.
#[derive(Debug)]
pub struct Monitor {
    trust: Trust,
    config: MonitorConfig,
    engine: Engine,
    replica: MemoryTree,
    /// The log's entries verified so far, in order: slices of the entry bundles they were
    /// fetched in (one allocation per bundle, not per entry).
    entries: Vec<Bytes>,
    latest: Option<Seen>,
    judged_before: Option<Seen>,
    down_since_ms: Option<i64>,
    down_alerted: bool,
    reported: BTreeSet<(u64, [u8; 32])>,
}

impl Monitor {
    /// A monitor trusting `trust`.
    ///
    /// # Errors
    ///
    /// [`Error::Roster`] if the trust anchors are unusable.
    pub fn new(trust: Trust, config: MonitorConfig) -> Result<Self> {
        let engine = Engine::new(Registry::new(trust.anchors.clone())?, Arc::clone(&trust.rules));
        Ok(Self {
            trust,
            config,
            engine,
            replica: MemoryTree::new(),
            entries: Vec::new(),
            latest: None,
            judged_before: None,
            down_since_ms: None,
            down_alerted: false,
            reported: BTreeSet::new(),
        })
    }

    /// The checkpoint verified last.
    pub fn latest(&self) -> Option<&Seen> {
        self.latest.as_ref()
    }

    /// Entries checked so far.
    pub fn entries_checked(&self) -> u64 {
        self.entries.len() as u64
    }

    /// One poll of `src` at `now_ms` (the caller's clock, Unix ms; used only to time outages).
    ///
    /// # Errors
    ///
    /// Only for the monitor's own failures (a replica that cannot be hashed, evidence that cannot
    /// be built from its own entries); what the log does is reported as alerts.
    pub fn poll(&mut self, src: &mut dyn LogSource, now_ms: i64) -> Result<Polled> {
        let mut alerts = Vec::new();
        match self.poll_inner(src, &mut alerts) {
            Ok(()) => {
                self.down_since_ms = None;
                self.down_alerted = false;
                Ok(Polled {
                    alerts,
                    available: true,
                    error: None,
                })
            }
            Err(PollError::Down(e)) => {
                let since = *self.down_since_ms.get_or_insert(now_ms);
                if !self.down_alerted && now_ms - since >= self.config.unavailable_after_ms {
                    self.down_alerted = true;
                    alerts.push(Alert::Unavailable {
                        since_ms: since,
                        for_ms: now_ms - since,
                        error: e.clone(),
                    });
                }
                Ok(Polled {
                    alerts,
                    available: false,
                    error: Some(e),
                })
            }
            Err(PollError::Own(e)) => Err(e),
        }
    }

    fn poll_inner(
        &mut self,
        src: &mut dyn LogSource,
        alerts: &mut Vec<Alert>,
    ) -> std::result::Result<(), PollError> {
        let note = src.checkpoint()?;
        let cp = tlog::verify_checkpoint(&note, &self.trust.log_key).map_err(|e| {
            SourceError::new(
                SourceErrorKind::Malformed,
                format!("the checkpoint served does not verify under the log key: {e}"),
            )
        })?;
        let seen = Seen {
            size: cp.size,
            root: cp.root,
            note: note.clone(),
            cosigned_s: 0,
            judged: evidence::Judged::default(),
        };
        if let Some(latest) = self.latest.clone() {
            if seen.size == latest.size {
                if seen.root != latest.root && self.first_report(&seen) {
                    alerts.push(Alert::Log(Box::new(LogWatch::split_view(&latest, &seen))));
                    self.mark_reported(&seen);
                }
                return Ok(());
            }
            if seen.size < latest.size {
                // A smaller tree after a larger one was verified: a prefix of ours is a rollback,
                // anything else a fork.
                if self.first_report(&seen) {
                    let prefix = self.replica.root(seen.size).map_err(own)? == seen.root;
                    let ev = if prefix {
                        LogWatch::rollback(&latest, &seen)
                    } else {
                        self.equivocation(src, &latest, &seen)?
                    };
                    alerts.push(Alert::Log(Box::new(ev)));
                    self.mark_reported(&seen);
                }
                return Ok(());
            }
            let proof = src.consistency(latest.size, seen.size)?;
            if tlog::merkle::verify_consistency(&proof, latest.size, latest.root, seen.size, seen.root)
                .is_err()
            {
                if self.first_report(&seen) {
                    let ev = self.equivocation(src, &latest, &seen)?;
                    alerts.push(Alert::Log(Box::new(ev)));
                    self.mark_reported(&seen);
                }
                return Ok(());
            }
        }
        // Consistent and newer (or the first): follow it once the witnesses have cosigned it.
        let cosigned = evidence::verify_cosigned(
            &note,
            &self.trust.log_key,
            &self.trust.witness_keys,
            self.trust.min_cosignatures,
        )
        .map_err(|e| {
            SourceError::new(
                SourceErrorKind::Malformed,
                format!("the checkpoint of size {} is not cosigned: {e}", cp.size),
            )
        })?;
        let seen = Seen {
            cosigned_s: cosigned.cosigned_s,
            judged: cosigned.judged,
            ..seen
        };
        self.catch_up(src, &seen, alerts)?;
        Ok(())
    }

    /// Whether a misbehaving checkpoint is not reported yet (each is reported once).
    fn first_report(&self, seen: &Seen) -> bool {
        !self.reported.contains(&(seen.size, seen.root.0))
    }

    fn mark_reported(&mut self, seen: &Seen) {
        self.reported.insert((seen.size, seen.root.0));
    }

    /// Fetches the entries of `seen` beyond the replica, checks them against its root, runs the
    /// engine and judges the checkpoint.
    fn catch_up(
        &mut self,
        src: &mut dyn LogSource,
        seen: &Seen,
        alerts: &mut Vec<Alert>,
    ) -> std::result::Result<(), PollError> {
        if self.entries.is_empty() && self.engine.next_index() == 0 && self.judged_before.is_none() {
            return self.catch_up_pipelined(src, seen, alerts);
        }
        let start = self.entries.len() as u64;
        let fresh = fetch_entries(src, start, seen.size)?;
        // Leaf hashes across cores, then the tree in order.
        let leaves: Vec<tlog::Hash> = fresh.par_iter().map(|e| tlog::merkle::record_hash(e)).collect();
        let mut tree = self.replica.clone();
        for leaf in leaves {
            tree.push_record_hash(leaf).map_err(own)?;
        }
        check_root(&tree, seen)?;
        self.replica = tree;
        let findings = replay(&mut self.engine, start, &fresh);
        self.entries.extend(fresh);
        self.judge(seen, findings, alerts)
    }

    /// The first catch-up, of a monitor whose engine has seen nothing: fetching, leaf hashing
    /// and signature checks (this thread and `rayon`'s) run ahead of the engine (its own
    /// thread), [`PIPELINE_DEPTH`] chunks of [`REPLAY_CHUNK`] entries ahead at most, instead of
    /// one after the other. The engine thus sees the entries before the root is checked; if the
    /// root does not match (or a fetch fails), its findings are dropped and it is replaced by a
    /// fresh one, so what is reported is what [`Monitor::catch_up`]'s other path reports.
    fn catch_up_pipelined(
        &mut self,
        src: &mut dyn LogSource,
        seen: &Seen,
        alerts: &mut Vec<Alert>,
    ) -> std::result::Result<(), PollError> {
        let mut tree = self.replica.clone();
        let mut keys = keys_of(&self.engine);
        let engine = &mut self.engine;
        let (fetched, replayed) = std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(PIPELINE_DEPTH);
            let (keys_tx, keys_rx) = std::sync::mpsc::channel::<Option<RosterKeys>>();
            let replaying = std::thread::Builder::new()
                .name("monitor-engine".into())
                .spawn_scoped(scope, move || replay_from(engine, &rx, keys_tx))
                .map_err(|e| PollError::Own(Error::Log(format!("starting the engine's thread: {e}"))));
            let replaying = match replaying {
                Ok(h) => h,
                Err(e) => return (Err(e), None),
            };
            let fetched = produce(src, seen.size, &mut tree, &mut keys, &tx, &keys_rx);
            // The engine stops when the channel closes.
            drop(tx);
            let replayed = match replaying.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            (fetched, Some(replayed))
        });
        let outcome = fetched.and_then(|()| check_root(&tree, seen));
        let Some((findings, entries)) = replayed.filter(|_| outcome.is_ok()) else {
            // The engine saw entries that are not the log's (or not all of them): start again
            // from nothing at the next poll.
            self.engine = Engine::new(
                Registry::new(self.trust.anchors.clone()).map_err(PollError::Own)?,
                Arc::clone(&self.trust.rules),
            );
            return outcome;
        };
        self.replica = tree;
        self.entries = entries;
        self.judge(seen, findings, alerts)
    }

    /// Judges the checkpoint `seen`, whose entries the engine has seen and found `findings`
    /// in: the checkpoint rules, then an alert with evidence for every finding.
    fn judge(
        &mut self,
        seen: &Seen,
        mut findings: Vec<Finding>,
        alerts: &mut Vec<Alert>,
    ) -> std::result::Result<(), PollError> {
        let (early_ms, late_ms) = evidence::judging_times_ms(self.config.clock, seen.judged, &self.engine);
        findings.extend(self.engine.checkpoint_between(seen.size, early_ms, late_ms));
        let previous = self.judged_before.clone();
        for f in findings {
            let at = Judgement {
                note: &seen.note,
                size: seen.size,
                previous: previous.as_ref().map(|p| p.note.as_slice()),
                clock: self.config.clock,
            };
            let ev = evidence::build(
                &f,
                &self.trust.rules,
                &at,
                |i| {
                    self.entries
                        .get(usize::try_from(i).unwrap_or(usize::MAX))
                        .map(|e| e.to_vec())
                        .ok_or_else(|| Error::Log(format!("the replica has no entry {i}")))
                },
                |i| {
                    tlog::merkle::prove_inclusion(seen.size, i, &self.replica)
                        .map_err(|e| Error::Log(format!("inclusion proof of entry {i}: {e}")))
                },
            )
            .map_err(PollError::Own)?;
            alerts.push(Alert::Finding(Box::new(ev)));
        }
        self.judged_before = Some(seen.clone());
        self.latest = Some(seen.clone());
        Ok(())
    }

    /// Evidence that the log signed `other`, incompatible with `ours` (verified earlier): the
    /// first index below both sizes whose entry differs, proven in each tree.
    fn equivocation(
        &mut self,
        src: &mut dyn LogSource,
        ours: &Seen,
        other: &Seen,
    ) -> std::result::Result<LogEvidence, PollError> {
        let n = ours.size.min(other.size);
        let theirs = fetch_entries(src, 0, n).map_err(|e| match e {
            PollError::Down(s) => PollError::Down(SourceError::new(
                s.kind,
                format!(
                    "the log signed a tree of size {} incompatible with the verified one of size {}, \
                     and its entries cannot be fetched: {s}",
                    other.size, ours.size
                ),
            )),
            own => own,
        })?;
        let Some(i) = (0u64..)
            .zip(theirs.iter().zip(&self.entries))
            .find(|(_, (t, m))| t != m)
            .map(|(i, _)| i)
        else {
            return Err(PollError::Down(SourceError::new(
                SourceErrorKind::Malformed,
                format!(
                    "the log signed a tree of size {} incompatible with the verified one of size {}, \
                     but serves the same first {n} entries",
                    other.size, ours.size
                ),
            )));
        };
        let idx = usize::try_from(i).unwrap_or(usize::MAX);
        let their_proof = src.inclusion(i, other.size)?;
        let my_proof = tlog::merkle::prove_inclusion(ours.size, i, &self.replica).map_err(own)?;
        let (Some(mine), Some(their)) = (self.entries.get(idx), theirs.get(idx)) else {
            return Err(PollError::Own(Error::Log(format!("entry {i} vanished"))));
        };
        let ev = LogWatch::equivocation(ours, other, i, (mine, &my_proof), (their, &their_proof));
        // Only evidence that verifies is reported; a source that gives a bad proof is not
        // answering usably.
        crate::logwatch::verify_log_evidence(&ev, &self.trust.log_key).map_err(|e| {
            PollError::Down(SourceError::new(
                SourceErrorKind::Malformed,
                format!("the log's proof of its entry {i} does not verify: {e}"),
            ))
        })?;
        Ok(ev)
    }

    /// Compares a checkpoint obtained elsewhere (a witness, a mirror, another monitor) with the
    /// one verified last: the same size with another root is a split view; another size must be
    /// consistent with it by the log's own proof.
    ///
    /// # Errors
    ///
    /// [`Error::Log`] if `note` is not signed by the log.
    pub fn compare_peer(&mut self, src: &mut dyn LogSource, note: &[u8]) -> Result<Vec<Alert>> {
        let Some(latest) = self.latest.clone() else {
            return Ok(Vec::new());
        };
        let cp = evidence::verify_cosigned(note, &self.trust.log_key, &[], 0)?;
        let other = Seen {
            size: cp.size,
            root: cp.root,
            note: note.to_vec(),
            cosigned_s: 0,
            judged: evidence::Judged::default(),
        };
        if cp.size == latest.size {
            if cp.root != latest.root && self.first_report(&other) {
                self.mark_reported(&other);
                return Ok(vec![Alert::Log(Box::new(LogWatch::split_view(&latest, &other)))]);
            }
            return Ok(Vec::new());
        }
        if cp.size == 0 || latest.size == 0 {
            return Ok(Vec::new());
        }
        if cp.size < latest.size {
            if self
                .replica
                .root(cp.size)
                .map_err(|e| Error::Log(e.to_string()))?
                == cp.root
            {
                return Ok(Vec::new());
            }
            if !self.first_report(&other) {
                return Ok(Vec::new());
            }
            self.mark_reported(&other);
            return Ok(vec![Alert::PeerInconsistent {
                peer_size: cp.size,
                our_size: latest.size,
                reason: "the peer's tree is not a prefix of the verified one".into(),
            }]);
        }
        let reason = match src.consistency(latest.size, cp.size) {
            Ok(p) => tlog::merkle::verify_consistency(&p, latest.size, latest.root, cp.size, cp.root)
                .err()
                .map(|e| format!("the log's consistency proof fails: {e}")),
            Err(e) => Some(format!("the log gives no consistency proof: {e}")),
        };
        match reason {
            Some(reason) if self.first_report(&other) => {
                self.mark_reported(&other);
                Ok(vec![Alert::PeerInconsistent {
                    peer_size: cp.size,
                    our_size: latest.size,
                    reason,
                }])
            }
            _ => Ok(Vec::new()),
        }
    }
}

/// Why a poll did not follow the log: the log gave nothing usable, or the monitor itself failed.
enum PollError {
    Down(SourceError),
    Own(Error),
}

impl From<SourceError> for PollError {
    fn from(e: SourceError) -> Self {
        PollError::Down(e)
    }
}

fn own(e: tlog::Error) -> PollError {
    PollError::Own(Error::Log(e.to_string()))
}

/// Entries replayed through the engine per step of [`replay`].
const REPLAY_CHUNK: usize = 1024;

/// Replays `entries` (the first at index `start`) through `engine`, in order; the statements'
/// signatures are checked ahead in parallel batches ([`sigcheck`]), one chunk ahead of the
/// engine, so that checking the next chunk overlaps the rules of this one. The findings are
/// those of [`Engine::entry`] one entry at a time.
fn replay(engine: &mut Engine, start: u64, entries: &[Bytes]) -> Vec<Finding> {
    let chunks: Vec<&[Bytes]> = entries.chunks(REPLAY_CHUNK).collect();
    let mut keys = keys_of(engine);
    let mut ahead = check(keys.as_ref(), chunks.first().copied());
    let mut findings = Vec::new();
    let mut index = start;
    for (k, chunk) in chunks.iter().enumerate() {
        let signed = ahead.take();
        let (next, replayed) = rayon::join(
            || check(keys.as_ref(), chunks.get(k + 1).copied()),
            || replay_chunk(engine, index, chunk, signed),
        );
        let Replayed {
            findings: found,
            changed,
            used,
        } = replayed;
        drop_elsewhere(used);
        findings.extend(found);
        index += chunk.len() as u64;
        ahead = next;
        if let Some(new_keys) = changed {
            // The roster changed in this chunk: the next chunk was checked against the
            // previous one (the registry would ignore those results); check it again.
            keys = new_keys;
            ahead = check(keys.as_ref(), chunks.get(k + 1).copied());
        }
    }
    findings
}

/// The keys of the roster `engine` has in force, with what each statement alone decides of its
/// statement rules to work out with the signatures.
fn keys_of(engine: &Engine) -> Option<RosterKeys> {
    RosterKeys::of(engine.registry()).map(|k| k.with_rules(engine.rules()))
}

/// The signatures of `chunk` checked against `keys` (`None` without either).
fn check(keys: Option<&RosterKeys>, chunk: Option<&[Bytes]>) -> Option<Vec<Option<Signed>>> {
    Some(sigcheck::check_signatures(keys?, chunk?))
}

/// One chunk through the engine; when an entry changes the roster, the rest of the chunk is
/// checked again against the new one, whose keys are returned. Also returns the signature
/// results used, for the caller to drop off the engine's thread.
fn replay_chunk(
    engine: &mut Engine,
    start: u64,
    chunk: &[Bytes],
    mut signed: Option<Vec<Option<Signed>>>,
) -> Replayed {
    let mut found = Vec::new();
    let mut changed = None;
    let mut offset = 0;
    let mut used = Vec::new();
    let mut roster = engine.registry().roster_with_hash().map(|(_, h)| h.to_owned());
    for (i, e) in chunk.iter().enumerate() {
        let pre = signed
            .as_ref()
            .and_then(|s| s.get(i - offset))
            .and_then(Option::as_ref);
        found.extend(engine.entry_signed(start + i as u64, e, pre));
        let now = engine.registry().roster_with_hash().map(|(_, h)| h);
        if now != roster.as_deref() {
            roster = now.map(str::to_owned);
            let keys = keys_of(engine);
            offset = i + 1;
            used.extend(signed.take());
            signed = check_across_cores(keys.as_ref(), chunk.get(offset..));
            changed = Some(keys);
        }
    }
    used.extend(signed);
    Replayed {
        findings: found,
        changed,
        used,
    }
}

/// What [`replay_chunk`] gives back.
struct Replayed {
    findings: Vec<Finding>,
    /// The keys of the roster in force after the chunk, if an entry of it changed the roster.
    changed: Option<Option<RosterKeys>>,
    /// The signature results the engine used (statements and their values), to drop elsewhere.
    used: Vec<Vec<Option<Signed>>>,
}

/// [`check`] from a thread outside `rayon`'s pool (the engine's): a slice of one batch or less
/// would run on the calling thread alone, so it is halved and the halves checked by the pool
/// at once.
fn check_across_cores(keys: Option<&RosterKeys>, chunk: Option<&[Bytes]>) -> Option<Vec<Option<Signed>>> {
    let (keys, chunk) = (keys?, chunk?);
    if chunk.len() < 64 {
        return Some(sigcheck::check_signatures(keys, chunk));
    }
    let (a, b) = chunk.split_at(chunk.len() / 2);
    let (mut a, b) = rayon::join(
        || sigcheck::check_signatures(keys, a),
        || sigcheck::check_signatures(keys, b),
    );
    a.extend(b);
    Some(a)
}

/// Drops `used` on `rayon`'s pool rather than on the calling (engine's) thread: statements
/// and their values were allocated by the pool's threads, and freeing them is not the
/// engine's sequential work.
fn drop_elsewhere(used: Vec<Vec<Option<Signed>>>) {
    if !used.is_empty() {
        rayon::spawn(move || drop(used));
    }
}

/// Chunks of [`REPLAY_CHUNK`] entries fetched, hashed and checked ahead of the engine in the
/// first catch-up ([`Monitor::catch_up_pipelined`]): the depth of the channel between them.
pub const PIPELINE_DEPTH: usize = 16;

/// Entries on their way to the engine, with their signatures checked for a roster (or not).
struct Chunk {
    start: u64,
    entries: Vec<Bytes>,
    signed: Option<Vec<Option<Signed>>>,
    /// The roster (log-entry hash) `signed` was computed for.
    roster: Option<String>,
    /// Whether the producer waits for the engine's roster keys after this chunk (it knows no
    /// roster yet): the engine answers on its keys channel after replaying it, changed or not.
    reply: bool,
}

/// An error unless the tree's root of `seen.size` entries is the signed one.
fn check_root(tree: &MemoryTree, seen: &Seen) -> std::result::Result<(), PollError> {
    if tree.root(seen.size).map_err(own)? != seen.root {
        return Err(PollError::Down(SourceError::new(
            SourceErrorKind::Malformed,
            format!(
                "the entries served do not hash to the signed root of size {}",
                seen.size
            ),
        )));
    }
    Ok(())
}

/// The engine's side of the pipeline: every chunk from `rx` through `engine`, in order (a chunk
/// checked for another roster than the one in force is checked again); each roster change is
/// sent back on `keys_tx` so that the next chunks are checked for it, and so are the keys after
/// a chunk that asks for them ([`Chunk::reply`]). Returns the findings and the entries.
fn replay_from(
    engine: &mut Engine,
    rx: &std::sync::mpsc::Receiver<Chunk>,
    keys_tx: std::sync::mpsc::Sender<Option<RosterKeys>>,
) -> (Vec<Finding>, Vec<Bytes>) {
    let mut keys_tx = Some(keys_tx);
    let mut keys = keys_of(engine);
    let mut findings = Vec::new();
    let mut entries = Vec::new();
    for chunk in rx {
        let roster = engine.registry().roster_with_hash().map(|(_, h)| h);
        let signed = if chunk.roster.as_deref() == roster {
            chunk.signed
        } else {
            check_across_cores(keys.as_ref(), Some(chunk.entries.as_slice()))
        };
        let replayed = replay_chunk(engine, chunk.start, &chunk.entries, signed);
        drop_elsewhere(replayed.used);
        findings.extend(replayed.findings);
        entries.extend(chunk.entries);
        let changed = replayed.changed.is_some();
        if let Some(new_keys) = replayed.changed {
            keys = new_keys;
        }
        if changed || chunk.reply {
            // A send fails once the producer has stopped (its last chunk sent, or a fetch
            // failed): no chunk needs the keys then.
            if let Some(tx) = &keys_tx
                && tx.send(keys.clone()).is_err()
            {
                keys_tx = None;
            }
        }
    }
    (findings, entries)
}

/// The producer's side of the pipeline: entries `0..to` fetched [`FETCH_AHEAD`] bundles at a
/// time, their leaf hashes pushed onto `tree`, their signatures checked for the latest roster
/// the engine sent on `keys_rx`, and sent to the engine on `tx` in chunks of [`REPLAY_CHUNK`].
///
/// Each group of bundles is hashed and checked by `rayon`'s threads as a task of its own
/// ([`Checking`]), up to [`GROUPS_IN_FLIGHT`] groups at once, while this thread fetches the next
/// group and hands the oldest finished one on, in order. So a pool thread that finishes its part
/// of one group starts on the next group at once instead of waiting for the other threads'
/// parts (with the engine's thread on the same cores, they seldom finish together).
fn produce(
    src: &mut dyn LogSource,
    to: u64,
    tree: &mut MemoryTree,
    keys: &mut Option<RosterKeys>,
    tx: &std::sync::mpsc::SyncSender<Chunk>,
    keys_rx: &std::sync::mpsc::Receiver<Option<RosterKeys>>,
) -> std::result::Result<(), PollError> {
    let w = u64::from(TILE_WIDTH);
    let end = to.div_ceil(w);
    let groups: Vec<std::ops::Range<u64>> = (0..end)
        .step_by(usize::try_from(FETCH_AHEAD).unwrap_or(usize::MAX))
        .map(|n| n..(n + FETCH_AHEAD).min(end))
        .collect();
    let mut next = match groups.first() {
        Some(g) => Some(fetch_group(src, g.clone(), 0, to)?),
        None => None,
    };
    let mut index = 0u64;
    let mut in_flight: std::collections::VecDeque<Checking> = std::collections::VecDeque::new();
    for k in 0..groups.len() {
        let Some(mut entries) = next.take() else { break };
        while let Ok(new_keys) = keys_rx.try_recv() {
            *keys = new_keys;
        }
        if keys.is_none() {
            // No roster yet (a fresh monitor): signatures cannot be checked here. The groups
            // being checked go first (in order), then these entries are handed over a few at a
            // time, unchecked, with a wait after each handful for the roster the engine finds
            // (normally the log's first entry), so that the rest are checked for it here,
            // across cores, not again on the engine's thread. The handfuls double up to a
            // chunk, so a long roster-less prefix costs few waits.
            while let Some(c) = in_flight.pop_front() {
                if !hand_on(c, tree, &mut index, tx)? {
                    return Ok(());
                }
            }
            let mut rest = entries.into_iter();
            let mut take = 1;
            while keys.is_none() {
                let chunk: Vec<Bytes> = rest.by_ref().take(take).collect();
                if chunk.is_empty() {
                    break;
                }
                take = (take * 2).min(REPLAY_CHUNK);
                for e in &chunk {
                    tree.push_record_hash(tlog::merkle::record_hash(e)).map_err(own)?;
                }
                let len = chunk.len() as u64;
                let chunk = Chunk {
                    start: index,
                    entries: chunk,
                    signed: None,
                    roster: None,
                    reply: true,
                };
                index += len;
                // Either fails only if the engine's thread ended early: it panicked, which
                // joining it reports.
                if tx.send(chunk).is_err() {
                    return Ok(());
                }
                match keys_rx.recv() {
                    Ok(new_keys) => *keys = new_keys,
                    Err(_) => return Ok(()),
                }
            }
            entries = rest.collect();
        }
        in_flight.push_back(Checking::start(entries, keys.clone()));
        while in_flight.len() >= GROUPS_IN_FLIGHT {
            let Some(c) = in_flight.pop_front() else { break };
            if !hand_on(c, tree, &mut index, tx)? {
                return Ok(());
            }
        }
        next = groups
            .get(k + 1)
            .map(|g| fetch_group(src, g.clone(), 0, to))
            .transpose()?;
    }
    while let Some(c) = in_flight.pop_front() {
        if !hand_on(c, tree, &mut index, tx)? {
            return Ok(());
        }
    }
    Ok(())
}

/// Groups of entries being hashed and checked on `rayon`'s threads at once in [`produce`]: the
/// oldest is handed on when this many are in flight (the newest was just started).
const GROUPS_IN_FLIGHT: usize = 3;

/// A group of entries being hashed and checked on `rayon`'s threads (a task of its own).
struct Checking {
    /// The group's leaf hashes, its entries, their signature results, and the roster those
    /// were computed for; `Err` if the task ended without an answer (it panicked).
    done: std::sync::mpsc::Receiver<Checked>,
}

/// What a [`Checking`] task gives back.
struct Checked {
    leaves: Vec<tlog::Hash>,
    entries: Vec<Bytes>,
    signed: Option<Vec<Option<Signed>>>,
    roster: Option<String>,
}

impl Checking {
    /// Starts hashing and checking `entries` against `keys` on `rayon`'s threads.
    fn start(entries: Vec<Bytes>, keys: Option<RosterKeys>) -> Self {
        let (done_tx, done) = std::sync::mpsc::sync_channel(1);
        rayon::spawn(move || {
            let (leaves, signed) = rayon::join(
                || entries.par_iter().map(|e| tlog::merkle::record_hash(e)).collect(),
                || check(keys.as_ref(), Some(entries.as_slice())),
            );
            let roster = keys.as_ref().map(|k| k.roster().to_owned());
            // Fails only if the producer has stopped waiting (its engine thread ended early).
            if done_tx
                .send(Checked {
                    leaves,
                    entries,
                    signed,
                    roster,
                })
                .is_err()
            {
                // Nothing to tell: the producer reports the engine's end.
            }
        });
        Self { done }
    }
}

/// Waits for the group `c`, pushes its leaf hashes onto `tree` and sends its entries to the
/// engine in chunks of [`REPLAY_CHUNK`] from `*index`; `false` if the engine's thread has ended
/// early (it panicked, which joining it reports).
fn hand_on(
    c: Checking,
    tree: &mut MemoryTree,
    index: &mut u64,
    tx: &std::sync::mpsc::SyncSender<Chunk>,
) -> std::result::Result<bool, PollError> {
    let Ok(Checked {
        leaves,
        entries,
        signed,
        roster,
    }) = c.done.recv()
    else {
        return Err(PollError::Own(Error::Log(
            "a group of entries was not checked".into(),
        )));
    };
    for leaf in leaves {
        tree.push_record_hash(leaf).map_err(own)?;
    }
    let mut signed = signed.map(Vec::into_iter);
    let mut entries = entries.into_iter();
    loop {
        let chunk: Vec<Bytes> = entries.by_ref().take(REPLAY_CHUNK).collect();
        if chunk.is_empty() {
            return Ok(true);
        }
        let len = chunk.len();
        let chunk = Chunk {
            start: *index,
            signed: signed.as_mut().map(|s| s.by_ref().take(len).collect()),
            entries: chunk,
            roster: roster.clone(),
            reply: false,
        };
        *index += len as u64;
        if tx.send(chunk).is_err() {
            return Ok(false);
        }
    }
}

/// Entry bundles requested from a source at once (concurrently, where it can).
pub const FETCH_AHEAD: u64 = 32;

/// Entries `from..to` of the tree of `to` entries, read from its entry bundles
/// ([`FETCH_AHEAD`] at a time).
fn fetch_entries(src: &mut dyn LogSource, from: u64, to: u64) -> std::result::Result<Vec<Bytes>, PollError> {
    let w = u64::from(TILE_WIDTH);
    let mut out = Vec::new();
    if from >= to {
        return Ok(out);
    }
    let first = from / w;
    let end = to.div_ceil(w);
    let mut n = first;
    while n < end {
        let group = n..(n + FETCH_AHEAD).min(end);
        out.extend(fetch_group(src, group.clone(), from, to)?);
        n = group.end;
    }
    Ok(out)
}

/// The entries of bundles `group` of the tree of `to` entries that are at `from` or beyond.
fn fetch_group(
    src: &mut dyn LogSource,
    group: std::ops::Range<u64>,
    from: u64,
    to: u64,
) -> std::result::Result<Vec<Bytes>, PollError> {
    let w = u64::from(TILE_WIDTH);
    let mut out = Vec::new();
    let bundles = src.entry_bundles(group.clone(), to)?;
    if bundles.len() as u64 != group.end - group.start {
        return Err(PollError::Down(SourceError::new(
            SourceErrorKind::Malformed,
            format!(
                "asked for entry bundles {}..{}, got {}",
                group.start,
                group.end,
                bundles.len()
            ),
        )));
    }
    // Decoded on this thread: finding the entries' ranges is cheap, and the pool may be busy
    // checking earlier groups (waiting for it would hold up this fetch and so the next check).
    let decoded: Vec<std::result::Result<Vec<Bytes>, SourceError>> = group
        .clone()
        .zip(bundles)
        .map(|(n, bundle)| {
            let ranges = tlog::tiles::bundle_ranges(&bundle).map_err(|e| {
                SourceError::new(SourceErrorKind::Malformed, format!("entry bundle {n}: {e}"))
            })?;
            let want = (to - n * w).min(w);
            if ranges.len() as u64 != want {
                return Err(SourceError::new(
                    SourceErrorKind::Malformed,
                    format!(
                        "entry bundle {n} of the tree of size {to} has {} entries, not {want}",
                        ranges.len()
                    ),
                ));
            }
            // The bundle's bytes are kept once; each entry is a slice of them.
            let bundle = Bytes::from(bundle);
            Ok(ranges.into_iter().map(|r| bundle.slice(r)).collect())
        })
        .collect();
    for (n, entries) in group.zip(decoded) {
        let start = n * w;
        for (k, e) in (start..).zip(entries?) {
            if k >= from && k < to {
                out.push(e);
            }
        }
    }
    Ok(out)
}
