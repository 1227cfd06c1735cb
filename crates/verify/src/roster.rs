//! The key roster: which keys may sign what, for which site, and which are revoked.
//!
//! A roster is a signed note whose text is the canonical JSON of [`Roster`] plus a newline,
//! logged like any statement. Roster version 1 must be signed by every *trust anchor* (the
//! parties' authority keys, configured out of band); each later version must name the SHA-256 of
//! the previous roster's log entry in `previous`, have the next version number, and be signed by
//! every authority the previous version lists. Rotation is a new version with the new key added
//! and the old one marked revoked; revocation alone is a version with the key marked revoked.
//!
//! [`Registry`] applies rosters and admits statements: a statement is accepted only if it is
//! canonical, within the schema, signed by a registered, unrevoked key whose name equals the
//! statement's sensor, whose role allows the statement's kind and whose site matches, and if
//! its sequence number is above the last accepted one for that sensor (no replays).

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::keys::{Key, open_note, peek_note, sign_note, vkey_name};
use crate::sigcheck::Signed;
use crate::statement::{Body, NoticeKind, Statement, hex, valid_id};

/// Schema identifier of a roster.
pub const ROSTER_SCHEMA: &str = "shieldwatch/roster/v1";

/// A signer's role; it decides which statement kind the key may sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Signs radar telemetry.
    RadarSensor,
    /// Signs silo telemetry.
    SiloSensor,
    /// Signs inspection reports.
    Inspector,
    /// Signs notifications for its party (and countersigns activation triggers).
    Operator,
}

impl Role {
    /// The statement kind this role signs.
    pub fn kind(self) -> &'static str {
        match self {
            Role::RadarSensor => "radar",
            Role::SiloSensor => "silo",
            Role::Inspector => "inspection",
            Role::Operator => "notice",
        }
    }
}

/// One registered key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRecord {
    /// Key name = the sensor's or inspector's ID.
    pub name: String,
    /// Encoded verifier key (`<name>+<hex id>+<base64>`).
    pub vkey: String,
    /// What it may sign.
    pub role: Role,
    /// Site it may sign for, or `*` for any site (inspectors).
    pub site: String,
    /// The party that holds the key (`host`, `inspecting`).
    pub party: String,
    /// Revoked keys sign nothing from this roster version on.
    pub revoked: bool,
    /// For a silo sensor: the one silo (numbered from 1 at its site) it reports on. A reading
    /// about another silo is refused (so a site's silo count is the number of silo sensors
    /// registered for it). Absent: any silo number from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silo: Option<u32>,
}

/// A version of the key roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    /// Always [`ROSTER_SCHEMA`].
    pub schema: String,
    /// Version, from 1, increasing by 1.
    pub version: u64,
    /// Lowercase hex SHA-256 of the previous version's log entry (empty for version 1).
    pub previous: String,
    /// Issue time, Unix ms.
    pub issued_ms: i64,
    /// Verifier keys that must all sign the next version.
    pub authorities: Vec<String>,
    /// Registered keys.
    pub keys: Vec<KeyRecord>,
}

