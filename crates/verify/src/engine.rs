//! The compliance engine: replays log entries in index order through the [`Registry`] and the
//! [`RuleSet`], keeping the state rules need, and reports [`Finding`]s.
//!
//! The same engine runs in the monitor (over the whole log) and in offline evidence checking
//! (over the entries a bundle carries), so a finding is confirmed by recomputing it, not by
//! trusting whoever reported it.
//!
//! Integrity findings are built in: entries in the log that should never have been accepted
//! (forged or unregistered signatures, revoked keys, schema violations), replays, sequence gaps
//! (withheld data), clock problems (integrity flag down, time going backwards, readings dated
//! after the witness cosigned the checkpoint that first contains them). Compliance findings come
//! from the rules; a rule that keeps failing for the same sensor is one finding (an *episode*)
//! until it holds again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use cel::common::types::CelList;
use cel::common::value::Val;

use crate::celview::{self, StatementVars};
use crate::error::Error;
use crate::roster::{Admitted, Registry};
use crate::rules::{On, RuleSet, Scope, Variables, Verdict};
use crate::shortcut::Known;
use crate::sigcheck::Signed;
use crate::statement::{Body, NoticeKind, Statement};

/// How far (ms) a reading may be dated after the witness cosignature of the first checkpoint
/// containing it before it counts as a clock running ahead.
pub const CLOCK_AHEAD_TOLERANCE_MS: i64 = 60_000;

/// What kind of problem a finding is.
///
/// Read strictly: a kind with any key besides `type` and `detail` is refused, so an evidence bundle
/// cannot carry a claim (`"verdict": …`) inside its finding's kind that the replay never checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(
    rename_all = "snake_case",
    tag = "type",
    content = "detail",
    deny_unknown_fields
)]
pub enum FindingKind {
    /// A compliance rule is violated (the rule's id).
    Rule(String),
    /// The log holds an entry that does not verify (forged, unregistered or revoked key,
    /// wrong role or site, malformed, broken roster chain).
    Forged,
    /// The log holds an entry with a field outside the agreed schema (over-collection).
    OverCollection,
    /// A reading whose sequence number is not above the sensor's previous one.
    Replay,
    /// Missing sequence numbers: data withheld.
    Gap,
    /// The sensor's clock-integrity flag is down.
    ClockIntegrity,
    /// A reading dated before the sensor's previous reading.
    ClockBackwards,
    /// A reading dated after the witness cosigned the checkpoint first containing it.
    ClockAhead,
}

impl FindingKind {
    /// Short name (`rule:<id>`, `gap`, …).
    pub fn name(&self) -> String {
        match self {
            FindingKind::Rule(id) => format!("rule:{id}"),
            FindingKind::Forged => "forged".into(),
            FindingKind::OverCollection => "over_collection".into(),
            FindingKind::Replay => "replay".into(),
            FindingKind::Gap => "gap".into(),
            FindingKind::ClockIntegrity => "clock_integrity".into(),
            FindingKind::ClockBackwards => "clock_backwards".into(),
            FindingKind::ClockAhead => "clock_ahead".into(),
        }
    }
}

/// One problem found, with the log entries that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// What kind of problem.
    pub kind: FindingKind,
    /// Human-readable account.
    pub summary: String,
    /// The sensor concerned, if any.
    pub sensor: Option<String>,
    /// Index of the entry (or last entry) the finding is about.
    pub index: u64,
    /// Further log entries the finding rests on (previous reading, notices, silo readings),
    /// ascending.
    pub context: Vec<u64>,
}

/// Per-sensor bookkeeping.
#[derive(Debug, Clone, Serialize)]
struct SensorStats {
    /// The name, shared with the readings not yet covered by a checkpoint.
    #[serde(skip)]
    shared: Arc<str>,
    sensor: String,
    site: String,
    kind: String,
    first_seq: u64,
    last_seq: u64,
    received: u64,
    last_time_ms: i64,
    #[serde(skip)]
    last_index: u64,
}

