//! The verification view's server side: the logs read as a client (`server::client::Client`, as the
//! monitor reads them; the log server gains no endpoint), the monitor's alert files and the trust file.
//!
//! Nothing a log serves is trusted: a checkpoint is checked against the trust file's log key and
//! witness keys, and the entries behind the timelines must hash to the root of that checkpoint. The
//! evidence bundles are served as written, for the browser to check against the trust file itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use server::ServerError;
use server::client::Client;
use signed_note::{Note, VerifierList};
use tlog::tiles::{TILE_WIDTH, TileKind, TilePath, decode_bundle};
use verify::evidence::{EVIDENCE_SCHEMA, Evidence, TrustFile};
use verify::logwatch::{LOG_EVIDENCE_SCHEMA, LogEvidence, Misbehaviour};
use verify::roster::ROSTER_SCHEMA;
use verify::statement::Statement;

use crate::DashboardError;
use crate::model::{
    AgreedRules, AlertSummary, AlertsView, CheckView, CosignatureView, GapView, LogStatus, ReadingView,
    SensorTimeline, TimelinesView, TrustView, Undecodable, VerificationView,
};

/// What the verification view reads, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct VerificationConfig {
    /// Log URLs (`--log`).
    pub logs: Vec<String>,
    /// The monitor's alert folder (`--monitor-dir`).
    pub monitor_dir: Option<PathBuf>,
    /// The trust file (`--trust`); required with logs or a monitor folder.
    pub trust: Option<PathBuf>,
    /// The sensors' reporting period, s.
    pub period_s: u64,
}

/// The loaded configuration: a client per log and the trust file's keys.
#[derive(Debug)]
pub struct Verification {
    logs: Vec<(String, Client)>,
    monitor_dir: Option<PathBuf>,
    trust: Option<TrustView>,
    period_s: u64,
}