impl Roster {
    /// The canonical JSON (without newline).
    ///
    /// # Errors
    ///
    /// [`Error::Roster`] if serialisation fails (it cannot for this type; the error is still
    /// passed on, never turned into empty bytes).
    pub fn canonical(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| Error::Roster(format!("encoding a roster: {e}")))
    }

    /// Checks names, roles and uniqueness.
    ///
    /// # Errors
    ///
    /// [`Error::Roster`] naming the problem.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Roster(m));
        if self.schema != ROSTER_SCHEMA {
            return bad(format!("schema {:?}, expected {ROSTER_SCHEMA:?}", self.schema));
        }
        if self.version == 0 {
            return bad("version starts at 1".into());
        }
        if self.authorities.is_empty() {
            return bad("no authorities to sign the next version".into());
        }
        for a in &self.authorities {
            vkey_name(a).map_err(|e| Error::Roster(format!("authority {a:?}: {e}")))?;
        }
        let mut seen = BTreeSet::new();
        for k in &self.keys {
            let name = vkey_name(&k.vkey).map_err(|e| Error::Roster(format!("key {:?}: {e}", k.name)))?;
            if name != k.name {
                return bad(format!("key {:?} has a verifier key named {name:?}", k.name));
            }
            if !(k.site == "*" || valid_id(&k.site)) || !valid_id(&k.party) {
                return bad(format!(
                    "key {:?}: site and party must be [a-z0-9-] (site may be *)",
                    k.name
                ));
            }
            if !seen.insert(&k.vkey) {
                return bad(format!("key {:?} listed twice", k.name));
            }
            match (k.role, k.silo) {
                (Role::SiloSensor, Some(0)) => {
                    return bad(format!("key {:?}: silo numbers start at 1", k.name));
                }
                (Role::SiloSensor, _) | (_, None) => {}
                (_, Some(_)) => {
                    return bad(format!("key {:?}: only a silo sensor has a silo", k.name));
                }
            }
        }
        Ok(())
    }

    /// Signs this roster with `authorities` (all the keys the previous version requires, or
    /// the trust anchors for version 1); returns the log entry.
    ///
    /// # Errors
    ///
    /// [`Error::Roster`] if the roster is invalid.
    pub fn sign(&self, authorities: &[&Key]) -> Result<Vec<u8>> {
        self.validate()?;
        let mut text = self.canonical()?;
        text.push(b'\n');
        sign_note(&text, authorities)
    }

    /// The unrevoked record for key name `name`, if any; revoked records are returned as
    /// `Err(record)` so callers can say "revoked" rather than "unknown".
    pub fn lookup(&self, name: &str) -> Option<std::result::Result<&KeyRecord, &KeyRecord>> {
        let mut revoked = None;
        for k in self.keys.iter().filter(|k| k.name == name) {
            if !k.revoked {
                return Some(Ok(k));
            }
            revoked = Some(k);
        }
        revoked.map(Err)
    }
}

/// The statement a log entry's text (its signed note's text) holds, parsed as
/// [`Registry::check`] parses it: `None` if it does not parse, is a roster or not a statement
/// (then `check` names the problem).
pub(crate) fn statement_of_text(text: &[u8]) -> Option<Statement> {
    // One parse: a statement's schema is checked by `Statement::validate` (a roster's text
    // never parses as a statement), so reading the schema first would change nothing.
    Statement::from_text(text).ok()
}

/// Schema of a log entry, read from its text before full decoding.
#[derive(Deserialize)]
struct SchemaOnly {
    schema: String,
}

/// A log entry that passed admission.
#[derive(Debug, Clone, PartialEq)]
pub enum Admitted {
    /// A new roster version.
    Roster(Roster),
    /// A statement, with the parties whose registered operator keys also signed it
    /// (a trigger counts only with two parties' signatures).
    Statement {
        /// The statement.
        statement: Statement,
        /// Parties whose unrevoked keys signed this note, sorted.
        parties: Vec<String>,
    },
}

/// Per-sensor state: last accepted sequence number and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorState {
    /// Last accepted sequence number.
    pub seq: u64,
    /// Its time, Unix ms.
    pub time_ms: i64,
}

/// Admission control: the current roster and per-sensor sequence state.
#[derive(Debug, Clone)]
pub struct Registry {
    anchors: Vec<String>,
    roster: Option<(Roster, String)>,
    /// `foldhash`: a name is added only once its statement is admitted, so only registered
    /// names (the roster's, signed by its authorities) are ever keys.
    sensors: HashMap<String, SensorState, foldhash::fast::RandomState>,
}

/// SHA-256 of a log entry, lowercase hex (how rosters chain).
pub fn entry_hash(entry: &[u8]) -> String {
    hex(&Sha256::digest(entry))
}

impl Registry {
    /// A registry with no roster yet; roster version 1 must be signed by all `anchors`
    /// (encoded verifier keys).
    ///
    /// # Errors
    ///
    /// [`Error::Roster`] if there is no anchor or one is malformed.
    pub fn new(anchors: Vec<String>) -> Result<Self> {
        if anchors.is_empty() {
            return Err(Error::Roster("at least one trust anchor is needed".into()));
        }
        for a in &anchors {
            vkey_name(a).map_err(|e| Error::Roster(format!("trust anchor {a:?}: {e}")))?;
        }
        Ok(Self {
            anchors,
            roster: None,
            sensors: HashMap::default(),
        })
    }

