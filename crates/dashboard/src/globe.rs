//! What the globe draws of each radar besides the study's tracks: its field of regard and its horizon,
//! both at one target height, as rings of points on the ground.
//!
//! The field of regard is where the radar, as the scenario specifies it (`defence::radar::Radar`:
//! azimuth limits, elevation limits, detection range for the scenario's smallest warhead RCS), sees a
//! target at [`RING_ALT_M`] above the ellipsoid; the horizon is where such a target rises above the
//! radar's minimum elevation, whatever the azimuth and range. For each azimuth (every [`AZ_STEP_DEG`])
//! the farthest such point is found by stepping outwards along the geodesic every [`STEP_M`] (the
//! visible region need not start at the radar: the cone above the maximum elevation is blind).

use defence::radar::Radar;
use defence::scenario::Scenario;

use crate::model::RadarView;

/// Height of the target the rings are drawn for, m above the ellipsoid.
pub const RING_ALT_M: f64 = 100_000.0;
/// Azimuth step of the rings, degrees.
pub const AZ_STEP_DEG: f64 = 2.0;
/// Ground step outwards along each azimuth, m.
pub const STEP_M: f64 = 20_000.0;
/// Farthest ground distance searched, m.
pub const MAX_M: f64 = 5_000_000.0;

/// The farthest ground distance (m) along azimuth `az_deg` from the radar at which `radar` sees a
/// target at `alt_m` of RCS `rcs_m2`; `None` if it sees none along that azimuth.
fn farthest(radar: &Radar, az_deg: f64, alt_m: f64, rcs_m2: f64) -> Option<f64> {
    let (lat, lon) = (radar.position.lat_deg, radar.position.lon_deg);
    let mut best = None;
    let mut d = STEP_M;
    while d <= MAX_M {
        if let Ok(p) = geodesy::direct(lat, lon, az_deg, d)
            && radar.sees(geodesy::geodetic_to_ecef(p.lat2_deg, p.lon2_deg, alt_m), rcs_m2)
        {
            best = Some(d);
        }
        d += STEP_M;
    }
    best
}

/// A closed ring `[lon, lat]` (degrees) of the farthest visible points around `radar`; azimuths with
/// none contribute the radar's own position, so that a sector closes on it.
fn ring(radar: &Radar, alt_m: f64, rcs_m2: f64) -> Vec<[f64; 2]> {
    let (lat, lon) = (radar.position.lat_deg, radar.position.lon_deg);
    let n = (360.0 / AZ_STEP_DEG).round() as usize;
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(n + 1);
    for k in 0..n {
        let az = k as f64 * AZ_STEP_DEG;
        let point = farthest(radar, az, alt_m, rcs_m2)
            .and_then(|d| geodesy::direct(lat, lon, az, d).ok())
            .map_or([lon, lat], |p| [p.lon2_deg, p.lat2_deg]);
        if out.last() != Some(&point) {
            out.push(point);
        }
    }
    if let Some(first) = out.first().copied() {
        out.push(first);
    }
    out
}

/// What [`radars`] depends on, as text: the radars, their sites, the warhead RCSs.
pub fn key(s: &Scenario) -> String {
    let rcs: Vec<f64> = s.missiles.iter().map(|m| m.rcs_m2.value).collect();
    format!("{:?}", (&s.radars, &s.sites, rcs))
}

/// Every radar of `s` with its rings, for the scenario's smallest warhead RCS; a radar that cannot be
/// set up is left out (the study itself refuses such a scenario first).
pub fn radars(s: &Scenario) -> Vec<RadarView> {
    let rcs = s
        .missiles
        .iter()
        .map(|m| m.rcs_m2.value)
        .fold(f64::INFINITY, f64::min);
    s.radars
        .iter()
        .filter_map(|d| {
            let site = s.site(&d.site)?;
            let radar = Radar::from_def(d, site).ok()?;
            let mut open = radar.clone();
            open.azimuth_half_width_deg = 180.0;
            open.max_elevation_deg = 90.0;
            open.reference_range_m = f64::MAX / 1e6;
            Some(RadarView {
                name: radar.name.clone(),
                lat_deg: radar.position.lat_deg,
                lon_deg: radar.position.lon_deg,
                boresight_azimuth_deg: radar.boresight_azimuth_deg,
                azimuth_half_width_deg: radar.azimuth_half_width_deg,
                detection_range_km: radar.detection_range_m(rcs) / 1e3,
                rcs_m2: rcs,
                ring_alt_km: RING_ALT_M / 1e3,
                field_of_regard: ring(&radar, RING_ALT_M, rcs),
                horizon: ring(&open, RING_ALT_M, rcs),
            })
        })
        .collect()
}
