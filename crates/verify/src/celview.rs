//! Rule variables built straight from typed values, for the engine's statement rules.
//!
//! [`statement`] gives the CEL value of a statement as rules see it (`s`, `prev`): the value that
//! converting the statement's JSON (`serde_json::to_value`, plus `kind`) to CEL gives, built
//! field by field from the typed [`Statement`] without the JSON in between. Integers are CEL
//! `int`s as in the JSON conversion (an unsigned value above `i64::MAX`, which no valid
//! statement has, becomes a `double` there and here alike). Optional fields are absent when
//! `None`, as serde skips them. `engine` tests compare the two on generated statements.
//!
//! What the engine and the signature step lend to rules that read only fields of `s` and `prev`
//! ([`reads_only_fields`]: the agreed rules do) is not that map but `StatementVal`, a `cel`
//! value type that holds the typed statement and answers field selections as that map does, so
//! that nothing is built or dropped per statement beyond what a rule reads (a string field is
//! copied for CEL the first time a rule reads it). Tests hold it to the map on every expression
//! such rules can write, values and errors.
//!
//! [`StatementVars`] hands the variables of one statement to CEL by reference (a
//! [`VariableResolver`]), so that the values kept between statements (the agreement, the
//! notices, each sensor's previous statement) are not copied for every statement.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, OnceLock};

use cel::ExecutionError;
use cel::IdedExpr;
use cel::Value as Cel;
use cel::common::ast::{EntryExpr, Expr};
use cel::common::traits::{Container, Indexer, Iterable, Iterator as CelIterator, Sizer, Zeroer};
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelString, CelUInt, MAP_TYPE, Type,
};
use cel::common::value::{CowVal, StaticVal, Val};
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

/// [`statement`] as rules that [read only fields](reads_only_fields) see it: a record
/// (`StatementVal`) holding a copy of the typed statement, which answers their field selections
/// as `val(statement(st))` does.
pub fn statement_val(st: &Statement) -> Box<dyn Val> {
    Box::new(StatementVal::new(st.clone()))
}

/// A record of fields lent to CEL as a map with string keys ([`RecordVal`]).
pub(crate) trait Record: std::fmt::Debug + Clone + Send + Sync + 'static {
    /// The field names, in schema order, as CEL strings (held for good: iterating over the
    /// keys lends them).
    fn keys(&self) -> &'static [CelString<'static>];
    /// The value of field `i` (of [`Record::keys`]), `None` if the field is absent.
    fn field(&self, i: usize) -> Option<&(dyn Val + 'static)>;
}

/// A CEL map read from a typed [`Record`]: the map [`statement`] would build, with no map
/// built.
///
/// Selecting a field (`.f`, `has()`) behaves as on `cel`'s own map ([`CelMap`]), errors
/// included; so do `[k]`, `in`, `size()`, the comprehensions (over the keys, in schema order:
/// a `CelMap` has none) and equality with a `CelMap` or another record on the left. What `cel`
/// does only for its own maps it does not do for a record: a `CelMap` on the left of `==` is
/// never equal to one, and a record converts to no [`Cel`] value (a rule yielding a map). So
/// records are lent only to rules that [read only fields](reads_only_fields) of `s` and
/// `prev`, where no record is ever anything but selected from; other rule sets get the maps
/// ([`StatementView`]).
#[derive(Debug, Clone)]
pub(crate) struct RecordVal<T> {
    rec: T,
}

impl<T: Record> RecordVal<T> {
    fn of(rec: T) -> Self {
        Self { rec }
    }

    /// The value at `key`, if `key` is one of the record's present fields.
    fn find(&self, key: &dyn Val) -> Option<&(dyn Val + 'static)> {
        let key = key.downcast_ref::<CelString>()?;
        let i = self.rec.keys().iter().position(|k| k.inner() == key.inner())?;
        self.rec.field(i)
    }

