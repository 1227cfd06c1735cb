//! Scenario files: the built-in scenario loads and is fully sourced; each kind of bad file gives one clear
//! error naming the file, line and key.

use defence::scenario::{EUROPE_2008_TOML, Scenario};

#[test]
fn europe_2008_loads_and_every_parameter_is_sourced() {
    let s = Scenario::load("europe-2008").unwrap();
    assert_eq!(s.meta.name, "europe-2008");
    assert!(s.site("Redzikowo").is_some() && s.site("Brdy").is_some());
    for name in [
        "Kozelsk",
        "Tatishchevo",
        "Teykovo",
        "Semnan",
        "Washington",
        "New York",
        "Berlin",
    ] {
        assert!(s.site(name).is_some(), "{name} missing");
    }
    let gbi = &s.interceptors[0];
    assert_eq!(gbi.count.value, 10.0);
    assert_eq!(
        gbi.burnout_speed_mps.range,
        Some([5400.0, 9000.0]),
        "the disputed speed is carried as a range"
    );
    // Every `value =` in the file has a `source =` beside it, and every site has a source.
    for line in EUROPE_2008_TOML.lines().filter(|l| l.contains("value =")) {
        assert!(line.contains("source = \""), "unsourced parameter: {line}");
    }
    assert!(s.sites.iter().all(|site| site.source.len() > 10));
}

fn bad(edit: impl Fn(&str) -> String) -> String {
    let text = edit(EUROPE_2008_TOML);
    Scenario::parse(&text, "bad.toml")
        .expect_err("should be rejected")
        .to_string()
}

#[test]
fn missing_site_is_named() {
    let e = bad(|t| t.replacen("site = \"Redzikowo\"", "site = \"Redzikovo\"", 1));
    assert!(e.starts_with("bad.toml:"), "{e}");
    assert!(
        e.contains("interceptors.GBI-2.site") && e.contains("no site named \"Redzikovo\""),
        "{e}"
    );
}

#[test]
fn negative_speed_is_named() {
    let e = bad(|t| {
        t.replacen(
            "burnout_speed_mps = { value = 7000.0",
            "burnout_speed_mps = { value = -7000.0",
            1,
        )
    });
    assert!(
        e.contains("interceptors.GBI-2.burnout_speed_mps") && e.contains("-7000"),
        "{e}"
    );
}

#[test]
fn latitude_95_is_named_with_its_line() {
    let e = bad(|t| t.replacen("lat_deg = 54.47889", "lat_deg = 95.0", 1));
    let line = EUROPE_2008_TOML
        .lines()
        .position(|l| l.starts_with("lat_deg = 54.47889"))
        .unwrap()
        + 1;
    assert!(
        e.starts_with(&format!("bad.toml:{line}:")),
        "{e} (want line {line})"
    );
    assert!(e.contains("sites.Redzikowo.lat_deg") && e.contains("95"), "{e}");
}

#[test]
fn duplicate_names_are_rejected() {
    let e = bad(|t| t.replacen("name = \"Paris\"", "name = \"Berlin\"", 1));
    assert!(
        e.contains("duplicate site name") && e.contains("sites.Berlin"),
        "{e}"
    );
}

#[test]
fn unknown_keys_are_rejected() {
    let e = bad(|t| t.replacen("commit_delay_s =", "comit_delay_s =", 1));
    assert!(e.contains("comit_delay_s"), "{e}");
    let e = bad(|t| format!("{t}\nbogus = 1\n"));
    assert!(e.contains("bogus"), "{e}");
}

#[test]
fn value_outside_its_range_is_rejected() {
    let e = bad(|t| {
        t.replacen(
            "burnout_speed_mps = { value = 7000.0",
            "burnout_speed_mps = { value = 9500.0",
            1,
        )
    });
    assert!(e.contains("outside its range"), "{e}");
}

#[test]
fn empty_source_is_rejected() {
    let e = bad(|t| {
        t.replacen(
            "count = { value = 10.0, source = \"CRS",
            "count = { value = 10.0, source = \" \", x = \"CRS",
            1,
        )
    });
    assert!(e.contains("x") || e.contains("source"), "{e}");
}

#[test]
fn not_toml_is_rejected_with_a_position() {
    let e = Scenario::parse("[scenario\nname = 1", "broken.toml").unwrap_err();
    assert_eq!(e.file, "broken.toml");
    assert!(e.line >= 1, "{e}");
}

#[test]
fn unknown_built_in_or_missing_file_says_so() {
    let e = Scenario::load("no-such-scenario").unwrap_err().to_string();
    assert!(
        e.contains("cannot read scenario file") && e.contains("europe-2008"),
        "{e}"
    );
}

#[test]
fn site_order_does_not_matter() {
    // Reverse the order of the [[sites]] blocks: the scenario is the same set of sites.
    let head_end = EUROPE_2008_TOML.find("[[sites]]").unwrap();
    let tail_start = EUROPE_2008_TOML.find("[[radars]]").unwrap();
    let blocks: Vec<&str> = EUROPE_2008_TOML[head_end..tail_start]
        .split_inclusive("\n\n")
        .collect();
    let mut rev = blocks.clone();
    rev.reverse();
    let text = format!(
        "{}{}{}",
        &EUROPE_2008_TOML[..head_end],
        rev.concat(),
        &EUROPE_2008_TOML[tail_start..]
    );
    let a = Scenario::parse(EUROPE_2008_TOML, "a").unwrap();
    let b = Scenario::parse(&text, "b").unwrap();
    let mut sa = a.sites.clone();
    let mut sb = b.sites.clone();
    sa.sort_by(|x, y| x.name.cmp(&y.name));
    sb.sort_by(|x, y| x.name.cmp(&y.name));
    assert_eq!(sa, sb);
    assert_eq!(a.radars, b.radars);
}

/// An error without a position or a key says so by leaving them out, not by printing `:0:0: :`.
#[test]
fn an_error_without_position_or_key_leaves_them_out() {
    let missing = std::env::temp_dir().join("shieldwatch-no-such-scenario-6f1c.toml");
    let e = Scenario::load(missing.to_str().unwrap())
        .expect_err("a missing file is refused")
        .to_string();
    assert!(
        e.starts_with(&format!("{}: cannot read scenario file (", missing.display())),
        "{e}"
    );
    assert!(!e.contains(":0:0") && !e.contains(": :"), "{e}");
    assert!(e.contains("built-in scenarios are: europe-2008"), "{e}");
    // A TOML syntax error has a position but no key: `file:line:column: message`.
    let e = Scenario::parse("x = 1\n", "bad.toml").unwrap_err().to_string();
    assert!(e.starts_with("bad.toml:1:1: unknown field `x`"), "{e}");
    // A checked value has both.
    let e = bad(|t| t.replacen("site = \"Redzikowo\"", "site = \"Redzikovo\"", 1));
    assert!(
        e.contains(": interceptors.GBI-2.site: no site named \"Redzikovo\""),
        "{e}"
    );
}
