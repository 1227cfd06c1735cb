//! Checkpoints (c2sp.org/tlog-checkpoint) as signed notes (c2sp.org/signed-note), Ed25519 keys.
//!
//! # Format
//!
//! ```text
//! <origin>\n<tree size, decimal>\n<root hash, base64>\n
//! \n
//! — <key name> <base64(4-byte key ID || signature)>\n
//! ```
//!
//! Keys follow c2sp.org/signed-note: the key ID is the first 4 bytes of
//! SHA-256(name || "\n" || 0x01 || public key), a verifier key is `<name>+<hex key ID>+<base64(0x01 ||
//! public key)>` and a signing key `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`, the
//! format `golang.org/x/mod/sumdb/note` reads. The key name is the log's origin.
//!
//! The signed-note encoding and Ed25519 come from the `signed_note` and `ed25519-dalek` crates;
//! this module only assembles them.

use base64::prelude::{BASE64_STANDARD, Engine as _};
use signed_note::{Note, Signer as _, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::{Checkpoint, Hash};

use crate::error::{Error, Result};

/// Signature algorithms a log key can use. Only Ed25519 (signed-note algorithm byte 0x01) is
/// implemented; ML-DSA-44, which the C2SP specifications now recommend, will be a new variant
/// (hence `#[non_exhaustive]`) once a reviewed implementation and its signed-note algorithm byte
/// are settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// Ed25519 (RFC 8032), signed-note algorithm byte 0x01.
    Ed25519,
}

/// Signed-note algorithm byte for Ed25519 (c2sp.org/signed-note).
const ALG_ED25519: u8 = 0x01;

/// A log's checkpoint signing key.
#[derive(Clone)]
pub struct LogSigner {
    signer: StandardSigner,
    verifier_key: String,
    algorithm: SignatureAlgorithm,
}

impl std::fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("LogSigner")
            .field("verifier_key", &self.verifier_key)
            .finish_non_exhaustive()
    }
}

impl LogSigner {
    /// Generates a fresh Ed25519 key named `origin` from the operating system's random source.
    /// Returns the signer and its encoded signing key (`PRIVATE+KEY+...`, keep it secret).
    ///
    /// # Errors
    ///
    /// [`Error::BadKey`] if `origin` is not a valid key name (empty, or contains whitespace or `+`).
    pub fn generate(origin: &str) -> Result<(Self, String)> {
        if !signed_note::is_key_name_valid(origin) {
            return Err(Error::BadKey(format!(
                "origin {origin:?} is not a valid key name (non-empty, no spaces, no '+')"
            )));
        }
        let skey = encode_signing_key(origin, &rand::random())?;
        Ok((Self::from_signing_key(&skey)?, skey))
    }

    /// Loads a signer from an encoded signing key (`PRIVATE+KEY+<name>+<id>+<base64>`, as written
    /// by [`LogSigner::generate`] or Go's `note.GenerateKey`). Surrounding whitespace is ignored.
    ///
    /// # Errors
    ///
    /// [`Error::BadKey`] if the key is malformed, its ID does not match, or its algorithm is not
    /// supported.
    pub fn from_signing_key(skey: &str) -> Result<Self> {
        let skey = skey.trim();
        let (signer, verifier_key) = load_signing_key(skey)?;
        Ok(Self {
            signer,
            verifier_key,
            algorithm: SignatureAlgorithm::Ed25519,
        })
    }

    /// The key name, which is the log's origin.
    pub fn name(&self) -> &str {
        self.signer.name()
    }

    /// The encoded verifier key (`<name>+<hex key ID>+<base64(0x01 || public key)>`) that clients
    /// pass to [`verify_checkpoint`] or Go's `note.NewVerifier`.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// The key's signature algorithm.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// Signs the checkpoint for a tree of `size` leaves with root hash `root`, origin = key name.
    /// Returns the signed note, ready to serve at `/checkpoint`.
    ///
    /// # Errors
    ///
    /// [`Error::BadCheckpoint`] if the note cannot be built or signed.
    pub fn sign_checkpoint(&self, size: u64, root: Hash) -> Result<Vec<u8>> {
        let cp =
            Checkpoint::new(self.name(), size, root, "").map_err(|e| Error::BadCheckpoint(e.to_string()))?;
        let mut note = Note::new(&cp.to_bytes(), &[]).map_err(|e| Error::BadCheckpoint(e.to_string()))?;
        note.add_sigs(&[&self.signer])
            .map_err(|e| Error::BadCheckpoint(e.to_string()))?;
        Ok(note.to_bytes())
    }
}

/// Encodes the Ed25519 key with 32-byte `seed` named `name` as a c2sp.org/signed-note signing
/// key (`PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`). Keep the result secret.
///
/// # Errors
///
/// [`Error::BadKey`] if `name` is not a valid key name (empty, or contains whitespace or `+`).
pub fn encode_signing_key(name: &str, seed: &[u8; 32]) -> Result<String> {
    if !signed_note::is_key_name_valid(name) {
        return Err(Error::BadKey(format!(
            "{name:?} is not a valid key name (non-empty, no spaces, no '+')"
        )));
    }
    let sk = ed25519_dalek::SigningKey::from_bytes(seed);
    let mut pubkey = vec![ALG_ED25519];
    pubkey.extend_from_slice(sk.verifying_key().as_bytes());
    let mut privkey = vec![ALG_ED25519];
    privkey.extend_from_slice(seed);
    Ok(format!(
        "PRIVATE+KEY+{name}+{:08x}+{}",
        signed_note::key_id(name, &pubkey),
        BASE64_STANDARD.encode(&privkey)
    ))
}

