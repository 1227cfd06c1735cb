//! A simulated deployment: deterministic keys, a roster, and realistic telemetry from an
//! interceptor site's silos, a radar and inspectors, with injectable faults and violations.
//! Used by `shieldwatch simulate`, by the tests and for demonstrations.
//!
//! Normal behaviour: every silo reports every `period_ms` (interceptor present, inactive, door
//! closed, sealed); the radar reports every `period_ms`, radiating in search mode within the
//! daily notified window (06:00–22:00 UTC) in the agreed sector bins and in standby outside it;
//! the host operator notifies each day's radiation window and a maintenance window in advance;
//! an inspector visits every `inspection_every_ms`, granted access within 2 h.
//!
//! Site names and the number of silos come from the caller (the CLI takes them from the
//! capability scenario), so this module knows nothing of the physics crates.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::keys::Key;
use crate::roster::{KeyRecord, ROSTER_SCHEMA, Role, Roster};
use crate::statement::{
    Attachment, Body, Commitment, DoorState, Finding, InspectionReport, Notice, NoticeKind, RadarMode,
    RadarReading, Readiness, Reveal, STATEMENT_SCHEMA, SiloReading, Statement, hex,
};

/// One hour in ms.
pub const HOUR_MS: i64 = 3_600_000;

/// A fault or violation to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The radar transmits in bin 30 (300°, toward Russia) for one reading.
    RadarOutsideSector,
    /// The radar radiates outside the notified window for one reading.
    RadarOutsideWindow,
    /// An extra interceptor appears in an undeclared silo (beyond the agreed number).
    ExtraInterceptor,
    /// A silo's tamper flag fires outside any maintenance window.
    TamperOutsideMaintenance,
    /// Silo 1 withholds three readings (a sequence gap).
    Gap,
    /// Silo 2's previous reading is submitted again.
    Replay,
    /// A reading for silo 3 signed with a key not in the roster.
    ForgedSignature,
    /// Silo 4's reading is dated an hour before its previous one.
    ClockJump,
    /// Silo 5's reading carries a field outside the agreed schema.
    OverCollection,
}

impl Fault {
    /// Every fault, with its command-line name.
    pub const ALL: [(&'static str, Fault); 9] = [
        ("radar-outside-sector", Fault::RadarOutsideSector),
        ("radar-outside-window", Fault::RadarOutsideWindow),
        ("extra-interceptor", Fault::ExtraInterceptor),
        ("tamper-outside-maintenance", Fault::TamperOutsideMaintenance),
        ("gap", Fault::Gap),
        ("replay", Fault::Replay),
        ("forged-signature", Fault::ForgedSignature),
        ("clock-jump", Fault::ClockJump),
        ("over-collection", Fault::OverCollection),
    ];

    /// Parses `NAME@HH:MM` (offset from the start of the simulation).
    ///
    /// # Errors
    ///
    /// [`crate::Error::Schema`] naming the valid fault names or the bad time.
    pub fn parse_at(s: &str) -> Result<(i64, Fault)> {
        let bad = |m: String| crate::Error::Schema(m);
        let (name, at) = s
            .split_once('@')
            .ok_or_else(|| bad(format!("fault {s:?}: expected NAME@HH:MM")))?;
        let fault = Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                bad(format!(
                    "unknown fault {name:?}; known: {}",
                    Self::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ))
            })?;
        let (h, m) = at
            .split_once(':')
            .and_then(|(h, m)| Some((h.parse::<i64>().ok()?, m.parse::<i64>().ok()?)))
            .filter(|(h, m)| *h >= 0 && (0..60).contains(m))
            .ok_or_else(|| bad(format!("fault time {at:?}: expected HH:MM")))?;
        Ok((h * HOUR_MS + m * 60_000, fault))
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, f)| *f == self).map_or("", |(n, _)| n)
    }
}

/// Simulation settings.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Interceptor site ID.
    pub silo_site: String,
    /// Number of silos (the agreed number of interceptors).
    pub silos: u32,
    /// Radar site ID.
    pub radar_site: String,
    /// Start, Unix ms (should be midnight UTC for the daily windows to line up).
    pub start_ms: i64,
    /// Duration, ms.
    pub duration_ms: i64,
    /// Reporting period of every sensor, ms.
    pub period_ms: i64,
    /// Time between inspections, ms.
    pub inspection_every_ms: i64,
    /// Faults: (time offset from start in ms, fault).
    pub faults: Vec<(i64, Fault)>,
    /// Seed for keys and salts.
    pub seed: u64,
}