#[derive(Debug, Clone)]
struct Pending {
    sensor: String,
    site: String,
    subject: String,
    time_ms: i64,
    index: u64,
}

/// A sensor's previous statement, as the gap and clock checks and the rules need it.
#[derive(Debug)]
struct Prev {
    seq: u64,
    time_ms: i64,
    index: u64,
    /// As rules see it (`prev`): its JSON (straightforward engine) or its CEL value.
    view: View,
}

/// A statement as rules see it, in the form the engine evaluates rules with.
#[derive(Debug)]
enum View {
    Json(serde_json::Value),
    Cel(Arc<celview::StatementView>),
}

/// The CEL context (standard library) every statement's rules run in, made once.
struct CelRoot(cel::Context<'static, 'static>);

impl std::fmt::Debug for CelRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CelRoot").finish_non_exhaustive()
    }
}

/// The statement rules' variables kept from one statement to the next (see [`Engine::new`]).
#[derive(Debug)]
struct Kept {
    root: CelRoot,
    agreement: Box<dyn Val>,
    empty: Box<dyn Val>,
    /// Every notice so far, as rules see them (`notices`): appended to in place, one notice
    /// at a time, never rebuilt.
    notices: CelList<'static>,
    /// Silos whose latest reading shows an interceptor.
    present: usize,
    /// `state` as rules see it, and the (`present`, trigger cosigned) it was built for: rebuilt
    /// only when either changes.
    state: ((usize, bool), Box<dyn Val>),
    /// `has_prev`: `true` and `false`.
    has_prev: [Box<dyn Val>; 2],
}

/// `state` as statement rules see it.
fn state_val(present: usize, trigger_cosigned: bool) -> Box<dyn Val> {
    let mut state = std::collections::HashMap::with_capacity(2);
    state.insert(
        "interceptors_present".to_owned(),
        celview::unsigned(present as u64),
    );
    state.insert("trigger_cosigned".to_owned(), cel::Value::Bool(trigger_cosigned));
    val(state.into())
}

/// Appends `notice` to the list `notices` in place: the elements are moved, not copied, so a
/// notice costs the same whatever the number before it.
fn push_notice(notices: &mut CelList<'static>, notice: Box<dyn Val>) {
    let mut elements = std::mem::take(notices).into_inner();
    elements.push(notice);
    *notices = CelList::from(elements);
}

/// A plain CEL value (no opaque, function or struct value) as the interpreter holds it.
fn val(v: cel::Value) -> Box<dyn Val> {
    // The conversion fails only for opaque values, functions and structs, which no rule
    // variable holds (they come from JSON or typed statements).
    celview::val(v).expect("a plain CEL value converts")
}

/// The statement rules, and their verdicts on one statement: held inline (no allocation per
/// statement) up to this many.
const INLINE_RULES: usize = 16;
type Rules<'a> = smallvec::SmallVec<[&'a crate::rules::Rule; INLINE_RULES]>;
type Verdicts = smallvec::SmallVec<[crate::Result<Verdict>; INLINE_RULES]>;

/// The engine's state.
#[derive(Debug)]
pub struct Engine {
    registry: Registry,
    rules: Arc<RuleSet>,
    /// `None`: the straightforward engine ([`Engine::straightforward`]).
    kept: Option<Kept>,
    /// `foldhash`: only admitted statements' sensors, which the roster registers, are keys.
    prev: HashMap<String, Prev, foldhash::fast::RandomState>,
    notices: Vec<(serde_json::Value, u64)>,
    silos: BTreeMap<String, (bool, u64)>,
    trigger: Option<u64>,
    sensors: BTreeMap<String, SensorStats>,
    pending: Vec<Pending>,
    /// Open episodes: rule id, then scope (sensor, site, or `""` for the deployment).
    open_episodes: BTreeMap<String, BTreeSet<String>>,
    rosters: Vec<u64>,
    /// Readings not yet covered by a cosigned checkpoint: index, sensor, time.
    uncheckpointed: Vec<(u64, Arc<str>, i64)>,
    last_cosigned_ms: i64,
    next_index: u64,
    latest_time_ms: i64,
}

