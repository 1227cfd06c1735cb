//! Evidence bundles: what an alert carries so that anyone can check it offline.
//!
//! A bundle holds the finding, the agreed rule it invokes (if any), a log checkpoint with
//! witness cosignatures, and **every log entry of the range it proves complete** — from the
//! log's first entry through the accused entry (through the checkpoint's last entry for findings
//! judged at a checkpoint) — each with its RFC 6962 inclusion proof against that checkpoint.
//!
//! [`verify`] trusts only what the verifier supplies in [`Trust`] (the log's key, the witnesses'
//! keys and quorum, the roster trust anchors, the agreed rules) and:
//! 1. checks the log's signature and at least `min_cosignatures` witness cosignatures on the
//!    checkpoint (taking the times it is judged at from the valid ones: [`Judged`]), and the same for the
//!    previous checkpoint the finding was judged after, if the bundle names one;
//! 2. checks every entry's inclusion proof against the checkpoint's root, and that the entries
//!    are exactly the indexes of the bundle's `complete` range: since every index of the range is
//!    proven, no entry of it (a notice, a roster version, a sensor's earlier reading) can have
//!    been left out, so a finding that rests on absence is proven too;
//! 3. checks that the bundle's rule text is exactly the agreed rule of that id (and that a
//!    finding that is not a rule carries no rule text);
//! 4. replays the entries, in index order, through a fresh [`Engine`] with the agreed rules and
//!    the bundle's clock, and requires the bundle's finding — kind, index, summary, sensor and
//!    context, every field — to be exactly one the engine gives.
//!
//! A bundle that fails any step is rejected: a monitor cannot make a false accusation stick, and
//! a verified bundle says nothing the recomputation does not.
//!
//! One absence is not in the log and stays unproven: for the `witness-cosign` rule, that no
//! witness cosigned a checkpoint between the two the monitor saw ([`Verified::unproven`]).

use std::sync::Arc;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde::{Deserialize, Serialize};

use crate::engine::{Engine, Finding, FindingKind};
use crate::error::{Error, Result};
use crate::roster::Registry;
use crate::rules::{On, RuleSet, RuleText};

/// Schema identifier of an evidence bundle.
pub const EVIDENCE_SCHEMA: &str = "shieldwatch/evidence/v1";

/// A log entry with its inclusion proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvenEntry {
    /// Index in the log.
    pub index: u64,
    /// The entry bytes, base64.
    pub entry: String,
    /// The inclusion proof (RFC 6962 audit path), base64 hashes, leaf to root.
    pub proof: Vec<String>,
}

/// An alert's evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Always [`EVIDENCE_SCHEMA`].
    pub schema: String,
    /// The finding.
    pub finding: Finding,
    /// The rule text, for rule findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleText>,
    /// The checkpoint (signed note with witness cosignatures), as text.
    pub checkpoint: String,
    /// For findings judged at a checkpoint: the cosigned checkpoint the monitor judged before
    /// this one (rules compare the two cosignature times), as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_checkpoint: Option<String>,
    /// For findings judged at a checkpoint: which clock time rules were judged by (absent for
    /// the witness's).
    #[serde(default, skip_serializing_if = "Clock::is_witness")]
    pub clock: Clock,
    /// The index range whose every entry the bundle holds (proven complete).
    pub complete: Range,
    /// Entries with inclusion proofs, ascending index: exactly the indexes of `complete`.
    pub entries: Vec<ProvenEntry>,
}

/// A half-open range of log indexes, `from..to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// First index.
    pub from: u64,
    /// One past the last index.
    pub to: u64,
}

/// The clock checkpoint rules are judged by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// The witnesses' cosignature times on the checkpoint, as [`Judged`] takes them (real
    /// deployments).
    #[default]
    Witness,
    /// The newest statement time in the log up to the checkpoint (replays and compressed
    /// simulations; readings dated ahead of their cosignature cannot be seen with it).
    Log,
}

impl Clock {
    fn is_witness(&self) -> bool {
        *self == Clock::Witness
    }
}

