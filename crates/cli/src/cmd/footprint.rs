//! `shieldwatch footprint <scenario>`: defended-area, threat-origin and radar-coverage maps over a grid
//! (`shared/DESIGN.md` §5), printed as a table and written as an output folder (CSV, GeoJSON, KML, CZML,
//! SVG, HTML), or as JSON with `--format json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use defence::footprint::{self, FootprintError, Grid, MapKind, Request};
use defence::maps;
use defence::scenario::Scenario;
use defence::study::ShapeChoice;

use super::study::{Format, ShapeArg};
use crate::output::{
    CANCEL, cancelled, cancelled_exit, check_out, install_ctrlc, progress_bar, write_folder,
};

/// Which map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MapArg {
    /// For a launch site (--site): the targets the deployment can engage.
    DefendedArea,
    /// For a defended point (--site): the launch points from which incoming missiles can be engaged.
    ThreatOrigin,
    /// The lowest warhead altitude the radar sees over each point.
    RadarCoverage,
}

/// Arguments of `shieldwatch footprint`.
#[derive(Debug, Args)]
pub struct FootprintArgs {
    /// A built-in scenario name (europe-2008) or the path of a scenario TOML file.
    pub scenario: String,
    /// Which map.
    #[arg(long, value_enum, default_value = "defended-area")]
    pub map: MapArg,
    /// The launch site (defended-area) or defended point (threat-origin), by scenario site name
    /// [default: Tehran for defended-area, Berlin for threat-origin].
    #[arg(long)]
    pub site: Option<String>,
    /// Missile type [default: the longest-ranged one among the scenario's threats from (to) the site].
    #[arg(long)]
    pub missile: Option<String>,
    /// Grid bounds in degrees: south,north,west,east [default: Europe 35,71,-11,41 for defended-area;
    /// Iran and surroundings 24,42,40,64 for threat-origin; 30,72,-12,65 for radar-coverage].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub bounds: Option<Vec<f64>>,
    /// Grid spacing, degrees.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub resolution: f64,
    /// Threat trajectory family.
    #[arg(long, value_enum, default_value = "min-energy")]
    pub shape: ShapeArg,
    /// Interceptor boost model: `powered` flies the battery's rocket (sized to each burnout speed),
    /// `fixed` uses the scenario's burn time, burnout height and downrange.
    #[arg(long, value_enum, default_value = "powered")]
    pub boost: crate::cmd::study::BoostArg,
    /// Interceptor burnout speed (m/s) to assume instead of the scenario's value.
    #[arg(long, allow_negative_numbers = true)]
    pub speed: Option<f64>,
    /// Contour levels, comma-separated: burnout speeds in m/s (engagement maps) or altitudes in m
    /// (radar coverage) [default: 5400,6300,7700,8300,9000 and --speed; 100000,200000,500000,1000000].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub levels: Option<Vec<f64>>,
    /// Radar coverage map: warhead radar cross-section, m² [default: the smallest missile RCS].
    #[arg(long, allow_negative_numbers = true)]
    pub rcs: Option<f64>,
    /// Output folder, replaced atomically when the map completes (only an earlier output folder or an empty one is replaced) [default: out/footprint-<map>-<site>].
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

/// Computes and writes the map. Exit status 2 on bad input (nothing written), 130 when cancelled.
pub fn run(args: &FootprintArgs) -> anyhow::Result<ExitCode> {
    let scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let kind = match args.map {
        MapArg::DefendedArea => MapKind::DefendedArea,
        MapArg::ThreatOrigin => MapKind::ThreatOrigin,
        MapArg::RadarCoverage => MapKind::RadarCoverage,
    };
    let b = match &args.bounds {
        Some(v) if v.len() == 4 => [v[0], v[1], v[2], v[3]],
        Some(_) => return fail("--bounds takes four numbers: south,north,west,east"),
        None => kind.default_bounds(),
    };
    let grid = match Grid::try_new(b[0], b[1], b[2], b[3], args.resolution) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    if let Err(e) = defence::params::check_burnout_speeds("--speed", args.speed.as_slice()) {
        return fail(e);
    }
    if let Some(out) = args.out.as_deref().filter(|_| !args.no_files) {
        check_out(out)?;
    }
    if let Some(r) = args.rcs
        && !(r.is_finite() && r > 0.0)
    {
        return fail(format!("--rcs {r} must be a positive area in m²"));
    }
    let speed = args
        .speed
        .or_else(|| scenario.interceptors.first().map(|i| i.burnout_speed_mps.value))
        .unwrap_or(7000.0);
    let mut levels = match &args.levels {
        Some(l) => l.clone(),
        None => kind.default_levels(speed),
    };
    if let Some(bad) = levels.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return fail(format!("--levels: {bad} is not a non-negative level"));
    }
    // On the engagement maps a level is a burnout speed: the same limits as `--speed`.
    if kind != MapKind::RadarCoverage
        && let Err(e) = defence::params::check_burnout_speeds("--levels", &levels)
    {
        return fail(e);
    }
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    let shape = match args.shape {
        ShapeArg::MinEnergy => ShapeChoice::MinEnergy,
        ShapeArg::Lofted => ShapeChoice::Lofted,
        ShapeArg::Depressed => ShapeChoice::Depressed,
    };
    let site = args.site.clone().or(kind.default_site().map(String::from));
    let req = Request {
        kind,
        site: site.clone(),
        missile: args.missile.clone(),
        shape,
        grid,
        speed_mps: args.speed,
        rcs_m2: args.rcs,
        levels,
        boost: args.boost.model(),
    };
    install_ctrlc()?;
    let n = grid.n_lat() * grid.n_lon();
    let bar = progress_bar(
        n as u64,
        "points",
        format!("footprint {}", scenario.meta.name),
        args.format == Format::Json,
    );
    let started = std::time::Instant::now();
    let result = footprint::compute(&scenario, &req, None, &|k| bar.inc(k as u64), &CANCEL);
    bar.finish_and_clear();
    let fp = match result {
        Ok(fp) => fp,
        Err(FootprintError::Cancelled) => return Ok(cancelled_exit()),
        Err(e) => return fail(e),
    };
    let elapsed = started.elapsed().as_secs_f64();
    if !args.no_files {
        let name = match (&fp.site, kind) {
            (_, MapKind::RadarCoverage) => "footprint-radar-coverage".to_string(),
            (Some(s), MapKind::DefendedArea) => format!("footprint-defended-area-{}", slug(s)),
            (Some(s), _) => format!("footprint-threat-origin-{}", slug(s)),
            (None, _) => "footprint".to_string(),
        };
        let out = args.out.clone().unwrap_or_else(|| Path::new("out").join(name));
        let files = maps::footprint_files(&fp).context("rendering the footprint")?;
        if cancelled() {
            return Ok(cancelled_exit());
        }
        write_folder(&out, &files)?;
    }
    match args.format {
        Format::Table => {
            out!("{}", maps::footprint_summary(&fp))?;
            outln!(
                "\n{} points in {:.2} s ({} reach-table nodes computed)",
                fp.cells.len(),
                elapsed,
                fp.reach_nodes
            )?;
        }
        Format::Json => outln!("{}", serde_json::to_string_pretty(&fp)?)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
