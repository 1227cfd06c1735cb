//! `shieldwatch trajectory`: one ballistic trajectory for people — a table of the burnout state, time of
//! flight and apogee, and the sampled track written as CSV, GeoJSON and KML.
//!
//! Either targeting (`--launch`, `--target`, a shape) or a given burnout state (`--burnout`). Files are
//! written atomically (a temporary file renamed into place), so a reader never sees half a file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use flight::{BurnoutState, Gravity, Shape, TrackPoint, Trajectory};
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
    let files = [
        (stem.with_extension("csv"), csv(&track)),
        (stem.with_extension("geojson"), geojson(&report, &track)?),
        (stem.with_extension("kml"), kml(&report, &track)),
    ];
    for (path, body) in &files {
        write_atomic(path, body.as_bytes())?;
    }
    print_summary(
        args,
        &report,
        gravity,
        &files.iter().map(|f| f.0.clone()).collect::<Vec<_>>(),
    );
    Ok(ExitCode::SUCCESS)
}

fn print_summary(args: &TrajectoryArgs, r: &Report, gravity: Gravity, files: &[PathBuf]) {
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
        println!("{v}");
        return;
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
    println!("{t}");
}

fn csv(track: &[TrackPoint]) -> String {
    let mut s = String::from("t_since_burnout_s,lat_deg,lon_deg,alt_m,speed_rel_mps,speed_inertial_mps\n");
    for p in track {
        s.push_str(&format!(
            "{:.3},{:.8},{:.8},{:.3},{:.4},{:.4}\n",
            p.t_since_burnout_s, p.lat_deg, p.lon_deg, p.alt_m, p.speed_rel_mps, p.speed_inertial_mps
        ));
    }
    s
}

/// Splits the track where it crosses the antimeridian, so maps draw it without a line across the world.
fn split_antimeridian(track: &[TrackPoint]) -> Vec<Vec<[f64; 3]>> {
    let mut parts = vec![Vec::new()];
    let mut prev: Option<f64> = None;
    for p in track {
        if let Some(lon0) = prev
            && (p.lon_deg - lon0).abs() > 180.0
        {
            parts.push(Vec::new());
        }
        if let Some(last) = parts.last_mut() {
            last.push([p.lon_deg, p.lat_deg, p.alt_m]);
        }
        prev = Some(p.lon_deg);
    }
    parts
}

fn geojson(r: &Report, track: &[TrackPoint]) -> anyhow::Result<String> {
    let s = r.trajectory.summary();
    let parts = split_antimeridian(track);
    let b = &r.burnout;
    let v = json!({
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": r.title,
                    "time_of_flight_s": s.time_of_flight_s,
                    "apogee_alt_m": s.apogee_alt_m,
                    "burnout_speed_mps": b.speed_mps,
                    "flight_path_angle_deg": b.flight_path_angle_deg,
                },
                "geometry": { "type": "MultiLineString", "coordinates": parts },
            },
            {
                "type": "Feature",
                "properties": { "name": "burnout" },
                "geometry": { "type": "Point", "coordinates": [b.lon_deg, b.lat_deg, b.alt_m] },
            },
            {
                "type": "Feature",
                "properties": { "name": "impact", "t_since_burnout_s": s.time_of_flight_s },
                "geometry": { "type": "Point", "coordinates": [s.impact_lon_deg, s.impact_lat_deg, 0.0] },
            },
        ],
    });
    Ok(serde_json::to_string_pretty(&v)?)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn kml(r: &Report, track: &[TrackPoint]) -> String {
    let s = r.trajectory.summary();
    let mut coords = String::new();
    for part in split_antimeridian(track) {
        coords.push_str("<LineString><altitudeMode>absolute</altitudeMode><coordinates>\n");
        for [lon, lat, alt] in part {
            coords.push_str(&format!("{lon:.8},{lat:.8},{alt:.1}\n"));
        }
        coords.push_str("</coordinates></LineString>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n\
         <name>{name}</name>\n<Placemark><name>{name}</name>\n<description>time of flight {tof:.1} s, apogee \
         {apo:.1} km</description>\n<MultiGeometry>\n{coords}</MultiGeometry></Placemark>\n\
         <Placemark><name>impact</name><Point><coordinates>{ilon:.8},{ilat:.8},0</coordinates></Point></Placemark>\n\
         </Document>\n</kml>\n",
        name = xml_escape(&r.title),
        tof = s.time_of_flight_s,
        apo = s.apogee_alt_m / 1e3,
        ilon = s.impact_lon_deg,
        ilat = s.impact_lat_deg,
    )
}

/// Writes `body` to `path` through a temporary file in the same folder, synced and renamed into place.
fn write_atomic(path: &Path, body: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!(
        "{}.tmp{}",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    let result = (|| -> anyhow::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(body)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}
