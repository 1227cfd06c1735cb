//! `shieldwatch trajectory`: one ballistic trajectory for people — a table of the burnout state, time of
//! flight and apogee, and the sampled track written as CSV, GeoJSON and KML.
//!
//! Either targeting (`--launch`, `--target`, a shape) or a given burnout state (`--burnout`). Files are
//! written atomically (a temporary file renamed into place), so a reader never sees half a file.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use flight::{BurnoutState, Gravity, Shape, Trajectory};
use geodesy::Geodetic;
use serde_json::json;

/// Arguments of `shieldwatch trajectory`.
#[derive(Debug, Args)]
pub struct TrajectoryArgs {
    /// Launch point as LAT,LON in degrees (with --target).
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true, requires = "target")]
    launch: Option<String>,
    /// Target ground point as LAT,LON in degrees (with --launch).
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true, requires = "launch")]
    target: Option<String>,
    /// Burnout height above the WGS84 ellipsoid, km (with --launch).
    #[arg(long, default_value_t = 200.0)]
    burnout_alt_km: f64,
    /// Lofted or depressed: the apogee height above the ellipsoid, km (default: minimum energy).
    #[arg(long, conflicts_with = "fpa_deg")]
    apogee_km: Option<f64>,
    /// Lofted or depressed: the burnout flight-path angle, degrees (default: minimum energy).
    #[arg(long, allow_hyphen_values = true)]
    fpa_deg: Option<f64>,
    /// Instead of targeting, fly this burnout state:
    /// LAT,LON,ALT_M,SPEED_MPS,AZIMUTH_DEG,FLIGHT_PATH_ANGLE_DEG.
    #[arg(long, value_name = "STATE", allow_hyphen_values = true, conflicts_with_all = ["launch", "target"])]
    burnout: Option<String>,
    /// Gravity model: point or j2.
    #[arg(long, default_value = "j2")]
    gravity: String,
    /// Sampling interval of the written track, seconds.
    #[arg(long, default_value_t = 10.0)]
    dt_s: f64,
    /// Output folder for <NAME>.csv, <NAME>.geojson and <NAME>.kml.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// File stem of the outputs.
    #[arg(long, default_value = "trajectory")]
    name: String,
    /// Print the summary as `table` or `json`.
    #[arg(long, default_value = "table")]
    format: String,
}

fn parse_list(s: &str, n: usize, what: &str) -> anyhow::Result<Vec<f64>> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("{what} \"{s}\": expected {n} comma-separated numbers"))?;
    if v.len() != n || v.iter().any(|x| !x.is_finite()) {
        bail!("{what} \"{s}\": expected {n} comma-separated finite numbers");
    }
    Ok(v)
}

/// What was flown, for the summary.
struct Report {
    title: String,
    kind: Option<&'static str>,
    miss_m: Option<f64>,
    burnout: BurnoutState,
    trajectory: Trajectory,
}

