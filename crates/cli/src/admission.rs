//! Glue between the log server's admission hook and the verification regime's key roster: the
//! server logs only statements that verify under a registered, unrevoked key for their site and
//! role, in sequence, and roster versions that chain to the trust anchors.

use std::collections::HashMap;
use std::sync::Mutex;

use server::admission::{Admission, Admitted, Rejection};
use verify::roster::Admitted as Checked;
use verify::roster::{Registry, Undo, check_clock};

/// Admission by the key roster.
pub struct RosterAdmission {
    state: Mutex<(Registry, HashMap<[u8; 32], Undo>)>,
    max_clock_ahead_ms: i64,
}

impl RosterAdmission {
    /// A registry for `anchors`, brought up to date with the entries already in the log (those
    /// that do not verify are skipped: they were logged without admission control).
    /// Statements dated more than `max_clock_ahead_ms` after the server's clock are refused.
    pub fn new(
        anchors: Vec<String>,
        reader: &tlog::LogReader,
        max_clock_ahead_ms: i64,
    ) -> anyhow::Result<Self> {
        let mut registry = Registry::new(anchors)?;
        let size = reader.snapshot().size;
        let mut skipped = 0u64;
        for e in reader.entries(0, size)? {
            if registry.admit(&e).is_err() {
                skipped += 1;
            }
        }
        tracing::info!(entries = size, skipped, "key roster state rebuilt from the log");
        Ok(Self {
            state: Mutex::new((registry, HashMap::new())),
            max_clock_ahead_ms,
        })
    }
}

fn status(e: &verify::Error) -> u16 {
    match e {
        verify::Error::Malformed(_) | verify::Error::Schema(_) | verify::Error::Clock(_) => 422,
        verify::Error::Replay(_) => 409,
        _ => 403,
    }
}

impl Admission for RosterAdmission {
    fn admit(&self, entry: &[u8]) -> Result<Admitted, Rejection> {
        let mut g = self.state.lock().map_err(|_| Rejection {
            status: 503,
            reason: "unavailable",
            message: "admission state poisoned".into(),
        })?;
        let (registry, pending) = &mut *g;
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let checked = registry
            .check(entry)
            .and_then(|a| check_clock(&a, now_ms, self.max_clock_ahead_ms).map(|()| a));
        match checked {
            Ok(a) => {
                let undo = registry.apply_undoable(entry, &a);
                pending.insert(tlog::merkle::record_hash(entry).0, undo);
                // Keep the undo map small: entries that were logged never come back here.
                if pending.len() > 100_000 {
                    pending.clear();
                }
                // The statement's signature was verified under the key registered for its
                // sensor: the per-signer rate limit counts by that name. A roster version is
                // signed by the anchors, whose updates are not rate limited.
                let signer = match a {
                    Checked::Statement { statement, .. } => Some(statement.sensor),
                    Checked::Roster(_) => None,
                };
                Ok(Admitted { signer })
            }
            Err(e) => Err(Rejection {
                status: status(&e),
                reason: e.reason(),
                message: e.to_string(),
            }),
        }
    }

    fn release(&self, entry: &[u8]) {
        if let Ok(mut g) = self.state.lock() {
            let (registry, pending) = &mut *g;
            if let Some(u) = pending.remove(&tlog::merkle::record_hash(entry).0) {
                registry.undo(u);
            }
        }
    }
}