/// A statement as rules see it: the statement's JSON plus `kind`.
fn rule_view(st: &Statement) -> serde_json::Value {
    // A statement is a plain struct with string keys: serializing it cannot fail.
    let mut v = serde_json::to_value(st).expect("a statement serializes to JSON");
    if let Some(o) = v.as_object_mut() {
        o.insert("kind".into(), st.kind().into());
    }
    v
}

impl Engine {
    /// A fresh engine: roster version 1 must be signed by `anchors`.
    ///
    /// The statement rules' variables are kept up to date from one statement to the next rather
    /// than rebuilt: the agreement and the CEL context are made once, the list of notices
    /// when a notice arrives, the count of interceptors present when a silo reading changes it,
    /// each statement's value straight from the typed statement (no JSON in between) and kept
    /// as its sensor's `prev`; CEL borrows them all ([`StatementVars`]). Rule programs are
    /// compiled once, when the [`RuleSet`] is loaded. The verdicts are those of
    /// [`Engine::straightforward`].
    pub fn new(registry: Registry, rules: Arc<RuleSet>) -> Self {
        let kept = Kept {
            root: CelRoot(cel::Context::default()),
            agreement: val(crate::rules::to_cel(&rules.agreement)),
            empty: val(cel::Value::Map(
                std::collections::HashMap::<String, cel::Value>::new().into(),
            )),
            notices: CelList::default(),
            present: 0,
            state: ((0, false), state_val(0, false)),
            has_prev: [val(cel::Value::Bool(false)), val(cel::Value::Bool(true))],
        };
        let mut e = Self::straightforward(registry, rules);
        e.kept = Some(kept);
        e
    }

    /// The engine that builds every variable of the statement rules anew for each statement,
    /// from the statement's JSON, in a fresh CEL context: the plain reading of the rule
    /// language, against which [`Engine::new`]'s incremental variables are tested.
    pub fn straightforward(registry: Registry, rules: Arc<RuleSet>) -> Self {
        Self {
            registry,
            rules,
            kept: None,
            prev: HashMap::default(),
            notices: Vec::new(),
            silos: BTreeMap::new(),
            trigger: None,
            sensors: BTreeMap::new(),
            pending: Vec::new(),
            open_episodes: BTreeMap::new(),
            rosters: Vec::new(),
            uncheckpointed: Vec::new(),
            last_cosigned_ms: 0,
            next_index: 0,
            latest_time_ms: 0,
        }
    }

    /// Indexes of the roster entries seen so far.
    pub fn roster_indexes(&self) -> &[u64] {
        &self.rosters
    }

    /// The rules in use.
    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// The registry (roster in force, per-sensor state).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Processes the log entry at `index` (entries must come in increasing index order).
    pub fn entry(&mut self, index: u64, entry: &[u8]) -> Vec<Finding> {
        self.entry_signed(index, entry, None)
    }

