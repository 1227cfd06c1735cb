//! One fuzz target per parser that takes outside input. Each takes arbitrary bytes, must never
//! panic, hang or allocate without bound, and checks what it can about the result (what parses
//! round-trips; what is refused names the problem; nothing signed by an unknown key is accepted):
//! a violated check panics, which is how a fuzzer reports it.
//!
//! The same functions run under proptest in the test suite (`tests/targets.rs`, briefly, over
//! arbitrary bytes and the committed seed corpora in `fuzz/corpus/<target>/`) and under cargo-afl
//! (`fuzz/`, coverage-guided; how to run it and what was run: FUZZING.md).
//!
//! The JSON Lines requests of the CLI commands are parsed inside the `shieldwatch` binary, not a
//! library, and are fuzzed through the real binary by `crates/cli/tests/fuzz_jsonl.rs` instead.

#[cfg(feature = "all")]
use std::sync::Arc;
use std::sync::OnceLock;

use tlog::tiles::{TilePath, decode_bundle, encode_bundle};
#[cfg(feature = "all")]
use verify::evidence::{Evidence, Trust};
#[cfg(feature = "all")]
use verify::logwatch::LogEvidence;
#[cfg(feature = "all")]
use verify::rules::{EUROPE_2008, RuleSet};
#[cfg(feature = "all")]
use verify::{Registry, Statement};

/// A fuzz target: one parser's check over arbitrary bytes.
pub type Target = fn(&[u8]);

/// Every target by name (the name is also the corpus folder `fuzz/corpus/<name>/`); without the
/// `all` feature, the log's own three.
#[cfg(feature = "all")]
pub const TARGETS: &[(&str, Target)] = &[
    ("tile_path", tile_path),
    ("entry_bundle", entry_bundle),
    ("checkpoint", checkpoint),
    ("witness_request", witness_request),
    ("statement", statement),
    ("roster", roster),
    ("rules_toml", rules_toml),
    ("scenario_toml", scenario_toml),
    ("evidence", evidence),
];

/// Every target by name (the name is also the corpus folder `fuzz/corpus/<name>/`); without the
/// `all` feature, the log's own three.
#[cfg(not(feature = "all"))]
pub const TARGETS: &[(&str, Target)] = &[
    ("tile_path", tile_path),
    ("entry_bundle", entry_bundle),
    ("checkpoint", checkpoint),
];

/// The target named `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Fixed keys: the fuzzer's inputs are checked against keys it cannot sign with (derived from
/// fixed seeds, so runs are reproducible).
struct Keys {
    log: tlog::LogSigner,
    #[cfg(feature = "all")]
    anchors: Vec<String>,
    #[cfg(feature = "all")]
    trust: Trust,
}

fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| {
        let log = tlog::LogSigner::from_signing_key(
            &tlog::checkpoint::encode_signing_key("fuzz.test/log", &[7; 32]).expect("key"),
        )
        .expect("log key");
        with_log(log)
    })
}

#[cfg(not(feature = "all"))]
fn with_log(log: tlog::LogSigner) -> Keys {
    Keys { log }
}

#[cfg(feature = "all")]
fn with_log(log: tlog::LogSigner) -> Keys {
    {
        let anchors: Vec<String> = ["host", "inspector"]
            .iter()
            .zip([[1u8; 32], [2; 32]])
            .map(|(n, s)| verify::Key::from_seed(n, s).expect("anchor").vkey().to_owned())
            .collect();
        let trust = Trust {
            log_key: log.verifier_key().to_owned(),
            witness_keys: vec![],
            min_cosignatures: 0,
            anchors: anchors.clone(),
            rules: Arc::new(RuleSet::from_toml("europe-2008", EUROPE_2008).expect("built-in rules")),
        };
        Keys { log, anchors, trust }
    }
}

/// Tile paths from request URLs: what parses prints back as the same path.
pub fn tile_path(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = TilePath::parse(s) {
        assert_eq!(t.to_path(), s, "a tile path does not round-trip");
    }
}

