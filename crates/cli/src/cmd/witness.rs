//! `shieldwatch witness ...`: create a witness key (`init`) and run a C2SP tlog-witness
//! (`serve`) that cosigns the checkpoints of the logs in its configuration.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

/// Subcommands of `shieldwatch witness`.
#[derive(Debug, clap::Subcommand)]
pub enum WitnessCommand {
    /// Create a witness signing key (file mode 0600, never overwriting) and print its verifier
    /// key (`<name>+<id>+<base64>`, cosignature type 0x04), which logs and clients need.
    Init {
        /// Witness name, also the key name (e.g. `witness.example/w1`; no spaces or '+').
        #[arg(long)]
        name: String,
        /// Where to write the signing key.
        #[arg(long)]
        key: PathBuf,
    },
    /// Serve the witness over HTTP (POST /add-checkpoint, GET /<origin hash>/checkpoint,
    /// /healthz) until SIGTERM or Ctrl-C.
    Serve(WitnessServeArgs),
}

/// Flags of `shieldwatch witness serve`.
#[derive(Debug, clap::Args)]
pub struct WitnessServeArgs {
    /// TOML configuration: `key_file`, `[[log]]` entries (`origin`, `key`), optional `listen`
    /// [default: 127.0.0.1:7380], `state_file` [default: witness-state.redb beside the file],
    /// `max_body_bytes` [default: 262144], `request_timeout_ms` [default: 10000].
    #[arg(long, env = "SHIELDWATCH_WITNESS_CONFIG")]
    config: PathBuf,
    /// Address to listen on, overriding the file.
    #[arg(long, env = "SHIELDWATCH_WITNESS_LISTEN")]
    listen: Option<String>,
    /// Write logs as JSON lines instead of text (filter with RUST_LOG, default "info").
    #[arg(long, env = "SHIELDWATCH_LOG_JSON")]
    log_json: bool,
}

/// Runs a `witness` subcommand.
pub fn run(cmd: WitnessCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        WitnessCommand::Init { name, key } => {
            let signer = witness::create_key_file(&name, &key)?;
            outln!("{}", signer.verifier_key())?;
            eprintln!(
                "created witness key {name:?} in {} (keep it secret); give logs the verifier key above",
                key.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        WitnessCommand::Serve(args) => serve(&args),
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
    tracing::info!("shutdown requested: finishing requests in flight");
}

fn serve(args: &WitnessServeArgs) -> anyhow::Result<ExitCode> {
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
    let mut config = witness::WitnessConfig::load(&args.config)?;
    if let Some(l) = &args.listen {
        config.listen.clone_from(l);
    }
    let signer = witness::load_signer(&config.key_file).context("loading the witness key")?;
    let w = witness::Witness::open(&config.state_file, signer, &config.witnessed_logs())
        .with_context(|| format!("opening the witness state {}", config.state_file.display()))?;
    tracing::info!(
        name = w.name(),
        verifier_key = %w.verifier_key(),
        logs = ?w.origins(),
        "witness ready"
    );
    let limits = witness::HttpLimits {
        max_body_bytes: config.max_body_bytes,
        request_timeout: Duration::from_millis(config.request_timeout_ms),
        header_timeout: Duration::from_millis(config.header_timeout_ms),
        max_connections: config.max_connections,
    };
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(server::conn::load_tls(cert, key)?),
        _ => None,
    };
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let addr = listener.local_addr().context("the bound address")?;
        crate::output::announce_listening(if tls.is_some() { "https" } else { "http" }, addr)?;
        tracing::info!(%addr, tls = tls.is_some(), "serving");
        let app = witness::router(Arc::new(w), limits);
        witness::http::serve(listener, app, limits, tls, shutdown_signal()).await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