/// What the verifier trusts, supplied out of band.
#[derive(Debug)]
pub struct Trust {
    /// The log's verifier key.
    pub log_key: String,
    /// Witness verifier keys (cosignature/v1).
    pub witness_keys: Vec<String>,
    /// How many distinct witnesses must have cosigned.
    pub min_cosignatures: usize,
    /// Roster trust anchors (verifier keys that sign roster version 1).
    pub anchors: Vec<String>,
    /// The agreed rules.
    pub rules: Arc<RuleSet>,
}

/// The result of a successful check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The confirmed finding.
    pub finding: Finding,
    /// Tree size of the checkpoint.
    pub size: u64,
    /// Newest witness cosignature time, Unix seconds.
    pub cosigned_s: u64,
    /// The index range proven complete (every entry of it is in the bundle).
    pub complete: Range,
    /// What the finding claims that the log cannot prove, if anything (for `witness-cosign`:
    /// that no witness cosigned a checkpoint between the two in the bundle).
    pub unproven: Option<String>,
}

/// The verified signature data of a cosigned checkpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosignedCheckpoint {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: tlog::Hash,
    /// Newest valid witness cosignature, Unix seconds.
    pub cosigned_s: u64,
    /// The times the checkpoint is judged at, robust to fewer than a quorum of lying witnesses.
    pub judged: Judged,
}

/// When a cosigned checkpoint is judged: two times (Unix seconds) taken from the times its valid
/// cosignatures by distinct trusted witnesses state, with `k` the quorum the verifier requires.
///
/// A witness's cosignature time is its word alone. Taking the newest one would let a single
/// witness that dates its cosignature ahead make every sensor look silent and every notice late;
/// taking the oldest would let one that dates it back make every reading look ahead of it. With
/// these two times, a judgement against a party stands unless `k` of the witnesses lie together —
/// the same assumption the quorum itself rests on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Judged {
    /// The `k`-th oldest time: `k` witnesses say they had seen the checkpoint by then, so, unless
    /// `k` of them lie, an honest one had. A reading in the checkpoint dated after it (beyond the
    /// tolerance) is dated after an honest witness saw it: its sensor's clock runs ahead. It is also
    /// the time the next checkpoint's rules know as the previous cosignature.
    pub early_s: u64,
    /// The `k`-th newest time: `k` witnesses say they saw the checkpoint at or after it, so, unless
    /// `k` of them lie, an honest one did. Checkpoint rules (is a reading, a notice, a cosignature
    /// too old by now?) are judged at it.
    pub late_s: u64,
}

impl Judged {
    /// The times for valid cosignature times `times` (any order) under a quorum of `quorum`
    /// (0 counts as 1; a quorum above the count takes the oldest and newest). No times: both 0.
    pub fn of(mut times: Vec<u64>, quorum: usize) -> Self {
        times.sort_unstable();
        let n = times.len();
        if n == 0 {
            return Self::default();
        }
        let k = quorum.clamp(1, n);
        Self {
            early_s: times[k - 1],
            late_s: times[n - k],
        }
    }
}

/// Verifies the log signature and the witness quorum on a checkpoint.
///
/// # Errors
///
/// [`Error::Log`] if the log signature fails or fewer than `min_cosignatures` of `witness_keys`
/// have valid cosignatures.
pub fn verify_cosigned(
    note: &[u8],
    log_key: &str,
    witness_keys: &[String],
    min: usize,
) -> Result<CosignedCheckpoint> {
    let cp = tlog::verify_checkpoint(note, log_key).map_err(|e| Error::Log(format!("checkpoint: {e}")))?;
    // Each witness counts once, however often its key is listed.
    let mut keys: Vec<&String> = witness_keys.iter().collect();
    keys.sort();
    keys.dedup();
    let mut times = Vec::new();
    for w in keys {
        if let Ok(t) = witness::verify_cosignature(note, w) {
            times.push(t);
        }
    }
    if times.len() < min {
        return Err(Error::Log(format!(
            "checkpoint has {} valid witness cosignature(s), {min} required",
            times.len()
        )));
    }
    Ok(CosignedCheckpoint {
        size: cp.size,
        root: cp.root,
        cosigned_s: times.iter().copied().max().unwrap_or(0),
        judged: Judged::of(times, min),
    })
}

