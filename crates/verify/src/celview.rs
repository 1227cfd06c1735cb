//! Rule variables built straight from typed values, for the engine's statement rules.
//!
//! [`statement`] gives the CEL value of a statement as rules see it (`s`, `prev`): the value that
//! converting the statement's JSON (`serde_json::to_value`, plus `kind`) to CEL gives, built
//! field by field from the typed [`Statement`] without the JSON in between. Integers are CEL
//! `int`s as in the JSON conversion (an unsigned value above `i64::MAX`, which no valid
//! statement has, becomes a `double` there and here alike). Optional fields are absent when
//! `None`, as serde skips them. `engine` tests compare the two on generated statements.
//!
//! [`StatementVars`] hands the variables of one statement to CEL by reference (a
//! [`VariableResolver`]), so that the values kept between statements (the agreement, the
//! notices, each sensor's previous statement) are not copied for every statement.

use std::collections::HashMap;
use std::sync::Arc;

use cel::Value as Cel;
use cel::common::types::{CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelString};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;

use crate::statement::{
    Body, DoorState, InspectionReport, Notice, NoticeKind, RadarMode, RadarReading, Readiness,
    STATEMENT_SCHEMA, SiloReading, Statement,
};

/// A CEL map from `(key, value)` pairs.
fn map<const N: usize>(fields: [(&str, Cel); N]) -> Cel {
    let m: HashMap<String, Cel> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    m.into()
}

fn string(s: &str) -> Cel {
    Cel::String(Arc::new(s.to_owned()))
}

/// An unsigned integer as the JSON conversion gives it: `int` if it fits, else `double`.
pub(crate) fn unsigned(v: u64) -> Cel {
    match i64::try_from(v) {
        Ok(i) => Cel::Int(i),
        // As serde_json's `as_f64` of a `u64` (the conversion the rules used to see).
        #[allow(clippy::cast_precision_loss)]
        Err(_) => Cel::Float(v as f64),
    }
}

pub(crate) fn radar_mode(m: RadarMode) -> &'static str {
    match m {
        RadarMode::Standby => "standby",
        RadarMode::Search => "search",
        RadarMode::Track => "track",
        RadarMode::Calibration => "calibration",
    }
}

pub(crate) fn door(d: DoorState) -> &'static str {
    match d {
        DoorState::Closed => "closed",
        DoorState::Moving => "moving",
        DoorState::Open => "open",
    }
}

pub(crate) fn readiness(r: Readiness) -> &'static str {
    match r {
        Readiness::Inactive => "inactive",
        Readiness::Active => "active",
    }
}

/// The serde name of a notice kind.
pub(crate) fn notice_kind(k: NoticeKind) -> &'static str {
    match k {
        NoticeKind::Maintenance => "maintenance",
        NoticeKind::Radiate => "radiate",
        NoticeKind::TestLaunch => "test_launch",
        NoticeKind::Change => "change",
        NoticeKind::Trigger => "trigger",
    }
}

fn radar(r: &RadarReading) -> Cel {
    map([
        ("transmitting", Cel::Bool(r.transmitting)),
        ("mode", string(radar_mode(r.mode))),
        ("sector_bin", Cel::Int(i64::from(r.sector_bin))),
        ("power_class", Cel::Int(i64::from(r.power_class))),
        ("pointing", string(&r.pointing.0)),
    ])
}

fn silo(s: &SiloReading) -> Cel {
    let mut m: HashMap<String, Cel> = HashMap::with_capacity(7);
    m.insert("silo".into(), Cel::Int(i64::from(s.silo)));
    m.insert("door".into(), string(door(s.door)));
    m.insert("interceptor_present".into(), Cel::Bool(s.interceptor_present));
    m.insert("readiness".into(), string(readiness(s.readiness)));
    m.insert("seal_intact".into(), Cel::Bool(s.seal_intact));
    m.insert("tamper".into(), Cel::Bool(s.tamper));
    if let Some(c) = &s.serial {
        m.insert("serial".into(), string(&c.0));
    }
    m.into()
}

