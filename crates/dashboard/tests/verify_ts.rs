//! The page's evidence verifier (`web/src/verify.ts`, compiled by the page's own TypeScript and run
//! under Node.js, whose WebCrypto has Ed25519 and SHA-256 as the browser's does) set against the `verify`
//! crate on the same files: an evidence bundle built from two simulated hours with a second roster
//! version (a withheld-readings finding, replayed by `verify::engine`), the same with that roster version
//! not chained to the first (in the log, not admitted, shown as such), and its tampered copies — an entry's byte, a proof hash, an entry
//! left out, the witness's cosignature removed, another root in the checkpoint, a previous checkpoint,
//! trust anchors that did not sign the roster —, and log evidence of every kind (split view, rollback,
//! rewritten history) with their tampered copies. Every verdict must be the one `verify::evidence::verify`
//! or `verify::logwatch::verify_log_evidence` gives, except the edited finding, which only the replay
//! refuses (the browser says it does not replay).
//!
//! Needs Node.js 20+ and `web/node_modules` (installed by the crate's build script).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde_json::{Value, json};
use signed_note::Note;
use tlog::MemoryTree;
use verify::engine::{Engine, FindingKind};
use verify::evidence::{Clock, Judgement, Trust, build, verify};
use verify::logwatch::{LogWatch, Seen, verify_log_evidence};
use verify::roster::Registry;
use verify::rules::builtin_or_path;
use verify::sim::{Deployment, Fault, SimConfig, simulate};

fn web() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

