//! `shieldwatch dashboard [SCENARIO]`: the local web app of `crates/dashboard`, served until Ctrl-C.
//! Prints the URL to open on one line, `dashboard: http://ADDR/`, once the listener is bound (with
//! `--listen 127.0.0.1:0` the system picks the port, and that line names it).

use std::io::Write;
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
}

/// Serves the dashboard. Exit status 2 when the scenario is rejected.
pub fn run(args: &DashboardArgs) -> anyhow::Result<ExitCode> {
    let scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
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
        dashboard::serve(listener, scenario, shutdown)
            .await
            .context("serving the dashboard")
    })?;
    Ok(ExitCode::SUCCESS)
}
