//! Compliance rules as data: a TOML file of rules written in the Common Expression Language
//! (CEL, via the `cel` crate), plus the agreement's parameters they refer to.
//!
//! # File format
//!
//! ```toml
//! [agreement]              # any values; rules see them as `agreement.<name>`
//! max_interceptors = 10
//!
//! [[rule]]
//! id = "max-interceptors"  # [a-z0-9-], unique
//! title = "At most 10 interceptors emplaced"
//! source = "Agreement text, art. 2"  # optional
//! on = "statement"         # or "checkpoint"; default "statement"
//! scope = "deployment"     # episode scope: "sensor" (default), "site" or "deployment"
//! when = "s.kind == 'silo'"          # optional: does the rule apply? (CEL, bool)
//! require = "state.interceptors_present <= agreement.max_interceptors"  # must hold (CEL, bool)
//! ```
//!
//! A rule is **violated** when `when` is true and `require` is false. Integers are CEL `int`s
//! (times in Unix milliseconds).
//!
//! # Variables
//!
//! `on = "statement"` rules are evaluated for every admitted statement, in log order, with:
//! `s` (the statement: `sensor`, `site`, `seq`, `time_ms`, `clock_ok`, `kind`, `body.<kind>.<field>`),
//! `has_prev` and `prev` (the same sensor's previous statement, `{}` if none), `notices` (every
//! notice logged so far: `site`, `notice`, `from_ms`, `to_ms`, `subject`, `time_ms`, `cosigned`),
//! `state` (`interceptors_present`: silos whose latest reading shows an interceptor, over all
//! sites; `trigger_cosigned`: an activation trigger signed by two parties has been logged),
//! `agreement`.
//!
//! `on = "checkpoint"` rules are evaluated for every witness-cosigned checkpoint, with
//! `checkpoint` (`size`; `cosigned_ms`, the quorum-th newest cosignature time, and
//! `previous_cosigned_ms`, the previous checkpoint's quorum-th oldest, 0 for the first: see
//! [`crate::evidence::Judged`]), `sensors` (one
//! per sensor: `sensor`, `site`, `kind`, `first_seq`, `last_seq`, `received`, `last_time_ms`),
//! `pending_changes` (silo changes not yet notified: `sensor`, `site`, `subject`, `time_ms`),
//! `agreement`.
//!
//! Variables are checked when the file is loaded, so a misspelt name is an error with its
//! position, not a rule that silently never fires.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use cel::objects::Value as Cel;
use cel::{Context, Program};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::shortcut::Shortcuts;

/// When a rule is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum On {
    /// For every admitted statement.
    #[default]
    Statement,
    /// For every witness-cosigned checkpoint.
    Checkpoint,
}

impl On {
    pub(crate) fn variables(self) -> &'static [&'static str] {
        match self {
            On::Statement => &["s", "prev", "has_prev", "notices", "state", "agreement"],
            On::Checkpoint => &["checkpoint", "sensors", "pending_changes", "agreement"],
        }
    }
}

/// Over what a violation *episode* extends: a rule that keeps failing is reported once per
/// episode, until it holds again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One episode per sensor (a sensor's own readings).
    #[default]
    Sensor,
    /// One episode per site.
    Site,
    /// One episode for the whole deployment (rules on aggregate state, e.g. a count).
    Deployment,
}

/// A rule as written in the file (what evidence bundles carry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleText {
    /// Identifier.
    pub id: String,
    /// One-line statement of the obligation.
    pub title: String,
    /// Where the obligation comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When it is evaluated.
    #[serde(default)]
    pub on: On,
    /// Episode scope.
    #[serde(default)]
    pub scope: Scope,
    /// Applicability condition (CEL); always applicable if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// The condition that must hold (CEL).
    pub require: String,
}

/// A compiled rule.
pub struct Rule {
    /// Its text.
    pub text: RuleText,
    when: Option<Program>,
    require: Program,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

/// Outcome of evaluating one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// `when` is false.
    NotApplicable,
    /// `require` holds.
    Holds,
    /// `when` is true and `require` is false.
    Violated,
}

