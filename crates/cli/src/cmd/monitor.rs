//! `shieldwatch monitor`: follows a log server with `verify::monitor::Monitor` (all the checks
//! live there) through an HTTP [`LogSource`], writes each alert with evidence as a file that
//! `shieldwatch verify evidence` checks offline, and prints one JSON line per alert.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use server::ServerError;
use tlog::TileKind;
use tlog::tiles::TilePath;
use verify::evidence::{Clock, Trust};
use verify::monitor::{Alert, Backoff, LogSource, Monitor, MonitorConfig, SourceError, SourceErrorKind};

/// Arguments of `shieldwatch monitor`.
#[derive(Debug, clap::Args)]
pub struct MonitorArgs {
    /// Base URL of the log server.
    #[arg(long, env = "SHIELDWATCH_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// For https URLs (the log and `--peer`s): PEM file of the certificates the servers' must
    /// chain to, trusted instead of the system's roots.
    #[arg(long, env = "SHIELDWATCH_CA")]
    ca: Option<PathBuf>,
    /// Trust file: log key, witness keys and quorum, roster anchors, rules.
    #[arg(long)]
    trust: PathBuf,
    /// Folder for alerts (one evidence bundle per file).
    #[arg(long, default_value = "out/alerts")]
    out: PathBuf,
    /// Process up to the current checkpoint, then exit (exit status 3 if there were alerts, 1 if
    /// the log gave no usable checkpoint).
    #[arg(long)]
    once: bool,
    /// Seconds between polls while the log answers.
    #[arg(long, default_value_t = 5)]
    interval_s: u64,
    /// Longest wait between polls, seconds, while the log is unavailable (the wait starts at
    /// `--interval-s` and doubles after each failed poll).
    #[arg(long, default_value_t = 60)]
    max_backoff_s: u64,
    /// Alert when the log has answered nothing usable (no answer, an error status, a
    /// checkpoint that does not verify or is not cosigned) for this many seconds.
    #[arg(long, default_value_t = 300)]
    unavailable_after_s: u64,
    /// Which clock checkpoint rules use: `witness` (the witnesses' cosignature times, the
    /// quorum-th newest for the rules and the quorum-th oldest for clock-ahead; real deployments) or `log` (the newest statement's time; replays and compressed simulations,
    /// where the clock-ahead check is then meaningless and skipped). Evidence records it.
    #[arg(long, value_enum, default_value_t = ClockArg::Witness)]
    clock: ClockArg,
    /// A checkpoint obtained elsewhere (from a witness, another monitor, a newspaper) to compare
    /// with the log's: a different tree of the same size is a split view. Repeatable.
    #[arg(long = "peer-checkpoint")]
    peer_checkpoints: Vec<PathBuf>,
    /// A base URL whose `/checkpoint` serves this log's checkpoint as someone else sees it: a
    /// witness (`http://witness/<sha256(origin) hex>`), a mirror or another monitor. Checked at
    /// every poll like `--peer-checkpoint`. Repeatable.
    #[arg(long = "peer")]
    peers: Vec<String>,
}

/// Clock for checkpoint rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClockArg {
    /// Witness cosignature time.
    Witness,
    /// Newest statement time.
    Log,
}

/// A log read over HTTP: the tlog-tiles objects (checkpoint, entry bundles, hash tiles), so a
/// log served straight from its bucket can be followed. Proofs are computed from the hash tiles
/// (`tlog::tileproof`) against the root of a checkpoint this source has seen (the log's, or a
/// peer's handed to [`HttpSource::remember`]); only when that fails is a log server's proof
/// endpoint asked. Nothing here is trusted: the monitor verifies every proof.
pub struct HttpSource {
    client: server::client::Client,
    rt: tokio::runtime::Runtime,
    /// Roots by tree size of the checkpoints seen (unverified; the newest per size).
    roots: std::collections::HashMap<u64, tlog::Hash>,
}

impl HttpSource {
    /// A source for the log at `url` (for https, trusting the certificates of `ca`).
    ///
    /// # Errors
    ///
    /// If the HTTP client or its runtime cannot be built.
    pub fn new(url: &str, ca: Option<&std::path::Path>) -> anyhow::Result<Self> {
        Ok(Self {
            client: server::client::Client::with_ca(url, ca)?,
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
            roots: std::collections::HashMap::new(),
        })
    }

    /// Notes the size and root of a checkpoint (from a peer) so proofs to it can be computed
    /// from tiles; a malformed note is ignored here (the monitor reports it).
    pub fn remember(&mut self, note: &[u8]) {
        if let Ok((size, root)) = tlog::checkpoint::peek_checkpoint(note) {
            self.roots.insert(size, root);
        }
    }