    /// The roster in force, if any.
    pub fn roster(&self) -> Option<&Roster> {
        self.roster.as_ref().map(|(r, _)| r)
    }

    /// The roster in force and the SHA-256 (lowercase hex) of its log entry, if any.
    pub fn roster_with_hash(&self) -> Option<(&Roster, &str)> {
        self.roster.as_ref().map(|(r, h)| (r, h.as_str()))
    }

    /// Last accepted state of `sensor`.
    pub fn sensor(&self, sensor: &str) -> Option<SensorState> {
        self.sensors.get(sensor).copied()
    }

    /// Checks an entry without changing state.
    ///
    /// # Errors
    ///
    /// The reason it must not be logged: malformed, schema violation, unknown or revoked key,
    /// wrong role or site, bad signature, replay, or a roster that does not chain.
    pub fn check(&self, entry: &[u8]) -> Result<Admitted> {
        self.check_signed(entry, None)
    }

    /// [`Registry::check`], with the statement's signatures already checked by
    /// [`crate::sigcheck::check_signatures`]: `signed` is used only if it was computed for the
    /// roster in force (otherwise, or when `None`, the signatures are checked here). The result
    /// is the same as [`Registry::check`]'s.
    ///
    /// # Errors
    ///
    /// As [`Registry::check`].
    pub fn check_signed(&self, entry: &[u8], signed: Option<&Signed>) -> Result<Admitted> {
        // A statement parsed ahead with its signatures (for the roster in force): the same
        // text would parse to the same statement here.
        if let Some((_, hash)) = &self.roster
            && let Some(statement) = signed.and_then(|s| s.statement_for(hash))
        {
            return self.check_parsed(entry, statement.clone(), signed);
        }
        let (text, _) = peek_note(entry)?;
        let json = text.strip_suffix(b"\n").unwrap_or(&text);
        let schema: SchemaOnly = serde_json::from_slice(json)
            .map_err(|e| Error::Malformed(format!("entry text is not a JSON object with a schema: {e}")))?;
        if schema.schema == ROSTER_SCHEMA {
            self.check_roster(entry, &text).map(Admitted::Roster)
        } else {
            self.check_statement(entry, &text, signed)
        }
    }

    fn check_roster(&self, entry: &[u8], text: &[u8]) -> Result<Roster> {
        let json = text.strip_suffix(b"\n").unwrap_or(text);
        let roster: Roster = serde_json::from_slice(json).map_err(|e| Error::Roster(e.to_string()))?;
        roster.validate()?;
        if roster.canonical()? != json {
            return Err(Error::Malformed("roster is not in canonical encoding".into()));
        }
        let (required, version, previous) = match &self.roster {
            None => (&self.anchors, 1, String::new()),
            Some((r, h)) => (&r.authorities, r.version + 1, h.clone()),
        };
        if roster.version != version {
            return Err(Error::Roster(format!(
                "version {}, expected {version}",
                roster.version
            )));
        }
        if roster.previous != previous {
            return Err(Error::Roster(format!(
                "previous {:?} does not name the roster in force ({previous:?})",
                roster.previous
            )));
        }
        let vkeys: Vec<&str> = required.iter().map(String::as_str).collect();
        let (_, signed) = open_note(entry, &vkeys)?;
        for a in required {
            let name = vkey_name(a)?;
            if !signed.contains(&name) {
                return Err(Error::Roster(format!(
                    "not signed by required authority {name:?}"
                )));
            }
        }
        Ok(roster)
    }

    fn check_statement(&self, entry: &[u8], text: &[u8], pre: Option<&Signed>) -> Result<Admitted> {
        self.check_parsed(entry, Statement::from_text(text)?, pre)
    }

