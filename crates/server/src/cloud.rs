//! Scale-out storage for the server: the log in PostgreSQL (sequencing state) and an
//! S3-compatible bucket (tiles, bundles, checkpoint), [`tlog_cloud::CloudStorage`], chosen by
//! [`crate::ServerConfig::database_url`] and [`crate::ServerConfig::object_store_url`].
//!
//! Start-up ([`open_cloud_log`]) checks, in order, with an error naming what failed: the
//! database answers and its schema is migrated (sqlx migrations), the bucket answers, the log
//! exists (or is created, by the first instance to start on an empty database), its origin is
//! the signing key's name and its checkpoint verifies under that key (every instance must run
//! with the same key and origin); a bucket holding a checkpoint while the database holds no log
//! is refused. While serving, a probe checks the database and the bucket every
//! [`PROBE_INTERVAL`]; `/healthz` answers 503 naming the one that is down, and `/metrics` has
//! `shieldwatch_storage_up`.
//!
//! Several instances serve one log ([`ClusterWriter`]): any takes submissions; the holder of the
//! sequencer's lease in PostgreSQL sequences (and, on taking the lease, recovers the log and
//! checks its tiles against the committed root, as a restart of the embedded log does); the
//! others forward their batches to it. Readers of any instance, or of the bucket itself, see one
//! history.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tlog::{BatchWriter, LogReader, LogSigner, LogWriter, Storage as _, StorageError};
use tlog_cloud::{CloudConfig, CloudStorage, Lease};

use crate::ServerError;
use crate::client::Client;

/// How often a running server checks that the database and the bucket answer.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(2);

/// A PostgreSQL URL. Shown (`Debug`, logs) without its password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"postgres://{}\"", tlog_cloud::describe_database(&self.0))
    }
}

/// Checks the scale-out settings: both or neither, and URLs of the right kind.
///
/// # Errors
///
/// [`ServerError::Config`] naming the setting.
pub fn validate(
    database_url: Option<&DatabaseUrl>,
    object_store_url: Option<&str>,
) -> Result<(), ServerError> {
    match (database_url, object_store_url) {
        (None, None) => Ok(()),
        (Some(_), None) | (None, Some(_)) => Err(ServerError::Config(
            "database_url and object_store_url must be given together (the scale-out log keeps its \
             sequencing state in PostgreSQL and its tiles in the bucket)"
                .into(),
        )),
        (Some(d), Some(o)) => {
            if !(d.0.starts_with("postgres://") || d.0.starts_with("postgresql://")) {
                return Err(ServerError::Config(format!(
                    "database_url must be a postgres:// URL, got {d:?}"
                )));
            }
            if !o.starts_with("s3://") || o.len() <= "s3://".len() {
                return Err(ServerError::Config(format!(
                    "object_store_url must be s3://BUCKET or s3://BUCKET/PREFIX, got {o:?}"
                )));
            }
            Ok(())
        }
    }
}

/// What the probe last found.
#[derive(Debug)]
pub struct BackendHealth {
    storage: Arc<CloudStorage>,
    database_up: AtomicBool,
    bucket_up: AtomicBool,
    /// Failed probes since start (counter).
    pub failed_probes: AtomicU64,
    /// The last failure, for `/healthz`.
    last_error: Mutex<String>,
}

impl BackendHealth {
    fn new(storage: Arc<CloudStorage>) -> Self {
        Self {
            storage,
            database_up: AtomicBool::new(true),
            bucket_up: AtomicBool::new(true),
            failed_probes: AtomicU64::new(0),
            last_error: Mutex::new(String::new()),
        }
    }

    /// `None` while both answer, else what is down and why.
    pub fn problem(&self) -> Option<String> {
        if self.database_up.load(Ordering::Relaxed) && self.bucket_up.load(Ordering::Relaxed) {
            return None;
        }
        Some(match self.last_error.lock() {
            Ok(e) => e.clone(),
            Err(p) => p.into_inner().clone(),
        })
    }

