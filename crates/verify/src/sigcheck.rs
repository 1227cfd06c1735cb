//! Statement signatures checked ahead of the [`Engine`](crate::engine::Engine), in batches and
//! across cores, for a monitor catching up many entries.
//!
//! [`Registry::check`](crate::roster::Registry::check) verifies each statement under every
//! unrevoked roster key with `signed_note`, decoding (decompressing) each key for each entry.
//! [`RosterKeys`] decodes the keys of one roster version once; [`check_signatures`] then parses
//! the notes of many entries in parallel (`rayon`), verifies their signatures by registered keys
//! with `ed25519-dalek`'s [`verify_batch`](ed25519_dalek::verify_batch) in batches of
//! [`BATCH`], and returns, per entry, the names that signed it ([`Signed`]): what `signed_note`'s
//! `Note::verify` would return for that roster. It also parses the entry's statement (JSON,
//! schema and canonical encoding) as the registry would, and builds the statement's value as
//! rules see it (`s`, [`crate::celview::statement`]), so that the engine, which must take the
//! entries one after another, does neither.
//!
//! Only successes are reported. An entry whose note does not parse, that no registered key
//! signed, whose key is ambiguous, or one of whose signatures fails (a failing batch is
//! re-checked one signature at a time, so only the failing entries lose their result) gets
//! `None`, and the registry then checks it the ordinary way and names the problem exactly as
//! without this module. A [`Signed`] carries the roster it was computed for and is ignored under
//! any other, so a result computed ahead of a roster change is never misapplied.
//!
//! One difference with single verification is documented by `ed25519-dalek`: the batch equation
//! accepts, with some probability, a signature whose `R` has a small-order component or a
//! non-canonical encoding, which single (cofactorless) verification rejects. Such a signature
//! can only be made with the signing key itself (it is a malleated valid signature, not a
//! forgery), and the log server admits entries with single verification.

use std::collections::HashMap;
use std::sync::Arc;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use ed25519_dalek::{Signature, VerifyingKey};
use rayon::prelude::*;
use signed_note::{Note, Signature as NoteSignature};

use cel::common::value::Val;

use crate::roster::{Registry, statement_of_text};
use crate::statement::Statement;

/// Signatures per `verify_batch` call (and entries per parallel task: at most this many). Above
/// about 190 points `curve25519-dalek` switches its multiscalar multiplication from Straus to
/// Pippenger: 256 measured 1.45 times faster than 64, and 4 096 1.2 times faster than 256 on an
/// idle machine (`benches/sigfloor.rs`, BENCHMARKS.md). A failing batch is re-checked one
/// signature at a time, so a bad signature costs up to `BATCH` single verifications.
pub const BATCH: usize = 4096;

/// The unrevoked keys of one roster version, decoded once.
#[derive(Debug, Clone)]
pub struct RosterKeys {
    /// The roster's log-entry hash (how a registry names its roster in force).
    roster: Arc<str>,
    /// By (name, key id): the key, or `None` when several keys share the pair (ambiguous).
    keys: HashMap<(String, u32), Option<VerifyingKey>>,
}

/// The names of the registered keys whose signatures on an entry verify, in note order, as
/// computed for one roster version.
#[derive(Debug, Clone)]
pub struct Signed {
    roster: Arc<str>,
    names: Vec<String>,
    /// The statement the entry's text parses to, if it is one ([`Registry::check`] parses it
    /// the same way), and its value as rules see it ([`crate::celview::statement`]).
    statement: Option<(Statement, Arc<dyn Val>)>,
}

impl Signed {
    /// The signer names, if this result was computed for the roster whose entry hash is
    /// `roster`.
    pub fn names_for(&self, roster: &str) -> Option<&[String]> {
        (*self.roster == *roster).then_some(self.names.as_slice())
    }

    /// The statement the entry holds, if it is one and this result was computed for the roster
    /// whose entry hash is `roster`.
    pub fn statement_for(&self, roster: &str) -> Option<&Statement> {
        self.statement
            .as_ref()
            .filter(|_| *self.roster == *roster)
            .map(|(s, _)| s)
    }