    /// GETs `tiles` concurrently; the answers in order.
    fn get_all(&self, tiles: Vec<TilePath>) -> Vec<Result<Vec<u8>, ServerError>> {
        self.rt.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for (i, tile) in tiles.into_iter().enumerate() {
                let client = self.client.clone();
                set.spawn(async move { (i, client.tile(&tile).await) });
            }
            let mut out: Vec<Option<Result<Vec<u8>, ServerError>>> = Vec::new();
            out.resize_with(set.len(), || None);
            while let Some(joined) = set.join_next().await {
                match joined {
                    Ok((i, r)) => {
                        if let Some(slot) = out.get_mut(i) {
                            *slot = Some(r);
                        }
                    }
                    // A fetch task that panicked or was cancelled: its slot stays empty.
                    Err(e) => eprintln!("monitor: a tile fetch failed: {e}"),
                }
            }
            out.into_iter()
                .map(|r| r.unwrap_or_else(|| Err(ServerError::Unreachable("a tile fetch was lost".into()))))
                .collect()
        })
    }

    /// A proof from the hash tiles of the tree of `size` entries, if its root is known.
    fn proof_from_tiles(
        &self,
        size: u64,
        prove: impl FnOnce(&Self, tlog::Hash) -> tlog::Result<Vec<tlog::Hash>>,
    ) -> Result<Vec<tlog::Hash>, SourceError> {
        let root = self.roots.get(&size).copied().ok_or_else(|| {
            SourceError::new(
                SourceErrorKind::Malformed,
                format!("no checkpoint of size {size} seen to compute a proof from tiles"),
            )
        })?;
        prove(self, root).map_err(|e| match e {
            tlog::Error::Storage(s) => SourceError::new(SourceErrorKind::Unreachable, s.to_string()),
            other => SourceError::new(SourceErrorKind::Malformed, other.to_string()),
        })
    }
}

impl tlog::tileproof::TileSource for HttpSource {
    fn fetch(&self, tiles: &[TilePath]) -> tlog::Result<Vec<Vec<u8>>> {
        self.get_all(tiles.to_vec())
            .into_iter()
            .zip(tiles)
            .map(|(r, t)| {
                r.map_err(|e| {
                    tlog::Error::Storage(tlog::StorageError::Backend {
                        what: format!("GET {}", t.to_path()),
                        source: Box::new(e),
                    })
                })
            })
            .collect()
    }
}

/// The kind of a client error, for the monitor.
fn source_error(e: ServerError) -> SourceError {
    let kind = match &e {
        ServerError::Unreachable(_) => SourceErrorKind::Unreachable,
        ServerError::Status { status, .. } => SourceErrorKind::Status(*status),
        _ => SourceErrorKind::Malformed,
    };
    SourceError::new(kind, e.to_string())
}

impl LogSource for HttpSource {
    fn checkpoint(&mut self) -> Result<Vec<u8>, SourceError> {
        let note = self.rt.block_on(self.client.checkpoint()).map_err(source_error)?;
        self.remember(&note);
        Ok(note)
    }

    fn entry_bundle(&mut self, n: u64, tree_size: u64) -> Result<Vec<u8>, SourceError> {
        let tile = TilePath::for_tree(TileKind::Entries, n, tree_size).ok_or_else(|| {
            SourceError::new(
                SourceErrorKind::Malformed,
                format!("no entry bundle {n} in a tree of {tree_size} entries"),
            )
        })?;
        self.rt.block_on(self.client.tile(&tile)).map_err(source_error)
    }

    fn entry_bundles(
        &mut self,
        ns: std::ops::Range<u64>,
        tree_size: u64,
    ) -> Result<Vec<Vec<u8>>, SourceError> {
        // Concurrent GETs (as many as asked for: `verify::monitor::FETCH_AHEAD`), answers in
        // order.
        let mut tiles = Vec::new();
        for n in ns {
            tiles.push(
                TilePath::for_tree(TileKind::Entries, n, tree_size).ok_or_else(|| {
                    SourceError::new(
                        SourceErrorKind::Malformed,
                        format!("no entry bundle {n} in a tree of {tree_size} entries"),
                    )
                })?,
            );
        }
        self.get_all(tiles)
            .into_iter()
            .map(|r| r.map_err(source_error))
            .collect()
    }

    fn consistency(&mut self, old: u64, new: u64) -> Result<Vec<tlog::Hash>, SourceError> {
        let tiles = self.proof_from_tiles(new, |s, root| {
            tlog::tileproof::prove_consistency(s, old, new, root)
        });
        let Err(tile_error) = tiles else {
            return tiles;
        };
        // A log server also answers proof requests; a bucket does not.
        let p = match self.rt.block_on(self.client.consistency(old, Some(new))) {
            Ok(p) => p,
            Err(e) => {
                return Err(SourceError::new(
                    tile_error.kind,
                    format!("{tile_error}; and the proof endpoint: {e}"),
                ));
            }
        };
        server::client::parse_hashes(&p.proof).map_err(source_error)
    }