/// Parses an encoded Ed25519 signing key (surrounding whitespace ignored) into a signed-note
/// signer and its encoded verifier key (`<name>+<hex key ID>+<base64(0x01 || public key)>`).
///
/// # Errors
///
/// [`Error::BadKey`] if the key is malformed, its ID does not match, or its algorithm is not
/// Ed25519.
pub fn load_signing_key(skey: &str) -> Result<(StandardSigner, String)> {
    let skey = skey.trim();
    let signer = StandardSigner::new(skey).map_err(|e| Error::BadKey(format!("signing key: {e}")))?;
    // Derive the verifier key from the seed, the same way the signer did.
    let b64 = skey.splitn(5, '+').nth(4).unwrap_or_default();
    let raw = BASE64_STANDARD
        .decode(b64)
        .map_err(|_| Error::BadKey("signing key: bad base64".into()))?;
    let seed: [u8; 32] = raw
        .get(1..)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| Error::BadKey("signing key: wrong length".into()))?;
    let vk = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    let verifier_key = signed_note::new_ed25519_verifier_key(signed_note::Signer::name(&signer), &vk);
    Ok((signer, verifier_key))
}

/// A checkpoint whose signature has been verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCheckpoint {
    /// The log's origin line.
    pub origin: String,
    /// Tree size, in entries.
    pub size: u64,
    /// RFC 6962 root hash of the tree.
    pub root: Hash,
}

/// Parses a signed checkpoint and verifies it was signed by `verifier_key`, whose name must equal
/// the checkpoint's origin (c2sp.org/tlog-checkpoint). Signatures by other keys (witness
/// cosignatures) are ignored.
///
/// # Errors
///
/// [`Error::BadKey`] if the verifier key is malformed; [`Error::BadCheckpoint`] if the note is
/// malformed, lacks a valid signature by the key, or names another origin.
pub fn verify_checkpoint(note: &[u8], verifier_key: &str) -> Result<VerifiedCheckpoint> {
    let verifier = StandardVerifier::new(verifier_key.trim())
        .map_err(|e| Error::BadKey(format!("verifier key: {e}")))?;
    let name = signed_note::Verifier::name(&verifier).to_owned();
    let parsed = Note::from_bytes(note).map_err(|e| Error::BadCheckpoint(e.to_string()))?;
    parsed
        .verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|e| Error::BadCheckpoint(format!("signature by {name}: {e}")))?;
    let cp = Checkpoint::from_bytes(parsed.text()).map_err(|e| Error::BadCheckpoint(e.to_string()))?;
    if cp.origin() != name {
        return Err(Error::BadCheckpoint(format!(
            "origin {:?} does not match the key name {name:?}",
            cp.origin()
        )));
    }
    Ok(VerifiedCheckpoint {
        origin: cp.origin().to_owned(),
        size: cp.size(),
        root: *cp.hash(),
    })
}

/// The size and root a checkpoint note states, *without* verifying any signature (for a client
/// that uses them only to compute proofs it then verifies against a verified checkpoint).
///
/// # Errors
///
/// [`Error::BadCheckpoint`] if the note or its text is malformed.
pub fn peek_checkpoint(note: &[u8]) -> Result<(u64, Hash)> {
    let parsed = Note::from_bytes(note).map_err(|e| Error::BadCheckpoint(e.to_string()))?;
    let cp = Checkpoint::from_bytes(parsed.text()).map_err(|e| Error::BadCheckpoint(e.to_string()))?;
    Ok((cp.size(), *cp.hash()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let (signer, skey) = LogSigner::generate("example.org/log").unwrap();
        assert!(skey.starts_with("PRIVATE+KEY+example.org/log+"));
        let again = LogSigner::from_signing_key(&format!("{skey}\n")).unwrap();
        assert_eq!(again.verifier_key(), signer.verifier_key());
        let root = tlog_tiles::record_hash(b"x");
        let note = signer.sign_checkpoint(7, root).unwrap();
        let text = String::from_utf8(note.clone()).unwrap();
        assert!(
            text.starts_with(&format!("example.org/log\n7\n{root}\n\n— example.org/log ")),
            "{text}"
        );
        let cp = verify_checkpoint(&note, signer.verifier_key()).unwrap();
        assert_eq!(
            (cp.size, cp.root, cp.origin.as_str()),
            (7, root, "example.org/log")
        );

        // Tampering, another key, garbage.
        let tampered = text.replacen("\n7\n", "\n8\n", 1);
        assert!(verify_checkpoint(tampered.as_bytes(), signer.verifier_key()).is_err());
        let (other, _) = LogSigner::generate("example.org/log").unwrap();
        assert!(verify_checkpoint(&note, other.verifier_key()).is_err());
        assert!(verify_checkpoint(b"junk", signer.verifier_key()).is_err());
        assert!(verify_checkpoint(&note, "not+a+key").is_err());
    }

    #[test]
    fn go_generated_key_vector() {
        // From golang.org/x/mod/sumdb/note's documentation (note.go, "Generating Keys").
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        assert_eq!(LogSigner::from_signing_key(skey).unwrap().verifier_key(), vkey);
    }

    #[test]
    fn bad_origin() {
        assert!(LogSigner::generate("has space").is_err());
        assert!(LogSigner::generate("a+b").is_err());
        assert!(LogSigner::generate("").is_err());
    }
}