impl ProvenEntry {
    /// Decodes the entry and checks its inclusion proof in the tree of `size` entries with root
    /// `root`; returns the entry bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Evidence`] if the entry or a proof hash is malformed or the proof fails.
    pub fn check(&self, size: u64, root: tlog::Hash) -> Result<Vec<u8>> {
        let bytes = BASE64_STANDARD
            .decode(&self.entry)
            .map_err(|_| Error::Evidence(format!("entry {}: not base64", self.index)))?;
        let proof = self
            .proof
            .iter()
            .map(|h| {
                tlog::Hash::parse_hash(h)
                    .map_err(|_| Error::Evidence(format!("proof hash {h:?} is not 32 bytes of base64")))
            })
            .collect::<Result<Vec<_>>>()?;
        tlog::merkle::verify_inclusion(&proof, size, root, self.index, tlog::merkle::record_hash(&bytes))
            .map_err(|err| {
                Error::Evidence(format!(
                    "entry {} is not in the log under the checkpoint of size {size}: {err}",
                    self.index
                ))
            })?;
        Ok(bytes)
    }
}

/// Encodes a hash as base64.
pub fn hash_b64(h: &tlog::Hash) -> String {
    BASE64_STANDARD.encode(h.0)
}

/// Whether a finding of `kind` is judged at a checkpoint (a checkpoint rule, or a reading dated
/// after the checkpoint's cosignature) rather than at its entry.
pub fn judged_at_checkpoint(kind: &FindingKind, rules: &RuleSet) -> bool {
    match kind {
        FindingKind::ClockAhead => true,
        FindingKind::Rule(id) => rules.get(id).is_some_and(|r| r.text.on == On::Checkpoint),
        _ => false,
    }
}

/// Whether `entry` is a roster version (its text names the roster schema).
fn is_roster(entry: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct SchemaOnly {
        schema: String,
    }
    crate::keys::peek_note(entry).is_ok_and(|(text, _)| {
        serde_json::from_slice::<SchemaOnly>(text.strip_suffix(b"\n").unwrap_or(&text))
            .is_ok_and(|s| s.schema == crate::roster::ROSTER_SCHEMA)
    })
}

/// The times (Unix ms, early and late) a checkpoint is judged at: the witnesses' ([`Judged`]), or
/// both the newest statement time the engine has seen.
pub fn judging_times_ms(clock: Clock, judged: Judged, engine: &Engine) -> (i64, i64) {
    let ms = |s: u64| i64::try_from(s).unwrap_or(i64::MAX).saturating_mul(1000);
    match clock {
        Clock::Witness => (ms(judged.early_s), ms(judged.late_s)),
        Clock::Log => (engine.latest_time_ms(), engine.latest_time_ms()),
    }
}

