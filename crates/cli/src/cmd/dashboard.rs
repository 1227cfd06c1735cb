//! `shieldwatch dashboard [SCENARIO] [--log URL]... [--monitor-dir DIR] [--trust FILE]`: the local web
//! app of `crates/dashboard`, served until Ctrl-C.
//! Prints the URL to open on one line, `dashboard: http://ADDR/`, once the listener is bound (with
//! `--listen 127.0.0.1:0` the system picks the port, and that line names it).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use defence::scenario::Scenario;

/// Arguments of `shieldwatch dashboard`.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// A built-in scenario name (`shieldwatch study --list` names them) or the path of a scenario TOML
    /// file.
    #[arg(default_value = "europe-2008")]
    pub scenario: String,
    /// Address to listen on (port 0: any free port; the URL line says which).
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: String,
    /// A transparency log to show in the verification view (its base URL); repeatable. Read as a
    /// client, checked against the trust file.
    #[arg(long = "log", value_name = "URL")]
    pub logs: Vec<String>,
    /// The folder `shieldwatch monitor --out` writes its alert files to.
    #[arg(long, value_name = "DIR")]
    pub monitor_dir: Option<PathBuf>,
    /// The trust file (as `shieldwatch verify evidence --trust` takes it): the only keys checkpoints,
    /// cosignatures and evidence are checked against. Required with --log or --monitor-dir.
    #[arg(long, value_name = "FILE")]
    pub trust: Option<PathBuf>,
    /// The sensors' reporting period, s (as `shieldwatch simulate --period-s`): a longer interval
    /// between two readings is shown as a gap.
    #[arg(long, default_value_t = 300)]
    pub period_s: u64,
}

/// Serves the dashboard. Exit status 2 when the scenario, the trust file or another argument is rejected.
pub fn run(args: &DashboardArgs) -> anyhow::Result<ExitCode> {
    let scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("shieldwatch: error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let verification = match dashboard::Verification::load(&dashboard::VerificationConfig {
        logs: args.logs.clone(),
        monitor_dir: args.monitor_dir.clone(),
        trust: args.trust.clone(),
        period_s: args.period_s,
    }) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("shieldwatch: error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "dashboard: {}", dashboard::url(addr)).context("writing the URL line")?;
        out.flush().context("writing the URL line")?;
        drop(out);
        let shutdown = async {
            if let Err(e) = tokio::signal::ctrl_c().await {
                eprintln!("shieldwatch: error: waiting for Ctrl-C: {e}");
            }
        };
        dashboard::serve(listener, scenario, verification, shutdown)
            .await
            .context("serving the dashboard")
    })?;
    Ok(ExitCode::SUCCESS)
}