    /// [`Registry::check_statement`] once the entry's text has parsed as `statement`.
    fn check_parsed(&self, entry: &[u8], statement: Statement, pre: Option<&Signed>) -> Result<Admitted> {
        let mut parties: Vec<String> = Vec::new();
        self.check_statement_with(entry, &statement, pre, |p| parties.push(p.to_owned()))?;
        parties.sort();
        parties.dedup();
        Ok(Admitted::Statement { statement, parties })
    }

    /// [`Registry::check_signed`] for a statement parsed ahead with its signatures (`signed`,
    /// computed for the roster in force, which holds `statement`): the same checks and errors,
    /// but the statement is borrowed and the parties are only counted. Returns how many distinct
    /// parties signed (what [`Admitted::Statement`]'s `parties` would hold).
    pub(crate) fn check_prepared(
        &self,
        entry: &[u8],
        statement: &Statement,
        signed: &Signed,
    ) -> Result<usize> {
        // Most statements have one or two signers: their parties are kept without a vector.
        let mut parties: smallvec::SmallVec<[&str; 4]> = smallvec::SmallVec::new();
        self.check_statement_with(entry, statement, Some(signed), |p| {
            if !parties.contains(&p) {
                parties.push(p);
            }
        })?;
        Ok(parties.len())
    }

    /// The checks of a parsed statement ([`Registry::check_statement`]); each party one of
    /// whose keys signed it, in signature order, repeats included, is given to `party`.
    fn check_statement_with<'r>(
        &'r self,
        entry: &[u8],
        statement: &Statement,
        pre: Option<&Signed>,
        party: impl FnMut(&'r str),
    ) -> Result<()> {
        let Some((roster, roster_hash)) = &self.roster else {
            return Err(Error::UnknownKey(format!(
                "no roster is in force, so key {:?} is not registered",
                statement.sensor
            )));
        };
        let record = match roster.lookup(&statement.sensor) {
            None => {
                return Err(Error::UnknownKey(format!(
                    "{:?} is not in roster version {}",
                    statement.sensor, roster.version
                )));
            }
            Some(Err(_)) => {
                return Err(Error::RevokedKey(format!(
                    "{:?} is revoked in roster version {}",
                    statement.sensor, roster.version
                )));
            }
            Some(Ok(r)) => r,
        };
        if record.role.kind() != statement.kind() {
            return Err(Error::NotAuthorised(format!(
                "{:?} is registered as {:?} and cannot sign {} statements",
                record.name,
                record.role,
                statement.kind()
            )));
        }
        if record.site != "*" && record.site != statement.site {
            return Err(Error::NotAuthorised(format!(
                "{:?} is registered for site {:?}, not {:?}",
                record.name, record.site, statement.site
            )));
        }
        if let (Body::Silo(reading), Some(silo)) = (&statement.body, record.silo)
            && reading.silo != silo
        {
            return Err(Error::Schema(format!(
                "silo.silo {}: {:?} is registered for silo {silo} of site {:?}",
                reading.silo, record.name, record.site
            )));
        }
        // Verify under every unrevoked roster key: the sensor's own signature is required;
        // further signatures by other parties' operators count as countersignatures. The names
        // checked ahead are borrowed (no copy per entry).
        match pre.and_then(|p| p.names_for(roster_hash)) {
            Some(names) => self.signers_checked(roster, statement, names, party),
            None => {
                let vkeys: Vec<&str> = roster
                    .keys
                    .iter()
                    .filter(|k| !k.revoked)
                    .map(|k| k.vkey.as_str())
                    .collect();
                self.signers_checked(roster, statement, &open_note(entry, &vkeys)?.1, party)
            }
        }
    }

    /// The checks of a statement's signers `signed` (the names whose signatures verify) and
    /// sequence number; each party is given to `party` as in [`Registry::check_statement_with`].
    fn signers_checked<'r, S: AsRef<str>>(
        &self,
        roster: &'r Roster,
        statement: &Statement,
        signed: &[S],
        mut party: impl FnMut(&'r str),
    ) -> Result<()> {
        if !signed.iter().any(|n| n.as_ref() == statement.sensor) {
            return Err(Error::BadSignature(format!(
                "no valid signature by {:?}",
                statement.sensor
            )));
        }
        if let Some(last) = self.sensors.get(&statement.sensor)
            && statement.seq <= last.seq
        {
            return Err(Error::Replay(format!(
                "{:?} seq {} is not above the last accepted seq {}",
                statement.sensor, statement.seq, last.seq
            )));
        }
        for r in signed
            .iter()
            .filter_map(|n| roster.lookup(n.as_ref()).and_then(|r| r.ok()))
            .filter(|r| r.name == statement.sensor || r.role == Role::Operator)
        {
            party(&r.party);
        }
        Ok(())
    }