    /// The present fields, with their keys.
    fn fields(&self) -> impl Iterator<Item = (&'static CelString<'static>, &(dyn Val + 'static))> {
        self.rec
            .keys()
            .iter()
            .enumerate()
            .filter_map(|(i, k)| self.rec.field(i).map(|v| (k, v)))
    }
}

/// Whether `v` is one of the records below.
fn is_record(v: &dyn Val) -> bool {
    v.as_any().is_some_and(|a| {
        a.is::<StatementVal>()
            || a.is::<RecordVal<BodyRec>>()
            || a.is::<RecordVal<RadarRec>>()
            || a.is::<RecordVal<SiloRec>>()
            || a.is::<RecordVal<InspectionRec>>()
            || a.is::<RecordVal<NoticeRec>>()
    })
}

/// Whether `key` can be looked up in a `CelMap` (its key types, and `double`).
fn is_lookup_key(key: &dyn Val) -> bool {
    key.downcast_ref::<CelString>().is_some()
        || key.downcast_ref::<CelInt>().is_some()
        || key.downcast_ref::<CelUInt>().is_some()
        || key.downcast_ref::<CelBool>().is_some()
        || key.downcast_ref::<CelDouble>().is_some()
}

/// `CelMap`'s error for a key of a type no map key has: the key as a [`Cel`] value, or null
/// for one that has no such value (as `cel` reports it).
fn unsupported_key(key: &dyn Val) -> ExecutionError {
    ExecutionError::UnsupportedKeyType(match Cel::try_from(key) {
        Ok(v) => v,
        Err(_) => Cel::Null,
    })
}

/// `CelMap`'s error for a key it does not hold.
fn no_such_key(key: &dyn Val) -> ExecutionError {
    let key = if let Some(s) = key.downcast_ref::<CelString>() {
        s.inner().to_string()
    } else if let Some(i) = key.downcast_ref::<CelInt>() {
        i.inner().to_string()
    } else if let Some(u) = key.downcast_ref::<CelUInt>() {
        u.inner().to_string()
    } else if let Some(d) = key.downcast_ref::<CelDouble>() {
        d.inner().to_string()
    } else if let Some(b) = key.downcast_ref::<CelBool>() {
        b.inner().to_string()
    } else {
        String::new()
    };
    ExecutionError::NoSuchKey(Arc::new(key))
}

impl<T: Record> Val for RecordVal<T> {
    fn get_type(&self) -> &Type {
        <Self as Val>::cel_type()
    }

    fn cel_type() -> &'static Type {
        &MAP_TYPE
    }

    fn as_container(&self) -> Option<&dyn Container> {
        Some(self)
    }