fn inspection(r: &InspectionReport) -> Cel {
    let findings: Vec<Cel> = r
        .findings
        .iter()
        .map(|f| map([("code", string(&f.code)), ("text", string(&f.text))]))
        .collect();
    let attachments: Vec<Cel> = r
        .attachments
        .iter()
        .map(|a| map([("name", string(&a.name)), ("sha256", string(&a.sha256))]))
        .collect();
    map([
        ("visit", string(&r.visit)),
        ("requested_ms", Cel::Int(r.requested_ms)),
        ("granted_ms", Cel::Int(r.granted_ms)),
        (
            "interceptors_counted",
            Cel::Int(i64::from(r.interceptors_counted)),
        ),
        ("findings", Cel::List(Arc::new(findings))),
        ("attachments", Cel::List(Arc::new(attachments))),
    ])
}

fn notice(n: &Notice) -> Cel {
    map([
        ("notice", string(notice_kind(n.notice))),
        ("from_ms", Cel::Int(n.from_ms)),
        ("to_ms", Cel::Int(n.to_ms)),
        ("subject", string(&n.subject)),
    ])
}

/// A statement as rules see it (`s`): its fields, `body.<kind>.<field>` and `kind`.
pub fn statement(st: &Statement) -> Cel {
    let body = match &st.body {
        Body::Radar(r) => map([("radar", radar(r))]),
        Body::Silo(s) => map([("silo", silo(s))]),
        Body::Inspection(r) => map([("inspection", inspection(r))]),
        Body::Notice(n) => map([("notice", notice(n))]),
    };
    map([
        ("schema", string(&st.schema)),
        ("sensor", string(&st.sensor)),
        ("site", string(&st.site)),
        ("seq", unsigned(st.seq)),
        ("time_ms", Cel::Int(st.time_ms)),
        ("clock_ok", Cel::Bool(st.clock_ok)),
        ("body", body),
        ("kind", string(st.kind())),
    ])
}

/// A notice as rules see it in `notices`: the notice's fields plus the statement's `site`,
/// `time_ms` and whether it was `cosigned` (two parties or more).
pub fn notice_entry(st: &Statement, n: &Notice, cosigned: bool) -> Cel {
    map([
        ("notice", string(notice_kind(n.notice))),
        ("from_ms", Cel::Int(n.from_ms)),
        ("to_ms", Cel::Int(n.to_ms)),
        ("subject", string(&n.subject)),
        ("site", string(&st.site)),
        ("time_ms", Cel::Int(st.time_ms)),
        ("cosigned", Cel::Bool(cosigned)),
    ])
}

