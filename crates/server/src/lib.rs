//! The shieldwatch HTTP server: the transparency log's write API (`POST /add`), its C2SP
//! tlog-tiles read API (`/checkpoint`, `/tile/...`), proofs on request, `/healthz` and `/metrics`;
//! plus [`client::Client`], the HTTP client the CLI uses.
//!
//! # Layout
//!
//! - [`config`]: [`ServerConfig`], read from TOML, defaults documented per field.
//! - [`api`]: routes. Each `serve_x` handler maps outcomes to HTTP statuses; the `process_x`
//!   function beside it holds the logic (sunlight's witness.go split).
//! - [`metrics`]: Prometheus text exposition, hand-written from counters.
//! - [`client`]: typed client for the API, and checks of what it fetches.
//!
//! [`run`] takes a bound listener and a shutdown future, so tests bind port 0.

pub mod admission;
pub mod api;
pub mod client;
pub mod cloud;
pub mod config;
/// The accept loop (connection cap, head timeout, TLS): the `listener` crate, shared with the
/// witness.
pub use listener as conn;
pub mod metrics;
pub mod ratelimit;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

pub use config::ServerConfig;
use tlog::{LocalStorage, LogSigner, LogWriter, Sequencer, Storage};

/// Errors of the server crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The log could not be opened or failed.
    #[error(transparent)]
    Log(#[from] tlog::Error),
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file of the log is damaged (found by `--verify-on-start`).
    #[error("damaged log file {0}")]
    Damaged(tlog::fsck::Damage),
    /// The TLS certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] listener::TlsError),
    /// The configuration is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// The HTTP server failed.
    #[error("http server: {0}")]
    Http(std::io::Error),
    /// An HTTP request (client side) got no answer: connection refused or reset, time-out.
    #[error("{0}")]
    Unreachable(String),
    /// An HTTP request (client side) got an error status.
    #[error("{request}: {status}: {message}")]
    Status {
        /// The request (`GET /checkpoint`).
        request: String,
        /// The HTTP status code.
        status: u16,
        /// The server's message (the `error` of its JSON body, or the body as text).
        message: String,
    },
    /// An HTTP answer (client side) that does not parse, or a request that cannot be made.
    #[error("{0}")]
    Client(String),
}

/// Reads a signing key file (`PRIVATE+KEY+...`), refusing one that group or others may read
/// (as `shieldwatch log init` creates it: mode 0600).
///
/// # Errors
///
/// [`ServerError::Io`] or [`ServerError::Log`] if unreadable or malformed;
/// [`ServerError::Config`] if its mode lets group or others read or write it.
pub fn load_signer(key_file: &Path) -> Result<LogSigner, ServerError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(key_file)
            .map_err(|source| ServerError::Io {
                path: key_file.display().to_string(),
                source,
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(ServerError::Config(format!(
                "{}: the signing key must not be accessible to group or others (mode {:o}); chmod 600 it",
                key_file.display(),
                mode & 0o777
            )));
        }
    }
    let text = std::fs::read_to_string(key_file).map_err(|source| ServerError::Io {
        path: key_file.display().to_string(),
        source,
    })?;
    Ok(LogSigner::from_signing_key(&text)?)
}

/// Opens the log in `data_dir` ([`LocalStorage`]) for writing, recovering from any crash.
///
/// # Errors
///
/// [`ServerError::Log`] if there is no log there or it fails its checks.
pub fn open_local_log(data_dir: &Path, signer: LogSigner) -> Result<LogWriter, ServerError> {
    open_local_log_with(data_dir, signer, false)
}