/// A loaded rule file.
#[derive(Debug)]
pub struct RuleSet {
    /// The agreement's parameters, as JSON.
    pub agreement: serde_json::Value,
    /// Rules in file order.
    pub rules: Vec<Rule>,
    /// What the statement alone decides of the statement rules (made from `rules` and
    /// `agreement` when the file is loaded).
    shortcuts: Arc<Shortcuts>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    agreement: toml::Table,
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    title: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    on: On,
    #[serde(default)]
    scope: Scope,
    #[serde(default)]
    when: Option<toml::Spanned<String>>,
    require: toml::Spanned<String>,
}

/// Line and column (1-based) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.len(), |p| before.len() - p - 1) + 1;
    (line, col)
}

impl RuleSet {
    /// Parses and compiles a rule file; `name` is used in error positions.
    ///
    /// # Errors
    ///
    /// [`Error::Rules`] with `name:line:column` for TOML errors, CEL syntax errors, unknown
    /// variables and duplicate or malformed rule IDs.
    pub fn from_toml(name: &str, text: &str) -> Result<Self> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let pos = e
                .span()
                .map(|s| line_col(text, s.start))
                .map_or(String::new(), |(l, c)| format!("{l}:{c}:"));
            Error::Rules(format!("{name}:{pos} {}", e.message()))
        })?;
        let agreement = serde_json::to_value(&raw.agreement)
            .map_err(|e| Error::Rules(format!("{name}: [agreement]: {e}")))?;
        let mut ids = BTreeSet::new();
        let mut rules = Vec::with_capacity(raw.rule.len());
        for r in raw.rule {
            let at = |sp: &toml::Spanned<String>| {
                let (l, c) = line_col(text, sp.span().start);
                format!("{name}:{l}:{c}")
            };
            if !crate::statement::valid_id(&r.id) {
                return Err(Error::Rules(format!(
                    "{}: rule id {:?} must be 1-64 of [a-z0-9-]",
                    at(&r.require),
                    r.id
                )));
            }
            if !ids.insert(r.id.clone()) {
                return Err(Error::Rules(format!(
                    "{}: duplicate rule id {:?}",
                    at(&r.require),
                    r.id
                )));
            }
            let compile = |field: &str, sp: &toml::Spanned<String>| -> Result<Program> {
                let prog = Program::compile(sp.get_ref()).map_err(|errs| {
                    let detail: Vec<String> = errs
                        .errors
                        .iter()
                        .map(|e| format!("at {}:{} of the expression: {}", e.pos.0, e.pos.1, e.msg))
                        .collect();
                    Error::Rules(format!(
                        "{}: rule {:?} {field}: CEL syntax error {}",
                        at(sp),
                        r.id,
                        detail.join("; ")
                    ))
                })?;
                let allowed = r.on.variables();
                let mut bound = BTreeSet::new();
                bound_variables(prog.expression(), &mut bound);
                let refs = prog.references();
                for v in refs.variables() {
                    if !allowed.contains(&v) && !bound.contains(v) {
                        return Err(Error::Rules(format!(
                            "{}: rule {:?} {field}: unknown variable {v:?} for on = {:?} (known: {})",
                            at(sp),
                            r.id,
                            r.on,
                            allowed.join(", ")
                        )));
                    }
                }
                Ok(prog)
            };
            let when = r.when.as_ref().map(|w| compile("when", w)).transpose()?;
            let require = compile("require", &r.require)?;
            rules.push(Rule {
                text: RuleText {
                    id: r.id.clone(),
                    title: r.title,
                    source: r.source,
                    on: r.on,
                    scope: r.scope,
                    when: r.when.map(|w| w.into_inner()),
                    require: r.require.into_inner(),
                },
                when,
                require,
            });
        }
        let shortcuts = Arc::new(Shortcuts::new(&rules, &agreement));
        Ok(Self {
            agreement,
            rules,
            shortcuts,
        })
    }

    /// Reads and loads a rule file.
    ///
    /// # Errors
    ///
    /// As [`RuleSet::from_toml`], or [`Error::Rules`] if the file cannot be read.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Rules(format!("{}: cannot read: {e}", path.display())))?;
        Self::from_toml(&path.display().to_string(), &text)
    }

    /// What the statement alone decides of the statement rules ([`crate::shortcut`]).
    pub fn shortcuts(&self) -> &Arc<Shortcuts> {
        &self.shortcuts
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.text.id == id)
    }
}