    /// [`Engine::entry`], with the entry's signatures already checked by
    /// [`crate::sigcheck::check_signatures`] (see [`Registry::check_signed`]); the findings are
    /// the same.
    pub fn entry_signed(&mut self, index: u64, entry: &[u8], signed: Option<&Signed>) -> Vec<Finding> {
        self.next_index = index + 1;
        let mut out = Vec::new();
        // The statement's view built with its signatures, if the registry takes the statement
        // parsed with them (computed for the roster in force, which `check_signed` reads too).
        // So is what the statement alone decides of the rules, if worked out with this
        // engine's rules.
        let (pre_view, pre_known) = match (signed, self.registry.roster_with_hash()) {
            (Some(s), Some((_, hash))) => (
                s.view_for(hash).cloned(),
                s.known_for(hash, self.rules.shortcuts().id()),
            ),
            _ => (None, None),
        };
        // A statement parsed ahead is checked borrowed (`Registry::check_prepared`: the same
        // checks and errors as `check_signed`, which would take that statement too); any other
        // entry the ordinary way, owned.
        let owned: Statement;
        let checked = match (&pre_view, signed) {
            (Some(view), Some(signed)) => self
                .registry
                .check_prepared(entry, view.statement(), signed)
                .map(|parties| (view.statement(), parties)),
            _ => match self.registry.check_signed(entry, signed) {
                Ok(admitted) => {
                    self.registry.apply(entry, &admitted);
                    match admitted {
                        Admitted::Roster(_) => {
                            self.rosters.push(index);
                            return out;
                        }
                        Admitted::Statement { statement, parties } => {
                            owned = statement;
                            Ok((&owned, parties.len()))
                        }
                    }
                }
                Err(e) => Err(e),
            },
        };
        let (st, parties) = match checked {
            Ok(c) => c,
            Err(Error::Replay(msg)) => {
                // Decode to name the sensor and its earlier reading.
                let (sensor, earlier) = crate::keys::peek_note(entry)
                    .ok()
                    .and_then(|(t, _)| Statement::from_text(&t).ok())
                    .map(|s| {
                        let e = self.prev.get(&s.sensor).map(|p| p.index);
                        (Some(s.sensor), e)
                    })
                    .unwrap_or((None, None));
                out.push(Finding {
                    kind: FindingKind::Replay,
                    summary: format!("replayed reading: {msg}"),
                    sensor,
                    index,
                    context: earlier.into_iter().collect(),
                });
                return out;
            }
            Err(e) => {
                let kind = match &e {
                    Error::Schema(_) => FindingKind::OverCollection,
                    _ => FindingKind::Forged,
                };
                out.push(Finding {
                    kind,
                    summary: format!("logged entry does not verify: {e}"),
                    sensor: None,
                    index,
                    context: Vec::new(),
                });
                return out;
            }
        };
        if pre_view.is_some() && signed.is_some() {
            self.registry.apply_statement(st);
        }
        // A trigger notice counts only with two parties' signatures (`is_cosigned_trigger`).
        let cosigned = parties >= 2;
        if cosigned
            && matches!(&st.body, Body::Notice(n) if n.notice == NoticeKind::Trigger)
            && self.trigger.is_none()
        {
            self.trigger = Some(index);
        }
        let prev = self.prev.get(&st.sensor).map(|p| (p.seq, p.time_ms, p.index));

        // Built-in integrity checks.
        if let Some((pseq, ptime, pi)) = prev {
            if st.seq > pseq + 1 {
                out.push(Finding {
                    kind: FindingKind::Gap,
                    summary: format!(
                        "{}: readings {}..={} missing (withheld data) between entries {pi} and {index}",
                        st.sensor,
                        pseq + 1,
                        st.seq - 1
                    ),
                    sensor: Some(st.sensor.clone()),
                    index,
                    context: vec![pi],
                });
            }
            if st.time_ms < ptime {
                out.push(Finding {
                    kind: FindingKind::ClockBackwards,
                    summary: format!(
                        "{}: seq {} dated {} ms before seq {pseq}",
                        st.sensor,
                        st.seq,
                        ptime - st.time_ms
                    ),
                    sensor: Some(st.sensor.clone()),
                    index,
                    context: vec![pi],
                });
            }
        }
        if !st.clock_ok {
            out.push(Finding {
                kind: FindingKind::ClockIntegrity,
                summary: format!("{}: seq {} reports its clock integrity lost", st.sensor, st.seq),
                sensor: Some(st.sensor.clone()),
                index,
                context: Vec::new(),
            });
        }

        // Update state the rules see.
        match &st.body {
            Body::Silo(s) => {
                let was = self.silos.get(&st.sensor).map(|x| x.0);
                if was.is_some_and(|w| w != s.interceptor_present) {
                    self.pending.push(Pending {
                        sensor: st.sensor.clone(),
                        site: st.site.clone(),
                        subject: format!("silo-{}", s.silo),
                        time_ms: st.time_ms,
                        index,
                    });
                }
                if let Some(k) = &mut self.kept {
                    k.present =
                        k.present + usize::from(s.interceptor_present) - usize::from(was == Some(true));
                }
                let now = (s.interceptor_present, index);
                match self.silos.get_mut(&st.sensor) {
                    Some(x) => *x = now,
                    None => {
                        self.silos.insert(st.sensor.clone(), now);
                    }
                }
            }
            Body::Notice(n) => {
                let nv = if let Some(k) = &mut self.kept {
                    push_notice(&mut k.notices, val(celview::notice_entry(st, n, cosigned)));
                    // Only the index is used here: rules see `k.notices`.
                    serde_json::Value::Null
                } else {
                    let mut nv = serde_json::to_value(n)
                        .expect("a notice (plain struct, string keys) serializes to JSON");
                    if let Some(o) = nv.as_object_mut() {
                        o.insert("site".into(), st.site.clone().into());
                        o.insert("time_ms".into(), st.time_ms.into());
                        o.insert("cosigned".into(), cosigned.into());
                    }
                    nv
                };
                self.notices.push((nv, index));
                if n.notice == NoticeKind::Change {
                    self.pending
                        .retain(|p| !(p.site == st.site && p.subject == n.subject));
                }
            }
            _ => {}
        }
        // Looked up by the borrowed name: the name is copied only for a new sensor, and shared
        // from there on.
        let shared = match self.sensors.get_mut(&st.sensor) {
            Some(s) => {
                s.last_seq = st.seq;
                s.received += 1;
                s.last_time_ms = st.time_ms;
                s.last_index = index;
                Arc::clone(&s.shared)
            }
            None => {
                let shared: Arc<str> = Arc::from(st.sensor.as_str());
                self.sensors.insert(
                    st.sensor.clone(),
                    SensorStats {
                        shared: Arc::clone(&shared),
                        sensor: st.sensor.clone(),
                        site: st.site.clone(),
                        kind: st.kind().into(),
                        first_seq: st.seq,
                        last_seq: st.seq,
                        received: 1,
                        last_time_ms: st.time_ms,
                        last_index: index,
                    },
                );
                shared
            }
        };
        self.uncheckpointed.push((index, shared, st.time_ms));
        self.latest_time_ms = self.latest_time_ms.max(st.time_ms);

        // Statement rules.
        let rules = Arc::clone(&self.rules);
        let statement_rules: Rules<'_> = rules
            .rules
            .iter()
            .filter(|r| r.text.on == On::Statement)
            .collect();
        if let Some(k) = &mut self.kept {
            let now = (k.present, self.trigger.is_some());
            if k.state.0 != now {
                k.state = (now, state_val(now.0, now.1));
            }
        }
        let (verdicts, view) = match &self.kept {
            Some(k) => self.incremental_verdicts(k, st, pre_view.as_ref(), pre_known, &statement_rules),
            None => self.straightforward_verdicts(st, &statement_rules),
        };
        for (rule, verdict) in statement_rules.iter().zip(verdicts) {
            let scope = match rule.text.scope {
                Scope::Sensor => st.sensor.as_str(),
                Scope::Site => st.site.as_str(),
                Scope::Deployment => "",
            };
            match verdict {
                Ok(Verdict::Violated) => {
                    if self.open_episode(&rule.text.id, scope) {
                        let mut context: BTreeSet<u64> = self.notices.iter().map(|n| n.1).collect();
                        if let Some((_, _, pi)) = prev {
                            context.insert(pi);
                        }
                        context.extend(self.silos.values().filter(|(p, _)| *p).map(|(_, i)| *i));
                        context.extend(self.trigger);
                        context.remove(&index);
                        out.push(Finding {
                            kind: FindingKind::Rule(rule.text.id.clone()),
                            summary: format!(
                                "{}: {} (seq {} at {})",
                                st.sensor, rule.text.title, st.seq, st.time_ms
                            ),
                            sensor: Some(st.sensor.clone()),
                            index,
                            context: context.into_iter().collect(),
                        });
                    }
                }
                Ok(Verdict::Holds) => self.close_episode(&rule.text.id, scope),
                Ok(Verdict::NotApplicable) => {}
                Err(e) => out.push(Finding {
                    kind: FindingKind::Rule(rule.text.id.clone()),
                    summary: format!("rule could not be evaluated: {e}"),
                    sensor: Some(st.sensor.clone()),
                    index,
                    context: Vec::new(),
                }),
            }
        }
        let p = Prev {
            seq: st.seq,
            time_ms: st.time_ms,
            index,
            view,
        };
        // The sensor's name is copied only for its first statement.
        match self.prev.get_mut(&st.sensor) {
            Some(old) => *old = p,
            None => {
                self.prev.insert(st.sensor.clone(), p);
            }
        }
        out
    }

