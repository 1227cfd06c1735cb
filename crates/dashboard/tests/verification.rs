//! The verification view's server side without a browser: a checkpoint's status against a trust file
//! (log signature, a trusted witness's cosignature and its age, an untrusted one listed as unchecked, a
//! wrong log key), the timelines of simulated telemetry (withheld readings and a time gap found, nothing
//! else), and bad input through the router: a log position that is not a number or not given, a log that
//! does not answer (502 with a message naming it), alerts without a folder, an alert name outside the
//! folder, a configuration without a trust file.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use dashboard::model::{ErrorBody, TrustView};
use dashboard::verification::{VerificationConfig, log_status, timelines};
use dashboard::{Verification, router_with};
use defence::scenario::Scenario;
use http_body_util::BodyExt;
use signed_note::Note;
use tower::ServiceExt;
use verify::sim::{Deployment, Fault, SimConfig, simulate};

fn trust(log_key: &str, witness_keys: Vec<String>) -> TrustView {
    TrustView {
        path: "trust.toml".into(),
        log_key: log_key.into(),
        witness_keys,
        min_cosignatures: 1,
        anchors: Vec::new(),
        rules: "europe-2008".into(),
        agreed: dashboard::model::AgreedRules {
            agreement: serde_json::json!({}),
            rules: Vec::new(),
        },
    }
}

/// A checkpoint of 7 entries signed by a fresh log key and cosigned by `witnesses` at `at` (Unix s).
fn cosigned(witnesses: &[&witness::CosignatureSigner], at: u64) -> (Vec<u8>, String) {
    let (log, _) = tlog::LogSigner::generate("example.test/log").unwrap();
    let note = log.sign_checkpoint(7, tlog::merkle::record_hash(b"x")).unwrap();
    let parsed = Note::from_bytes(&note).unwrap();
    let mut out = note.clone();
    for w in witnesses {
        let sig = w.sign_at(parsed.text(), at).unwrap();
        let line = signed_note::Signature::new(w.name().to_owned(), w.key_id(), sig).unwrap();
        out.extend_from_slice(&line.to_bytes());
    }
    (out, log.verifier_key().to_owned())
}

#[test]
fn a_checkpoint_is_checked_against_the_trust_file() {
    let (w1, _) = witness::CosignatureSigner::generate("witness.test/w1").unwrap();
    let (w2, _) = witness::CosignatureSigner::generate("witness.test/w2").unwrap();
    let (note, log_key) = cosigned(&[&w1, &w2], 1_000_000);
    let s = log_status(
        "http://log",
        &note,
        &trust(&log_key, vec![w1.verifier_key()]),
        1_000_042,
    )
    .unwrap();
    assert_eq!((s.origin.as_str(), s.size), ("example.test/log", 7));
    assert!(s.log_signature.ok, "{s:?}");
    assert_eq!(s.valid_cosignatures, 1);
    let by1 = &s.cosignatures[0];
    assert_eq!(
        (
            by1.name.as_str(),
            by1.trusted,
            by1.verified,
            by1.time_s,
            by1.age_s
        ),
        ("witness.test/w1", true, true, Some(1_000_000), Some(42))
    );
    // w2 is not in the trust file: listed with the time it claims, not counted.
    let by2 = &s.cosignatures[1];
    assert_eq!(
        (by2.name.as_str(), by2.trusted, by2.verified, by2.time_s),
        ("witness.test/w2", false, false, Some(1_000_000))
    );

    // Another log key: the signature does not verify, and the trusted witness is still checked.
    let (other, _) = tlog::LogSigner::generate("example.test/log").unwrap();
    let s = log_status(
        "http://log",
        &note,
        &trust(other.verifier_key(), vec![w1.verifier_key()]),
        1_000_042,
    )
    .unwrap();
    assert!(
        !s.log_signature.ok && s.log_signature.detail.contains("does not verify"),
        "{s:?}"
    );
    // A witness the trust file names that did not cosign.
    let (w3, _) = witness::CosignatureSigner::generate("witness.test/w3").unwrap();
    let s = log_status(
        "http://log",
        &note,
        &trust(&log_key, vec![w3.verifier_key()]),
        1_000_042,
    )
    .unwrap();
    assert_eq!(s.valid_cosignatures, 0);
    assert!(
        !s.cosignatures[0].verified && s.cosignatures[0].time_s.is_none(),
        "{s:?}"
    );
    // Not a checkpoint at all.
    assert!(log_status("http://log", b"hello", &trust(&log_key, vec![]), 0).is_err());
}

