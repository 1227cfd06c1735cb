//! Prometheus text exposition (format 0.0.4) of the log's counters, written by hand: a handful of
//! counters and gauges do not justify a metrics framework.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tlog::{Sequencer, Snapshot};

use crate::conn::ConnStats;

/// Upper bounds, in seconds, of the acknowledgement-latency histogram buckets (plus `+Inf`).
pub const LATENCY_BUCKETS: [f64; 12] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0];

/// Server-side counters (the sequencer keeps its own).
#[derive(Debug, Default)]
pub struct Metrics {
    rejected_too_large: AtomicU64,
    rejected_empty: AtomicU64,
    rejected_framing: AtomicU64,
    rejected_unpublished: AtomicU64,
    rejected_content_type: AtomicU64,
    rejected_unavailable: AtomicU64,
    rejected_other: AtomicU64,
    rejected_admission: AtomicU64,
    /// Requests refused by the per-address limit (any route).
    rate_limited_address: AtomicU64,
    /// Submissions refused by the per-signer limit.
    rate_limited_signer: AtomicU64,
    /// Duplicates answered before reaching the sequencer (with admission control, an entry
    /// already in the log, or repeated in its batch, is answered by the server itself).
    duplicates_answered: AtomicU64,
    /// Acknowledgements with latency ≤ each bucket bound (not cumulative; summed when rendered).
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_micros_sum: AtomicU64,
}

impl Metrics {
    /// Records the time from a submission's arrival in the queue to its durable acknowledgement.
    pub fn observe_ack(&self, latency: std::time::Duration) {
        let s = latency.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&b| s <= b) {
            self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_micros_sum
            .fetch_add(latency.as_micros() as u64, Ordering::Relaxed);
    }

