//! The statement rules, decided where they can be from the statement alone, before the engine.
//!
//! Most of the statement rules' work needs nothing of the engine's state: `s.kind == 'silo'`
//! is false for a radar reading whatever came before it, and `s.body.radar.sector_bin in
//! agreement.radar_sector_bins` reads only the statement and the agreement. [`Shortcuts`] looks at
//! each statement rule's `when` and `require` once, when the rules are loaded, and splits them
//! at CEL's `&&` and `||` into parts:
//!
//! - parts that read `s` only as `s.kind` (and maybe `agreement`): evaluated once per kind of
//!   statement, when the rules are loaded; a statement costs a table look-up;
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

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use cel::IdedExpr;
use cel::common::ast::Expr;
use cel::common::types::{CelBool, CelMap, CelMapKey, CelString};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;

use crate::rules::{On, Rule};

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
    /// Reads `s` only as `s.kind`: its value for each kind of [`KINDS`] (`None`: not a bool).
    ByKind([Option<bool>; KINDS.len()]),
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

/// Every `s` in `e` is `s.kind` (a plain selection, not `has(s.kind)`).
fn reads_only_kind(e: &IdedExpr) -> bool {
    match &e.expr {
        Expr::Ident(name) => name != "s",
        Expr::Select(sel) => {
            if let Expr::Ident(name) = &sel.operand.expr
                && name == "s"
            {
                return sel.field == "kind" && !sel.test;
            }
            reads_only_kind(&sel.operand)
        }
        Expr::Call(c) => c.target.iter().all(|t| reads_only_kind(t)) && c.args.iter().all(reads_only_kind),
        Expr::List(l) => l.elements.iter().all(reads_only_kind),
        Expr::Map(m) => m.entries.iter().all(|en| match &en.expr {
            cel::common::ast::EntryExpr::MapEntry(me) => {
                reads_only_kind(&me.key) && reads_only_kind(&me.value)
            }
            cel::common::ast::EntryExpr::StructField(f) => reads_only_kind(&f.value),
        }),
        Expr::Struct(st) => st.entries.iter().all(|en| match &en.expr {
            cel::common::ast::EntryExpr::MapEntry(me) => {
                reads_only_kind(&me.key) && reads_only_kind(&me.value)
            }
            cel::common::ast::EntryExpr::StructField(f) => reads_only_kind(&f.value),
        }),
        Expr::Comprehension(c) => [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result]
            .into_iter()
            .all(reads_only_kind),
        Expr::Literal(_) | Expr::Unspecified => true,
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
    fn of(e: &IdedExpr, kinds: &dyn Fn(&IdedExpr) -> [Option<bool>; KINDS.len()]) -> Self {
        for (op, make) in [
            ("_&&_", Part::And as fn(Vec<Part>) -> Part),
            ("_||_", Part::Or as fn(Vec<Part>) -> Part),
        ] {
            let mut ops = Vec::new();
            operands(e, op, &mut ops);
            if ops.len() > 1 {
                return make(ops.into_iter().map(|o| Part::of(o, kinds)).collect());
            }
        }
        if !reads_only_statement(e) {
            Part::Engine
        } else if reads_only_kind(e) {
            Part::ByKind(kinds(e))
        } else {
            Part::Statement(e.clone())
        }
    }

    /// What is known of the part for a statement of kind `kind` (index in [`KINDS`]); parts read
    /// from `s` only when `ctx` is given (`None`: the kind alone).
    fn known(&self, kind: usize, ctx: Option<&cel::Context>) -> Option<bool> {
        match self {
            Part::ByKind(t) => t[kind],
            Part::Statement(e) => eval(e, ctx?),
            Part::Engine => None,
            Part::And(ps) => {
                let mut all = true;
                // The kind look-ups first: free, and they decide most.
                for p in ps.iter().filter(|p| matches!(p, Part::ByKind(_))) {
                    match p.known(kind, ctx) {
                        Some(false) => return Some(false),
                        Some(true) => {}
                        None => all = false,
                    }
                }
                for p in ps.iter().filter(|p| !matches!(p, Part::ByKind(_))) {
                    match p.known(kind, ctx) {
                        Some(false) => return Some(false),
                        Some(true) => {}
                        None => all = false,
                    }
                }
                all.then_some(true)
            }
            Part::Or(ps) => {
                let mut all = true;
                for p in ps.iter().filter(|p| matches!(p, Part::ByKind(_))) {
                    match p.known(kind, ctx) {
                        Some(true) => return Some(true),
                        Some(false) => {}
                        None => all = false,
                    }
                }
                for p in ps.iter().filter(|p| !matches!(p, Part::ByKind(_))) {
                    match p.known(kind, ctx) {
                        Some(true) => return Some(true),
                        Some(false) => {}
                        None => all = false,
                    }
                }
                all.then_some(false)
            }
        }
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
        let kinds = |e: &IdedExpr| -> [Option<bool>; KINDS.len()] {
            std::array::from_fn(|k| {
                let mut m: HashMap<CelMapKey<'static>, Box<dyn Val>> = HashMap::with_capacity(1);
                m.insert("kind".into(), Box::new(CelString::from(KINDS[k].to_owned())));
                let s = CelMap::from(m);
                let vars = Vars {
                    s: &s,
                    agreement: agreement.as_ref(),
                };
                let mut ctx = root.new_inner_scope();
                ctx.set_variable_resolver(&vars);
                eval(e, &ctx)
            })
        };
        let plans = rules
            .iter()
            .filter(|r| r.text.on == On::Statement)
            .take(MAX_RULES)
            .map(|r| Plan {
                when: r.when_expression().map(|w| Part::of(w, &kinds)),
                require: Part::of(r.require_expression(), &kinds),
            })
            .collect();
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            root,
            agreement,
            plans,
        }
    }

    /// Tells these shortcuts from any other made in this process.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// What a statement's kind alone tells (a table look-up per rule; the engine's thread).
    pub fn by_kind(&self, kind: &str) -> Known {
        self.judge(kind, None)
    }

    /// What a statement's kind and its value `s` (as rules see it,
    /// [`crate::celview::statement_val`]) tell, with the parts that read `s` evaluated (the
    /// signature checks' cores).
    pub fn by_statement(&self, kind: &str, s: &dyn Val) -> Known {
        let vars = Vars {
            s,
            agreement: self.agreement.as_ref(),
        };
        let mut ctx = self.root.new_inner_scope();
        ctx.set_variable_resolver(&vars);
        self.judge(kind, Some(&ctx))
    }

    fn judge(&self, kind: &str, ctx: Option<&cel::Context>) -> Known {
        let mut known = Known::default();
        let Some(k) = kind_index(kind) else {
            return known;
        };
        for (i, plan) in self.plans.iter().enumerate() {
            let when = match &plan.when {
                None => Some(true),
                Some(w) => w.known(k, ctx),
            };
            set(&mut known.when_true, &mut known.when_false, i, when);
            if when == Some(false) {
                continue;
            }
            let require = plan.require.known(k, ctx);
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
id = "g"
title = "t"
on = "checkpoint"
require = "checkpoint.size > 0"
"#;

    /// The kind-only and statement-only parts are split out as expected.
    #[test]
    fn parts_are_classified() {
        let rs = RuleSet::from_toml("r.toml", RULES).unwrap();
        let sc = rs.shortcuts();
        assert_eq!(sc.plans.len(), 9);
        let Some(Part::And(a)) = &sc.plans[0].when else {
            panic!("{:?}", sc.plans[0].when)
        };
        assert!(matches!(
            a[0],
            Part::ByKind([Some(false), Some(true), Some(false), Some(false)])
        ));
        assert!(matches!(a[1], Part::Engine));
        assert!(matches!(a[2], Part::Statement(_)));
        // A comprehension variable named like a rule variable: not the statement's alone.
        let Some(Part::And(f)) = &sc.plans[5].when else {
            panic!("{:?}", sc.plans[5].when)
        };
        assert!(matches!(f[0], Part::Engine));
        // `has(s.kind)`-like or other uses of `s`: not by kind.
        assert!(matches!(sc.plans[2].require, Part::And(_)));
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
                let by_kind = sc.by_kind(st.kind());
                let by_statement = sc.by_statement(st.kind(), s.as_ref());
                for (trigger, has_prev) in [(false, false), (true, true), (false, true)] {
                    let mut vars = HashMap::new();
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
                        for known in [by_kind, by_statement] {
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