    /// The statement rules' verdicts with the kept variables ([`Engine::new`]), and the
    /// statement as rules see it (its sensor's next `prev`).
    /// `pre` is the statement's view if it was built ahead ([`Signed`]), `known` what the
    /// statement alone decides of the rules if worked out ahead (else what its fields with few
    /// values decide is looked up, [`crate::shortcut`]): those parts are not evaluated again.
    fn incremental_verdicts(
        &self,
        k: &Kept,
        st: &Statement,
        pre: Option<&Arc<celview::StatementView>>,
        known: Option<Known>,
        rules: &[&crate::rules::Rule],
    ) -> (Verdicts, View) {
        let known = known.unwrap_or_else(|| self.rules.shortcuts().by_fields(st));
        // The view built ahead, if of the kind these rules take (records only for rules that
        // read only fields of `s` and `prev`).
        let records = self.rules.shortcuts().records();
        let s = match pre {
            Some(s) if s.is_record() == records => Arc::clone(s),
            _ => Arc::new(celview::StatementView::new(st.clone(), records)),
        };
        let prev = self.prev.get(&st.sensor);
        let has_prev = &k.has_prev[usize::from(prev.is_some())];
        let prev_val: &dyn Val = match prev.map(|p| &p.view) {
            Some(View::Cel(v)) => v.val(),
            // A straightforward engine's view never meets an incremental one.
            Some(View::Json(_)) | None => k.empty.as_ref(),
        };
        let vars = StatementVars {
            s: s.val(),
            prev: prev_val,
            has_prev: has_prev.as_ref(),
            notices: &k.notices,
            state: k.state.1.as_ref(),
            agreement: k.agreement.as_ref(),
        };
        let mut ctx = k.root.0.new_inner_scope();
        ctx.set_variable_resolver(&vars);
        let verdicts = rules
            .iter()
            .enumerate()
            .map(|(i, r)| r.evaluate_known(&ctx, known.when(i), known.require(i)))
            .collect();
        drop(ctx);
        (verdicts, View::Cel(s))
    }

