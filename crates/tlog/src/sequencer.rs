//! Batching and durable acknowledgement: [`Sequencer`] collects submissions, hands them to the
//! [`LogWriter`] in batches, and answers each submitter once its batch is committed.
//!
//! A batch is cut when `batch_max_entries` submissions are waiting or `batch_interval` has passed
//! since the previous cut, whichever comes first. While one batch is being written the next one
//! accumulates in the queue; if the write takes longer than the interval, the next batch is cut
//! as soon as it ends (so an entry waits at most one interval plus the writes ahead of it). When the queue (`queue_capacity` submissions) is full, `submit` fails
//! at once with [`Error::QueueFull`] (back-pressure: the server answers 503).
//!
//! Shutdown: when every [`Sequencer`] handle is dropped the task sequences what is queued, then
//! ends, so a graceful shutdown finishes the batch in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};
use crate::log::{LogReader, LogWriter};
use crate::tiles::MAX_ENTRY_BYTES;

/// Batching and queueing parameters.
#[derive(Debug, Clone)]
pub struct SequencerConfig {
    /// Longest time between batches (default 500 ms).
    pub batch_interval: Duration,
    /// A batch is cut as soon as this many submissions wait (default 16 384).
    pub batch_max_entries: usize,
    /// Submissions that may wait before `submit` fails with [`Error::QueueFull`] (default 65 536).
    pub queue_capacity: usize,
    /// Largest accepted entry, in bytes (default and maximum 65 535).
    pub max_entry_bytes: usize,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        Self {
            batch_interval: Duration::from_millis(500),
            batch_max_entries: 16_384,
            queue_capacity: 65_536,
            max_entry_bytes: MAX_ENTRY_BYTES,
        }
    }
}

/// Counters for metrics. All monotonic unless noted.
#[derive(Debug, Default)]
pub struct SequencerStats {
    /// Entries acknowledged (new and duplicate).
    pub acknowledged: AtomicU64,
    /// Acknowledged entries that were already in the log or repeated in their batch.
    pub duplicates: AtomicU64,
    /// Submissions rejected: empty or too large.
    pub rejected_size: AtomicU64,
    /// Submissions rejected: queue full.
    pub rejected_queue_full: AtomicU64,
    /// Batches committed.
    pub batches: AtomicU64,
    /// Duration of the last batch write, in microseconds (gauge).
    pub last_batch_micros: AtomicU64,
    /// Sum of batch write durations, in microseconds.
    pub batch_micros_total: AtomicU64,
    /// Unix time, in milliseconds, of the last committed checkpoint (gauge; 0 = none since start).
    pub last_checkpoint_unix_ms: AtomicU64,
    /// Set when a batch failed; the sequencer has stopped.
    pub failed: AtomicBool,
}

/// What the sequencing task hands its batches to: a [`LogWriter`], or a writer that decides per
/// batch how the batch reaches the log (on shared storage, by sequencing it itself while it holds
/// the sequencer's lease, or by forwarding it to the instance that does).
pub trait BatchWriter: Send + 'static {
    /// Appends a batch durably and returns each entry's index, in order, as
    /// [`LogWriter::append`] does.
    ///
    /// # Errors
    ///
    /// As [`LogWriter::append`]; the task then calls [`BatchWriter::recover`].
    fn append(&mut self, entries: &[Vec<u8>]) -> Result<Vec<u64>>;

    /// Brings the writer back to what storage holds after a failed [`BatchWriter::append`].
    ///
    /// # Errors
    ///
    /// As [`LogWriter::recover`]; the task retries with back-off.
    fn recover(&mut self) -> Result<()>;

    /// The committed tree size, in entries, as this writer knows it.
    fn size(&self) -> u64;
}

impl BatchWriter for LogWriter {
    fn append(&mut self, entries: &[Vec<u8>]) -> Result<Vec<u64>> {
        LogWriter::append(self, entries)
    }

    fn recover(&mut self) -> Result<()> {
        LogWriter::recover(self)
    }

    fn size(&self) -> u64 {
        self.state().size
    }
}

struct Submission {
    entry: Vec<u8>,
    reply: oneshot::Sender<Result<u64>>,
}

/// A handle for submitting entries. Cheap to clone.
#[derive(Clone)]
pub struct Sequencer {
    tx: mpsc::Sender<Submission>,
    reader: LogReader,
    stats: Arc<SequencerStats>,
    max_entry_bytes: usize,
    /// Submissions accepted but not yet cut into a batch; bounded by `capacity`.
    queued: Arc<AtomicUsize>,
    capacity: usize,
}

impl Sequencer {
    /// Starts the sequencing task on the current tokio runtime. The returned future resolves when
    /// every handle has been dropped and the last batch is written (or a batch failed).
    pub fn start(writer: LogWriter, config: SequencerConfig) -> (Self, tokio::task::JoinHandle<Result<()>>) {
        let reader = writer.reader();
        Self::start_with(Box::new(writer), reader, config)
    }

