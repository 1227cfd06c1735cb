//! The witness: checks an `add-checkpoint` request against the logs it knows and the latest
//! checkpoint it cosigned for that log, and cosigns it (c2sp.org/tlog-witness).
//!
//! # Checks, in order, and their HTTP status
//!
//! | check | status |
//! |---|---|
//! | the body parses (`old` line, ≤ 63 proof lines, empty line, signed note, checkpoint body) | 400 |
//! | the origin is a configured log | 404 |
//! | a configured key of that log signed it, and no signature by a configured key fails | 403 |
//! | `old` ≤ checkpoint size | 400 |
//! | `old` equals the size of the latest checkpoint cosigned for the origin (0 if none) | 409, body `<size>\n`, `text/x.tlog.size` |
//! | a checkpoint of size 0 has the empty-tree root | 422 |
//! | `old` = 0 comes with an empty proof | 422 |
//! | `old` = size: same root as the cosigned one (else a **split view**, recorded) and no proof | 422 |
//! | otherwise the RFC 6962 consistency proof from (old, cosigned root) to the checkpoint verifies | 422 |
//!
//! When all pass, the witness stores the checkpoint (with the log's verified signatures and its
//! own cosignature) as the latest for the origin, durably, and only then answers 200 with the
//! cosignature line. The check and the store are one atomic transaction (see [`crate::state`]).
//!
//! Together these give rollback protection: the witness never cosigns a checkpoint smaller
//! than, or inconsistent with, the last one it cosigned for that origin, across restarts.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use signed_note::{Note, StandardVerifier, Verifier, VerifierList};
use tlog::Hash;
use tlog::merkle::{self, EMPTY_HASH};

use crate::cosignature::{CosignatureSigner, cosignature_timestamp, unix_now};
use crate::protocol::{AddCheckpointRequest, MalformedError, parse_size};
use crate::state::{Cosigned, Decision, SplitView, State, StateError};

/// A log the witness follows: its origin and the verifier keys (`<name>+<id>+<base64>`, Ed25519
/// note keys) whose signatures it accepts on that log's checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessedLog {
    /// The checkpoint origin line.
    pub origin: String,
    /// Verifier keys of the log (one, or more during a key rotation).
    pub verifier_keys: Vec<String>,
}

