//! The dashboard's verification view end to end in Debian's headless Chromium through Playwright
//! (`tests/browser/check-verification.mjs`): a real log with a witness, two simulated hours of
//! telemetry with faults submitted to it, `shieldwatch monitor` writing its alerts; then
//! `shieldwatch dashboard --log URL --log DEAD_URL --monitor-dir alerts --trust trust.toml`.
//!
//! In the page: the log's status (size, log signature and the witness's cosignature verified against
//! the trust file), the sensors' timelines with the withheld readings shown as a gap, a message for the
//! log that does not answer; every alert's "Verify evidence" says VERIFIED, and tampered copies of a
//! bundle (an entry's byte, a proof hash, an entry left out, the checkpoint's root, the witness's
//! cosignature removed) and doctored accusations (the finding's summary, the rule's expression) say NOT
//! VERIFIED with the reason, the latter from the page's replay of the agreed rules; the page lists what
//! it checked, the rule replay among it. Each verdict is set against `shieldwatch verify evidence` on the
//! same file. axe-core finds no serious or critical violation; a route guard
//! fails the test if any request leaves the machine; no console error, page error or HTTP error other
//! than the dead log's 502s. Screenshots are kept under the target directory (the path is printed).
//!
//! Needs `/usr/bin/chromium`, Node.js and `tests/browser/node_modules` (installed by
//! `scripts/install-test-deps.sh`). Under `CI=true` a missing one fails the test; elsewhere the test
//! says loudly what is missing and skips.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde_json::Value;

mod scratch;

#[path = "support/listen.rs"]
mod listen;

#[path = "support/browser.rs"]
mod browser;
use browser::Killed as Proc;

fn shieldwatch() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("shieldwatch"));
    c.stdin(Stdio::null());
    c
}

