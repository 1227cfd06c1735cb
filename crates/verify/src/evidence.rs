//! Evidence bundles: what an alert carries so that anyone can check it offline.
//!
//! A bundle holds the finding, the agreed rule it invokes (if any), a log checkpoint with
//! witness cosignatures, and log entries — the statements it rests on plus the roster versions
//! that authorise their keys — each with its RFC 6962 inclusion proof against that checkpoint.
//!
//! [`verify`] trusts only what the verifier supplies in [`Trust`] (the log's key, the witnesses'
//! keys and quorum, the roster trust anchors, the agreed rules) and:
//! 1. checks the log's signature and at least `min_cosignatures` witness cosignatures on the
//!    checkpoint (taking the cosignature time from the newest valid one);
//! 2. checks every entry's inclusion proof against the checkpoint's root;
//! 3. checks that the bundle's rule text is exactly the agreed rule of that id;
//! 4. replays the entries, in index order, through a fresh [`Engine`] with the agreed rules and
//!    requires the same finding to come out at the same index.
//!
//! A bundle that fails any step is rejected: a monitor cannot make a false accusation stick.
//! What offline checking cannot show is *absence* (that no exculpatory entry, such as a notice,
//! was left out); [`verify`] reports which finding kinds rest on absence, and `shieldwatch verify
//! evidence --log URL` checks completeness against the log itself.

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
    /// Entries with inclusion proofs, ascending index.
    pub entries: Vec<ProvenEntry>,
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
    /// The finding's claim includes that some entry is absent from the log (a notice, the
    /// withheld readings); offline checking shows the entries are authentic and logged and
    /// that the rule fails on them, not the absence.
    pub rests_on_absence: bool,
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
    let mut times = Vec::new();
    for w in witness_keys {
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
        cosigned_s: times.into_iter().max().unwrap_or(0),
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

/// Checks an evidence bundle against what the verifier trusts.
///
/// # Errors
///
/// [`Error::Evidence`] (or [`Error::Log`]) naming the first step that fails.
pub fn verify(ev: &Evidence, trust: &Trust) -> Result<Verified> {
    if ev.schema != EVIDENCE_SCHEMA {
        return Err(Error::Evidence(format!(
            "schema {:?}, expected {EVIDENCE_SCHEMA:?}",
            ev.schema
        )));
    }
    // 1. Checkpoint.
    let cp = verify_cosigned(
        ev.checkpoint.as_bytes(),
        &trust.log_key,
        &trust.witness_keys,
        trust.min_cosignatures,
    )?;
    // 2. Inclusion.
    let mut entries: Vec<(u64, Vec<u8>)> = Vec::with_capacity(ev.entries.len());
    let mut last = None;
    for e in &ev.entries {
        if last.is_some_and(|l| e.index <= l) {
            return Err(Error::Evidence(
                "entries are not in strictly ascending index order".into(),
            ));
        }
        last = Some(e.index);
        entries.push((e.index, e.check(cp.size, cp.root)?));
    }
    // 3. The rule must be the agreed one.
    if let FindingKind::Rule(id) = &ev.finding.kind {
        let agreed = trust
            .rules
            .get(id)
            .ok_or_else(|| Error::Evidence(format!("rule {id:?} is not among the agreed rules")))?;
        if ev.rule.as_ref() != Some(&agreed.text) {
            return Err(Error::Evidence(format!(
                "rule {id:?} in the bundle differs from the agreed text"
            )));
        }
    }
    // 4. Recompute.
    let registry = Registry::new(trust.anchors.clone())?;
    let mut engine = Engine::new(registry, Arc::clone(&trust.rules));
    let mut found: Vec<Finding> = Vec::new();
    for (i, bytes) in &entries {
        found.extend(engine.entry(*i, bytes));
    }
    let checkpoint_rule = matches!(&ev.finding.kind, FindingKind::Rule(id)
        if trust.rules.get(id).is_some_and(|r| r.text.on == On::Checkpoint));
    if checkpoint_rule || ev.finding.kind == FindingKind::ClockAhead {
        let cosigned_ms = i64::try_from(cp.cosigned_s)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000);
        found.extend(engine.checkpoint(cp.size, cosigned_ms));
    }
    let confirmed = found
        .into_iter()
        .find(|f| f.kind == ev.finding.kind && f.index == ev.finding.index)
        .ok_or_else(|| {
            Error::Evidence(format!(
                "recomputing the finding from the bundled entries does not give {} at entry {}",
                ev.finding.kind.name(),
                ev.finding.index
            ))
        })?;
    let rests_on_absence = match &ev.finding.kind {
        FindingKind::Gap => true,
        FindingKind::Rule(id) => trust.rules.get(id).is_some_and(|r| {
            r.text.on == On::Checkpoint
                || r.text.require.contains("notices")
                || r.text.require.contains("state.")
        }),
        _ => false,
    };
    Ok(Verified {
        finding: confirmed,
        size: cp.size,
        cosigned_s: cp.cosigned_s,
        rests_on_absence,
    })
}

/// Builds a bundle for `finding` from a log: `entry(i)` gives entry `i`, `proof(i)` its
/// inclusion proof against the checkpoint `note` (of size `size`); `rosters` are the roster
/// entry indexes to include.
///
/// # Errors
///
/// Whatever `entry` or `proof` return.
pub fn build(
    finding: &Finding,
    rules: &RuleSet,
    note: &[u8],
    rosters: &[u64],
    mut entry: impl FnMut(u64) -> Result<Vec<u8>>,
    mut proof: impl FnMut(u64) -> Result<Vec<tlog::Hash>>,
) -> Result<Evidence> {
    let mut idx: Vec<u64> = rosters.to_vec();
    idx.extend(&finding.context);
    idx.push(finding.index);
    idx.sort_unstable();
    idx.dedup();
    let mut entries = Vec::with_capacity(idx.len());
    for i in idx {
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
        checkpoint: String::from_utf8_lossy(note).into_owned(),
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
