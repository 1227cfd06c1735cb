//! Property tests over arbitrary bytes and structure-aware inputs for what a witness reads from
//! the network: `add-checkpoint` request bodies, checkpoint bodies and cosignature lines. No input
//! may panic; garbage and any change to a signed checkpoint's text are refused (never cosigned).

use std::sync::OnceLock;

use proptest::prelude::*;
use tlog::LogSigner;
use witness::protocol::parse_cosignature_lines;
use witness::witness::parse_checkpoint_body;
use witness::{AddCheckpointRequest, CosignatureSigner, Witness, WitnessedLog};

const ORIGIN: &str = "fuzz.test/log";

struct Fixture {
    witness: Witness,
    log: LogSigner,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        // The fixture is static (never dropped): its state lives in cargo's per-target scratch
        // directory (`CARGO_TARGET_TMPDIR`, under `target/`), replaced on each run.
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("witness-fuzz");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("old fixture");
        }
        std::fs::create_dir_all(&dir).expect("fixture dir");
        let (log, _) = LogSigner::generate(ORIGIN).expect("log key");
        let (w, _) = CosignatureSigner::generate("fuzz.test/witness").expect("witness key");
        let witness = Witness::open(
            dir.join("state.redb"),
            w,
            &[WitnessedLog {
                origin: ORIGIN.into(),
                verifier_keys: vec![log.verifier_key().to_owned()],
            }],
        )
        .expect("witness");
        Fixture { witness, log }
    })
}

/// Bodies shaped like requests: an `old` line, proof lines, a blank line, a checkpoint-like text.
fn requestish() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::string::string_regex("old -?[0-9]{0,21}").expect("regex"),
        proptest::collection::vec(proptest::string::string_regex("[A-Za-z0-9+/=]{0,46}").expect("regex"), 0..4),
        proptest::string::string_regex("(fuzz.test/log|[a-z./]{0,12})\n[0-9]{0,21}\n[A-Za-z0-9+/=]{0,46}\n(\n— [a-z./]{1,20} [A-Za-z0-9+/=]{0,100}\n)?").expect("regex"),
    )
        .prop_map(|(old, proofs, cp)| {
            let mut b = old.into_bytes();
            b.push(b'\n');
            for p in proofs {
                b.extend_from_slice(p.as_bytes());
                b.push(b'\n');
            }
            b.push(b'\n');
            b.extend_from_slice(cp.as_bytes());
            b
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(r) = AddCheckpointRequest::parse(&body) {
            prop_assert!(r.proof.len() <= 63);
        }
        parse_checkpoint_body(&body).ok();
        parse_cosignature_lines(&body).ok();
    }

    #[test]
    fn garbage_is_never_cosigned(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        prop_assert!(fixture().witness.add_checkpoint(&body).is_err());
    }

    #[test]
    fn request_shaped_garbage_is_never_cosigned(body in requestish()) {
        prop_assert!(fixture().witness.add_checkpoint(&body).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn a_changed_checkpoint_text_is_never_cosigned(size in 1u64..1_000_000, at in any::<proptest::sample::Index>(), bit in 0u8..8) {
        let f = fixture();
        let root = tlog::merkle::record_hash(&size.to_be_bytes());
        let note = f.log.sign_checkpoint(size, root).expect("signs");
        let text_len = note.windows(2).position(|w| w == b"\n\n").expect("blank line") + 1;
        let mut bad = note.clone();
        bad[at.index(text_len)] ^= 1 << bit;
        let mut body = b"old 0\n\n".to_vec();
        body.extend_from_slice(&bad);
        prop_assert!(f.witness.add_checkpoint(&body).is_err());
    }
}