impl Rule {
    /// Evaluates the rule with `vars` (JSON values by variable name; `agreement` is added by the
    /// caller).
    ///
    /// # Errors
    ///
    /// [`Error::Rules`] if an expression fails at run time (missing key, wrong type) or does
    /// not yield a bool.
    pub fn evaluate(&self, vars: &HashMap<&str, serde_json::Value>) -> Result<Verdict> {
        self.evaluate_in(&Variables::new(vars))
    }

    /// Evaluates the rule with variables already converted (once for all the rules evaluated on
    /// one statement or checkpoint).
    ///
    /// # Errors
    ///
    /// As [`Rule::evaluate`].
    pub fn evaluate_in(&self, vars: &Variables) -> Result<Verdict> {
        self.evaluate_with(&vars.0)
    }

    /// Its `when`, as parsed.
    pub(crate) fn when_expression(&self) -> Option<&cel::IdedExpr> {
        self.when.as_ref().map(Program::expression)
    }

    /// Its `require`, as parsed.
    pub(crate) fn require_expression(&self) -> &cel::IdedExpr {
        self.require.expression()
    }

    /// Evaluates the rule in `ctx`, a CEL context holding (or resolving) its variables.
    ///
    /// # Errors
    ///
    /// As [`Rule::evaluate`].
    pub fn evaluate_with(&self, ctx: &Context) -> Result<Verdict> {
        self.evaluate_known(ctx, None, None)
    }

    /// [`Rule::evaluate_with`], with the values of `when` and `require` that are already known
    /// ([`crate::shortcut::Known`]: the values those expressions evaluate to in `ctx`) taken
    /// instead of evaluated.
    ///
    /// # Errors
    ///
    /// As [`Rule::evaluate`].
    pub fn evaluate_known(
        &self,
        ctx: &Context,
        when: Option<bool>,
        require: Option<bool>,
    ) -> Result<Verdict> {
        let run = |field: &str, p: &Program| -> Result<bool> {
            match p.execute(ctx) {
                Ok(Cel::Bool(b)) => Ok(b),
                Ok(other) => Err(Error::Rules(format!(
                    "rule {:?} {field}: yields {other:?}, not a bool",
                    self.text.id
                ))),
                Err(e) => Err(Error::Rules(format!("rule {:?} {field}: {e}", self.text.id))),
            }
        };
        let applies = match (when, &self.when) {
            (Some(known), _) => known,
            (None, None) => true,
            (None, Some(w)) => run("when", w)?,
        };
        if !applies {
            return Ok(Verdict::NotApplicable);
        }
        let holds = match require {
            Some(known) => known,
            None => run("require", &self.require)?,
        };
        Ok(if holds { Verdict::Holds } else { Verdict::Violated })
    }
}

/// Rule variables converted to CEL values.
pub struct Variables(pub(crate) Context<'static, 'static>);

impl Variables {
    /// Converts `vars` (JSON values by variable name).
    pub fn new(vars: &HashMap<&str, serde_json::Value>) -> Self {
        let mut ctx = Context::default();
        for (name, v) in vars {
            ctx.add_variable_from_value(*name, to_cel(v));
        }
        Self(ctx)
    }
}

impl std::fmt::Debug for Variables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variables").finish_non_exhaustive()
    }
}

