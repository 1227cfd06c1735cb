//! Reads an output folder back with the readers its users have: the csv crate (strict field counts),
//! the `geojson` crate and GDAL's `ogrinfo` (GeoJSON, KML, CSV with coordinates), an XML parser
//! (roxmltree) for SVG and KML, PNG decoding for the slide images, JSON for the rest. Under `CI=true`
//! a missing `ogrinfo` fails the test; elsewhere it is reported and skipped.

#![allow(dead_code)]

use std::path::Path;

/// Whether `ogrinfo` can be run; panics under `CI=true` when it cannot.
fn have_ogrinfo() -> bool {
    let ok = std::process::Command::new("ogrinfo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "ogrinfo (Debian gdal-bin) is missing: scripts/install-test-deps.sh installs it"
        );
        eprintln!("ogrinfo not installed (Debian gdal-bin): GDAL checks skipped");
    }
    ok
}

/// Runs `ogrinfo -ro -al -so` on `path` with open options; returns the feature count GDAL reports
/// (summed over layers), or `None` when GDAL is not installed outside CI.
pub fn ogrinfo(path: &Path, open_options: &[&str]) -> Option<u64> {
    if !have_ogrinfo() {
        return None;
    }
    let mut cmd = std::process::Command::new("ogrinfo");
    cmd.args(["-ro", "-al", "-so"]);
    for o in open_options {
        cmd.args(["-oo", o]);
    }
    let out = cmd.arg(path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "ogrinfo {}: {err}", path.display());
    assert!(
        !err.contains("ERROR"),
        "ogrinfo {} reports errors: {err}",
        path.display()
    );
    let count: u64 = text
        .lines()
        .filter_map(|l| l.strip_prefix("Feature Count: "))
        .map(|n| n.trim().parse::<u64>().unwrap())
        .sum();
    assert!(count > 0, "ogrinfo {}: no features\n{text}", path.display());
    Some(count)
}

/// Parses GeoJSON with the `geojson` crate: a FeatureCollection whose every feature has a geometry
/// with coordinates within WGS84 bounds. Returns the number of features.
pub fn geojson(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let g: geojson::GeoJson = text.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let geojson::GeoJson::FeatureCollection(fc) = g else {
        panic!("{}: not a FeatureCollection", path.display())
    };
    for f in &fc.features {
        let geom = f.geometry.as_ref().expect("every feature has a geometry");
        let v = serde_json::to_value(geom).unwrap();
        fn walk(v: &serde_json::Value) {
            match v {
                serde_json::Value::Array(a) if a.first().is_some_and(|x| x.is_number()) => {
                    let lon = a[0].as_f64().unwrap();
                    let lat = a[1].as_f64().unwrap();
                    assert!(lon.abs() <= 180.0 && lat.abs() <= 90.0, "{a:?}");
                }
                serde_json::Value::Array(a) => a.iter().for_each(walk),
                _ => {}
            }
        }
        walk(&v["coordinates"]);
    }
    fc.features.len()
}

/// Parses XML (SVG, KML) with roxmltree; returns the root element's name.
pub fn xml(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let root = doc.root_element();
    let name = root.tag_name().name().to_string();
    match path.extension().and_then(|e| e.to_str()) {
        Some("svg") => {
            assert_eq!(name, "svg");
            assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
            assert!(
                root.descendants().any(|n| n.has_tag_name("text")),
                "{}: an SVG without any text (title, labels)",
                path.display()
            );
        }
        Some("kml") => {
            assert_eq!(name, "kml");
            assert!(root.descendants().any(|n| n.has_tag_name("Placemark")));
            for c in root.descendants().filter(|n| n.has_tag_name("coordinates")) {
                for tuple in c.text().unwrap_or("").split_whitespace() {
                    let v: Vec<f64> = tuple.split(',').map(|x| x.parse().unwrap()).collect();
                    assert!(
                        v.len() >= 2 && v[0].abs() <= 180.0 && v[1].abs() <= 90.0,
                        "{tuple}"
                    );
                }
            }
        }
        _ => {}
    }
    name
}

