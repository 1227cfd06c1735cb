//! The statement rules, decided where they can be from the statement alone, before the engine.
//!
//! Most of the statement rules' work needs nothing of the engine's state: `s.kind == 'silo'`
//! is false for a radar reading whatever came before it, and `s.body.radar.sector_bin in
//! agreement.radar_sector_bins` reads only the statement and the agreement. [`Shortcuts`] looks at
//! each statement rule's `when` and `require` once, when the rules are loaded, and splits them
//! at CEL's `&&` and `||` into parts:
//!
//! - parts that read `s` only through fields with few values (`s.kind`, `s.clock_ok`, the
//!   radar's mode, sector and power class, the silo's flags, door and readiness, the notice's
//!   kind; [`Field`]) and maybe `agreement`: evaluated when the rules are loaded for every
//!   value those fields can take, per kind of statement; a statement then costs a table
//!   look-up, on whichever thread;
//! - parts that read only `s` and `agreement`: evaluated with the statement's value `s`, on the
//!   cores that check the signatures ([`crate::sigcheck`]), not on the engine's thread;
//! - the rest (anything reading `prev`, `has_prev`, `notices` or `state`): left to the engine.
//!
//! The parts are evaluated by the `cel` interpreter itself (the rule's own parsed expression);
//! what this module adds is only CEL's rule for its logical operators, which is
//! order-independent: `a && b` is `false` as soon as either side is `false` (even if the other
//! is an error), and `true` when both are; `a || b` is `true` as soon as either side is `true`,
//! `false` when both are. So when a part is known, the whole `when` (or `require`) may be known,
//! and the engine skips evaluating it; otherwise it evaluates the rule's whole expression as
//! before. A part whose evaluation fails, or gives something other than a bool, tells nothing.
//! The verdicts are therefore those of evaluating every rule in full (`tests/incremental.rs`
//! compares the engine with [`crate::engine::Engine::straightforward`], which evaluates them so,
//! and this module's tests compare each rule's known outcome with its full evaluation).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use cel::IdedExpr;
use cel::common::ast::Expr;
use cel::common::types::CelBool;
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;

use crate::rules::{On, Rule};
use crate::statement::Statement;

/// The kinds of statement (`s.kind`), as [`crate::statement::Body::kind`] names them.
const KINDS: [&str; 4] = ["radar", "silo", "inspection", "notice"];

/// Statement rules past this many (in file order) get no shortcut: the engine evaluates them.
const MAX_RULES: usize = 64;

fn kind_index(kind: &str) -> Option<usize> {
    KINDS.iter().position(|k| *k == kind)
}

/// What is known of one statement's rules before the engine sees it: bit `i` is about the
/// `i`-th statement rule of the rule set (file order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Known {
    /// `when` is known to be false.
    when_false: u64,
    /// `when` is known to be true (or absent).
    when_true: u64,
    /// `require` is known to be false.
    require_false: u64,
    /// `require` is known to be true.
    require_true: u64,
}

impl Known {
    /// Rule `i`'s `when`, if known (`Some(true)` also when it has none).
    pub fn when(&self, i: usize) -> Option<bool> {
        bit(self.when_true, self.when_false, i)
    }

    /// Rule `i`'s `require`, if known.
    pub fn require(&self, i: usize) -> Option<bool> {
        bit(self.require_true, self.require_false, i)
    }
}

fn bit(t: u64, f: u64, i: usize) -> Option<bool> {
    let m = 1u64.checked_shl(u32::try_from(i).ok()?)?;
    if t & m != 0 {
        Some(true)
    } else if f & m != 0 {
        Some(false)
    } else {
        None
    }
}

fn set(t: &mut u64, f: &mut u64, i: usize, v: Option<bool>) {
    let m = 1u64 << i;
    match v {
        Some(true) => *t |= m,
        Some(false) => *f |= m,
        None => {}
    }
}

/// A `when` or `require`, split at its logical operators.
#[derive(Debug)]
enum Part {
    /// `_&&_` of the parts (flattened).
    And(Vec<Part>),
    /// `_||_` of the parts (flattened).
    Or(Vec<Part>),
    /// Reads `s` only through [`Field`]s: its value for every value they can take.
    Table(Table),
    /// Reads only `s` and `agreement`.
    Statement(IdedExpr),
    /// Needs the engine's state.
    Engine,
}

