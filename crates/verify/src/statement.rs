//! Statements: sensor telemetry, inspector reports and notifications, schema
//! `shieldwatch/statement/v1`, each a c2sp.org/signed-note signed by its sensor's or inspector's
//! Ed25519 key.
//!
//! # Encoding
//!
//! The note text is the statement's **canonical JSON** followed by one newline: compact (no
//! whitespace), fields in the schema order given by the types below, integers only (times in
//! Unix milliseconds UTC as the sensor's clock reads them, angles in millidegrees), optional
//! fields absent rather than `null`. A decoder accepts a text only if re-encoding what it decoded
//! gives the very same bytes, so every statement has exactly one encoding (no malleability) and a
//! field outside the agreed schema is refused (over-collection).
//!
//! The signing key's name must equal `sensor`. Sensitive fields (the radar's exact pointing,
//! an interceptor's serial number) are logged only as salted commitments, see [`Commitment`].

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::keys::Key;

/// Schema identifier of a statement.
pub const STATEMENT_SCHEMA: &str = "shieldwatch/statement/v1";

/// Width of a radar pointing-sector bin: 10° of azimuth, bins 0..36 clockwise from true north.
pub const SECTOR_BIN_DEG: u32 = 10;

/// Longest string field, in bytes.
pub const MAX_TEXT: usize = 2048;

/// One signed reading or report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Always [`STATEMENT_SCHEMA`].
    pub schema: String,
    /// The signer: sensor or inspector ID, equal to the signing key's name.
    pub sensor: String,
    /// Site ID the statement is about (`redzikowo`, `brdy`).
    pub site: String,
    /// Per-sensor sequence number, starting at 1 and increasing by exactly 1.
    pub seq: u64,
    /// Time of the reading, Unix milliseconds UTC, by the sensor's clock.
    pub time_ms: i64,
    /// The sensor's own clock-integrity flag (disciplined and untampered).
    pub clock_ok: bool,
    /// What is stated.
    pub body: Body,
}

/// The kinds of statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Body {
    /// Radar telemetry.
    Radar(RadarReading),
    /// Silo telemetry.
    Silo(SiloReading),
    /// An inspector's visit report.
    Inspection(InspectionReport),
    /// A notification by the host party (maintenance window, radiation window, test launch,
    /// change, activation trigger).
    Notice(Notice),
}

impl Body {
    /// The kind name used in rules and rosters (`radar`, `silo`, `inspection`, `notice`).
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Radar(_) => "radar",
            Body::Silo(_) => "silo",
            Body::Inspection(_) => "inspection",
            Body::Notice(_) => "notice",
        }
    }
}

/// Radar operating mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RadarMode {
    /// Not radiating, ready.
    Standby,
    /// Volume search.
    Search,
    /// Tracking objects.
    Track,
    /// Calibration against a known target.
    Calibration,
}

/// Radar telemetry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadarReading {
    /// Transmitter on.
    pub transmitting: bool,
    /// Operating mode.
    pub mode: RadarMode,
    /// Pointing sector bin, 0..36 (10° of azimuth each, clockwise from true north).
    pub sector_bin: u32,
    /// Transmitted power class, 0 (off) to 3 (full).
    pub power_class: u32,
    /// Exact boresight azimuth in millidegrees, sealed (sensitive).
    pub pointing: Commitment,
}

/// Silo door state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoorState {
    /// Closed.
    Closed,
    /// Moving.
    Moving,
    /// Open.
    Open,
}

/// Interceptor readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    /// Not launchable (agreed default state).
    Inactive,
    /// Launchable.
    Active,
}

/// Silo telemetry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiloReading {
    /// Silo number at the site, from 1.
    pub silo: u32,
    /// Door state.
    pub door: DoorState,
    /// An interceptor is emplaced.
    pub interceptor_present: bool,
    /// Readiness of the interceptor (inactive when none is present).
    pub readiness: Readiness,
    /// The inspectors' seal on the silo is intact.
    pub seal_intact: bool,
    /// The sensor's tamper switch has fired.
    pub tamper: bool,
    /// Serial number of the emplaced interceptor, sealed (sensitive); absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<Commitment>,
}

/// A finding in an inspection report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Agreed finding code (`seal-ok`, `seal-broken`, `count-mismatch`, …).
    pub code: String,
    /// Free text.
    pub text: String,
}

