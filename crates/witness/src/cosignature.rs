//! c2sp.org/tlog-cosignature: timestamped Ed25519 checkpoint cosignatures (`cosignature/v1`).
//!
//! # Formats
//!
//! - **Key ID**: `SHA-256(<name> || "\n" || 0x04 || 32-byte Ed25519 public key)[:4]`, big-endian
//!   (signed-note signature type 0x04, "timestamped Ed25519 checkpoint cosignature").
//! - **Verifier key** (vkey): `<name>+<hex key ID>+base64(0x04 || public key)`.
//! - **Signing key** (our key file, one line): `PRIVATE+KEY+<name>+<hex key ID>+base64(0x04 ||
//!   32-byte seed)`, the layout of Go's `golang.org/x/mod/sumdb/note` keys with type 0x04, which
//!   `github.com/transparency-dev/formats/note.NewSignerForCosignatureV1` also reads. A plain
//!   Ed25519 note key (type 0x01) is accepted too and used as a cosignature key.
//! - **Signed message**: `cosignature/v1\ntime <T>\n` followed by the whole checkpoint note text
//!   (origin, size, root hash and any extension lines, each ending in `\n`), where `<T>` is the
//!   POSIX time in seconds, ASCII decimal without leading zeroes.
//! - **Signature** (inside the note signature line, after the 4-byte key ID): the 8-byte
//!   big-endian timestamp `T` followed by the 64-byte Ed25519 signature of the message, 72 bytes.
//!   `T` must not exceed 2^63 − 1.
//!
//! A cosignature line thus reads `— <name> base64(key ID || T || signature)`.
//!
//! [`CosignatureSigner`] and [`CosignatureVerifier`] implement `signed_note`'s [`Signer`] and
//! [`Verifier`] traits, so they work with [`signed_note::Note`] like the crate's own Ed25519 keys.
//! Ed25519 is `ed25519-dalek`'s and SHA-256 is `sha2`'s; this module only lays out the bytes.
//!
//! ML-DSA-44 cosignatures (type 0x06), which the specification recommends for new deployments,
//! are not implemented: there is no reviewed ML-DSA crate in this workspace yet. The key types
//! are [`CosignatureAlgorithm`] (`#[non_exhaustive]`) so it can be added.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::prelude::{BASE64_STANDARD, Engine as _};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use signed_note::{Note, Signature, Signer, Verifier, VerifierList};

/// Signed-note signature type of Ed25519 `cosignature/v1` (c2sp.org/signed-note).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
/// Signed-note signature type of plain Ed25519 note signatures.
pub const ALG_ED25519: u8 = 0x01;
/// Length of a `cosignature/v1` signature after the key ID: timestamp (8) and Ed25519 (64).
pub const COSIGNATURE_LEN: usize = 8 + 64;
/// Largest timestamp a cosignature may carry (2^63 − 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// Cosignature algorithms. Only Ed25519 `cosignature/v1` (type 0x04) is implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CosignatureAlgorithm {
    /// Timestamped Ed25519 `cosignature/v1`, signed-note type 0x04.
    Ed25519V1,
}

/// Errors about cosigner keys and cosignatures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CosignatureError {
    /// A signing or verifier key is malformed, has a wrong key ID, or an unsupported type.
    #[error("bad cosigner key: {0}")]
    BadKey(String),
    /// The note is malformed, or carries no valid cosignature by the key, or a bad one.
    #[error("cosignature does not verify: {0}")]
    Invalid(String),
}

/// The `cosignature/v1` signed message for a note text (which must end in a newline) and a
/// timestamp in POSIX seconds.
pub fn cosigned_message(text: &[u8], timestamp: u64) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(text);
    m
}

/// Seconds since the POSIX epoch, now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The key ID of a cosigner key (see the module documentation).
pub fn key_id(name: &str, public_key: &VerifyingKey) -> u32 {
    let mut k = vec![ALG_COSIGNATURE_V1];
    k.extend_from_slice(public_key.as_bytes());
    signed_note::key_id(name, &k)
}

