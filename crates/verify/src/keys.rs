//! Ed25519 keys for sensors, inspectors and roster authorities, in the c2sp.org/signed-note
//! encodings (`PRIVATE+KEY+<name>+<hex id>+<base64>` and `<name>+<hex id>+<base64>`), so that
//! anyone can check a statement with Go's `golang.org/x/mod/sumdb/note` or any other signed-note
//! implementation.
//!
//! The key name is the signer's identity: a sensor ID (`brdy-radar`), an inspector ID or an
//! authority name. Signing and verification come from `signed_note` and `ed25519-dalek`.

use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};

use crate::error::{Error, Result};

/// A signing key with its name and verifier key.
#[derive(Clone)]
pub struct Key {
    signer: StandardSigner,
    skey: String,
    vkey: String,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("vkey", &self.vkey)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// A fresh random key named `name`.
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] if `name` is not a valid key name (empty, spaces or `+`).
    pub fn generate(name: &str) -> Result<Self> {
        Self::from_seed(name, rand::random())
    }

    /// The key derived from a 32-byte seed (deterministic keys for simulations and tests).
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] if `name` is not a valid key name.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self> {
        let skey =
            tlog::checkpoint::encode_signing_key(name, &seed).map_err(|e| Error::Schema(e.to_string()))?;
        Self::from_signing_key(&skey)
    }

    /// Loads an encoded signing key (`PRIVATE+KEY+...`); surrounding whitespace is ignored.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if the key does not parse.
    pub fn from_signing_key(skey: &str) -> Result<Self> {
        let (signer, vkey) =
            tlog::checkpoint::load_signing_key(skey).map_err(|e| Error::Malformed(e.to_string()))?;
        Ok(Self {
            signer,
            skey: skey.trim().to_owned(),
            vkey,
        })
    }

    /// The key name (the signer's identity).
    pub fn name(&self) -> &str {
        signed_note::Signer::name(&self.signer)
    }

    /// The encoded verifier key, safe to publish.
    pub fn vkey(&self) -> &str {
        &self.vkey
    }

    /// The encoded signing key. Keep it secret.
    pub fn skey(&self) -> &str {
        &self.skey
    }

    /// Signs `text` (which must end in a newline) as a signed note; returns the note bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if the text is not a valid note text.
    pub fn sign_note(&self, text: &[u8]) -> Result<Vec<u8>> {
        sign_note(text, &[self])
    }
}

/// Signs `text` with every key in `keys` (a roster needs all its authorities); returns the note.
///
/// # Errors
///
/// [`Error::Malformed`] if the text is not a valid note text (must end in a newline, UTF-8,
/// no control characters but newline).
pub fn sign_note(text: &[u8], keys: &[&Key]) -> Result<Vec<u8>> {
    let mut note = Note::new(text, &[]).map_err(|e| Error::Malformed(format!("note text: {e}")))?;
    let signers: Vec<&dyn signed_note::Signer> = keys
        .iter()
        .map(|k| &k.signer as &dyn signed_note::Signer)
        .collect();
    note.add_sigs(&signers)
        .map_err(|e| Error::Malformed(format!("signing: {e}")))?;
    Ok(note.to_bytes())
}

/// The name inside an encoded verifier key (`<name>+<id>+<base64>`).
///
/// # Errors
///
/// [`Error::Malformed`] if the verifier key does not parse.
pub fn vkey_name(vkey: &str) -> Result<String> {
    let v = StandardVerifier::new(vkey.trim()).map_err(|e| Error::Malformed(format!("verifier key: {e}")))?;
    Ok(signed_note::Verifier::name(&v).to_owned())
}

/// A parsed signed note: its text and the names of the keys among `vkeys` whose signatures
/// verify. Signatures by keys not in `vkeys` are ignored; a signature by a listed key that does
/// not verify is an error.
///
/// # Errors
///
/// [`Error::Malformed`] if the note does not parse or a verifier key is malformed;
/// [`Error::BadSignature`] if no listed key signed it or a listed key's signature is invalid.
pub fn open_note(note: &[u8], vkeys: &[&str]) -> Result<(Vec<u8>, Vec<String>)> {
    let parsed = Note::from_bytes(note).map_err(|e| Error::Malformed(format!("signed note: {e}")))?;
    let mut verifiers: Vec<Box<dyn signed_note::Verifier>> = Vec::with_capacity(vkeys.len());
    for v in vkeys {
        verifiers.push(Box::new(
            StandardVerifier::new(v.trim()).map_err(|e| Error::Malformed(format!("verifier key: {e}")))?,
        ));
    }
    let (ok, _) = parsed
        .verify(&VerifierList::new(verifiers))
        .map_err(|e| Error::BadSignature(e.to_string()))?;
    let names = ok.iter().map(|s| s.name().to_owned()).collect();
    Ok((parsed.text().to_vec(), names))
}

/// The note's text and the names of all signature lines, without verifying anything (to find
/// which key to look up).
///
/// # Errors
///
/// [`Error::Malformed`] if the note does not parse.
pub fn peek_note(note: &[u8]) -> Result<(Vec<u8>, Vec<String>)> {
    // Parse with an empty verifier list: every signature is "unknown", so `verify` fails with
    // UnverifiedNote, but `from_bytes` has already checked the structure.
    let parsed = Note::from_bytes(note).map_err(|e| Error::Malformed(format!("signed note: {e}")))?;
    let text = parsed.text().to_vec();
    // Signature lines follow the blank line after the text.
    let rest = note.get(text.len() + 1..).unwrap_or_default();
    let names = std::str::from_utf8(rest)
        .map_err(|_| Error::Malformed("signature lines are not UTF-8".into()))?
        .lines()
        .filter_map(|l| l.strip_prefix("— ")?.split(' ').next().map(str::to_owned))
        .collect();
    Ok((text, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_open_round_trip() {
        let k = Key::from_seed("brdy-radar", [7; 32]).unwrap();
        let note = k.sign_note(b"hello\n").unwrap();
        let (text, names) = open_note(&note, &[k.vkey()]).unwrap();
        assert_eq!(text, b"hello\n");
        assert_eq!(names, vec!["brdy-radar".to_owned()]);
        let (_, peeked) = peek_note(&note).unwrap();
        assert_eq!(peeked, names);
        let again = Key::from_signing_key(k.skey()).unwrap();
        assert_eq!(again.vkey(), k.vkey());
        assert_eq!(vkey_name(k.vkey()).unwrap(), "brdy-radar");
    }

    #[test]
    fn other_key_or_tampered_text_fails() {
        let k = Key::from_seed("a", [1; 32]).unwrap();
        let other = Key::from_seed("a", [2; 32]).unwrap();
        let note = k.sign_note(b"x\n").unwrap();
        assert!(open_note(&note, &[other.vkey()]).is_err());
        let mut bad = note.clone();
        bad[0] = b'y';
        assert!(matches!(
            open_note(&bad, &[k.vkey()]),
            Err(Error::BadSignature(_))
        ));
        assert!(Key::generate("bad name").is_err());
    }
}
