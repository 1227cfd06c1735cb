//! `shieldwatch trajectory`: the track written as CSV, GeoJSON and KML, each read back by its users'
//! readers (csv, geojson, GDAL's ogrinfo, an XML parser); a name with XML's special characters stays
//! intact.

use assert_cmd::Command;

mod readers;
mod scratch;

#[test]
fn trajectory_files_are_read_back_by_their_readers() {
    let dir = scratch::dir("cli-trajectory");
    let out = Command::cargo_bin("shieldwatch")
        .unwrap()
        .args([
            "trajectory",
            "--launch",
            "54.03,35.77",
            "--target",
            "38.91,-77.04",
            "--burnout-alt-km",
            "200",
            "--name",
            "kozelsk-dc",
            "--format",
            "json",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (header, rows) = readers::csv(&dir.join("kozelsk-dc.csv"));
    assert_eq!(
        header,
        [
            "t_since_burnout_s",
            "lat_deg",
            "lon_deg",
            "alt_m",
            "speed_rel_mps",
            "speed_inertial_mps"
        ]
    );
    assert!(rows.len() > 50);
    let last = &rows[rows.len() - 1];
    let (lat, lon): (f64, f64) = (last[1].parse().unwrap(), last[2].parse().unwrap());
    assert!(
        (lat - 38.91).abs() < 0.01 && (lon + 77.04).abs() < 0.01,
        "ends at the target: {lat} {lon}"
    );
    if let Some(n) = readers::ogrinfo(
        &dir.join("kozelsk-dc.csv"),
        &["X_POSSIBLE_NAMES=lon_deg", "Y_POSSIBLE_NAMES=lat_deg"],
    ) {
        assert_eq!(n as usize, rows.len());
    }
    assert_eq!(readers::geojson(&dir.join("kozelsk-dc.geojson")), 3);
    assert_eq!(
        readers::ogrinfo(&dir.join("kozelsk-dc.geojson"), &[]).unwrap_or(3),
        3
    );
    assert_eq!(readers::xml(&dir.join("kozelsk-dc.kml")), "kml");
    readers::ogrinfo(&dir.join("kozelsk-dc.kml"), &[]);
    let kml = std::fs::read_to_string(dir.join("kozelsk-dc.kml")).unwrap();
    let doc = roxmltree::Document::parse(&kml).unwrap();
    let name = doc
        .descendants()
        .find(|n| n.has_tag_name("name"))
        .and_then(|n| n.text())
        .unwrap();
    assert_eq!(name, "54.03,35.77 → 38.91,-77.04");
}