    /// Probes the database and the bucket once (blocking) and records the outcome.
    pub fn probe(&self) {
        let db = self.storage.check_database();
        let bucket = self.storage.check_bucket();
        self.database_up.store(db.is_ok(), Ordering::Relaxed);
        self.bucket_up.store(bucket.is_ok(), Ordering::Relaxed);
        let errors: Vec<String> = [db, bucket]
            .into_iter()
            .filter_map(Result::err)
            .map(|e| e.to_string())
            .collect();
        if !errors.is_empty() {
            self.failed_probes.fetch_add(1, Ordering::Relaxed);
            let text = format!("storage unreachable: {}", errors.join("; "));
            tracing::warn!(problem = %text, "storage probe failed");
            match self.last_error.lock() {
                Ok(mut e) => *e = text,
                Err(p) => *p.into_inner() = text,
            }
        }
    }

    /// Prometheus lines: `shieldwatch_storage_up` per component, and the failed probes.
    pub fn render(&self, o: &mut String) {
        let up = |b: &AtomicBool| u8::from(b.load(Ordering::Relaxed));
        o.push_str("# HELP shieldwatch_storage_up Whether the scale-out storage answered the last probe (1) or not (0).\n");
        o.push_str("# TYPE shieldwatch_storage_up gauge\n");
        o.push_str(&format!(
            "shieldwatch_storage_up{{component=\"database\"}} {}\n",
            up(&self.database_up)
        ));
        o.push_str(&format!(
            "shieldwatch_storage_up{{component=\"bucket\"}} {}\n",
            up(&self.bucket_up)
        ));
        o.push_str("# HELP shieldwatch_storage_probes_failed_total Storage probes that found the database or the bucket down.\n");
        o.push_str("# TYPE shieldwatch_storage_probes_failed_total counter\n");
        o.push_str(&format!(
            "shieldwatch_storage_probes_failed_total {}\n",
            self.failed_probes.load(Ordering::Relaxed)
        ));
    }
}

/// Probes every [`PROBE_INTERVAL`] until `stop` turns true.
pub async fn probe_loop(health: Arc<BackendHealth>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(PROBE_INTERVAL) => {}
            r = stop.changed() => if r.is_err() || *stop.borrow() { return },
        }
        let h = health.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || h.probe()).await {
            tracing::error!(error = %e, "storage probe task");
        }
    }
}

/// How long a non-sequencing instance keeps trying to hand a batch to the sequencer (the
/// sequencer may have crashed: its lease must expire before another instance takes over).
pub const FORWARD_PATIENCE: Duration = Duration::from_secs(20);
/// Wait between attempts to hand a batch over.
const FORWARD_RETRY: Duration = Duration::from_millis(200);
/// How often a non-sequencing instance reloads the tree head, so its readers follow the log.
pub const FOLLOW_INTERVAL: Duration = Duration::from_millis(500);

/// The scale-out log, opened by [`open_cloud_log`]: what `run_with` needs to serve it.
pub struct CloudLog {
    /// Sequences or forwards each batch (see [`ClusterWriter`]).
    pub writer: ClusterWriter,
    /// The log as this instance serves it to readers.
    pub reader: LogReader,
    /// The storage probe's findings.
    pub health: Arc<BackendHealth>,
    /// This instance's part in the cluster, for `/metrics`.
    pub status: Arc<ClusterStatus>,
}

/// This instance's part in the cluster.
#[derive(Debug)]
pub struct ClusterStatus {
    storage: Arc<CloudStorage>,
    /// Unique per process: the lease holder's name.
    pub id: String,
    /// Where this instance takes forwarded submissions.
    pub url: String,
    sequencing: AtomicBool,
    token: AtomicU64,
    forwarded: AtomicU64,
    terms: AtomicU64,
}

impl ClusterStatus {
    /// Whether this instance held the sequencer's lease at its last batch.
    pub fn sequencing(&self) -> bool {
        self.sequencing.load(Ordering::Relaxed)
    }