    /// Counts `n` duplicate submissions acknowledged by the server without the sequencer.
    pub fn duplicates_answered(&self, n: u64) {
        self.duplicates_answered.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts a request refused with 429 by the per-address limit.
    pub fn rate_limited_address(&self) {
        self.rate_limited_address.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a submission refused with 429 by the per-signer limit.
    pub fn rate_limited_signer(&self) {
        self.rate_limited_signer.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a rejected submission by reason (`too_large`, `empty`, `framing` (a truncated
    /// batch), `unpublished` (logged, but not yet in a cosigned checkpoint), `content_type`, `unavailable`, `admission`, `rate_limited` (the per-signer limit,
    /// counted in `shieldwatch_http_rate_limited_total`); anything else counts as `error`).
    pub fn rejected(&self, reason: &str) {
        let c = match reason {
            "too_large" => &self.rejected_too_large,
            "empty" => &self.rejected_empty,
            "framing" => &self.rejected_framing,
            "unpublished" => &self.rejected_unpublished,
            "content_type" => &self.rejected_content_type,
            "unavailable" => &self.rejected_unavailable,
            "admission" => &self.rejected_admission,
            "rate_limited" => &self.rate_limited_signer,
            _ => &self.rejected_other,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Renders all metrics.
    ///
    /// `cosigned_age` is `None` without witness cosigning, `Some(None)` before the first cosigned
    /// checkpoint, and `Some(Some(seconds))` after.
    pub fn render(&self, seq: &Sequencer, snap: &Snapshot, cosigned_age: Option<Option<f64>>) -> String {
        let s = seq.stats();
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut o = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
            o.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}"));
            o.push('\n');
            for (labels, v) in samples {
                o.push_str(&format!("{name}{labels} {v}"));
                o.push('\n');
            }
        };
        metric(
            "shieldwatch_log_entries_acknowledged_total",
            "counter",
            "Entries acknowledged after a durable commit (including duplicates).",
            &[("", (l(&s.acknowledged) + l(&self.duplicates_answered)) as f64)],
        );
        metric(
            "shieldwatch_log_duplicates_total",
            "counter",
            "Acknowledged entries that were already in the log.",
            &[("", (l(&s.duplicates) + l(&self.duplicates_answered)) as f64)],
        );
        metric(
            "shieldwatch_log_rejected_total",
            "counter",
            "Submissions rejected, by reason.",
            &[
                ("{reason=\"too_large\"}", l(&self.rejected_too_large) as f64),
                ("{reason=\"empty\"}", l(&self.rejected_empty) as f64),
                ("{reason=\"framing\"}", l(&self.rejected_framing) as f64),
                ("{reason=\"unpublished\"}", l(&self.rejected_unpublished) as f64),
                ("{reason=\"content_type\"}", l(&self.rejected_content_type) as f64),
                ("{reason=\"queue_full\"}", l(&s.rejected_queue_full) as f64),
                ("{reason=\"unavailable\"}", l(&self.rejected_unavailable) as f64),
                ("{reason=\"admission\"}", l(&self.rejected_admission) as f64),
                ("{reason=\"error\"}", l(&self.rejected_other) as f64),
            ],
        );
        metric(
            "shieldwatch_http_rate_limited_total",
            "counter",
            "Requests answered 429 by a rate limit (address: any request; signer: submissions).",
            &[
                ("{limit=\"address\"}", l(&self.rate_limited_address) as f64),
                ("{limit=\"signer\"}", l(&self.rate_limited_signer) as f64),
            ],
        );
        metric(
            "shieldwatch_log_queue_depth",
            "gauge",
            "Submissions waiting for a batch.",
            &[("", seq.queue_depth() as f64)],
        );
        metric(
            "shieldwatch_log_tree_size",
            "gauge",
            "Entries in the latest checkpoint.",
            &[("", snap.size as f64)],
        );
        metric(
            "shieldwatch_log_batches_total",
            "counter",
            "Batches committed.",
            &[("", l(&s.batches) as f64)],
        );
        metric(
            "shieldwatch_log_sequencing_seconds_total",
            "counter",
            "Time spent writing batches (tiles, fsync, commit), in seconds.",
            &[("", l(&s.batch_micros_total) as f64 / 1e6)],
        );
        metric(
            "shieldwatch_log_last_batch_seconds",
            "gauge",
            "Time the last batch took to write, in seconds.",
            &[("", l(&s.last_batch_micros) as f64 / 1e6)],
        );
        let last = l(&s.last_checkpoint_unix_ms);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let age = if last == 0 {
            -1.0
        } else {
            now.saturating_sub(last) as f64 / 1e3
        };
        metric(
            "shieldwatch_log_checkpoint_age_seconds",
            "gauge",
            "Seconds since the last checkpoint was committed by this process (-1: none yet).",
            &[("", age)],
        );
        metric(
            "shieldwatch_log_sequencer_up",
            "gauge",
            "1 while the sequencer takes entries, 0 while it recovers from a storage error (a full disk) or after it stopped.",
            &[(
                "",
                if s.failed.load(Ordering::Relaxed) {
                    0.0
                } else {
                    1.0
                },
            )],
        );
        if let Some(age) = cosigned_age {
            let name = "shieldwatch_log_witness_cosignature_age_seconds";
            o.push_str(&format!(
                "# HELP {name} Seconds since the latest witness-cosigned checkpoint was published \
                 (-1: none yet).\n# TYPE {name} gauge\n{name} {}",
                age.unwrap_or(-1.0)
            ));
            o.push('\n');
        }
        {
            let name = "shieldwatch_log_sequencing_latency_seconds";
            o.push_str(&format!(
                "# HELP {name} Time from a submission entering the queue to its durable \
                 acknowledgement.\n# TYPE {name} histogram"
            ));
            o.push('\n');
            let mut cumulative = 0;
            for (b, c) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
                cumulative += l(c);
                o.push_str(&format!("{name}_bucket{{le=\"{b}\"}} {cumulative}"));
                o.push('\n');
            }
            let count = l(&self.latency_count);
            o.push_str(&format!("{name}_bucket{{le=\"+Inf\"}} {count}"));
            o.push('\n');
            o.push_str(&format!(
                "{name}_sum {}",
                l(&self.latency_micros_sum) as f64 / 1e6
            ));
            o.push('\n');
            o.push_str(&format!("{name}_count {count}"));
            o.push('\n');
        }
        o
    }
}

/// Appends the connection gauges and counters of the main listener (`listener="main"`) and the
/// metrics listener (`listener="metrics"`, zero without one).
pub fn render_connections(o: &mut String, main: &ConnStats, ops: &ConnStats) {
    let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
    for (name, kind, help, pick) in [
        (
            "shieldwatch_http_connections_open",
            "gauge",
            "Connections being served.",
            (|c: &ConnStats| &c.open) as fn(&ConnStats) -> &AtomicU64,
        ),
        (
            "shieldwatch_http_connections_refused_total",
            "counter",
            "Connections refused with 503 because max_connections were open.",
            |c: &ConnStats| &c.refused,
        ),
    ] {
        o.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        o.push_str(&format!("{name}{{listener=\"main\"}} {}\n", l(pick(main))));
        o.push_str(&format!("{name}{{listener=\"metrics\"}} {}\n", l(pick(ops))));
    }
}