/// Why the configuration cannot be used (reported before the dashboard listens).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl Verification {
    /// Loads the trust file (checked as `shieldwatch verify evidence` loads it, rules included) and
    /// makes a client per log.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the problem: a log or monitor folder without a trust file, a trust file
    /// that does not load, a log URL a client cannot be made for, a period of 0, a monitor folder that
    /// is not a folder.
    pub fn load(cfg: &VerificationConfig) -> Result<Self, ConfigError> {
        if cfg.period_s == 0 {
            return Err(ConfigError("the reporting period must be at least 1 s".into()));
        }
        if cfg.trust.is_none() && (!cfg.logs.is_empty() || cfg.monitor_dir.is_some()) {
            return Err(ConfigError(
                "reading logs or alerts needs a trust file (--trust FILE): nothing is shown unchecked".into(),
            ));
        }
        let trust = match &cfg.trust {
            None => None,
            Some(path) => Some(load_trust(path)?),
        };
        if let Some(dir) = &cfg.monitor_dir
            && !dir.is_dir()
        {
            return Err(ConfigError(format!(
                "{}: not a folder (--monitor-dir)",
                dir.display()
            )));
        }
        let logs = cfg
            .logs
            .iter()
            .map(|url| {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ConfigError(format!(
                        "--log {url:?}: not an http:// or https:// URL"
                    )));
                }
                Client::new(url)
                    .map(|c| (url.clone(), c))
                    .map_err(|e| ConfigError(format!("--log {url}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Verification {
            logs,
            monitor_dir: cfg.monitor_dir.clone(),
            trust,
            period_s: cfg.period_s,
        })
    }

    /// Nothing to verify (the study view alone).
    pub fn none() -> Self {
        Verification {
            logs: Vec::new(),
            monitor_dir: None,
            trust: None,
            period_s: 300,
        }
    }

    /// `GET /api/verification`.
    pub fn view(&self) -> VerificationView {
        VerificationView {
            trust: self.trust.clone(),
            logs: self.logs.iter().map(|(u, _)| u.clone()).collect(),
            monitor_dir: self.monitor_dir.as_ref().map(|d| d.display().to_string()),
            period_s: self.period_s,
        }
    }

    /// `GET /api/trust`.
    ///
    /// # Errors
    ///
    /// [`DashboardError::NotFound`] without a trust file.
    pub fn trust(&self) -> Result<&TrustView, DashboardError> {
        self.trust.as_ref().ok_or_else(|| {
            DashboardError::NotFound("no trust file: start the dashboard with --trust FILE".into())
        })
    }

    fn log(&self, i: usize) -> Result<(&str, &Client, &TrustView), DashboardError> {
        let (url, client) = self.logs.get(i).ok_or_else(|| {
            DashboardError::NotFound(format!(
                "no log {i}: the dashboard reads {} log(s) (--log URL)",
                self.logs.len()
            ))
        })?;
        Ok((url, client, self.trust()?))
    }

    /// `GET /api/logs/{i}/status`: the log's checkpoint checked against the trust file.
    ///
    /// # Errors
    ///
    /// [`DashboardError::NotFound`] for an unknown log; [`DashboardError::BadGateway`] if the log does
    /// not answer, answers with an error or serves something that is not a checkpoint.
    pub async fn status(&self, i: usize) -> Result<LogStatus, DashboardError> {
        let (url, client, trust) = self.log(i)?;
        let note = client.checkpoint().await.map_err(|e| upstream(url, &e))?;
        let read_s = unix_now();
        log_status(url, &note, trust, read_s)
    }

    /// `GET /api/logs/{i}/timelines`: every entry of the log under its current checkpoint (read tile by
    /// tile, checked against the verified root), decoded into per-sensor timelines.
    ///
    /// # Errors
    ///
    /// [`DashboardError::NotFound`] for an unknown log; [`DashboardError::BadGateway`] if the log does
    /// not answer, its checkpoint does not verify or its entries do not hash to the signed root.
    pub async fn timelines(&self, i: usize) -> Result<TimelinesView, DashboardError> {
        let (url, client, trust) = self.log(i)?;
        let note = client.checkpoint().await.map_err(|e| upstream(url, &e))?;
        let cp = tlog::verify_checkpoint(&note, &trust.log_key).map_err(|e| {
            DashboardError::BadGateway(format!(
                "the checkpoint of {url} does not verify against the trust file's log key: {e}"
            ))
        })?;
        let mut entries: Vec<Vec<u8>> = Vec::with_capacity(usize::try_from(cp.size).unwrap_or(0));
        let mut tree = tlog::MemoryTree::new();
        for n in 0..cp.size.div_ceil(u64::from(TILE_WIDTH)) {
            let tile = TilePath::for_tree(TileKind::Entries, n, cp.size).ok_or_else(|| {
                DashboardError::Internal(format!("no entry tile {n} in a tree of {}", cp.size))
            })?;
            let bundle = client.tile(&tile).await.map_err(|e| upstream(url, &e))?;
            let got = decode_bundle(&bundle).map_err(|e| {
                DashboardError::BadGateway(format!(
                    "{url} served entry bundle {} that does not decode: {e}",
                    tile.to_path()
                ))
            })?;
            if got.len() != tile.width() as usize {
                return Err(DashboardError::BadGateway(format!(
                    "{url} served entry bundle {} with {} entries, {} expected",
                    tile.to_path(),
                    got.len(),
                    tile.width()
                )));
            }
            for e in got {
                tree.push(&e)
                    .map_err(|e| DashboardError::Internal(format!("hashing entries: {e}")))?;
                entries.push(e);
            }
        }
        let root = tree
            .root(cp.size)
            .map_err(|e| DashboardError::Internal(format!("hashing entries: {e}")))?;
        if root != cp.root {
            return Err(DashboardError::BadGateway(format!(
                "the {} entries {url} served do not hash to the root of its signed checkpoint",
                cp.size
            )));
        }
        Ok(timelines(url, cp.size, &entries, self.period_s))
    }

    /// `GET /api/alerts`.
    ///
    /// # Errors
    ///
    /// [`DashboardError::NotFound`] without a monitor folder; [`DashboardError::Internal`] if the folder
    /// cannot be listed.
    pub fn alerts(&self) -> Result<AlertsView, DashboardError> {
        let dir = self.monitor_dir()?;
        let alerts = alert_files(dir)?
            .into_iter()
            .map(|name| {
                let path = dir.join(&name);
                match std::fs::read(&path) {
                    Ok(bytes) => summarise(name, &bytes),
                    Err(e) => unreadable(name, format!("cannot be read: {e}")),
                }
            })
            .collect();
        Ok(AlertsView {
            dir: dir.display().to_string(),
            alerts,
        })
    }

    /// `GET /api/alerts/{file}`: the alert file's bytes, as the monitor wrote them.
    ///
    /// # Errors
    ///
    /// [`DashboardError::NotFound`] without a monitor folder or for a name that is not one of its
    /// alert files; [`DashboardError::Internal`] if the file cannot be read.
    pub fn alert(&self, file: &str) -> Result<Vec<u8>, DashboardError> {
        let dir = self.monitor_dir()?;
        if !alert_files(dir)?.iter().any(|n| n == file) {
            return Err(DashboardError::NotFound(format!(
                "no alert file {file:?} in {}",
                dir.display()
            )));
        }
        std::fs::read(dir.join(file))
            .map_err(|e| DashboardError::Internal(format!("reading {}: {e}", dir.join(file).display())))
    }

    fn monitor_dir(&self) -> Result<&Path, DashboardError> {
        self.monitor_dir.as_deref().ok_or_else(|| {
            DashboardError::NotFound("no monitor folder: start the dashboard with --monitor-dir DIR".into())
        })
    }
}

