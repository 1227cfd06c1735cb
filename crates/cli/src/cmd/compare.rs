//! `shieldwatch compare A B`: the same threats flown against two scenarios, and what changes — a
//! terminal table and an output folder (CSV, GeoJSON, SVG/PNG map, HTML) built by `defence::compare`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use defence::compare::{self, Comparison};
use defence::scenario::Scenario;
use defence::study::{self, StudyOptions};
use rayon::prelude::*;

use crate::cmd::study::{BoostArg, Format, GravityArg, ShapeArg, shape_choice};
use crate::output::{cancelled, cancelled_exit, check_out, install_ctrlc, progress_bar, write_folder};

/// Arguments of `shieldwatch compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario A: a built-in name (`shieldwatch study --list`) or a scenario TOML file.
    pub a: String,
    /// Scenario B: a built-in name or a scenario TOML file.
    pub b: String,
    /// Output folder, replaced atomically when the comparison completes (only an earlier output folder or an empty one is replaced) [default: out/compare-A-B].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Do not write the output folder.
    #[arg(long)]
    pub no_files: bool,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Gravity model for threat trajectories.
    #[arg(long, value_enum, default_value = "j2")]
    pub gravity: GravityArg,
    /// Threat trajectory shapes to fly, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [ShapeArg::MinEnergy])]
    pub shapes: Vec<ShapeArg>,
    /// Interceptor burnout speeds (m/s) at which to count engageable trajectories, comma-separated;
    /// both scenarios' battery values and range ends are always added.
    #[arg(long, value_delimiter = ',', default_values_t = [5400.0, 6300.0, 7000.0, 7700.0, 8300.0, 9000.0])]
    pub speeds: Vec<f64>,
    /// Interceptor boost model for both scenarios: `powered` flies each battery's rocket (a battery
    /// naming no vehicle keeps the fixed boost), `fixed` uses the scenarios' burn time, burnout height
    /// and downrange.
    #[arg(long, value_enum, default_value = "powered")]
    pub boost: BoostArg,
}

/// Why a study of the comparison has no result.
enum Stop {
    Cancelled,
    Failed(study::StudyError),
}

/// Flies the plan of `s` (one study), advancing `bar`.
fn run_study(
    s: &Scenario,
    opts: &StudyOptions,
    bar: &indicatif::ProgressBar,
) -> Result<defence::study::Study, Stop> {
    let plan = study::plan(s, opts);
    let speeds = study::speeds(s, opts);
    let threats = plan
        .par_iter()
        .map(|item| {
            if cancelled() {
                return Err(Stop::Cancelled);
            }
            let r = study::run_one(s, opts, &speeds, item).map_err(Stop::Failed);
            bar.inc(1);
            r
        })
        .collect::<Result<Vec<_>, _>>()?;
    study::assemble(s, opts, threats).map_err(Stop::Failed)
}

/// Runs the comparison. Exit status 2 when a scenario is unknown or rejected, or the two cannot be
/// compared (nothing is written then).
pub fn run(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let load = |name: &str| Scenario::load(name).map_err(|e| e.to_string());
    let (a, b) = match (load(&args.a), load(&args.b)) {
        (Ok(a), Ok(b)) => (a, b),
        (ea, eb) => {
            for e in [ea.err(), eb.err()].into_iter().flatten() {
                eprintln!("shieldwatch: error: {e}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    if let Err(e) = defence::params::check_burnout_speeds("--speeds", &args.speeds) {
        eprintln!("shieldwatch: error: {e}");
        return Ok(ExitCode::from(2));
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(format!("compare-{}-{}", a.meta.name, b.meta.name)));
    if !args.no_files {
        check_out(&out)?;
    }
    let prepared = match compare::prepare(&a, &b) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("shieldwatch: error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut speeds = args.speeds.clone();
    // Both scenarios report at the same speeds: the requested ones and both sets of battery values.
    for s in [&a, &b] {
        for i in &s.interceptors {
            let (lo, hi) = i.burnout_speed_mps.span_of_values();
            speeds.extend([lo, i.burnout_speed_mps.value, hi]);
        }
    }
    // One options value per scenario: each sets up (and keeps) its own batteries.
    let opts = StudyOptions {
        gravity: args.gravity.model(),
        shapes: args.shapes.iter().map(|s| shape_choice(*s)).collect(),
        speeds_mps: speeds,
        boost: args.boost.model(),
        battery: Default::default(),
    };
    let opts_b = StudyOptions {
        battery: Default::default(),
        ..opts.clone()
    };
    install_ctrlc()?;
    let n = study::plan(&prepared.a, &opts).len() + study::plan(&prepared.b, &opts_b).len();
    let bar = progress_bar(
        n as u64,
        "trajectories",
        format!("compare {} {}", a.meta.name, b.meta.name),
        args.format == Format::Json,
    );
    let studies = run_study(&prepared.a, &opts, &bar)
        .and_then(|sa| run_study(&prepared.b, &opts_b, &bar).map(|sb| (sa, sb)));
    bar.finish_and_clear();
    let (sa, sb) = match studies {
        Ok(x) => x,
        Err(Stop::Cancelled) => return Ok(cancelled_exit()),
        Err(Stop::Failed(e)) => {
            eprintln!("shieldwatch: error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let c = Comparison::new(&a, &b, sa, sb);
    if !args.no_files {
        let files = compare::compare_files(&c).context("rendering the comparison")?;
        if cancelled() {
            return Ok(cancelled_exit());
        }
        write_folder(&out, &files)?;
    }
    match args.format {
        Format::Table => out!("{}", compare::summary(&c))?,
        Format::Json => outln!("{}", serde_json::to_string_pretty(&c)?)?,
    }
    Ok(ExitCode::SUCCESS)
}