/// An attachment (photograph, raw log) logged by hash only; the file is kept elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// File name.
    pub name: String,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
}

/// An inspector's visit report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectionReport {
    /// Visit ID.
    pub visit: String,
    /// When access was requested, Unix ms.
    pub requested_ms: i64,
    /// When access was granted, Unix ms.
    pub granted_ms: i64,
    /// Interceptors counted on site.
    pub interceptors_counted: u32,
    /// Findings.
    pub findings: Vec<Finding>,
    /// Attachments, by hash.
    pub attachments: Vec<Attachment>,
}

/// Kinds of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// Declared maintenance (tamper flags and open doors allowed) at the site.
    Maintenance,
    /// Declared radar radiation window.
    Radiate,
    /// Announced test launch.
    TestLaunch,
    /// A change of the deployment (interceptor emplaced or removed, equipment replaced).
    Change,
    /// The agreed activation trigger (only valid with both parties' signatures).
    Trigger,
}

/// A notification by the host party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// What is notified.
    pub notice: NoticeKind,
    /// Start of the window, Unix ms.
    pub from_ms: i64,
    /// End of the window, Unix ms (inclusive).
    pub to_ms: i64,
    /// What it concerns (`silo-3`, `radar`, a change description).
    pub subject: String,
}

/// A salted commitment to a sensitive value: lowercase hex of
/// SHA-256(`"shieldwatch/commit/v1\n"` ‖ field name ‖ `"\n"` ‖ 32-byte salt ‖ value as decimal or
/// UTF-8 text). The value and salt stay with the sensor until a dispute, when [`Reveal`]
/// discloses them and anyone can recompute the hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Commitment(pub String);

/// A disclosed sensitive field: the value and salt behind a [`Commitment`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reveal {
    /// Field name (`pointing`, `serial`).
    pub field: String,
    /// The value, as text.
    pub value: String,
    /// The 32-byte salt, lowercase hex.
    pub salt: String,
}

impl Commitment {
    /// Commits to `value` of `field` with `salt`.
    pub fn new(field: &str, value: &str, salt: &[u8; 32]) -> Self {
        let mut h = Sha256::new();
        h.update(b"shieldwatch/commit/v1\n");
        h.update(field.as_bytes());
        h.update(b"\n");
        h.update(salt);
        h.update(value.as_bytes());
        Commitment(hex(&h.finalize()))
    }

    /// A commitment with a fresh random salt; returns it with its [`Reveal`].
    pub fn seal(field: &str, value: &str) -> (Self, Reveal) {
        let salt: [u8; 32] = rand::random();
        (
            Self::new(field, value, &salt),
            Reveal {
                field: field.to_owned(),
                value: value.to_owned(),
                salt: hex(&salt),
            },
        )
    }

    /// Checks that `reveal` opens this commitment.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for a salt that is not 32 bytes of hex; [`Error::Evidence`] if the
    /// value and salt do not match the commitment.
    pub fn check(&self, reveal: &Reveal) -> Result<()> {
        let salt: [u8; 32] = unhex(&reveal.salt)
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| Error::Malformed("salt must be 64 hex digits".into()))?;
        if Self::new(&reveal.field, &reveal.value, &salt) == *self {
            Ok(())
        } else {
            Err(Error::Evidence(format!(
                "value {:?} with this salt does not open the commitment to {}",
                reveal.value, reveal.field
            )))
        }
    }
}