impl SimConfig {
    /// One day for the europe-2008 sites (Redzikowo, 10 silos; Brdy radar), 5-minute period.
    pub fn europe_2008_day(start_ms: i64) -> Self {
        Self {
            silo_site: "redzikowo".into(),
            silos: 10,
            radar_site: "brdy".into(),
            start_ms,
            duration_ms: 24 * HOUR_MS,
            period_ms: 5 * 60_000,
            inspection_every_ms: 8 * HOUR_MS,
            faults: Vec::new(),
            seed: 2008,
        }
    }
}

/// The deployment's keys and roster.
#[derive(Debug)]
pub struct Deployment {
    /// Roster authorities (one per party); roster version 1 is signed by both.
    pub authorities: Vec<Key>,
    /// Every registered signing key, by name.
    pub keys: BTreeMap<String, Key>,
    /// Roster version 1 as a log entry.
    pub roster_entry: Vec<u8>,
    /// The roster.
    pub roster: Roster,
}

fn seed_for(seed: u64, name: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed.to_be_bytes());
    h.update(name.as_bytes());
    h.finalize().into()
}

/// Name of silo `n`'s sensor.
pub fn silo_sensor(site: &str, n: u32) -> String {
    format!("{site}-silo-{n:02}")
}

/// Name of the radar's sensor.
pub fn radar_sensor(site: &str) -> String {
    format!("{site}-radar")
}

impl Deployment {
    /// Keys derived from `cfg.seed`; roster v1 lists the radar, `cfg.silos` silos plus one
    /// spare (registered, as a new silo would be, so an extra interceptor is *reported*, not
    /// hidden), each silo sensor bound to its silo number, an inspector and both parties'
    /// operators.
    ///
    /// # Errors
    ///
    /// Only if a configured site name is not a valid key name.
    pub fn new(cfg: &SimConfig) -> Result<Self> {
        let key = |name: &str| Key::from_seed(name, seed_for(cfg.seed, name));
        let authorities = vec![key("host-authority")?, key("inspecting-authority")?];
        let mut keys = BTreeMap::new();
        let mut records = Vec::new();
        let mut add = |name: String, role: Role, site: &str, party: &str, silo: Option<u32>| -> Result<()> {
            let k = key(&name)?;
            records.push(KeyRecord {
                name: name.clone(),
                vkey: k.vkey().to_owned(),
                role,
                site: site.to_owned(),
                party: party.to_owned(),
                revoked: false,
                silo,
            });
            keys.insert(name, k);
            Ok(())
        };
        add(
            radar_sensor(&cfg.radar_site),
            Role::RadarSensor,
            &cfg.radar_site,
            "host",
            None,
        )?;
        for n in 1..=cfg.silos + 1 {
            add(
                silo_sensor(&cfg.silo_site, n),
                Role::SiloSensor,
                &cfg.silo_site,
                "host",
                Some(n),
            )?;
        }
        add("inspector-1".into(), Role::Inspector, "*", "inspecting", None)?;
        add("host-operator".into(), Role::Operator, "*", "host", None)?;
        add(
            "inspecting-operator".into(),
            Role::Operator,
            "*",
            "inspecting",
            None,
        )?;
        let roster = Roster {
            schema: ROSTER_SCHEMA.into(),
            version: 1,
            previous: String::new(),
            issued_ms: cfg.start_ms,
            authorities: authorities.iter().map(|a| a.vkey().to_owned()).collect(),
            keys: records,
        };
        let refs: Vec<&Key> = authorities.iter().collect();
        let roster_entry = roster.sign(&refs)?;
        Ok(Self {
            authorities,
            keys,
            roster_entry,
            roster,
        })
    }

    /// Trust anchors (the authorities' verifier keys).
    pub fn anchors(&self) -> Vec<String> {
        self.authorities.iter().map(|k| k.vkey().to_owned()).collect()
    }
}

/// One simulated submission.
#[derive(Debug, Clone)]
pub struct Event {
    /// Simulated time of submission, Unix ms.
    pub time_ms: i64,
    /// The log entry.
    pub entry: Vec<u8>,
    /// The fault this entry injects, if any.
    pub fault: Option<Fault>,
    /// Salts and values behind the entry's sealed fields (kept by the sensor for disputes).
    pub reveals: Vec<Reveal>,
}

struct Gen<'a> {
    dep: &'a Deployment,
    seq: BTreeMap<String, u64>,
    last: BTreeMap<String, Statement>,
    out: Vec<Event>,
    salt_counter: u64,
    seed: u64,
    reveals: Vec<Reveal>,
}