/// Entry bundles from storage and peers: what decodes holds at most 256 entries and encodes back
/// to the same bytes.
pub fn entry_bundle(data: &[u8]) {
    if let Ok(entries) = decode_bundle(data) {
        assert!(entries.len() <= 256, "{} entries in a bundle", entries.len());
        let again = encode_bundle(entries.iter().map(Vec::as_slice)).expect("re-encodes");
        assert_eq!(again, data, "a bundle does not round-trip");
    }
}

/// Signed checkpoints (c2sp.org/tlog-checkpoint notes) from servers and witnesses: nothing the
/// fuzzer writes verifies under the log's key (it cannot sign), and the witness's body parser
/// never panics.
pub fn checkpoint(data: &[u8]) {
    assert!(
        tlog::verify_checkpoint(data, keys().log.verifier_key()).is_err(),
        "a checkpoint the fuzzer made verified"
    );
    #[cfg(feature = "all")]
    {
        witness::witness::parse_checkpoint_body(data).ok();
        witness::protocol::parse_cosignature_lines(data).ok();
    }
}

/// Witness requests (`POST /add-checkpoint` bodies): at most 63 proof lines are accepted.
#[cfg(feature = "all")]
pub fn witness_request(data: &[u8]) {
    if let Ok(r) = witness::AddCheckpointRequest::parse(data) {
        assert!(r.proof.len() <= 63, "{} proof lines accepted", r.proof.len());
    }
}

/// Statements (canonical JSON in a signed note): one that decodes re-encodes to the very same
/// text (no malleability); nothing the fuzzer writes opens under the anchors' keys.
#[cfg(feature = "all")]
pub fn statement(data: &[u8]) {
    if let Ok(s) = Statement::from_text(data) {
        let mut text = s.canonical().expect("canonical");
        text.push(b'\n');
        assert_eq!(text, data, "a statement is not canonical");
    }
    verify::keys::peek_note(data).ok();
    let k = keys();
    let vkeys: Vec<&str> = k.anchors.iter().map(String::as_str).collect();
    assert!(
        verify::keys::open_note(data, &vkeys).is_err(),
        "a note the fuzzer made opened under the anchors"
    );
}

/// Rosters and log entries at admission: a registry trusting keys the fuzzer cannot sign with
/// admits nothing.
#[cfg(feature = "all")]
pub fn roster(data: &[u8]) {
    let registry = Registry::new(keys().anchors.clone()).expect("registry");
    assert!(
        registry.check(data).is_err(),
        "an entry the fuzzer made was admitted"
    );
}

/// Rules TOML (the agreed rules, a user's file): never panics.
#[cfg(feature = "all")]
pub fn rules_toml(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        RuleSet::from_toml("fuzz.toml", s).ok();
    }
}

/// Scenario TOML (a user's scenario file): an error names the file.
#[cfg(feature = "all")]
pub fn scenario_toml(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data)
        && let Err(e) = defence::scenario::Scenario::parse(s, "fuzz.toml")
    {
        assert!(e.to_string().contains("fuzz.toml"), "{e}");
    }
}

/// Evidence bundles (JSON, from another party): nothing the fuzzer writes verifies, as finding
/// evidence or as log-misbehaviour evidence.
#[cfg(feature = "all")]
pub fn evidence(data: &[u8]) {
    let k = keys();
    if let Ok(ev) = serde_json::from_slice::<Evidence>(data) {
        assert!(
            verify::evidence::verify(&ev, &k.trust).is_err(),
            "evidence the fuzzer made verified"
        );
    }
    if let Ok(ev) = serde_json::from_slice::<LogEvidence>(data) {
        assert!(
            verify::logwatch::verify_log_evidence(&ev, k.log.verifier_key()).is_err(),
            "log evidence the fuzzer made verified"
        );
    }
}