/// The variables a statement-only part may read.
struct Vars<'a> {
    s: &'a dyn Val,
    agreement: &'a dyn Val,
}

impl VariableResolver for Vars<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        match variable {
            "s" => Some(CowVal::Borrowed(self.s)),
            "agreement" => Some(CowVal::Borrowed(self.agreement)),
            _ => None,
        }
    }
}

/// The value of `e` in `ctx`, if it is a bool.
fn eval(e: &IdedExpr, ctx: &cel::Context) -> Option<bool> {
    let v = cel::Value::resolve_val(e, ctx).ok()?;
    v.downcast_ref::<CelBool>().map(|b| *b.inner())
}

/// A value of a [`Field`], as rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lit {
    Bool(bool),
    Str(&'static str),
    Int(i64),
}

impl Lit {
    fn json(self) -> serde_json::Value {
        match self {
            Lit::Bool(b) => b.into(),
            Lit::Str(s) => s.into(),
            Lit::Int(i) => i.into(),
        }
    }
}

/// A field of a statement that takes few values (those a valid statement can hold), as rules
/// see it ([`crate::celview::statement_val`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Kind,
    ClockOk,
    RadarTransmitting,
    RadarMode,
    RadarSectorBin,
    RadarPowerClass,
    SiloDoor,
    SiloInterceptorPresent,
    SiloReadiness,
    SiloSealIntact,
    SiloTamper,
    NoticeNotice,
}

const BOOLS: [Lit; 2] = [Lit::Bool(false), Lit::Bool(true)];

impl Field {
    const ALL: [Field; 12] = [
        Field::Kind,
        Field::ClockOk,
        Field::RadarTransmitting,
        Field::RadarMode,
        Field::RadarSectorBin,
        Field::RadarPowerClass,
        Field::SiloDoor,
        Field::SiloInterceptorPresent,
        Field::SiloReadiness,
        Field::SiloSealIntact,
        Field::SiloTamper,
        Field::NoticeNotice,
    ];