    /// As [`Sequencer::start`], with any [`BatchWriter`]; `reader` is what the handles read (it
    /// must follow the writer's commits).
    pub fn start_with(
        writer: Box<dyn BatchWriter>,
        reader: LogReader,
        config: SequencerConfig,
    ) -> (Self, tokio::task::JoinHandle<Result<()>>) {
        let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
        let stats = Arc::new(SequencerStats::default());
        let queued = Arc::new(AtomicUsize::new(0));
        let handle = Self {
            tx,
            reader,
            stats: stats.clone(),
            max_entry_bytes: config.max_entry_bytes.min(MAX_ENTRY_BYTES),
            queued: queued.clone(),
            capacity: config.queue_capacity.max(1),
        };
        let task = tokio::spawn(run(writer, rx, config, stats, queued));
        (handle, task)
    }

    /// Read access to the committed log.
    pub fn reader(&self) -> &LogReader {
        &self.reader
    }

    /// Counters for metrics.
    pub fn stats(&self) -> &SequencerStats {
        &self.stats
    }

    /// Submissions waiting in the queue (gauge).
    pub fn queue_depth(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Submits one entry and waits until it is durably in the log; returns its index. Submitting
    /// an entry already in the log returns its existing index.
    ///
    /// # Errors
    ///
    /// [`Error::EntrySize`] if the entry is empty or too large; [`Error::QueueFull`] under
    /// back-pressure; [`Error::SequencerStopped`] or a storage error if the batch failed.
    pub async fn submit(&self, entry: Vec<u8>) -> Result<u64> {
        self.enqueue(entry)?.await
    }

    /// Queues one entry now (synchronously, so entries queued one after another are sequenced in
    /// that order) and returns a future that resolves to its index once it is durable.
    ///
    /// # Errors
    ///
    /// As [`Sequencer::submit`], for what can be known before the batch is written.
    pub fn enqueue(&self, entry: Vec<u8>) -> Result<impl std::future::Future<Output = Result<u64>> + use<>> {
        if entry.is_empty() || entry.len() > self.max_entry_bytes {
            self.stats.rejected_size.fetch_add(1, Ordering::Relaxed);
            return Err(Error::EntrySize {
                len: entry.len(),
                max: self.max_entry_bytes,
            });
        }
        if self.stats.failed.load(Ordering::Relaxed) {
            return Err(Error::SequencerStopped);
        }
        // Back-pressure: count the submission in before queueing it, so the queue (channel plus
        // the batch being collected) never exceeds its capacity.
        if self.queued.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            self.stats.rejected_queue_full.fetch_add(1, Ordering::Relaxed);
            return Err(Error::QueueFull);
        }
        let (reply, rx) = oneshot::channel();
        // The channel's capacity equals ours, and the counter gates it, so it cannot be full.
        if self.tx.try_send(Submission { entry, reply }).is_err() {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::SequencerStopped);
        }
        Ok(async move { rx.await.map_err(|_| Error::SequencerStopped)? })
    }
}

