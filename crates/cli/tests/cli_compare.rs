//! `shieldwatch compare` and `shieldwatch study --list`: the comparison's folder read back by its
//! users' readers (csv, geojson and GDAL, an XML parser, PNG), and clear errors for unknown names.

use assert_cmd::Command;

mod readers;
mod scratch;

fn shieldwatch() -> Command {
    Command::cargo_bin("shieldwatch").unwrap()
}

fn tempdir(tag: &str) -> scratch::Scratch {
    scratch::dir(&format!("cli-compare-{tag}"))
}

/// A built-in scenario file with its threat families replaced by one short one (Tehran to Berlin and
/// Washington, and Kozelsk to Washington), so that the test flies a handful of trajectories.
fn small(text: &str, name: &str) -> String {
    let cut = text.find("[[threats]]").expect("a threats section");
    text[..cut].replacen(
        &format!("name = \"{name}\""),
        &format!("name = \"{name}-small\""),
        1,
    ) + "[[threats]]\nname = \"Iran (ICBM)\"\nmissile = \"Iranian ICBM (hypothetical)\"\nfrom = [\"Tehran\"]\nto = [\"Berlin\", \"Washington\"]\n\n[[threats]]\nname = \"Russia (ICBM)\"\nmissile = \"Russian ICBM\"\nfrom = [\"Kozelsk\"]\nto = [\"Washington\"]\n"
}

#[test]
fn compare_writes_a_folder_every_reader_accepts() {
    let dir = tempdir("ok");
    let a = dir.join("a.toml");
    let b = dir.join("b.toml");
    std::fs::write(
        &a,
        small(
            include_str!("../../defence/scenarios/europe-2008.toml"),
            "europe-2008",
        ),
    )
    .unwrap();
    std::fs::write(
        &b,
        small(
            include_str!("../../defence/scenarios/gabala-offer.toml"),
            "gabala-offer",
        ),
    )
    .unwrap();
    let out_dir = dir.join("out");
    let out = shieldwatch()
        .args([
            "compare",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The table: differing parameters first, then the per-speed and per-trajectory tables.
    let p = stdout.find("Parameters that differ").unwrap();
    let s = stdout
        .find("Engageable trajectories by assumed burnout speed")
        .unwrap();
    let f = stdout.find("First radar track by launch area").unwrap();
    let t = stdout.find("Trajectories whose engagement changes").unwrap();
    assert!(p < s && s < f && f < t, "{stdout}");
    assert!(stdout.contains("radars.Gabala.site") && stdout.contains("radars.EMR.site"));
    // Every line of prose fits an 80-column terminal (the tables keep their natural width); no
    // parameter path is broken.
    let table_chars = ['┌', '│', '╞', '└'];
    for line in stdout.lines().filter(|l| !l.starts_with(table_chars)) {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    assert!(
        stdout.contains("radars.Armavir.azimuth_half_width_deg"),
        "{stdout}"
    );
    // Prose is word-wrapped to the terminal: its words on one line.
    let words = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("Russian launch areas seen at any altitude: A 1/1, B 0/1"),
        "{stdout}"
    );
    assert_eq!(
        readers::check_folder(&out_dir),
        [
            "compare-coverage.csv",
            "compare-parameters.csv",
            "compare-speeds.csv",
            "compare.csv",
            "compare.geojson",
            "compare.json",
            "map.png",
            "map.svg",
            "report.html",
            "summary.txt"
        ]
    );
    let (header, rows) = readers::csv(&out_dir.join("compare.csv"));
    assert_eq!(rows.len(), 3);
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let tehran_berlin = rows
        .iter()
        .find(|r| &r[col("from")] == "Tehran" && &r[col("to")] == "Berlin")
        .unwrap();
    assert_eq!(&tehran_berlin[col("first_radar_b")], "Gabala");
    let a_s: f64 = tehran_berlin[col("first_track_a_s")]
        .parse()
        .unwrap_or(f64::INFINITY);
    let b_s: f64 = tehran_berlin[col("first_track_b_s")].parse().unwrap();
    assert!(b_s < a_s, "{b_s} {a_s}");
    let kozelsk = rows.iter().find(|r| &r[col("from")] == "Kozelsk").unwrap();
    assert_eq!(
        &kozelsk[col("first_track_b_s")],
        "",
        "the offered radars never see it"
    );
    let svg = std::fs::read_to_string(out_dir.join("map.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let titles: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("title"))
        .filter_map(|n| n.text())
        .collect();
    assert!(
        titles.iter().any(|t| t.starts_with("Tehran → Berlin")),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Gabala") && titles.contains(&"Brdy"),
        "both defences drawn: {titles:?}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("compare.json")).unwrap()).unwrap();
    assert_eq!(json["a"], "europe-2008-small");
    assert_eq!(json["b"], "gabala-offer-small");
    // Numbers are rounded once, from the study's own: the CSV to 0.1 m/s as the study's
    // engagements.csv, the table to 10 m/s from the full number (not from the CSV's).
    let exact = json["study_a"]["threats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["from"] == "Kozelsk")
        .and_then(|t| t["specified"]["crossover_speed_mps"].as_f64())
        .expect("A engages Kozelsk → Washington");
    let csv_value: f64 = kozelsk[col("crossover_a_mps")].parse().unwrap();
    assert_eq!(csv_value, (exact * 10.0).round() / 10.0);
    let table_row = stdout
        .lines()
        .find(|l| l.contains("Kozelsk") && l.contains("only-a"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        table_row.contains(&format!(" {:.2} ", exact / 1e3)),
        "{exact}: {table_row}"
    );
}

#[test]
fn unknown_scenarios_are_named_with_exit_status_2_and_nothing_written() {
    let dir = tempdir("bad");
    let out_dir = dir.join("out");
    let out = shieldwatch()
        .args([
            "compare",
            "europe-2008",
            "no-such-offer",
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no-such-offer") && stderr.contains("gabala-offer"),
        "{stderr}"
    );
    assert!(!out_dir.exists());
    let out = shieldwatch()
        .args(["compare", "nope-a", "nope-b", "--out", out_dir.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("nope-a") && stderr.contains("nope-b"),
        "both named: {stderr}"
    );
    assert!(!out_dir.exists());
}

#[test]
fn study_list_names_every_built_in_scenario_on_one_line() {
    let out = shieldwatch().args(["study", "--list"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = text
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "europe-2008",
            "europe-2008-sensors",
            "gabala-offer",
            "paa-2011",
            "paa-2015",
            "paa-2018",
            "north-korea-2008"
        ]
    );
    assert!(text.contains("Gabala") && text.contains("Fort Greely") && text.contains("Deveselu"));
    let out = shieldwatch().args(["study"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a scenario or --list is required");
}
