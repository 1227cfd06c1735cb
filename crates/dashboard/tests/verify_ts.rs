//! The page's evidence verifier (`web/src/verify.ts` with its rule replay `web/src/replay.ts`, compiled by
//! the page's own TypeScript and run under Node.js, whose WebCrypto has Ed25519 and SHA-256 as the
//! browser's does) set against the `verify` crate on the same bundles, generated here: from simulated hours
//! with faults, bundles for a withheld-readings gap, a replayed reading, a clock running backwards, a radar
//! outside its sector, an extra interceptor (statement rules) and a stale sensor at the checkpoint (a
//! checkpoint rule); a roster version not chained to the first; and their doctored copies — the summary,
//! the rule expression, the rule's scope, the agreement's parameters, the claimed sensor, index, context and
//! sequence number, the clock, two entries swapped, an entry's byte, a proof hash, an entry left out, the
//! witness's cosignature removed, another root, trust anchors that did not sign the roster —, and log
//! evidence of every kind with tampered copies. Every verdict must be the one `verify::evidence::verify` or
//! `verify::logwatch::verify_log_evidence` gives, and where both refuse a doctored finding the page's
//! reason must be the verifier's. What the page does not replay (a forged entry's finding, worded by the
//! verifier's error messages; a rule outside the CEL subset) must say "not replayed", never verified.
//!
//! Needs Node.js 20+ and `web/node_modules` (installed by the crate's build script).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde_json::{Value, json};
use signed_note::Note;
use tlog::MemoryTree;
use verify::engine::Finding;
use verify::engine::{Engine, FindingKind};
use verify::evidence::{Clock, Judgement, Trust, build, verify};
use verify::logwatch::{LogWatch, Seen, verify_log_evidence};
use verify::roster::Registry;
use verify::rules::{EUROPE_2008, RuleSet, RuleText, builtin_or_path};
use verify::sim::{Deployment, Fault, SimConfig, simulate};

fn web() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