async fn run(
    writer: Box<dyn BatchWriter>,
    mut rx: mpsc::Receiver<Submission>,
    config: SequencerConfig,
    stats: Arc<SequencerStats>,
    queued: Arc<AtomicUsize>,
) -> Result<()> {
    let mut writer = Some(writer);
    let max = config.batch_max_entries.max(1);
    let mut closed = false;
    // Cuts follow a fixed cadence measured from the previous cut, not from the end of the
    // previous write: submissions that arrive while a batch is being written are not made to
    // wait a further full interval. (Waiting `interval` after each write capped throughput at
    // `in-flight submissions / (interval + write time)`, about 860 entries/s for 512 clients.)
    let mut deadline = tokio::time::Instant::now() + config.batch_interval;
    // The storage outage in progress, if any: when it began and how many batches it has failed.
    // It is reported once when it begins and once when a batch is committed again, however many
    // batches fail in between (a full disk fails every batch until space is freed).
    let mut outage: Option<(Instant, u64)> = None;
    while !closed {
        let mut batch: Vec<Submission> = Vec::new();
        while batch.len() < max {
            // Take what is already queued without yielding to the timer, so a cut that is due
            // still collects everything that arrived during the previous write.
            match rx.try_recv() {
                Ok(s) => {
                    batch.push(s);
                    continue;
                }
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    closed = true;
                    break;
                }
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            if tokio::time::Instant::now() >= deadline {
                break;
            }
            tokio::select! {
                m = rx.recv() => match m {
                    Some(s) => batch.push(s),
                    None => { closed = true; break; }
                },
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
        // The next cut is one interval after this one, or at once if the write below overruns.
        deadline = tokio::time::Instant::now() + config.batch_interval;
        if batch.is_empty() {
            continue;
        }
        queued.fetch_sub(batch.len(), Ordering::AcqRel);
        let (entries, replies): (Vec<Vec<u8>>, Vec<oneshot::Sender<Result<u64>>>) =
            batch.into_iter().map(|s| (s.entry, s.reply)).unzip();
        let Some(mut w) = writer.take() else { break };
        let old_size = w.size();
        let started = Instant::now();
        // File and database I/O block; keep them off the async workers.
        let joined = tokio::task::spawn_blocking(move || {
            let r = w.append(&entries);
            (w, r, entries.len())
        })
        .await;
        let (w, result, n) = match joined {
            Ok(x) => x,
            Err(e) => {
                stats.failed.store(true, Ordering::Relaxed);
                tracing::error!(error = %e, "sequencing task panicked");
                return Err(Error::SequencerStopped);
            }
        };
        writer = Some(w);
        let micros = started.elapsed().as_micros() as u64;
        match result {
            Ok(indexes) => {
                let size = writer.as_ref().map_or(0, |w| w.size());
                let dups = (n as u64).saturating_sub(size - old_size);
                stats.acknowledged.fetch_add(n as u64, Ordering::Relaxed);
                stats.duplicates.fetch_add(dups, Ordering::Relaxed);
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats.last_batch_micros.store(micros, Ordering::Relaxed);
                stats.batch_micros_total.fetch_add(micros, Ordering::Relaxed);
                let now_ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64);
                stats.last_checkpoint_unix_ms.store(now_ms, Ordering::Relaxed);
                tracing::debug!(entries = n, tree_size = size, micros, "batch committed");
                if let Some((since, failed_batches)) = outage.take() {
                    tracing::info!(
                        failed_batches,
                        seconds = since.elapsed().as_secs_f64(),
                        tree_size = size,
                        "storage works again: batches are committed and acknowledged"
                    );
                }
                for (reply, idx) in replies.into_iter().zip(indexes) {
                    // A submitter that went away (timeout, disconnect) simply misses its answer:
                    // its entry is in the log all the same, and a resubmission finds it.
                    if reply.send(Ok(idx)).is_err() {
                        tracing::debug!(index = idx, "submitter gone before its acknowledgement");
                    }
                }
            }
            Err(e) => {
                // No entry of the batch is acknowledged. We cannot know which writes reached
                // storage: recover from what storage holds, as a restart would (an entry that was
                // committed after all is found again when its submitter resubmits it), retrying
                // until storage works again (space freed, a fault gone). Meanwhile submissions get
                // SequencerStopped (503) at once.
                stats.failed.store(true, Ordering::Relaxed);
                match &mut outage {
                    None => {
                        tracing::error!(
                            error = %e,
                            entries = n,
                            "batch failed: none of its entries is acknowledged; recovering the log \
                             from storage and retrying; submissions get 503 until a batch is \
                             committed again (reported once per outage)"
                        );
                        outage = Some((started, 1));
                    }
                    Some((_, failed)) => {
                        *failed += 1;
                        tracing::debug!(error = %e, entries = n, "batch failed again (same outage)");
                    }
                }
                for reply in replies {
                    if reply.send(Err(Error::SequencerStopped)).is_err() {
                        tracing::debug!("submitter gone before its refusal");
                    }
                }
                let Some(w) = writer.take() else { break };
                let first_of_outage = outage.is_some_and(|(_, failed)| failed == 1);
                match recover(w, &mut rx, first_of_outage).await {
                    Some(w) => writer = Some(w),
                    None => return Err(e),
                }
                stats.failed.store(false, Ordering::Relaxed);
                deadline = tokio::time::Instant::now() + config.batch_interval;
            }
        }
    }
    Ok(())
}

/// First wait between recovery attempts after a failed batch; doubled up to [`RECOVERY_MAX_WAIT`].
const RECOVERY_WAIT: Duration = Duration::from_millis(100);
/// Longest wait between recovery attempts.
const RECOVERY_MAX_WAIT: Duration = Duration::from_secs(5);

/// Recovers `w` after a failed batch ([`LogWriter::recover`]), retrying with back-off until it
/// succeeds; gives up (`None`) only if every submitter has gone (shutdown). The outage itself is
/// reported by the sequencer (when its first batch fails, and when a batch commits again); a
/// failing attempt is a debug event, the first of an outage only (when `report` is set).
async fn recover(
    mut w: Box<dyn BatchWriter>,
    rx: &mut mpsc::Receiver<Submission>,
    report: bool,
) -> Option<Box<dyn BatchWriter>> {
    let mut wait = RECOVERY_WAIT;
    let mut failures = 0u64;
    loop {
        let joined = tokio::task::spawn_blocking(move || {
            let r = w.recover();
            (w, r)
        })
        .await;
        let (back, r) = match joined {
            Ok(x) => x,
            Err(e) => {
                tracing::error!(error = %e, "recovery task panicked");
                return None;
            }
        };
        w = back;
        match r {
            Ok(()) => {
                tracing::debug!(
                    tree_size = w.size(),
                    failed_attempts = failures,
                    "log recovered from storage: trying the next batch"
                );
                return Some(w);
            }
            Err(e) => {
                // The outage was reported when its first batch failed; this is its detail.
                if failures == 0 && report {
                    tracing::debug!(error = %e, "recovery failed; retrying until storage works again");
                }
                failures += 1;
            }
        }
        if rx.is_closed() {
            tracing::error!("shutting down with the log not recovered; the next start recovers it");
            return None;
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(RECOVERY_MAX_WAIT);
    }
}
