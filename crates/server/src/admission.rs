//! Admission control and witness cosigning: the two ways a deployment's verification regime
//! plugs into the log server without the server knowing the regime's formats.
//!
//! - [`Admission`] decides, before an entry is queued, whether it may be logged at all (the
//!   regime admits only statements signed by registered, unrevoked keys; see the `verify`
//!   crate). Refused entries get a 4xx with the reason and are never stored.
//! - [`Cosigning`] submits every new checkpoint to c2sp.org/tlog-witness witnesses and publishes
//!   at `/checkpoint` only checkpoints that carry enough cosignatures.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use tlog::LogReader;

/// Why an entry was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// HTTP status (4xx).
    pub status: u16,
    /// Short reason code for metrics (`unknown_key`, `replay`, …).
    pub reason: &'static str,
    /// Message for the submitter.
    pub message: String,
}

/// What admission control learned of an admitted entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Admitted {
    /// The signer whose signature admission verified (the registered key's name), for the
    /// per-signer rate limit; `None` when the entry has no single rate-limited signer (a roster
    /// version, signed by the trust anchors).
    pub signer: Option<String>,
}

/// Admission control for submitted entries.
///
/// The server calls [`Admission::admit`] and queues the entry under one lock, so entries are
/// sequenced in the order they were admitted; `admit` must therefore reserve whatever the entry
/// claims (a sensor's sequence number), and [`Admission::release`] undoes that if the entry
/// could not be logged after all.
pub trait Admission: Send + Sync + 'static {
    /// Checks `entry` and reserves its claims.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] to answer with.
    fn admit(&self, entry: &[u8]) -> Result<Admitted, Rejection>;

    /// Undoes [`Admission::admit`] for an entry that was not logged.
    fn release(&self, entry: &[u8]);
}

/// Witnesses to collect cosignatures from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cosigning {
    /// Base URLs of the witnesses (their `add-checkpoint` endpoint is `<url>/add-checkpoint`).
    pub witnesses: Vec<String>,
    /// Cosignatures needed before a checkpoint is published.
    pub min_cosignatures: usize,
    /// PEM file of the certificates an `https://` witness must chain to (default: the system's
    /// roots).
    pub ca: Option<std::path::PathBuf>,
}

/// The checkpoint served at `/checkpoint`: the log's latest, or with [`Cosigning`], the latest
/// that gathered enough cosignatures.
#[derive(Debug, Default)]
pub struct Published {
    inner: RwLock<Option<PublishedNote>>,
    /// Tree size of the published checkpoint (0 before the first), for submitters waiting for
    /// one that covers their entry.
    size: tokio::sync::watch::Sender<u64>,
}

#[derive(Debug)]
struct PublishedNote {
    note: Arc<Vec<u8>>,
    at: std::time::Instant,
}

impl Published {
    /// The published checkpoint note, if any.
    pub fn get(&self) -> Option<Arc<Vec<u8>>> {
        self.read().as_ref().map(|p| p.note.clone())
    }

    /// Seconds since the last cosigned checkpoint was published.
    pub fn age_s(&self) -> Option<f64> {
        self.read().as_ref().map(|p| p.at.elapsed().as_secs_f64())
    }

    /// Tree size of the published checkpoint (0 before the first).
    pub fn size(&self) -> u64 {
        *self.size.borrow()
    }

    /// Waits until a published checkpoint covers the entry at `index` (its size exceeds
    /// `index`), at most `limit`; whether one does.
    pub async fn wait_covering(&self, index: u64, limit: Duration) -> bool {
        let mut rx = self.size.subscribe();
        matches!(
            tokio::time::timeout(limit, rx.wait_for(|s| *s > index)).await,
            Ok(Ok(_))
        )
    }

    fn set(&self, note: Vec<u8>, size: u64) {
        // A panic elsewhere while the lock was held cannot have left the note half-written: it is
        // replaced whole, so a poisoned lock still holds a complete note (or none) and is used as is.
        *self
            .inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(PublishedNote {
            note: Arc::new(note),
            at: std::time::Instant::now(),
        });
        self.size.send_replace(size);
    }

    /// The published note under the read lock. See [`Published::set`] on a poisoned lock: the
    /// note is never partly written, so it is read as is rather than taken for "no checkpoint".
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<PublishedNote>> {
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How often the cosigning loop looks for a new checkpoint.
const COSIGN_POLL: Duration = Duration::from_millis(20);
/// How long the cosigning loop waits after a round that did not gather enough cosignatures.
const COSIGN_RETRY: Duration = Duration::from_millis(500);

/// Runs until `stop` is dropped: whenever the log grows, sends its checkpoint with a consistency
/// proof to every witness and publishes it once `min_cosignatures` came back. A witness that is
/// down only delays publication; one that answers 409 is retried from the size it reports.
pub async fn cosign_loop(
    reader: LogReader,
    cfg: Cosigning,
    published: Arc<Published>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let builder = match crate::client::trusting(
        reqwest::Client::builder().timeout(Duration::from_secs(10)),
        cfg.ca.as_deref(),
    ) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "cannot load the witnesses' trust anchor");
            return;
        }
    };
    let http = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the witness HTTP client");
            return;
        }
    };
    let mut known: Vec<u64> = vec![0; cfg.witnesses.len()];
    let mut done_size: Option<u64> = None;
    loop {
        let snap = reader.snapshot();
        if done_size != Some(snap.size) {
            let mut lines = Vec::new();
            for (w, url) in cfg.witnesses.iter().enumerate() {
                let prove = |old: u64| -> Result<Vec<tlog::Hash>, String> {
                    if old == 0 || old == snap.size {
                        return Ok(Vec::new());
                    }
                    reader
                        .prove_consistency(old, Some(snap.size))
                        .map(|p| p.proof)
                        .map_err(|e| e.to_string())
                };
                match witness::client::add_checkpoint_with_retry(
                    &http,
                    url,
                    known[w],
                    &snap.checkpoint,
                    prove,
                )
                .await
                {
                    Ok(l) => {
                        known[w] = snap.size;
                        lines.extend(l);
                    }
                    Err(e) => tracing::warn!(witness = %url, error = %e, size = snap.size, "no cosignature"),
                }
            }
            let got = cfg.witnesses.len().min(lines.len());
            if got >= cfg.min_cosignatures {
                match witness::attach_cosignatures(&snap.checkpoint, &lines) {
                    Ok(note) => {
                        published.set(note, snap.size);
                        done_size = Some(snap.size);
                        tracing::debug!(
                            size = snap.size,
                            cosignatures = got,
                            "published a cosigned checkpoint"
                        );
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot attach cosignatures"),
                }
            }
        }
        tokio::select! {
            // Submitters wait for publication (see `api`): notice a new commit quickly. A check
            // is a snapshot read; witnesses are only called when the tree grew.
            _ = tokio::time::sleep(if done_size == Some(snap.size) { COSIGN_POLL } else { COSIGN_RETRY }) => {}
            _ = stop.changed() => return,
        }
    }
}