/// Runs `verify.ts` on each case (`{name, bundle, trust}`); returns name → (verified, reason).
fn run_ts(cases: &[Value]) -> serde_json::Map<String, Value> {
    let tsc = web().join("node_modules/typescript/bin/tsc");
    assert!(
        tsc.is_file(),
        "{} is missing: the crate's build script runs npm ci in web/",
        tsc.display()
    );
    // Inside web/node_modules, so that Node finds the page's CEL package as the page's bundle does.
    let dir = tempfile::Builder::new()
        .prefix(".verify-ts-")
        .tempdir_in(web().join("node_modules"))
        .unwrap();
    let o = Command::new("node")
        .arg(&tsc)
        .args(["--outDir", dir.path().to_str().unwrap()])
        .args([
            "--target",
            "es2022",
            "--module",
            "es2022",
            "--moduleResolution",
            "bundler",
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

/// The trust file as `GET /api/trust` serves it, with `rules` as the agreed rules.
fn trust_json(log_key: &str, witness: &str, anchors: &[String], rules: &RuleSet) -> Value {
    let texts: Vec<&RuleText> = rules.rules.iter().map(|r| &r.text).collect();
    json!({"path": "trust.toml", "log_key": log_key, "witness_keys": [witness], "min_cosignatures": 1, "anchors": anchors,
           "rules": "europe-2008", "agreed": {"agreement": rules.agreement, "rules": texts}})
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

/// What the page must say of a case.
#[derive(Clone, Copy, PartialEq)]
enum Expect {
    /// The verify crate's verdict; when both refuse a doctored finding, the verify crate's reason.
    Same,
    /// The verify crate's verdict, the page's reason being its own wording of the same refusal.
    SameVerdict,
    /// "not replayed: …", never verified (the verify crate verifies it).
    NotReplayed,
}

struct Case {
    name: String,
    bundle: Value,
    trust: Value,
    rules: Arc<RuleSet>,
    expect: Expect,
}

#[test]
fn the_typescript_verifier_gives_the_verify_crates_verdicts() {
    let (log, _) = tlog::LogSigner::generate("shieldwatch.test/log").unwrap();
    let (w, _) = witness::CosignatureSigner::generate("witness.test/w1").unwrap();
    let log_key = log.verifier_key().to_owned();
    let cosigned_s = 1_700_000_000;

    // Simulated hours with faults; the monitor engine's findings; their evidence bundles.
    let start = 1_700_000_000_000 - 1_700_000_000_000 % 86_400_000;
    let sim = |faults: Vec<(i64, Fault)>| {
        let mut cfg = SimConfig::europe_2008_day(start);
        cfg.duration_ms = 2 * 3_600_000;
        cfg.faults = faults;
        let dep = Deployment::new(&cfg).unwrap();
        let entries: Vec<Vec<u8>> = simulate(&dep, &cfg)
            .unwrap()
            .into_iter()
            .map(|e| e.entry)
            .collect();
        (dep, entries)
    };
    let rules = Arc::new(builtin_or_path("europe-2008").unwrap());
    let (dep, simulated) = sim(vec![(3_600_000, Fault::Gap)]);
    let anchors = dep.anchors();
    // The log of `entries`, the finding `pick` chooses (among the entries' findings, or the checkpoint's),
    // and its evidence bundle (cosigned checkpoint).
    let bundle = |entries: &[Vec<u8>], anchors: &[String], pick: &dyn Fn(&Finding) -> bool| {
        let mut tree = MemoryTree::new();
        for e in entries {
            tree.push(e).unwrap();
        }
        let size = entries.len() as u64;
        let mut engine = Engine::new(Registry::new(anchors.to_vec()).unwrap(), Arc::clone(&rules));
        let mut found: Vec<Finding> = (0u64..)
            .zip(entries)
            .flat_map(|(i, e)| engine.entry(i, e))
            .collect();
        found.extend(engine.checkpoint(size, cosigned_s as i64 * 1000));
        let names: Vec<String> = found.iter().map(|f| f.kind.name()).collect();
        let finding = found
            .into_iter()
            .find(|f| pick(f))
            .unwrap_or_else(|| panic!("the simulated faults give the finding; found {names:?}"));
        let note = cosigned(&log, &w, &tree, size, cosigned_s);
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
    let log_of = |second: &[u8]| {
        let mut entries = vec![dep.roster_entry.clone(), second.to_vec()];
        entries.extend(simulated.iter().cloned());
        entries
    };
    let is = |kind: FindingKind| move |f: &Finding| f.kind == kind;
    let entries = log_of(&chained);
    let (ev, tree) = bundle(&entries, &anchors, &is(FindingKind::Gap));
    let size = entries.len() as u64;
    let (ev_unchained, _) = bundle(&log_of(&unchained), &anchors, &is(FindingKind::Gap));
    let n = ev["entries"].as_array().unwrap().len();
    let k = n / 2;

    let (other_authority, _) = tlog::LogSigner::generate("other-authority").unwrap();
    let trust = trust_json(&log_key, &w.verifier_key(), &anchors, &rules);
    let wrong_anchors = trust_json(
        &log_key,
        &w.verifier_key(),
        &[other_authority.verifier_key().to_owned()],
        &rules,
    );
    let mut cases: Vec<Case> = Vec::new();
    let mut add = |name: &str, bundle: Value, trust: &Value, rules: &Arc<RuleSet>, expect: Expect| {
        cases.push(Case {
            name: name.to_owned(),
            bundle,
            trust: trust.clone(),
            rules: Arc::clone(rules),
            expect,
        });
    };
    add("evidence", ev.clone(), &trust, &rules, Expect::Same);
    add(
        "evidence: roster version 2 not chained",
        ev_unchained,
        &trust,
        &rules,
        Expect::Same,
    );
    let mut v = ev.clone();
    v["entries"][k]["entry"] = json!(flip(v["entries"][k]["entry"].as_str().unwrap(), 30));
    add("evidence: entry byte", v, &trust, &rules, Expect::SameVerdict);
    let mut v = ev.clone();
    v["entries"][k]["proof"][1] = json!(flip(v["entries"][k]["proof"][1].as_str().unwrap(), 0));
    add("evidence: proof hash", v, &trust, &rules, Expect::SameVerdict);
    let mut v = ev.clone();
    v["entries"].as_array_mut().unwrap().remove(k);
    add("evidence: entry left out", v, &trust, &rules, Expect::Same);
    let mut v = ev.clone();
    let cp = v["checkpoint"].as_str().unwrap().to_owned();
    v["checkpoint"] = json!(
        cp.lines()
            .filter(|l| !l.starts_with("— witness.test/"))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    );
    add("evidence: no cosignature", v, &trust, &rules, Expect::SameVerdict);
    let mut v = ev.clone();
    let other_root = cosigned(&log, &w, &tree, size - 1, cosigned_s);
    v["checkpoint"] = json!(String::from_utf8(other_root).unwrap());
    add(
        "evidence: checkpoint of another size",
        v,
        &trust,
        &rules,
        Expect::SameVerdict,
    );
    add(
        "evidence: wrong anchors",
        ev.clone(),
        &wrong_anchors,
        &rules,
        Expect::SameVerdict,
    );
    // Statement order: two entries swapped whole (indexes out of order), or their contents swapped.
    let mut v = ev.clone();
    v["entries"].as_array_mut().unwrap().swap(k, k + 1);
    add("evidence: two entries swapped", v, &trust, &rules, Expect::Same);
    let mut v = ev.clone();
    let (a, b) = (
        v["entries"][k]["entry"].clone(),
        v["entries"][k + 1]["entry"].clone(),
    );
    v["entries"][k]["entry"] = b;
    v["entries"][k + 1]["entry"] = a;
    add(
        "evidence: two statements' order swapped",
        v,
        &trust,
        &rules,
        Expect::SameVerdict,
    );
    // The finding's claimed values.
    let mut v = ev.clone();
    v["finding"]["summary"] = json!("edited");
    add("evidence: edited summary", v, &trust, &rules, Expect::Same);
    // A claim the replay never checks, slipped into the finding's kind.
    let mut v = ev.clone();
    v["finding"]["kind"]["verdict"] = json!("deliberate breach, confirmed");
    add(
        "evidence: a claim inside the finding's kind",
        v,
        &trust,
        &rules,
        Expect::SameVerdict,
    );
    let mut v = ev.clone();
    let summary = v["finding"]["summary"]
        .as_str()
        .unwrap()
        .replace("missing", "absent");
    v["finding"]["summary"] = json!(summary);
    add(
        "evidence: one word of the summary",
        v,
        &trust,
        &rules,
        Expect::Same,
    );
    let mut v = ev.clone();
    v["finding"]["sensor"] = json!("silo-2.redzikowo");
    add("evidence: claimed sensor", v, &trust, &rules, Expect::Same);
    let mut v = ev.clone();
    v["finding"]["context"].as_array_mut().unwrap().push(json!(0));
    add("evidence: claimed context", v, &trust, &rules, Expect::Same);
    let mut v = ev.clone();
    v["finding"]["index"] = json!(k);
    v["complete"]["to"] = json!(k + 1);
    v["entries"].as_array_mut().unwrap().truncate(k + 1);
    add("evidence: claimed index", v, &trust, &rules, Expect::Same);
    let mut v = ev.clone();
    v["finding"]["confirmed_by"] = json!("an inspector");
    add(
        "evidence: a field added to the finding",
        v,
        &trust,
        &rules,
        Expect::SameVerdict,
    );
    let mut v = ev.clone();
    v["finding"]["kind"] = json!({"type": "clock_backwards"});
    add("evidence: claimed kind", v, &trust, &rules, Expect::Same);

    // Statement and checkpoint rules, replays and clocks: one log with several faults.
    let (dep2, faulty) = sim(vec![
        // Before 06:00 the radar is off: radiating then is outside its windows as well.
        (30 * 60_000, Fault::RadarOutsideSector),
        (30 * 60_000, Fault::RadarOutsideWindow),
        (35 * 60_000, Fault::TamperOutsideMaintenance),
        (40 * 60_000, Fault::ExtraInterceptor),
        (50 * 60_000, Fault::Replay),
        (60 * 60_000, Fault::ClockJump),
        (70 * 60_000, Fault::ForgedSignature),
        (80 * 60_000, Fault::OverCollection),
    ]);
    let faulty: Vec<Vec<u8>> = std::iter::once(dep2.roster_entry.clone()).chain(faulty).collect();
    let anchors2 = dep2.anchors();
    let trust2 = trust_json(&log_key, &w.verifier_key(), &anchors2, &rules);
    let rule = |id: &'static str| move |f: &Finding| f.kind == FindingKind::Rule(id.to_owned());
    let (sector, _) = bundle(&faulty, &anchors2, &rule("radar-sector"));
    let (extra, _) = bundle(&faulty, &anchors2, &rule("max-interceptors"));
    let (stale, _) = bundle(&faulty, &anchors2, &rule("telemetry-latency"));
    for (name, b) in [
        ("rule: radar-sector", &sector),
        (
            "rule: radar-windows",
            &bundle(&faulty, &anchors2, &rule("radar-windows")).0,
        ),
        (
            "rule: tamper-maintenance",
            &bundle(&faulty, &anchors2, &rule("tamper-maintenance")).0,
        ),
        ("rule: max-interceptors", &extra),
        ("rule: telemetry-latency (at the checkpoint)", &stale),
        ("replay", &bundle(&faulty, &anchors2, &is(FindingKind::Replay)).0),
        (
            "clock backwards",
            &bundle(&faulty, &anchors2, &is(FindingKind::ClockBackwards)).0,
        ),
    ] {
        add(name, b.clone(), &trust2, &rules, Expect::Same);
    }
    for (name, kind) in [
        ("forged", FindingKind::Forged),
        ("over-collection", FindingKind::OverCollection),
    ] {
        let (b, _) = bundle(&faulty, &anchors2, &is(kind));
        add(name, b, &trust2, &rules, Expect::NotReplayed);
    }
    let mut v = sector.clone();
    v["rule"]["require"] = json!("true");
    add("rule: edited expression", v, &trust2, &rules, Expect::Same);
    let mut v = sector.clone();
    v["rule"]["when"] = json!("s.kind == 'silo'");
    add("rule: edited condition", v, &trust2, &rules, Expect::Same);
    let mut v = sector.clone();
    v["rule"]["scope"] = json!("site");
    add("rule: edited scope", v, &trust2, &rules, Expect::Same);
    let mut v = sector.clone();
    v["rule"]["title"] = json!("Radar points anywhere");
    add("rule: edited title", v, &trust2, &rules, Expect::Same);
    let mut v = sector.clone();
    let summary = v["finding"]["summary"].as_str().unwrap().to_owned();
    let seq_at = summary.find("(seq ").unwrap() + 5;
    let digits = summary[seq_at..].find(' ').unwrap();
    let seq: u64 = summary[seq_at..seq_at + digits].parse().unwrap();
    v["finding"]["summary"] = json!(format!(
        "{}{}{}",
        &summary[..seq_at],
        seq + 1,
        &summary[seq_at + digits..]
    ));
    add("rule: claimed sequence number", v, &trust2, &rules, Expect::Same);
    let mut v = stale.clone();
    v["clock"] = json!("log");
    add("rule: the log's clock claimed", v, &trust2, &rules, Expect::Same);
    let mut v = extra.clone();
    v["clock"] = json!("log");
    add(
        "rule: a clock on a statement rule",
        v,
        &trust2,
        &rules,
        Expect::Same,
    );
    // The agreement's parameters: bin 30 agreed too, or 11 interceptors: the finding does not follow.
    let edited = |from: &str, to: &str| {
        assert!(EUROPE_2008.contains(from));
        Arc::new(RuleSet::from_toml("edited.toml", &EUROPE_2008.replace(from, to)).unwrap())
    };
    let wide = edited("radar_sector_bins = [6,", "radar_sector_bins = [30, 6,");
    add(
        "agreement: the sector bins widened",
        sector.clone(),
        &trust_json(&log_key, &w.verifier_key(), &anchors2, &wide),
        &wide,
        Expect::Same,
    );
    let more = edited("max_interceptors = 10", "max_interceptors = 11");
    add(
        "agreement: more interceptors allowed",
        extra.clone(),
        &trust_json(&log_key, &w.verifier_key(), &anchors2, &more),
        &more,
        Expect::Same,
    );
    // A rule outside the CEL subset the page replays: the verify crate verifies, the page does not say so.
    let sized = Arc::new(
        RuleSet::from_toml(
            "sized.toml",
            &format!(
                "{EUROPE_2008}\n[[rule]]\nid = \"few-notices\"\ntitle = \"t\"\nrequire = \"size(notices) < 1000\"\n"
            ),
        )
        .unwrap(),
    );
    add(
        "rules: one outside the subset",
        sector.clone(),
        &trust_json(&log_key, &w.verifier_key(), &anchors2, &sized),
        &sized,
        Expect::NotReplayed,
    );
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
        judged: Default::default(),
    };
    let (a, b, small) = (seen(&tree, 4), seen(&other, 4), seen(&tree, 2));
    let split = serde_json::to_value(LogWatch::split_view(&a, &b)).unwrap();
    add("split view", split.clone(), &trust, &rules, Expect::SameVerdict);
    let mut v = split.clone();
    v["checkpoints"][1] = v["checkpoints"][0].clone();
    add(
        "split view: one tree twice",
        v,
        &trust,
        &rules,
        Expect::SameVerdict,
    );
    let rollback = serde_json::to_value(LogWatch::rollback(&a, &small)).unwrap();
    add("rollback", rollback.clone(), &trust, &rules, Expect::SameVerdict);
    let mut v = rollback.clone();
    v["lost"]["from"] = json!(1);
    add(
        "rollback: wrong lost range",
        v,
        &trust,
        &rules,
        Expect::SameVerdict,
    );
    let proof = |t: &MemoryTree| tlog::merkle::prove_inclusion(4, 3, t).unwrap();
    let rewritten = serde_json::to_value(LogWatch::equivocation(
        &a,
        &b,
        3,
        (&entries[3], &proof(&tree)),
        (b"rewritten", &proof(&other)),
    ))
    .unwrap();
    add(
        "rewritten history",
        rewritten.clone(),
        &trust,
        &rules,
        Expect::Same,
    );
    let mut v = rewritten.clone();
    v["entries"][1]["proof"][0] = json!(flip(v["entries"][1]["proof"][0].as_str().unwrap(), 3));
    add(
        "rewritten history: proof hash",
        v,
        &trust,
        &rules,
        Expect::SameVerdict,
    );
    let mut v = rewritten.clone();
    v["entries"][1] = v["entries"][0].clone();
    v["checkpoints"][1] = v["checkpoints"][0].clone();
    add(
        "rewritten history: one entry twice",
        v,
        &trust,
        &rules,
        Expect::Same,
    );
    let (impostor, _) = tlog::LogSigner::generate("shieldwatch.test/log").unwrap();
    let mut v = split.clone();
    v["checkpoints"][1] =
        json!(String::from_utf8(impostor.sign_checkpoint(4, other.root(4).unwrap()).unwrap()).unwrap());
    add(
        "split view: another log's key",
        v,
        &trust,
        &rules,
        Expect::SameVerdict,
    );

    let ts = run_ts(
        &cases
            .iter()
            .map(|c| json!({"name": c.name, "bundle": c.bundle, "trust": c.trust}))
            .collect::<Vec<_>>(),
    );
    let mut accepted = Vec::new();
    for c in &cases {
        let rust = if c.bundle["schema"] == "shieldwatch/evidence/v1" {
            let trust = Trust {
                log_key: log_key.clone(),
                witness_keys: vec![w.verifier_key()],
                min_cosignatures: 1,
                anchors: c.trust["anchors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_owned())
                    .collect(),
                rules: Arc::clone(&c.rules),
            };
            // As `verify evidence` reads a file: strictly (a field outside the schema is refused).
            serde_json::from_value::<verify::evidence::Evidence>(c.bundle.clone())
                .map_err(|e| e.to_string())
                .and_then(|ev| verify(&ev, &trust).map(|_| ()).map_err(|e| e.to_string()))
        } else {
            verify_log_evidence(&serde_json::from_value(c.bundle.clone()).unwrap(), &log_key)
                .map_err(|e| e.to_string())
        };
        let name = &c.name;
        let got = &ts[name.as_str()];
        let browser = got["verified"].as_bool().unwrap();
        let reason = got["reason"].as_str().unwrap_or("");
        eprintln!("{name}: verify crate {rust:?}; verify.ts {reason:?}");
        match c.expect {
            Expect::NotReplayed => {
                assert!(rust.is_ok(), "{name}: {rust:?}");
                assert!(!browser && reason.starts_with("not replayed: "), "{name}: {got}");
            }
            Expect::Same | Expect::SameVerdict => {
                assert_eq!(
                    browser,
                    rust.is_ok(),
                    "{name}: verify crate {rust:?}, verify.ts {got}"
                );
                if let Err(e) = &rust
                    && c.expect == Expect::Same
                {
                    assert!(
                        !reason.is_empty() && e.contains(reason),
                        "{name}: the page's reason {reason:?} is not the verify crate's {e:?}"
                    );
                }
                if browser {
                    accepted.push(name.clone());
                }
            }
        }
    }
    // The genuine ones pass, and only they (a roster version that does not follow its predecessor is in the
    // log but not admitted: the replay counts it as forged, the gap finding stands).
    assert_eq!(
        accepted,
        [
            "evidence",
            "evidence: roster version 2 not chained",
            "rule: radar-sector",
            "rule: radar-windows",
            "rule: tamper-maintenance",
            "rule: max-interceptors",
            "rule: telemetry-latency (at the checkpoint)",
            "replay",
            "clock backwards",
            "split view",
            "rollback",
            "rewritten history",
        ],
        "{ts:?}"
    );
    let line = |name: &str, i: usize| ts[name]["entries"][i].as_str().unwrap().to_owned();
    assert!(
        line("evidence", 3).starts_with("pass entry 1 admission: roster version 2"),
        "{}",
        line("evidence", 3)
    );
    let broken = line("evidence: roster version 2 not chained", 3);
    assert!(
        broken.starts_with("note entry 1 admission: roster version 2 does not follow version 1"),
        "{broken}"
    );
    // The page lists what it checked, the replay among it.
    let checks = ts["rule: radar-sector"]["checks"].to_string();
    for item in [
        "Checkpoint signature",
        "Witness cosignatures",
        "Range complete",
        "Inclusion proofs",
        "Rule text",
        "Entry admission",
        "Rule replay",
    ] {
        assert!(checks.contains(&format!("pass {item}: ")), "{item}: {checks}");
    }
    let reason = |name: &str| ts[name]["reason"].as_str().unwrap().to_owned();
    assert!(
        reason("rules: one outside the subset").contains("size"),
        "{}",
        reason("rules: one outside the subset")
    );
    assert!(reason("evidence: edited summary").contains("differs from the recomputed one"));
    assert!(reason("rule: edited expression").contains("differs from the agreed text"));
    assert!(reason("agreement: the sector bins widened").contains("does not give rule:radar-sector"));
}
