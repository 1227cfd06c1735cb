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
use signed_note::Signature as NoteSignature;

use cel::common::value::Val;

use crate::roster::{Registry, statement_of_text};
use crate::rules::RuleSet;
use crate::shortcut::{Known, Shortcuts};
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
    /// By name, then key id: the key, or `None` when several keys share the pair (ambiguous).
    /// Looked up by the signature's borrowed name (no copy per signature).
    keys: HashMap<String, Vec<(u32, Option<VerifyingKey>)>>,
    /// The statement rules' shortcuts to work out with each statement, if any
    /// ([`RosterKeys::with_rules`]).
    shortcuts: Option<Arc<Shortcuts>>,
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
    /// What the statement alone decides of the statement rules, and the [`Shortcuts::id`] of
    /// the shortcuts that worked it out.
    known: Option<(u64, Known)>,
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

    /// What the statement alone decides of the statement rules, under the same condition as
    /// [`Signed::statement_for`], if worked out by the shortcuts whose [`Shortcuts::id`] is
    /// `shortcuts`.
    pub fn known_for(&self, roster: &str, shortcuts: u64) -> Option<Known> {
        self.known
            .filter(|(id, _)| *id == shortcuts && *self.roster == *roster && self.statement.is_some())
            .map(|(_, k)| k)
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

/// A statement and its value as rules see it, and what it decides of the statement rules.
type Prepared = ((Statement, Arc<dyn Val>), Option<(u64, Known)>);

/// A statement, its value as rules see it, and what they decide of the rules of `shortcuts`.
fn prepared(text: &[u8], shortcuts: Option<&Shortcuts>) -> Option<Prepared> {
    let statement = statement_of_text(text)?;
    let view = crate::celview::statement_val(&statement);
    let known = shortcuts.map(|sc| (sc.id(), sc.by_statement(&statement, view.as_ref())));
    Some(((statement, Arc::from(view)), known))
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
        let mut keys: HashMap<String, Vec<(u32, Option<VerifyingKey>)>> = HashMap::new();
        for k in roster.keys.iter().filter(|k| !k.revoked) {
            let (name, id, key) = decode_vkey(&k.vkey)?;
            let ids = keys.entry(name).or_default();
            match ids.iter_mut().find(|(i, _)| *i == id) {
                Some((_, v)) => *v = None,
                None => ids.push((id, Some(key))),
            }
        }
        Some(Self {
            roster: Arc::from(hash),
            keys,
            shortcuts: None,
        })
    }

    /// The key registered under `name` and `id`: `None` if there is none, `Some(None)` if
    /// several keys share the pair (ambiguous).
    fn get(&self, name: &str, id: u32) -> Option<Option<VerifyingKey>> {
        self.keys
            .get(name)?
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, k)| *k)
    }

    /// These keys, with what each statement alone decides of the statement rules of `rules`
    /// worked out with its signatures ([`Shortcuts::by_statement`], [`Signed::known_for`]).
    #[must_use]
    pub fn with_rules(mut self, rules: &RuleSet) -> Self {
        self.shortcuts = Some(Arc::clone(rules.shortcuts()));
        self
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

/// `signed_note`'s limits on a note it parses (private there): bytes, and signature lines.
const MAX_NOTE_SIZE: usize = 1_000_000;
const MAX_NOTE_SIGNATURES: usize = 100;

/// A note's text (with its final newline, borrowed from `entry`) and its signature lines, if
/// `signed_note`'s `Note::from_bytes` accepts the note; `None` if it does not.
///
/// `Note::from_bytes` keeps the signatures private, so they would be parsed twice, and it copies
/// and checks the text twice: here the note is split once as it splits it (at the last blank
/// line; the signature block ends in a newline; at most [`MAX_NOTE_SIGNATURES`] lines, each
/// parsed by `signed_note`'s own `Signature::from_bytes`), with its checks on the whole note
/// (at most [`MAX_NOTE_SIZE`] bytes, UTF-8, no ASCII control character but newline: in UTF-8 a
/// byte below 0x20 is always that character). The tests hold it to `Note::from_bytes` on
/// notes broken in every way.
fn parse(entry: &[u8]) -> Option<(&[u8], Vec<NoteSignature>)> {
    if entry.len() > MAX_NOTE_SIZE || entry.iter().any(|&b| b < 0x20 && b != b'\n') {
        return None;
    }
    std::str::from_utf8(entry).ok()?;
    let at = memchr::memmem::rfind(entry, b"\n\n")?;
    let text = entry.get(..=at)?;
    let block = entry.get(at + 2..)?.strip_suffix(b"\n")?;
    let mut sigs = Vec::new();
    for line in block.split(|&b| b == b'\n') {
        if sigs.len() == MAX_NOTE_SIGNATURES {
            return None;
        }
        sigs.push(NoteSignature::from_bytes(line).ok()?);
    }
    Some((text, sigs))
}

fn check_chunk<E: AsRef<[u8]>>(keys: &RosterKeys, chunk: &[E]) -> Vec<Option<Signed>> {
    let notes: Vec<Option<(&[u8], Vec<NoteSignature>)>> = chunk.iter().map(|e| parse(e.as_ref())).collect();
    let mut names: Vec<Option<Vec<String>>> = vec![Some(Vec::new()); chunk.len()];
    let mut jobs: Vec<Job<'_>> = Vec::new();
    for (i, note) in notes.iter().enumerate() {
        let Some((text, note_sigs)) = note else {
            names[i] = None;
            continue;
        };
        let mut seen: Vec<(&str, u32)> = Vec::new();
        for sig in note_sigs {
            match keys.get(sig.name(), sig.id()) {
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
                        key,
                        sig: Signature::from_bytes(&bytes),
                        msg: text,
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
            n.filter(|n| !n.is_empty()).map(|names| {
                let prepared = note
                    .as_ref()
                    .and_then(|(text, _)| prepared(text, keys.shortcuts.as_deref()));
                let (statement, known) = match prepared {
                    Some((s, k)) => (Some(s), k),
                    None => (None, None),
                };
                Signed {
                    roster: Arc::clone(&keys.roster),
                    names,
                    statement,
                    known,
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{self, Deployment, HOUR_MS, SimConfig};
    use proptest::prelude::*;

    /// Some real entries: the roster (three signatures) and statements of every kind.
    fn real_entries() -> &'static [Vec<u8>] {
        static ENTRIES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        ENTRIES.get_or_init(|| {
            let mut cfg = SimConfig::europe_2008_day(1_767_225_600_000);
            cfg.period_ms = 30 * 60_000;
            let dep = Deployment::new(&cfg).unwrap();
            let mut out = vec![dep.roster_entry.clone()];
            out.extend(sim::simulate(&dep, &cfg).unwrap().into_iter().map(|e| e.entry));
            out
        })
    }

    /// `parse` accepts a note exactly when `Note::from_bytes` does, with the same text and as
    /// many signatures.
    fn same_as_signed_note(bytes: &[u8]) {
        let ours = parse(bytes);
        let theirs = signed_note::Note::from_bytes(bytes);
        match (&ours, &theirs) {
            (Some((text, sigs)), Ok(note)) => {
                assert_eq!(*text, note.text(), "{:?}", String::from_utf8_lossy(bytes));
                // Every signature line is one signature.
                let lines = bytes.len() - text.len() - 1;
                assert_eq!(
                    sigs.len(),
                    bytes[bytes.len() - lines..]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count()
                );
            }
            (None, Err(_)) => {}
            _ => panic!(
                "parse: {:?}, Note::from_bytes: {:?}, on {:?}",
                ours.map(|(t, _)| t),
                theirs.map(|n| n.text().to_vec()),
                String::from_utf8_lossy(bytes)
            ),
        }
    }

    #[test]
    fn notes_are_parsed_as_signed_note_parses_them() {
        let entries = real_entries();
        let sig_line = {
            let e = &entries[1];
            let at = memchr::memmem::rfind(e, b"\n\n").unwrap();
            e[at + 2..].to_vec()
        };
        let mut cases: Vec<Vec<u8>> = entries.to_vec();
        let e = entries[1].clone();
        let at = memchr::memmem::rfind(&e, b"\n\n").unwrap();
        for n in [99, 100, 101] {
            // As many signature lines (the limit is 100).
            let mut m = e[..at + 2].to_vec();
            for _ in 0..n {
                m.extend_from_slice(&sig_line);
            }
            cases.push(m);
        }
        cases.push(b"\n\n\n".to_vec());
        cases.push(b"a\n\n".to_vec());
        cases.push([&e[..at], b"\n\n\n".as_slice(), &sig_line].concat());
        cases.push([&e[..], b"\n".as_slice()].concat());
        cases.push(e[..e.len() - 1].to_vec());
        cases.push([&e[..at + 2], b"\t".as_slice(), &e[at + 2..]].concat());
        cases.push([b"\r".as_slice(), &e].concat());
        cases.push([b"\xc3".as_slice(), &e].concat());
        cases.push([&e[..], &sig_line[..sig_line.len() - 1], b"\x7f\n".as_slice()].concat());
        let mut big = vec![b'a'; MAX_NOTE_SIZE - e.len() + 1];
        big.extend_from_slice(b"\n");
        big.extend_from_slice(&e);
        cases.push(big.clone());
        cases.push(big[1..].to_vec());
        for c in &cases {
            same_as_signed_note(c);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Real notes with bytes replaced, inserted or removed anywhere.
        #[test]
        fn broken_notes_are_refused_as_signed_note_refuses_them(
            which in 0usize..40,
            edits in proptest::collection::vec((0.0..1.0f64, 0usize..3, prop_oneof![
                Just(b'\n'), Just(b' '), Just(b'+'), Just(b'\t'), Just(0u8), Just(0xe2), Just(0x80),
                Just(b'A'), Just(b'='), any::<u8>()
            ]), 1..4),
        ) {
            let entries = real_entries();
            let mut e = entries[which % entries.len()].clone();
            for (at, op, b) in edits {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
                let i = ((at * e.len() as f64) as usize).min(e.len().saturating_sub(1));
                match op {
                    0 if !e.is_empty() => e[i] = b,
                    1 => e.insert(i, b),
                    _ if !e.is_empty() => {
                        e.remove(i);
                    }
                    _ => {}
                }
            }
            same_as_signed_note(&e);
        }
    }

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
