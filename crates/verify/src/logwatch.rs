//! Log misbehaviour as self-contained [`LogEvidence`]: two checkpoints that cannot both be true,
//! as the monitor ([`crate::monitor`]) finds them.
//!
//! - **Split view**: two checkpoints of the same size with different roots, both signed by the
//!   log (seen from different vantage points: the log itself, witnesses, other monitors).
//! - **Rewritten history**: a checkpoint that is not consistent with one verified earlier. The
//!   monitor proves it by an *equivocation*: the same index holding different entries, each
//!   with a valid inclusion proof against one of the two signed checkpoints.
//! - **Rollback**: a checkpoint smaller than one the monitor verified earlier, whose tree is a
//!   prefix of the earlier one: the entries beyond it, acknowledged under the earlier
//!   checkpoint, are gone. (A smaller tree that is *not* a prefix is rewritten history.)
//!
//! All kinds of evidence verify with the log's public key alone ([`verify_log_evidence`]). For a
//! rollback, what that proves is that the log signed both trees; that the smaller one was
//! served *after* the larger is the monitor's testimony (checkpoints carry no time).

use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::evidence::ProvenEntry;

/// Schema identifier of log-misbehaviour evidence.
pub const LOG_EVIDENCE_SCHEMA: &str = "shieldwatch/log-evidence/v1";

/// Kinds of log misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Misbehaviour {
    /// Two different trees of the same size.
    SplitView,
    /// A newer tree that does not extend an older one.
    RewrittenHistory,
    /// A smaller tree served after a larger one was verified: acknowledged entries are gone.
    Rollback,
}

/// Evidence that a log signed two incompatible histories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEvidence {
    /// Always [`LOG_EVIDENCE_SCHEMA`].
    pub schema: String,
    /// What the log did.
    pub kind: Misbehaviour,
    /// The two signed checkpoints, as text.
    pub checkpoints: [String; 2],
    /// For rewritten history: the same index in both trees, with different entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<[ProvenEntry; 2]>,
    /// For a rollback: the indexes that were in the first (larger, earlier verified) tree and
    /// are not in the second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost: Option<crate::evidence::Range>,
}

/// Verifies log-misbehaviour evidence with the log's verifier key.
///
/// # Errors
///
/// [`Error::Evidence`] if the evidence does not prove misbehaviour.
pub fn verify_log_evidence(ev: &LogEvidence, log_key: &str) -> Result<()> {
    if ev.schema != LOG_EVIDENCE_SCHEMA {
        return Err(Error::Evidence(format!("schema {:?}", ev.schema)));
    }
    let a = tlog::verify_checkpoint(ev.checkpoints[0].as_bytes(), log_key)
        .map_err(|e| Error::Evidence(format!("first checkpoint: {e}")))?;
    let b = tlog::verify_checkpoint(ev.checkpoints[1].as_bytes(), log_key)
        .map_err(|e| Error::Evidence(format!("second checkpoint: {e}")))?;
    if ev.kind != Misbehaviour::Rollback && ev.lost.is_some() {
        return Err(Error::Evidence("only a rollback names lost entries".into()));
    }
    if ev.kind != Misbehaviour::RewrittenHistory && ev.entries.is_some() {
        return Err(Error::Evidence(
            "only rewritten history carries conflicting entries".into(),
        ));
    }
    match ev.kind {
        Misbehaviour::SplitView => {
            if a.size == b.size && a.root != b.root {
                Ok(())
            } else {
                Err(Error::Evidence(
                    "split view needs two checkpoints of one size with different roots".into(),
                ))
            }
        }
        Misbehaviour::RewrittenHistory => {
            let [ea, eb] = ev.entries.as_ref().ok_or_else(|| {
                Error::Evidence("rewritten history needs the two conflicting entries".into())
            })?;
            if ea.index != eb.index {
                return Err(Error::Evidence("the two entries must have the same index".into()));
            }
            let ba = ea.check(a.size, a.root)?;
            let bb = eb.check(b.size, b.root)?;
            if ba == bb {
                return Err(Error::Evidence(
                    "the two entries are identical: no equivocation".into(),
                ));
            }
            Ok(())
        }
        Misbehaviour::Rollback => {
            let want = crate::evidence::Range {
                from: b.size,
                to: a.size,
            };
            if b.size >= a.size {
                return Err(Error::Evidence(
                    "a rollback needs the second checkpoint to be smaller than the first".into(),
                ));
            }
            if ev.lost != Some(want) {
                return Err(Error::Evidence(format!(
                    "a rollback from size {} to {} loses entries {}..{}, the evidence says {:?}",
                    a.size, b.size, want.from, want.to, ev.lost
                )));
            }
            Ok(())
        }
    }
}

/// A checkpoint as a monitor saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: tlog::Hash,
    /// The note.
    pub note: Vec<u8>,
    /// Newest witness cosignature, Unix seconds (0 when not checked).
    pub cosigned_s: u64,
    /// The times the checkpoint is judged at (both 0 when not checked).
    pub judged: crate::evidence::Judged,
}

/// Builds log-misbehaviour evidence from checkpoints the monitor ([`crate::monitor`]) saw.
#[derive(Debug, Clone, Copy)]
pub struct LogWatch;

impl LogWatch {
    /// Split-view evidence from two checkpoints.
    pub fn split_view(a: &Seen, b: &Seen) -> LogEvidence {
        LogEvidence {
            schema: LOG_EVIDENCE_SCHEMA.into(),
            kind: Misbehaviour::SplitView,
            checkpoints: [
                String::from_utf8_lossy(&a.note).into_owned(),
                String::from_utf8_lossy(&b.note).into_owned(),
            ],
            entries: None,
            lost: None,
        }
    }

    /// Rollback evidence: `earlier` was verified, `later` (smaller, its tree a prefix of
    /// `earlier`'s) was served afterwards.
    pub fn rollback(earlier: &Seen, later: &Seen) -> LogEvidence {
        LogEvidence {
            schema: LOG_EVIDENCE_SCHEMA.into(),
            kind: Misbehaviour::Rollback,
            checkpoints: [
                String::from_utf8_lossy(&earlier.note).into_owned(),
                String::from_utf8_lossy(&later.note).into_owned(),
            ],
            entries: None,
            lost: Some(crate::evidence::Range {
                from: later.size,
                to: earlier.size,
            }),
        }
    }

    /// Rewritten-history evidence: `old_entry` at `index` proven in `old`, and `new_entry` at
    /// the same index proven in `new`.
    pub fn equivocation(
        old: &Seen,
        new: &Seen,
        index: u64,
        old_entry: (&[u8], &[tlog::Hash]),
        new_entry: (&[u8], &[tlog::Hash]),
    ) -> LogEvidence {
        let pe = |(e, p): (&[u8], &[tlog::Hash])| ProvenEntry {
            index,
            entry: BASE64_STANDARD.encode(e),
            proof: p.iter().map(crate::evidence::hash_b64).collect(),
        };
        LogEvidence {
            schema: LOG_EVIDENCE_SCHEMA.into(),
            kind: Misbehaviour::RewrittenHistory,
            checkpoints: [
                String::from_utf8_lossy(&old.note).into_owned(),
                String::from_utf8_lossy(&new.note).into_owned(),
            ],
            entries: Some([pe(old_entry), pe(new_entry)]),
            lost: None,
        }
    }
}
