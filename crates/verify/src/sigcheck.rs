//! Statement signatures checked ahead of the [`Engine`](crate::engine::Engine), in batches and
//! across cores, for a monitor catching up many entries.
//!
//! [`Registry::check`](crate::roster::Registry::check) verifies each statement under every
//! unrevoked roster key with `signed_note`, decoding (decompressing) each key for each entry.
//! [`RosterKeys`] decodes the keys of one roster version once; [`check_signatures`] then parses
//! the notes of many entries in parallel (`rayon`), verifies their signatures by registered keys
//! in batches of [`BATCH`] with `ed25519-zebra`'s batch verifier
//! ([`ed25519_zebra::batch::Verifier`]), and returns, per entry, the names that signed it
//! ([`Signed`]): what `signed_note`'s `Note::verify` would return for that roster. It also parses
//! the entry's statement (JSON, schema and canonical encoding) as the registry would, and holds
//! it in its value as rules see it (`s`: `celview`'s `StatementVal`, the map
//! [`crate::celview::statement`] stands for, read from the typed statement, no map built), so
//! that the engine, which must take the entries one after another, does neither.
//!
//! Only successes are reported. An entry whose note does not parse, that no registered key
//! signed, whose key is ambiguous, or one of whose signatures fails (a failing batch is
//! re-checked one signature at a time with `ed25519-dalek`'s `verify`, as `signed_note` checks
//! them, so only the failing entries lose their result) gets `None`, and the registry then checks
//! it the ordinary way and names the problem exactly as without this module. A [`Signed`] carries
//! the roster it was computed for and is ignored under any other, so a result computed ahead of a
//! roster change is never misapplied.
//!
//! # Why `ed25519-zebra`, and where its batch differs from single verification
//!
//! A log's statements come from a handful of keys (the sensors and inspectors of the roster: 12
//! in the simulated europe-2008 deployment). `ed25519-zebra`'s batch verifier coalesces the terms
//! of the signatures made by one key, so a batch of `n` signatures by `m` keys is one multiscalar
//! multiplication of `n + m + 1` points instead of `2n + 1` (`ed25519-dalek`'s `verify_batch`):
//! about 1.5 times faster here (BENCHMARKS.md). Its equation is ZIP-215's, cofactored
//! (`8(s·B − R − k·A) = 0`), where single verification with `ed25519-dalek`'s `verify` (what
//! `signed_note` and the log server use) is cofactorless and compares `R`'s bytes. So that the
//! batch gives single verification's verdicts wherever that is cheap:
//!
//! - **keys** are checked once per roster version ([`RosterKeys::of`]): a key whose encoding is
//!   not canonical, that has small order, or that has a torsion component is never batched; the
//!   entries it signs get `None` and the registry checks them the ordinary way;
//! - **signatures** whose `R` encoding is not canonical (`y ≥ p`, or the sign bit set where
//!   `x = 0`) or whose `s` is not below the group order are never batched (byte checks before
//!   the batch; single verification refuses both), and their entries get `None` likewise.
//!
//! **The remaining difference:** a signature whose `R` has a small-order (torsion) component
//! (`R = r·B + T`, `s = r + k·a` with `k` hashing that `R`) satisfies the cofactored equation and
//! is **accepted** by the batch, so the monitor counts the statement as signed by that key, while
//! single verification refuses it (`R`'s bytes differ from `s·B − k·A = r·B`'s). Checking `R` for
//! torsion would cost as much as the verification saved. Such a signature can only be made with
//! the signing key itself (it is a malleated valid signature, not a forgery: the statement is
//! the key holder's), and the log server admits entries with single verification, so it reaches
//! a log only if the log server admits what it should refuse. If its batch fails for another
//! signature, it is re-checked singly and refused like any other. (`ed25519-dalek`'s batch, used
//! here before, accepted such a signature with probability 1/8 to 1/2, by the order of the small
//! component, and also accepted non-canonical `R` encodings.) `tests/sigcheck.rs` pins all of it.