/// Checks an evidence bundle against what the verifier trusts.
///
/// # Errors
///
/// [`Error::Evidence`] (or [`Error::Log`]) naming the first step that fails.
pub fn verify(ev: &Evidence, trust: &Trust) -> Result<Verified> {
    let bad = |m: String| Err(Error::Evidence(m));
    if ev.schema != EVIDENCE_SCHEMA {
        return bad(format!("schema {:?}, expected {EVIDENCE_SCHEMA:?}", ev.schema));
    }
    // 1. Checkpoints.
    let cp = verify_cosigned(
        ev.checkpoint.as_bytes(),
        &trust.log_key,
        &trust.witness_keys,
        trust.min_cosignatures,
    )?;
    let at_checkpoint = judged_at_checkpoint(&ev.finding.kind, &trust.rules);
    let previous = match &ev.previous_checkpoint {
        None => None,
        Some(_) if !at_checkpoint => {
            return bad(format!(
                "a previous checkpoint is given, but {} is not judged at a checkpoint",
                ev.finding.kind.name()
            ));
        }
        Some(note) => {
            let p = verify_cosigned(
                note.as_bytes(),
                &trust.log_key,
                &trust.witness_keys,
                trust.min_cosignatures,
            )
            .map_err(|e| Error::Evidence(format!("previous checkpoint: {e}")))?;
            if p.size >= cp.size {
                return bad(format!(
                    "the previous checkpoint (size {}) is not smaller than the checkpoint (size {})",
                    p.size, cp.size
                ));
            }
            Some(p)
        }
    };
    if ev.clock != Clock::Witness && !at_checkpoint {
        return bad(format!(
            "a clock is given, but {} is not judged at a checkpoint",
            ev.finding.kind.name()
        ));
    }
    // 2. Inclusion and completeness.
    let expected_to = if at_checkpoint {
        cp.size
    } else {
        ev.finding.index.saturating_add(1)
    };
    if ev.complete.from != 0 || ev.complete.to != expected_to {
        return bad(format!(
            "the bundle proves entries {}..{} complete; {} at entry {} needs 0..{expected_to}",
            ev.complete.from,
            ev.complete.to,
            ev.finding.kind.name(),
            ev.finding.index
        ));
    }
    if expected_to > cp.size {
        return bad(format!(
            "entry {} is beyond the checkpoint of size {}",
            ev.finding.index, cp.size
        ));
    }
    if ev.entries.len() as u64 != ev.complete.to - ev.complete.from {
        return bad(format!(
            "the bundle holds {} entries, the complete range {}..{} has {}",
            ev.entries.len(),
            ev.complete.from,
            ev.complete.to,
            ev.complete.to - ev.complete.from
        ));
    }
    let mut entries: Vec<Vec<u8>> = Vec::with_capacity(ev.entries.len());
    for (want, e) in (ev.complete.from..).zip(&ev.entries) {
        if e.index != want {
            return bad(format!(
                "entry {want} of the complete range is missing (found entry {} in its place)",
                e.index
            ));
        }
        entries.push(e.check(cp.size, cp.root)?);
    }
    if let Some(p) = &previous {
        let mut tree = tlog::MemoryTree::new();
        for e in entries.iter().take(usize::try_from(p.size).unwrap_or(usize::MAX)) {
            tree.push(e)
                .map_err(|e| Error::Evidence(format!("hashing entries: {e}")))?;
        }
        let root = tree
            .root(p.size)
            .map_err(|e| Error::Evidence(format!("hashing entries: {e}")))?;
        if root != p.root {
            return bad(format!(
                "the previous checkpoint (size {}) is not a prefix of the checkpoint's tree",
                p.size
            ));
        }
    }
    // 3. The rule must be the agreed one; other findings carry none.
    match (&ev.finding.kind, &ev.rule) {
        (FindingKind::Rule(id), rule) => {
            let agreed = trust
                .rules
                .get(id)
                .ok_or_else(|| Error::Evidence(format!("rule {id:?} is not among the agreed rules")))?;
            if rule.as_ref() != Some(&agreed.text) {
                return bad(format!("rule {id:?} in the bundle differs from the agreed text"));
            }
        }
        (kind, Some(_)) => {
            return bad(format!("a {} finding carries a rule text", kind.name()));
        }
        (_, None) => {}
    }
    // The first roster version must be signed by the trusted anchors; say so plainly when it is
    // not, rather than "the finding is not recomputed".
    let registry = Registry::new(trust.anchors.clone())?;
    if let Some((i, e)) = (0u64..).zip(&entries).find(|(_, e)| is_roster(e))
        && !(ev.finding.kind == FindingKind::Forged && ev.finding.index == i)
    {
        registry.check(e).map_err(|err| {
            Error::Evidence(format!(
                "the roster at entry {i} is not signed by the trust file's anchors: {err}"
            ))
        })?;
    }
    // 4. Recompute.
    let mut engine = Engine::new(registry, Arc::clone(&trust.rules));
    let mut found: Vec<Finding> = Vec::new();
    for (i, bytes) in (0u64..).zip(&entries) {
        if let Some(p) = &previous
            && i == p.size
        {
            let (early, late) = judging_times_ms(ev.clock, p.judged, &engine);
            found.extend(engine.checkpoint_between(p.size, early, late));
        }
        found.extend(engine.entry(i, bytes));
    }
    if at_checkpoint {
        let (early, late) = judging_times_ms(ev.clock, cp.judged, &engine);
        found.extend(engine.checkpoint_between(cp.size, early, late));
    }
    if !found.contains(&ev.finding) {
        let same = found
            .iter()
            .find(|f| f.kind == ev.finding.kind && f.index == ev.finding.index);
        return bad(match same {
            Some(f) => format!(
                "the bundle's finding differs from the recomputed one: bundle {}, recomputed {}",
                serde_json::to_string(&ev.finding).unwrap_or_else(|e| e.to_string()),
                serde_json::to_string(f).unwrap_or_else(|e| e.to_string())
            ),
            None => format!(
                "recomputing the finding from the bundled entries does not give {} at entry {}",
                ev.finding.kind.name(),
                ev.finding.index
            ),
        });
    }
    let unproven = match &ev.finding.kind {
        FindingKind::Rule(id) if rule_reads_previous(trust, id) => Some(
            "that no witness cosigned a checkpoint between the previous checkpoint and this one \
             (witness cosignatures are not in the log)"
                .to_owned(),
        ),
        _ => None,
    };
    Ok(Verified {
        finding: ev.finding.clone(),
        size: cp.size,
        cosigned_s: cp.cosigned_s,
        complete: ev.complete,
        unproven,
    })
}