/// Runs the command.
pub fn run(args: &TrajectoryArgs) -> anyhow::Result<ExitCode> {
    let gravity: Gravity = args.gravity.parse()?;
    if !(args.dt_s.is_finite() && args.dt_s > 0.0) {
        bail!("--dt-s must be a positive number of seconds");
    }
    if args.format != "table" && args.format != "json" {
        bail!("--format must be table or json");
    }
    if args.name.is_empty() || args.name.contains(['/', '\\']) {
        bail!("--name must be a plain file stem");
    }
    let report = if let Some(b) = &args.burnout {
        let v = parse_list(b, 6, "--burnout")?;
        let burnout = BurnoutState::try_new(v[0], v[1], v[2], v[3], v[4], v[5])?;
        let trajectory = flight::propagate(&burnout, gravity)?;
        Report {
            title: format!("burnout {b}"),
            kind: None,
            miss_m: None,
            burnout,
            trajectory,
        }
    } else {
        let (Some(l), Some(t)) = (&args.launch, &args.target) else {
            bail!("give --launch and --target (targeting) or --burnout (a burnout state)");
        };
        let l = parse_list(l, 2, "--launch")?;
        let t = parse_list(t, 2, "--target")?;
        let shape = match (args.apogee_km, args.fpa_deg) {
            (Some(a), _) => Shape::Apogee { alt_m: a * 1e3 },
            (None, Some(g)) => Shape::FlightPathAngle { deg: g },
            (None, None) => Shape::MinEnergy,
        };
        let launch = Geodetic::try_new(l[0], l[1], args.burnout_alt_km * 1e3)?;
        let sol = flight::target(launch, t[0], t[1], shape, gravity)?;
        Report {
            title: format!("{},{} → {},{}", l[0], l[1], t[0], t[1]),
            kind: Some(sol.kind.name()),
            miss_m: Some(sol.miss_distance_m),
            burnout: sol.burnout,
            trajectory: sol.trajectory,
        }
    };
    let track = report.trajectory.sample(args.dt_s);
    fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let stem = args.out.join(&args.name);
    let s = report.trajectory.summary();
    let b = &report.burnout;
    let desc = crate::output::TrackDescription {
        name: &report.title,
        time_of_flight_s: s.time_of_flight_s,
        apogee_alt_m: s.apogee_alt_m,
        burnout_speed_mps: b.speed_mps,
        flight_path_angle_deg: b.flight_path_angle_deg,
        burnout: [b.lon_deg, b.lat_deg, b.alt_m],
        impact: [s.impact_lon_deg, s.impact_lat_deg],
    };
    let files = [
        (stem.with_extension("csv"), crate::output::track_csv(&track)?),
        (
            stem.with_extension("geojson"),
            crate::output::track_geojson(&desc, &track)?,
        ),
        (
            stem.with_extension("kml"),
            crate::output::track_kml(&desc, &track)?,
        ),
    ];
    for (path, body) in &files {
        crate::output::write_atomic(path, body.as_bytes())?;
    }
    print_summary(
        args,
        &report,
        gravity,
        &files.iter().map(|f| f.0.clone()).collect::<Vec<_>>(),
    )?;
    Ok(ExitCode::SUCCESS)
}

fn print_summary(
    args: &TrajectoryArgs,
    r: &Report,
    gravity: Gravity,
    files: &[PathBuf],
) -> std::io::Result<()> {
    let s = r.trajectory.summary();
    let b = &r.burnout;
    if args.format == "json" {
        let v = json!({
            "title": r.title,
            "gravity": gravity.name(),
            "kind": r.kind,
            "burnout": {
                "lat_deg": b.lat_deg, "lon_deg": b.lon_deg, "alt_m": b.alt_m, "speed_mps": b.speed_mps,
                "azimuth_deg": b.azimuth_deg, "flight_path_angle_deg": b.flight_path_angle_deg,
            },
            "impact_lat_deg": s.impact_lat_deg,
            "impact_lon_deg": s.impact_lon_deg,
            "time_of_flight_s": s.time_of_flight_s,
            "apogee_alt_m": s.apogee_alt_m,
            "apogee_time_s": s.apogee_time_s,
            "ground_range_km": s.ground_range_m / 1e3,
            "ground_azimuth_deg": s.ground_azimuth_deg,
            "miss_distance_m": r.miss_m,
            "files": files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        });
        return outln!("{v}");
    }
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(vec!["quantity", "value"]);
    let mut row = |k: &str, v: String| {
        t.add_row(vec![k.to_string(), v]);
    };
    row("trajectory", r.title.clone());
    row("gravity", gravity.name().to_string());
    if let Some(k) = r.kind {
        row("shape", k.to_string());
    }
    row(
        "burnout point",
        format!("{:.4}°, {:.4}°, {:.1} km", b.lat_deg, b.lon_deg, b.alt_m / 1e3),
    );
    row(
        "burnout speed (Earth-relative)",
        format!("{:.1} m/s", b.speed_mps),
    );
    row("burnout azimuth", format!("{:.3}°", b.azimuth_deg));
    row("flight-path angle", format!("{:.3}°", b.flight_path_angle_deg));
    row(
        "time of flight",
        format!(
            "{:.1} s ({:.1} min)",
            s.time_of_flight_s,
            s.time_of_flight_s / 60.0
        ),
    );
    row(
        "apogee",
        format!("{:.1} km at {:.1} s", s.apogee_alt_m / 1e3, s.apogee_time_s),
    );
    row(
        "impact point",
        format!("{:.4}°, {:.4}°", s.impact_lat_deg, s.impact_lon_deg),
    );
    row(
        "ground range",
        format!(
            "{:.1} km, azimuth {:.2}°",
            s.ground_range_m / 1e3,
            s.ground_azimuth_deg
        ),
    );
    if let Some(m) = r.miss_m {
        row("miss distance (check)", format!("{m:.3} m"));
    }
    for f in files {
        row("written", f.display().to_string());
    }
    outln!("{t}")
}