    fn as_indexer<'b, 'w>(&'b self) -> Option<&'b (dyn Indexer + 'w)>
    where
        Self: 'w,
    {
        Some(self)
    }

    fn as_iterable<'b, 'w>(&'b self) -> Option<&'b (dyn Iterable + 'w)>
    where
        Self: 'w,
    {
        Some(self)
    }

    fn as_sizer(&self) -> Option<&dyn Sizer> {
        Some(self)
    }

    fn as_zeroer(&self) -> Option<&dyn Zeroer> {
        Some(self)
    }

    /// As `CelMap`'s: the same number of keys, and each of ours in `other` with an equal value;
    /// `other` a `CelMap` or a record.
    fn equals(&self, other: &dyn Val) -> bool {
        if !(is_record(other) || other.downcast_ref::<CelMap>().is_some()) {
            return false;
        }
        let (Some(sizer), Some(indexer)) = (other.as_sizer(), other.as_indexer()) else {
            return false;
        };
        let size = self.fields().count();
        i64::try_from(size).is_ok_and(|n| *sizer.size().inner() == n)
            && self
                .fields()
                .all(|(k, v)| indexer.get(k).is_ok_and(|ov| v.equals(ov.as_ref())))
    }

    fn clone_as_boxed<'w>(&self) -> Box<dyn Val + 'w>
    where
        Self: 'w,
    {
        Box::new(self.clone())
    }

    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

impl<T: Record> StaticVal for RecordVal<T> {}

impl<T: Record> Container for RecordVal<T> {
    fn contains(&self, key: &dyn Val) -> Result<bool, ExecutionError> {
        if self.find(key).is_some() {
            Ok(true)
        } else if is_lookup_key(key) {
            Ok(false)
        } else {
            Err(unsupported_key(key))
        }
    }
}

impl<T: Record> Indexer for RecordVal<T> {
    fn get<'b, 'w>(&'b self, key: &dyn Val) -> Result<CowVal<'b, 'w>, ExecutionError>
    where
        Self: 'w,
    {
        match self.find(key) {
            Some(v) => Ok(CowVal::Borrowed(v)),
            None if is_lookup_key(key) => Err(no_such_key(key)),
            None => Err(ExecutionError::UnexpectedType {
                got: key.get_type().name().to_owned(),
                want: "map key".to_owned(),
            }),
        }
    }

    fn steal<'w>(self: Box<Self>, key: &dyn Val) -> Result<Box<dyn Val + 'w>, ExecutionError>
    where
        Self: 'w,
    {
        match self.find(key) {
            Some(v) => Ok(v.clone_as_boxed()),
            None if is_lookup_key(key) => Err(no_such_key(key)),
            None => Err(unsupported_key(key)),
        }
    }
}

/// The present keys of a record, lent.
struct Keys<'b, T> {
    rec: &'b T,
    next: usize,
}

impl<'b, 'w, T: Record> CelIterator<'b, 'w> for Keys<'b, T> {
    fn next(&mut self) -> Option<&'b (dyn Val + 'w)> {
        let keys = self.rec.keys();
        while let Some(k) = keys.get(self.next) {
            self.next += 1;
            if self.rec.field(self.next - 1).is_some() {
                return Some(k);
            }
        }
        None
    }
}

impl<T: Record> Iterable for RecordVal<T> {
    fn iter<'b, 'w>(&'b self) -> Box<dyn CelIterator<'b, 'w> + 'b>
    where
        Self: 'w,
    {
        Box::new(Keys {
            rec: &self.rec,
            next: 0,
        })
    }
}

impl<T: Record> Sizer for RecordVal<T> {
    fn size(&self) -> CelInt {
        #[allow(clippy::cast_possible_wrap)]
        CelInt::from(self.fields().count() as i64)
    }
}

impl<T: Record> Zeroer for RecordVal<T> {
    fn is_zero_value(&self) -> bool {
        self.fields().next().is_none()
    }
}

/// Field names as CEL strings, made once.
macro_rules! keys {
    ($($k:literal),* $(,)?) => {{
        static KEYS: LazyLock<Vec<CelString<'static>>> =
            LazyLock::new(|| vec![$(CelString::from($k)),*]);
        KEYS.as_slice()
    }};
}

/// A string lent to CEL, copied from the statement the first time a rule reads it.
fn lazy_str<'a>(cell: &'a OnceLock<CelString<'static>>, s: &str) -> &'a CelString<'static> {
    cell.get_or_init(|| CelString::from(s.to_owned()))
}

/// An unsigned integer as rules see it ([`unsigned`]).
#[derive(Debug, Clone)]
enum Unsigned {
    Int(CelInt),
    Double(CelDouble),
}

impl Unsigned {
    fn new(v: u64) -> Self {
        match i64::try_from(v) {
            Ok(i) => Unsigned::Int(CelInt::from(i)),
            #[allow(clippy::cast_precision_loss)]
            Err(_) => Unsigned::Double(CelDouble::from(v as f64)),
        }
    }

    fn val(&self) -> &(dyn Val + 'static) {
        match self {
            Unsigned::Int(i) => i,
            Unsigned::Double(d) => d,
        }
    }
}

/// The statement's own fields (`s`).
#[derive(Debug, Clone)]
pub(crate) struct StatementRec {
    st: Statement,
    schema: CelString<'static>,
    sensor: OnceLock<CelString<'static>>,
    site: OnceLock<CelString<'static>>,
    seq: Unsigned,
    time_ms: CelInt,
    clock_ok: CelBool,
    body: RecordVal<BodyRec>,
    kind: CelString<'static>,
}

impl Record for StatementRec {
    fn keys(&self) -> &'static [CelString<'static>] {
        keys![
            "schema", "sensor", "site", "seq", "time_ms", "clock_ok", "body", "kind"
        ]
    }

    fn field(&self, i: usize) -> Option<&(dyn Val + 'static)> {
        let v: &(dyn Val + 'static) = match i {
            0 => &self.schema,
            1 => lazy_str(&self.sensor, &self.st.sensor),
            2 => lazy_str(&self.site, &self.st.site),
            3 => self.seq.val(),
            4 => &self.time_ms,
            5 => &self.clock_ok,
            6 => &self.body,
            7 => &self.kind,
            _ => return None,
        };
        Some(v)
    }
}

/// A statement as rules see it (`s`, `prev`): [`statement`]'s map, read from the typed
/// statement it holds ([`RecordVal`]). Making one copies at most one string (the body's
/// commitment or subject; an inspection's texts); the statement's `sensor` and `site` are
/// copied only if a rule reads them.
pub(crate) type StatementVal = RecordVal<StatementRec>;

impl StatementVal {
    /// `st` as rules see it.
    pub(crate) fn new(st: Statement) -> Self {
        let schema = if st.schema == STATEMENT_SCHEMA {
            CelString::from(STATEMENT_SCHEMA)
        } else {
            CelString::from(st.schema.clone())
        };
        let body = RecordVal::of(BodyRec::new(&st.body));
        RecordVal::of(StatementRec {
            schema,
            sensor: OnceLock::new(),
            site: OnceLock::new(),
            seq: Unsigned::new(st.seq),
            time_ms: CelInt::from(st.time_ms),
            clock_ok: CelBool::from(st.clock_ok),
            body,
            kind: CelString::from(st.kind()),
            st,
        })
    }

    /// The statement.
    pub(crate) fn statement(&self) -> &Statement {
        &self.rec.st
    }
}

/// A statement and its value as rules see it (`s`, and later its sensor's `prev`).
#[derive(Debug)]
// The record is the common case and is kept in one `Arc` with its statement: boxing it would
// add an allocation per statement.
#[allow(clippy::large_enum_variant)]
pub(crate) enum StatementView {
    /// A record, for rules that [read only fields](reads_only_fields) of `s` and `prev`.
    Record(StatementVal),
    /// `cel`'s map, for any other rules.
    Map(Statement, Box<dyn Val>),
}

impl StatementView {
    /// `st` as rules see it: a record if `records`, else `cel`'s map.
    pub(crate) fn new(st: Statement, records: bool) -> Self {
        if records {
            StatementView::Record(StatementVal::new(st))
        } else {
            // A statement's map holds plain values only: it always converts.
            match val(statement(&st)) {
                Ok(v) => StatementView::Map(st, v),
                Err(_) => StatementView::Record(StatementVal::new(st)),
            }
        }
    }

    /// The statement.
    pub(crate) fn statement(&self) -> &Statement {
        match self {
            StatementView::Record(r) => r.statement(),
            StatementView::Map(st, _) => st,
        }
    }

    /// Its value as rules see it.
    pub(crate) fn val(&self) -> &dyn Val {
        match self {
            StatementView::Record(r) => r,
            StatementView::Map(_, m) => m.as_ref(),
        }
    }

    /// Whether its value is a record.
    pub(crate) fn is_record(&self) -> bool {
        matches!(self, StatementView::Record(_))
    }
}

/// Whether `e` reads the statement variables `s` and `prev` only through fields: every `s` and
/// `prev` in it is the start of a chain of field selections (`s.body.silo.door`) that ends at
/// a field holding no map (a scalar, a list, or no field: an error), or whose last field is
/// tested with `has()`. A record is then only ever selected from, where it answers as its map
/// ([`RecordVal`]), so records can stand for the maps. Anything else (`s` alone, `s.body`,
/// `s['kind']`, `s.size()`, a comprehension over `s`) is refused, even where a record would
/// do (an `s` bound by a comprehension, say): the answer errs only towards the maps.
pub(crate) fn reads_only_fields(e: &IdedExpr) -> bool {
    let entries = |es: &[cel::common::ast::IdedEntryExpr]| {
        es.iter().all(|en| match &en.expr {
            EntryExpr::StructField(f) => reads_only_fields(&f.value),
            EntryExpr::MapEntry(m) => reads_only_fields(&m.key) && reads_only_fields(&m.value),
        })
    };
    match &e.expr {
        Expr::Ident(name) => name != "s" && name != "prev",
        Expr::Select(sel) => {
            // The fields selected, innermost first, down to what they are selected from.
            let mut path = vec![sel.field.as_str()];
            let mut from = &*sel.operand;
            while let Expr::Select(inner) = &from.expr
                && !inner.test
            {
                path.push(inner.field.as_str());
                from = &inner.operand;
            }
            match &from.expr {
                Expr::Ident(name) if name == "s" || name == "prev" => {
                    path.reverse();
                    // `has()` only selects from what it tests; a value escapes otherwise, a map
                    // at `body` and at `body.<kind>`.
                    sel.test || !(path.first() == Some(&"body") && path.len() <= 2)
                }
                _ => reads_only_fields(from),
            }
        }
        Expr::Call(c) => {
            c.target.as_deref().is_none_or(reads_only_fields) && c.args.iter().all(reads_only_fields)
        }
        Expr::Comprehension(c) => [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result]
            .into_iter()
            .all(reads_only_fields),
        Expr::List(l) => l.elements.iter().all(reads_only_fields),
        Expr::Map(m) => entries(&m.entries),
        Expr::Struct(st) => entries(&st.entries),
        Expr::Literal(_) | Expr::Unspecified => true,
    }
}

/// `body`: one key, the kind, holding the kind's fields.
#[derive(Debug, Clone)]
pub(crate) enum BodyRec {
    Radar(RecordVal<RadarRec>),
    Silo(RecordVal<SiloRec>),
    Inspection(RecordVal<InspectionRec>),
    Notice(RecordVal<NoticeRec>),
}

impl BodyRec {
    fn new(body: &Body) -> Self {
        match body {
            Body::Radar(r) => BodyRec::Radar(RecordVal::of(RadarRec {
                transmitting: CelBool::from(r.transmitting),
                mode: CelString::from(radar_mode(r.mode)),
                sector_bin: CelInt::from(i64::from(r.sector_bin)),
                power_class: CelInt::from(i64::from(r.power_class)),
                pointing: CelString::from(r.pointing.0.clone()),
            })),
            Body::Silo(s) => BodyRec::Silo(RecordVal::of(SiloRec {
                silo: CelInt::from(i64::from(s.silo)),
                door: CelString::from(door(s.door)),
                interceptor_present: CelBool::from(s.interceptor_present),
                readiness: CelString::from(readiness(s.readiness)),
                seal_intact: CelBool::from(s.seal_intact),
                tamper: CelBool::from(s.tamper),
                serial: s.serial.as_ref().map(|c| CelString::from(c.0.clone())),
            })),
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
                BodyRec::Inspection(RecordVal::of(InspectionRec {
                    visit: CelString::from(r.visit.clone()),
                    requested_ms: CelInt::from(r.requested_ms),
                    granted_ms: CelInt::from(r.granted_ms),
                    interceptors_counted: CelInt::from(i64::from(r.interceptors_counted)),
                    findings: CelList::from(findings),
                    attachments: CelList::from(attachments),
                }))
            }
            Body::Notice(n) => BodyRec::Notice(RecordVal::of(NoticeRec {
                notice: CelString::from(notice_kind(n.notice)),
                from_ms: CelInt::from(n.from_ms),
                to_ms: CelInt::from(n.to_ms),
                subject: CelString::from(n.subject.clone()),
            })),
        }
    }
}

impl Record for BodyRec {
    fn keys(&self) -> &'static [CelString<'static>] {
        let all = keys!["radar", "silo", "inspection", "notice"];
        let i = match self {
            BodyRec::Radar(_) => 0,
            BodyRec::Silo(_) => 1,
            BodyRec::Inspection(_) => 2,
            BodyRec::Notice(_) => 3,
        };
        &all[i..=i]
    }

