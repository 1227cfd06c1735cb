//! Property tests over arbitrary bytes and structure-aware inputs for the parsers of the log that
//! take outside input: tile paths (from URLs), entry bundles (from storage and peers), signed
//! checkpoints (from servers). None may panic; what parses must round-trip; what was tampered
//! with must be refused. Short runs (the suite's budget); the corpus-free coverage-guided runs
//! are described in SECURITY.md.

use proptest::prelude::*;
use tlog::tiles::{TileKind, TilePath, decode_bundle, encode_bundle};
use tlog::{LogSigner, verify_checkpoint};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        ..ProptestConfig::default()
    }
}

/// Strings made of the characters tile paths use, so that parsing gets deep.
fn tileish() -> impl Strategy<Value = String> {
    proptest::string::string_regex("(tile/)?(entries|[0-9]{1,3})?(/x?[0-9]{0,4}){0,8}(\\.p/[0-9]{0,4})?")
        .expect("regex")
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn tile_path_parse_never_panics_and_round_trips(s in any::<String>()) {
        if let Ok(t) = TilePath::parse(&s) {
            prop_assert_eq!(t.to_path(), s);
        }
    }

    #[test]
    fn tile_path_near_misses_round_trip_or_fail(s in tileish()) {
        if let Ok(t) = TilePath::parse(&s) {
            prop_assert_eq!(t.to_path(), s);
        }
    }

    #[test]
    fn every_tile_path_parses_back(level in proptest::option::of(0u8..=63), index in any::<u64>(), width in 1u32..=256) {
        let kind = level.map_or(TileKind::Entries, |level| TileKind::Hash { level });
        let t = TilePath::new(kind, index, width).expect("valid");
        prop_assert_eq!(TilePath::parse(&t.to_path()).expect("parses"), t);
    }

    #[test]
    fn decode_bundle_never_panics_and_round_trips(b in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(entries) = decode_bundle(&b) {
            prop_assert!(entries.len() <= 256);
            let again = encode_bundle(entries.iter().map(Vec::as_slice)).expect("encodes");
            prop_assert_eq!(again, b);
        }
    }

    #[test]
    fn bundles_decode_to_their_entries_and_truncations_fail(
        entries in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..64), 1..40),
        cut in any::<proptest::sample::Index>(),
    ) {
        let b = encode_bundle(entries.iter().map(Vec::as_slice)).expect("encodes");
        prop_assert_eq!(decode_bundle(&b).expect("decodes"), entries);
        // Any strict prefix that ends inside an entry's framing or bytes is refused.
        let at = cut.index(b.len());
        let mut boundary = 0;
        let mut on_boundary = at == 0;
        for e in decode_bundle(&b).expect("decodes") {
            boundary += 2 + e.len();
            on_boundary |= boundary == at;
        }
        prop_assert_eq!(decode_bundle(&b[..at]).is_ok(), on_boundary);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn verify_checkpoint_never_panics_on_garbage(note in proptest::collection::vec(any::<u8>(), 0..400), key in any::<String>()) {
        let (signer, _) = LogSigner::generate("fuzz.test/log").expect("key");
        prop_assert!(verify_checkpoint(&note, signer.verifier_key()).is_err());
        // A garbage key is refused, never a panic.
        if verify_checkpoint(&note, &key).is_ok() {
            prop_assert!(false, "garbage verified");
        }
    }

    #[test]
    fn any_change_to_a_checkpoint_text_is_refused(size in any::<u64>(), leaf in any::<[u8; 8]>(), at in any::<proptest::sample::Index>(), bit in 0u8..8) {
        let (signer, _) = LogSigner::generate("fuzz.test/log").expect("key");
        let root = tlog::merkle::record_hash(&leaf);
        let note = signer.sign_checkpoint(size, root).expect("signs");
        let cp = verify_checkpoint(&note, signer.verifier_key()).expect("verifies");
        prop_assert_eq!((cp.size, cp.root), (size, root));
        // The text is everything before the blank line that precedes the signatures.
        let text_len = note.windows(2).position(|w| w == b"\n\n").expect("blank line") + 1;
        let mut bad = note.clone();
        bad[at.index(text_len)] ^= 1 << bit;
        prop_assert!(verify_checkpoint(&bad, signer.verifier_key()).is_err());
    }
}
