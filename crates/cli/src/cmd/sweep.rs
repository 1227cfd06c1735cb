//! `shieldwatch sweep <scenario>`: one or two scenario parameters over a range, or Monte Carlo over the
//! disputed ranges (`shared/DESIGN.md` §5); tables on stdout, an output folder (CSV, SVG, HTML, JSON), or
//! JSON with `--format json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use defence::maps;
use defence::scenario::Scenario;
use defence::study::ShapeChoice;
use defence::sweep::{self, Axis, SweepError};

use super::study::{Format, ShapeArg};
use crate::output::{
    CANCEL, cancelled, cancelled_exit, check_out, install_ctrlc, progress_bar, write_folder,
};

/// Arguments of `shieldwatch sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// A built-in scenario name (europe-2008) or the path of a scenario TOML file.
    pub scenario: String,
    /// A parameter to sweep, as PATH=FROM:TO[:STEPS] (STEPS defaults to 9), e.g.
    /// `interceptors.GBI-2.burnout_speed_mps=5400:9000:10`; give it once or twice. With
    /// --monte-carlo, a bare PATH restricts the parameters drawn. `--list` prints every path.
    #[arg(long = "param")]
    pub params: Vec<String>,
    /// Draw the parameters uniformly within their scenario ranges instead (all disputed parameters unless
    /// --param names some) and report engagement probabilities.
    #[arg(long)]
    pub monte_carlo: bool,
    /// Monte Carlo samples.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Monte Carlo seed: the same seed gives the same result.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Threat trajectory family.
    #[arg(long, value_enum, default_value = "min-energy")]
    pub shape: ShapeArg,
    /// Interceptor boost model: `powered` flies the battery's rocket (sized to each burnout speed),
    /// `fixed` uses the scenario's burn time, burnout height and downrange.
    #[arg(long, value_enum, default_value = "powered")]
    pub boost: crate::cmd::study::BoostArg,
    /// Print the scenario's parameter paths and exit.
    #[arg(long)]
    pub list: bool,
    /// Output folder, replaced atomically when the sweep completes (only an earlier output folder or an empty one is replaced) [default: out/sweep-<scenario>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Do not write the output folder.
    #[arg(long)]
    pub no_files: bool,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

fn fail(msg: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("shieldwatch: error: {msg}");
    Ok(ExitCode::from(2))
}

/// Parses PATH=FROM:TO[:STEPS].
fn parse_axis(s: &Scenario, spec: &str) -> Result<Axis, String> {
    let (path, range) = spec
        .rsplit_once('=')
        .ok_or_else(|| format!("--param {spec}: expected PATH=FROM:TO[:STEPS]"))?;
    let parts: Vec<&str> = range.split(':').collect();
    let num = |x: &str| {
        x.trim()
            .parse::<f64>()
            .map_err(|_| format!("--param {spec}: \"{x}\" is not a number"))
    };
    let (from, to, steps) = match parts.as_slice() {
        [a, b] => (num(a)?, num(b)?, 9),
        [a, b, n] => (
            num(a)?,
            num(b)?,
            n.trim()
                .parse::<usize>()
                .map_err(|_| format!("--param {spec}: \"{n}\" is not a number of steps"))?,
        ),
        _ => return Err(format!("--param {spec}: expected PATH=FROM:TO[:STEPS]")),
    };
    if steps > 10_000 {
        return Err(format!("--param {spec}: at most 10000 steps"));
    }
    Axis::linspace(s, path.trim(), from, to, steps).map_err(|e| e.to_string())
}

/// Runs the sweep. Exit status 2 on bad input (nothing written), 130 when cancelled.
pub fn run(args: &SweepArgs) -> anyhow::Result<ExitCode> {
    let scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if args.list {
        for p in sweep::param_paths(&scenario) {
            outln!("{p}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let shape = match args.shape {
        ShapeArg::MinEnergy => ShapeChoice::MinEnergy,
        ShapeArg::Lofted => ShapeChoice::Lofted,
        ShapeArg::Depressed => ShapeChoice::Depressed,
    };
    let hidden = args.format == Format::Json;
    install_ctrlc()?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(format!("sweep-{}", scenario.meta.name)));
    if !args.no_files {
        check_out(&out)?;
    }
    let (files, table, json): (Vec<render::OutputFile>, String, String) = if args.monte_carlo {
        let paths: Option<Vec<String>> = (!args.params.is_empty()).then(|| args.params.clone());
        if let Some(p) = paths.as_ref().and_then(|p| p.iter().find(|x| x.contains('='))) {
            return fail(format!(
                "--param {p}: with --monte-carlo give bare paths (ranges come from the scenario)"
            ));
        }
        if args.samples == 0 || args.samples > 1_000_000 {
            return fail(format!("--samples {} must be in 1..=1000000", args.samples));
        }
        let bar = progress_bar(args.samples as u64, "samples", "Monte Carlo".into(), hidden);
        let r = sweep::monte_carlo(
            &scenario,
            paths.as_deref(),
            args.samples,
            args.seed,
            shape,
            args.boost.model(),
            &|k| bar.inc(k as u64),
            &CANCEL,
        );
        bar.finish_and_clear();
        let mc = match r {
            Ok(m) => m,
            Err(SweepError::Cancelled) => return Ok(cancelled_exit()),
            Err(e) => return fail(e),
        };
        let json = serde_json::to_string_pretty(&mc).context("serialising")?;
        (
            maps::mc_files(&mc).context("rendering the Monte Carlo run")?,
            maps::mc_summary(&mc),
            json,
        )
    } else {
        if args.params.is_empty() || args.params.len() > 2 {
            return fail(
                "give one or two --param PATH=FROM:TO[:STEPS] (or --monte-carlo; --list prints paths)",
            );
        }
        let mut axes = Vec::new();
        for p in &args.params {
            match parse_axis(&scenario, p) {
                Ok(a) => axes.push(a),
                Err(e) => return fail(e),
            }
        }
        let n: usize = axes.iter().map(|a| a.values.len()).product();
        let bar = progress_bar(n as u64, "points", "sweep".into(), hidden);
        let r = sweep::sweep(
            &scenario,
            &axes,
            shape,
            args.boost.model(),
            &|k| bar.inc(k as u64),
            &CANCEL,
        );
        bar.finish_and_clear();
        let sw = match r {
            Ok(s) => s,
            Err(SweepError::Cancelled) => return Ok(cancelled_exit()),
            Err(e) => return fail(e),
        };
        let json = serde_json::to_string_pretty(&sw).context("serialising")?;
        (
            maps::sweep_files(&sw).context("rendering the sweep")?,
            maps::sweep_summary(&sw),
            json,
        )
    };
    if !args.no_files {
        if cancelled() {
            return Ok(cancelled_exit());
        }
        write_folder(&out, &files)?;
    }
    match args.format {
        Format::Table => out!("{table}")?,
        Format::Json => outln!("{json}")?,
    }
    Ok(ExitCode::SUCCESS)
}