    /// The statement rules' verdicts with every variable built anew from JSON
    /// ([`Engine::straightforward`]), and the statement's JSON view.
    fn straightforward_verdicts(&self, st: &Statement, rules: &[&crate::rules::Rule]) -> (Verdicts, View) {
        let view = rule_view(st);
        let present = self.silos.values().filter(|(p, _)| *p).count();
        let prev = self.prev.get(&st.sensor);
        let mut vars: HashMap<&str, serde_json::Value> = HashMap::new();
        vars.insert("s", view.clone());
        vars.insert("has_prev", prev.is_some().into());
        vars.insert(
            "prev",
            match prev.map(|p| &p.view) {
                Some(View::Json(j)) => j.clone(),
                Some(View::Cel(_)) | None => serde_json::json!({}),
            },
        );
        vars.insert(
            "notices",
            serde_json::Value::Array(self.notices.iter().map(|n| n.0.clone()).collect()),
        );
        vars.insert(
            "state",
            serde_json::json!({
                "interceptors_present": present,
                "trigger_cosigned": self.trigger.is_some(),
            }),
        );
        vars.insert("agreement", self.rules.agreement.clone());
        let vars = Variables::new(&vars);
        let verdicts = rules.iter().map(|r| r.evaluate_in(&vars)).collect();
        (verdicts, View::Json(view))
    }

