//! `shieldwatch serve`: runs the transparency log's HTTP server until SIGTERM or Ctrl-C.
//!
//! Settings come, in increasing precedence, from built-in defaults, a TOML file (`--config`),
//! environment variables, and flags.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use server::ServerConfig;
use server::config::ConfigOverrides;

/// `text [default: value]`, with the value taken from [`ServerConfig::default`], so `--help` can
/// never disagree with the code.
fn with_default(text: &str, value: impl std::fmt::Display) -> String {
    format!("{text} [default: {value}]")
}

fn defaults() -> ServerConfig {
    ServerConfig::default()
}

/// Flags of `shieldwatch serve`. Every setting can also be given in the TOML file (same names,
/// snake_case) or the environment; precedence, lowest first: default, file, environment, flag.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file with any of the keys below in snake_case (e.g.
    /// `batch_interval_ms = 250`); `--print-config` shows them all.
    #[arg(long, env = "SHIELDWATCH_CONFIG")]
    config: Option<PathBuf>,
    #[arg(long, env = "SHIELDWATCH_LISTEN", help = with_default("Address to listen on", defaults().listen))]
    listen: Option<String>,
    #[arg(long, env = "SHIELDWATCH_DATA_DIR", help = with_default(
        "Directory of the log, as created by `shieldwatch log init`",
        defaults().data_dir.display()
    ))]
    data_dir: Option<PathBuf>,
    #[arg(long, env = "SHIELDWATCH_KEY_FILE", help = with_default("Signing key file", "<data-dir>/signing.key"))]
    key_file: Option<PathBuf>,
    #[arg(long, env = "SHIELDWATCH_BATCH_INTERVAL_MS", help = with_default(
        "Longest time between batches, in milliseconds",
        defaults().batch_interval_ms
    ))]
    batch_interval_ms: Option<u64>,
    #[arg(long, env = "SHIELDWATCH_BATCH_MAX_ENTRIES", help = with_default(
        "Cut a batch as soon as this many entries wait",
        defaults().batch_max_entries
    ))]
    batch_max_entries: Option<usize>,
    #[arg(long, env = "SHIELDWATCH_QUEUE_CAPACITY", help = with_default(
        "Entries that may wait before submissions get 503 Service Unavailable",
        defaults().queue_capacity
    ))]
    queue_capacity: Option<usize>,
    #[arg(long, env = "SHIELDWATCH_MAX_ENTRY_BYTES", help = with_default(
        "Largest accepted entry, in bytes, at most 65535",
        defaults().max_entry_bytes
    ))]
    max_entry_bytes: Option<usize>,
    #[arg(long, env = "SHIELDWATCH_MAX_BATCH_ENTRIES", help = with_default(
        "Most entries in one POST /add-batch request",
        defaults().max_batch_entries
    ))]
    max_batch_entries: Option<usize>,
    #[arg(long, env = "SHIELDWATCH_REQUEST_TIMEOUT_MS", help = with_default(
        "Time limit of one HTTP request, in milliseconds",
        defaults().request_timeout_ms
    ))]
    request_timeout_ms: Option<u64>,
    #[arg(long, env = "SHIELDWATCH_HEADER_TIMEOUT_MS", help = with_default(
        "Longest wait for a request's head (also the idle keep-alive limit), in milliseconds",
        defaults().header_timeout_ms
    ))]
    header_timeout_ms: Option<u64>,
    #[arg(long, env = "SHIELDWATCH_MAX_CONNECTIONS", help = with_default(
        "Connections served at once per listener; more get 503 at once",
        defaults().max_connections
    ))]
    max_connections: Option<usize>,
    #[arg(long, env = "SHIELDWATCH_PUBLISH_WAIT_MS", help = with_default(
        "With --witness: longest wait for a cosigned checkpoint covering an entry, in milliseconds",
        defaults().publish_wait_ms
    ))]
    publish_wait_ms: Option<u64>,
    #[arg(long, env = "SHIELDWATCH_RATE_PER_ADDRESS", help = with_default(
        "Requests per second one client address (IPv6: its /64) may make, sustained; beyond, 429 \
         with Retry-After; 0 disables",
        defaults().rate_per_address
    ))]
    rate_per_address: Option<u32>,
    #[arg(long, env = "SHIELDWATCH_RATE_PER_ADDRESS_BURST", help = with_default(
        "Requests one client address may make at once",
        defaults().rate_per_address_burst
    ))]
    rate_per_address_burst: Option<u32>,
    #[arg(long, env = "SHIELDWATCH_RATE_PER_SIGNER", help = with_default(
        "With --anchors: entries per second one verified signer may submit, sustained; beyond, 429 \
         with Retry-After; 0 disables",
        defaults().rate_per_signer
    ))]
    rate_per_signer: Option<u32>,
    #[arg(long, env = "SHIELDWATCH_RATE_PER_SIGNER_BURST", help = with_default(
        "Entries one signer may submit at once",
        defaults().rate_per_signer_burst
    ))]
    rate_per_signer_burst: Option<u32>,
    /// TLS certificate chain (PEM): with --tls-key, every listener serves HTTPS only
    /// [default: plain HTTP].
    #[arg(long, env = "SHIELDWATCH_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM), refused if group or others may read it (chmod 600).
    #[arg(long, env = "SHIELDWATCH_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Scale-out storage: the PostgreSQL database of the log's sequencing state
    /// (`postgres://USER@HOST[:PORT]/DATABASE`; the password best in PGPASSWORD or ~/.pgpass).
    /// With --object-store-url, the log lives there instead of --data-dir; the first instance
    /// started on an empty database creates the log with --key-file's key [default: embedded log].
    #[arg(long, env = "SHIELDWATCH_DATABASE_URL", requires = "object_store_url")]
    database_url: Option<String>,
    /// Scale-out storage: the bucket of the log's tiles, bundles and checkpoint (`s3://BUCKET` or
    /// `s3://BUCKET/PREFIX`); endpoint, region and credentials from the AWS_* environment variables
    /// (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ALLOW_HTTP).
    #[arg(long, env = "SHIELDWATCH_OBJECT_STORE_URL", requires = "database_url")]
    object_store_url: Option<String>,
    /// Scale-out storage: this instance's base URL as the other instances reach it, where the
    /// sequencing instance takes their forwarded submissions [default: the scheme and the bound
    /// --listen address].
    #[arg(long, env = "SHIELDWATCH_ADVERTISE_URL")]
    advertise_url: Option<String>,
    #[arg(long, env = "SHIELDWATCH_LEASE_TTL_MS", help = with_default(
        "Scale-out storage: term of the sequencer's lease, in milliseconds (a crashed sequencer is replaced this long after its last batch)",
        defaults().lease_ttl_ms
    ))]
    lease_ttl_ms: Option<u64>,
    /// Serve /metrics (and /healthz) on this second address instead of --listen, with its own
    /// connection cap [default: /metrics on --listen].
    #[arg(long, env = "SHIELDWATCH_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Write logs as JSON lines instead of text (filter with RUST_LOG) [default: text, level info].
    #[arg(long, env = "SHIELDWATCH_LOG_JSON")]
    log_json: bool,
    /// Print the configuration in force (defaults, file, environment and flags resolved) as TOML
    /// and exit.
    #[arg(long)]
    print_config: bool,
    /// Admit only entries of the verification regime: a TOML file with `anchors = [...]` (the
    /// roster authorities' verifier keys, e.g. a trust file or `simulate`'s anchors.toml). Other
    /// entries get 403/409/422 with the reason and are never logged [default: admit any entry].
    #[arg(long, env = "SHIELDWATCH_ANCHORS")]
    anchors: Option<std::path::PathBuf>,
    /// With `--anchors`: refuse (422, reason `clock`) statements dated more than this many
    /// seconds after the server's clock.
    #[arg(long, env = "SHIELDWATCH_MAX_CLOCK_AHEAD_S", default_value_t = 300)]
    max_clock_ahead_s: u32,
    /// A c2sp.org/tlog-witness to cosign each checkpoint (base URL); repeatable. With witnesses,
    /// `/checkpoint` serves only checkpoints with `--min-cosignatures` cosignatures.
    #[arg(long = "witness")]
    witnesses: Vec<String>,
    /// Before serving, check the whole log at rest (as `shieldwatch log fsck`: every bundle,
    /// tile and the checkpoint against the signed root) and refuse to start if a file is damaged.
    #[arg(long, env = "SHIELDWATCH_VERIFY_ON_START")]
    verify_on_start: bool,
    /// Cosignatures needed before a checkpoint is published.
    #[arg(long, default_value_t = 1)]
    min_cosignatures: usize,
    /// For https witnesses: PEM file of the certificates theirs must chain to, trusted instead
    /// of the system's roots.
    #[arg(long, env = "SHIELDWATCH_WITNESS_CA")]
    witness_ca: Option<PathBuf>,
}