/// Runs `verify.ts` on each case (`{name, bundle, trust}`); returns name → (verified, reason).
fn run_ts(cases: &[Value]) -> serde_json::Map<String, Value> {
    let dir = tempfile::tempdir().unwrap();
    let tsc = web().join("node_modules/typescript/bin/tsc");
    assert!(
        tsc.is_file(),
        "{} is missing: the crate's build script runs npm ci in web/",
        tsc.display()
    );
    let o = Command::new("node")
        .arg(&tsc)
        .args(["--outDir", dir.path().to_str().unwrap()])
        .args([
            "--target",
            "es2022",
            "--module",
            "es2022",
            "--lib",
            "es2022,dom",
            "--strict",
        ])
        .args(["--skipLibCheck", "--noEmit", "false"])
        .arg(web().join("src/verify.ts"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "tsc: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(dir.path().join("package.json"), r#"{"type": "module"}"#).unwrap();
    std::fs::write(dir.path().join("cases.json"), serde_json::to_vec(cases).unwrap()).unwrap();
    std::fs::write(
        dir.path().join("run.js"),
        r#"import { readFileSync } from "node:fs";
import { verifyAlert } from "./verify.js";
const cases = JSON.parse(readFileSync(new URL("./cases.json", import.meta.url)));
const out = {};
for (const c of cases) {
  const r = await verifyAlert(c.bundle, c.trust);
  const line = (x) => `${x.level} ${x.item}: ${x.detail}`;
  out[c.name] = { verified: r.verified, reason: r.reason, checks: r.checks.map(line), entries: r.entries.map(line) };
}
console.log(JSON.stringify(out));
"#,
    )
    .unwrap();
    let o = Command::new("node")
        .arg(dir.path().join("run.js"))
        .output()
        .unwrap();
    assert!(o.status.success(), "node: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice::<Value>(&o.stdout)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

fn flip(s: &str, at: usize) -> String {
    let mut b = BASE64_STANDARD.decode(s).unwrap();
    let i = at.min(b.len() - 1);
    b[i] ^= 1;
    BASE64_STANDARD.encode(b)
}

fn trust_json(log_key: &str, witness: &str, anchors: &[String]) -> Value {
    json!({"path": "trust.toml", "log_key": log_key, "witness_keys": [witness], "min_cosignatures": 1, "anchors": anchors})
}

/// The note `log` signs for `tree` at `size`, cosigned by `w` at `at`.
fn cosigned(
    log: &tlog::LogSigner,
    w: &witness::CosignatureSigner,
    tree: &MemoryTree,
    size: u64,
    at: u64,
) -> Vec<u8> {
    let mut note = log.sign_checkpoint(size, tree.root(size).unwrap()).unwrap();
    let text = Note::from_bytes(&note).unwrap().text().to_vec();
    let sig = w.sign_at(&text, at).unwrap();
    note.extend(
        signed_note::Signature::new(w.name().to_owned(), w.key_id(), sig)
            .unwrap()
            .to_bytes(),
    );
    note
}

#[test]
fn the_typescript_verifier_gives_the_verify_crates_verdicts() {
    let (log, _) = tlog::LogSigner::generate("shieldwatch.test/log").unwrap();
    let (w, _) = witness::CosignatureSigner::generate("witness.test/w1").unwrap();
    let log_key = log.verifier_key().to_owned();

    // Two simulated hours with readings withheld; the log; the monitor engine's gap finding.
    let start = 1_700_000_000_000 - 1_700_000_000_000 % 86_400_000;
    let mut cfg = SimConfig::europe_2008_day(start);
    cfg.duration_ms = 2 * 3_600_000;
    cfg.faults = vec![(3_600_000, Fault::Gap)];
    let dep = Deployment::new(&cfg).unwrap();
    let simulated: Vec<Vec<u8>> = simulate(&dep, &cfg)
        .unwrap()
        .into_iter()
        .map(|e| e.entry)
        .collect();
    let rules = Arc::new(builtin_or_path("europe-2008").unwrap());
    let anchors = dep.anchors();
    // Roster version 2 after version 1: chained (the next number, the SHA-256 of version 1's entry), or
    // not (another `previous`), both signed by every authority of version 1.
    let roster2 = |previous: String| {
        let mut r = dep.roster.clone();
        r.version = 2;
        r.previous = previous;
        r.sign(&dep.authorities.iter().collect::<Vec<_>>()).unwrap()
    };
    let chained = roster2(verify::roster::entry_hash(&dep.roster_entry));
    let unchained = roster2("00".repeat(32));
    // The log of `entries`, its gap finding and its evidence bundle (cosigned checkpoint).
    let bundle = |entries: &[Vec<u8>]| {
        let mut tree = MemoryTree::new();
        for e in entries {
            tree.push(e).unwrap();
        }
        let size = entries.len() as u64;
        let mut engine = Engine::new(Registry::new(anchors.clone()).unwrap(), Arc::clone(&rules));
        let finding = (0u64..)
            .zip(entries)
            .flat_map(|(i, e)| engine.entry(i, e))
            .find(|f| f.kind == FindingKind::Gap)
            .expect("the withheld readings are a gap finding");
        let note = cosigned(&log, &w, &tree, size, 1_700_000_000);
        let judged = Judgement {
            note: &note,
            size,
            previous: None,
            clock: Clock::Witness,
        };
        let ev = build(
            &finding,
            &rules,
            &judged,
            |i| Ok(entries[i as usize].clone()),
            |i| Ok(tlog::merkle::prove_inclusion(size, i, &tree).unwrap()),
        )
        .unwrap();
        (serde_json::to_value(&ev).unwrap(), tree)
    };
    let log_of = |second: &[u8]| {
        let mut entries = vec![dep.roster_entry.clone(), second.to_vec()];
        entries.extend(simulated.iter().cloned());
        entries
    };
    let entries = log_of(&chained);
    let (ev, tree) = bundle(&entries);
    let size = entries.len() as u64;
    let (ev_unchained, _) = bundle(&log_of(&unchained));
    let n = ev["entries"].as_array().unwrap().len();
    let k = n / 2;

    let (other_authority, _) = tlog::LogSigner::generate("other-authority").unwrap();
    let trust = trust_json(&log_key, &w.verifier_key(), &anchors);
    let wrong_anchors = trust_json(
        &log_key,
        &w.verifier_key(),
        &[other_authority.verifier_key().to_owned()],
    );
    let mut cases: Vec<(&str, Value, Value)> = vec![
        ("evidence", ev.clone(), trust.clone()),
        (
            "evidence: roster version 2 not chained",
            ev_unchained,
            trust.clone(),
        ),
    ];
    let mut v = ev.clone();
    v["entries"][k]["entry"] = json!(flip(v["entries"][k]["entry"].as_str().unwrap(), 30));
    cases.push(("evidence: entry byte", v, trust.clone()));
    let mut v = ev.clone();
    v["entries"][k]["proof"][1] = json!(flip(v["entries"][k]["proof"][1].as_str().unwrap(), 0));
    cases.push(("evidence: proof hash", v, trust.clone()));
    let mut v = ev.clone();
    v["entries"].as_array_mut().unwrap().remove(k);
    cases.push(("evidence: entry left out", v, trust.clone()));
    let mut v = ev.clone();
    let cp = v["checkpoint"].as_str().unwrap().to_owned();
    v["checkpoint"] = json!(
        cp.lines()
            .filter(|l| !l.starts_with("— witness.test/"))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    );
    cases.push(("evidence: no cosignature", v, trust.clone()));
    let mut v = ev.clone();
    let other_root = cosigned(&log, &w, &tree, size - 1, 1_700_000_000);
    v["checkpoint"] = json!(String::from_utf8(other_root).unwrap());
    cases.push(("evidence: checkpoint of another size", v, trust.clone()));
    cases.push(("evidence: wrong anchors", ev.clone(), wrong_anchors));
    let mut v = ev.clone();
    v["finding"]["summary"] = json!("edited");
    cases.push(("evidence: edited summary", v, trust.clone()));

    // Log evidence: two trees of four entries differing in the last; a prefix of two.
    let mut other = MemoryTree::new();
    for e in &entries[..3] {
        other.push(e).unwrap();
    }
    other.push(b"rewritten").unwrap();
    let seen = |t: &MemoryTree, s: u64| Seen {
        size: s,
        root: t.root(s).unwrap(),
        note: log.sign_checkpoint(s, t.root(s).unwrap()).unwrap(),
        cosigned_s: 0,
    };
    let (a, b, small) = (seen(&tree, 4), seen(&other, 4), seen(&tree, 2));
    let split = serde_json::to_value(LogWatch::split_view(&a, &b)).unwrap();
    cases.push(("split view", split.clone(), trust.clone()));
    let mut v = split.clone();
    v["checkpoints"][1] = v["checkpoints"][0].clone();
    cases.push(("split view: one tree twice", v, trust.clone()));
    let rollback = serde_json::to_value(LogWatch::rollback(&a, &small)).unwrap();
    cases.push(("rollback", rollback.clone(), trust.clone()));
    let mut v = rollback.clone();
    v["lost"]["from"] = json!(1);
    cases.push(("rollback: wrong lost range", v, trust.clone()));
    let proof = |t: &MemoryTree| tlog::merkle::prove_inclusion(4, 3, t).unwrap();
    let rewritten = serde_json::to_value(LogWatch::equivocation(
        &a,
        &b,
        3,
        (&entries[3], &proof(&tree)),
        (b"rewritten", &proof(&other)),
    ))
    .unwrap();
    cases.push(("rewritten history", rewritten.clone(), trust.clone()));
    let mut v = rewritten.clone();
    v["entries"][1]["proof"][0] = json!(flip(v["entries"][1]["proof"][0].as_str().unwrap(), 3));
    cases.push(("rewritten history: proof hash", v, trust.clone()));
    let mut v = rewritten.clone();
    v["entries"][1] = v["entries"][0].clone();
    v["checkpoints"][1] = v["checkpoints"][0].clone();
    cases.push(("rewritten history: one entry twice", v, trust.clone()));
    let (impostor, _) = tlog::LogSigner::generate("shieldwatch.test/log").unwrap();
    let mut v = split.clone();
    v["checkpoints"][1] =
        json!(String::from_utf8(impostor.sign_checkpoint(4, other.root(4).unwrap()).unwrap()).unwrap());
    cases.push(("split view: another log's key", v, trust.clone()));

    let ts = run_ts(
        &cases
            .iter()
            .map(|(name, bundle, trust)| json!({"name": name, "bundle": bundle, "trust": trust}))
            .collect::<Vec<_>>(),
    );
    let mut accepted = 0;
    for (name, bundle, t) in &cases {
        let rust = if bundle["schema"] == "shieldwatch/evidence/v1" {
            let trust = Trust {
                log_key: log_key.clone(),
                witness_keys: vec![w.verifier_key()],
                min_cosignatures: 1,
                anchors: t["anchors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_owned())
                    .collect(),
                rules: Arc::clone(&rules),
            };
            verify(&serde_json::from_value(bundle.clone()).unwrap(), &trust)
                .map(|_| ())
                .map_err(|e| e.to_string())
        } else {
            verify_log_evidence(&serde_json::from_value(bundle.clone()).unwrap(), &log_key)
                .map_err(|e| e.to_string())
        };
        let got = &ts[*name];
        let browser = got["verified"].as_bool().unwrap();
        eprintln!("{name}: verify crate {rust:?}; verify.ts {}", got["reason"]);
        if *name == "evidence: edited summary" {
            assert!(rust.is_err() && browser, "{name}: {got}");
            assert!(got["checks"].to_string().contains("Not replayed here"), "{got}");
            continue;
        }
        assert_eq!(
            browser,
            rust.is_ok(),
            "{name}: verify crate {rust:?}, verify.ts {got}"
        );
        accepted += usize::from(browser);
    }
    // The untampered ones pass, and only they (a roster version that does not follow its predecessor is
    // in the log but not admitted: the replay counts it as forged, the gap finding stands).
    assert_eq!(accepted, 5, "{ts:?}");
    let entry1 = |name: &str| ts[name]["entries"][3].as_str().unwrap().to_owned();
    assert!(
        entry1("evidence").starts_with("pass entry 1 signature: roster version 2"),
        "{}",
        entry1("evidence")
    );
    let broken = entry1("evidence: roster version 2 not chained");
    assert!(
        broken.starts_with("note entry 1 signature: roster version 2 does not follow version 1"),
        "{broken}"
    );
    let reason = |name: &str| ts[name]["reason"].as_str().unwrap().to_owned();
    assert!(
        reason("evidence: wrong anchors")
            .contains("the roster at entry 0 is not signed by the trust file's anchors")
    );
    assert!(reason("evidence: entry left out").contains("entries, the complete range"));
    assert!(reason("evidence: no cosignature").contains("0 valid witness cosignature(s), 1 required"));
}