use std::sync::Arc;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::{Signature, VerifyingKey};
use ed25519_zebra::VerificationKeyBytes;
use rayon::prelude::*;

use crate::celview::StatementView;
use crate::roster::{Registry, statement_of_text};
use crate::rules::RuleSet;
use crate::shortcut::{Known, Shortcuts};
use crate::statement::Statement;

/// Signatures per batch (and entries per parallel task: at most this many). Above about 190
/// points `curve25519-dalek` switches its multiscalar multiplication from Straus to Pippenger:
/// larger batches are cheaper per signature (`benches/sigfloor.rs`, BENCHMARKS.md). A failing
/// batch is re-checked one signature at a time, so a bad signature costs up to `BATCH` single
/// verifications.
pub const BATCH: usize = 4096;

/// The unrevoked keys of one roster version, decoded once.
#[derive(Debug, Clone)]
pub struct RosterKeys {
    /// The roster's log-entry hash (how a registry names its roster in force).
    roster: Arc<str>,
    /// By name, then key id: how signatures by the key are checked. Looked up by the signature's
    /// borrowed name; the name is shared with each result it signs (no copy per signature).
    /// `foldhash`: the names are the roster's (signed by its authorities), not chosen by whoever
    /// made an entry, and a lookup of any other name adds nothing to the map.
    keys: HashMap<SignerName, Vec<(u32, KeyUse)>>,
    /// The statement rules' shortcuts to work out with each statement, if any
    /// ([`RosterKeys::with_rules`]).
    shortcuts: Option<Arc<Shortcuts>>,
}

/// How the signatures of one registered name and key id are checked.
#[derive(Debug, Clone, Copy)]
enum KeyUse {
    /// In batches: the key canonical, of large order and torsion-free ([`batchable`]).
    Batch(VerifyingKey),
    /// Not here: several keys share the pair (ambiguous), or the key is not [`batchable`]. The
    /// entry is checked the ordinary way.
    Ordinary,
}

/// Whether signatures by `key` may be batched: its encoding is canonical (the bytes are those
/// of the point it decodes to, re-encoded), it is not of small order, and it has no torsion
/// component. Batch and single verification then agree on every signature whose `R` is
/// torsion-free (see the module documentation).
fn batchable(key: &VerifyingKey) -> bool {
    let point = key.to_edwards();
    point.compress().to_bytes() == key.to_bytes() && !key.is_weak() && point.is_torsion_free()
}

/// `p = 2^255 − 19`, little-endian, the field's modulus; `p − 1` and 1 are the `y` of the two
/// points with `x = 0`.
const P: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};
const P_MINUS_1: [u8; 32] = {
    let mut p = P;
    p[0] = 0xec;
    p
};
const ONE: [u8; 32] = {
    let mut one = [0; 32];
    one[0] = 1;
    one
};

/// Whether a signature's `R` and `s` are canonically encoded, which single verification
/// requires (it compares `R`'s bytes with a point it encodes, and refuses `s` not below the group
/// order) and ZIP-215's batch does not: `R`'s `y` (its low 255 bits, little-endian) is below `p`,
/// and its sign bit is clear where `x = 0` (`y = 1` or `y = p − 1`); `s` is below the group
/// order (`curve25519-dalek`'s own check). Byte comparisons only: no point is decoded.
fn canonical_encodings(sig: &Signature) -> bool {
    let mut y = *sig.r_bytes();
    let sign = y[31] >> 7;
    y[31] &= 0x7f;
    // Little-endian comparison y < p: from the most significant byte down.
    let below_p = y
        .iter()
        .rev()
        .zip(P.iter().rev())
        .find(|(a, b)| a != b)
        .is_some_and(|(a, b)| a < b);
    let x_zero = y == ONE || y == P_MINUS_1;
    below_p && !(sign == 1 && x_zero) && bool::from(Scalar::from_canonical_bytes(*sig.s_bytes()).is_some())
}

