//! `shieldwatch monitor`: follows a log server, checks every checkpoint (log signature, witness
//! quorum, consistency with the last one, split views against checkpoints seen elsewhere), keeps
//! its own replica of the tree, replays every entry through the compliance engine and writes
//! each alert as an evidence bundle that `shieldwatch verify evidence` checks offline.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tlog::tiles::TILE_WIDTH;
use tlog::{MemoryTree, TileKind, TilePath};
use verify::engine::{Engine, Finding};
use verify::evidence::{self, Trust};
use verify::logwatch::{LogWatch, Misbehaviour, Observation, Seen};
use verify::roster::Registry;

/// Arguments of `shieldwatch monitor`.
#[derive(Debug, clap::Args)]
pub struct MonitorArgs {
    /// Base URL of the log server.
    #[arg(long, env = "SHIELDWATCH_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Trust file: log key, witness keys and quorum, roster anchors, rules.
    #[arg(long)]
    trust: PathBuf,
    /// Folder for alerts (one evidence bundle per file).
    #[arg(long, default_value = "out/alerts")]
    out: PathBuf,
    /// Process up to the current checkpoint, then exit (exit status 3 if there were alerts).
    #[arg(long)]
    once: bool,
    /// Seconds between polls.
    #[arg(long, default_value_t = 5)]
    interval_s: u64,
    /// Which clock checkpoint rules use: `witness` (the newest witness cosignature; real
    /// deployments) or `log` (the newest statement's time; replays and compressed simulations,
    /// where the clock-ahead check is then meaningless and skipped).
    #[arg(long, value_enum, default_value_t = Clock::Witness)]
    clock: Clock,
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
pub enum Clock {
    /// Witness cosignature time.
    Witness,
    /// Newest statement time.
    Log,
}

/// Runs `shieldwatch monitor`.
pub fn run(a: &MonitorArgs) -> anyhow::Result<ExitCode> {
    let trust = Trust::load(&a.trust)?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(follow(a, trust))
}

struct Monitor {
    client: server::client::Client,
    trust: Trust,
    watch: LogWatch,
    engine: Engine,
    replica: MemoryTree,
    entries: Vec<Vec<u8>>,
    alerts: usize,
    out: PathBuf,
    clock: Clock,
}

async fn follow(a: &MonitorArgs, trust: Trust) -> anyhow::Result<ExitCode> {
    let client = server::client::Client::new(&a.url)?;
    let engine = Engine::new(Registry::new(trust.anchors.clone())?, Arc::clone(&trust.rules));
    let mut m = Monitor {
        client,
        watch: LogWatch::new(
            trust.log_key.clone(),
            trust.witness_keys.clone(),
            trust.min_cosignatures,
        ),
        trust,
        engine,
        replica: MemoryTree::new(),
        entries: Vec::new(),
        alerts: 0,
        out: a.out.clone(),
        clock: a.clock,
    };
    loop {
        let fatal = m.poll().await?;
        for p in &a.peer_checkpoints {
            let note = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
            m.compare_peer(&note).await?;
        }
        for url in &a.peers {
            match server::client::Client::new(url)?.checkpoint().await {
                Ok(note) => m.compare_peer(&note).await?,
                Err(e) => eprintln!("monitor: peer {url}: {e}"),
            }
        }
        if fatal || a.once {
            break;
        }
        tokio::time::sleep(Duration::from_secs(a.interval_s)).await;
    }
    eprintln!(
        "monitor: {} entries checked, {} alert(s) in {}",
        m.entries.len(),
        m.alerts,
        m.out.display()
    );
    Ok(if m.alerts > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

impl Monitor {
    /// One poll. Returns true when the log has misbehaved (nothing further can be trusted).
    async fn poll(&mut self) -> anyhow::Result<bool> {
        let note = self.client.checkpoint().await?;
        let proof = match self.watch.latest() {
            Some(l) => {
                let cp = tlog::verify_checkpoint(&note, &self.trust.log_key)?;
                if cp.size == l.size || l.size == 0 {
                    Vec::new()
                } else {
                    let (o, n) = if cp.size > l.size {
                        (l.size, cp.size)
                    } else {
                        (cp.size, l.size)
                    };
                    let p = self.client.consistency(o, Some(n)).await?;
                    server::client::parse_hashes(&p.proof)?
                }
            }
            None => Vec::new(),
        };
        match self.watch.observe(&note, &proof)? {
            Observation::Advanced(seen) => {
                self.catch_up(&seen).await?;
                Ok(false)
            }
            Observation::Unchanged | Observation::Older => Ok(false),
            Observation::Misbehaviour(kind, old, new) => {
                self.log_misbehaviour(kind, &old, &new).await?;
                Ok(true)
            }
        }
    }

    /// Fetches the new entries of `seen`, checks them against its root, runs the engine.
    async fn catch_up(&mut self, seen: &Seen) -> anyhow::Result<()> {
        let start = self.entries.len() as u64;
        let mut fresh: Vec<Vec<u8>> = Vec::new();
        let mut i = start;
        while i < seen.size {
            let tile = TilePath::for_tree(TileKind::Entries, i / u64::from(TILE_WIDTH), seen.size)
                .context("entry bundle path")?;
            let bundle = tlog::tiles::decode_bundle(&self.client.tile(&tile).await?)?;
            let first = (i / u64::from(TILE_WIDTH)) * u64::from(TILE_WIDTH);
            for (k, e) in (first..).zip(bundle) {
                if k >= i && k < seen.size {
                    fresh.push(e);
                }
            }
            i = first + u64::from(TILE_WIDTH);
        }
        for e in &fresh {
            self.replica.push(e)?;
        }
        if self.replica.root(seen.size)? != seen.root {
            bail!(
                "the entries served do not hash to the signed root of size {}",
                seen.size
            );
        }
        let mut findings: Vec<Finding> = Vec::new();
        for (k, e) in fresh.into_iter().enumerate() {
            let idx = start + k as u64;
            findings.extend(self.engine.entry(idx, &e));
            self.entries.push(e);
        }
        let now_ms = match self.clock {
            Clock::Witness => i64::try_from(seen.cosigned_s)
                .unwrap_or(i64::MAX)
                .saturating_mul(1000),
            Clock::Log => self.engine.latest_time_ms(),
        };
        findings.extend(self.engine.checkpoint(seen.size, now_ms));
        for f in findings {
            self.alert(&f, seen)?;
        }
        Ok(())
    }

    fn alert(&mut self, f: &Finding, seen: &Seen) -> anyhow::Result<()> {
        let ev = evidence::build(
            f,
            &self.trust.rules,
            &seen.note,
            self.engine.roster_indexes(),
            |i| {
                self.entries
                    .get(i as usize)
                    .cloned()
                    .ok_or_else(|| verify::Error::Log(format!("no entry {i}")))
            },
            |i| {
                tlog::merkle::prove_inclusion(seen.size, i, &self.replica)
                    .map_err(|e| verify::Error::Log(e.to_string()))
            },
        )?;
        self.alerts += 1;
        let name = format!(
            "alert-{:04}-{}-{}.json",
            self.alerts,
            f.index,
            f.kind.name().replace(':', "-")
        );
        write_json(&self.out.join(&name), &serde_json::to_value(&ev)?)?;
        println!(
            "{}",
            serde_json::json!({"alert": f.kind.name(), "index": f.index, "summary": f.summary, "evidence": name})
        );
        Ok(())
    }

    async fn log_misbehaviour(&mut self, kind: Misbehaviour, old: &Seen, new: &Seen) -> anyhow::Result<()> {
        let ev = match kind {
            Misbehaviour::SplitView => LogWatch::split_view(old, new),
            Misbehaviour::RewrittenHistory => {
                // Find an index whose entry differs between our replica and the new tree.
                let mut found = None;
                for i in 0..old.size.min(new.size) {
                    let e = self.client.entry(i, new.size).await?;
                    if Some(&e) != self.entries.get(i as usize) {
                        let p = self.client.inclusion(i, Some(new.size)).await?;
                        found = Some((i, e, server::client::parse_hashes(&p.proof)?));
                        break;
                    }
                }
                let (i, e, p) = found.context("rewritten history: no differing entry found")?;
                let mine = self.entries.get(i as usize).cloned().unwrap_or_default();
                let my_proof = tlog::merkle::prove_inclusion(old.size, i, &self.replica)?;
                LogWatch::equivocation(old, new, i, (&mine, &my_proof), (&e, &p))
            }
        };
        self.alerts += 1;
        let name = format!(
            "alert-{:04}-log-{}.json",
            self.alerts,
            serde_json::to_value(kind)?.as_str().unwrap_or("misbehaviour")
        );
        write_json(&self.out.join(&name), &serde_json::to_value(&ev)?)?;
        println!("{}", serde_json::json!({"alert": kind, "evidence": name}));
        Ok(())
    }

    /// Compares a checkpoint seen elsewhere with the log's: the same size with another root is a
    /// split view (self-contained evidence); another size must be consistent with ours by the
    /// log's own proof.
    async fn compare_peer(&mut self, note: &[u8]) -> anyhow::Result<()> {
        let Some(latest) = self.watch.latest().cloned() else {
            return Ok(());
        };
        let cp = evidence::verify_cosigned(note, &self.trust.log_key, &[], 0)?;
        if cp.size != latest.size && cp.size > 0 && latest.size > 0 {
            let (o_size, o_root, n_size, n_root) = if cp.size < latest.size {
                (cp.size, cp.root, latest.size, latest.root)
            } else {
                (latest.size, latest.root, cp.size, cp.root)
            };
            let p = self.client.consistency(o_size, Some(n_size)).await?;
            let proof = server::client::parse_hashes(&p.proof)?;
            if tlog::merkle::verify_consistency(&proof, o_size, o_root, n_size, n_root).is_err() {
                self.alerts += 1;
                println!(
                    "{}",
                    serde_json::json!({"alert": "inconsistent_peer_checkpoint", "peer_size": cp.size, "our_size": latest.size})
                );
            }
            return Ok(());
        }
        if cp.size == latest.size && cp.root != latest.root {
            let other = Seen {
                size: cp.size,
                root: cp.root,
                note: note.to_vec(),
                cosigned_s: 0,
            };
            let ev = LogWatch::split_view(&latest, &other);
            self.alerts += 1;
            let name = format!("alert-{:04}-log-split_view.json", self.alerts);
            write_json(&self.out.join(&name), &serde_json::to_value(&ev)?)?;
            println!("{}", serde_json::json!({"alert": "split_view", "evidence": name}));
        }
        Ok(())
    }
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