    fn field(&self, i: usize) -> Option<&(dyn Val + 'static)> {
        if i != 0 {
            return None;
        }
        let v: &(dyn Val + 'static) = match self {
            BodyRec::Radar(r) => r,
            BodyRec::Silo(s) => s,
            BodyRec::Inspection(r) => r,
            BodyRec::Notice(n) => n,
        };
        Some(v)
    }
}

/// `body.radar`.
#[derive(Debug, Clone)]
pub(crate) struct RadarRec {
    transmitting: CelBool,
    mode: CelString<'static>,
    sector_bin: CelInt,
    power_class: CelInt,
    pointing: CelString<'static>,
}

impl Record for RadarRec {
    fn keys(&self) -> &'static [CelString<'static>] {
        keys!["transmitting", "mode", "sector_bin", "power_class", "pointing"]
    }

    fn field(&self, i: usize) -> Option<&(dyn Val + 'static)> {
        let v: &(dyn Val + 'static) = match i {
            0 => &self.transmitting,
            1 => &self.mode,
            2 => &self.sector_bin,
            3 => &self.power_class,
            4 => &self.pointing,
            _ => return None,
        };
        Some(v)
    }
}

/// `body.silo` (`serial` absent when `None`, as serde skips it).
#[derive(Debug, Clone)]
pub(crate) struct SiloRec {
    silo: CelInt,
    door: CelString<'static>,
    interceptor_present: CelBool,
    readiness: CelString<'static>,
    seal_intact: CelBool,
    tamper: CelBool,
    serial: Option<CelString<'static>>,
}