/// `rand` 0.10's thread-local CSPRNG (ChaCha, seeded from the OS) behind the `rand_core` 0.6
/// traits that `ed25519-zebra` 4's batch verifier takes for its random coefficients.
struct BatchRng(rand::rngs::ThreadRng);

impl rand_core::RngCore for BatchRng {
    fn next_u32(&mut self) -> u32 {
        rand::Rng::next_u32(&mut self.0)
    }
    fn next_u64(&mut self) -> u64 {
        rand::Rng::next_u64(&mut self.0)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand::Rng::fill_bytes(&mut self.0, dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        rand::Rng::fill_bytes(&mut self.0, dest);
        Ok(())
    }
}

/// `rand::rngs::ThreadRng` is a cryptographically secure generator.
impl rand_core::CryptoRng for BatchRng {}

/// The names that signed an entry, shared with the [`RosterKeys`] they were computed for: most
/// entries have one or two signers, held without a vector.
type Names = smallvec::SmallVec<[SignerName; 2]>;

/// A registered key's name as a [`Signed`] result holds it: shared with the roster's keys it
/// was computed for (no copy per entry). It reads as the name (`&str`) and compares with one.
#[derive(Clone, PartialEq, Eq)]
pub struct SignerName(Arc<str>);

impl std::ops::Deref for SignerName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// Looked up by a borrowed name: hashes and compares as the `str` it holds.
impl std::borrow::Borrow<str> for SignerName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::hash::Hash for SignerName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (*self.0).hash(state);
    }
}

impl AsRef<str> for SignerName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SignerName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl PartialEq<str> for SignerName {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<String> for SignerName {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

/// A hash map with `foldhash`'s hasher (see where it is used for why that is safe).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// The names of the registered keys whose signatures on an entry verify, in note order, as
/// computed for one roster version.
#[derive(Debug, Clone)]
pub struct Signed {
    roster: Arc<str>,
    names: Names,
    /// The statement the entry's text parses to, if it is one ([`Registry::check`] parses it
    /// the same way), held with its value as rules see it (`celview`'s `StatementView`).
    statement: Option<Arc<StatementView>>,
    /// What the statement alone decides of the statement rules, and the [`Shortcuts::id`] of
    /// the shortcuts that worked it out.
    known: Option<(u64, Known)>,
}

impl Signed {
    /// The signer names, if this result was computed for the roster whose entry hash is
    /// `roster`.
    pub fn names_for(&self, roster: &str) -> Option<&[SignerName]> {
        (*self.roster == *roster).then_some(self.names.as_slice())
    }