/// Reads a CSV strictly (every row as many fields as the header); returns header and rows.
pub fn csv(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut r = csv::ReaderBuilder::new().flexible(false).from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = r
        .records()
        .map(|x| x.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect();
    for row in &rows {
        assert_eq!(row.len(), header.len());
    }
    (header, rows)
}

/// Checks a PNG: signature and a plausible size (the SVG rendered at twice its size).
pub fn png(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert!(w >= 400 && h >= 200, "{}: {w}×{h}", path.display());
    let svg = path.with_extension("svg");
    assert!(svg.is_file(), "a PNG has its SVG beside it");
}

/// Reads back every file of an output folder by its extension; every SVG must have its PNG. Returns
/// the file names checked. CSV files with `lat_deg`/`lon_deg` (or `from_lat_deg`/`from_lon_deg`)
/// columns also go through GDAL as points. The folder must hold the output mark
/// (`.shieldwatch-output`, which lets the next run replace it), which is not in the names.
pub fn check_folder(dir: &Path) -> Vec<String> {
    assert!(
        dir.join(".shieldwatch-output").is_file(),
        "{} has no output mark",
        dir.display()
    );
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name == ".shieldwatch-output" {
            continue;
        }
        match p.extension().and_then(|e| e.to_str()).unwrap_or("") {
            "csv" => {
                let (header, rows) = csv(&p);
                assert!(!rows.is_empty(), "{name}: no rows");
                let coords = [("lon_deg", "lat_deg"), ("from_lon_deg", "from_lat_deg")]
                    .into_iter()
                    .find(|(x, y)| header.iter().any(|h| h == x) && header.iter().any(|h| h == y));
                if let Some((x, y)) = coords
                    && let Some(n) = ogrinfo(
                        &p,
                        &[&format!("X_POSSIBLE_NAMES={x}"), &format!("Y_POSSIBLE_NAMES={y}")],
                    )
                {
                    assert_eq!(n as usize, rows.len(), "{name}: GDAL sees every row");
                }
            }
            "geojson" => {
                let n = geojson(&p);
                if let Some(g) = ogrinfo(&p, &[]) {
                    assert_eq!(g as usize, n, "{name}: GDAL sees every feature");
                }
            }
            "kml" => {
                xml(&p);
                ogrinfo(&p, &[]);
            }
            "svg" => {
                xml(&p);
                assert!(p.with_extension("png").is_file(), "{name} has no PNG twin");
            }
            "png" => png(&p),
            "json" | "czml" => {
                let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(v.is_object() || v.is_array(), "{name}");
            }
            "html" => {
                let html = std::fs::read_to_string(&p).unwrap();
                assert!(html.starts_with("<!DOCTYPE html>"), "{name}");
                assert!(!html.contains("src=\"http"), "{name} is self-contained");
            }
            "txt" => assert!(!std::fs::read_to_string(&p).unwrap().is_empty()),
            other => panic!("{name}: no reader for .{other} files"),
        }
        names.push(name);
    }
    names.sort();
    names
}

/// The Python of the test environment with pandas (`scripts/install-test-deps.sh`), if installed;
/// panics under `CI=true` when it is not.
fn pandas_python() -> Option<std::path::PathBuf> {
    let venv = std::env::var_os("SHIELDWATCH_TEST_VENV").map_or_else(
        || std::path::PathBuf::from("/var/tmp/shieldwatch-test-venv"),
        Into::into,
    );
    let python = venv.join("bin/python");
    let ok = std::process::Command::new(&python)
        .args(["-c", "import pandas"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "pandas is missing from {}: scripts/install-test-deps.sh installs it",
            venv.display()
        );
        eprintln!(
            "pandas not installed in {}: pandas checks skipped",
            venv.display()
        );
        return None;
    }
    Some(python)
}

/// A CSV as pandas reads it (`pandas.read_csv` with its defaults): column names, row count and each
/// column's dtype; `None` when pandas is not installed outside CI.
pub fn pandas(path: &Path) -> Option<(Vec<String>, usize, Vec<String>)> {
    let python = pandas_python()?;
    let script = "import json, sys, pandas\n\
                  df = pandas.read_csv(sys.argv[1])\n\
                  print(json.dumps({'columns': list(df.columns), 'rows': len(df), \
                  'dtypes': [str(t) for t in df.dtypes]}))";
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pandas cannot read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let strings = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    Some((
        strings("columns"),
        v["rows"].as_u64().unwrap() as usize,
        strings("dtypes"),
    ))
}