/// A map of the interpreter's values with static keys (no key is copied).
fn vmap<const N: usize>(fields: [(&'static str, Box<dyn Val>); N]) -> Box<dyn Val> {
    let m: HashMap<CelMapKey<'static>, Box<dyn Val>> =
        fields.into_iter().map(|(k, v)| (CelMapKey::from(k), v)).collect();
    Box::new(CelMap::from(m))
}

fn vstr(s: &str) -> Box<dyn Val> {
    Box::new(CelString::from(s.to_owned()))
}

/// A string the program holds for good (a kind, a mode, the schema), lent to the interpreter:
/// no copy per statement.
fn vstatic(s: &'static str) -> Box<dyn Val> {
    Box::new(CelString::from(s))
}

fn vint(i: i64) -> Box<dyn Val> {
    Box::new(CelInt::from(i))
}

fn vbool(b: bool) -> Box<dyn Val> {
    Box::new(CelBool::from(b))
}

/// [`unsigned`], as the interpreter holds it.
fn vunsigned(v: u64) -> Box<dyn Val> {
    match i64::try_from(v) {
        Ok(i) => vint(i),
        #[allow(clippy::cast_precision_loss)]
        Err(_) => Box::new(CelDouble::from(v as f64)),
    }
}

fn vbody(body: &Body) -> Box<dyn Val> {
    match body {
        Body::Radar(r) => vmap([(
            "radar",
            vmap([
                ("transmitting", vbool(r.transmitting)),
                ("mode", vstatic(radar_mode(r.mode))),
                ("sector_bin", vint(i64::from(r.sector_bin))),
                ("power_class", vint(i64::from(r.power_class))),
                ("pointing", vstr(&r.pointing.0)),
            ]),
        )]),
        Body::Silo(s) => {
            let mut m: HashMap<CelMapKey<'static>, Box<dyn Val>> = HashMap::with_capacity(7);
            m.insert("silo".into(), vint(i64::from(s.silo)));
            m.insert("door".into(), vstatic(door(s.door)));
            m.insert("interceptor_present".into(), vbool(s.interceptor_present));
            m.insert("readiness".into(), vstatic(readiness(s.readiness)));
            m.insert("seal_intact".into(), vbool(s.seal_intact));
            m.insert("tamper".into(), vbool(s.tamper));
            if let Some(c) = &s.serial {
                m.insert("serial".into(), vstr(&c.0));
            }
            vmap([("silo", Box::new(CelMap::from(m)))])
        }
        Body::Inspection(r) => {
            let findings: Vec<Box<dyn Val>> = r
                .findings
                .iter()
                .map(|f| vmap([("code", vstr(&f.code)), ("text", vstr(&f.text))]))
                .collect();
            let attachments: Vec<Box<dyn Val>> = r
                .attachments
                .iter()
                .map(|a| vmap([("name", vstr(&a.name)), ("sha256", vstr(&a.sha256))]))
                .collect();
            vmap([(
                "inspection",
                vmap([
                    ("visit", vstr(&r.visit)),
                    ("requested_ms", vint(r.requested_ms)),
                    ("granted_ms", vint(r.granted_ms)),
                    ("interceptors_counted", vint(i64::from(r.interceptors_counted))),
                    ("findings", Box::new(CelList::from(findings))),
                    ("attachments", Box::new(CelList::from(attachments))),
                ]),
            )])
        }
        Body::Notice(n) => vmap([(
            "notice",
            vmap([
                ("notice", vstatic(notice_kind(n.notice))),
                ("from_ms", vint(n.from_ms)),
                ("to_ms", vint(n.to_ms)),
                ("subject", vstr(&n.subject)),
            ]),
        )]),
    }
}

/// [`statement`] built straight as the interpreter holds it: what `val(statement(st))` gives,
/// without the [`Cel`] value in between (half the allocations).
pub fn statement_val(st: &Statement) -> Box<dyn Val> {
    vmap([
        (
            "schema",
            if st.schema == STATEMENT_SCHEMA {
                vstatic(STATEMENT_SCHEMA)
            } else {
                vstr(&st.schema)
            },
        ),
        ("sensor", vstr(&st.sensor)),
        ("site", vstr(&st.site)),
        ("seq", vunsigned(st.seq)),
        ("time_ms", vint(st.time_ms)),
        ("clock_ok", vbool(st.clock_ok)),
        ("body", vbody(&st.body)),
        ("kind", vstatic(st.kind())),
    ])
}

/// A CEL value as the interpreter holds a variable.
///
/// # Errors
///
/// The interpreter's, for a value it cannot hold (none of those built here).
pub fn val(v: Cel) -> Result<Box<dyn Val>, cel::ExecutionError> {
    v.try_into()
}

/// The variables of one statement's rules, lent to CEL without copies.
pub struct StatementVars<'a> {
    /// `s`.
    pub s: &'a dyn Val,
    /// `prev` (`{}` without a previous statement).
    pub prev: &'a dyn Val,
    /// `has_prev`.
    pub has_prev: &'a dyn Val,
    /// `notices`.
    pub notices: &'a dyn Val,
    /// `state`.
    pub state: &'a dyn Val,
    /// `agreement`.
    pub agreement: &'a dyn Val,
}

impl VariableResolver for StatementVars<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let v = match variable {
            "s" => self.s,
            "prev" => self.prev,
            "has_prev" => self.has_prev,
            "notices" => self.notices,
            "state" => self.state,
            "agreement" => self.agreement,
            _ => return None,
        };
        Some(CowVal::Borrowed(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statement::{Attachment, Commitment, Finding};

    /// The CEL value of a statement's JSON plus `kind`, as the straightforward engine builds it.
    fn via_json(st: &Statement) -> Cel {
        let mut v = serde_json::to_value(st).unwrap();
        v.as_object_mut().unwrap().insert("kind".into(), st.kind().into());
        crate::rules::to_cel(&v)
    }

    fn statement_with(seq: u64, body: Body) -> Statement {
        Statement {
            schema: STATEMENT_SCHEMA.into(),
            sensor: "redzikowo-silo-01".into(),
            site: "redzikowo".into(),
            seq,
            time_ms: 1_767_225_600_000,
            clock_ok: false,
            body,
        }
    }

    #[test]
    fn typed_values_equal_the_json_conversion_for_every_kind_of_statement() {
        let c = |s: &str| Commitment(s.into());
        let mut bodies = vec![];
        for mode in [
            RadarMode::Standby,
            RadarMode::Search,
            RadarMode::Track,
            RadarMode::Calibration,
        ] {
            bodies.push(Body::Radar(RadarReading {
                transmitting: true,
                mode,
                sector_bin: 35,
                power_class: 3,
                pointing: c("ab12"),
            }));
        }
        for (door, readiness, serial) in [
            (DoorState::Closed, Readiness::Inactive, None),
            (DoorState::Moving, Readiness::Active, Some(c("ff00"))),
            (DoorState::Open, Readiness::Active, Some(c("00ff"))),
        ] {
            bodies.push(Body::Silo(SiloReading {
                silo: 7,
                door,
                interceptor_present: serial.is_some(),
                readiness,
                seal_intact: false,
                tamper: true,
                serial,
            }));
        }
        bodies.push(Body::Inspection(InspectionReport {
            visit: "v-1".into(),
            requested_ms: 5,
            granted_ms: -6,
            interceptors_counted: 10,
            findings: vec![
                Finding {
                    code: "seal-ok".into(),
                    text: "fine".into(),
                },
                Finding {
                    code: "count-mismatch".into(),
                    text: "\"11\"".into(),
                },
            ],
            attachments: vec![Attachment {
                name: "a.jpg".into(),
                sha256: "00".into(),
            }],
        }));
        for notice in [
            NoticeKind::Maintenance,
            NoticeKind::Radiate,
            NoticeKind::TestLaunch,
            NoticeKind::Change,
            NoticeKind::Trigger,
        ] {
            bodies.push(Body::Notice(Notice {
                notice,
                from_ms: 1,
                to_ms: i64::MAX,
                subject: "silo-3".into(),
            }));
        }
        for body in bodies {
            // An unsigned value past i64::MAX is a double in both.
            for seq in [1, u64::MAX] {
                let st = statement_with(seq, body.clone());
                assert_eq!(statement(&st), via_json(&st), "{st:?}");
                let direct = statement_val(&st);
                let converted = val(statement(&st)).unwrap();
                assert!(
                    direct.equals(converted.as_ref()) && converted.equals(direct.as_ref()),
                    "{st:?}: {direct:?} against {converted:?}"
                );
                if let Body::Notice(n) = &st.body {
                    for cosigned in [false, true] {
                        let mut j = serde_json::to_value(n).unwrap();
                        let o = j.as_object_mut().unwrap();
                        o.insert("site".into(), st.site.clone().into());
                        o.insert("time_ms".into(), st.time_ms.into());
                        o.insert("cosigned".into(), cosigned.into());
                        assert_eq!(notice_entry(&st, n, cosigned), crate::rules::to_cel(&j));
                    }
                }
            }
        }
    }
}