    /// Prometheus lines: whether this instance sequences, the lease's fencing token, the
    /// entries forwarded to the sequencer and the terms this instance began as sequencer.
    pub fn render(&self, o: &mut String) {
        o.push_str("# HELP shieldwatch_cluster_sequencing Whether this instance held the sequencer's lease at its last batch (1) or not (0).\n");
        o.push_str("# TYPE shieldwatch_cluster_sequencing gauge\n");
        o.push_str(&format!(
            "shieldwatch_cluster_sequencing {}\n",
            u8::from(self.sequencing())
        ));
        o.push_str("# HELP shieldwatch_cluster_lease_token The fencing token of the sequencer's lease as last seen.\n");
        o.push_str("# TYPE shieldwatch_cluster_lease_token gauge\n");
        o.push_str(&format!(
            "shieldwatch_cluster_lease_token {}\n",
            self.token.load(Ordering::Relaxed)
        ));
        o.push_str("# HELP shieldwatch_cluster_forwarded_entries_total Entries this instance handed to the sequencing instance.\n");
        o.push_str("# TYPE shieldwatch_cluster_forwarded_entries_total counter\n");
        o.push_str(&format!(
            "shieldwatch_cluster_forwarded_entries_total {}\n",
            self.forwarded.load(Ordering::Relaxed)
        ));
        o.push_str("# HELP shieldwatch_cluster_sequencer_terms_total Times this instance took the sequencer's lease.\n");
        o.push_str("# TYPE shieldwatch_cluster_sequencer_terms_total counter\n");
        o.push_str(&format!(
            "shieldwatch_cluster_sequencer_terms_total {}\n",
            self.terms.load(Ordering::Relaxed)
        ));
    }

    /// Gives the lease up if this instance holds it (clean shutdown). Blocking.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub fn release(&self) -> Result<(), StorageError> {
        self.storage.release_lease(&self.id)
    }
}

/// The [`BatchWriter`] of an instance of the scale-out log. For each batch it takes or renews
/// the sequencer's lease ([`CloudStorage::acquire_lease`]): holding it, it sequences the batch
/// itself with a [`LogWriter`] (opened, with crash recovery, each time it becomes the
/// sequencer; its writes carry the lease's fencing token); otherwise it forwards the batch to
/// the holder's `POST /add-batch` and answers with the holder's indexes, so an acknowledged entry
/// is always committed. When the holder does not answer (crashed), it retries for up to
/// [`FORWARD_PATIENCE`], taking the lease itself once it expires.
pub struct ClusterWriter {
    storage: Arc<CloudStorage>,
    signer: LogSigner,
    reader: LogReader,
    writer: Option<(u64, LogWriter)>,
    status: Arc<ClusterStatus>,
    ttl: Duration,
    chunk: usize,
    client: Option<(String, Client)>,
    handle: tokio::runtime::Handle,
}

impl ClusterWriter {
    fn lease(&mut self) -> tlog::Result<Lease> {
        let lease = self
            .storage
            .acquire_lease(&self.status.id, &self.status.url, self.ttl)?;
        match &lease {
            Lease::Held { token } => {
                self.status.token.store(*token, Ordering::Relaxed);
                self.status.sequencing.store(true, Ordering::Relaxed);
            }
            Lease::Other { token, .. } => {
                self.status.token.store(*token, Ordering::Relaxed);
                if self.status.sequencing.swap(false, Ordering::Relaxed) {
                    tracing::info!(token, "the sequencer's lease passed to another instance");
                }
                self.writer = None;
            }
        }
        Ok(lease)
    }

    /// The writer for lease term `token`, opened (with recovery) if the term is new to it.
    fn writer_for(&mut self, token: u64) -> tlog::Result<&mut LogWriter> {
        if self.writer.as_ref().is_none_or(|(t, _)| *t != token) {
            self.writer = None;
            let storage: Arc<dyn tlog::Storage> = self.storage.clone();
            let w = LogWriter::open_following(storage, self.signer.clone(), &self.reader)?;
            self.status.terms.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                token,
                tree_size = w.state().size,
                "sequencing: took the sequencer's lease"
            );
            self.writer = Some((token, w));
        }
        match &mut self.writer {
            Some((_, w)) => Ok(w),
            None => Err(tlog::Error::SequencerStopped),
        }
    }

    /// Hands `entries` to the sequencer at `url`, in requests of at most `chunk` entries.
    fn forward(&mut self, url: &str, entries: &[Vec<u8>]) -> Result<Vec<u64>, ServerError> {
        if self.client.as_ref().is_none_or(|(u, _)| u != url) {
            self.client = Some((url.to_owned(), Client::new(url)?));
        }
        let Some((_, client)) = &self.client else {
            return Err(ServerError::Client("no client".into()));
        };
        let mut out = Vec::with_capacity(entries.len());
        for part in entries.chunks(self.chunk.max(1)) {
            out.extend(self.handle.block_on(client.add_batch(part))?);
        }
        Ok(out)
    }
}