impl Gen<'_> {
    /// Seals `value` of `field` with a fresh deterministic salt, remembering the reveal for
    /// the next emitted entry.
    fn seal(&mut self, field: &str, value: &str) -> Commitment {
        self.salt_counter += 1;
        let salt = seed_for(self.seed, &format!("salt-{}", self.salt_counter));
        self.reveals.push(Reveal {
            field: field.into(),
            value: value.into(),
            salt: hex(&salt),
        });
        Commitment::new(field, value, &salt)
    }

    fn emit(&mut self, sensor: &str, site: &str, t: i64, body: Body, fault: Option<Fault>) -> Result<()> {
        let seq = self.seq.entry(sensor.to_owned()).or_insert(0);
        *seq += 1;
        let st = Statement {
            schema: STATEMENT_SCHEMA.into(),
            sensor: sensor.into(),
            site: site.into(),
            seq: *seq,
            time_ms: t,
            clock_ok: true,
            body,
        };
        if let Some(k) = self.dep.keys.get(sensor) {
            let entry = st.sign(k)?;
            self.out.push(Event {
                time_ms: t,
                entry,
                fault,
                reveals: std::mem::take(&mut self.reveals),
            });
        }
        self.reveals.clear();
        self.last.insert(sensor.to_owned(), st);
        Ok(())
    }
}