    /// Its path under `s`.
    fn path(self) -> &'static [&'static str] {
        match self {
            Field::Kind => &["kind"],
            Field::ClockOk => &["clock_ok"],
            Field::RadarTransmitting => &["body", "radar", "transmitting"],
            Field::RadarMode => &["body", "radar", "mode"],
            Field::RadarSectorBin => &["body", "radar", "sector_bin"],
            Field::RadarPowerClass => &["body", "radar", "power_class"],
            Field::SiloDoor => &["body", "silo", "door"],
            Field::SiloInterceptorPresent => &["body", "silo", "interceptor_present"],
            Field::SiloReadiness => &["body", "silo", "readiness"],
            Field::SiloSealIntact => &["body", "silo", "seal_intact"],
            Field::SiloTamper => &["body", "silo", "tamper"],
            Field::NoticeNotice => &["body", "notice", "notice"],
        }
    }

    /// The kind of statement that has it (`None`: every kind).
    fn kind(self) -> Option<&'static str> {
        match self.path() {
            ["body", kind, _] => Some(kind),
            _ => None,
        }
    }

    /// The values it can take in a valid statement of kind `kind`.
    fn values(self, kind: &'static str) -> Vec<Lit> {
        use crate::statement::{DoorState, NoticeKind, RadarMode, Readiness, SECTOR_BIN_DEG};
        match self {
            Field::Kind => vec![Lit::Str(kind)],
            Field::ClockOk
            | Field::RadarTransmitting
            | Field::SiloInterceptorPresent
            | Field::SiloSealIntact
            | Field::SiloTamper => BOOLS.to_vec(),
            Field::RadarMode => [
                RadarMode::Standby,
                RadarMode::Search,
                RadarMode::Track,
                RadarMode::Calibration,
            ]
            .map(|m| Lit::Str(crate::celview::radar_mode(m)))
            .to_vec(),
            Field::RadarSectorBin => (0..i64::from(360 / SECTOR_BIN_DEG)).map(Lit::Int).collect(),
            Field::RadarPowerClass => (0..=3).map(Lit::Int).collect(),
            Field::SiloDoor => [DoorState::Closed, DoorState::Moving, DoorState::Open]
                .map(|d| Lit::Str(crate::celview::door(d)))
                .to_vec(),
            Field::SiloReadiness => [Readiness::Inactive, Readiness::Active]
                .map(|r| Lit::Str(crate::celview::readiness(r)))
                .to_vec(),
            Field::NoticeNotice => [
                NoticeKind::Maintenance,
                NoticeKind::Radiate,
                NoticeKind::TestLaunch,
                NoticeKind::Change,
                NoticeKind::Trigger,
            ]
            .map(|n| Lit::Str(crate::celview::notice_kind(n)))
            .to_vec(),
        }
    }

    /// Its value in `st` (`None` if `st` has no such field).
    fn of(self, st: &Statement) -> Option<Lit> {
        use crate::statement::Body;
        let int = |v: u32| Lit::Int(i64::from(v));
        Some(match (self, &st.body) {
            (Field::Kind, _) => Lit::Str(st.kind()),
            (Field::ClockOk, _) => Lit::Bool(st.clock_ok),
            (Field::RadarTransmitting, Body::Radar(r)) => Lit::Bool(r.transmitting),
            (Field::RadarMode, Body::Radar(r)) => Lit::Str(crate::celview::radar_mode(r.mode)),
            (Field::RadarSectorBin, Body::Radar(r)) => int(r.sector_bin),
            (Field::RadarPowerClass, Body::Radar(r)) => int(r.power_class),
            (Field::SiloDoor, Body::Silo(x)) => Lit::Str(crate::celview::door(x.door)),
            (Field::SiloInterceptorPresent, Body::Silo(x)) => Lit::Bool(x.interceptor_present),
            (Field::SiloReadiness, Body::Silo(x)) => Lit::Str(crate::celview::readiness(x.readiness)),
            (Field::SiloSealIntact, Body::Silo(x)) => Lit::Bool(x.seal_intact),
            (Field::SiloTamper, Body::Silo(x)) => Lit::Bool(x.tamper),
            (Field::NoticeNotice, Body::Notice(n)) => Lit::Str(crate::celview::notice_kind(n.notice)),
            _ => return None,
        })
    }
}

/// The path of `e` if it is a chain of plain selections from `s` (`s.a.b`).
fn s_path(e: &IdedExpr) -> Option<Vec<&str>> {
    match &e.expr {
        Expr::Ident(name) if name == "s" => Some(Vec::new()),
        Expr::Select(sel) if !sel.test => {
            let mut p = s_path(&sel.operand)?;
            p.push(&sel.field);
            Some(p)
        }
        _ => None,
    }
}

/// Whether every `s` in `e` is the start of a whole [`Field`]'s path (a plain selection: not
/// `has(s.x)`, not `s` itself or a map under it); the fields read are added to `out`.
fn reads_only_fields(e: &IdedExpr, out: &mut Vec<Field>) -> bool {
    use cel::common::ast::EntryExpr;
    let entry = |en: &cel::common::ast::IdedEntryExpr, out: &mut Vec<Field>| match &en.expr {
        EntryExpr::MapEntry(me) => reads_only_fields(&me.key, out) && reads_only_fields(&me.value, out),
        EntryExpr::StructField(f) => reads_only_fields(&f.value, out),
    };
    match &e.expr {
        Expr::Ident(name) => name != "s",
        Expr::Select(sel) => match s_path(e) {
            Some(path) => match Field::ALL.into_iter().find(|f| f.path() == path.as_slice()) {
                Some(f) => {
                    if !out.contains(&f) {
                        out.push(f);
                    }
                    true
                }
                None => false,
            },
            None => reads_only_fields(&sel.operand, out),
        },
        Expr::Call(c) => {
            c.target.iter().all(|t| reads_only_fields(t, out))
                && c.args.iter().all(|a| reads_only_fields(a, out))
        }
        Expr::List(l) => l.elements.iter().all(|x| reads_only_fields(x, out)),
        Expr::Map(m) => m.entries.iter().all(|en| entry(en, out)),
        Expr::Struct(st) => st.entries.iter().all(|en| entry(en, out)),
        Expr::Comprehension(c) => [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result]
            .into_iter()
            .all(|x| reads_only_fields(x, out)),
        Expr::Literal(_) | Expr::Unspecified => true,
    }
}