    /// The statement's value as rules see it (`s`), under the same condition as
    /// [`Signed::statement_for`].
    pub(crate) fn view_for(&self, roster: &str) -> Option<&Arc<dyn Val>> {
        self.statement
            .as_ref()
            .filter(|_| *self.roster == *roster)
            .map(|(_, v)| v)
    }
}

/// A statement and its value as rules see it.
fn prepared(text: &[u8]) -> Option<(Statement, Arc<dyn Val>)> {
    let statement = statement_of_text(text)?;
    let view = crate::celview::statement_val(&statement);
    Some((statement, Arc::from(view)))
}

/// Decodes an encoded signed-note Ed25519 verifier key (`<name>+<hex id>+<base64 of 0x01 and
/// the key>`) into its name, id and key; `None` for anything else (the caller then falls back to
/// `signed_note`, which names the problem).
fn decode_vkey(vkey: &str) -> Option<(String, u32, VerifyingKey)> {
    let (name, rest) = vkey.trim().split_once('+')?;
    let (id16, key64) = rest.split_once('+')?;
    if id16.len() != 8 || !signed_note::is_key_name_valid(name) {
        return None;
    }
    let id = u32::from_str_radix(id16, 16).ok()?;
    let key = BASE64_STANDARD.decode(key64).ok()?;
    if signed_note::key_id(name, &key) != id {
        return None;
    }
    let (&alg, raw) = key.split_first()?;
    if alg != 1 {
        return None;
    }
    let raw: &[u8; 32] = raw.try_into().ok()?;
    Some((name.to_owned(), id, VerifyingKey::from_bytes(raw).ok()?))
}

impl RosterKeys {
    /// The unrevoked keys of the roster `registry` has in force; `None` without a roster or if a
    /// key does not decode (then every entry is checked the ordinary way).
    pub fn of(registry: &Registry) -> Option<Self> {
        let (roster, hash) = registry.roster_with_hash()?;
        let mut keys: HashMap<(String, u32), Option<VerifyingKey>> = HashMap::new();
        for k in roster.keys.iter().filter(|k| !k.revoked) {
            let (name, id, key) = decode_vkey(&k.vkey)?;
            keys.entry((name, id))
                .and_modify(|v| *v = None)
                .or_insert(Some(key));
        }
        Some(Self {
            roster: Arc::from(hash),
            keys,
        })
    }

    /// The roster's log-entry hash.
    pub fn roster(&self) -> &str {
        &self.roster
    }
}

/// One signature to verify: entry (within the chunk), key, signature.
struct Job<'a> {
    entry: usize,
    key: VerifyingKey,
    sig: Signature,
    msg: &'a [u8],
}

/// Checks the signatures of `entries` by the keys of `keys` (see the module documentation);
/// `None` for an entry means "check it the ordinary way".
pub fn check_signatures<E: AsRef<[u8]> + Sync>(keys: &RosterKeys, entries: &[E]) -> Vec<Option<Signed>> {
    entries
        .par_chunks(BATCH)
        .flat_map_iter(|chunk| check_chunk(keys, chunk))
        .collect()
}

/// A note and its signature lines, parsed as `signed_note` does (`Note::from_bytes` keeps them
/// private); `None` if it does not parse.
fn parse(entry: &[u8]) -> Option<(Note, Vec<NoteSignature>)> {
    let note = Note::from_bytes(entry).ok()?;
    // Note::from_bytes accepted it: the signature block follows the last blank line and ends in
    // a newline.
    let at = memchr::memmem::rfind(entry, b"\n\n")?;
    let block = entry.get(at + 2..)?.strip_suffix(b"\n")?;
    let sigs = block
        .split(|&b| b == b'\n')
        .map(|line| NoteSignature::from_bytes(line).ok())
        .collect::<Option<Vec<_>>>()?;
    Some((note, sigs))
}

