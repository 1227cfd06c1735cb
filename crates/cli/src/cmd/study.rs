//! `shieldwatch study <scenario>`: the headline capability study (`shared/DESIGN.md` §5), printed as
//! tables and written as an output folder (CSV, GeoJSON, KML, SVG, HTML), or as JSON with
//! `--format json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use defence::report;
use defence::scenario::Scenario;
use defence::study::{self, StudyOptions};
use rayon::prelude::*;

use crate::output::{
    CANCEL, cancelled, cancelled_exit, check_out, install_ctrlc, progress_bar, write_folder,
};

/// Output format of `study`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Summary tables on stdout.
    Table,
    /// The full results as one JSON document on stdout.
    Json,
}

/// Gravity model for threat trajectories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GravityArg {
    /// Point mass.
    Point,
    /// Point mass plus the J2 zonal term.
    J2,
}

/// Trajectory shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShapeArg {
    /// Minimum burnout speed.
    MinEnergy,
    /// Apogee 1.5 × the minimum-energy apogee.
    Lofted,
    /// Apogee 0.6 × the minimum-energy apogee.
    Depressed,
}

/// The interceptor's boost model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BoostArg {
    /// The interceptor's rocket is flown to burnout, sized to each burnout speed.
    Powered,
    /// Fixed burn time, burnout height and downrange from the scenario.
    Fixed,
}

impl BoostArg {
    /// The library's boost model.
    pub fn model(self) -> defence::boost::BoostModel {
        match self {
            BoostArg::Powered => defence::boost::BoostModel::Powered,
            BoostArg::Fixed => defence::boost::BoostModel::Fixed,
        }
    }
}

impl GravityArg {
    /// The flight crate's gravity model.
    pub fn model(self) -> flight::Gravity {
        match self {
            GravityArg::Point => flight::Gravity::Point,
            GravityArg::J2 => flight::Gravity::J2,
        }
    }
}

/// The study's trajectory shape for a command-line shape.
pub fn shape_choice(s: ShapeArg) -> study::ShapeChoice {
    match s {
        ShapeArg::MinEnergy => study::ShapeChoice::MinEnergy,
        ShapeArg::Lofted => study::ShapeChoice::Lofted,
        ShapeArg::Depressed => study::ShapeChoice::Depressed,
    }
}

/// Arguments of `shieldwatch study`.
#[derive(Debug, Args)]
pub struct StudyArgs {
    /// A built-in scenario name (`--list` names them) or the path of a scenario TOML file.
    #[arg(required_unless_present = "list")]
    pub scenario: Option<String>,
    /// List the built-in scenarios, one line each, and exit.
    #[arg(long, conflicts_with = "scenario")]
    pub list: bool,
    /// Output folder, replaced atomically when the study completes (only an earlier output folder or an empty one is replaced) [default: out/<scenario name>].
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
    /// Interceptor burnout speeds (m/s) at which to report engagement windows, comma-separated; the
    /// scenario's value and range ends are always added.
    #[arg(long, value_delimiter = ',', default_values_t = [5400.0, 6300.0, 7000.0, 7700.0, 8300.0, 9000.0])]
    pub speeds: Vec<f64>,
    /// Interceptor boost model: `powered` flies the battery's rocket (sized to each burnout speed),
    /// `fixed` uses the scenario's burn time, burnout height and downrange.
    #[arg(long, value_enum, default_value = "powered")]
    pub boost: BoostArg,
}

/// Runs the study. Exit status 2 when the scenario is rejected (nothing is written then).
pub fn run(args: &StudyArgs) -> anyhow::Result<ExitCode> {
    if args.list {
        return list();
    }
    let Some(name) = args.scenario.as_deref() else {
        eprintln!("shieldwatch: error: name a scenario, or use --list to see the built-in ones");
        return Ok(ExitCode::from(2));
    };
    let scenario = match Scenario::load(name) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("shieldwatch: error: {e}");
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
        .unwrap_or_else(|| Path::new("out").join(&scenario.meta.name));
    if !args.no_files {
        check_out(&out)?;
    }
    let opts = StudyOptions {
        gravity: args.gravity.model(),
        shapes: args.shapes.iter().map(|s| shape_choice(*s)).collect(),
        speeds_mps: args.speeds.clone(),
        boost: args.boost.model(),
        battery: study::BatteryCache::default(),
    };
    install_ctrlc()?;
    if let Err(e) = study::battery(&scenario, &opts) {
        eprintln!("shieldwatch: error: {e}");
        return Ok(ExitCode::from(2));
    }
    let plan = study::plan(&scenario, &opts);
    let speeds = study::speeds(&scenario, &opts);
    let bar = progress_bar(
        plan.len() as u64,
        "trajectories",
        format!("study {}", scenario.meta.name),
        args.format == Format::Json,
    );
    /// Why a trajectory of the plan has no result.
    enum Stop {
        Cancelled,
        Failed(defence::study::StudyError),
    }
    let threats = plan
        .par_iter()
        .map(|item| {
            if cancelled() {
                return Err(Stop::Cancelled);
            }
            let r = study::run_one(&scenario, &opts, &speeds, item).map_err(Stop::Failed);
            bar.inc(1);
            r
        })
        .collect::<Result<Vec<_>, _>>();
    bar.finish_and_clear();
    let threats = match threats {
        Ok(t) => t,
        Err(Stop::Cancelled) => return Ok(cancelled_exit()),
        Err(Stop::Failed(e)) => {
            eprintln!("shieldwatch: error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let result = match study::assemble(&scenario, &opts, threats) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("shieldwatch: error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let speed_range = scenario.interceptors.first().map(|i| {
        let (lo, hi) = i.burnout_speed_mps.span_of_values();
        [lo, hi]
    });
    let value_speed = scenario
        .interceptors
        .first()
        .map_or(7000.0, |i| i.burnout_speed_mps.value);
    if !args.no_files {
        // Footprint sections for the report: the defended area and the radar coverage (fast engine, 1°).
        let maps_ = match defence::footprint::study_maps(&scenario, opts.boost, &CANCEL) {
            Ok(m) => m,
            Err(defence::footprint::FootprintError::Cancelled) => return Ok(cancelled_exit()),
            Err(e) => {
                eprintln!("shieldwatch: error: footprint maps: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        let files =
            report::study_files(&result, speed_range, value_speed, &maps_).context("rendering the study")?;
        if cancelled() {
            return Ok(cancelled_exit());
        }
        write_folder(&out, &files)?;
    }
    match args.format {
        Format::Table => out!("{}", report::summary(&result))?,
        Format::Json => outln!("{}", serde_json::to_string_pretty(&result)?)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints every built-in scenario with its one-line summary.
fn list() -> anyhow::Result<ExitCode> {
    let all = defence::builtin::list().context("loading the built-in scenarios")?;
    let width = all.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, line) in all {
        outln!("{name:width$}  {line}")?;
    }
    Ok(ExitCode::SUCCESS)
}