    /// Processes a witness-cosigned checkpoint of `size` entries (all entries below `size` must
    /// have been given to [`Engine::entry`]) judged at one time, `cosigned_ms` (Unix ms): the
    /// same as [`Engine::checkpoint_between`] with both times `cosigned_ms`.
    pub fn checkpoint(&mut self, size: u64, cosigned_ms: i64) -> Vec<Finding> {
        self.checkpoint_between(size, cosigned_ms, cosigned_ms)
    }

    /// Processes a witness-cosigned checkpoint of `size` entries (all entries below `size` must
    /// have been given to [`Engine::entry`]) between two times (Unix ms, the witnesses' clocks;
    /// see [`crate::evidence::Judged`]): a reading first covered by it and dated more than
    /// [`CLOCK_AHEAD_TOLERANCE_MS`] after `early_ms` is a clock running ahead; the checkpoint rules
    /// see `late_ms` as `checkpoint.cosigned_ms`, and the next checkpoint's rules see `early_ms` as
    /// `checkpoint.previous_cosigned_ms`. `index` in the findings is `size - 1`.
    pub fn checkpoint_between(&mut self, size: u64, early_ms: i64, late_ms: i64) -> Vec<Finding> {
        let mut out = Vec::new();
        // Readings first covered by this checkpoint must not be dated after it was cosigned.
        let (covered, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.uncheckpointed)
            .into_iter()
            .partition(|(i, _, _)| *i < size);
        self.uncheckpointed = later;
        for (i, sensor, t) in covered {
            // Saturating: a logged reading may be dated up to i64::MAX, and judged by the log's
            // clock `early_ms` is then that same time.
            if t > early_ms.saturating_add(CLOCK_AHEAD_TOLERANCE_MS) {
                out.push(Finding {
                    kind: FindingKind::ClockAhead,
                    summary: format!(
                        "{sensor}: entry {i} dated {} s after the witness cosigned a checkpoint containing it",
                        t.saturating_sub(early_ms) / 1000
                    ),
                    sensor: Some(sensor.to_string()),
                    index: i,
                    context: Vec::new(),
                });
            }
        }
        let mut vars: HashMap<&str, serde_json::Value> = HashMap::new();
        vars.insert(
            "checkpoint",
            serde_json::json!({
                "size": size,
                "cosigned_ms": late_ms,
                "previous_cosigned_ms": self.last_cosigned_ms,
            }),
        );
        vars.insert(
            "sensors",
            serde_json::to_value(self.sensors.values().collect::<Vec<_>>())
                .expect("sensor states (plain structs, string keys) serialize to JSON"),
        );
        vars.insert(
            "pending_changes",
            serde_json::Value::Array(
                self.pending
                    .iter()
                    .map(|p| {
                        serde_json::json!({"sensor": p.sensor, "site": p.site, "subject": p.subject, "time_ms": p.time_ms})
                    })
                    .collect(),
            ),
        );
        vars.insert("agreement", self.rules.agreement.clone());
        let vars = Variables::new(&vars);
        let rules = Arc::clone(&self.rules);
        for rule in rules.rules.iter().filter(|r| r.text.on == On::Checkpoint) {
            match rule.evaluate_in(&vars) {
                Ok(Verdict::Violated) => {
                    if self.open_episode(&rule.text.id, "") {
                        let mut context: BTreeSet<u64> =
                            self.sensors.values().map(|s| s.last_index).collect();
                        context.extend(self.pending.iter().map(|p| p.index));
                        out.push(Finding {
                            kind: FindingKind::Rule(rule.text.id.clone()),
                            summary: format!("{} (checkpoint of size {size})", rule.text.title),
                            sensor: None,
                            index: size.saturating_sub(1),
                            context: context.into_iter().collect(),
                        });
                    }
                }
                Ok(Verdict::Holds) => self.close_episode(&rule.text.id, ""),
                Ok(Verdict::NotApplicable) => {}
                Err(e) => out.push(Finding {
                    kind: FindingKind::Rule(rule.text.id.clone()),
                    summary: format!("rule could not be evaluated: {e}"),
                    sensor: None,
                    index: size.saturating_sub(1),
                    context: Vec::new(),
                }),
            }
        }
        self.last_cosigned_ms = early_ms;
        out
    }