impl Record for SiloRec {
    fn keys(&self) -> &'static [CelString<'static>] {
        keys![
            "silo",
            "door",
            "interceptor_present",
            "readiness",
            "seal_intact",
            "tamper",
            "serial"
        ]
    }

    fn field(&self, i: usize) -> Option<&(dyn Val + 'static)> {
        let v: &(dyn Val + 'static) = match i {
            0 => &self.silo,
            1 => &self.door,
            2 => &self.interceptor_present,
            3 => &self.readiness,
            4 => &self.seal_intact,
            5 => &self.tamper,
            6 => return self.serial.as_ref().map(|c| c as &(dyn Val + 'static)),
            _ => return None,
        };
        Some(v)
    }
}

/// `body.inspection` (its findings and attachments as `cel`'s lists of maps).
#[derive(Debug, Clone)]
pub(crate) struct InspectionRec {
    visit: CelString<'static>,
    requested_ms: CelInt,
    granted_ms: CelInt,
    interceptors_counted: CelInt,
    findings: CelList<'static>,
    attachments: CelList<'static>,
}

impl Record for InspectionRec {
    fn keys(&self) -> &'static [CelString<'static>] {
        keys![
            "visit",
            "requested_ms",
            "granted_ms",
            "interceptors_counted",
            "findings",
            "attachments"
        ]
    }

    fn field(&self, i: usize) -> Option<&(dyn Val + 'static)> {
        let v: &(dyn Val + 'static) = match i {
            0 => &self.visit,
            1 => &self.requested_ms,
            2 => &self.granted_ms,
            3 => &self.interceptors_counted,
            4 => &self.findings,
            5 => &self.attachments,
            _ => return None,
        };
        Some(v)
    }
}