#[test]
fn timelines_mark_withheld_readings_and_time_gaps() {
    let start = 1_700_000_000_000 - 1_700_000_000_000 % 86_400_000;
    let mut cfg = SimConfig::europe_2008_day(start);
    cfg.duration_ms = 2 * 3_600_000;
    cfg.faults = vec![(3_600_000, Fault::Gap)];
    let dep = Deployment::new(&cfg).unwrap();
    let mut entries = vec![dep.roster_entry.clone()];
    entries.extend(simulate(&dep, &cfg).unwrap().into_iter().map(|e| e.entry));
    // A radar reading taken out of the log: a time gap of two periods.
    let radar = verify::sim::radar_sensor("brdy");
    let i = entries
        .iter()
        .position(|e| verify::keys::peek_note(e).unwrap().1 == [radar.clone()])
        .unwrap();
    let j = i
        + 1
        + entries[i + 1..]
            .iter()
            .position(|e| verify::keys::peek_note(e).unwrap().1 == [radar.clone()])
            .unwrap();
    entries.remove(j);
    let t = timelines("http://log", entries.len() as u64, &entries, 300);
    assert_eq!(t.rosters, [0]);
    assert!(t.undecodable.is_empty(), "{:?}", t.undecodable);
    let silo = t
        .sensors
        .iter()
        .find(|s| s.sensor == "redzikowo-silo-01")
        .unwrap();
    assert_eq!(silo.gaps.len(), 1, "{:?}", silo.gaps);
    assert_eq!((silo.gaps[0].missing_seq, silo.gaps[0].length_s), (3, 300.0));
    let r = t.sensors.iter().find(|s| s.sensor == radar).unwrap();
    assert_eq!(r.gaps.len(), 1, "{:?}", r.gaps);
    assert_eq!((r.gaps[0].missing_seq, r.gaps[0].length_s), (1, 600.0));
    // Every other sensor: no gap.
    let others = t
        .sensors
        .iter()
        .filter(|s| s.sensor != radar && s.sensor != "redzikowo-silo-01");
    for s in others {
        assert!(s.gaps.is_empty(), "{}: {:?}", s.sensor, s.gaps);
    }
}