fn load_trust(path: &Path) -> Result<TrustView, ConfigError> {
    // Loaded as `shieldwatch verify evidence` loads it (keys, quorum, rules), so a trust file the
    // verifier refuses is refused here too.
    let loaded = verify::evidence::Trust::load(path).map_err(|e| ConfigError(format!("--trust: {e}")))?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("--trust {}: cannot read: {e}", path.display())))?;
    let tf: TrustFile = toml::from_str(&text)
        .map_err(|e| ConfigError(format!("--trust {}: {}", path.display(), e.message())))?;
    Ok(TrustView {
        path: path.display().to_string(),
        log_key: tf.log_key,
        witness_keys: tf.witness_keys,
        min_cosignatures: tf.min_cosignatures,
        anchors: tf.anchors,
        rules: tf.rules,
        agreed: AgreedRules {
            agreement: loaded.rules.agreement.clone(),
            rules: loaded.rules.rules.iter().map(|r| r.text.clone()).collect(),
        },
    })
}

/// A log that does not answer, or answers with an error.
fn upstream(url: &str, e: &ServerError) -> DashboardError {
    match e {
        ServerError::Unreachable(m) => {
            DashboardError::BadGateway(format!("the log at {url} does not answer ({m})"))
        }
        other => DashboardError::BadGateway(format!("the log at {url} answered with an error: {other}")),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The status of a served checkpoint note, checked against `trust`, at time `read_s`.
///
/// # Errors
///
/// [`DashboardError::BadGateway`] if the note is not a signed checkpoint at all.
pub fn log_status(
    url: &str,
    note: &[u8],
    trust: &TrustView,
    read_s: u64,
) -> Result<LogStatus, DashboardError> {
    let not_checkpoint =
        |m: String| DashboardError::BadGateway(format!("{url} served a checkpoint that does not parse: {m}"));
    let parsed = Note::from_bytes(note).map_err(|e| not_checkpoint(e.to_string()))?;
    let text = String::from_utf8_lossy(parsed.text()).into_owned();
    let mut lines = text.lines();
    let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
        return Err(not_checkpoint("fewer than three lines".into()));
    };
    let size: u64 = size
        .parse()
        .map_err(|_| not_checkpoint(format!("tree size {size:?} is not a number")))?;
    let log_signature = match tlog::verify_checkpoint(note, &trust.log_key) {
        Ok(_) => CheckView {
            ok: true,
            detail: "signed by the trust file's log key".into(),
        },
        Err(e) => CheckView {
            ok: false,
            detail: format!("does not verify against the trust file's log key: {e}"),
        },
    };
    let age = |t: u64| i64::try_from(read_s).unwrap_or(i64::MAX) - i64::try_from(t).unwrap_or(i64::MAX);
    let mut keys: Vec<&String> = trust.witness_keys.iter().collect();
    keys.sort();
    keys.dedup();
    let mut cosignatures = Vec::new();
    let mut trusted_ids = Vec::new();
    for k in keys {
        let v = witness::CosignatureVerifier::new(k);
        let (name, id) = match &v {
            Ok(v) => (v.name().to_owned(), Some(v.key_id())),
            Err(_) => (verify::keys::vkey_name(k).unwrap_or_else(|_| k.clone()), None),
        };
        if let Some(id) = id {
            trusted_ids.push((name.clone(), id));
        }
        cosignatures.push(match witness::verify_cosignature(note, k) {
            Ok(t) => CosignatureView {
                name,
                trusted: true,
                verified: true,
                time_s: Some(t),
                age_s: Some(age(t)),
                detail: "cosignature/v1 verifies with the trust file's witness key".into(),
            },
            Err(e) => CosignatureView {
                name,
                trusted: true,
                verified: false,
                time_s: None,
                age_s: None,
                detail: e.to_string(),
            },
        });
    }
    // Other signature lines (keys the trust file does not list), shown with the time they claim.
    if let Ok(log) = signed_note::StandardVerifier::new(trust.log_key.trim())
        && let Ok((_, others)) = parsed.verify(&VerifierList::new(vec![Box::new(log)]))
    {
        for s in others {
            if trusted_ids.iter().any(|(n, id)| n == s.name() && *id == s.id()) {
                continue;
            }
            let t = witness::cosignature_timestamp(&s);
            cosignatures.push(CosignatureView {
                name: s.name().to_owned(),
                trusted: false,
                verified: false,
                time_s: t,
                age_s: t.map(age),
                detail: "by a key the trust file does not list: not checked".into(),
            });
        }
    }
    let valid_cosignatures = cosignatures.iter().filter(|c| c.verified).count();
    Ok(LogStatus {
        url: url.to_owned(),
        origin: origin.to_owned(),
        size,
        root: root.to_owned(),
        checkpoint: String::from_utf8_lossy(note).into_owned(),
        log_signature,
        cosignatures,
        valid_cosignatures,
        min_cosignatures: trust.min_cosignatures,
        read_s,
    })
}

/// Whether a log entry is a roster version.
fn roster_entry(text: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct SchemaOnly {
        schema: String,
    }
    serde_json::from_slice::<SchemaOnly>(text.strip_suffix(b"\n").unwrap_or(text))
        .is_ok_and(|s| s.schema == ROSTER_SCHEMA)
}

/// Per-sensor timelines of a log's entries (`entries[i]` is entry `i`).
pub fn timelines(url: &str, size: u64, entries: &[Vec<u8>], period_s: u64) -> TimelinesView {
    let mut sensors: BTreeMap<String, SensorTimeline> = BTreeMap::new();
    let mut rosters = Vec::new();
    let mut undecodable = Vec::new();
    for (index, bytes) in (0u64..).zip(entries) {
        let text = match verify::keys::peek_note(bytes) {
            Ok((text, _)) => text,
            Err(e) => {
                undecodable.push(Undecodable {
                    index,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        if roster_entry(&text) {
            rosters.push(index);
            continue;
        }
        match Statement::from_text(&text) {
            Ok(st) => {
                let kind = st.body.kind();
                let t = sensors
                    .entry(st.sensor.clone())
                    .or_insert_with(|| SensorTimeline {
                        sensor: st.sensor.clone(),
                        site: st.site.clone(),
                        kind: kind.to_owned(),
                        periodic: matches!(kind, "radar" | "silo"),
                        readings: Vec::new(),
                        gaps: Vec::new(),
                    });
                t.readings.push(ReadingView {
                    index,
                    seq: st.seq,
                    time_ms: st.time_ms,
                });
            }
            Err(e) => undecodable.push(Undecodable {
                index,
                reason: e.to_string(),
            }),
        }
    }
    let period_ms = i64::try_from(period_s).unwrap_or(i64::MAX).saturating_mul(1000);
    for t in sensors.values_mut().filter(|t| t.periodic) {
        t.gaps = t
            .readings
            .windows(2)
            .filter_map(|w| {
                let (a, b) = (&w[0], &w[1]);
                let missing_seq = b.seq.saturating_sub(a.seq).saturating_sub(1);
                (b.time_ms - a.time_ms > period_ms || missing_seq > 0).then(|| GapView {
                    from_ms: a.time_ms,
                    to_ms: b.time_ms,
                    length_s: (b.time_ms - a.time_ms) as f64 / 1e3,
                    missing_seq,
                })
            })
            .collect();
    }
    TimelinesView {
        url: url.to_owned(),
        size,
        period_s,
        sensors: sensors.into_values().collect(),
        rosters,
        undecodable,
    }
}

/// The alert files of a folder (`alert-*.json`), sorted by name.
fn alert_files(dir: &Path) -> Result<Vec<String>, DashboardError> {
    let read = std::fs::read_dir(dir)
        .map_err(|e| DashboardError::Internal(format!("listing {}: {e}", dir.display())))?;
    let mut names = Vec::new();
    for e in read {
        let e = e.map_err(|e| DashboardError::Internal(format!("listing {}: {e}", dir.display())))?;
        let Some(name) = e.file_name().to_str().map(str::to_owned) else {
            continue; // Not UTF-8: not a name the monitor writes.
        };
        let is_file = e
            .file_type()
            .map_err(|err| DashboardError::Internal(format!("{}: {err}", e.path().display())))?
            .is_file();
        if is_file && name.starts_with("alert-") && name.ends_with(".json") {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn unreadable(file: String, error: String) -> AlertSummary {
    AlertSummary {
        file,
        schema: None,
        kind: "unreadable".into(),
        index: None,
        summary: String::new(),
        sensor: None,
        error: Some(error),
    }
}

/// The listing line of an alert file.
fn summarise(file: String, bytes: &[u8]) -> AlertSummary {
    #[derive(serde::Deserialize)]
    struct SchemaOnly {
        schema: String,
    }
    let schema = match serde_json::from_slice::<SchemaOnly>(bytes) {
        Ok(s) => s.schema,
        Err(e) => return unreadable(file, format!("not an alert bundle: {e}")),
    };
    match schema.as_str() {
        EVIDENCE_SCHEMA => match serde_json::from_slice::<Evidence>(bytes) {
            Ok(ev) => AlertSummary {
                file,
                schema: Some(schema),
                kind: ev.finding.kind.name(),
                index: Some(ev.finding.index),
                summary: ev.finding.summary,
                sensor: ev.finding.sensor,
                error: None,
            },
            Err(e) => unreadable(file, format!("not a well-formed evidence bundle: {e}")),
        },
        LOG_EVIDENCE_SCHEMA => match serde_json::from_slice::<LogEvidence>(bytes) {
            Ok(ev) => {
                let (kind, summary) = match ev.kind {
                    Misbehaviour::SplitView => {
                        ("split_view", "the log signed two trees of one size".to_owned())
                    }
                    Misbehaviour::RewrittenHistory => (
                        "rewritten_history",
                        "the log signed a tree that does not extend one verified earlier".to_owned(),
                    ),
                    Misbehaviour::Rollback => (
                        "rollback",
                        match ev.lost {
                            Some(r) => format!(
                                "the log served a smaller tree: entries {}..{} are gone",
                                r.from, r.to
                            ),
                            None => "the log served a smaller tree".to_owned(),
                        },
                    ),
                };
                AlertSummary {
                    file,
                    schema: Some(schema),
                    kind: kind.into(),
                    index: None,
                    summary,
                    sensor: None,
                    error: None,
                }
            }
            Err(e) => unreadable(file, format!("not well-formed log evidence: {e}")),
        },
        other => unreadable(file, format!("schema {other:?} is not an alert's")),
    }
}