    /// Opens the episode of `rule` for `scope`: `true` if it was not open (no copy of either
    /// name unless it opens).
    fn open_episode(&mut self, rule: &str, scope: &str) -> bool {
        match self.open_episodes.get_mut(rule) {
            Some(open) if open.contains(scope) => false,
            Some(open) => open.insert(scope.to_owned()),
            None => {
                self.open_episodes
                    .insert(rule.to_owned(), BTreeSet::from([scope.to_owned()]));
                true
            }
        }
    }

    /// Closes the episode of `rule` for `scope`, if open.
    fn close_episode(&mut self, rule: &str, scope: &str) {
        if let Some(open) = self.open_episodes.get_mut(rule) {
            open.remove(scope);
        }
    }

    /// The newest statement time seen, Unix ms (the log's own clock, for replays and
    /// simulations).
    pub fn latest_time_ms(&self) -> i64 {
        self.latest_time_ms
    }

    /// Index the next entry must have.
    pub fn next_index(&self) -> u64 {
        self.next_index
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{self, Deployment, HOUR_MS, SimConfig};

    /// The address of the first notice in the engine's list of notices as rules see it.
    fn first_notice(e: &Engine) -> Option<*const ()> {
        let k = e.kept.as_ref().unwrap();
        k.notices
            .inner()
            .first()
            .map(|v| std::ptr::from_ref::<dyn Val>(v.as_ref()).cast::<()>())
    }

    /// Each notice is added to the list rules see without rebuilding the notices before it (a
    /// rebuilt list, as before, made the n-th notice cost n conversions: quadratic in the
    /// notices). Counted, not timed: the first notice stays the same value, never rebuilt, and the
    /// list holds every notice logged, in order.
    #[test]
    fn notices_are_appended_not_rebuilt() {
        let mut cfg = SimConfig::europe_2008_day(1_767_225_600_000);
        cfg.period_ms = 6 * HOUR_MS;
        cfg.inspection_every_ms = 30 * 24 * HOUR_MS;
        cfg.duration_ms = 40 * 24 * HOUR_MS;
        let dep = Deployment::new(&cfg).unwrap();
        let rules = Arc::new(crate::rules::builtin_or_path("europe-2008").unwrap());
        let mut engine = Engine::new(Registry::new(dep.anchors()).unwrap(), rules);
        assert!(engine.entry(0, &dep.roster_entry).is_empty());
        let mut first = None;
        let mut notices = 0;
        for (i, e) in sim::simulate(&dep, &cfg).unwrap().iter().enumerate() {
            engine.entry(i as u64 + 1, &e.entry);
            if let Some(Body::Notice(_)) = Statement::from_text(&crate::keys::peek_note(&e.entry).unwrap().0)
                .ok()
                .map(|s| s.body)
            {
                notices += 1;
            }
            let now = first_notice(&engine);
            match first {
                None => first = now,
                Some(f) => assert_eq!(now, Some(f), "the notices were rebuilt at entry {}", i + 1),
            }
            let k = engine.kept.as_ref().unwrap();
            assert_eq!(k.notices.inner().len(), notices);
            assert_eq!(k.notices.inner().len(), engine.notices.len());
        }
        assert!(notices >= 60, "{notices} notices");
    }
}
