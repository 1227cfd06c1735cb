//! `shieldwatch study <scenario>`: the headline capability study (`shared/DESIGN.md` §5), printed as
//! tables and written as an output folder (CSV, GeoJSON, KML, SVG, HTML), or as JSON with
//! `--format json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::{Args, ValueEnum};
use defence::report;
use defence::scenario::Scenario;
use defence::study::{self, StudyOptions};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

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

/// Arguments of `shieldwatch study`.
#[derive(Debug, Args)]
pub struct StudyArgs {
    /// A built-in scenario name (europe-2008) or the path of a scenario TOML file.
    pub scenario: String,
    /// Output folder, replaced atomically when the study completes [default: out/<scenario name>].
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
}

/// Runs the study. Exit status 2 when the scenario is rejected (nothing is written then).
pub fn run(args: &StudyArgs) -> anyhow::Result<ExitCode> {
    let scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("shieldwatch: error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(bad) = args.speeds.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        eprintln!("shieldwatch: error: --speeds: {bad} is not a positive speed in m/s");
        return Ok(ExitCode::from(2));
    }
    let opts = StudyOptions {
        gravity: match args.gravity {
            GravityArg::Point => flight::Gravity::Point,
            GravityArg::J2 => flight::Gravity::J2,
        },
        shapes: args
            .shapes
            .iter()
            .map(|s| match s {
                ShapeArg::MinEnergy => study::ShapeChoice::MinEnergy,
                ShapeArg::Lofted => study::ShapeChoice::Lofted,
                ShapeArg::Depressed => study::ShapeChoice::Depressed,
            })
            .collect(),
        speeds_mps: args.speeds.clone(),
    };
    let plan = study::plan(&scenario, &opts);
    let speeds = study::speeds(&scenario, &opts);
    let bar = ProgressBar::new(plan.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}/{len} trajectories, ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(format!("study {}", scenario.meta.name));
    let threats = plan
        .par_iter()
        .map(|item| {
            let r = study::run_one(&scenario, &opts, &speeds, item);
            bar.inc(1);
            r
        })
        .collect::<Result<Vec<_>, _>>();
    bar.finish_and_clear();
    let threats = match threats {
        Ok(t) => t,
        Err(e) => {
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
        let out = args
            .out
            .clone()
            .unwrap_or_else(|| Path::new("out").join(&scenario.meta.name));
        // Footprint sections for the report: the defended area and the radar coverage (fast engine, 1°).
        let maps_ = defence::footprint::study_maps(&scenario, &CANCEL).unwrap_or_default();
        let mut html = report::html(&result, speed_range);
        if !maps_.is_empty() {
            let sections: String = maps_.iter().map(defence::maps::footprint_section).collect();
            let at = html.rfind("</body>").unwrap_or(html.len());
            html.insert_str(at, &format!("<h2>Footprints</h2>\n{sections}"));
        }
        let mut files = vec![
            (
                "study.json",
                serde_json::to_string_pretty(&result).context("serialising the study")?,
            ),
            ("engagements.csv", report::engagements_csv(&result)),
            ("coverage.csv", report::coverage_csv(&result)),
            ("study.geojson", report::geojson(&result)),
            ("study.kml", report::kml(&result)),
            ("crossover.svg", report::crossover_svg(&result, speed_range)),
            ("altitude-range.svg", report::altitude_range_svg(&result)),
            ("timelines.svg", report::timelines_svg(&result, value_speed)),
            ("map.svg", report::map_svg(&result)),
            ("report.html", html),
            ("summary.txt", report::summary(&result)),
        ];
        for fp in &maps_ {
            let name = match fp.kind {
                defence::footprint::MapKind::RadarCoverage => "footprint-radar-coverage.svg",
                _ => "footprint-defended-area.svg",
            };
            files.push((name, defence::maps::footprint_svg(fp)));
        }
        write_folder(&out, &files).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("wrote {} ({} files)", out.display(), files.len());
    }
    match args.format {
        Format::Table => print!("{}", report::summary(&result)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&result)?),
    }
    Ok(ExitCode::SUCCESS)
}

/// Set by Ctrl-C once [`install_ctrlc`] has run: long computations poll it and stop without writing.
pub(crate) static CANCEL: AtomicBool = AtomicBool::new(false);

/// Makes Ctrl-C set [`CANCEL`] (a second Ctrl-C exits at once with status 130). Output folders are only
/// ever swapped in whole, so neither leaves a half-written folder behind.
pub(crate) fn install_ctrlc() {
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

/// A progress bar on stderr with an ETA, hidden when stderr is not a terminal or when `hidden`.
pub(crate) fn progress_bar(len: u64, unit: &str, message: String, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {{msg}} [{{bar:40}}] {{pos}}/{{len}} {unit}, ETA {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// Writes every file into a fresh sibling folder, then swaps it into place, so a reader never sees a
/// half-written output folder (an interrupted run leaves only a `.tmp-…` sibling, removed next time).
pub(crate) fn write_folder(out: &Path, files: &[(&str, String)]) -> anyhow::Result<()> {
    write_folder_with(out, |tmp| {
        for (file, content) in files {
            std::fs::write(tmp.join(file), content)?;
        }
        Ok(())
    })
}

/// As [`write_folder`], with `fill` writing the contents into the fresh folder it is given.
pub(crate) fn write_folder_with(
    out: &Path,
    fill: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = out
        .file_name()
        .context("output folder has no name")?
        .to_string_lossy()
        .into_owned();
    // Leftovers of interrupted runs (a second Ctrl-C, a kill) whose process is gone.
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            let f = e.file_name().to_string_lossy().into_owned();
            let pid = [".tmp-", ".old-"]
                .iter()
                .find_map(|k| f.strip_prefix(&format!(".{name}{k}")))
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(pid) = pid
                && pid != std::process::id()
                && !Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir(&tmp)?;
    fill(&tmp)?;
    if out.exists() {
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(out, &old)?;
        std::fs::rename(&tmp, out)?;
        std::fs::remove_dir_all(&old)?;
    } else {
        std::fs::rename(&tmp, out)?;
    }
    Ok(())
}
