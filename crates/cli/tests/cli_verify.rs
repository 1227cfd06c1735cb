//! The verification regime end to end, through real processes: a witness, a log server with
//! roster admission and witness cosigning, a simulated day of europe-2008 telemetry with three
//! violations and three attacks (forged signature, replay, over-collection), the monitor, and
//! offline checks of every alert. Also: what the server refuses (malformed, unknown sensor,
//! revoked key, schema violation) is never logged, a false accusation is rejected, a rule file
//! with a syntax error is reported with its position, and a revealed commitment checks out.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use verify::roster::{ROSTER_SCHEMA, Roster, entry_hash};
use verify::sim::{Deployment, SimConfig, silo_sensor};
use verify::statement::{Body, DoorState, Readiness, STATEMENT_SCHEMA, SiloReading, Statement};

mod scratch;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("shieldwatch")
}

fn tmpdir(name: &str) -> scratch::Scratch {
    scratch::dir(&format!("cli-verify-{name}"))
}

#[path = "support/listen.rs"]
mod listen;

/// A child process killed when dropped.
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin()).current_dir(dir).args(args).output().unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Spawns a server (`serve` or `witness serve`) and returns it with the URL it announces once
/// bound.
fn spawn(dir: &Path, args: &[&str], log: &str) -> (Proc, String) {
    let f = std::fs::File::create(dir.join(log)).unwrap();
    let mut p = Proc(
        Command::new(bin())
            .current_dir(dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(f)
            .spawn()
            .unwrap(),
    );
    let url = listen::listening_url(&mut p.0);
    (p, url)
}

/// The tree size of the log's published checkpoint (0 if none is published yet).
fn tree_size(dir: &Path, url: &str) -> u64 {
    let o = Command::new(bin())
        .current_dir(dir)
        .args(["log", "verify", "--url", url, "--key", "@log/verifier.key"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    v["checkpoint"]["size"].as_u64().unwrap_or(0)
}

const FAULTS: [&str; 6] = [
    "--fault=radar-outside-sector@09:02",
    "--fault=tamper-outside-maintenance@13:02",
    "--fault=extra-interceptor@17:02",
    "--fault=forged-signature@10:00",
    "--fault=replay@11:00",
    "--fault=over-collection@12:00",
];

#[test]
fn a_simulated_day_through_server_witness_and_monitor() {
    let dir = tmpdir("e2e");

    let o = run(
        &dir,
        &["log", "init", "--origin", "shieldwatch.test/log", "--dir", "log"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let log_key = stdout(&o).trim().to_owned();
    let o = run(
        &dir,
        &["witness", "init", "--name", "witness.test/w1", "--key", "w1.key"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let witness_key = stdout(&o).trim().to_owned();
    std::fs::write(
        dir.join("witness.toml"),
        format!(
            "key_file = \"w1.key\"\nlisten = \"127.0.0.1:0\"\n[[log]]\norigin = \"shieldwatch.test/log\"\nkey = \"{log_key}\"\n"
        ),
    )
    .unwrap();
    let (_witness, witness_url) = spawn(
        &dir,
        &["witness", "serve", "--config", "witness.toml"],
        "witness.log",
    );

    // The deployment's keys and anchors (deterministic from the seed).
    let mut args = vec![
        "simulate",
        "--out",
        "sim",
        "--hours",
        "24",
        "--start",
        "1767225600",
    ];
    args.extend(FAULTS);
    let o = run(&dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));

    // A whole simulated day is submitted at once: far above a real sensor's rate, so the
    // per-signer limit is off.
    let serve_args = |listen: &str| -> Vec<String> {
        [
            "serve",
            "--data-dir",
            "log",
            "--listen",
            listen,
            "--batch-interval-ms",
            "50",
            "--anchors",
            "sim/anchors.toml",
            "--witness",
            &witness_url,
            "--rate-per-signer",
            "0",
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let first = serve_args("127.0.0.1:0");
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let (server, log_url) = spawn(&dir, &first, "serve.log");

    // Submit the day: the forged and over-collected readings are refused, the replay is the
    // very same entry and gets its first index back.
    let mut args = vec![
        "simulate",
        "--out",
        "sim2",
        "--hours",
        "24",
        "--start",
        "1767225600",
        "--server",
        &log_url,
    ];
    args.extend(FAULTS);
    let o = run(&dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        report["rejected"],
        serde_json::json!({"bad_signature": 1, "schema": 1}),
        "{report}"
    );

    let anchors = std::fs::read_to_string(dir.join("sim/anchors.toml")).unwrap();
    let anchors_line = anchors.lines().find(|l| l.starts_with("anchors")).unwrap();
    std::fs::write(
        dir.join("trust.toml"),
        format!(
            "log_key = \"{log_key}\"\nwitness_keys = [\"{witness_key}\"]\nmin_cosignatures = 1\nrules = \"europe-2008\"\n{anchors_line}\n"
        ),
    )
    .unwrap();

    // Bad submissions: each refused with a 4xx naming the problem, and nothing logged.
    assert_eq!(report["duplicates"], 1, "the replay is the same entry: {report}");
    // The roster, and every acknowledged submission but the duplicate.
    let logged = report["accepted"].as_u64().unwrap() + 1 - 1;
    // Restart the server: its roster and sequence state are rebuilt from the log, which the
    // checks below rely on (roster version 2 must chain to the logged version 1).
    let served = wait_size(&dir, &log_url, logged);
    assert_eq!(served, logged);
    // With admission, the replayed (identical) entry is answered by the server itself; it is
    // still an acknowledged duplicate in the metrics.
    let metrics = http_get(listen::authority(&log_url), "/metrics");
    let sample = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("{name} not in /metrics:\n{metrics}")) as u64
    };
    assert_eq!(sample("shieldwatch_log_duplicates_total"), 1);
    assert_eq!(
        sample("shieldwatch_log_entries_acknowledged_total"),
        report["accepted"].as_u64().unwrap() + 1,
        "every accepted submission and the roster"
    );
    drop(server);
    // On the address the first run held (the URL the client and monitor use).
    let again = serve_args(listen::authority(&log_url));
    let again: Vec<&str> = again.iter().map(String::as_str).collect();
    let (_server, url2) = spawn(&dir, &again, "serve2.log");
    assert_eq!(url2, log_url);
    bad_submissions(&dir, &log_url, logged);

    // The monitor: exactly the three violations, each with evidence.
    let t = Instant::now();
    let o = loop {
        let o = run(
            &dir,
            &[
                "monitor",
                "--url",
                &log_url,
                "--trust",
                "trust.toml",
                "--out",
                "alerts",
                "--once",
                "--clock",
                "log",
            ],
        );
        // The newest checkpoint may still be waiting for its cosignature: retry until it covers
        // the whole day.
        let n = std::fs::read_dir(dir.join("alerts")).map_or(0, |d| d.count());
        if n >= 3 || t.elapsed() > Duration::from_secs(30) {
            break o;
        }
        let _ = std::fs::remove_dir_all(dir.join("alerts"));
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(o.status.code(), Some(3), "{}{}", stdout(&o), stderr(&o));
    let mut alerts: Vec<PathBuf> = std::fs::read_dir(dir.join("alerts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    alerts.sort();
    let names: Vec<String> = alerts
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(alerts.len(), 3, "{names:?}\n{}", stdout(&o));
    for want in [
        "rule-radar-sector",
        "rule-tamper-maintenance",
        "rule-max-interceptors",
    ] {
        assert!(
            names.iter().any(|n| n.contains(want)),
            "{want} missing from {names:?}"
        );
    }
    for a in &alerts {
        let o = run(
            &dir,
            &["verify", "evidence", a.to_str().unwrap(), "--trust", "trust.toml"],
        );
        assert!(o.status.success(), "{}: {}", a.display(), stderr(&o));
        assert!(stdout(&o).starts_with("VERIFIED"), "{}", stdout(&o));
        // A reader that has gone (`| head -0`): no panic, no message, the status of SIGPIPE (not 0:
        // the verdict was never delivered).
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = Command::new(bin())
            .current_dir(&dir)
            .args(["verify", "evidence", a.to_str().unwrap(), "--trust", "trust.toml"])
            .stdout(writer)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(141), "{}", stderr(&o));
        assert_eq!(stderr(&o), "");
    }

    // A split view: the log signs another tree of the size the monitor saw (someone shows it to a
    // peer); the monitor, handed that checkpoint, proves the log equivocated.
    let skey = std::fs::read_to_string(dir.join("log/signing.key")).unwrap();
    let signer = tlog::LogSigner::from_signing_key(&skey).unwrap();
    let seen = tree_size(&dir, &log_url);
    let fork = signer
        .sign_checkpoint(seen, tlog::merkle::record_hash(b"another history"))
        .unwrap();
    std::fs::write(dir.join("fork.txt"), fork).unwrap();
    let o = run(
        &dir,
        &[
            "monitor",
            "--url",
            &log_url,
            "--trust",
            "trust.toml",
            "--out",
            "alerts2",
            "--once",
            "--clock",
            "log",
            "--peer-checkpoint",
            "fork.txt",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}{}", stdout(&o), stderr(&o));
    let split = std::fs::read_dir(dir.join("alerts2"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("split_view"))
        .unwrap_or_else(|| panic!("no split-view alert: {}", stdout(&o)));
    let o = run(
        &dir,
        &[
            "verify",
            "evidence",
            split.to_str().unwrap(),
            "--trust",
            "trust.toml",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));

    // A false accusation: the same bundle pointed at the radar's previous, compliant reading.
    let radar = alerts
        .iter()
        .find(|p| p.to_string_lossy().contains("radar-sector"))
        .unwrap();
    let mut ev: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(radar).unwrap()).unwrap();
    let prev = ev["finding"]["context"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_u64())
        .max()
        .unwrap();
    ev["finding"]["index"] = prev.into();
    std::fs::write(dir.join("false.json"), ev.to_string()).unwrap();
    let o = run(
        &dir,
        &[
            "verify",
            "evidence",
            "false.json",
            "--trust",
            "trust.toml",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("\"verified\":false"), "{}", stdout(&o));

    // A field given twice: a JSON reader keeping the first would show the false summary, one
    // keeping the last the true one; the bundle is refused rather than read either way.
    let text = std::fs::read_to_string(radar).unwrap();
    let twice = text.replacen(
        "\"summary\":",
        "\"summary\":\"radar fired at Moscow\",\"summary\":",
        1,
    );
    assert_ne!(twice, text);
    std::fs::write(dir.join("twice.json"), twice).unwrap();
    let o = run(
        &dir,
        &["verify", "evidence", "twice.json", "--trust", "trust.toml"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("duplicate field `summary`"), "{}", stderr(&o));

    // A rule file with a syntax error is reported with its position.
    std::fs::write(
        dir.join("bad-rules.toml"),
        "[agreement]\n\n[[rule]]\nid = \"x\"\ntitle = \"t\"\nrequire = \"s.seq >\"\n",
    )
    .unwrap();
    let bad_trust = std::fs::read_to_string(dir.join("trust.toml"))
        .unwrap()
        .replace("rules = \"europe-2008\"", "rules = \"bad-rules.toml\"");
    std::fs::write(dir.join("bad-trust.toml"), bad_trust).unwrap();
    let o = run(
        &dir,
        &[
            "verify",
            "evidence",
            radar.to_str().unwrap(),
            "--trust",
            "bad-trust.toml",
        ],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("bad-rules.toml:6:11"), "{}", stderr(&o));
    assert!(stderr(&o).contains("CEL syntax error"), "{}", stderr(&o));

    // Data minimisation: the radar's first reading's pointing, revealed, matches its commitment.
    let reveals = std::fs::read_to_string(dir.join("sim2/reveals.jsonl")).unwrap();
    let (n, r) = reveals
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["reveal"]["field"] == "pointing")
        .map(|v| (v["n"].as_u64().unwrap(), v["reveal"].clone()))
        .unwrap();
    // Its index: submitting the same entry again is idempotent and returns it.
    let entries = std::fs::read_to_string(dir.join("sim2/entries.jsonl")).unwrap();
    let line: serde_json::Value = entries
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["n"].as_u64() == Some(n))
        .unwrap();
    use base64::Engine as _;
    let bytes = base64::prelude::BASE64_STANDARD
        .decode(line["entry"].as_str().unwrap())
        .unwrap();
    std::fs::write(dir.join("radar.bin"), &bytes).unwrap();
    let o = run(&dir, &["log", "add", "--url", &log_url, "radar.bin"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let index = serde_json::from_str::<serde_json::Value>(stdout(&o).trim()).unwrap()["index"].to_string();
    let (value, salt) = (r["value"].as_str().unwrap(), r["salt"].as_str().unwrap());
    let reveal = |value: &str| {
        run(
            &dir,
            &[
                "verify",
                "reveal",
                "--url",
                &log_url,
                "--trust",
                "trust.toml",
                "--index",
                &index,
                "--field",
                "pointing",
                "--value",
                value,
                "--salt",
                salt,
            ],
        )
    };
    let o = reveal(value);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = reveal("0");
    assert_eq!(
        o.status.code(),
        Some(1),
        "a wrong value must not open the commitment"
    );
}

/// Submits `entry` with `log add`; returns (success, stderr).
/// Submits an entry with `log add`: success, and for a refusal the HTTP status and the server's
/// reason (from the JSON line `log add` prints).
fn add(dir: &Path, url: &str, name: &str, entry: &[u8]) -> (bool, u64, String) {
    std::fs::write(dir.join(name), entry).unwrap();
    let o = run(dir, &["log", "add", "--url", url, name]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim())
        .unwrap_or_else(|e| panic!("log add printed no JSON ({e}): {}{}", stdout(&o), stderr(&o)));
    (
        o.status.success(),
        v["status"].as_u64().unwrap_or(0),
        v["error"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Waits until the published (cosigned) checkpoint reaches `size`.
fn wait_size(dir: &Path, url: &str, size: u64) -> u64 {
    let t = Instant::now();
    loop {
        let s = tree_size(dir, url);
        if s >= size || t.elapsed() > Duration::from_secs(20) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The body of `GET path` on `addr` (`host:port`; HTTP/1.0, read to the end).
fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut r = String::new();
    s.read_to_string(&mut r).unwrap();
    let (head, body) = r.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    body.to_owned()
}

fn bad_submissions(dir: &Path, url: &str, logged: u64) {
    let before = wait_size(dir, url, logged);
    assert_eq!(before, logged);
    let mut cfg = SimConfig::europe_2008_day(1_767_225_600_000);
    cfg.seed = 2008;
    let dep = Deployment::new(&cfg).unwrap();
    let silo = silo_sensor("redzikowo", 1);
    let reading = |sensor: &str, seq: u64| Statement {
        schema: STATEMENT_SCHEMA.into(),
        sensor: sensor.into(),
        site: "redzikowo".into(),
        seq,
        time_ms: 1_767_225_600_000 + 86_400_000,
        clock_ok: true,
        body: Body::Silo(SiloReading {
            silo: 1,
            door: DoorState::Closed,
            interceptor_present: true,
            readiness: Readiness::Inactive,
            seal_intact: true,
            tamper: false,
            serial: None,
        }),
    };

    let (ok, status, e) = add(dir, url, "garbage.bin", b"not a signed note");
    assert!(
        !ok && status == 422 && e.starts_with("rejected, reason malformed"),
        "{e}"
    );

    let stranger = verify::Key::generate("redzikowo-silo-99").unwrap();
    let (ok, status, e) = add(
        dir,
        url,
        "unknown.bin",
        &reading("redzikowo-silo-99", 1).sign(&stranger).unwrap(),
    );
    assert!(
        !ok && status == 403 && e.starts_with("rejected, reason unknown_key"),
        "{e}"
    );

    // Schema violation: a silo number 0.
    let mut st = reading(&silo, 10_000);
    if let Body::Silo(s) = &mut st.body {
        s.silo = 0;
    }
    let mut text = st.canonical().unwrap();
    text.push(b'\n');
    let (ok, status, e) = add(dir, url, "schema.bin", &dep.keys[&silo].sign_note(&text).unwrap());
    assert!(
        !ok && status == 422 && e.starts_with("rejected, reason schema"),
        "{e}"
    );

    // A silo the site does not have (the sensor is registered for silo 1), and a reading dated
    // in 2100: both refused with the reason.
    let mut st = reading(&silo, 10_000);
    if let Body::Silo(s) = &mut st.body {
        s.silo = 99;
    }
    let (ok, status, e) = add(dir, url, "silo99.bin", &st.sign(&dep.keys[&silo]).unwrap());
    assert!(!ok && status == 422 && e.contains("registered for silo 1"), "{e}");
    let mut st = reading(&silo, 10_000);
    st.time_ms = 4_102_444_800_000;
    let (ok, status, e) = add(dir, url, "y2100.bin", &st.sign(&dep.keys[&silo]).unwrap());
    assert!(
        !ok && status == 422 && e.starts_with("rejected, reason clock"),
        "{e}"
    );

    // Revoke silo 1's key with roster version 2 (signed by both authorities), then try it.
    let roster_entry = std::fs::read(dir.join("sim/roster.note")).unwrap();
    let mut keys = dep.roster.keys.clone();
    for k in keys.iter_mut().filter(|k| k.name == silo) {
        k.revoked = true;
    }
    let v2 = Roster {
        schema: ROSTER_SCHEMA.into(),
        version: 2,
        previous: entry_hash(&roster_entry),
        issued_ms: dep.roster.issued_ms + 1,
        authorities: dep.roster.authorities.clone(),
        keys,
    };
    let auth: Vec<&verify::Key> = dep.authorities.iter().collect();
    let (ok, _, e) = add(dir, url, "roster2.bin", &v2.sign(&auth).unwrap());
    assert!(ok, "roster v2: {e}");
    let (ok, status, e) = add(
        dir,
        url,
        "revoked.bin",
        &reading(&silo, 10_000).sign(&dep.keys[&silo]).unwrap(),
    );
    assert!(
        !ok && status == 403 && e.starts_with("rejected, reason revoked_key"),
        "{e}"
    );

    // Only the roster was logged.
    let after = wait_size(dir, url, before + 1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(tree_size(dir, url), after);
    assert_eq!(after, before + 1, "exactly one entry (the roster) added");
}