fn run(dir: &Path, args: &[&str]) -> String {
    let o = shieldwatch().args(args).current_dir(dir).output().unwrap();
    assert!(
        o.status.success(),
        "shieldwatch {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// A server started in `dir` with `args`, and the URL it announces.
fn start(dir: &Path, args: &[&str]) -> (Proc, String) {
    let mut child = shieldwatch()
        .args(args)
        .current_dir(dir)
        .env("SHIELDWATCH_LISTEN", "127.0.0.1:0")
        .env("SHIELDWATCH_BATCH_INTERVAL_MS", "50")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = listen::listening_url(&mut child);
    (Proc(child), url)
}

/// europe-2008 cut to one trajectory (Tatishchevo to Washington), so that the study the page runs on
/// loading takes little time in a debug build.
fn one_threat_scenario(file: &Path) {
    let text = defence::builtin::text("europe-2008").unwrap();
    let first = text.find("[[threats]]").unwrap();
    let russian = text
        .find("[[threats]]\nname = \"Russia to the US (ICBM)\"")
        .unwrap();
    let block = &text[russian..];
    let from = "\nfrom = [\"Kozelsk\", \"Tatishchevo\",";
    let to = "\nto = [\"Washington\", \"New York\"]";
    assert!(block.contains(from) && block.contains(to), "{block}");
    let block: String = block
        .lines()
        .map(|l| {
            if l.starts_with("from = [") {
                "from = [\"Tatishchevo\"]"
            } else if l.starts_with("to = [") {
                "to = [\"Washington\"]"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(file, format!("{}{block}\n", &text[..first])).unwrap();
}

fn flip_b64_byte(s: &str, at: usize) -> String {
    let mut b = BASE64_STANDARD.decode(s).unwrap();
    let i = at.min(b.len() - 1);
    b[i] ^= 0x01;
    BASE64_STANDARD.encode(b)
}

/// Tampered copies of an evidence bundle: (file name, what was changed, reason the browser must give).
fn tampered(ev: &Value) -> Vec<(String, Value, &'static str)> {
    let n = ev["entries"].as_array().unwrap().len();
    let k = n / 2;
    let mut out = Vec::new();

    let mut v = ev.clone();
    let e = v["entries"][k]["entry"].as_str().unwrap().to_owned();
    v["entries"][k]["entry"] = Value::from(flip_b64_byte(&e, 40));
    out.push((
        "alert-9001-tampered-entry.json".to_owned(),
        v,
        "is not in the log under the checkpoint",
    ));

    let mut v = ev.clone();
    let p = v["entries"][k]["proof"][0].as_str().unwrap().to_owned();
    v["entries"][k]["proof"][0] = Value::from(flip_b64_byte(&p, 5));
    out.push((
        "alert-9002-tampered-proof.json".to_owned(),
        v,
        "is not in the log under the checkpoint",
    ));

    let mut v = ev.clone();
    v["entries"].as_array_mut().unwrap().remove(k);
    out.push((
        "alert-9003-tampered-missing-entry.json".to_owned(),
        v,
        "entries, the complete range",
    ));

    // The checkpoint's root hash changed: neither the log's signature nor the cosignature holds.
    let mut v = ev.clone();
    let cp = v["checkpoint"].as_str().unwrap().to_owned();
    let mut lines: Vec<String> = cp.split('\n').map(str::to_owned).collect();
    lines[2] = flip_b64_byte(&lines[2], 0);
    v["checkpoint"] = Value::from(lines.join("\n"));
    out.push((
        "alert-9004-tampered-checkpoint-root.json".to_owned(),
        v,
        "the log's signature does not verify",
    ));

    // The witness's cosignature line removed: the quorum of one is not met.
    let mut v = ev.clone();
    let cp = v["checkpoint"].as_str().unwrap().to_owned();
    let kept: Vec<&str> = cp
        .split('\n')
        .filter(|l| !l.starts_with("— witness.test/"))
        .collect();
    assert!(kept.len() < cp.split('\n').count(), "{cp}");
    v["checkpoint"] = Value::from(kept.join("\n"));
    out.push((
        "alert-9005-tampered-no-cosignature.json".to_owned(),
        v,
        "0 valid witness cosignature(s), 1 required",
    ));
    out
}

/// The finding's summary edited: signatures, proofs and completeness still hold, only the replay can
/// refuse it.
const EDITED_SUMMARY: &str = "alert-9006-tampered-summary.json";
/// A rule finding's rule expression edited: only the comparison with the agreed rules refuses it.
const EDITED_RULE: &str = "alert-9007-tampered-rule.json";

#[test]
fn verification_view_shows_the_log_and_checks_evidence_in_chromium() {
    if !browser::ready("the dashboard's verification test") {
        return;
    }
    let tmp = scratch::dir("dashboard-verification");
    let dir: &Path = &tmp;

    // A log, a witness, two simulated hours with faults, the monitor (README "A day of telemetry").
    let log_key = run(
        dir,
        &["log", "init", "--origin", "shieldwatch.test/log", "--dir", "log"],
    )
    .trim()
    .to_owned();
    let witness_key = run(
        dir,
        &["witness", "init", "--name", "witness.test/w1", "--key", "w1.key"],
    )
    .trim()
    .to_owned();
    std::fs::write(
        dir.join("witness.toml"),
        format!(
            "key_file = \"w1.key\"\nlisten = \"127.0.0.1:0\"\n[[log]]\norigin = \"shieldwatch.test/log\"\nkey = \"{log_key}\"\n"
        ),
    )
    .unwrap();
    let (_witness, witness_url) = start(dir, &["witness", "serve", "--config", "witness.toml"]);
    let sim = ["simulate", "--out", "sim", "--hours", "2"];
    run(dir, &sim);
    let anchors = std::fs::read_to_string(dir.join("sim/anchors.toml")).unwrap();
    let anchors = anchors.lines().find(|l| l.starts_with("anchors")).unwrap();
    std::fs::write(
        dir.join("trust.toml"),
        format!(
            "log_key = \"{log_key}\"\nwitness_keys = [\"{witness_key}\"]\nmin_cosignatures = 1\n{anchors}\nrules = \"europe-2008\"\n"
        ),
    )
    .unwrap();
    let (_log, log_url) = start(
        dir,
        &[
            "serve",
            "--data-dir",
            "log",
            "--anchors",
            "sim/anchors.toml",
            "--witness",
            &witness_url,
            "--rate-per-signer",
            "0",
        ],
    );
    let report: Value = serde_json::from_str(&run(
        dir,
        &[
            &sim[..],
            &[
                "--server",
                &log_url,
                "--fault",
                "radar-outside-sector@00:32",
                "--fault",
                "gap@01:02",
            ],
        ]
        .concat(),
    ))
    .unwrap();
    let size = report["accepted"].as_u64().unwrap() + 1 - report["duplicates"].as_u64().unwrap();
    // The last checkpoint is published once the witness cosigned it.
    let t = Instant::now();
    loop {
        let o = shieldwatch()
            .args(["log", "verify", "--key", "@log/verifier.key", "--url", &log_url])
            .current_dir(dir)
            .output()
            .unwrap();
        let got = serde_json::from_slice::<Value>(&o.stdout)
            .ok()
            .and_then(|v| v["checkpoint"]["size"].as_u64());
        if got == Some(size) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the log never reached {size}: {got:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let o = shieldwatch()
        .args([
            "monitor",
            "--trust",
            "trust.toml",
            "--out",
            "alerts",
            "--once",
            "--clock",
            "log",
        ])
        .args(["--url", &log_url])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stderr));
    let alerts = dir.join("alerts");
    let mut originals: Vec<String> = std::fs::read_dir(&alerts)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    originals.sort();
    assert!(originals.len() >= 2, "{originals:?}");
    assert!(
        originals.iter().any(|f| f.ends_with("-gap.json")),
        "{originals:?}"
    );

    // Tampered copies of the first bundle, next to the monitor's own.
    let first: Value = serde_json::from_slice(&std::fs::read(alerts.join(&originals[0])).unwrap()).unwrap();
    let tampers = tampered(&first);
    for (name, v, _) in &tampers {
        std::fs::write(alerts.join(name), serde_json::to_vec_pretty(v).unwrap()).unwrap();
    }
    let mut edited = first.clone();
    edited["finding"]["summary"] = Value::from("the radar pointed at Moscow");
    std::fs::write(
        alerts.join(EDITED_SUMMARY),
        serde_json::to_vec_pretty(&edited).unwrap(),
    )
    .unwrap();
    let mut rule_alert = originals
        .iter()
        .map(|f| serde_json::from_slice::<Value>(&std::fs::read(alerts.join(f)).unwrap()).unwrap())
        .find(|v| v["finding"]["kind"]["type"] == "rule")
        .expect("the radar outside its sector is a rule finding");
    rule_alert["rule"]["require"] = Value::from("true");
    std::fs::write(
        alerts.join(EDITED_RULE),
        serde_json::to_vec_pretty(&rule_alert).unwrap(),
    )
    .unwrap();

    // What `shieldwatch verify evidence` says of each file.
    let cli_verified = |file: &str| {
        let o = shieldwatch()
            .args([
                "verify",
                "evidence",
                &format!("alerts/{file}"),
                "--trust",
                "trust.toml",
            ])
            .current_dir(dir)
            .output()
            .unwrap();
        o.status.success() && String::from_utf8_lossy(&o.stdout).starts_with("VERIFIED")
    };

    // A log URL that does not answer: a port bound and released, so nothing listens there.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    one_threat_scenario(&dir.join("one.toml"));
    let mut child = shieldwatch()
        .args(["dashboard", "one.toml", "--listen", "127.0.0.1:0"])
        .args(["--log", &log_url, "--log", &dead])
        .args(["--monitor-dir", "alerts", "--trust", "trust.toml"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _dashboard = Proc(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("dashboard: ").unwrap().to_owned();

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(browser::dir().join("check-verification.mjs"))
        .arg(&url)
        .arg(&shots)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "check-verification.mjs failed: {stderr}");
    let seen: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    eprintln!("screenshots in {}", shots.display());

    assert_eq!(
        seen["offsite"],
        serde_json::json!([]),
        "requests left the machine"
    );
    // Only the dead log may give HTTP errors (its 502s and the console lines Chromium writes for them).
    let dead_api = format!("{url}api/logs/1/");
    for p in seen["problems"].as_array().unwrap() {
        assert!(
            p["url"].as_str().unwrap().starts_with(&dead_api)
                && p["problem"].as_str().unwrap().contains("502"),
            "{p}"
        );
    }
    assert_eq!(seen["axe"], serde_json::json!([]), "{}", seen["axe"]);
    assert!(
        seen["trust"].as_str().unwrap().ends_with("trust.toml"),
        "{}",
        seen["trust"]
    );

    // The live log: its size, its signature and the witness's cosignature verified, with an age.
    let live = &seen["logs"][0];
    assert_eq!(live["state"], "verified", "{live}");
    let text = live["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("Tree size\n{size}")) || text.contains(&format!("Tree size\t{size}")),
        "{text}"
    );
    assert!(
        text.contains("witness.test/w1") && text.contains("✓ yes") && text.contains(" s\t"),
        "{text}"
    );
    // The dead one: a message naming it, not a blank panel.
    let dead_status = &seen["logs"][1];
    assert_eq!(dead_status["state"], "error", "{dead_status}");
    let m = dead_status["text"].as_str().unwrap();
    assert!(
        m.contains("HTTP 502") && m.contains(&dead) && m.contains("does not answer"),
        "{m}"
    );
    assert_eq!(seen["timelines"][1]["state"], "error");

    // Timelines: every sensor of the simulation, the withheld readings as a gap.
    let tl = &seen["timelines"][0];
    assert_eq!(tl["state"], "ready", "{tl}");
    assert!(tl["sensors"].as_u64().unwrap() >= 3, "{tl}");
    assert!(tl["gaps"].as_u64().unwrap() >= 1, "{tl}");

    // Every alert checked in the browser, set against `shieldwatch verify evidence`.
    let verdicts = seen["verdicts"].as_object().unwrap();
    assert_eq!(
        verdicts.len(),
        originals.len() + tampers.len() + 2,
        "{verdicts:?}"
    );
    for f in &originals {
        let v = &verdicts[f.as_str()];
        assert_eq!(v["verdict"], "verified", "{f}: {v}");
        let text = v["text"].as_str().unwrap();
        assert!(text.starts_with("VERIFIED"), "{v}");
        // What was checked, listed.
        for item in [
            "Checkpoint signature",
            "Witness cosignatures",
            "Range complete",
            "Inclusion proofs",
            "Entry admission",
            "Rule replay",
        ] {
            assert!(text.contains(&format!("✓ {item}: ")), "{f}: {item}: {text}");
        }
        assert!(cli_verified(f), "{f}");
    }
    for (name, _, reason) in &tampers {
        let v = &verdicts[name.as_str()];
        assert_eq!(v["verdict"], "failed", "{name}: {v}");
        let text = v["text"].as_str().unwrap();
        assert!(
            text.starts_with("NOT VERIFIED") && text.contains(reason),
            "{name}: {text}"
        );
        assert!(!cli_verified(name), "{name}: verify evidence accepts it");
    }
    // Doctored accusations: the replay refuses an edited finding, the agreed rules an edited rule.
    for (name, reason) in [
        (
            EDITED_SUMMARY,
            "the bundle's finding differs from the recomputed one",
        ),
        (EDITED_RULE, "in the bundle differs from the agreed text"),
    ] {
        let v = &verdicts[name];
        assert_eq!(v["verdict"], "failed", "{name}: {v}");
        let text = v["text"].as_str().unwrap();
        assert!(
            text.starts_with("NOT VERIFIED") && text.contains("Reason: ") && text.contains(reason),
            "{name}: {text}"
        );
        assert!(!cli_verified(name), "{name}: verify evidence accepts it");
    }

    for s in seen["screenshots"].as_array().unwrap() {
        assert!(Path::new(s.as_str().unwrap()).is_file(), "{s}");
    }
}