/// Table entries per kind of statement at most: a part reading fields with more values
/// together is evaluated with each statement instead.
const MAX_TABLE: usize = 4096;

/// For one kind of statement: the fields read that statements of that kind have, with their
/// values, and the part's value for each combination (the first field varying slowest).
type KindTable = (Vec<(Field, Vec<Lit>)>, Vec<Option<bool>>);

/// A part's value for every value of the fields it reads, per kind of statement.
#[derive(Debug)]
struct Table {
    /// Per kind of statement ([`KINDS`]).
    by_kind: [KindTable; KINDS.len()],
}

impl Table {
    /// `None` if some kind has more than [`MAX_TABLE`] combinations.
    fn new(fields: &[Field], eval_with: &dyn Fn(&serde_json::Value) -> Option<bool>) -> Option<Self> {
        let mut by_kind: [KindTable; KINDS.len()] = Default::default();
        for (k, kind) in KINDS.into_iter().enumerate() {
            let fs: Vec<(Field, Vec<Lit>)> = fields
                .iter()
                .filter(|f| f.kind().is_none_or(|fk| fk == kind))
                .map(|f| (*f, f.values(kind)))
                .collect();
            let n = fs.iter().try_fold(1usize, |n, (_, v)| n.checked_mul(v.len()))?;
            if n > MAX_TABLE {
                return None;
            }
            let mut values = Vec::with_capacity(n);
            for i in 0..n {
                // The statement as rules would see it, with these fields and its kind only.
                let mut s = serde_json::json!({ "kind": kind });
                let mut rest = i;
                for (f, vs) in fs.iter().rev() {
                    let v = vs[rest % vs.len()];
                    rest /= vs.len();
                    let (last, parents) = f.path().split_last()?;
                    let mut at = &mut s;
                    for p in parents {
                        at = at
                            .as_object_mut()?
                            .entry(*p)
                            .or_insert_with(|| serde_json::json!({}));
                    }
                    at.as_object_mut()?.insert((*last).to_owned(), v.json());
                }
                values.push(eval_with(&s));
            }
            by_kind[k] = (fs, values);
        }
        Some(Self { by_kind })
    }

    /// The part's value for `st`, of kind `kind`.
    fn get(&self, kind: usize, st: &Statement) -> Option<bool> {
        let (fs, values) = &self.by_kind[kind];
        let mut i = 0;
        for (f, vs) in fs {
            let v = f.of(st)?;
            i = i * vs.len() + vs.iter().position(|x| *x == v)?;
        }
        *values.get(i)?
    }
}

/// `e` reads no rule variable but `s` and `agreement`, and binds none (a comprehension variable
/// named like a rule variable would hide it).
fn reads_only_statement(e: &IdedExpr) -> bool {
    let mut bound = BTreeSet::new();
    crate::rules::bound_variables(e, &mut bound);
    let rule_vars = On::Statement.variables();
    if bound.iter().any(|b| rule_vars.contains(&b.as_str())) {
        return false;
    }
    e.references()
        .variables()
        .iter()
        .all(|v| *v == "s" || *v == "agreement" || bound.contains(*v))
}

/// The operands of `e` if it is a call of the binary operator `op`, flattened.
fn operands<'e>(e: &'e IdedExpr, op: &str, out: &mut Vec<&'e IdedExpr>) {
    match &e.expr {
        Expr::Call(c) if c.func_name == op && c.target.is_none() && c.args.len() == 2 => {
            for a in &c.args {
                operands(a, op, out);
            }
        }
        _ => out.push(e),
    }
}

impl Part {
    fn of(e: &IdedExpr, eval_with: &dyn Fn(&IdedExpr, &serde_json::Value) -> Option<bool>) -> Self {
        for (op, make) in [
            ("_&&_", Part::And as fn(Vec<Part>) -> Part),
            ("_||_", Part::Or as fn(Vec<Part>) -> Part),
        ] {
            let mut ops = Vec::new();
            operands(e, op, &mut ops);
            if ops.len() > 1 {
                return make(ops.into_iter().map(|o| Part::of(o, eval_with)).collect());
            }
        }
        if !reads_only_statement(e) {
            return Part::Engine;
        }
        let mut fields = Vec::new();
        if reads_only_fields(e, &mut fields)
            && let Some(t) = Table::new(&fields, &|s| eval_with(e, s))
        {
            return Part::Table(t);
        }
        Part::Statement(e.clone())
    }