    /// The statement the entry holds, if it is one and this result was computed for the roster
    /// whose entry hash is `roster`.
    pub fn statement_for(&self, roster: &str) -> Option<&Statement> {
        self.statement
            .as_deref()
            .filter(|_| *self.roster == *roster)
            .map(StatementView::statement)
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
    pub(crate) fn view_for(&self, roster: &str) -> Option<&Arc<StatementView>> {
        self.statement.as_ref().filter(|_| *self.roster == *roster)
    }
}

/// A statement in its value as rules see it, and what it decides of the statement rules.
type Prepared = (Arc<StatementView>, Option<(u64, Known)>);

/// A statement in its value as rules see it, and what they decide of the rules of
/// `shortcuts`.
fn prepared(text: &[u8], shortcuts: Option<&Shortcuts>) -> Option<Prepared> {
    let records = shortcuts.is_none_or(Shortcuts::records);
    let view = StatementView::new(statement_of_text(text)?, records);
    let known = shortcuts.map(|sc| (sc.id(), sc.by_statement(view.statement(), view.val())));
    Some((Arc::new(view), known))
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
    /// key does not decode (then every entry is checked the ordinary way). Each key is checked
    /// once here: one that is not [`batchable`] is never batched (the entries it signs are checked
    /// the ordinary way).
    pub fn of(registry: &Registry) -> Option<Self> {
        let (roster, hash) = registry.roster_with_hash()?;
        let mut keys: HashMap<SignerName, Vec<(u32, KeyUse)>> = HashMap::default();
        for k in roster.keys.iter().filter(|k| !k.revoked) {
            let (name, id, key) = decode_vkey(&k.vkey)?;
            let ids = keys.entry(SignerName(Arc::from(name))).or_default();
            match ids.iter_mut().find(|(i, _)| *i == id) {
                Some((_, v)) => *v = KeyUse::Ordinary,
                None => ids.push((
                    id,
                    if batchable(&key) {
                        KeyUse::Batch(key)
                    } else {
                        KeyUse::Ordinary
                    },
                )),
            }
        }
        Some(Self {
            roster: Arc::from(hash),
            keys,
            shortcuts: None,
        })
    }

    /// The name registered as `name` (shared) and how its key `id` is used: `None` if there is
    /// no such key.
    fn get(&self, name: &str, id: u32) -> Option<(&SignerName, &KeyUse)> {
        let (name, ids) = self.keys.get_key_value(name)?;
        ids.iter().find(|(i, _)| *i == id).map(|(_, k)| (name, k))
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

/// One signature to verify: entry (within the chunk), the registered name and key id, key,
/// signature.
struct Job<'a> {
    entry: usize,
    name: &'a SignerName,
    id: u32,
    /// Borrowed from the roster's keys: a decoded key is 192 bytes, and a chunk has thousands
    /// of jobs.
    key: &'a VerifyingKey,
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

/// One signature line of a note, borrowed from it: what `signed_note`'s
/// `Signature::from_bytes` reads from the line, without its copies (the name, the decoded
/// bytes and the signature: three allocations per line there).
#[derive(Debug, Clone, Copy)]
struct SigLine<'a> {
    name: &'a str,
    id: u32,
    /// The signature bytes after the key id, if they are 64 (an Ed25519 signature's length);
    /// `None` for any other length (such a line is still a valid line: the key's algorithm
    /// decides what a signature is).
    sig: Option<[u8; 64]>,
}

/// Decoded signature lines up to this length (key id and Ed25519 signature: 68 bytes) are
/// decoded on the stack; longer ones (another algorithm's) into a vector.
const SIG_LINE_BUF: usize = 80;

/// A signature line (without its newline) as `signed_note::Signature::from_bytes` parses it:
/// `"— " name " " base64(key id ‖ signature)`, the name a valid key name
/// (`signed_note::is_key_name_valid`), the base64 non-empty, standard and canonical, at least 5
/// bytes decoded. `None` exactly where `from_bytes` fails (the tests hold it to `from_bytes`).
/// `base64` 0.23's `STANDARD` engine decodes as `signed_note`'s `base64` 0.21 `STANDARD` does (the
/// same configuration: padding required and canonical, no trailing bits).
fn sig_line(line: &[u8]) -> Option<SigLine<'_>> {
    let rest = line.strip_prefix("— ".as_bytes())?;
    let space = memchr::memchr(b' ', rest)?;
    let (name, b64) = (rest.get(..space)?, rest.get(space + 1..)?);
    let name = std::str::from_utf8(name).ok()?;
    if b64.is_empty() || !signed_note::is_key_name_valid(name) {
        return None;
    }
    let id_and_sig = |bytes: &[u8]| {
        let (id, sig) = bytes.split_first_chunk::<4>()?;
        (!sig.is_empty()).then(|| (u32::from_be_bytes(*id), <[u8; 64]>::try_from(sig).ok()))
    };
    let mut buf = [0u8; SIG_LINE_BUF];
    let (id, sig) = if base64::decoded_len_estimate(b64.len()) <= SIG_LINE_BUF {
        let n = BASE64_STANDARD.decode_slice(b64, &mut buf).ok()?;
        id_and_sig(buf.get(..n)?)?
    } else {
        id_and_sig(&BASE64_STANDARD.decode(b64).ok()?)?
    };
    Some(SigLine { name, id, sig })
}

/// Whether `entry` is UTF-8 with no ASCII control character but newline (in UTF-8 a byte below
/// 0x20 is always that character), as `signed_note`'s `Note::from_bytes` requires. One pass
/// over the bytes, 64 at a time without a branch per byte (the compiler vectorises it), finds
/// both a control byte and the first non-ASCII block; only from there on is the UTF-8 checked
/// (`std::str::from_utf8`: a note's text is ASCII, its signature lines are not). Starting there
/// is exact: the bytes before are ASCII, so a character starts there.
fn text_ok(entry: &[u8]) -> bool {
    const BLOCK: usize = 64;
    let mut non_ascii = None;
    for (n, block) in entry.chunks(BLOCK).enumerate() {
        let (mut control, mut high) = (false, 0u8);
        for &b in block {
            control |= (b < 0x20) & (b != b'\n');
            high |= b;
        }
        if control {
            return false;
        }
        if high >= 0x80 && non_ascii.is_none() {
            non_ascii = Some(n * BLOCK);
        }
    }
    non_ascii.is_none_or(|at| {
        entry
            .get(at..)
            .is_some_and(|rest| std::str::from_utf8(rest).is_ok())
    })
}

/// Where the last `"\n\n"` in `entry` starts (what `memchr::memmem::rfind` finds), by
/// `memchr`'s vectorised search for newlines from the end (the substring search from the end is
/// not vectorised): the signature block is a few lines at the note's end.
fn last_blank_line(entry: &[u8]) -> Option<usize> {
    memchr::memrchr_iter(b'\n', entry)
        .find(|&i| i > 0 && entry.get(i - 1) == Some(&b'\n'))
        .map(|i| i - 1)
}

/// A note's text (with its final newline, borrowed from `entry`), if `signed_note`'s
/// `Note::from_bytes` accepts the note; its signature lines are put in `sigs` (cleared first).
/// `None` if `Note::from_bytes` refuses the note.
///
/// `Note::from_bytes` keeps the signatures private, so they would be parsed twice, and it copies
/// and checks the text twice: here the note is split once as it splits it (at the last blank
/// line; the signature block ends in a newline; at most [`MAX_NOTE_SIGNATURES`] lines, each
/// parsed as `signed_note`'s `Signature::from_bytes` parses it, [`sig_line`]), with its checks
/// on the whole note (at most [`MAX_NOTE_SIZE`] bytes, [`text_ok`]). The tests hold it to
/// `Note::from_bytes` on notes broken in every way.
fn parse<'a>(entry: &'a [u8], sigs: &mut Vec<SigLine<'a>>) -> Option<&'a [u8]> {
    sigs.clear();
    if entry.len() > MAX_NOTE_SIZE || !text_ok(entry) {
        return None;
    }
    let at = last_blank_line(entry)?;
    let text = entry.get(..=at)?;
    let block = entry.get(at + 2..)?.strip_suffix(b"\n")?;
    for line in block.split(|&b| b == b'\n') {
        if sigs.len() == MAX_NOTE_SIGNATURES {
            return None;
        }
        sigs.push(sig_line(line)?);
    }
    Some(text)
}

fn check_chunk<E: AsRef<[u8]>>(keys: &RosterKeys, chunk: &[E]) -> Vec<Option<Signed>> {
    // Per entry: its text if the note parses, and the names whose signatures are batched.
    let mut notes: Vec<Option<&[u8]>> = Vec::with_capacity(chunk.len());
    let mut names: Vec<Option<Names>> = Vec::with_capacity(chunk.len());
    // Most entries have one signature by a registered key.
    let mut jobs: Vec<Job<'_>> = Vec::with_capacity(chunk.len());
    // One buffer for every entry's signature lines.
    let mut sigs: Vec<SigLine<'_>> = Vec::new();
    for (i, entry) in chunk.iter().enumerate() {
        let text = parse(entry.as_ref(), &mut sigs);
        notes.push(text);
        let Some(text) = text else {
            names.push(None);
            continue;
        };
        // This entry's jobs: those from `first` on.
        let first = jobs.len();
        let mut signers = Some(Names::default());
        for sig in &sigs {
            match keys.get(sig.name, sig.id) {
                // A signature by a key the roster does not hold: ignored, as signed_note does.
                None => {}
                Some((_, KeyUse::Ordinary)) => {
                    signers = None;
                    break;
                }
                Some((name, KeyUse::Batch(key))) => {
                    // Only the first signature of a key counts, as in signed_note.
                    if jobs[first..]
                        .iter()
                        .any(|j| j.id == sig.id && *j.name == *sig.name)
                    {
                        continue;
                    }
                    let Some(bytes) = sig.sig else {
                        signers = None;
                        break;
                    };
                    let signature = Signature::from_bytes(&bytes);
                    if !canonical_encodings(&signature) {
                        // Refused by single verification; the registry names it.
                        signers = None;
                        break;
                    }
                    if let Some(n) = &mut signers {
                        n.push(name.clone());
                    }
                    jobs.push(Job {
                        entry: i,
                        name,
                        id: sig.id,
                        key,
                        sig: signature,
                        msg: text,
                    });
                }
            }
        }
        names.push(signers);
    }
    let mut batch = ed25519_zebra::batch::Verifier::new();
    for j in &jobs {
        batch.queue((VerificationKeyBytes::from(j.key.to_bytes()), j.sig, j.msg));
    }
    if batch.verify(BatchRng(rand::rng())).is_err() {
        // Some signature fails: find which, one at a time (as signed_note checks them).
        for j in &jobs {
            // `verify` (not `verify_strict`), as signed_note's StandardVerifier.
            if ed25519_dalek::Verifier::verify(j.key, j.msg, &j.sig).is_err() {
                names[j.entry] = None;
            }
        }
    }
    names
        .into_iter()
        .zip(notes)
        .map(|(n, text)| {
            n.filter(|n| !n.is_empty()).map(|names| {
                let prepared = text.and_then(|text| prepared(text, keys.shortcuts.as_deref()));
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
        let mut sigs = Vec::new();
        let ours = parse(bytes, &mut sigs).map(|t| (t, sigs));
        let theirs = signed_note::Note::from_bytes(bytes);
        match (&ours, &theirs) {
            (Some((text, sigs)), Ok(note)) => {
                assert_eq!(*text, note.text(), "{:?}", String::from_utf8_lossy(bytes));
                // Every signature line is one signature, read as signed_note reads it.
                let block = &bytes[text.len() + 1..bytes.len() - 1];
                let lines: Vec<&[u8]> = block.split(|&b| b == b'\n').collect();
                assert_eq!(sigs.len(), lines.len());
                for (ours, line) in sigs.iter().zip(lines) {
                    same_line_as_signed_note(line);
                    assert_eq!(sig_line(line).map(|l| (l.name, l.id)), Some((ours.name, ours.id)));
                }
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

    /// `sig_line` accepts a signature line exactly when `Signature::from_bytes` does, with the
    /// same name, key id and signature.
    fn same_line_as_signed_note(line: &[u8]) {
        let ours = sig_line(line);
        let theirs = signed_note::Signature::from_bytes(line);
        match (&ours, &theirs) {
            (Some(o), Ok(t)) => {
                assert_eq!((o.name, o.id), (t.name(), t.id()), "{line:?}");
                assert_eq!(
                    o.sig.as_ref().map(<[u8; 64]>::as_slice),
                    (t.signature().len() == 64).then(|| t.signature()),
                    "{line:?}"
                );
            }
            (None, Err(_)) => {}
            _ => panic!(
                "sig_line: {ours:?}, Signature::from_bytes: {:?}, on {:?}",
                theirs.map(|t| (t.name().to_owned(), t.id(), t.signature().to_vec())),
                String::from_utf8_lossy(line)
            ),
        }
    }

    #[test]
    fn signature_lines_are_read_as_signed_note_reads_them() {
        use base64::prelude::BASE64_STANDARD_NO_PAD;
        let line = |name: &str, bytes: &[u8]| format!("— {name} {}", BASE64_STANDARD.encode(bytes));
        let mut cases: Vec<Vec<u8>> = Vec::new();
        // Every decoded length from 0 to past the stack buffer, around the limits that matter
        // (5 bytes at least, 68 an Ed25519 signature with its key id).
        for n in 0..=SIG_LINE_BUF + 8 {
            let bytes: Vec<u8> = (0..n).map(|i| u8::try_from(i * 37 % 251).unwrap()).collect();
            cases.push(line("brdy-radar", &bytes).into_bytes());
            cases.push(format!("— brdy-radar {}", BASE64_STANDARD_NO_PAD.encode(&bytes)).into_bytes());
        }
        let good = line("brdy-radar", &[7; 68]);
        for bad in [
            good.replacen("— ", "- ", 1),
            good.replacen("— ", "—", 1),
            good.replacen("brdy-radar", "", 1),
            good.replacen("brdy-radar", "brdy+radar", 1),
            good.replacen("brdy-radar", "brdy\u{a0}radar", 1),
            good.replacen("brdy-radar", "brdy\u{1f}radar", 1),
            good.replacen("brdy-radar", "brdy-radar ", 1),
            format!("{good} "),
            format!("{good}="),
            format!("{good}A"),
            good[..good.len() - 1].to_owned(),
            "— brdy-radar ".to_owned(),
            "— brdy-radar".to_owned(),
            String::new(),
        ] {
            cases.push(bad.into_bytes());
        }
        cases.push([good.as_bytes(), b"\xff".as_slice()].concat());
        for c in &cases {
            same_line_as_signed_note(c);
        }
        assert!(sig_line(good.as_bytes()).unwrap().sig.is_some());
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
        // Non-ASCII text, valid and not, before and after the first block of 64 bytes, and a
        // control byte after it.
        for at in [0, 1, 63, 64, 65, 200, at - 1] {
            for insert in [
                "é".as_bytes(),
                "—".as_bytes(),
                b"\xe2\x80".as_slice(),
                b"\x80".as_slice(),
                b"\xc3\x28".as_slice(),
                b"\xed\xa0\x80".as_slice(),
                b"\xf4\x90\x80\x80".as_slice(),
            ] {
                cases.push([&e[..at], insert, &e[at..]].concat());
                cases.push(
                    [
                        &e[..at],
                        insert,
                        &e[at..at + 70],
                        b"\x01".as_slice(),
                        &e[at + 70..],
                    ]
                    .concat(),
                );
            }
        }
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
        /// The last blank line is found where the substring search from the end finds it.
        #[test]
        fn the_last_blank_line_is_where_rfind_finds_it(
            bytes in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'a')], 0..40)
        ) {
            prop_assert_eq!(last_blank_line(&bytes), memchr::memmem::rfind(&bytes, b"\n\n"));
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

    /// A real statement signature.
    fn real_signature() -> [u8; 64] {
        let e = &real_entries()[1];
        let mut sigs = Vec::new();
        parse(e, &mut sigs).unwrap();
        sigs[0].sig.unwrap()
    }

    #[test]
    fn non_canonical_r_and_s_encodings_are_found_by_their_bytes() {
        let sig = real_signature();
        assert!(canonical_encodings(&Signature::from_bytes(&sig)));
        let with_r = |r: [u8; 32]| {
            let mut s = sig;
            s[..32].copy_from_slice(&r);
            Signature::from_bytes(&s)
        };
        let with_s = |v: [u8; 32]| {
            let mut s = sig;
            s[32..].copy_from_slice(&v);
            Signature::from_bytes(&s)
        };
        let signed = |mut y: [u8; 32]| {
            y[31] |= 0x80;
            y
        };
        // y ≥ p, with either sign: not canonical.
        let mut y = P;
        for low in 0xed..=0xff {
            y[0] = low;
            assert!(!canonical_encodings(&with_r(y)), "{y:?}");
            assert!(!canonical_encodings(&with_r(signed(y))), "{y:?}");
        }
        // p − 1 and 1 (x = 0): canonical only with the sign bit clear.
        for y in [P_MINUS_1, ONE] {
            assert!(canonical_encodings(&with_r(y)));
            assert!(!canonical_encodings(&with_r(signed(y))));
        }
        // Just below those, and 0: the sign bit is the x's.
        let mut p_minus_2 = P_MINUS_1;
        p_minus_2[0] = 0xeb;
        for y in [p_minus_2, [0; 32], [2; 32]] {
            assert!(canonical_encodings(&with_r(y)));
            assert!(canonical_encodings(&with_r(signed(y))));
        }
        // s: below the group order ℓ only.
        let mut ell = [0u8; 32];
        ell[..16].copy_from_slice(&0x14de_f9de_a2f7_9cd6_5812_631a_5cf5_d3ed_u128.to_le_bytes());
        ell[31] = 0x10;
        let mut ell_minus_1 = ell;
        ell_minus_1[0] -= 1;
        assert!(canonical_encodings(&with_s(ell_minus_1)));
        assert!(!canonical_encodings(&with_s(ell)));
        assert!(!canonical_encodings(&with_s([0xff; 32])));
    }

    #[test]
    fn only_canonical_torsion_free_keys_of_large_order_are_batched() {
        use curve25519_dalek::constants::EIGHT_TORSION;
        use curve25519_dalek::edwards::CompressedEdwardsY;
        let keys = RosterKeys::of(&{
            let cfg = SimConfig::europe_2008_day(1_767_225_600_000);
            let dep = Deployment::new(&cfg).unwrap();
            let mut reg = Registry::new(dep.anchors()).unwrap();
            reg.admit(&dep.roster_entry).unwrap();
            reg
        })
        .unwrap();
        let mut real = 0;
        for ids in keys.keys.values() {
            for (_, k) in ids {
                let KeyUse::Batch(k) = k else {
                    panic!("a roster key not batched")
                };
                assert!(batchable(k));
                real += 1;
                // With a torsion component of each order.
                for t in &EIGHT_TORSION[1..] {
                    let bytes = (k.to_edwards() + t).compress().to_bytes();
                    assert!(!batchable(&VerifyingKey::from_bytes(&bytes).unwrap()));
                }
            }
        }
        assert!(real > 10);
        // The small-order points themselves, canonically encoded.
        for t in &EIGHT_TORSION {
            assert!(!batchable(
                &VerifyingKey::from_bytes(&t.compress().to_bytes()).unwrap()
            ));
        }
        // Every non-canonical encoding that decodes (y = p + c for c < 19, either sign; and the
        // sign bit set where x = 0).
        let mut decoded = 0;
        let mut large = 0;
        for c in 0u8..19 {
            for sign in [0, 0x80] {
                let mut y = P;
                y[0] += c;
                y[31] |= sign;
                let Ok(k) = VerifyingKey::from_bytes(&y) else {
                    continue;
                };
                decoded += 1;
                assert_ne!(
                    CompressedEdwardsY(y).decompress().unwrap().compress().to_bytes(),
                    y
                );
                if !k.is_weak() && k.to_edwards().is_torsion_free() {
                    large += 1;
                }
                assert!(!batchable(&k), "{y:?}");
            }
        }
        // 24 decode here, every one to a point of small order or with a torsion component: the
        // torsion check alone refuses them; the encoding check is single verification's rule
        // kept for its own sake.
        assert_eq!((decoded, large), (24, 0));
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
                view.val().equals(built.as_ref())
                    && built.equals(crate::celview::as_cel_map(view.val()).as_ref()),
                "{statement:?}: {view:?} against {built:?}"
            );
            carried += 1;
            // Under another roster neither is used.
            assert!(signed.view_for("another roster").is_none());
        }
        assert_eq!(carried, entries.len());
    }
}