async fn get(router: axum::Router, uri: &str) -> (StatusCode, Vec<u8>) {
    let resp = router
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    (
        status,
        resp.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

fn error(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorBody>(body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
        .error
}

#[tokio::test]
async fn bad_requests_get_a_json_message() {
    let dir = tempfile::tempdir().unwrap();
    let trust_file = dir.path().join("trust.toml");
    let (log, _) = tlog::LogSigner::generate("example.test/log").unwrap();
    let (w, _) = witness::CosignatureSigner::generate("witness.test/w1").unwrap();
    std::fs::write(
        &trust_file,
        format!(
            "log_key = \"{}\"\nwitness_keys = [\"{}\"]\nanchors = []\nrules = \"europe-2008\"\n",
            log.verifier_key(),
            w.verifier_key()
        ),
    )
    .unwrap();
    let alerts = dir.path().join("alerts");
    std::fs::create_dir(&alerts).unwrap();
    std::fs::write(alerts.join("alert-0001-3-gap.json"), b"{\"schema\": \"nope\"}").unwrap();
    std::fs::write(dir.path().join("alert-secret.json"), b"{}").unwrap();
    // A port bound and released: nothing listens there.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let v = Verification::load(&VerificationConfig {
        logs: vec![dead.clone()],
        monitor_dir: Some(alerts.clone()),
        trust: Some(trust_file.clone()),
        period_s: 300,
    })
    .unwrap();
    let r = router_with(Scenario::load("europe-2008").unwrap(), v);

    let (s, b) = get(r.clone(), "/api/logs/0/status").await;
    assert_eq!(s, StatusCode::BAD_GATEWAY);
    let m = error(&b);
    assert!(m.contains(&dead) && m.contains("does not answer"), "{m}");
    let (s, b) = get(r.clone(), "/api/logs/0/timelines").await;
    assert_eq!(s, StatusCode::BAD_GATEWAY, "{}", error(&b));
    let (s, b) = get(r.clone(), "/api/logs/one/status").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(error(&b).contains("not a number"));
    let (s, b) = get(r.clone(), "/api/logs/1/status").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(error(&b).contains("no log 1"));

    // The alert listing names the file it cannot read as an alert, rather than leaving it out.
    let (s, b) = get(r.clone(), "/api/alerts").await;
    assert_eq!(s, StatusCode::OK);
    let list: dashboard::model::AlertsView = serde_json::from_slice(&b).unwrap();
    assert_eq!(list.alerts.len(), 1);
    assert!(
        list.alerts[0].error.as_deref().unwrap().contains("\"nope\""),
        "{list:?}"
    );
    let (s, b) = get(r.clone(), "/api/alerts/alert-0001-3-gap.json").await;
    assert_eq!(
        (s, b.as_slice()),
        (StatusCode::OK, &b"{\"schema\": \"nope\"}"[..])
    );
    for uri in [
        "/api/alerts/..%2Falert-secret.json",
        "/api/alerts/alert-secret.json",
        "/api/alerts/trust.toml",
    ] {
        let (s, b) = get(r.clone(), uri).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}");
        assert!(error(&b).contains("no alert file"), "{uri}");
    }
    let (s, b) = get(r.clone(), "/api/trust").await;
    assert_eq!(s, StatusCode::OK);
    let t: TrustView = serde_json::from_slice(&b).unwrap();
    assert_eq!(t.log_key, log.verifier_key());
    // The agreed rules as the verifier loads them, for the browser's replay.
    let agreed = verify::rules::builtin_or_path("europe-2008").unwrap();
    assert_eq!(t.agreed.agreement, agreed.agreement);
    assert_eq!(
        t.agreed.rules,
        agreed.rules.iter().map(|r| r.text.clone()).collect::<Vec<_>>()
    );
    assert_eq!(t.agreed.agreement["max_interceptors"], 10);

    // Without logs, alerts or trust file: 404s that say what to start the dashboard with.
    let bare = dashboard::router(Scenario::load("europe-2008").unwrap());
    for (uri, want) in [
        ("/api/alerts", "--monitor-dir"),
        ("/api/trust", "--trust"),
        ("/api/logs/0/status", "--log"),
    ] {
        let (s, b) = get(bare.clone(), uri).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}");
        assert!(error(&b).contains(want), "{uri}: {}", error(&b));
    }

    // Configurations refused before the dashboard listens.
    let refused = |cfg: VerificationConfig| Verification::load(&cfg).unwrap_err().to_string();
    let m = refused(VerificationConfig {
        logs: vec![dead.clone()],
        period_s: 300,
        ..VerificationConfig::default()
    });
    assert!(m.contains("--trust"), "{m}");
    let m = refused(VerificationConfig {
        logs: vec!["ftp://example".into()],
        trust: Some(trust_file.clone()),
        period_s: 300,
        ..VerificationConfig::default()
    });
    assert!(m.contains("not an http"), "{m}");
    let m = refused(VerificationConfig {
        trust: Some(dir.path().join("missing.toml")),
        period_s: 300,
        ..VerificationConfig::default()
    });
    assert!(m.contains("missing.toml"), "{m}");
    let m = refused(VerificationConfig {
        monitor_dir: Some(dir.path().join("nowhere")),
        trust: Some(trust_file),
        period_s: 300,
        ..VerificationConfig::default()
    });
    assert!(m.contains("not a folder"), "{m}");
}