/// The verifier key string `<name>+<hex key ID>+base64(0x04 || public key)`.
pub fn verifier_key(name: &str, public_key: &VerifyingKey) -> String {
    let mut k = vec![ALG_COSIGNATURE_V1];
    k.extend_from_slice(public_key.as_bytes());
    format!(
        "{name}+{:08x}+{}",
        signed_note::key_id(name, &k),
        BASE64_STANDARD.encode(&k)
    )
}

/// Checks that a note text has the shape of a checkpoint body: at least three lines, each ending
/// in a newline (c2sp.org/tlog-checkpoint). Cosignatures are only defined over checkpoints.
fn checkpoint_shaped(text: &[u8]) -> bool {
    text.ends_with(b"\n") && text.iter().filter(|&&b| b == b'\n').count() >= 3
}

/// A witness's `cosignature/v1` signing key.
#[derive(Clone)]
pub struct CosignatureSigner {
    name: String,
    id: u32,
    key: SigningKey,
}

impl std::fmt::Debug for CosignatureSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("CosignatureSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.id))
            .finish_non_exhaustive()
    }
}

impl CosignatureSigner {
    /// Generates a fresh key named `name` from the operating system's random source. Returns the
    /// signer and its encoded signing key (`PRIVATE+KEY+...`, keep it secret).
    ///
    /// # Errors
    ///
    /// [`CosignatureError::BadKey`] if `name` is not a valid key name (empty, whitespace, `+`).
    pub fn generate(name: &str) -> Result<(Self, String), CosignatureError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(CosignatureError::BadKey(format!(
                "name {name:?} is not a valid key name (non-empty, no spaces, no '+')"
            )));
        }
        let seed: [u8; 32] = rand::random();
        let signer = Self::from_seed(name, seed);
        let mut raw = vec![ALG_COSIGNATURE_V1];
        raw.extend_from_slice(&seed);
        let skey = format!(
            "PRIVATE+KEY+{name}+{:08x}+{}",
            signer.id,
            BASE64_STANDARD.encode(&raw)
        );
        Ok((signer, skey))
    }

    fn from_seed(name: &str, seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, &key.verifying_key());
        Self {
            name: name.to_owned(),
            id,
            key,
        }
    }

    /// Loads a signer from an encoded signing key, `PRIVATE+KEY+<name>+<hex ID>+base64(type ||
    /// seed)` with type 0x04 (its ID is then checked) or 0x01 (a plain note key, whose ID is
    /// checked against the 0x01 derivation and which then signs as a 0x04 cosigner). Surrounding
    /// whitespace is ignored.
    ///
    /// # Errors
    ///
    /// [`CosignatureError::BadKey`] if the key is malformed, of another type, or its ID is wrong.
    pub fn from_signing_key(skey: &str) -> Result<Self, CosignatureError> {
        let bad = |m: &str| CosignatureError::BadKey(format!("signing key: {m}"));
        let mut parts = skey.trim().splitn(5, '+');
        let (Some("PRIVATE"), Some("KEY"), Some(name), Some(id16), Some(b64)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(bad("expected PRIVATE+KEY+<name>+<id>+<base64>"));
        };
        if !signed_note::is_key_name_valid(name) {
            return Err(bad("invalid key name"));
        }
        let id = (id16.len() == 8)
            .then(|| u32::from_str_radix(id16, 16).ok())
            .flatten()
            .ok_or_else(|| bad("key ID is not 8 hex digits"))?;
        let raw = BASE64_STANDARD.decode(b64).map_err(|_| bad("bad base64"))?;
        let (alg, seed) = raw.split_first().ok_or_else(|| bad("empty key"))?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| bad("an Ed25519 seed is 32 bytes"))?;
        let signer = Self::from_seed(name, seed);
        let expected = match *alg {
            ALG_COSIGNATURE_V1 => signer.id,
            ALG_ED25519 => {
                let mut k = vec![ALG_ED25519];
                k.extend_from_slice(signer.key.verifying_key().as_bytes());
                signed_note::key_id(name, &k)
            }
            other => return Err(bad(&format!("unsupported key type 0x{other:02x}"))),
        };
        if id != expected {
            return Err(bad("key ID does not match the key"));
        }
        Ok(signer)
    }

    /// The cosigner's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID (type 0x04 derivation).
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The algorithm.
    pub fn algorithm(&self) -> CosignatureAlgorithm {
        CosignatureAlgorithm::Ed25519V1
    }

    /// The encoded verifier key, `<name>+<hex key ID>+base64(0x04 || public key)`.
    pub fn verifier_key(&self) -> String {
        verifier_key(&self.name, &self.key.verifying_key())
    }

    /// A verifier for this signer's cosignatures.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// The 72-byte signature (timestamp || Ed25519 signature) of a checkpoint note text at
    /// `timestamp` (POSIX seconds).
    ///
    /// # Errors
    ///
    /// [`CosignatureError::Invalid`] if the text is not checkpoint-shaped (three or more lines,
    /// newline-terminated), or the timestamp is 0 or above 2^63 − 1.
    pub fn sign_at(&self, text: &[u8], timestamp: u64) -> Result<Vec<u8>, CosignatureError> {
        if !checkpoint_shaped(text) {
            return Err(CosignatureError::Invalid(
                "a cosigned text must be a checkpoint body (3+ lines ending in newlines)".into(),
            ));
        }
        if timestamp == 0 || timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::Invalid(format!(
                "timestamp {timestamp} is outside 1..=2^63-1"
            )));
        }
        let sig = self.key.sign(&cosigned_message(text, timestamp));
        let mut out = Vec::with_capacity(COSIGNATURE_LEN);
        out.extend_from_slice(&timestamp.to_be_bytes());
        out.extend_from_slice(&sig.to_bytes());
        Ok(out)
    }

    /// The cosignature of a checkpoint note text at `timestamp`, as a note [`Signature`] (write
    /// it with [`Signature::to_bytes`] to get the `— <name> <base64>\n` line).
    ///
    /// # Errors
    ///
    /// As [`CosignatureSigner::sign_at`].
    pub fn cosign(&self, text: &[u8], timestamp: u64) -> Result<Signature, CosignatureError> {
        let sig = self.sign_at(text, timestamp)?;
        Signature::new(self.name.clone(), self.id, sig).map_err(|e| CosignatureError::Invalid(e.to_string()))
    }
}