/// Whether rule `id` reads the previous checkpoint's cosignature time.
fn rule_reads_previous(trust: &Trust, id: &str) -> bool {
    trust
        .rules
        .get(id)
        .is_some_and(|r| r.text.require.contains("previous_cosigned_ms"))
}

/// The checkpoint a finding was judged at, as the monitor saw it.
#[derive(Debug, Clone, Copy)]
pub struct Judgement<'a> {
    /// The cosigned checkpoint note.
    pub note: &'a [u8],
    /// Its tree size.
    pub size: u64,
    /// The cosigned checkpoint judged before it, if any.
    pub previous: Option<&'a [u8]>,
    /// The clock time rules were judged by.
    pub clock: Clock,
}

/// Builds a bundle for `finding` from a log: `entry(i)` gives entry `i`, `proof(i)` its
/// inclusion proof against the checkpoint `at.note` of `at.size` entries. The bundle holds
/// every entry from the log's first through the finding's (through the checkpoint's last for
/// findings judged at a checkpoint).
///
/// # Errors
///
/// Whatever `entry` or `proof` return; [`Error::Evidence`] if the finding's entry is beyond the
/// checkpoint.
pub fn build(
    finding: &Finding,
    rules: &RuleSet,
    at: &Judgement<'_>,
    mut entry: impl FnMut(u64) -> Result<Vec<u8>>,
    mut proof: impl FnMut(u64) -> Result<Vec<tlog::Hash>>,
) -> Result<Evidence> {
    let at_checkpoint = judged_at_checkpoint(&finding.kind, rules);
    let to = if at_checkpoint {
        at.size
    } else {
        finding.index.saturating_add(1)
    };
    if to > at.size {
        return Err(Error::Evidence(format!(
            "entry {} is beyond the checkpoint of size {}",
            finding.index, at.size
        )));
    }
    let mut entries = Vec::with_capacity(usize::try_from(to).unwrap_or(0));
    for i in 0..to {
        entries.push(ProvenEntry {
            index: i,
            entry: BASE64_STANDARD.encode(entry(i)?),
            proof: proof(i)?.iter().map(hash_b64).collect(),
        });
    }
    let rule = match &finding.kind {
        FindingKind::Rule(id) => rules.get(id).map(|r| r.text.clone()),
        _ => None,
    };
    Ok(Evidence {
        schema: EVIDENCE_SCHEMA.into(),
        finding: finding.clone(),
        rule,
        checkpoint: String::from_utf8_lossy(at.note).into_owned(),
        previous_checkpoint: at
            .previous
            .filter(|_| at_checkpoint)
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        clock: if at_checkpoint { at.clock } else { Clock::Witness },
        complete: Range { from: 0, to },
        entries,
    })
}