/// `body.notice`.
#[derive(Debug, Clone)]
pub(crate) struct NoticeRec {
    notice: CelString<'static>,
    from_ms: CelInt,
    to_ms: CelInt,
    subject: CelString<'static>,
}

impl Record for NoticeRec {
    fn keys(&self) -> &'static [CelString<'static>] {
        keys!["notice", "from_ms", "to_ms", "subject"]
    }

    fn field(&self, i: usize) -> Option<&(dyn Val + 'static)> {
        let v: &(dyn Val + 'static) = match i {
            0 => &self.notice,
            1 => &self.from_ms,
            2 => &self.to_ms,
            3 => &self.subject,
            _ => return None,
        };
        Some(v)
    }
}

/// A CEL value as the interpreter holds a variable.
///
/// # Errors
///
/// The interpreter's, for a value it cannot hold (none of those built here).
pub fn val(v: Cel) -> Result<Box<dyn Val>, cel::ExecutionError> {
    v.try_into()
}

/// A value with every record in it rebuilt as `cel`'s map (through the traits a record
/// answers with), for tests that compare records with maps both ways.
#[cfg(test)]
pub(crate) fn as_cel_map(v: &dyn Val) -> Box<dyn Val> {
    val(as_cel(v)).expect("a plain value converts back")
}