impl BatchWriter for ClusterWriter {
    fn append(&mut self, entries: &[Vec<u8>]) -> tlog::Result<Vec<u64>> {
        let deadline = Instant::now() + FORWARD_PATIENCE;
        let mut attempts = 0u32;
        loop {
            match self.lease()? {
                Lease::Held { token } => return self.writer_for(token)?.append(entries),
                Lease::Other { url, token, .. } => match self.forward(&url, entries) {
                    Ok(indexes) => {
                        self.status
                            .forwarded
                            .fetch_add(entries.len() as u64, Ordering::Relaxed);
                        // Read-your-writes: this instance's readers see the entries at once.
                        self.reader.refresh()?;
                        return Ok(indexes);
                    }
                    Err(e) if Instant::now() < deadline => {
                        if attempts == 0 {
                            tracing::warn!(error = %e, sequencer = url, token, "the sequencer did not take a batch; retrying until its lease expires");
                        }
                        attempts += 1;
                        std::thread::sleep(FORWARD_RETRY);
                    }
                    Err(e) => {
                        return Err(StorageError::Backend {
                            what: format!("forwarding a batch to the sequencer {url}"),
                            source: Box::new(e),
                        }
                        .into());
                    }
                },
            }
        }
    }

    fn recover(&mut self) -> tlog::Result<()> {
        match self.lease()? {
            Lease::Held { token } => {
                if self.writer.as_ref().is_some_and(|(t, _)| *t == token)
                    && let Some((_, w)) = &mut self.writer
                {
                    w.recover()
                } else {
                    self.writer_for(token).map(|_| ())
                }
            }
            Lease::Other { .. } => self.reader.refresh().map(|_| ()),
        }
    }

    fn size(&self) -> u64 {
        self.reader.snapshot().size
    }
}

/// Reloads the tree head every [`FOLLOW_INTERVAL`] until `stop` turns true, so that the readers
/// of a non-sequencing instance follow the log.
pub async fn follow_loop(reader: LogReader, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut failing = false;
    loop {
        tokio::select! {
            () = tokio::time::sleep(FOLLOW_INTERVAL) => {}
            r = stop.changed() => if r.is_err() || *stop.borrow() { return },
        }
        let r = reader.clone();
        match tokio::task::spawn_blocking(move || r.refresh()).await {
            Ok(Ok(_)) => failing = false,
            Ok(Err(e)) => {
                if !failing {
                    tracing::warn!(error = %e, "cannot reload the tree head (the storage probe reports the outage)");
                }
                failing = true;
            }
            Err(e) => tracing::error!(error = %e, "tree head reload task"),
        }
    }
}

/// Opens the scale-out log, with the start-up checks of the module documentation, as one
/// instance of a cluster reachable at `advertise_url`. Blocking: call it outside async code (or
/// in `block_in_place`), but within a tokio runtime (forwarding uses it).
///
/// # Errors
///
/// [`ServerError::Config`] when the settings are missing; [`ServerError::Log`] naming the
/// database or the bucket that failed, or the key or origin that does not match the log.
pub fn open_cloud_log(
    config: &crate::ServerConfig,
    signer: LogSigner,
    advertise_url: &str,
) -> Result<CloudLog, ServerError> {
    open_cloud_log_with(config, signer, advertise_url, Vec::new())
}

