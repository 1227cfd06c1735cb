//! c2sp.org/tlog-witness wire formats: the `add-checkpoint` request body, the 409 size body,
//! cosignature lines, and attaching cosignatures to a checkpoint.
//!
//! # `add-checkpoint` request body
//!
//! ```text
//! old <size>\n                 decimal, no leading zeroes ("0" for zero)
//! <base64 hash>\n              0..=63 consistency proof lines (RFC 6962 §2.1.2), 32-byte hashes
//! \n                           an empty line
//! <checkpoint signed note>     c2sp.org/tlog-checkpoint, any number of signature lines
//! ```
//!
//! # Responses
//!
//! - 200: one or more note signature lines `— <name> <base64>\n` (the cosignatures).
//! - 409 Conflict: `<latest cosigned size>\n` with `Content-Type: text/x.tlog.size`.
//! - other 4xx: a plain-text reason.

use base64::prelude::{BASE64_STANDARD, Engine as _};
use signed_note::{Note, Signature};
use tlog::Hash;

/// Largest number of consistency proof lines a request may carry (c2sp.org/tlog-witness).
pub const MAX_PROOF_LINES: usize = 63;
/// `Content-Type` of the 409 Conflict body.
pub const CONTENT_TYPE_SIZE: &str = "text/x.tlog.size";

/// A parsed `add-checkpoint` request. The checkpoint is kept as sent; it is parsed and verified
/// by the witness.
#[derive(Debug, Clone, PartialEq)]
pub struct AddCheckpointRequest {
    /// Size of the checkpoint the client believes the witness last cosigned (0 if none).
    pub old_size: u64,
    /// RFC 6962 consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint: Vec<u8>,
}

/// Why a request body or cosignature line is malformed (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed request: {0}")]
pub struct MalformedError(pub String);

fn malformed(m: impl Into<String>) -> MalformedError {
    MalformedError(m.into())
}

/// Parses a decimal size with no leading zeroes (`0` itself allowed), as the specification
/// writes sizes.
pub fn parse_size(s: &str) -> Option<u64> {
    let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

impl AddCheckpointRequest {
    /// Parses a request body (see the module documentation).
    ///
    /// # Errors
    ///
    /// [`MalformedError`] naming the first problem: no `old` line, a bad size, a proof line that
    /// is not a base64 32-byte hash, more than 63 proof lines, no empty line, an empty checkpoint.
    pub fn parse(body: &[u8]) -> Result<Self, MalformedError> {
        let mut rest = body;
        let mut next_line = |what: &str| -> Result<&[u8], MalformedError> {
            let nl = rest
                .iter()
                .position(|&b| b == b'\n')
                .ok_or_else(|| malformed(format!("{what}: no terminating newline")))?;
            let (line, tail) = rest.split_at(nl);
            rest = &tail[1..];
            Ok(line)
        };
        let first = next_line("old size line")?;
        let old = std::str::from_utf8(first)
            .ok()
            .and_then(|l| l.strip_prefix("old "))
            .ok_or_else(|| malformed("the first line must be `old <size>`"))?;
        let old_size = parse_size(old)
            .ok_or_else(|| malformed(format!("old size {old:?} is not a canonical decimal")))?;
        let mut proof = Vec::new();
        loop {
            let line = next_line("consistency proof")?;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(malformed(format!(
                    "more than {MAX_PROOF_LINES} consistency proof lines"
                )));
            }
            let hash = BASE64_STANDARD
                .decode(line)
                .ok()
                .and_then(|v| <[u8; 32]>::try_from(v).ok())
                .ok_or_else(|| {
                    malformed(format!(
                        "proof line {} is not a base64 SHA-256 hash",
                        proof.len() + 1
                    ))
                })?;
            proof.push(Hash(hash));
        }
        if rest.is_empty() {
            return Err(malformed("no checkpoint after the empty line"));
        }
        Ok(Self {
            old_size,
            proof,
            checkpoint: rest.to_vec(),
        })
    }

    /// Encodes the request body.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode_request(self.old_size, &self.proof, &self.checkpoint)
    }
}

