//! `cosignature/v1` against vectors we did not produce (sources in `tests/vectors/README.md`): a
//! real checkpoint cosigned by a public witness, key and timestamp vectors from
//! transparency-dev/formats, and the specification's example.

use signed_note::{Note, Signature, StandardVerifier, VerifierList};
use witness::{CosignatureVerifier, WitnessedLog, cosignature_timestamp, verify_cosignature};

const CHECKPOINT: &str = include_str!("vectors/arche2025h1-1432088532.checkpoint");
const LOG_VKEY: &str =
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f";
const REMORA_VKEY: &str = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";

#[test]
fn real_witness_cosignature_verifies() {
    assert_eq!(
        verify_cosignature(CHECKPOINT.as_bytes(), REMORA_VKEY).unwrap(),
        1_779_573_024
    );
    let v = CosignatureVerifier::new(REMORA_VKEY).unwrap();
    assert_eq!((v.name(), v.key_id()), ("remora.n621.de", 0xda77_ade7));
    // Our encoder writes the same verifier key back.
    assert_eq!(v.verifier_key(), REMORA_VKEY);
    // The log's own Ed25519 signature verifies too (so we read the note text as they do).
    let note = Note::from_bytes(CHECKPOINT.as_bytes()).unwrap();
    let log = StandardVerifier::new(LOG_VKEY).unwrap();
    note.verify(&VerifierList::new(vec![Box::new(log)])).unwrap();
}

#[test]
fn real_cosignature_on_a_modified_checkpoint_fails() {
    for (from, to) in [
        ("\n1432088532\n", "\n1432088533\n"),
        ("U7WM79jrzyhG", "U7WM79jrzyhH"),
        ("arche2025h1.staging", "arche2025h2.staging"),
        // The timestamp inside the cosignature (…AABqEiEg… = 1779573024).
        ("2net5wAAAABqEiEg", "2net5wAAAABqEiEh"),
    ] {
        let tampered = CHECKPOINT.replacen(from, to, 1);
        assert_ne!(tampered, CHECKPOINT);
        assert!(
            verify_cosignature(tampered.as_bytes(), REMORA_VKEY).is_err(),
            "{from} -> {to}"
        );
    }
    // The cosignature does not verify under the log key or another witness name.
    assert!(verify_cosignature(CHECKPOINT.as_bytes(), LOG_VKEY).is_err());
}

#[test]
fn our_witness_accepts_the_real_log_checkpoint() {
    // A witness configured with the real log's key cosigns its real checkpoint (old size 0),
    // ignoring the log's RFC 6962 (type 0x05) signature line and the other witnesses' lines.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (signer, _) = witness::CosignatureSigner::generate("witness.test/w1").unwrap();
    let w = witness::Witness::open(
        dir.join("state.redb"),
        signer.clone(),
        &[WitnessedLog {
            origin: "arche2025h1.staging.ct.transparency.dev".into(),
            verifier_keys: vec![LOG_VKEY.into()],
        }],
    )
    .unwrap();
    let body = witness::protocol::encode_request(0, &[], CHECKPOINT.as_bytes());
    let line = String::from_utf8(w.add_checkpoint(&body).unwrap()).unwrap();
    let both = witness::attach_cosignatures(CHECKPOINT.as_bytes(), &[line]).unwrap();
    assert!(verify_cosignature(&both, &signer.verifier_key()).is_ok());
    assert_eq!(verify_cosignature(&both, REMORA_VKEY).unwrap(), 1_779_573_024);
    assert_eq!(
        w.latest("arche2025h1.staging.ct.transparency.dev")
            .unwrap()
            .unwrap()
            .size,
        1_432_088_532
    );
    drop(w);
    tmp.close().unwrap();
}

#[test]
fn formats_key_and_timestamp_vectors() {
    // transparency-dev/formats note_cosigv1_test.go, TestCoSigV1NewVerifier.
    assert!(CosignatureVerifier::new("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6").is_ok());
    assert!(CosignatureVerifier::new(REMORA_VKEY).is_ok());
    for bad in [
        "bananas.sigstore.dev+12344556",
        "rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!",
        "rekor.sigstore.dev+12345678+AwEB",
        "rekor.sigstore.dev+NOT_A_NUMBER+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
        "rekor.sigstore.dev+00000000+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    ] {
        assert!(CosignatureVerifier::new(bad).is_err(), "{bad}");
    }
    // TestCosignatureTimestamp: "works" and "wrong type of signature" (a 64-byte plain one).
    let line = |b64: &str| Signature::from_bytes(format!("— w {b64}").as_bytes()).unwrap();
    let ok = line(
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==",
    );
    assert_eq!(cosignature_timestamp(&ok), Some(1_727_964_367));
    let plain =
        line("eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY=");
    assert_eq!(cosignature_timestamp(&plain), None);
}

#[test]
fn spec_example_layout() {
    // c2sp.org/tlog-cosignature, "Format": the example cosignature by witness.example.com/w1.
    let s = Signature::from_bytes(
        "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==".as_bytes(),
    )
    .unwrap();
    assert_eq!(s.id(), 0x8d66_cf3f);
    assert_eq!(s.signature().len(), 72);
    // The timestamp of the spec's signed-message example ("time 1679315147").
    assert_eq!(cosignature_timestamp(&s), Some(1_679_315_147));
    let msg = witness::cosignature::cosigned_message(
        b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        1_679_315_147,
    );
    assert_eq!(
        msg,
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    );
}