impl Statement {
    /// Kind of the body.
    pub fn kind(&self) -> &'static str {
        self.body.kind()
    }

    /// The canonical JSON (without the trailing newline).
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if serialisation fails (it cannot for these types: no maps with
    /// non-string keys, no floats; the error is still passed on, never turned into empty bytes).
    pub fn canonical(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| Error::Malformed(format!("encoding a statement: {e}")))
    }

    /// Checks the agreed value ranges beyond what the types enforce.
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] naming the field that is out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Schema(m));
        if self.schema != STATEMENT_SCHEMA {
            return bad(format!("schema {:?}, expected {STATEMENT_SCHEMA:?}", self.schema));
        }
        if !signed_note::is_key_name_valid(&self.sensor) || self.sensor.len() > 128 {
            return bad(format!("sensor {:?} is not a valid key name", self.sensor));
        }
        if !valid_id(&self.site) {
            return bad(format!("site {:?} must be 1-64 of [a-z0-9-]", self.site));
        }
        if self.seq == 0 {
            return bad("seq starts at 1".into());
        }
        if self.time_ms <= 0 {
            return bad(format!("time_ms {} is not a Unix time", self.time_ms));
        }
        match &self.body {
            Body::Radar(r) => {
                if r.sector_bin >= 360 / SECTOR_BIN_DEG {
                    return bad(format!("radar.sector_bin {} outside 0..36", r.sector_bin));
                }
                if r.power_class > 3 {
                    return bad(format!("radar.power_class {} outside 0..=3", r.power_class));
                }
                if r.transmitting != (r.mode != RadarMode::Standby) {
                    return bad(
                        "radar.transmitting contradicts radar.mode (standby = not transmitting)".into(),
                    );
                }
                check_commitment("radar.pointing", &r.pointing)?;
            }
            Body::Silo(s) => {
                if s.silo == 0 {
                    return bad("silo.silo numbers start at 1".into());
                }
                if !s.interceptor_present && s.readiness == Readiness::Active {
                    return bad("silo.readiness is active with no interceptor present".into());
                }
                if let Some(c) = &s.serial {
                    check_commitment("silo.serial", c)?;
                }
            }
            Body::Inspection(i) => {
                text("inspection.visit", &i.visit)?;
                if i.granted_ms < i.requested_ms {
                    return bad("inspection.granted_ms is before requested_ms".into());
                }
                for f in &i.findings {
                    text("inspection.findings.code", &f.code)?;
                    text("inspection.findings.text", &f.text)?;
                }
                for a in &i.attachments {
                    text("inspection.attachments.name", &a.name)?;
                    if a.sha256.len() != 64
                        || unhex(&a.sha256).is_none()
                        || a.sha256.to_lowercase() != a.sha256
                    {
                        return bad(format!(
                            "inspection.attachments.sha256 of {:?} must be 64 lowercase hex digits",
                            a.name
                        ));
                    }
                }
            }
            Body::Notice(n) => {
                text("notice.subject", &n.subject)?;
                if n.to_ms < n.from_ms {
                    return bad("notice.to_ms is before from_ms".into());
                }
            }
        }
        Ok(())
    }

    /// Signs the statement with `key` (whose name must equal `sensor`); returns the log entry.
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] if the statement is invalid or the key name differs from `sensor`.
    pub fn sign(&self, key: &Key) -> Result<Vec<u8>> {
        self.validate()?;
        if key.name() != self.sensor {
            return Err(Error::Schema(format!(
                "key {:?} cannot sign for sensor {:?}",
                key.name(),
                self.sensor
            )));
        }
        let mut text = self.canonical()?;
        text.push(b'\n');
        key.sign_note(&text)
    }

    /// Decodes a note text (canonical JSON + newline) into a statement, strictly.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if it is not JSON or not canonical; [`Error::Schema`] if a field is
    /// unknown, missing or out of range.
    pub fn from_text(text: &[u8]) -> Result<Self> {
        let json = text
            .strip_suffix(b"\n")
            .ok_or_else(|| Error::Malformed("statement text must end in one newline".into()))?;
        // A text that is UTF-8 (every note's is: `signed_note` requires it) is parsed as a `str`,
        // so `serde_json` does not check the UTF-8 of each key and string again; the same parse
        // and the same errors (`serde_json`'s `str` reader is its slice reader without those
        // checks). Anything else as bytes, which names the bad UTF-8 as before.
        let parsed = match std::str::from_utf8(json) {
            Ok(json) => serde_json::from_str(json),
            Err(_) => serde_json::from_slice(json),
        };
        let st: Statement = parsed.map_err(|e| {
            if e.is_data() {
                Error::Schema(e.to_string())
            } else {
                Error::Malformed(format!("statement JSON: {e}"))
            }
        })?;
        st.validate()?;
        if !is_encoding_of(json, &st) {
            return Err(Error::Malformed(
                "statement is not in canonical encoding (compact JSON, schema field order)".into(),
            ));
        }
        Ok(st)
    }
}

/// Whether `json` is exactly `serde_json`'s compact encoding of `st`: the encoding is written
/// into a writer that compares it with `json` as it comes and stops at the first byte that
/// differs, so no second copy of the text is made.
fn is_encoding_of(json: &[u8], st: &Statement) -> bool {
    let mut rest = SameAs(json);
    serde_json::to_writer(&mut rest, st).is_ok() && rest.0.is_empty()
}

