//! `shieldwatch serve`: runs the transparency log's HTTP server until SIGTERM or Ctrl-C.
//!
//! Settings come, in increasing precedence, from built-in defaults, a TOML file (`--config`),
//! environment variables, and flags.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use server::ServerConfig;

/// Flags of `shieldwatch serve`. Every setting can also be given in the TOML file (same names,
/// snake_case) or the environment.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file with any of the keys below (e.g. `batch_interval_ms = 250`).
    #[arg(long, env = "SHIELDWATCH_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "SHIELDWATCH_LISTEN")]
    listen: Option<String>,
    /// Directory of the log, as created by `shieldwatch log init` [default: shieldwatch-log].
    #[arg(long, env = "SHIELDWATCH_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Signing key file [default: <data-dir>/signing.key].
    #[arg(long, env = "SHIELDWATCH_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Longest time between batches, in milliseconds [default: 500].
    #[arg(long, env = "SHIELDWATCH_BATCH_INTERVAL_MS")]
    batch_interval_ms: Option<u64>,
    /// Cut a batch as soon as this many entries wait [default: 16384].
    #[arg(long, env = "SHIELDWATCH_BATCH_MAX_ENTRIES")]
    batch_max_entries: Option<usize>,
    /// Entries that may wait before submissions get 503 Service Unavailable [default: 65536].
    #[arg(long, env = "SHIELDWATCH_QUEUE_CAPACITY")]
    queue_capacity: Option<usize>,
    /// Largest accepted entry, in bytes, at most 65535 [default: 65535].
    #[arg(long, env = "SHIELDWATCH_MAX_ENTRY_BYTES")]
    max_entry_bytes: Option<usize>,
    /// Time limit of one HTTP request, in milliseconds [default: 30000].
    #[arg(long, env = "SHIELDWATCH_REQUEST_TIMEOUT_MS")]
    request_timeout_ms: Option<u64>,
    /// Write logs as JSON lines instead of text (filter with RUST_LOG, default "info").
    #[arg(long, env = "SHIELDWATCH_LOG_JSON")]
    log_json: bool,
}

impl ServeArgs {
    /// The configuration in force: defaults, then the TOML file, then environment and flags.
    fn config(&self) -> anyhow::Result<ServerConfig> {
        let mut c = match &self.config {
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
                ServerConfig::from_toml(&text).with_context(|| format!("in {}", p.display()))?
            }
            None => ServerConfig::default(),
        };
        if let Some(v) = &self.listen {
            c.listen.clone_from(v);
        }
        if let Some(v) = &self.data_dir {
            c.data_dir.clone_from(v);
        }
        if let Some(v) = &self.key_file {
            c.key_file = Some(v.clone());
        }
        c.batch_interval_ms = self.batch_interval_ms.unwrap_or(c.batch_interval_ms);
        c.batch_max_entries = self.batch_max_entries.unwrap_or(c.batch_max_entries);
        c.queue_capacity = self.queue_capacity.unwrap_or(c.queue_capacity);
        c.max_entry_bytes = self.max_entry_bytes.unwrap_or(c.max_entry_bytes);
        c.request_timeout_ms = self.request_timeout_ms.unwrap_or(c.request_timeout_ms);
        c.validate()?;
        Ok(c)
    }
}

/// Resolves when SIGTERM or SIGINT arrives.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested: finishing the batch in flight");
}

/// Runs the server.
pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if args.log_json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .json()
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let config = args.config()?;
    let key_file = config.key_file();
    let signer = server::load_signer(&key_file).context("loading the signing key")?;
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        let writer = tokio::task::block_in_place(|| server::open_local_log(&config.data_dir, signer))
            .with_context(|| format!("opening the log in {}", config.data_dir.display()))?;
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        server::run(listener, writer, config, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