    /// What is known of the part for `st`, of kind `kind` (index in [`KINDS`]); parts that
    /// read `s` otherwise than through a table are evaluated only when `ctx` is given.
    fn known(&self, kind: usize, st: &Statement, ctx: Option<&cel::Context>) -> Option<bool> {
        match self {
            Part::Table(t) => t.get(kind, st),
            Part::Statement(e) => eval(e, ctx?),
            Part::Engine => None,
            Part::And(ps) => Self::all(ps, kind, st, ctx, false),
            Part::Or(ps) => Self::all(ps, kind, st, ctx, true),
        }
    }

    /// `_&&_` (`decides` false) or `_||_` (`decides` true) of `ps`: `decides` as soon as one
    /// part is known to be it, the other value when every part is known to be that.
    fn all(
        ps: &[Part],
        kind: usize,
        st: &Statement,
        ctx: Option<&cel::Context>,
        decides: bool,
    ) -> Option<bool> {
        let mut all = true;
        // The table look-ups first: cheap, and they decide most.
        let tables = ps.iter().filter(|p| matches!(p, Part::Table(_)));
        let others = ps.iter().filter(|p| !matches!(p, Part::Table(_)));
        for p in tables.chain(others) {
            match p.known(kind, st, ctx) {
                Some(v) if v == decides => return Some(decides),
                Some(_) => {}
                None => all = false,
            }
        }
        all.then_some(!decides)
    }
}

/// One statement rule's parts.
#[derive(Debug)]
struct Plan {
    /// `None`: the rule has no `when` (it always applies).
    when: Option<Part>,
    require: Part,
}

/// The statement rules of a rule set, split into what the statement alone decides and what
/// needs the engine (see the module documentation).
pub struct Shortcuts {
    /// Tells these shortcuts from any other made in this process (what [`Known`] was
    /// computed with).
    id: u64,
    root: cel::Context<'static, 'static>,
    agreement: Box<dyn Val>,
    plans: Vec<Plan>,
    /// Whether every statement rule reads `s` and `prev` only through fields
    /// ([`crate::celview::reads_only_fields`]).
    records: bool,
}

impl std::fmt::Debug for Shortcuts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shortcuts")
            .field("plans", &self.plans)
            .finish_non_exhaustive()
    }
}