/// An [`std::io::Write`] that accepts only the bytes it holds, in order: a write that differs
/// from them fails. What it holds is what has not been written yet.
struct SameAs<'a>(&'a [u8]);

impl std::io::Write for SameAs<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf).map(|()| buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        // Most writes are one byte (punctuation and quotes): compared inline, not by `memcmp`.
        if let [b] = buf {
            return match self.0.split_first() {
                Some((first, rest)) if first == b => {
                    self.0 = rest;
                    Ok(())
                }
                _ => Err(std::io::ErrorKind::InvalidData.into()),
            };
        }
        match self.0.strip_prefix(buf) {
            Some(rest) => {
                self.0 = rest;
                Ok(())
            }
            // A kind, not a message: failing allocates nothing.
            None => Err(std::io::ErrorKind::InvalidData.into()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn check_commitment(field: &str, c: &Commitment) -> Result<()> {
    if is_commitment(&c.0) {
        Ok(())
    } else {
        Err(Error::Schema(format!(
            "{field} must be a commitment: 64 lowercase hex digits"
        )))
    }
}

/// 64 lowercase hex digits (`[0-9a-f]`), nothing else: what every other verifier reads as the
/// commitment's 32 bytes. (A sign is not a digit: `u8::from_str_radix` alone would take `+f` as a
/// pair, so a commitment no hash can equal would pass.)
fn is_commitment(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn text(field: &str, s: &str) -> Result<()> {
    if s.len() > MAX_TEXT {
        return Err(Error::Schema(format!("{field} longer than {MAX_TEXT} bytes")));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(Error::Schema(format!("{field} contains control characters")));
    }
    Ok(())
}

/// Site and role identifiers: 1–64 of `[a-z0-9-]`.
pub(crate) fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Parses hex (either case); `None` if malformed, including a sign (`+f`), which
/// `u8::from_str_radix` would take.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn radar() -> Statement {
        Statement {
            schema: STATEMENT_SCHEMA.into(),
            sensor: "brdy-radar".into(),
            site: "brdy".into(),
            seq: 1,
            time_ms: 1_700_000_000_000,
            clock_ok: true,
            body: Body::Radar(RadarReading {
                transmitting: true,
                mode: RadarMode::Search,
                sector_bin: 11,
                power_class: 2,
                pointing: Commitment::new("pointing", "115000", &[0; 32]),
            }),
        }
    }

    #[test]
    fn canonical_round_trip_and_strictness() {
        let s = radar();
        let mut text = s.canonical().unwrap();
        text.push(b'\n');
        assert_eq!(Statement::from_text(&text).unwrap(), s);
        // Whitespace makes it non-canonical.
        let spaced = String::from_utf8(text.clone()).unwrap().replacen(',', ", ", 1);
        assert!(matches!(
            Statement::from_text(spaced.as_bytes()),
            Err(Error::Malformed(_))
        ));
        // So does whitespace after it (JSON allows it), or an escaped character.
        let trailing = [&text[..text.len() - 1], b" \n".as_slice()].concat();
        assert!(matches!(
            Statement::from_text(&trailing),
            Err(Error::Malformed(_))
        ));
        let escaped = String::from_utf8(text.clone())
            .unwrap()
            .replacen("brdy", "\\u0062rdy", 1);
        assert_ne!(escaped.as_bytes(), text.as_slice());
        assert!(matches!(
            Statement::from_text(escaped.as_bytes()),
            Err(Error::Malformed(_))
        ));
        // An extra field is over-collection.
        let extra = String::from_utf8(text)
            .unwrap()
            .replacen("\"clock_ok\"", "\"gps\":1,\"clock_ok\"", 1);
        assert!(matches!(
            Statement::from_text(extra.as_bytes()),
            Err(Error::Schema(_))
        ));
    }

    /// The commitment check accepts exactly 64 lowercase hex digits — what the check that built the
    /// bytes and a lowercase copy accepted, except a sign before a digit (`+f`), which it let through
    /// and no hash can equal.
    #[test]
    fn commitment_check_accepts_exactly_64_lowercase_hex_digits() {
        let reference = |s: &str| {
            s.len() == 64
                && s.chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        };
        let good = "9e6dbb065c29ce8052addfabf844817acd39577c4420f4fc9cfa9230e11b425d";
        let mut cases = vec![
            good.to_owned(),
            good[..62].to_owned(),
            format!("{good}00"),
            String::new(),
        ];
        for at in [0, 1, 30, 63] {
            for c in ['A', 'F', 'g', '+', '-', ' ', '\u{e9}', '\u{20ac}', '0', 'f'] {
                let mut s: Vec<char> = good.chars().collect();
                s[at] = c;
                cases.push(s.iter().collect());
                // Also with the character's bytes in place of the pair it starts.
                let mut b = good.as_bytes().to_vec();
                let mut buf = [0u8; 4];
                let enc = c.encode_utf8(&mut buf).as_bytes();
                let end = (at + enc.len()).min(64);
                b.splice(at..end, enc.iter().copied());
                if let Ok(s) = String::from_utf8(b) {
                    cases.push(s);
                }
            }
        }
        cases.push("+f".repeat(32));
        cases.push("++".repeat(32));
        cases.push("f+".repeat(32));
        for signed in ["+f".repeat(32), format!("+{}", &good[1..])] {
            assert!(!is_commitment(&signed), "{signed}");
        }
        assert_eq!(unhex("+f"), None);
        assert_eq!(unhex("0F"), Some(vec![15]));
        let mut accepted = 0;
        for s in &cases {
            assert_eq!(is_commitment(s), reference(s), "{s:?}");
            accepted += usize::from(reference(s));
        }
        assert!(
            accepted > 5 && accepted < cases.len() - 20,
            "{accepted} of {}",
            cases.len()
        );
    }

    /// A sensor's statement whose commitment is 32 signed "digits" (`+f`) is refused when read,
    /// with the field named: it is not a commitment any verifier could open.
    #[test]
    fn a_statement_with_a_signed_commitment_is_refused() {
        let good = radar();
        let text = String::from_utf8(good.canonical().unwrap()).unwrap() + "\n";
        let Body::Radar(r) = &good.body else {
            unreachable!("a radar statement")
        };
        let signed = text.replacen(&r.pointing.0, &"+f".repeat(32), 1);
        assert_ne!(signed, text);
        match Statement::from_text(signed.as_bytes()) {
            Err(Error::Schema(m)) => assert!(m.contains("radar.pointing must be a commitment"), "{m}"),
            other => panic!("accepted or wrong error: {other:?}"),
        }
    }

    /// `Statement::from_text` as it was before [`is_encoding_of`]: the canonical encoding
    /// written into a buffer and compared.
    fn from_text_by_second_encoding(text: &[u8]) -> Result<Statement> {
        let json = text
            .strip_suffix(b"\n")
            .ok_or_else(|| Error::Malformed("statement text must end in one newline".into()))?;
        let st: Statement = serde_json::from_slice(json).map_err(|e| {
            if e.is_data() {
                Error::Schema(e.to_string())
            } else {
                Error::Malformed(format!("statement JSON: {e}"))
            }
        })?;
        st.validate()?;
        let mut canonical = Vec::with_capacity(json.len());
        serde_json::to_writer(&mut canonical, &st)
            .map_err(|e| Error::Malformed(format!("encoding a statement: {e}")))?;
        if canonical != json {
            return Err(Error::Malformed(
                "statement is not in canonical encoding (compact JSON, schema field order)".into(),
            ));
        }
        Ok(st)
    }

    /// Canonical texts of statements of every kind and shape.
    fn canonical_texts() -> Vec<Vec<u8>> {
        let c = |v: &str| Commitment::new("serial", v, &[7; 32]);
        let base = radar();
        let mut out = vec![base.clone()];
        out.push(Statement {
            body: Body::Silo(SiloReading {
                silo: 3,
                door: DoorState::Moving,
                interceptor_present: true,
                readiness: Readiness::Active,
                seal_intact: true,
                tamper: false,
                serial: Some(c("GBI-17")),
            }),
            ..base.clone()
        });
        out.push(Statement {
            seq: 10_000_000_000,
            time_ms: 1,
            clock_ok: false,
            body: Body::Silo(SiloReading {
                silo: 1,
                door: DoorState::Closed,
                interceptor_present: false,
                readiness: Readiness::Inactive,
                seal_intact: false,
                tamper: true,
                serial: None,
            }),
            ..base.clone()
        });
        out.push(Statement {
            sensor: "inspector-1".into(),
            body: Body::Inspection(InspectionReport {
                visit: "v/2026-01 \"é\" €".into(),
                requested_ms: 0,
                granted_ms: 100,
                interceptors_counted: 10,
                findings: vec![Finding {
                    code: "seal-ok".into(),
                    text: "a\\b".into(),
                }],
                attachments: vec![Attachment {
                    name: "p.jpg".into(),
                    sha256: hex(&[0xab; 32]),
                }],
            }),
            ..base.clone()
        });
        out.push(Statement {
            body: Body::Notice(Notice {
                notice: NoticeKind::TestLaunch,
                from_ms: -5,
                to_ms: 0,
                subject: "silo-3".into(),
            }),
            ..base
        });
        out.into_iter()
            .map(|st| {
                let mut t = st.canonical().unwrap();
                t.push(b'\n');
                t
            })
            .collect()
    }

    /// One way to spoil a canonical text (or not: some edits are no-ops), at a position given as
    /// a fraction of its length.
    #[derive(Debug, Clone)]
    enum Mutation {
        /// Whitespace inserted.
        Space(f64, &'static str),
        /// A character of a string written as a `\u` escape (or `/` as `\/`).
        Escape(f64),
        /// A number written another way (`1.0`, `1e0`, `1E+0`, `-0`, `01`, `+1`, …).
        Number(f64, &'static str),
        /// The object's fields in alphabetical order (as a `serde_json::Map` writes them).
        Reorder,
        /// A field repeated.
        Duplicate(&'static str),
        /// Bytes replaced, inserted or removed.
        Bytes(f64, usize, u8),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            (
                0.0..1.0f64,
                prop_oneof![Just(" "), Just("\n"), Just("\t"), Just("\r")]
            )
                .prop_map(|(at, w)| Mutation::Space(at, w)),
            (0.0..1.0f64).prop_map(Mutation::Escape),
            (
                0.0..1.0f64,
                prop_oneof![
                    Just(".0"),
                    Just("e0"),
                    Just("E+0"),
                    Just(".0e0"),
                    Just("e-0"),
                    Just("-"),
                    Just("0"),
                    Just("+"),
                    Just(".5"),
                    Just("e3"),
                    Just("00")
                ]
            )
                .prop_map(|(at, n)| Mutation::Number(at, n)),
            Just(Mutation::Reorder),
            prop_oneof![
                Just(",\"seq\":1"),
                Just(",\"schema\":\"shieldwatch/statement/v1\""),
                Just(",\"serial\":null"),
                Just(",\"extra\":0")
            ]
            .prop_map(Mutation::Duplicate),
            (0.0..1.0f64, 0usize..3, any::<u8>()).prop_map(|(at, op, b)| Mutation::Bytes(at, op, b)),
        ]
    }

    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    fn position(at: f64, len: usize) -> usize {
        ((at * len as f64) as usize).min(len.saturating_sub(1))
    }

    fn mutate(text: &mut Vec<u8>, m: &Mutation) {
        match m {
            Mutation::Space(at, w) => {
                let i = position(*at, text.len());
                text.splice(i..i, w.bytes());
            }
            Mutation::Escape(at) => {
                // The first string character at or after the position (not a quote or a
                // backslash, so the escape stays a string character).
                let start = position(*at, text.len());
                if let Some(i) =
                    (start..text.len()).find(|&i| text[i].is_ascii_alphanumeric() || text[i] == b'/')
                {
                    let esc = if text[i] == b'/' {
                        "\\/".to_owned()
                    } else {
                        format!("\\u{:04x}", text[i])
                    };
                    text.splice(i..=i, esc.bytes());
                }
            }
            Mutation::Number(at, form) => {
                // The first digit at or after the position that starts a number.
                let start = position(*at, text.len());
                let found = (start..text.len())
                    .find(|&i| text[i].is_ascii_digit() && i > 0 && matches!(text[i - 1], b':' | b'-'));
                if let Some(i) = found {
                    let end = (i..text.len())
                        .find(|&j| !text[j].is_ascii_digit())
                        .unwrap_or(text.len());
                    match *form {
                        "-" | "0" | "+" | "00" => {
                            text.splice(i..i, form.bytes());
                        }
                        _ => {
                            text.splice(end..end, form.bytes());
                        }
                    }
                }
            }
            Mutation::Reorder => {
                let json = &text[..text.len() - 1];
                if let Ok(v) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(json) {
                    let mut t = serde_json::to_vec(&v).unwrap();
                    t.push(b'\n');
                    *text = t;
                }
            }
            Mutation::Duplicate(field) => {
                if let Some(i) = text.iter().rposition(|&b| b == b'}') {
                    text.splice(i..i, field.bytes());
                }
            }
            Mutation::Bytes(at, op, b) => {
                let i = position(*at, text.len());
                match op {
                    0 if !text.is_empty() => text[i] = *b,
                    1 => text.insert(i, *b),
                    _ if !text.is_empty() => {
                        text.remove(i);
                    }
                    _ => {}
                }
            }
        }
    }

    /// `from_text` and the reading by a second encoding agree: the same statement, or errors
    /// that say the same.
    fn same_as_second_encoding(text: &[u8]) -> bool {
        match (Statement::from_text(text), from_text_by_second_encoding(text)) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b);
                true
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "{}", String::from_utf8_lossy(text));
                false
            }
            (a, b) => panic!("{a:?} against {b:?} for {}", String::from_utf8_lossy(text)),
        }
    }

    #[test]
    fn canonical_check_accepts_what_the_second_encoding_accepted_on_the_edge_cases() {
        let mut changed = 0;
        for text in canonical_texts() {
            assert!(same_as_second_encoding(&text));
            let s = String::from_utf8(text.clone()).unwrap();
            let variants = [
                s.replacen("\"seq\":1,", "\"seq\":1.0,", 1),
                s.replacen("\"seq\":1,", "\"seq\":1e0,", 1),
                s.replacen("\"seq\":1,", "\"seq\":0.1e1,", 1),
                s.replacen("\"time_ms\":1700000000000", "\"time_ms\":1.7e12", 1),
                s.replacen("\"time_ms\":1700000000000", "\"time_ms\":17e11", 1),
                s.replacen("\"from_ms\":-5", "\"from_ms\":-5.0", 1),
                s.replacen("\"to_ms\":0", "\"to_ms\":-0", 1),
                s.replacen("\"requested_ms\":0", "\"requested_ms\":-0", 1),
                s.replacen("\"to_ms\":0", "\"to_ms\":0.0", 1),
                s.replacen("\"seq\":1,", "\"seq\":01,", 1),
                s.replacen("v/2026", "v\\/2026", 1),
                s.replacen('é', "\\u00e9", 1),
                s.replacen('€', "\\u20ac", 1),
                s.replacen("a\\\\b", "a\\u005cb", 1),
                s.replacen("\\\"é", "\\u0022é", 1),
                s.replacen('{', "{ ", 1),
                s.replacen('\n', " \n", 1),
                s.replacen('\n', "\n\n", 1),
                s.trim_end().to_owned(),
                format!("\u{feff}{s}"),
                s[..s.len() - 2].to_owned() + "\n",
                s.replacen("true", "true ", 1),
            ];
            for v in variants {
                // Every variant that changes the bytes is refused.
                assert_eq!(same_as_second_encoding(v.as_bytes()), v == s, "{v}");
                changed += usize::from(v != s);
            }
        }
        assert!(changed > 60, "{changed}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// Canonical statements spoiled in one to three ways, as [`Mutation`] lists them.
        #[test]
        fn canonical_check_accepts_what_the_second_encoding_accepted(
            which in 0usize..5,
            edits in proptest::collection::vec(mutation(), 1..4),
        ) {
            let texts = canonical_texts();
            let mut text = texts[which % texts.len()].clone();
            for m in &edits {
                mutate(&mut text, m);
            }
            same_as_second_encoding(&text);
        }
    }

    #[test]
    fn commitments_open_only_with_their_salt() {
        let (c, r) = Commitment::seal("pointing", "115000");
        c.check(&r).unwrap();
        let mut wrong = r.clone();
        wrong.value = "116000".into();
        assert!(c.check(&wrong).is_err());
    }

    #[test]
    fn ranges_are_checked() {
        let mut s = radar();
        if let Body::Radar(r) = &mut s.body {
            r.sector_bin = 36;
        }
        assert!(s.validate().is_err());
        let mut s = radar();
        s.seq = 0;
        assert!(s.validate().is_err());
    }
}