    fn inclusion(&mut self, index: u64, size: u64) -> Result<Vec<tlog::Hash>, SourceError> {
        let tiles = self.proof_from_tiles(size, |s, root| {
            tlog::tileproof::prove_inclusion(s, size, root, index)
        });
        let Err(tile_error) = tiles else {
            return tiles;
        };
        let p = match self.rt.block_on(self.client.inclusion(index, Some(size))) {
            Ok(p) => p,
            Err(e) => {
                return Err(SourceError::new(
                    tile_error.kind,
                    format!("{tile_error}; and the proof endpoint: {e}"),
                ));
            }
        };
        server::client::parse_hashes(&p.proof).map_err(source_error)
    }
}

/// Runs `shieldwatch monitor`.
pub fn run(a: &MonitorArgs) -> anyhow::Result<ExitCode> {
    let trust = Trust::load(&a.trust)?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let config = MonitorConfig {
        clock: match a.clock {
            ClockArg::Witness => Clock::Witness,
            ClockArg::Log => Clock::Log,
        },
        unavailable_after_ms: i64::try_from(a.unavailable_after_s.saturating_mul(1000)).unwrap_or(i64::MAX),
    };
    let mut m = Monitor::new(trust, config)?;
    let mut src = HttpSource::new(&a.url, a.ca.as_deref())?;
    let mut backoff = Backoff::new(
        a.interval_s.saturating_mul(1000),
        a.max_backoff_s.saturating_mul(1000),
    );
    let mut alerts = 0usize;
    loop {
        let polled = m.poll(&mut src, now_ms())?;
        for alert in &polled.alerts {
            alerts += 1;
            report(&a.out, alerts, alert)?;
        }
        if let Some(e) = &polled.error {
            eprintln!("monitor: log unavailable: {e}");
        }
        for p in &a.peer_checkpoints {
            let note = crate::input::read_bounded(p, crate::input::MAX_CHECKPOINT_BYTES, "a checkpoint")?;
            src.remember(&note);
            for alert in m.compare_peer(&mut src, &note)? {
                alerts += 1;
                report(&a.out, alerts, &alert)?;
            }
        }
        for url in &a.peers {
            match HttpSource::new(url, a.ca.as_deref())?.checkpoint() {
                Ok(note) => {
                    src.remember(&note);
                    match m.compare_peer(&mut src, &note) {
                        Ok(found) => {
                            for alert in found {
                                alerts += 1;
                                report(&a.out, alerts, &alert)?;
                            }
                        }
                        Err(e) => eprintln!("monitor: peer {url}: {e}"),
                    }
                }
                Err(e) => eprintln!("monitor: peer {url}: {e}"),
            }
        }
        if a.once {
            if let Some(e) = polled.error {
                anyhow::bail!("the log gave no usable checkpoint: {e}");
            }
            break;
        }
        let wait_ms = if polled.available {
            backoff.reset();
            a.interval_s.saturating_mul(1000)
        } else {
            backoff.next_delay_ms()
        };
        std::thread::sleep(Duration::from_millis(wait_ms));
    }
    eprintln!(
        "monitor: {} entries checked, {} alert(s) in {}",
        m.entries_checked(),
        alerts,
        a.out.display()
    );
    Ok(if alerts > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Writes an alert's evidence (if it has any) and prints its JSON line.
fn report(out: &Path, n: usize, alert: &Alert) -> anyhow::Result<()> {
    let kind = alert.name();
    let line = match alert {
        Alert::Finding(ev) => {
            let name = format!(
                "alert-{n:04}-{}-{}.json",
                ev.finding.index,
                kind.replace(':', "-")
            );
            write_json(&out.join(&name), &serde_json::to_value(ev)?)?;
            serde_json::json!({"alert": kind, "index": ev.finding.index, "summary": ev.finding.summary, "evidence": name})
        }
        Alert::Log(ev) => {
            let name = format!("alert-{n:04}-log-{kind}.json");
            write_json(&out.join(&name), &serde_json::to_value(ev)?)?;
            serde_json::json!({"alert": kind, "lost": ev.lost, "evidence": name})
        }
        Alert::PeerInconsistent {
            peer_size,
            our_size,
            reason,
        } => {
            serde_json::json!({"alert": kind, "peer_size": peer_size, "our_size": our_size, "reason": reason})
        }
        Alert::Unavailable {
            since_ms,
            for_ms,
            error,
        } => {
            serde_json::json!({"alert": kind, "since_ms": since_ms, "for_s": for_ms / 1000, "error": error.to_string()})
        }
    };
    outln!("{line}")?;
    Ok(())
}

/// Writes JSON atomically (temporary file, fsync, rename).
fn write_json(path: &Path, v: &serde_json::Value) -> anyhow::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let mut f = std::fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
    std::io::Write::write_all(&mut f, serde_json::to_string_pretty(v)?.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