/// Encodes an `add-checkpoint` request body from its parts.
pub fn encode_request(old_size: u64, proof: &[Hash], checkpoint: &[u8]) -> Vec<u8> {
    let mut out = format!("old {old_size}\n").into_bytes();
    for h in proof {
        out.extend_from_slice(BASE64_STANDARD.encode(h.0).as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(checkpoint);
    out
}

/// Splits a 200 response body into note signature lines (without their newlines), checking that
/// each is a well-formed signature line (`— <name> <base64>`) and that there is at least one.
///
/// # Errors
///
/// [`MalformedError`] if the body is empty, a line is not newline-terminated, or a line is not a
/// signature line.
pub fn parse_cosignature_lines(body: &[u8]) -> Result<Vec<String>, MalformedError> {
    let text = std::str::from_utf8(body).map_err(|_| malformed("cosignatures are not UTF-8"))?;
    let Some(text) = text.strip_suffix('\n') else {
        return Err(malformed("cosignature lines must end in a newline"));
    };
    let lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    for l in &lines {
        Signature::from_bytes(l.as_bytes()).map_err(|_| malformed(format!("not a signature line: {l:?}")))?;
    }
    Ok(lines)
}

/// Adds signature lines (`— <name> <base64>`, with or without a trailing newline) to a signed
/// note such as a checkpoint. A line from the same key (name and key ID) as an existing
/// signature replaces it; others are appended in order. Nothing is verified: verify the result
/// with [`crate::verify_cosignature`] for each witness you trust.
///
/// # Errors
///
/// [`MalformedError`] if the note or a line is malformed.
pub fn attach_cosignatures(note: &[u8], lines: &[String]) -> Result<Vec<u8>, MalformedError> {
    let parsed = Note::from_bytes(note).map_err(|e| malformed(format!("checkpoint note: {e}")))?;
    let mut sigs = signatures_of(note)?;
    for l in lines {
        let s = Signature::from_bytes(l.trim_end_matches('\n').as_bytes())
            .map_err(|_| malformed(format!("not a signature line: {l:?}")))?;
        sigs.retain(|o| (o.name(), o.id()) != (s.name(), s.id()));
        sigs.push(s);
    }
    let out = Note::new(parsed.text(), &sigs)
        .map_err(|e| malformed(e.to_string()))?
        .to_bytes();
    Ok(out)
}

/// The signatures of a signed note, in order.
///
/// # Errors
///
/// [`MalformedError`] if the note is malformed.
pub fn signatures_of(note: &[u8]) -> Result<Vec<Signature>, MalformedError> {
    let text = std::str::from_utf8(note).map_err(|_| malformed("note is not UTF-8"))?;
    let (_, sigs) = text
        .rsplit_once("\n\n")
        .ok_or_else(|| malformed("note has no signature block"))?;
    let sigs = sigs
        .strip_suffix('\n')
        .ok_or_else(|| malformed("note does not end in a newline"))?;
    sigs.split('\n')
        .map(|l| {
            Signature::from_bytes(l.as_bytes()).map_err(|_| malformed(format!("bad signature line {l:?}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_parses() {
        // The example request body of c2sp.org/tlog-witness.
        let body = "old 20852014\n\
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n\
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\
\n\
example.com/behind-the-sofa\n\
20852163\n\
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\
\n\
— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";
        let r = AddCheckpointRequest::parse(body.as_bytes()).unwrap();
        assert_eq!(r.old_size, 20_852_014);
        assert_eq!(r.proof.len(), 4);
        assert!(
            r.checkpoint
                .starts_with(b"example.com/behind-the-sofa\n20852163\n")
        );
        assert_eq!(r.to_bytes(), body.as_bytes());
        assert_eq!(signatures_of(&r.checkpoint).unwrap().len(), 2);
    }

    #[test]
    fn malformed_bodies() {
        let cp = "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— o AAAAAAA=\n";
        let h = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        for bad in [
            String::new(),
            "old 1".into(),
            "old 01\n\n".to_string() + cp,
            "old -1\n\n".to_string() + cp,
            "old  1\n\n".to_string() + cp,
            "old 1\n\n".into(),
            "new 1\n\n".to_string() + cp,
            "old 1\nnot base64!\n\n".to_string() + cp,
            "old 1\nAAAA\n\n".to_string() + cp,
            "old 18446744073709551616\n\n".to_string() + cp,
            format!("old 1\n{}\n{cp}", h.repeat(64)),
            "old 1\n".to_string() + h,
        ] {
            assert!(AddCheckpointRequest::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let ok = format!("old 0\n{}\n{cp}", h.repeat(63));
        assert_eq!(
            AddCheckpointRequest::parse(ok.as_bytes()).unwrap().proof.len(),
            63
        );
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("00"), None);
        assert_eq!(parse_size("10"), Some(10));
        assert_eq!(parse_size(""), None);
        assert_eq!(parse_size("+1"), None);
    }

    #[test]
    fn attach_replaces_same_key_and_appends() {
        let cp = "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— o AAAAAQE=\n";
        let w1 = "— w1 AAAAAgI=".to_string();
        let w1b = "— w1 AAAAAgM=\n".to_string();
        let out = attach_cosignatures(cp.as_bytes(), std::slice::from_ref(&w1)).unwrap();
        assert_eq!(String::from_utf8(out.clone()).unwrap(), format!("{cp}{w1}\n"));
        let out2 = attach_cosignatures(&out, std::slice::from_ref(&w1b)).unwrap();
        assert_eq!(String::from_utf8(out2).unwrap(), format!("{cp}{w1b}"));
        assert!(attach_cosignatures(cp.as_bytes(), &["bogus".into()]).is_err());
        assert!(attach_cosignatures(b"no sigs\n", &[w1]).is_err());
        assert_eq!(
            parse_cosignature_lines(b"\xe2\x80\x94 w1 AAAAAgI=\n").unwrap(),
            vec!["— w1 AAAAAgI=".to_string()]
        );
        assert!(parse_cosignature_lines(b"").is_err());
        assert!(parse_cosignature_lines("— w1 AAAAAgI=".as_bytes()).is_err());
        assert!(parse_cosignature_lines(b"hello\n").is_err());
    }
}