fn check_chunk<E: AsRef<[u8]>>(keys: &RosterKeys, chunk: &[E]) -> Vec<Option<Signed>> {
    let notes: Vec<Option<(Note, Vec<NoteSignature>)>> = chunk.iter().map(|e| parse(e.as_ref())).collect();
    let mut names: Vec<Option<Vec<String>>> = vec![Some(Vec::new()); chunk.len()];
    let mut jobs: Vec<Job<'_>> = Vec::new();
    for (i, note) in notes.iter().enumerate() {
        let Some((note, note_sigs)) = note else {
            names[i] = None;
            continue;
        };
        let mut seen: Vec<(&str, u32)> = Vec::new();
        for sig in note_sigs {
            let k = (sig.name().to_owned(), sig.id());
            match keys.keys.get(&k) {
                // A signature by a key the roster does not hold: ignored, as signed_note does.
                None => {}
                Some(None) => {
                    names[i] = None;
                    break;
                }
                Some(Some(key)) => {
                    // Only the first signature of a key counts, as in signed_note.
                    if seen.contains(&(sig.name(), sig.id())) {
                        continue;
                    }
                    seen.push((sig.name(), sig.id()));
                    let Ok(bytes) = <[u8; 64]>::try_from(sig.signature()) else {
                        names[i] = None;
                        break;
                    };
                    if let Some(n) = &mut names[i] {
                        n.push(sig.name().to_owned());
                    }
                    jobs.push(Job {
                        entry: i,
                        key: *key,
                        sig: Signature::from_bytes(&bytes),
                        msg: note.text(),
                    });
                }
            }
        }
    }
    let msgs: Vec<&[u8]> = jobs.iter().map(|j| j.msg).collect();
    let sigs: Vec<Signature> = jobs.iter().map(|j| j.sig).collect();
    let vks: Vec<VerifyingKey> = jobs.iter().map(|j| j.key).collect();
    if ed25519_dalek::verify_batch(&msgs, &sigs, &vks).is_err() {
        // Some signature fails: find which, one at a time (as signed_note checks them).
        for j in &jobs {
            // `verify` (not `verify_strict`), as signed_note's StandardVerifier.
            if ed25519_dalek::Verifier::verify(&j.key, j.msg, &j.sig).is_err() {
                names[j.entry] = None;
            }
        }
    }
    names
        .into_iter()
        .zip(&notes)
        .map(|(n, note)| {
            n.filter(|n| !n.is_empty()).map(|names| Signed {
                roster: Arc::clone(&keys.roster),
                names,
                statement: note.as_ref().and_then(|(note, _)| prepared(note.text())),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{self, Deployment, HOUR_MS, SimConfig};

    /// The statement value a result carries is the one the engine would build from the statement
    /// itself (the engine takes it instead of building its own).
    #[test]
    fn the_statement_value_carried_is_the_one_the_engine_builds() {
        let mut cfg = SimConfig::europe_2008_day(1_767_225_600_000);
        cfg.period_ms = 1_000;
        cfg.duration_ms = HOUR_MS / 60;
        let dep = Deployment::new(&cfg).unwrap();
        let entries: Vec<Vec<u8>> = sim::simulate(&dep, &cfg)
            .unwrap()
            .into_iter()
            .map(|e| e.entry)
            .collect();
        assert!(entries.len() > 100, "{} entries", entries.len());
        let mut reg = Registry::new(dep.anchors()).unwrap();
        reg.admit(&dep.roster_entry).unwrap();
        let keys = RosterKeys::of(&reg).unwrap();
        let checked = check_signatures(&keys, &entries);
        let mut carried = 0;
        for (entry, signed) in entries.iter().zip(&checked) {
            let signed = signed.as_ref().unwrap();
            let statement = signed.statement_for(keys.roster()).unwrap();
            let view = signed.view_for(keys.roster()).unwrap();
            let (text, _) = crate::keys::peek_note(entry).unwrap();
            assert_eq!(statement, &Statement::from_text(&text).unwrap());
            let built = crate::celview::val(crate::celview::statement(statement)).unwrap();
            assert!(
                view.equals(built.as_ref()) && built.equals(view.as_ref()),
                "{statement:?}: {view:?} against {built:?}"
            );
            carried += 1;
            // Under another roster neither is used.
            assert!(signed.view_for("another roster").is_none());
        }
        assert_eq!(carried, entries.len());
    }
}