/// Why the witness refused to cosign. [`AddCheckpointError::status`] gives the HTTP status.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AddCheckpointError {
    /// The request is malformed (400).
    #[error(transparent)]
    Malformed(#[from] MalformedError),
    /// The checkpoint's origin is not a log this witness follows (404).
    #[error("unknown log origin {0:?}")]
    UnknownOrigin(String),
    /// No valid signature by a configured key of the log, or a bad one (403).
    #[error("checkpoint signature: {0}")]
    Forbidden(String),
    /// `old` is not the size of the latest checkpoint cosigned for this log (409).
    #[error("old size {old} does not match the latest cosigned size {latest}")]
    Conflict {
        /// The size the client sent.
        old: u64,
        /// The size of the latest cosigned checkpoint (0 if none).
        latest: u64,
    },
    /// The checkpoint is not consistent with the latest cosigned one, or the proof does not
    /// verify (422).
    #[error("inconsistent checkpoint: {0}")]
    Inconsistent(String),
    /// A checkpoint of the same size as the latest cosigned one with a different root hash: the
    /// log shows two different trees (422; the pair is recorded as evidence).
    #[error("split view: the log signed two trees of size {size}: {cosigned} (cosigned) and {submitted}")]
    SplitView {
        /// The tree size.
        size: u64,
        /// Root of the checkpoint the witness cosigned.
        cosigned: Hash,
        /// Root of the submitted checkpoint.
        submitted: Hash,
    },
    /// Storage failed; nothing was cosigned (500).
    #[error(transparent)]
    State(#[from] StateError),
    /// Signing failed (500).
    #[error("cosigning failed: {0}")]
    Signing(String),
}

impl AddCheckpointError {
    /// The HTTP status code c2sp.org/tlog-witness assigns to this outcome.
    pub fn status(&self) -> u16 {
        match self {
            Self::Malformed(_) => 400,
            Self::Forbidden(_) => 403,
            Self::UnknownOrigin(_) => 404,
            Self::Conflict { .. } => 409,
            Self::Inconsistent(_) | Self::SplitView { .. } => 422,
            Self::State(_) | Self::Signing(_) => 500,
        }
    }
}

/// Errors opening a witness.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// A log's configuration is invalid (bad origin or verifier key, duplicate origin).
    #[error("log {origin:?}: {reason}")]
    BadLog {
        /// The log's origin.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// The state database could not be opened.
    #[error(transparent)]
    State(#[from] StateError),
}

/// A checkpoint body (c2sp.org/tlog-checkpoint): origin, size, root and extension lines.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointBody {
    /// The origin line.
    pub origin: String,
    /// Tree size, in entries.
    pub size: u64,
    /// RFC 6962 root hash.
    pub root: Hash,
}

/// Parses a checkpoint note text: `<origin>\n<size>\n<base64 root>\n` then optional non-empty
/// extension lines, each newline-terminated.
///
/// # Errors
///
/// [`MalformedError`] naming the bad line.
pub fn parse_checkpoint_body(text: &[u8]) -> Result<CheckpointBody, MalformedError> {
    let bad = |m: &str| MalformedError(format!("checkpoint: {m}"));
    let text = std::str::from_utf8(text).map_err(|_| bad("not UTF-8"))?;
    let body = text.strip_suffix('\n').ok_or_else(|| bad("no final newline"))?;
    let mut lines = body.split('\n');
    let origin = lines
        .next()
        .filter(|o| !o.is_empty())
        .ok_or_else(|| bad("empty origin line"))?;
    let size = lines
        .next()
        .and_then(parse_size)
        .ok_or_else(|| bad("the second line must be the tree size in decimal"))?;
    let root = lines
        .next()
        .and_then(|l| Hash::parse_hash(l).ok())
        .ok_or_else(|| bad("the third line must be the base64 root hash"))?;
    if lines.any(str::is_empty) {
        return Err(bad("empty extension line"));
    }
    Ok(CheckpointBody {
        origin: origin.to_owned(),
        size,
        root,
    })
}

/// Request counters.
#[derive(Debug, Default)]
struct Metrics {
    by_status: [AtomicU64; STATUSES.len()],
}

/// The statuses counted, in exposition order.
const STATUSES: [u16; 7] = [200, 400, 403, 404, 409, 422, 500];

impl Metrics {
    fn count(&self, status: u16) {
        if let Some(i) = STATUSES.iter().position(|&s| s == status) {
            self.by_status[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn text(&self) -> String {
        let mut out = String::from(
            "# HELP witness_add_checkpoint_total add-checkpoint requests answered, by HTTP status (422 includes split views).\n\
             # TYPE witness_add_checkpoint_total counter\n",
        );
        for (s, n) in STATUSES.iter().zip(&self.by_status) {
            out.push_str(&format!(
                "witness_add_checkpoint_total{{status=\"{s}\"}} {}\n",
                n.load(Ordering::Relaxed)
            ));
        }
        out
    }
}

/// A witness: its cosigning key, the logs it follows and its durable state.
pub struct Witness {
    signer: CosignatureSigner,
    logs: HashMap<String, Vec<StandardVerifier>>,
    state: State,
    metrics: Metrics,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut origins: Vec<_> = self.logs.keys().collect();
        origins.sort();
        f.debug_struct("Witness")
            .field("signer", &self.signer)
            .field("logs", &origins)
            .finish_non_exhaustive()
    }
}

impl Witness {
    /// Opens a witness whose state lives in the redb file `state_path` (created if absent).
    ///
    /// # Errors
    ///
    /// [`OpenError::BadLog`] for an invalid or duplicate log, [`OpenError::State`] if the
    /// database cannot be opened.
    pub fn open(
        state_path: impl AsRef<Path>,
        signer: CosignatureSigner,
        logs: &[WitnessedLog],
    ) -> Result<Self, OpenError> {
        let mut map = HashMap::new();
        for log in logs {
            let bad = |reason: String| OpenError::BadLog {
                origin: log.origin.clone(),
                reason,
            };
            if log.origin.is_empty() || log.origin.contains('\n') {
                return Err(bad("the origin must be one non-empty line".into()));
            }
            if log.verifier_keys.is_empty() {
                return Err(bad("no verifier key".into()));
            }
            let keys = log
                .verifier_keys
                .iter()
                .map(|k| StandardVerifier::new(k.trim()).map_err(|e| bad(format!("verifier key {k:?}: {e}"))))
                .collect::<Result<Vec<_>, _>>()?;
            if map.insert(log.origin.clone(), keys).is_some() {
                return Err(bad("listed twice".into()));
            }
        }
        Ok(Self {
            signer,
            logs: map,
            state: State::open(state_path)?,
            metrics: Metrics::default(),
        })
    }

    /// The witness's verifier key (`<name>+<id>+base64(0x04 || key)`), for clients' policies.
    pub fn verifier_key(&self) -> String {
        self.signer.verifier_key()
    }

    /// The witness's name.
    pub fn name(&self) -> &str {
        self.signer.name()
    }

    /// The origins of the configured logs, sorted.
    pub fn origins(&self) -> Vec<String> {
        let mut v: Vec<String> = self.logs.keys().cloned().collect();
        v.sort();
        v
    }

    /// The latest checkpoint cosigned for `origin`, with the log's signatures and the
    /// witness's cosignature.
    ///
    /// # Errors
    ///
    /// [`StateError`] on a read failure.
    pub fn latest(&self, origin: &str) -> Result<Option<Cosigned>, StateError> {
        self.state.latest(origin)
    }

    /// Every split view detected so far (at most [`crate::state::MAX_SPLIT_VIEW_RECORDS`]).
    ///
    /// # Errors
    ///
    /// [`StateError`] on a read failure.
    pub fn split_views(&self) -> Result<Vec<SplitView>, StateError> {
        self.state.split_views()
    }

    /// The time of this witness's cosignature in a stored note, if any.
    fn own_timestamp(&self, note: &[u8]) -> Option<u64> {
        crate::protocol::signatures_of(note)
            .ok()?
            .iter()
            .filter(|s| s.name() == self.signer.name() && s.id() == self.signer.key_id())
            .find_map(cosignature_timestamp)
    }

    /// Handles an `add-checkpoint` request body. On success returns the response body: the
    /// cosignature line (`— <name> <base64>\n`), after the new state is durable.
    ///
    /// # Errors
    ///
    /// [`AddCheckpointError`]; nothing is stored except split-view evidence.
    pub fn add_checkpoint(&self, body: &[u8]) -> Result<Vec<u8>, AddCheckpointError> {
        let r = self.add_checkpoint_inner(body);
        let status = r.as_ref().map_or_else(AddCheckpointError::status, |_| 200);
        self.metrics.count(status);
        r
    }

    /// Prometheus text exposition: requests by status, split views, and per log the size and
    /// cosignature time of the latest cosigned checkpoint.
    pub fn metrics_text(&self) -> String {
        let mut out = self.metrics.text();
        out.push_str("# HELP witness_cosigned_size Tree size of the latest cosigned checkpoint, per log.\n");
        out.push_str("# TYPE witness_cosigned_size gauge\n");
        let mut times = String::new();
        for origin in self.origins() {
            if let Ok(Some(c)) = self.latest(&origin) {
                let label = origin.replace('\\', "\\\\").replace('"', "\\\"");
                out.push_str(&format!(
                    "witness_cosigned_size{{origin=\"{label}\"}} {}\n",
                    c.size
                ));
                if let Some(t) = self.own_timestamp(&c.note) {
                    times.push_str(&format!(
                        "witness_cosigned_timestamp_seconds{{origin=\"{label}\"}} {t}\n"
                    ));
                }
            }
        }
        out.push_str("# HELP witness_cosigned_timestamp_seconds Time of the latest cosignature, per log (POSIX seconds).\n");
        out.push_str("# TYPE witness_cosigned_timestamp_seconds gauge\n");
        out.push_str(&times);
        out
    }

    fn add_checkpoint_inner(&self, body: &[u8]) -> Result<Vec<u8>, AddCheckpointError> {
        let req = AddCheckpointRequest::parse(body)?;
        let note =
            Note::from_bytes(&req.checkpoint).map_err(|e| MalformedError(format!("checkpoint note: {e}")))?;
        let cp = parse_checkpoint_body(note.text())?;
        let keys = self
            .logs
            .get(&cp.origin)
            .ok_or_else(|| AddCheckpointError::UnknownOrigin(cp.origin.clone()))?;
        let list = VerifierList::new(
            keys.iter()
                .map(|k| Box::new(k.clone()) as Box<dyn Verifier>)
                .collect(),
        );
        let (log_sigs, _) = note
            .verify(&list)
            .map_err(|e| AddCheckpointError::Forbidden(e.to_string()))?;
        // `Note::verify` checks only the first signature per key; the protocol wants a 403 for
        // any line of a trusted key that fails, so check every such line.
        for sig in crate::protocol::signatures_of(&req.checkpoint)? {
            if let Some(k) = keys
                .iter()
                .find(|k| k.name() == sig.name() && k.key_id() == sig.id())
                && !k.verify(note.text(), sig.signature())
            {
                return Err(AddCheckpointError::Forbidden(format!(
                    "a signature by the log key {}+{:08x} does not verify",
                    sig.name(),
                    sig.id()
                )));
            }
        }
        if req.old_size > cp.size {
            return Err(MalformedError(format!(
                "old size {} is larger than the checkpoint size {}",
                req.old_size, cp.size
            ))
            .into());
        }
        let mut line = Vec::new();
        let outcome = self.state.update(&cp.origin, |current| {
            let latest = current.as_ref().map_or(0, |c| c.size);
            if req.old_size != latest {
                return Decision::Reject(AddCheckpointError::Conflict {
                    old: req.old_size,
                    latest,
                });
            }
            if let Err(e) = check_consistency(&req, &cp, current.as_ref()) {
                return match e {
                    AddCheckpointError::SplitView { .. } => Decision::RejectSplitView(
                        SplitView {
                            origin: cp.origin.clone(),
                            cosigned: current.map(|c| c.note).unwrap_or_default(),
                            conflicting: req.checkpoint.clone(),
                        },
                        e,
                    ),
                    e => Decision::Reject(e),
                };
            }
            // Never go back in time for a log: a larger tree must not carry an earlier time than
            // the previous cosignature (say, after the clock was set back).
            let previous = current
                .as_ref()
                .and_then(|c| self.own_timestamp(&c.note))
                .unwrap_or(0);
            let sig = match self.signer.cosign(note.text(), unix_now().max(previous)) {
                Ok(s) => s,
                Err(e) => return Decision::Reject(AddCheckpointError::Signing(e.to_string())),
            };
            line = sig.to_bytes();
            let mut sigs = log_sigs.clone();
            sigs.push(sig);
            match Note::new(note.text(), &sigs) {
                Ok(n) => Decision::Store(
                    Cosigned {
                        size: cp.size,
                        root: cp.root,
                        note: n.to_bytes(),
                    },
                    (),
                ),
                Err(e) => Decision::Reject(AddCheckpointError::Signing(e.to_string())),
            }
        });
        match outcome {
            Ok(()) => {
                tracing::info!(origin = %cp.origin, size = cp.size, old = req.old_size, "cosigned checkpoint");
                Ok(line)
            }
            Err(Ok(e)) => {
                match &e {
                    AddCheckpointError::SplitView { .. } => {
                        tracing::error!(origin = %cp.origin, error = %e, "SPLIT VIEW detected; evidence recorded");
                    }
                    e => {
                        tracing::warn!(origin = %cp.origin, status = e.status(), error = %e, "refused checkpoint")
                    }
                }
                Err(e)
            }
            Err(Err(e)) => Err(e.into()),
        }
    }
}

/// The consistency checks of the request against the latest cosigned checkpoint, once `old`
/// matches its size.
fn check_consistency(
    req: &AddCheckpointRequest,
    cp: &CheckpointBody,
    current: Option<&Cosigned>,
) -> Result<(), AddCheckpointError> {
    let inconsistent = |m: String| Err(AddCheckpointError::Inconsistent(m));
    if cp.size == 0 && cp.root != EMPTY_HASH {
        return inconsistent("a checkpoint of size 0 must have the empty-tree root".into());
    }
    if req.old_size == 0 {
        if !req.proof.is_empty() {
            return inconsistent("the consistency proof from size 0 must be empty".into());
        }
        return Ok(());
    }
    // old == latest > 0, so there is a stored record.
    let Some(cur) = current else {
        return inconsistent("no cosigned checkpoint to be consistent with".into());
    };
    if req.old_size == cp.size {
        if cp.root != cur.root {
            return Err(AddCheckpointError::SplitView {
                size: cp.size,
                cosigned: cur.root,
                submitted: cp.root,
            });
        }
        if !req.proof.is_empty() {
            return inconsistent("the consistency proof between equal sizes must be empty".into());
        }
        return Ok(());
    }
    merkle::verify_consistency(&req.proof, req.old_size, cur.root, cp.size, cp.root)
        .map_err(|e| AddCheckpointError::Inconsistent(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_bodies() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let ok = parse_checkpoint_body(format!("o\n5\n{root}\n").as_bytes()).unwrap();
        assert_eq!((ok.origin.as_str(), ok.size), ("o", 5));
        assert!(parse_checkpoint_body(format!("o\n5\n{root}\next\n").as_bytes()).is_ok());
        for bad in [
            format!("o\n5\n{root}"),
            format!("\n5\n{root}\n"),
            format!("o\n05\n{root}\n"),
            "o\n5\nAAAA\n".to_string(),
            format!("o\n5\n{root}\n\n"),
            "o\n5\n".to_string(),
        ] {
            assert!(parse_checkpoint_body(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(AddCheckpointError::UnknownOrigin("x".into()).status(), 404);
        assert_eq!(AddCheckpointError::Conflict { old: 1, latest: 2 }.status(), 409);
        assert_eq!(AddCheckpointError::Forbidden("x".into()).status(), 403);
        assert_eq!(AddCheckpointError::Inconsistent("x".into()).status(), 422);
        assert_eq!(
            AddCheckpointError::Malformed(MalformedError("x".into())).status(),
            400
        );
    }
}
