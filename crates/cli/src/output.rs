//! What the human-facing commands share for output: the Ctrl-C flag, the progress bar, the atomic
//! output folder (through the `render` crate) and the files of `shieldwatch trajectory` (CSV from typed
//! rows, GeoJSON through the `geojson` crate, KML through the escaping XML writer). `study`, `footprint` and `sweep` poll [`CANCEL`]; a
//! cancelled run exits 130 and writes nothing.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use render::OutputFile;

/// Set by Ctrl-C once [`install_ctrlc`] has run: long computations poll it and stop without writing.
pub(crate) static CANCEL: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C was pressed.
pub(crate) fn cancelled() -> bool {
    CANCEL.load(Ordering::SeqCst)
}

/// Makes Ctrl-C set [`CANCEL`] (a second Ctrl-C exits at once with status 130). Output folders are only
/// ever swapped in whole, so neither leaves a half-written folder behind.
pub(crate) fn install_ctrlc() -> anyhow::Result<()> {
    ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    })
    .context("installing the Ctrl-C handler")
}

/// A progress bar on stderr with an ETA, hidden when stderr is not a terminal or when `hidden`.
pub(crate) fn progress_bar(len: u64, unit: &str, message: String, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    // The template is a constant apart from `unit`; should it ever fail to parse, the default bar shows.
    let style = ProgressStyle::with_template(&format!(
        "{{spinner}} {{msg}} [{{bar:40}}] {{pos}}/{{len}} {unit}, ETA {{eta}}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_message(message);
    bar
}

/// Writes `files` as the folder `out`, swapped in whole (see [`render::folder`]), and says so on stderr.
pub(crate) fn write_folder(out: &Path, files: &[OutputFile]) -> anyhow::Result<()> {
    render::folder::write_folder(out, files).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {} ({} files)", out.display(), files.len());
    Ok(())
}

/// Refuses an output folder that [`write_folder`] would refuse (see [`render::folder`]), before any
/// computation, with the same message.
pub(crate) fn check_out(out: &Path) -> anyhow::Result<()> {
    render::folder::check_replaceable(out).with_context(|| format!("writing {}", out.display()))
}

/// As [`write_folder`], with `fill` writing into the fresh folder.
pub(crate) fn write_folder_with(
    out: &Path,
    fill: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    render::folder::write_folder_with(out, fill).with_context(|| format!("writing {}", out.display()))
}

/// The message and exit status of a cancelled run.
pub(crate) fn cancelled_exit() -> std::process::ExitCode {
    eprintln!("shieldwatch: cancelled; nothing written");
    std::process::ExitCode::from(130)
}

/// Writes `body` to `path` through a temporary file in the same folder, synced and renamed into place.
/// If that fails, the temporary file is removed (a failure to remove it is reported with the first).
pub(crate) fn write_atomic(path: &Path, body: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension(format!(
        "{}.tmp{}",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    let result = (|| -> anyhow::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(body)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if let Err(e) = result {
        if tmp.exists()
            && let Err(e2) = std::fs::remove_file(&tmp)
        {
            return Err(e.context(format!(
                "writing {} (and removing {} failed: {e2})",
                path.display(),
                tmp.display()
            )));
        }
        return Err(e.context(format!("writing {}", path.display())));
    }
    Ok(())
}

/// One row of a trajectory's CSV: a sample of the track.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub(crate) struct TrackRow {
    /// Seconds since burnout.
    pub t_since_burnout_s: f64,
    /// Geodetic latitude, degrees (WGS84).
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Height above the ellipsoid, m.
    pub alt_m: f64,
    /// Speed relative to the rotating Earth, m/s.
    pub speed_rel_mps: f64,
    /// Inertial speed, m/s.
    pub speed_inertial_mps: f64,
}

/// The trajectory's CSV (one [`TrackRow`] per sample).
pub(crate) fn track_csv(track: &[flight::TrackPoint]) -> anyhow::Result<String> {
    Ok(render::csv::to_csv(track.iter().map(|p| TrackRow {
        t_since_burnout_s: p.t_since_burnout_s,
        lat_deg: p.lat_deg,
        lon_deg: p.lon_deg,
        alt_m: p.alt_m,
        speed_rel_mps: p.speed_rel_mps,
        speed_inertial_mps: p.speed_inertial_mps,
    }))?)
}

/// What the GeoJSON and KML of a trajectory say about it.
pub(crate) struct TrackDescription<'a> {
    pub name: &'a str,
    pub time_of_flight_s: f64,
    pub apogee_alt_m: f64,
    pub burnout_speed_mps: f64,
    pub flight_path_angle_deg: f64,
    /// Burnout point: longitude, latitude (degrees), height (m).
    pub burnout: [f64; 3],
    /// Impact point: longitude, latitude (degrees).
    pub impact: [f64; 2],
}

/// The trajectory as GeoJSON: the 3-D track, the burnout and the impact points.
pub(crate) fn track_geojson(
    d: &TrackDescription<'_>,
    track: &[flight::TrackPoint],
) -> anyhow::Result<String> {
    use geojson::{Feature, FeatureCollection, Geometry};
    use serde_json::json;
    let mut line = Feature::from(Geometry::new_multi_line_string(render::map::split_antimeridian(
        track.iter().map(|p| [p.lon_deg, p.lat_deg, p.alt_m]),
    )));
    line.set_property("name", d.name);
    line.set_property("time_of_flight_s", d.time_of_flight_s);
    line.set_property("apogee_alt_m", d.apogee_alt_m);
    line.set_property("burnout_speed_mps", d.burnout_speed_mps);
    line.set_property("flight_path_angle_deg", d.flight_path_angle_deg);
    let mut burnout = Feature::from(Geometry::new_point(d.burnout));
    burnout.set_property("name", "burnout");
    let mut impact = Feature::from(Geometry::new_point([d.impact[0], d.impact[1], 0.0]));
    impact.set_property("name", "impact");
    impact.set_property("t_since_burnout_s", json!(d.time_of_flight_s));
    Ok(serde_json::to_string_pretty(&FeatureCollection::new([
        line, burnout, impact,
    ]))?)
}

/// The trajectory as KML: the 3-D track (absolute heights) and the impact point.
pub(crate) fn track_kml(d: &TrackDescription<'_>, track: &[flight::TrackPoint]) -> anyhow::Result<String> {
    use render::attrs;
    let mut k = render::xml::Xml::with_declaration()?;
    k.open("kml", &attrs!["xmlns" => "http://www.opengis.net/kml/2.2"])?;
    k.open("Document", &[])?;
    k.leaf("name", &[], d.name)?;
    k.open("Placemark", &[])?;
    k.leaf("name", &[], d.name)?;
    k.leaf(
        "description",
        &[],
        &format!(
            "time of flight {:.1} s, apogee {:.1} km",
            d.time_of_flight_s,
            d.apogee_alt_m / 1e3
        ),
    )?;
    k.open("MultiGeometry", &[])?;
    for part in render::map::split_antimeridian(track.iter().map(|p| [p.lon_deg, p.lat_deg, p.alt_m])) {
        let coords: Vec<String> = part
            .iter()
            .map(|[lon, lat, alt]| format!("{lon:.8},{lat:.8},{alt:.1}"))
            .collect();
        k.open("LineString", &[])?;
        k.leaf("altitudeMode", &[], "absolute")?;
        k.leaf("coordinates", &[], &coords.join(" "))?;
        k.close()?;
    }
    k.close()?;
    k.close()?;
    k.open("Placemark", &[])?;
    k.leaf("name", &[], "impact")?;
    k.open("Point", &[])?;
    k.leaf(
        "coordinates",
        &[],
        &format!("{:.8},{:.8},0", d.impact[0], d.impact[1]),
    )?;
    k.close()?;
    k.close()?;
    k.close()?;
    k.close()?;
    Ok(k.finish()?)
}

/// Prints the line by which `serve` and `witness serve` announce a bound listener on stdout,
/// `listening on <scheme>://<address>` (the metrics listener: `metrics on <scheme>://<address>`),
/// and flushes it: with `--listen 127.0.0.1:0` it is how a caller learns the port the system
/// chose.
///
/// # Errors
///
/// If stdout cannot be written.
pub fn announce_listening(scheme: &str, addr: std::net::SocketAddr) -> anyhow::Result<()> {
    announce("listening on", scheme, addr)
}

/// As [`announce_listening`], for the metrics listener.
///
/// # Errors
///
/// If stdout cannot be written.
pub fn announce_metrics(scheme: &str, addr: std::net::SocketAddr) -> anyhow::Result<()> {
    announce("metrics on", scheme, addr)
}

fn announce(what: &str, scheme: &str, addr: std::net::SocketAddr) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{what} {scheme}://{addr}").context("writing the listening address")?;
    out.flush().context("writing the listening address")?;
    Ok(())
}