impl Signer for CosignatureSigner {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.id
    }

    /// Signs at the current time.
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        self.sign_at(msg, unix_now())
            .map_err(|_| ed25519_dalek::SignatureError::new())
    }
}

/// Verifies `cosignature/v1` cosignatures by one cosigner key.
#[derive(Clone, Debug)]
pub struct CosignatureVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// Parses a verifier key `<name>+<hex key ID>+base64(type || public key)`. Type 0x04 is a
    /// cosigner key and its ID is checked as such. Type 0x01 (a plain Ed25519 note key) is
    /// accepted as the same public key used for cosignatures: its ID is checked with the 0x01
    /// derivation, and the verifier then expects the 0x04 ID in signatures.
    ///
    /// # Errors
    ///
    /// [`CosignatureError::BadKey`] if the key is malformed, of another type, or its ID is wrong.
    pub fn new(vkey: &str) -> Result<Self, CosignatureError> {
        let bad = |m: &str| CosignatureError::BadKey(format!("verifier key {vkey:?}: {m}"));
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id16), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected <name>+<id>+<base64>"));
        };
        if !signed_note::is_key_name_valid(name) {
            return Err(bad("invalid key name"));
        }
        let id = (id16.len() == 8)
            .then(|| u32::from_str_radix(id16, 16).ok())
            .flatten()
            .ok_or_else(|| bad("key ID is not 8 hex digits"))?;
        let raw = BASE64_STANDARD.decode(b64).map_err(|_| bad("bad base64"))?;
        let Some((&alg, pk)) = raw.split_first() else {
            return Err(bad("empty key"));
        };
        if alg != ALG_COSIGNATURE_V1 && alg != ALG_ED25519 {
            return Err(bad(&format!("unsupported key type 0x{alg:02x}")));
        }
        if signed_note::key_id(name, &raw) != id {
            return Err(bad("key ID does not match the key"));
        }
        let pk: [u8; 32] = pk
            .try_into()
            .map_err(|_| bad("an Ed25519 public key is 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&pk).map_err(|_| bad("not an Ed25519 public key"))?;
        Ok(Self {
            name: name.to_owned(),
            id: key_id(name, &key),
            key,
        })
    }

    /// The cosigner's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID expected in cosignature lines (type 0x04 derivation).
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The encoded verifier key (type 0x04).
    pub fn verifier_key(&self) -> String {
        verifier_key(&self.name, &self.key)
    }

    /// Checks a 72-byte cosignature (timestamp || Ed25519 signature, without the key ID) of a
    /// note text; returns the cosigned timestamp (POSIX seconds) if it verifies.
    pub fn verify_timestamp(&self, text: &[u8], sig: &[u8]) -> Option<u64> {
        if sig.len() != COSIGNATURE_LEN || !checkpoint_shaped(text) {
            return None;
        }
        let (ts, sig) = sig.split_at(8);
        let ts = u64::from_be_bytes(ts.try_into().ok()?);
        if ts > MAX_TIMESTAMP {
            return None;
        }
        let sig = ed25519_dalek::Signature::from_slice(sig).ok()?;
        self.key
            .verify_strict(&cosigned_message(text, ts), &sig)
            .ok()
            .map(|()| ts)
    }
}