/// As [`open_cloud_log`], with S3 settings (`object_store`'s names: `endpoint`, `region`, ...)
/// that win over the `AWS_*` environment variables.
///
/// # Errors
///
/// As [`open_cloud_log`].
pub fn open_cloud_log_with(
    config: &crate::ServerConfig,
    signer: LogSigner,
    advertise_url: &str,
    s3_options: Vec<(String, String)>,
) -> Result<CloudLog, ServerError> {
    let (Some(db), Some(bucket)) = (&config.database_url, &config.object_store_url) else {
        return Err(ServerError::Config(
            "the scale-out log needs database_url and object_store_url".into(),
        ));
    };
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|e| ServerError::Config(format!("the scale-out log needs a tokio runtime: {e}")))?;
    let storage = Arc::new(
        CloudStorage::open(&CloudConfig {
            database_url: db.0.clone(),
            object_store_url: bucket.clone(),
            s3_options,
            ..CloudConfig::default()
        })
        .map_err(tlog::Error::from)?,
    );
    match storage.load_state() {
        Ok(_) => {}
        Err(StorageError::NotInitialised(_)) => {
            // A bucket that holds a checkpoint belongs to a log: a new one must not be started
            // over its tiles because the database is another (or was emptied).
            if storage
                .get_object(tlog::CHECKPOINT_PATH)
                .map_err(tlog::Error::from)?
                .is_some()
            {
                return Err(tlog::Error::Storage(StorageError::Conflict(format!(
                    "{} holds a log's checkpoint but the database {} holds no log: refusing to start \
                     a new log over another's tiles (give the database of that log, or an empty bucket)",
                    storage.bucket(),
                    storage.database()
                )))
                .into());
            }
            match tlog::create_log(storage.as_ref(), &signer) {
                Ok(_) => tracing::info!(
                    origin = signer.name(),
                    database = storage.database(),
                    bucket = storage.bucket(),
                    "created a new, empty log"
                ),
                // Another instance created it meanwhile: open it as any other.
                Err(tlog::Error::Storage(StorageError::AlreadyInitialised(_))) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => return Err(tlog::Error::from(e).into()),
    }
    let state = storage.load_state().map_err(tlog::Error::from)?;
    if state.origin != signer.name() {
        return Err(tlog::Error::BadKey(format!(
            "the log in {} has origin {:?} but this instance's key is named {:?}: every instance \
             must run with the log's key and origin",
            storage.database(),
            state.origin,
            signer.name()
        ))
        .into());
    }
    tlog::verify_checkpoint(&state.checkpoint, signer.verifier_key()).map_err(|e| {
        tlog::Error::BadKey(format!(
            "the log in {} is not signed by this key ({e}): every instance must run with the log's \
             key and origin",
            storage.database()
        ))
    })?;
    let dyn_storage: Arc<dyn tlog::Storage> = storage.clone();
    let reader = LogReader::follow(dyn_storage).map_err(ServerError::Log)?;
    let pid = std::process::id();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let status = Arc::new(ClusterStatus {
        storage: storage.clone(),
        id: format!("{advertise_url} pid {pid} start {nanos}"),
        url: advertise_url.to_owned(),
        sequencing: AtomicBool::new(false),
        token: AtomicU64::new(0),
        forwarded: AtomicU64::new(0),
        terms: AtomicU64::new(0),
    });
    tracing::info!(
        tree_size = state.size,
        database = storage.database(),
        bucket = storage.bucket(),
        instance = status.id,
        "opened the scale-out log"
    );
    let writer = ClusterWriter {
        storage: storage.clone(),
        signer,
        reader: reader.clone(),
        writer: None,
        status: status.clone(),
        ttl: Duration::from_millis(config.lease_ttl_ms),
        chunk: config.max_batch_entries,
        client: None,
        handle,
    };
    Ok(CloudLog {
        writer,
        reader,
        health: Arc::new(BackendHealth::new(storage)),
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_in_pairs_of_the_right_kind() {
        let db = DatabaseUrl("postgres://u:pw@h/d".into());
        validate(None, None).expect("embedded");
        validate(Some(&db), Some("s3://b")).expect("scale-out");
        for (d, o, needle) in [
            (Some(&db), None, "together"),
            (None, Some("s3://b"), "together"),
            (
                Some(&DatabaseUrl("mysql://h/d".into())),
                Some("s3://b"),
                "postgres://",
            ),
            (Some(&db), Some("file:///tmp"), "s3://BUCKET"),
            (Some(&db), Some("s3://"), "s3://BUCKET"),
        ] {
            let e = validate(d, o).expect_err(needle).to_string();
            assert!(e.contains(needle), "{e}");
            assert!(!e.contains("pw"), "password shown: {e}");
        }
        assert_eq!(format!("{db:?}"), "\"postgres://h:5432/d\"");
    }
}