/// Generates the telemetry, ordered by time. The roster entry is not included (log it first).
///
/// # Errors
///
/// Only if signing fails (invalid configured names).
pub fn simulate(dep: &Deployment, cfg: &SimConfig) -> Result<Vec<Event>> {
    let mut g = Gen {
        dep,
        seq: BTreeMap::new(),
        last: BTreeMap::new(),
        out: Vec::new(),
        salt_counter: 0,
        seed: cfg.seed,
        reveals: Vec::new(),
    };
    let radar = radar_sensor(&cfg.radar_site);
    let end = cfg.start_ms + cfg.duration_ms;
    let day = 24 * HOUR_MS;
    let mut faults = cfg.faults.clone();
    faults.sort_by_key(|f| f.0);
    let mut faults = faults.into_iter().peekable();

    // Notices for each day: radiation window 06–22 UTC, maintenance 02–03 UTC at the silo site.
    let mut next_notice_day = cfg.start_ms.div_euclid(day) * day;
    let mut next_inspection = cfg.start_ms + cfg.inspection_every_ms / 2;
    let mut visit = 0;
    let mut t = cfg.start_ms;
    while t < end {
        if t >= next_notice_day - HOUR_MS {
            let d = next_notice_day;
            for (notice, from, to, site, subject) in [
                (
                    NoticeKind::Radiate,
                    d + 6 * HOUR_MS,
                    d + 22 * HOUR_MS,
                    cfg.radar_site.as_str(),
                    "radar",
                ),
                (
                    NoticeKind::Maintenance,
                    d + 2 * HOUR_MS,
                    d + 3 * HOUR_MS,
                    cfg.silo_site.as_str(),
                    "silos",
                ),
            ] {
                g.emit(
                    "host-operator",
                    site,
                    t,
                    Body::Notice(Notice {
                        notice,
                        from_ms: from,
                        to_ms: to,
                        subject: subject.into(),
                    }),
                    None,
                )?;
            }
            next_notice_day += day;
        }
        let mut fault_now = Vec::new();
        while let Some((off, f)) = faults.peek().copied() {
            if cfg.start_ms + off <= t {
                fault_now.push(f);
                faults.next();
            } else {
                break;
            }
        }
        // Radar.
        let hour = t.rem_euclid(day) / HOUR_MS;
        let in_window = (6..22).contains(&hour);
        let out_window = fault_now.contains(&Fault::RadarOutsideWindow);
        let out_sector = fault_now.contains(&Fault::RadarOutsideSector);
        let transmitting = in_window || out_window;
        let bin = if out_sector {
            30
        } else {
            10 + ((t / cfg.period_ms) % 4) as u32
        };
        let pointing = g.seal("pointing", &(bin * 10_000 + 5_000).to_string());
        let fault = if out_sector {
            Some(Fault::RadarOutsideSector)
        } else if out_window && !in_window {
            Some(Fault::RadarOutsideWindow)
        } else {
            None
        };
        g.emit(
            &radar,
            &cfg.radar_site,
            t,
            Body::Radar(RadarReading {
                transmitting,
                mode: if transmitting {
                    RadarMode::Search
                } else {
                    RadarMode::Standby
                },
                sector_bin: bin,
                power_class: if transmitting { 2 } else { 0 },
                pointing,
            }),
            fault,
        )?;
        // Silos (the spare one only reports once an extra interceptor appears).
        let extra = fault_now.contains(&Fault::ExtraInterceptor);
        for n in 1..=cfg.silos + 1 {
            let sensor = silo_sensor(&cfg.silo_site, n);
            if n == cfg.silos + 1 && !extra && !g.seq.contains_key(&sensor) {
                continue;
            }
            let serial = g.seal("serial", &format!("GBI-{n:03}"));
            let mut reading = SiloReading {
                silo: n,
                door: DoorState::Closed,
                interceptor_present: true,
                readiness: Readiness::Inactive,
                seal_intact: true,
                tamper: false,
                serial: Some(serial),
            };
            let mut fault = None;
            if n == cfg.silos + 1 && extra {
                fault = Some(Fault::ExtraInterceptor);
            }
            if n == 1 && fault_now.contains(&Fault::TamperOutsideMaintenance) {
                reading.tamper = true;
                fault = Some(Fault::TamperOutsideMaintenance);
            }
            if n == 1 && fault_now.contains(&Fault::Gap) {
                // Three readings are made but withheld: their sequence numbers are used up.
                *g.seq.entry(sensor.clone()).or_insert(0) += 3;
                fault = Some(Fault::Gap);
            }
            if n == 2
                && fault_now.contains(&Fault::Replay)
                && let Some(ev) = g
                    .out
                    .iter()
                    .rev()
                    .find(|e| crate::keys::peek_note(&e.entry).is_ok_and(|(_, n)| n.first() == Some(&sensor)))
                    .cloned()
            {
                g.out.push(Event {
                    time_ms: t,
                    entry: ev.entry,
                    fault: Some(Fault::Replay),
                    reveals: Vec::new(),
                });
            }
            let mut time = t;
            if n == 4 && fault_now.contains(&Fault::ClockJump) {
                time = t - HOUR_MS;
                fault = Some(Fault::ClockJump);
            }
            if n == 3 && fault_now.contains(&Fault::ForgedSignature) {
                // Signed by a key with the right name that is not in the roster.
                let forger = Key::from_seed(&sensor, [0xEE; 32])?;
                let seq = g.seq.get(&sensor).copied().unwrap_or(0) + 1;
                let st = Statement {
                    schema: STATEMENT_SCHEMA.into(),
                    sensor: sensor.clone(),
                    site: cfg.silo_site.clone(),
                    seq,
                    time_ms: t,
                    clock_ok: true,
                    body: Body::Silo(SiloReading {
                        interceptor_present: false,
                        ..reading.clone()
                    }),
                };
                g.out.push(Event {
                    time_ms: t,
                    entry: st.sign(&forger)?,
                    fault: Some(Fault::ForgedSignature),
                    reveals: Vec::new(),
                });
            }
            if n == 5 && fault_now.contains(&Fault::OverCollection) {
                let seq = g.seq.get(&sensor).copied().unwrap_or(0) + 1;
                let st = Statement {
                    schema: STATEMENT_SCHEMA.into(),
                    sensor: sensor.clone(),
                    site: cfg.silo_site.clone(),
                    seq,
                    time_ms: t,
                    clock_ok: true,
                    body: Body::Silo(reading.clone()),
                };
                let json = String::from_utf8_lossy(&st.canonical()?).replacen(
                    "\"clock_ok\"",
                    "\"crew_names\":\"...\",\"clock_ok\"",
                    1,
                );
                // The reading's sealed serial belongs to this entry: its reveal goes with it, not
                // with the next entry emitted.
                let reveals = std::mem::take(&mut g.reveals);
                if let Some(k) = dep.keys.get(&sensor) {
                    g.out.push(Event {
                        time_ms: t,
                        entry: k.sign_note(format!("{json}\n").as_bytes())?,
                        fault: Some(Fault::OverCollection),
                        reveals,
                    });
                }
                continue;
            }
            g.emit(&sensor, &cfg.silo_site, time, Body::Silo(reading), fault)?;
        }
        // Inspections.
        if t >= next_inspection {
            visit += 1;
            let photo = hex(&Sha256::digest(format!("photo-{visit}")));
            g.emit(
                "inspector-1",
                &cfg.silo_site,
                t,
                Body::Inspection(InspectionReport {
                    visit: format!("visit-{visit}"),
                    requested_ms: t - 2 * HOUR_MS,
                    granted_ms: t - HOUR_MS,
                    interceptors_counted: cfg.silos,
                    findings: vec![Finding {
                        code: "seal-ok".into(),
                        text: "all silo seals intact".into(),
                    }],
                    attachments: vec![Attachment {
                        name: format!("visit-{visit}.jpg"),
                        sha256: photo,
                    }],
                }),
                None,
            )?;
            next_inspection += cfg.inspection_every_ms;
        }
        t += cfg.period_ms;
    }
    Ok(g.out)
}