/// The `anchors` array of a TOML file.
fn read_anchors(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct F {
        anchors: Vec<String>,
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let f: toml::Table = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let f: F = toml::Value::Table(f)
        .try_into()
        .with_context(|| format!("{}: needs `anchors = [\"<verifier key>\", ...]`", path.display()))?;
    Ok(f.anchors)
}

impl ServeArgs {
    /// The configuration in force: defaults, then the TOML file, then environment and flags
    /// (clap gives a flag precedence over its environment variable).
    fn config(&self) -> anyhow::Result<ServerConfig> {
        let text = match &self.config {
            Some(p) => Some(std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?),
            None => None,
        };
        let overrides = ConfigOverrides {
            listen: self.listen.clone(),
            data_dir: self.data_dir.clone(),
            key_file: self.key_file.clone(),
            batch_interval_ms: self.batch_interval_ms,
            batch_max_entries: self.batch_max_entries,
            queue_capacity: self.queue_capacity,
            max_entry_bytes: self.max_entry_bytes,
            max_batch_entries: self.max_batch_entries,
            request_timeout_ms: self.request_timeout_ms,
            header_timeout_ms: self.header_timeout_ms,
            max_connections: self.max_connections,
            metrics_listen: self.metrics_listen.clone(),
            publish_wait_ms: self.publish_wait_ms,
            rate_per_address: self.rate_per_address,
            rate_per_address_burst: self.rate_per_address_burst,
            rate_per_signer: self.rate_per_signer,
            rate_per_signer_burst: self.rate_per_signer_burst,
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            database_url: self.database_url.clone().map(server::cloud::DatabaseUrl),
            object_store_url: self.object_store_url.clone(),
            advertise_url: self.advertise_url.clone(),
            lease_ttl_ms: self.lease_ttl_ms,
        };
        let c = ServerConfig::resolve(text.as_deref(), &overrides);
        match &self.config {
            Some(p) => c.with_context(|| format!("in {}", p.display())),
            None => Ok(c?),
        }
    }
}

/// Resolves when SIGTERM or SIGINT arrives.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            // Without a SIGINT handler, keep serving until SIGTERM instead of stopping at once.
            tracing::error!(error = %e, "cannot listen for Ctrl-C; stop the process with SIGTERM");
            std::future::pending::<()>().await;
        }
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
    if args.print_config {
        out!("{}", config.to_toml())?;
        return Ok(ExitCode::SUCCESS);
    }
    tracing::info!(?config, "configuration");
    let key_file = config.key_file();
    let signer = server::load_signer(&key_file).context("loading the signing key")?;
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let scheme = if config.tls_cert.is_some() {
            "https"
        } else {
            "http"
        };
        let bound = listener.local_addr().context("the bound address")?;
        let log: server::ServedLog = if config.database_url.is_some() {
            anyhow::ensure!(
                !args.verify_on_start,
                "--verify-on-start checks an embedded log's files; it does not apply to the scale-out log"
            );
            let advertise = match &config.advertise_url {
                Some(u) => u.clone(),
                None if bound.ip().is_unspecified() => anyhow::bail!(
                    "listening on {bound}, a wildcard address: give --advertise-url, the URL at which \
                     the other instances reach this one"
                ),
                None => format!("{scheme}://{bound}"),
            };
            tokio::task::block_in_place(|| server::cloud::open_cloud_log(&config, signer, &advertise))
                .context("opening the scale-out log")?
                .into()
        } else {
            tokio::task::block_in_place(|| {
                server::open_local_log_with(&config.data_dir, signer, args.verify_on_start)
            })
            .with_context(|| format!("opening the log in {}", config.data_dir.display()))?
            .into()
        };
        let mut ext = server::Extensions::default();
        if let Some(addr) = &config.metrics_listen {
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding {addr} (metrics_listen)"))?;
            crate::output::announce_metrics(scheme, l.local_addr().context("the bound address")?)?;
            ext.metrics_listener = Some(l);
        }
        crate::output::announce_listening(scheme, bound)?;
        if let Some(p) = &args.anchors {
            let anchors = read_anchors(p)?;
            let reader = log.reader();
            let adm = tokio::task::block_in_place(|| {
                crate::admission::RosterAdmission::new(
                    anchors,
                    &reader,
                    i64::from(args.max_clock_ahead_s) * 1000,
                )
            })?;
            ext.admission = Some(std::sync::Arc::new(adm));
        }
        if !args.witnesses.is_empty() {
            ext.cosigning = Some(server::admission::Cosigning {
                witnesses: args.witnesses.clone(),
                min_cosignatures: args.min_cosignatures,
                ca: args.witness_ca.clone(),
            });
        }
        server::run_with(listener, log, config, ext, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