impl Verifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.id
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        self.verify_timestamp(msg, sig).is_some()
    }
}

/// The timestamp a `cosignature/v1` note signature claims (POSIX seconds), **without verifying
/// it**: for display and for sorting; use [`verify_cosignature`] to trust it. `None` if the
/// signature is not 72 bytes long or the time exceeds 2^63 − 1.
pub fn cosignature_timestamp(sig: &Signature) -> Option<u64> {
    let s = sig.signature();
    if s.len() != COSIGNATURE_LEN {
        return None;
    }
    let ts = u64::from_be_bytes(s.get(..8)?.try_into().ok()?);
    (ts <= MAX_TIMESTAMP).then_some(ts)
}

/// Verifies that the signed note `note` (a checkpoint) carries a valid cosignature by the
/// cosigner `vkey`, and returns its timestamp (POSIX seconds). Other signatures (the log's,
/// other witnesses') are ignored.
///
/// # Errors
///
/// [`CosignatureError::BadKey`] for a malformed `vkey`; [`CosignatureError::Invalid`] if the note
/// is malformed, has no cosignature by the key, or has one that fails (a cosignature on a
/// modified checkpoint, or by another key with the same name and ID).
pub fn verify_cosignature(note: &[u8], vkey: &str) -> Result<u64, CosignatureError> {
    let verifier = CosignatureVerifier::new(vkey)?;
    let parsed = Note::from_bytes(note).map_err(|e| CosignatureError::Invalid(e.to_string()))?;
    let list = VerifierList::new(vec![Box::new(verifier.clone())]);
    let (verified, _) = parsed
        .verify(&list)
        .map_err(|e| CosignatureError::Invalid(format!("by {}: {e}", verifier.name())))?;
    verified
        .iter()
        .find_map(|s| verifier.verify_timestamp(parsed.text(), s.signature()))
        .ok_or_else(|| CosignatureError::Invalid("no cosignature by the key".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &[u8] = b"example.com/log\n7\nf+7CoKgXKE/tNys9TTXcr/ad6U/K3xvznmzew9y6SP0=\n";

    #[test]
    fn round_trip_through_signed_note() {
        let (signer, skey) = CosignatureSigner::generate("witness.example/w1").unwrap();
        let again = CosignatureSigner::from_signing_key(&format!("{skey}\n")).unwrap();
        assert_eq!(again.verifier_key(), signer.verifier_key());
        let vkey = signer.verifier_key();
        assert!(vkey.starts_with(&format!("witness.example/w1+{:08x}+B", signer.key_id())));
        let v = CosignatureVerifier::new(&vkey).unwrap();
        assert_eq!((v.name(), v.key_id()), (signer.name(), signer.key_id()));

        let mut note = Note::new(TEXT, &[]).unwrap();
        note.add_sigs(&[&signer]).unwrap();
        let bytes = note.to_bytes();
        let ts = verify_cosignature(&bytes, &vkey).unwrap();
        assert!(ts.abs_diff(unix_now()) < 60);

        // Fixed time: the timestamp comes back, and the message is the documented one.
        let sig = signer.sign_at(TEXT, 1_679_315_147).unwrap();
        assert_eq!(&sig[..8], &1_679_315_147u64.to_be_bytes());
        assert_eq!(v.verify_timestamp(TEXT, &sig), Some(1_679_315_147));
        let msg = cosigned_message(TEXT, 1_679_315_147);
        assert!(msg.starts_with(b"cosignature/v1\ntime 1679315147\nexample.com/log\n7\n"));
        let raw = ed25519_dalek::Signature::from_slice(&sig[8..]).unwrap();
        signer.key.verifying_key().verify_strict(&msg, &raw).unwrap();
    }

    #[test]
    fn modified_checkpoint_or_other_key_fails() {
        let (signer, _) = CosignatureSigner::generate("witness.example/w1").unwrap();
        let (other, _) = CosignatureSigner::generate("witness.example/w1").unwrap();
        let mut note = Note::new(TEXT, &[]).unwrap();
        note.add_sigs(&[&signer]).unwrap();
        let text = String::from_utf8(note.to_bytes()).unwrap();
        // Modified size line.
        let tampered = text.replacen("\n7\n", "\n8\n", 1);
        assert!(verify_cosignature(tampered.as_bytes(), &signer.verifier_key()).is_err());
        // Modified timestamp inside the signature.
        let sig = signer.sign_at(TEXT, 1000).unwrap();
        let mut bad = sig.clone();
        bad[7] ^= 1;
        assert_eq!(signer.verifier().verify_timestamp(TEXT, &bad), None);
        // Another key (same name, different ID): no cosignature by it.
        assert!(verify_cosignature(text.as_bytes(), &other.verifier_key()).is_err());
        // Another key claiming our name and ID: a bad signature.
        let forged = Signature::new(
            signer.name().into(),
            signer.key_id(),
            other.sign_at(TEXT, 5).unwrap(),
        )
        .unwrap();
        let forged_note = Note::new(TEXT, &[forged]).unwrap().to_bytes();
        assert!(verify_cosignature(&forged_note, &signer.verifier_key()).is_err());
        // A plain Ed25519 note signature is not a cosignature.
        assert_eq!(signer.verifier().verify_timestamp(TEXT, &sig[8..]), None);
    }

    #[test]
    fn rejects_bad_inputs() {
        let (signer, skey) = CosignatureSigner::generate("w").unwrap();
        assert!(signer.sign_at(b"one line\n", 5).is_err());
        assert!(signer.sign_at(TEXT, 0).is_err());
        assert!(signer.sign_at(TEXT, MAX_TIMESTAMP + 1).is_err());
        let mut too_late = vec![0xff; 8];
        too_late.extend_from_slice(&[0; 64]);
        assert_eq!(signer.verifier().verify_timestamp(TEXT, &too_late), None);
        assert!(CosignatureSigner::generate("a b").is_err());
        assert!(CosignatureSigner::from_signing_key(&skey.replace("PRIVATE", "PUBLIC")).is_err());
        assert!(CosignatureSigner::from_signing_key(&skey[..skey.len() - 4]).is_err());
        for bad in [
            "",
            "w",
            "w+00000000+",
            "w+zzzzzzzz+BA==",
            "w+00000000+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
            "w+123+BA==",
        ] {
            assert!(CosignatureVerifier::new(bad).is_err(), "{bad}");
        }
        assert!(verify_cosignature(b"garbage", &signer.verifier_key()).is_err());
        assert!(verify_cosignature(TEXT, "nonsense").is_err());
    }

    #[test]
    fn go_note_key_accepted() {
        // A plain Ed25519 note key (type 0x01) from golang.org/x/mod/sumdb/note's documentation
        // ("Generating Keys"), used as a cosigner key the way transparency-dev/formats does.
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let vkey01 = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let s = CosignatureSigner::from_signing_key(skey).unwrap();
        let v01 = CosignatureVerifier::new(vkey01).unwrap();
        assert_eq!(v01.key_id(), s.key_id());
        assert_eq!(v01.verifier_key(), s.verifier_key());
        assert_ne!(s.key_id(), 0xc74f_20a3);
    }
}