/// As [`open_local_log`]; with `verify_on_start`, then checks the whole log at rest
/// ([`tlog::fsck::check`]: every bundle, tile and the checkpoint against the signed root) and
/// refuses to serve a damaged one.
///
/// # Errors
///
/// As [`open_local_log`]; [`ServerError::Damaged`] naming the first damaged file.
pub fn open_local_log_with(
    data_dir: &Path,
    signer: LogSigner,
    verify_on_start: bool,
) -> Result<LogWriter, ServerError> {
    let local = Arc::new(LocalStorage::open(data_dir).map_err(tlog::Error::from)?);
    let storage: Arc<dyn Storage> = local.clone();
    let verifier_key = signer.verifier_key().to_owned();
    let writer = LogWriter::open(storage, signer)?;
    if verify_on_start {
        let started = std::time::Instant::now();
        match tlog::fsck::check(local.as_ref(), local.public_dir(), &verifier_key)? {
            Ok(r) => tracing::info!(
                size = r.size,
                bundles = r.bundles,
                tiles = r.tiles,
                older_partials = r.older_partials,
                seconds = started.elapsed().as_secs_f64(),
                "the log at rest matches its signed root"
            ),
            Err(d) => return Err(ServerError::Damaged(d)),
        }
    }
    Ok(writer)
}

/// Serves the log on `listener` until `shutdown` resolves, then stops accepting connections,
/// lets requests in flight finish (their batch is written and acknowledged), writes what is
/// still queued, and returns.
///
/// # Errors
///
/// [`ServerError::Http`] if serving fails, [`ServerError::Log`] if the sequencer failed.
pub async fn run(
    listener: tokio::net::TcpListener,
    writer: LogWriter,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    run_with(listener, writer, config, Extensions::default(), shutdown).await
}

/// Optional parts of a server: admission control and witness cosigning.
#[derive(Default)]
pub struct Extensions {
    /// Checked before an entry is queued.
    pub admission: Option<Arc<dyn admission::Admission>>,
    /// Witnesses whose cosignatures a checkpoint needs before it is published.
    pub cosigning: Option<admission::Cosigning>,
    /// A second listener serving only `/metrics` and `/healthz` (see
    /// [`ServerConfig::metrics_listen`]); the main listener then does not serve `/metrics`.
    pub metrics_listener: Option<tokio::net::TcpListener>,
}

/// The log a server serves: the embedded one (a [`LogWriter`], the default) or the scale-out
/// one ([`cloud::open_cloud_log`]).
pub enum ServedLog {
    /// The embedded log, written by this process alone.
    Local(Box<LogWriter>),
    /// The scale-out log, shared with other instances.
    Cloud(Box<cloud::CloudLog>),
}

impl ServedLog {
    /// A reader of the log as this instance serves it.
    pub fn reader(&self) -> tlog::LogReader {
        match self {
            Self::Local(w) => w.reader(),
            Self::Cloud(c) => c.reader.clone(),
        }
    }
}

impl From<LogWriter> for ServedLog {
    fn from(w: LogWriter) -> Self {
        Self::Local(Box::new(w))
    }
}

impl From<cloud::CloudLog> for ServedLog {
    fn from(c: cloud::CloudLog) -> Self {
        Self::Cloud(Box::new(c))
    }
}