/// A value as a [`Cel`] value, records included.
#[cfg(test)]
fn as_cel(v: &dyn Val) -> Cel {
    if !is_record(v) {
        return Cel::try_from(v).expect("a plain value converts");
    }
    let (Some(keys), Some(values)) = (v.as_iterable(), v.as_indexer()) else {
        unreachable!("a record iterates and indexes")
    };
    let mut m: HashMap<String, Cel> = HashMap::new();
    let mut it = keys.iter();
    while let Some(k) = it.next() {
        let key = k.downcast_ref::<CelString>().expect("records have string keys");
        let value = values.get(k).expect("a record holds its keys");
        m.insert(key.inner().to_owned(), as_cel(value.as_ref()));
    }
    m.into()
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
    use cel::context::VariableResolver;

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
                // (`cel`'s map on the left of `==` knows no record: compared as a map.)
                assert!(
                    direct.equals(converted.as_ref())
                        && converted.equals(as_cel_map(direct.as_ref()).as_ref()),
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

    /// `s` and `prev` for [`records_behave_as_the_maps_they_stand_for`].
    struct Pair<'a> {
        s: &'a dyn Val,
        prev: &'a dyn Val,
    }

    impl VariableResolver for Pair<'_> {
        fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
            match variable {
                "s" => Some(CowVal::Borrowed(self.s)),
                "prev" => Some(CowVal::Borrowed(self.prev)),
                _ => None,
            }
        }
    }

    /// The expressions of [`records_behave_as_the_maps_they_stand_for`] on `s` and `prev`, for
    /// statements `st` and `prev` (JSON literals of them included).
    fn expressions(st: &Statement, prev: &Statement) -> Vec<String> {
        let json = |st: &Statement| {
            let mut v = serde_json::to_value(st).unwrap();
            v.as_object_mut().unwrap().insert("kind".into(), st.kind().into());
            v
        };
        let (s_json, prev_json) = (json(st), json(prev));
        let body = s_json["body"].to_string();
        let mut out: Vec<String> = [
            "s",
            "prev",
            "s.body",
            "prev.body",
            "s.kind",
            "s.seq",
            "s.sensor",
            "s.site",
            "s.schema",
            "s.time_ms",
            "s.clock_ok",
            "s.body.radar",
            "s.body.silo",
            "s.body.notice",
            "s.body.inspection",
            "s.body.radar.mode",
            "s.body.radar.pointing",
            "s.body.radar.sector_bin",
            "s.body.silo.serial",
            "s.body.silo.door",
            "s.body.notice.subject",
            "s.body.inspection.findings",
            "s.body.inspection.findings.exists(f, f.code == 'seal-ok')",
            "s.body.inspection.attachments.size()",
            "has(s.body)",
            "has(s.body.silo)",
            "has(s.body.silo.serial)",
            "has(s.nope)",
            "has(s.body.radar.pointing)",
            "s.nope",
            "s.body.nope",
            "s['kind']",
            "s['body']['silo']",
            "s[1]",
            "s[1u]",
            "s[1.5]",
            "s[2.0]",
            "s[true]",
            "s[[1]]",
            "s[{}]",
            "s[s]",
            "s[null]",
            "'kind' in s",
            "'nope' in s",
            "1 in s",
            "1.5 in s",
            "true in s",
            "[1] in s",
            "s in s",
            "null in s",
            "'radar' in s.body",
            "'serial' in s.body.silo",
            "size(s)",
            "s.size()",
            "size(s.body)",
            "size(s.body.silo)",
            "s.all(k, k != '')",
            "s.exists(k, k == 'body')",
            "s.exists_one(k, k == 'kind')",
            "s.map(k, k).size()",
            "'site' in s.map(k, k)",
            "s.filter(k, k.startsWith('s')).size()",
            "s.body.all(k, s.body[k] != null)",
            "s.all(k, has(s.body))",
            "s == s",
            "s == prev",
            "prev == s",
            "s.body == prev.body",
            "prev.body == s.body",
            "s != prev",
            "s == {}",
            "{} == s",
            "s == {'kind': s.kind}",
            "{'kind': s.kind} == s",
            "s == 1",
            "1 == s",
            "s == 'x'",
            "'x' == s",
            "s == [s]",
            "[s] == [prev]",
            "[s][0] == s",
            "s == [s][0]",
            "[s][0].body",
            "[s.body][0] == s.body",
            "s in [s, prev]",
            "prev in [s]",
            "{'k': s}.k.kind",
            "{'k': s}['k']['body']",
            "{'k': s}.k == s",
            "{s.kind: 1}",
            "{s: 1}",
            "dyn(s) == s",
            "type(s) == map",
            "type(s.body)",
            "type(s)",
            "s.kind + s.site",
            "s.seq + 1",
            "s.time_ms > prev.time_ms",
            "s.time_ms - prev.time_ms",
            "s + s",
            "s < prev",
            "-s",
            "s.kind == 'silo' && s.body.silo.interceptor_present",
            "s || true",
            "s && false",
            "!s",
            "s ? 1 : 2",
            "s.body.radar.transmitting || s.body.silo.tamper",
            "s.body.silo.interceptor_present && !prev.body.silo.interceptor_present",
            "string(s)",
            "int(s)",
            "s.startsWith('a')",
            "s.body.radar.mode.startsWith('t')",
            "[s, prev].map(x, x.kind)",
            "[s, prev].filter(x, x.kind == 'silo').size()",
            "[s, prev].exists(x, x == s)",
            "[s, prev].all(x, x.body != s)",
            "s.map(k, s[k]).size()",
            "s.filter(k, k == 'body').map(k, s[k]) == [s.body]",
        ]
        .iter()
        .map(|e| (*e).to_owned())
        .collect();
        for (a, b) in [("s", &s_json), ("prev", &prev_json)] {
            out.push(format!("{a} == {b}"));
            out.push(format!("{b} == {a}"));
            out.push(format!("{b}.body == {a}.body"));
            out.push(format!("{a}.body == {b}.body"));
            out.push(format!("{a} in [{b}]"));
            out.push(format!("{b} in [{a}]"));
            out.push(format!("{{'x': {a}}} == {{'x': {b}}}"));
            out.push(format!("{{'x': {b}}} == {{'x': {a}}}"));
            out.push(format!("[{b}] == [{a}]"));
        }
        out.push(format!("s.body == {body}"));
        out.push(format!("{body} == s.body"));
        out
    }

    /// Statements of every kind and shape (optional field present or not, a `seq` past
    /// `i64::MAX`).
    fn statements() -> Vec<Statement> {
        let c = |s: &str| Commitment(s.into());
        let bodies = vec![
            Body::Radar(RadarReading {
                transmitting: true,
                mode: RadarMode::Track,
                sector_bin: 35,
                power_class: 3,
                pointing: c("ab12"),
            }),
            Body::Radar(RadarReading {
                transmitting: false,
                mode: RadarMode::Standby,
                sector_bin: 0,
                power_class: 0,
                pointing: c("ab12"),
            }),
            Body::Silo(SiloReading {
                silo: 7,
                door: DoorState::Open,
                interceptor_present: true,
                readiness: Readiness::Active,
                seal_intact: false,
                tamper: true,
                serial: Some(c("ff00")),
            }),
            Body::Silo(SiloReading {
                silo: 7,
                door: DoorState::Closed,
                interceptor_present: false,
                readiness: Readiness::Inactive,
                seal_intact: true,
                tamper: false,
                serial: None,
            }),
            Body::Inspection(InspectionReport {
                visit: "v-1".into(),
                requested_ms: 5,
                granted_ms: 6,
                interceptors_counted: 10,
                findings: vec![Finding {
                    code: "seal-ok".into(),
                    text: "fine".into(),
                }],
                attachments: vec![],
            }),
            Body::Notice(Notice {
                notice: NoticeKind::Radiate,
                from_ms: 1,
                to_ms: 9,
                subject: "radar".into(),
            }),
        ];
        let mut out = Vec::new();
        for (i, body) in bodies.into_iter().enumerate() {
            let seq = if i == 2 { u64::MAX } else { 1 + i as u64 };
            let mut st = statement_with(seq, body);
            st.clock_ok = i % 2 == 0;
            out.push(st);
        }
        out
    }

    /// Every expression that [reads only fields](reads_only_fields) gives the same value, or
    /// the same error, with `s` and `prev` as records ([`StatementVal`]) as with `s` and `prev`
    /// as `cel`'s maps of the same statements (what rules always saw before records): field
    /// access, `has()`, missing fields and kinds, and each kind of error. The others (maps
    /// compared, converted, indexed, iterated: `in`, `size()`, comprehensions, equality both
    /// ways) are compared too, and where a record answers otherwise than its map, the check
    /// refuses the expression.
    #[test]
    fn records_behave_as_the_maps_they_stand_for() {
        let sts = statements();
        let mut compared = 0;
        let mut errors = 0;
        let mut fields_only = 0;
        let mut differ = std::collections::BTreeSet::new();
        for st in &sts {
            for prev in &sts {
                let (s_rec, prev_rec) = (StatementVal::new(st.clone()), StatementVal::new(prev.clone()));
                let (s_map, prev_map) = (val(statement(st)).unwrap(), val(statement(prev)).unwrap());
                for e in expressions(st, prev) {
                    // A JSON literal holding `u64::MAX` is no CEL int literal.
                    let Ok(program) = cel::Program::compile(&e) else {
                        assert!(e.contains("18446744073709551615"), "{e}");
                        continue;
                    };
                    let eval = |s: &dyn Val, prev: &dyn Val| {
                        let vars = Pair { s, prev };
                        let mut ctx = cel::Context::default();
                        ctx.set_variable_resolver(&vars);
                        program.execute(&ctx)
                    };
                    let by_map = eval(s_map.as_ref(), prev_map.as_ref());
                    let by_record = eval(&s_rec, &prev_rec);
                    if reads_only_fields(program.expression()) {
                        assert_eq!(by_record, by_map, "{e}\ns = {st:?}\nprev = {prev:?}");
                        fields_only += 1;
                        errors += usize::from(by_map.is_err());
                    } else if by_record != by_map {
                        differ.insert(e);
                    }
                    compared += 1;
                }
            }
        }
        // Values and errors are compared, and the check is needed: some expressions it refuses
        // do differ (a map on the left of `==`, a map as a result).
        assert!(
            errors > 300 && fields_only - errors > 600 && compared > 2 * fields_only,
            "{errors} errors of {fields_only} read only fields, of {compared}"
        );
        assert!(differ.len() > 10, "{differ:?}");
        assert!(differ.iter().any(|e| e.ends_with("== s")), "{differ:?}");
    }

    /// The agreed rules read only fields of `s` and `prev` (statements are lent to them as
    /// records); a rule set with one rule that reads a map gets `cel`'s maps.
    #[test]
    fn records_are_lent_only_to_rules_that_read_only_fields() {
        let agreed = crate::rules::builtin_or_path("europe-2008").unwrap();
        assert!(agreed.shortcuts().records());
        let with = |require: &str| {
            let text = format!(
                "[[rule]]\nid = \"a\"\ntitle = \"t\"\nwhen = \"s.kind == 'silo' && has(s.body.silo.serial)\"\nrequire = \"s.body.silo.door == 'closed'\"\n\n[[rule]]\nid = \"b\"\ntitle = \"t\"\nrequire = \"{require}\"\n"
            );
            crate::rules::RuleSet::from_toml("r.toml", &text)
                .unwrap()
                .shortcuts()
                .records()
        };
        assert!(with("!has_prev || prev.body.silo.silo == s.body.silo.silo"));
        assert!(with("s.body.inspection.findings.size() == 0"));
        assert!(with("notices.exists(n, n.site == s.site)"));
        for reads_a_map in [
            "s.body == prev.body",
            "{'silo': {}} == s.body",
            "s.body.silo in [prev.body.silo]",
            "size(s) == 8",
            "s['kind'] == 'silo'",
            "s.exists(k, k == 'body')",
            "has(s.body) && s.body != {}",
            "[s.body.radar] == []",
            "notices.exists(s, s == {})",
        ] {
            assert!(!with(reads_a_map), "{reads_a_map}");
        }
    }
}