impl Shortcuts {
    /// The shortcuts of `rules`' statement rules (file order) under `agreement`.
    pub(crate) fn new(rules: &[Rule], agreement: &serde_json::Value) -> Self {
        // A plain JSON value always converts.
        let agreement: Box<dyn Val> = match crate::celview::val(crate::rules::to_cel(agreement)) {
            Ok(v) => v,
            Err(_) => Box::new(CelBool::from(false)),
        };
        let root = cel::Context::default();
        let eval_with = |e: &IdedExpr, s: &serde_json::Value| -> Option<bool> {
            let s = crate::celview::val(crate::rules::to_cel(s)).ok()?;
            let vars = Vars {
                s: s.as_ref(),
                agreement: agreement.as_ref(),
            };
            let mut ctx = root.new_inner_scope();
            ctx.set_variable_resolver(&vars);
            eval(e, &ctx)
        };
        let plans = rules
            .iter()
            .filter(|r| r.text.on == On::Statement)
            .take(MAX_RULES)
            .map(|r| Plan {
                when: r.when_expression().map(|w| Part::of(w, &eval_with)),
                require: Part::of(r.require_expression(), &eval_with),
            })
            .collect();
        let records = rules.iter().filter(|r| r.text.on == On::Statement).all(|r| {
            r.when_expression().is_none_or(crate::celview::reads_only_fields)
                && crate::celview::reads_only_fields(r.require_expression())
        });
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            root,
            agreement,
            plans,
            records,
        }
    }

    /// Tells these shortcuts from any other made in this process.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether statements may be lent to these rules as records (`celview`'s `StatementVal`):
    /// every statement rule reads `s` and `prev` only through fields. Otherwise they get
    /// `cel`'s maps.
    pub fn records(&self) -> bool {
        self.records
    }

    /// What the statement's fields with few values tell (table look-ups only, no CEL: for
    /// the engine's thread).
    pub fn by_fields(&self, st: &Statement) -> Known {
        self.judge(st, None)
    }

    /// What the statement tells, with the parts that read it otherwise than through a table
    /// evaluated with `s`, its value as rules see it ([`crate::celview::statement_val`]): for
    /// the signature checks' cores.
    pub fn by_statement(&self, st: &Statement, s: &dyn Val) -> Known {
        let vars = Vars {
            s,
            agreement: self.agreement.as_ref(),
        };
        let mut ctx = self.root.new_inner_scope();
        ctx.set_variable_resolver(&vars);
        self.judge(st, Some(&ctx))
    }

    fn judge(&self, st: &Statement, ctx: Option<&cel::Context>) -> Known {
        let mut known = Known::default();
        let Some(k) = kind_index(st.kind()) else {
            return known;
        };
        for (i, plan) in self.plans.iter().enumerate() {
            let when = match &plan.when {
                None => Some(true),
                Some(w) => w.known(k, st, ctx),
            };
            set(&mut known.when_true, &mut known.when_false, i, when);
            if when == Some(false) {
                continue;
            }
            let require = plan.require.known(k, st, ctx);
            set(&mut known.require_true, &mut known.require_false, i, require);
        }
        known
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RuleSet, Verdict};
    use crate::sim::{self, Deployment, Fault, HOUR_MS, SimConfig};
    use crate::statement::Statement;

    /// A rule set with every shape of part: kind-only, statement-only, engine state, in `&&`,
    /// `||` and nested, with parts that fail (a missing field) or are not bools.
    const RULES: &str = r#"