    /// Records an admitted entry once it is logged.
    pub fn apply(&mut self, entry: &[u8], admitted: &Admitted) {
        match admitted {
            Admitted::Roster(r) => self.roster = Some((r.clone(), entry_hash(entry))),
            Admitted::Statement { statement, .. } => self.apply_statement(statement),
        }
    }

    /// [`Registry::apply`] for an admitted statement (the sensor's name is copied only for its
    /// first statement).
    pub(crate) fn apply_statement(&mut self, statement: &Statement) {
        let state = SensorState {
            seq: statement.seq,
            time_ms: statement.time_ms,
        };
        match self.sensors.get_mut(&statement.sensor) {
            Some(s) => *s = state,
            None => {
                self.sensors.insert(statement.sensor.clone(), state);
            }
        }
    }

    /// [`Registry::apply`], returning what [`Registry::undo`] needs to take it back (for a
    /// server that reserves a sequence number, then fails to log the entry).
    pub fn apply_undoable(&mut self, entry: &[u8], admitted: &Admitted) -> Undo {
        let undo = match admitted {
            Admitted::Roster(_) => Undo::Roster(self.roster.clone()),
            Admitted::Statement { statement, .. } => Undo::Sensor(
                statement.sensor.clone(),
                self.sensors.get(&statement.sensor).copied(),
            ),
        };
        self.apply(entry, admitted);
        undo
    }

    /// Takes back an [`Registry::apply_undoable`] (the most recent one for that sensor).
    pub fn undo(&mut self, undo: Undo) {
        match undo {
            Undo::Roster(r) => self.roster = r,
            Undo::Sensor(name, Some(state)) => {
                self.sensors.insert(name, state);
            }
            Undo::Sensor(name, None) => {
                self.sensors.remove(&name);
            }
        }
    }

    /// [`Registry::check`] then [`Registry::apply`].
    ///
    /// # Errors
    ///
    /// As [`Registry::check`]; state is unchanged on error.
    pub fn admit(&mut self, entry: &[u8]) -> Result<Admitted> {
        let a = self.check(entry)?;
        self.apply(entry, &a);
        Ok(a)
    }
}

/// Refuses a statement dated more than `max_ahead_ms` after `now_ms` (the receiver's clock,
/// Unix ms): a sensor clock far ahead (a reading dated 2100) cannot be logged. Rosters and
/// readings dated in the past pass (late delivery is judged by the latency rule).
///
/// # Errors
///
/// [`Error::Clock`] naming how far ahead the statement is.
pub fn check_clock(admitted: &Admitted, now_ms: i64, max_ahead_ms: i64) -> Result<()> {
    if let Admitted::Statement { statement, .. } = admitted
        && statement.time_ms > now_ms.saturating_add(max_ahead_ms)
    {
        return Err(Error::Clock(format!(
            "{:?} seq {} is dated {} s after the log's clock (at most {} s ahead allowed)",
            statement.sensor,
            statement.seq,
            (statement.time_ms - now_ms) / 1000,
            max_ahead_ms / 1000
        )));
    }
    Ok(())
}

/// What [`Registry::undo`] restores.
#[derive(Debug, Clone)]
pub enum Undo {
    /// The roster in force before.
    Roster(Option<(Roster, String)>),
    /// A sensor's state before.
    Sensor(String, Option<SensorState>),
}

/// Whether a notice is an activation trigger countersigned by two parties.
pub fn is_cosigned_trigger(admitted: &Admitted) -> bool {
    matches!(admitted, Admitted::Statement { statement, parties }
        if matches!(&statement.body, Body::Notice(n) if n.notice == NoticeKind::Trigger) && parties.len() >= 2)
}