/// The trust file (TOML) a verifier or monitor reads:
///
/// ```toml
/// log_key = "<log verifier key>"
/// witness_keys = ["<witness cosignature/v1 verifier key>"]
/// min_cosignatures = 1
/// anchors = ["<authority verifier key>", "..."]   # sign roster version 1
/// rules = "europe-2008"                           # built-in name, or a path relative to this file
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustFile {
    /// The log's verifier key.
    pub log_key: String,
    /// Witness verifier keys.
    #[serde(default)]
    pub witness_keys: Vec<String>,
    /// Required number of witness cosignatures.
    #[serde(default = "one")]
    pub min_cosignatures: usize,
    /// Roster trust anchors.
    pub anchors: Vec<String>,
    /// Rules: built-in name or path.
    pub rules: String,
}

fn one() -> usize {
    1
}

impl Trust {
    /// Loads a [`TrustFile`] and its rules.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if the file cannot be read or parsed; [`Error::Rules`] for its rules.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Malformed(format!("{}: cannot read: {e}", path.display())))?;
        let tf: TrustFile = toml::from_str(&text)
            .map_err(|e| Error::Malformed(format!("{}: {}", path.display(), e.message())))?;
        let rules = if tf.rules == "europe-2008" {
            crate::rules::builtin_or_path("europe-2008")?
        } else {
            let p = path.parent().unwrap_or(std::path::Path::new(".")).join(&tf.rules);
            RuleSet::load(&p)?
        };
        if tf.witness_keys.len() < tf.min_cosignatures {
            return Err(Error::Malformed(format!(
                "{}: min_cosignatures = {} but only {} witness key(s)",
                path.display(),
                tf.min_cosignatures,
                tf.witness_keys.len()
            )));
        }
        Ok(Trust {
            log_key: tf.log_key,
            witness_keys: tf.witness_keys,
            min_cosignatures: tf.min_cosignatures,
            anchors: tf.anchors,
            rules: Arc::new(rules),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Judged;
    use proptest::prelude::*;

    #[test]
    fn judged_times_by_quorum() {
        assert_eq!(Judged::of(vec![], 2), Judged::default());
        let t = vec![30, 10, 20];
        assert_eq!(
            Judged::of(t.clone(), 0),
            Judged {
                early_s: 10,
                late_s: 30
            }
        );
        assert_eq!(
            Judged::of(t.clone(), 1),
            Judged {
                early_s: 10,
                late_s: 30
            }
        );
        assert_eq!(
            Judged::of(t.clone(), 2),
            Judged {
                early_s: 20,
                late_s: 20
            }
        );
        assert_eq!(
            Judged::of(t.clone(), 3),
            Judged {
                early_s: 30,
                late_s: 10
            }
        );
        assert_eq!(
            Judged::of(t, 4),
            Judged {
                early_s: 30,
                late_s: 10
            }
        );
    }

    proptest! {
        /// However fewer than `k` of the witnesses lie, each of the two times lies within the
        /// honest witnesses' times: `early_s` at or after an honest one (so a reading dated after
        /// it is dated after an honest witness saw the checkpoint), `late_s` at or before an honest
        /// one (so "too old by then" is true by an honest witness's clock).
        #[test]
        fn fewer_than_a_quorum_of_liars_cannot_move_the_times_past_the_honest_ones(
            honest in prop::collection::vec(0u64..1_000_000, 1..6),
            lies in prop::collection::vec(any::<u64>(), 0..6),
            k in 1usize..6,
        ) {
            prop_assume!(lies.len() < k && honest.len() + lies.len() >= k);
            let mut all = honest.clone();
            all.extend(&lies);
            let j = Judged::of(all, k);
            prop_assert!(honest.iter().any(|&h| h <= j.early_s));
            prop_assert!(honest.iter().any(|&h| h >= j.late_s));
        }
    }
}