/// As [`run`], with [`Extensions`].
///
/// # Errors
///
/// As [`run`]; [`ServerError::Config`] if cosigning needs more cosignatures than witnesses.
pub async fn run_with(
    listener: tokio::net::TcpListener,
    log: impl Into<ServedLog>,
    config: ServerConfig,
    ext: Extensions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    config.validate()?;
    if let Some(c) = &ext.cosigning
        && (c.witnesses.len() < c.min_cosignatures || c.witnesses.is_empty())
    {
        return Err(ServerError::Config(format!(
            "{} witness(es) configured, {} cosignature(s) required",
            c.witnesses.len(),
            c.min_cosignatures
        )));
    }
    if let Some(c) = &ext.cosigning {
        // A bad trust anchor is an error at start, not a silent loop failure later.
        let built = client::trusting(reqwest::Client::builder(), c.ca.as_deref())?.build();
        built.map_err(|e| ServerError::Client(format!("the witnesses' HTTP client: {e}")))?;
    }
    if ext.cosigning.is_some() && config.publish_wait_ms >= config.request_timeout_ms {
        return Err(ServerError::Config(format!(
            "with witnesses, publish_wait_ms ({}) must be below request_timeout_ms ({})",
            config.publish_wait_ms, config.request_timeout_ms
        )));
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut cluster = None;
    let mut background = vec![];
    let (sequencer, task) = match log.into() {
        ServedLog::Local(w) => Sequencer::start(*w, config.sequencer_config()),
        ServedLog::Cloud(c) => {
            let c = *c;
            background.push(tokio::spawn(cloud::probe_loop(c.health.clone(), stop_rx.clone())));
            background.push(tokio::spawn(cloud::follow_loop(
                c.reader.clone(),
                stop_rx.clone(),
            )));
            cluster = Some((c.health, c.status));
            Sequencer::start_with(Box::new(c.writer), c.reader, config.sequencer_config())
        }
    };
    let reader = sequencer.reader().clone();
    let mut app_state = api::AppState::new(sequencer, &config);
    if let Some(a) = ext.admission {
        app_state = app_state.with_admission(a);
    }
    let mut status = None;
    if let Some((health, s)) = cluster {
        app_state = app_state.with_backend(health, s.clone());
        status = Some(s);
    }
    let mut cosigner = None;
    if let Some(c) = ext.cosigning {
        let published = Arc::new(admission::Published::default());
        app_state = app_state.with_published(published.clone());
        cosigner = Some(tokio::spawn(admission::cosign_loop(
            reader, c, published, stop_rx,
        )));
    }
    let state = Arc::new(app_state);
    let separate_metrics = ext.metrics_listener.is_some();
    let app = api::router(state.clone(), &config, !separate_metrics);
    if let Ok(addr) = listener.local_addr() {
        let tls = config.tls_cert.is_some();
        tracing::info!(%addr, tls, "serving the transparency log");
    }
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let limits = config.conn_limits();
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(conn::load_tls(cert, key)?),
        _ => None,
    };
    let mut ops = None;
    if let Some(l) = ext.metrics_listener {
        if let Ok(addr) = l.local_addr() {
            tracing::info!(%addr, "serving /metrics and /healthz");
        }
        ops = Some(tokio::spawn(conn::serve(
            l,
            api::ops_router(state.clone(), &config),
            limits,
            tls.clone(),
            state.ops_connections.clone(),
            shutdown_rx.clone(),
        )));
    }
    let main = conn::serve(listener, app, limits, tls, state.connections.clone(), shutdown_rx);
    let signal = async move {
        shutdown.await;
        tracing::info!("shutdown requested: finishing the requests in flight");
        // Both loops hold a receiver until they have stopped; nobody left to tell is fine.
        if shutdown_tx.send(true).is_err() {
            tracing::debug!("listeners already stopped");
        }
    };
    let ((), ()) = tokio::join!(main, signal);
    if let Some(o) = ops
        && let Err(e) = o.await
    {
        tracing::error!(error = %e, "metrics listener task");
    }
    // Dropping the last sequencer handle lets the sequencing task write what is queued and end.
    drop(state);
    if stop_tx.send(true).is_err() {
        tracing::debug!("cosigning loop already stopped");
    }
    if let Some(c) = cosigner
        && let Err(e) = c.await
    {
        tracing::error!(error = %e, "cosigning task");
    }
    for b in background {
        if let Err(e) = b.await {
            tracing::error!(error = %e, "storage probe or tree head reload task");
        }
    }
    match task.await {
        Ok(r) => r?,
        Err(e) => return Err(ServerError::Config(format!("sequencer task: {e}"))),
    }
    if let Some(s) = status {
        // The next instance need not wait for the lease to expire.
        match tokio::task::spawn_blocking(move || s.release()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not release the sequencer's lease; it expires by itself")
            }
            Err(e) => tracing::error!(error = %e, "lease release task"),
        }
    }
    tracing::info!("shut down cleanly");
    Ok(())
}