/// Names bound by comprehension macros (`exists(n, ...)`, `all`, `map`, `filter`) anywhere in
/// `e`: they are not free variables.
pub(crate) fn bound_variables(e: &cel::IdedExpr, out: &mut BTreeSet<String>) {
    use cel::common::ast::{EntryExpr, Expr};
    let entries = |es: &Vec<cel::common::ast::IdedEntryExpr>, out: &mut BTreeSet<String>| {
        for en in es {
            match &en.expr {
                EntryExpr::StructField(f) => bound_variables(&f.value, out),
                EntryExpr::MapEntry(m) => {
                    bound_variables(&m.key, out);
                    bound_variables(&m.value, out);
                }
            }
        }
    };
    match &e.expr {
        Expr::Comprehension(c) => {
            out.insert(c.iter_var.clone());
            if let Some(v) = &c.iter_var2 {
                out.insert(v.clone());
            }
            out.insert(c.accu_var.clone());
            for sub in [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                bound_variables(sub, out);
            }
        }
        Expr::Call(c) => {
            if let Some(t) = &c.target {
                bound_variables(t, out);
            }
            for a in &c.args {
                bound_variables(a, out);
            }
        }
        Expr::List(l) => l.elements.iter().for_each(|x| bound_variables(x, out)),
        Expr::Map(m) => entries(&m.entries, out),
        Expr::Struct(s) => entries(&s.entries, out),
        Expr::Select(s) => bound_variables(&s.operand, out),
        Expr::Unspecified | Expr::Ident(_) | Expr::Literal(_) => {}
    }
}

/// JSON → CEL, with every integer a CEL `int` (so `s.seq > 3` compares like with like).
pub(crate) fn to_cel(v: &serde_json::Value) -> Cel {
    use serde_json::Value as J;
    match v {
        J::Null => Cel::Null,
        J::Bool(b) => Cel::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Cel::Int(i),
            None => Cel::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Cel::String(s.clone().into()),
        J::Array(a) => Cel::List(a.iter().map(to_cel).collect::<Vec<_>>().into()),
        J::Object(o) => {
            let m: HashMap<String, Cel> = o.iter().map(|(k, v)| (k.clone(), to_cel(v))).collect();
            Cel::Map(m.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_has_file_position() {
        let text = "[[rule]]\nid = \"a\"\ntitle = \"t\"\nrequire = \"1 +\"\n";
        let e = RuleSet::from_toml("r.toml", text).unwrap_err().to_string();
        assert!(e.contains("r.toml:4:11"), "{e}");
        assert!(e.contains("CEL syntax error"), "{e}");
    }

    #[test]
    fn unknown_variable_is_refused() {
        let text = "[[rule]]\nid = \"a\"\ntitle = \"t\"\nrequire = \"sensor.seq > 1\"\n";
        let e = RuleSet::from_toml("r.toml", text).unwrap_err().to_string();
        assert!(e.contains("unknown variable \"sensor\""), "{e}");
    }

    #[test]
    fn evaluates_with_ints() {
        let text = "[agreement]\nmax = 10\n[[rule]]\nid = \"a\"\ntitle = \"t\"\nwhen = \"s.kind == 'silo'\"\nrequire = \"state.n <= agreement.max\"\n";
        let rs = RuleSet::from_toml("r.toml", text).unwrap();
        let mut vars = HashMap::new();
        vars.insert("agreement", rs.agreement.clone());
        vars.insert("s", serde_json::json!({"kind": "silo"}));
        vars.insert("state", serde_json::json!({"n": 11u64}));
        assert_eq!(rs.rules[0].evaluate(&vars).unwrap(), Verdict::Violated);
        vars.insert("state", serde_json::json!({"n": 10}));
        assert_eq!(rs.rules[0].evaluate(&vars).unwrap(), Verdict::Holds);
        vars.insert("s", serde_json::json!({"kind": "radar"}));
        assert_eq!(rs.rules[0].evaluate(&vars).unwrap(), Verdict::NotApplicable);
    }
}

/// The built-in rule file for the `europe-2008` deployment.
pub const EUROPE_2008: &str = include_str!("../rules/europe-2008.toml");

/// Loads a built-in rule file by name (`europe-2008`) or a rule file by path.
///
/// # Errors
///
/// As [`RuleSet::load`].
pub fn builtin_or_path(name: &str) -> Result<RuleSet> {
    match name {
        "europe-2008" => RuleSet::from_toml("europe-2008 (built in)", EUROPE_2008),
        path => RuleSet::load(std::path::Path::new(path)),
    }
}

#[cfg(test)]
mod builtin_tests {
    #[test]
    fn europe_2008_rules_load() {
        let rs = super::builtin_or_path("europe-2008").unwrap();
        assert_eq!(rs.rules.len(), 11);
    }
}