[agreement]
max = 3
bins = [6, 7, 8]
[[rule]]
id = "a"
title = "t"
when = "s.kind == 'silo' && has_prev && !s.body.silo.interceptor_present"
require = "s.body.silo.readiness == 'inactive' || state.trigger_cosigned"
[[rule]]
id = "b"
title = "t"
when = "s.kind == 'radar' && s.body.radar.transmitting"
require = "s.body.radar.sector_bin in agreement.bins"
[[rule]]
id = "c"
title = "t"
when = "s.kind != 'notice' && (s.body.silo.tamper || s.kind == 'radar')"
require = "s.seq > 100 && state.interceptors_present <= agreement.max"
[[rule]]
id = "d"
title = "t"
require = "s.kind in ['silo', 'radar'] || notices.exists(n, n.site == s.site)"
[[rule]]
id = "e"
title = "t"
when = "s.seq || s.kind == 'inspection'"
require = "s.time_ms > 0 && (s.kind == 'silo' || s.clock_ok) && s.body.radar.mode != 'track'"
[[rule]]
id = "f"
title = "t"
when = "[1, 2].exists(state, state == 2) && s.kind == 'silo'"
require = "state.trigger_cosigned || s.body.silo.seal_intact"
[[rule]]
id = "h"
title = "t"
when = "s.kind == 'radar'"
require = "!s.body.radar.transmitting || s.seq > 0"
[[rule]]
id = "i"
title = "t"
require = "s.seq < 0 || s.kind == 'silo' || state.trigger_cosigned"
[[rule]]
id = "j"
title = "t"
when = "s.clock_ok && s.kind == 'silo' && s.body.silo.interceptor_present"
require = "s.seq > 0 && s.kind == 'silo'"
[[rule]]
id = "k"
title = "t"
when = "has(s.body.silo) && s.body.silo.silo > 3"
require = "s.body.silo.silo != 7 || s.body.silo.door == 'open'"
[[rule]]
id = "l"
title = "t"
when = "s.body.radar.mode == 'track' || s.body.radar.power_class > 2"
require = "s.body.radar.sector_bin in agreement.bins && s.clock_ok"
[[rule]]
id = "m"
title = "t"
when = "s.body.silo.door != 'closed' || s.body.silo.readiness == 'inactive' && s.body.silo.seal_intact"
require = "s.body.notice.notice == 'radiate' || state.trigger_cosigned"
[[rule]]
id = "n"
title = "t"
when = "s.body.radar.sector_bin - s.body.radar.power_class > 8"
require = "(s.body.radar.mode == 'track') != s.clock_ok"
[[rule]]
id = "o"
title = "t"
when = "s.kind == 'silo'"
require = "(s.body.silo.door == 'closed') == s.body.silo.interceptor_present"
[[rule]]
id = "g"
title = "t"
on = "checkpoint"
require = "checkpoint.size > 0"
"#;

    /// The parts read through tables, those evaluated with the statement and those left to
    /// the engine are split out as expected.
    #[test]
    fn parts_are_classified() {
        let rs = RuleSet::from_toml("r.toml", RULES).unwrap();
        let sc = rs.shortcuts();
        assert_eq!(sc.plans.len(), 14);
        let Some(Part::And(a)) = &sc.plans[0].when else {
            panic!("{:?}", sc.plans[0].when)
        };
        // `s.kind == 'silo'`: true for silos only (radar, silo, inspection, notice).
        let Part::Table(t) = &a[0] else {
            panic!("{:?}", a[0])
        };
        let by_kind: Vec<&Vec<Option<bool>>> = t.by_kind.iter().map(|(_, v)| v).collect();
        assert_eq!(
            by_kind,
            [
                &vec![Some(false)],
                &vec![Some(true)],
                &vec![Some(false)],
                &vec![Some(false)]
            ]
        );
        assert!(matches!(a[1], Part::Engine));
        // `!s.body.silo.interceptor_present`: by its two values for silos, an error otherwise.
        let Part::Table(t) = &a[2] else {
            panic!("{:?}", a[2])
        };
        assert_eq!(t.by_kind[1].1, [Some(true), Some(false)]);
        assert_eq!(t.by_kind[0].1, [None]);
        // A comprehension variable named like a rule variable: not the statement's alone.
        let Some(Part::And(f)) = &sc.plans[5].when else {
            panic!("{:?}", sc.plans[5].when)
        };
        assert!(matches!(f[0], Part::Engine));
        // A field with many values, `has()`: evaluated with the statement.
        let Part::And(c) = &sc.plans[2].require else {
            panic!("{:?}", sc.plans[2].require)
        };
        assert!(matches!(c[..], [Part::Statement(_), Part::Engine]));
        let Some(Part::And(k)) = &sc.plans[9].when else {
            panic!("{:?}", sc.plans[9].when)
        };
        assert!(matches!(k[..], [Part::Statement(_), Part::Statement(_)]));
        // Several fields: every combination (36 sector bins by 2 clock flags for radars).
        let Some(Part::Or(l)) = &sc.plans[10].when else {
            panic!("{:?}", sc.plans[10].when)
        };
        assert!(matches!(l[..], [Part::Table(_), Part::Table(_)]));
        let Part::And(l) = &sc.plans[10].require else {
            panic!("{:?}", sc.plans[10].require)
        };
        let Part::Table(t) = &l[0] else {
            panic!("{:?}", l[0])
        };
        assert_eq!(t.by_kind[0].1.len(), 36);
        let Some(Part::Table(t)) = &sc.plans[12].when else {
            panic!("{:?}", sc.plans[12].when)
        };
        assert_eq!(t.by_kind[0].1.len(), 36 * 4);
    }

    /// Every field's value read from the typed statement is the statement's as rules see it
    /// (its JSON plus `kind`), and one of the values the tables list.
    #[test]
    fn fields_are_read_as_rules_see_them() {
        let mut cfg = SimConfig::europe_2008_day(1_767_225_600_000);
        cfg.period_ms = 20 * 60_000;
        cfg.faults = Fault::ALL
            .iter()
            .enumerate()
            .map(|(i, (_, f))| (i as i64 * HOUR_MS, *f))
            .collect();
        let dep = Deployment::new(&cfg).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for e in sim::simulate(&dep, &cfg).unwrap() {
            let Ok(st) = Statement::from_text(&crate::keys::peek_note(&e.entry).unwrap().0) else {
                continue;
            };
            let mut json = serde_json::to_value(&st).unwrap();
            json.as_object_mut()
                .unwrap()
                .insert("kind".into(), st.kind().into());
            for f in Field::ALL {
                let at = f.path().iter().try_fold(&json, |v, p| v.get(*p));
                match f.of(&st) {
                    Some(v) => {
                        assert_eq!(at, Some(&v.json()), "{f:?} of {st:?}");
                        assert!(f.values(st.kind()).contains(&v), "{f:?} of {st:?}");
                        seen.insert(format!("{f:?}"));
                    }
                    None => assert_eq!(at, None, "{f:?} of {st:?}"),
                }
            }
        }
        assert_eq!(seen.len(), Field::ALL.len(), "{seen:?}");
    }

    /// Every rule's outcome known ahead (by kind, by statement) is the outcome of evaluating the
    /// rule's whole `when` and `require`, on a simulated day with faults, under both values of
    /// the engine's state.
    #[test]
    fn known_outcomes_are_those_of_full_evaluation() {
        let rs = RuleSet::from_toml("r.toml", RULES).unwrap();
        let builtin = crate::rules::builtin_or_path("europe-2008").unwrap();
        let mut cfg = SimConfig::europe_2008_day(1_767_225_600_000);
        cfg.period_ms = 20 * 60_000;
        cfg.duration_ms = 24 * HOUR_MS;
        cfg.faults = Fault::ALL
            .iter()
            .enumerate()
            .map(|(i, (_, f))| (i as i64 * HOUR_MS, *f))
            .collect();
        let dep = Deployment::new(&cfg).unwrap();
        let mut checked = [0usize; 2];
        let mut decided = 0usize;
        for e in sim::simulate(&dep, &cfg).unwrap() {
            let Ok(st) = Statement::from_text(&crate::keys::peek_note(&e.entry).unwrap().0) else {
                continue;
            };
            let s = crate::celview::statement_val(&st);
            for (set, rules) in [(0, &rs), (1, &builtin)] {
                let sc = rules.shortcuts();
                let by_fields = sc.by_fields(&st);
                let by_statement = sc.by_statement(&st, s.as_ref());
                for (trigger, has_prev) in [(false, false), (true, true), (false, true)] {
                    let mut vars = std::collections::HashMap::new();
                    vars.insert("s", {
                        let mut v = serde_json::to_value(&st).unwrap();
                        v.as_object_mut().unwrap().insert("kind".into(), st.kind().into());
                        v
                    });
                    vars.insert("has_prev", has_prev.into());
                    vars.insert(
                        "prev",
                        serde_json::json!({"body": {"silo": {"interceptor_present": true}}}),
                    );
                    vars.insert(
                        "notices",
                        serde_json::json!([{"site": "brdy", "notice": "radiate", "from_ms": 0, "to_ms": 1, "subject": "x", "time_ms": 0, "cosigned": false}]),
                    );
                    vars.insert(
                        "state",
                        serde_json::json!({"interceptors_present": 2, "trigger_cosigned": trigger}),
                    );
                    vars.insert("agreement", rules.agreement.clone());
                    let vars = crate::rules::Variables::new(&vars);
                    for (i, rule) in rules
                        .rules
                        .iter()
                        .filter(|r| r.text.on == On::Statement)
                        .enumerate()
                    {
                        let full = rule.evaluate_in(&vars);
                        for known in [by_fields, by_statement] {
                            let shortcut = rule.evaluate_known(&vars.0, known.when(i), known.require(i));
                            match (&full, &shortcut) {
                                (Ok(a), Ok(b)) => assert_eq!(a, b, "rule {} on {st:?}", rule.text.id),
                                (Err(a), Err(b)) => assert_eq!(
                                    a.to_string(),
                                    b.to_string(),
                                    "rule {} on {st:?}",
                                    rule.text.id
                                ),
                                _ => panic!("rule {} on {st:?}: {full:?} against {shortcut:?}", rule.text.id),
                            }
                            if known.when(i).is_some() || known.require(i).is_some() {
                                decided += 1;
                            }
                        }
                        if matches!(full, Ok(Verdict::Violated)) {
                            checked[set] += 1;
                        }
                    }
                }
            }
        }
        // Violations were met, and most outcomes were known ahead.
        assert!(checked[0] > 0 && checked[1] > 0, "{checked:?}");
        assert!(decided > 1000, "{decided}");
    }
}
