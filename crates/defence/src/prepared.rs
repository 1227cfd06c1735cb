//! A study prepared for recomputation: the threats flown once, the engagements kept, so that a study at
//! other radar, battery or warhead-RCS values only engages what changed (the dashboard's sliders).
//!
//! [`Prepared::new`] flies every trajectory of a scenario's plan once ([`study::fly_one`]).
//! [`Prepared::study`] then answers for any scenario with the same flights (same sites, threats,
//! missiles but for their RCS, vehicles; [`Prepared::flies`] says whether it does) by
//! [`study::engage_one`] and [`study::assemble`], the very functions `shieldwatch study` runs, so the
//! answer is that of `shieldwatch study` for that scenario. What is kept, keyed by every value it
//! depends on:
//!
//! - the batteries as set up (their powered vehicle families flown), by every battery parameter but the
//!   burnout speed, which only reads the answer off;
//! - each engagement of a trajectory by a battery cued by a radar network, by the network's radars as
//!   set up, the warhead RCS and the battery's parameters but its burnout speed; and its two stages
//!   apart, each by what it alone depends on ([`Prepared`] composes them as [`engage_network`] does): each
//!   radar's track intervals, by the radar and the warhead RCS; the flyouts, by the trajectory and the
//!   battery's parameters but its burnout speed ([`FlyoutMemo`]): the free scan of every intercept time
//!   of the grid fixed in threat time, which no commit time changes, and the flyouts re-solved where an
//!   earliest launch (a commit, or a shoot-look-shoot shot's launch) binds, by that launch;
//! - each shoot-look-shoot count, by the same and the speed, from the same flyouts (its first shot's are
//!   the engagement's).
//!
//! So a change of burnout speed counts shoot-look-shoot at the new speed only, from flyouts mostly kept; a
//! change of a radar's range or field of regard within its disputed range scans that radar anew and
//! re-solves flyouts only where the first detection moved and the new commit binds (the most capable
//! radar, at the range's end, is unchanged); a change of RCS does the same for the missile's
//! trajectories; a change of commit delay re-solves, where the new commit binds, only the flyouts that
//! can decide the crossover, a window at the speeds asked or a shoot-look-shoot count (each re-solve needs
//! at least its free flyout's speed: [`FlyoutMemo::deciding_flyouts`], so an engagement is kept by those
//! speeds too). Every computation is cancellable between trajectories.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

#[cfg(doc)]
use crate::engagement::engage_network;
use crate::engagement::{
    Engagement, FlyoutMemo, Interceptor, ThreatTrack, merge_intervals, shoot_look_shoot_memo, track_intervals,
};
use crate::radar::Radar;
use crate::scenario::Scenario;
use crate::study::{self, Batteries, BatteryCache, Engage, Flown, PlanItem, Study, StudyError, StudyOptions};

/// Engagements kept before the cache is emptied (about 40 kB each).
const MAX_ENGAGEMENTS: usize = 4096;
/// Radar track-interval lists kept before that cache is emptied.
const MAX_INTERVALS: usize = 16384;
/// Shoot-look-shoot counts kept before that cache is emptied.
const MAX_SHOTS: usize = 65536;
/// Battery set-ups kept before that cache is emptied.
const MAX_BATTERIES: usize = 16;
/// Flyout memos (one per trajectory and battery set-up, about 60 kB of free scan each) kept before that
/// cache is emptied.
const MAX_MEMOS: usize = 4096;
/// Re-solved flyouts one memo holds before they are forgotten (about 150 B each).
const MAX_MEMO_FLYOUTS: usize = 65536;

/// Why a prepared study has no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PreparedError {
    /// The caller's cancel check said stop.
    #[error("cancelled")]
    Cancelled,
    /// The study failed as `shieldwatch study` would.
    #[error(transparent)]
    Study(#[from] StudyError),
    /// A lock of a cache was poisoned by an earlier panic.
    #[error("the prepared study's {0} cache is poisoned by an earlier panic")]
    Poisoned(&'static str),
}

/// A scenario's trajectories flown once, and the engagements computed so far.
pub struct Prepared {
    flights: String,
    opts: StudyOptions,
    plan: Vec<PlanItem>,
    flown: Vec<Flown>,
    batteries: Mutex<HashMap<String, Arc<Batteries>>>,
    engagements: Mutex<HashMap<String, Arc<Engagement>>>,
    intervals: Mutex<HashMap<IntervalKey, Arc<Intervals>>>,
    shots: Mutex<HashMap<(String, u64, u64), u32>>,
    memos: Mutex<HashMap<MemoKey, Arc<Mutex<FlyoutMemo>>>>,
}

/// A radar's track intervals are kept by trajectory (its index in the plan), radar (as text) and warhead
/// RCS (bits of the f64, m²).
type IntervalKey = (usize, String, u64);
/// Track intervals, seconds since threat launch.
type Intervals = Vec<(f64, f64)>;
/// Flyouts are kept by trajectory and battery (its index and [`flyout_key`]).
type MemoKey = (usize, usize, String);

/// A value from `cache` under `key`, or computed by `f` and kept (the cache emptied first when it holds
/// `max`). A poisoned lock computes without the cache ([`Kept::failed`] reports it afterwards).
fn kept<K: std::hash::Hash + Eq, V: Clone>(
    cache: &Mutex<HashMap<K, V>>,
    max: usize,
    key: K,
    f: impl FnOnce() -> V,
) -> V {
    if let Ok(kept) = cache.lock()
        && let Some(v) = kept.get(&key)
    {
        return v.clone();
    }
    let v = f();
    if let Ok(mut kept) = cache.lock() {
        if kept.len() >= max {
            kept.clear();
        }
        kept.insert(key, v.clone());
    }
    v
}

/// What a scenario's flights depend on, as text: sites, threats, vehicles and missiles but for their
/// warhead RCS.
pub fn flight_key(s: &Scenario) -> String {
    let missiles: Vec<_> = s
        .missiles
        .iter()
        .map(|m| {
            let mut m = m.clone();
            m.rcs_m2.value = 0.0;
            m.rcs_m2.range = None;
            m.rcs_m2.source.clear();
            m
        })
        .collect();
    format!(
        "{:?}",
        (&s.meta.name, &s.sites, &s.threats, &s.vehicles, missiles)
    )
}

/// The batteries' parameters but those named, as text, with vehicles and sites: what a stage depends on.
fn batteries_but(s: &Scenario, but: &[&str]) -> String {
    let batteries: Vec<_> = s
        .interceptors
        .iter()
        .map(|i| {
            let mut i = i.clone();
            for p in [
                ("burnout_speed_mps", &mut i.burnout_speed_mps),
                ("commit_delay_s", &mut i.commit_delay_s),
                ("kill_assessment_s", &mut i.kill_assessment_s),
                ("count", &mut i.count),
                ("min_intercept_alt_m", &mut i.min_intercept_alt_m),
            ] {
                if but.contains(&p.0) {
                    p.1.value = 0.0;
                    p.1.range = None;
                    p.1.source.clear();
                }
            }
            i
        })
        .collect();
    format!("{:?}", (batteries, &s.vehicles, &s.sites))
}

/// What a battery's engagements and counts depend on, as text: every battery parameter but the burnout
/// speed, vehicles, sites.
fn battery_key(s: &Scenario) -> String {
    batteries_but(s, &["burnout_speed_mps"])
}

/// What the batteries' set-up (their powered families flown) depends on, as text: the battery
/// parameters but those [`Prepared::batteries_for`] sets on the set-up afterwards.
fn setup_key(s: &Scenario) -> String {
    batteries_but(s, &SET_AFTER)
}

/// The battery parameters set on a kept set-up, not flown with it.
const SET_AFTER: [&str; 5] = [
    "burnout_speed_mps",
    "commit_delay_s",
    "kill_assessment_s",
    "count",
    "min_intercept_alt_m",
];

/// What a battery's flyouts depend on, as text ([`FlyoutMemo`]: neither its commit, nor which launches
/// its counts make, nor how many, nor the speed that reads them off).
fn flyout_key(s: &Scenario) -> String {
    batteries_but(
        s,
        &[
            "burnout_speed_mps",
            "commit_delay_s",
            "kill_assessment_s",
            "count",
        ],
    )
}

fn lock<'a, T>(m: &'a Mutex<T>, what: &'static str) -> Result<std::sync::MutexGuard<'a, T>, PreparedError> {
    m.lock().map_err(|_| PreparedError::Poisoned(what))
}

impl Prepared {
    /// Flies every trajectory of `s`'s plan under `opts` (its speeds and battery cache are not used:
    /// [`Prepared::study`] takes the speeds). `cancel` is asked before each trajectory.
    pub fn new(
        s: &Scenario,
        opts: &StudyOptions,
        cancel: &(dyn Fn() -> bool + Sync),
    ) -> Result<Prepared, PreparedError> {
        let opts = StudyOptions {
            speeds_mps: Vec::new(),
            battery: BatteryCache::default(),
            ..opts.clone()
        };
        let plan = study::plan(s, &opts);
        let flown = plan
            .par_iter()
            .map(|item| {
                if cancel() {
                    return Err(PreparedError::Cancelled);
                }
                Ok(study::fly_one(s, &opts, item)?)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Prepared {
            flights: flight_key(s),
            opts,
            plan,
            flown,
            batteries: Mutex::new(HashMap::new()),
            engagements: Mutex::new(HashMap::new()),
            intervals: Mutex::new(HashMap::new()),
            shots: Mutex::new(HashMap::new()),
            memos: Mutex::new(HashMap::new()),
        })
    }

    /// Whether `s` flies the same trajectories as the scenario this was prepared for.
    pub fn flies(&self, s: &Scenario) -> bool {
        flight_key(s) == self.flights
    }

    /// How many trajectories the plan has.
    pub fn len(&self) -> usize {
        self.plan.len()
    }

    /// Whether the plan is empty.
    pub fn is_empty(&self) -> bool {
        self.plan.is_empty()
    }

    /// The study of `s` (which must fly the same trajectories, [`Prepared::flies`]) with windows at
    /// `speeds_mps` and the batteries' values and range ends, as `shieldwatch study --speeds` gives it.
    /// `cancel` is asked before each trajectory.
    pub fn study(
        &self,
        s: &Scenario,
        speeds_mps: &[f64],
        cancel: &(dyn Fn() -> bool + Sync),
    ) -> Result<Study, PreparedError> {
        if !self.flies(s) {
            return Err(StudyError::Incomplete {
                scenario: s.meta.name.clone(),
                message: "it flies other trajectories than the scenario the study was prepared for".into(),
            }
            .into());
        }
        let opts = StudyOptions {
            speeds_mps: speeds_mps.to_vec(),
            battery: self.batteries_for(s)?,
            ..self.opts.clone()
        };
        study::battery(s, &opts)?;
        let speeds = study::speeds(s, &opts);
        let bkey = battery_key(s);
        let fkey = flyout_key(s);
        let threats = self
            .flown
            .par_iter()
            .enumerate()
            .map(|(index, flown)| {
                if cancel() {
                    return Err(PreparedError::Cancelled);
                }
                let engage = Kept {
                    prepared: self,
                    index,
                    battery_key: &bkey,
                    flyout_key: &fkey,
                };
                let r = study::engage_one(s, &opts, &speeds, flown, &engage)?;
                engage.failed()?;
                Ok(r)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if cancel() {
            return Err(PreparedError::Cancelled);
        }
        Ok(study::assemble(s, &opts, threats)?)
    }

    /// A battery cache holding `s`'s batteries, set up once for every value of the parameters the set-up
    /// does not depend on ([`SET_AFTER`]: burnout speed, commit delay, kill assessment, count, lowest
    /// intercept).
    fn batteries_for(&self, s: &Scenario) -> Result<BatteryCache, PreparedError> {
        let key = setup_key(s);
        let hit = lock(&self.batteries, "battery")?.get(&key).cloned();
        let set_up = match hit {
            Some(b) => b,
            None => {
                // A fresh battery cache: one holds a single scenario's batteries, by name only.
                let opts = StudyOptions {
                    battery: BatteryCache::default(),
                    ..self.opts.clone()
                };
                let b = study::batteries(s, &opts)?;
                let mut kept = lock(&self.batteries, "battery")?;
                if kept.len() >= MAX_BATTERIES {
                    kept.clear();
                }
                kept.insert(key, b.clone());
                b
            }
        };
        let mut batteries: Batteries = (*set_up).clone();
        for ((name, icpt), def) in batteries.iter_mut().zip(&s.interceptors) {
            debug_assert_eq!(*name, def.name);
            let site = s.site(&def.site).ok_or_else(|| StudyError::Incomplete {
                scenario: s.meta.name.clone(),
                message: format!("no site {}", def.site),
            })?;
            // The parameters of SET_AFTER, as the set-up would have them.
            let values = Interceptor::from_def(def, site);
            icpt.burnout_speed_mps = values.burnout_speed_mps;
            icpt.commit_delay_s = values.commit_delay_s;
            icpt.kill_assessment_s = values.kill_assessment_s;
            icpt.count = values.count;
            icpt.min_intercept_alt_m = values.min_intercept_alt_m;
        }
        let cell = OnceLock::from((s.meta.name.clone(), Ok(Arc::new(batteries))));
        Ok(BatteryCache(Arc::new(cell)))
    }
}

/// [`Engage`] for one trajectory of a [`Prepared`], recalling what it has computed before.
struct Kept<'a> {
    prepared: &'a Prepared,
    index: usize,
    battery_key: &'a str,
    flyout_key: &'a str,
}

impl Kept<'_> {
    fn key(&self, net: &[Radar], battery: usize, threat: &ThreatTrack) -> String {
        format!(
            "{}|{battery}|{}|{:?}|{:?}",
            self.index, self.battery_key, threat.missile.rcs_m2, net
        )
    }

    /// [`Kept::key`] and the speeds an engagement's windows are read at (its flyouts are those that
    /// decide them, [`FlyoutMemo::deciding_flyouts`]).
    fn engagement_key(
        &self,
        net: &[Radar],
        battery: usize,
        threat: &ThreatTrack,
        speeds_mps: &[f64],
    ) -> String {
        let bits: Vec<u64> = speeds_mps.iter().map(|v| v.to_bits()).collect();
        format!("{}|{bits:?}", self.key(net, battery, threat))
    }

    /// Whether a cache lock was found poisoned (the [`Engage`] methods cannot return errors: they then
    /// compute without the cache, and this says so afterwards).
    fn failed(&self) -> Result<(), PreparedError> {
        drop(lock(&self.prepared.engagements, "engagement")?);
        drop(lock(&self.prepared.intervals, "track-interval")?);
        drop(lock(&self.prepared.shots, "shoot-look-shoot")?);
        drop(lock(&self.prepared.memos, "flyout")?);
        Ok(())
    }

    /// `f` with the flyout memo of this trajectory and `battery` as set up. One trajectory is engaged by
    /// one task at a time, so its lock is not contended. A memo poisoned by a panic in an earlier use may
    /// lack that use's flyouts but holds no wrong one (each is inserted whole): it is emptied and used.
    fn with_memo<R>(&self, battery: usize, f: impl FnOnce(&mut FlyoutMemo) -> R) -> R {
        let memo = kept(
            &self.prepared.memos,
            MAX_MEMOS,
            (self.index, battery, self.flyout_key.to_string()),
            || Arc::new(Mutex::new(FlyoutMemo::new())),
        );
        let mut memo = memo.lock().unwrap_or_else(|poisoned| {
            let mut m = poisoned.into_inner();
            m.clear();
            m
        });
        if memo.len() >= MAX_MEMO_FLYOUTS {
            memo.clear();
        }
        f(&mut memo)
    }

    /// [`engage_network`], stage by stage, each stage kept by what it depends on: each radar's track
    /// intervals by the radar and the warhead RCS, the flyouts by the battery ([`Kept::with_memo`]). Its
    /// flyouts are those that decide the crossover and the windows at `speeds_mps`
    /// ([`FlyoutMemo::deciding_flyouts`]).
    fn engage(
        &self,
        net: &[Radar],
        battery: usize,
        icpt: &Interceptor,
        threat: &ThreatTrack,
        speeds_mps: &[f64],
    ) -> Engagement {
        let impact = threat.impact_time_s();
        let per_radar: Vec<(f64, f64)> = net
            .iter()
            .flat_map(|r| Engage::track_intervals(self, r, threat))
            .collect();
        let intervals = merge_intervals(per_radar);
        let first = intervals.first().map(|iv| iv.0);
        let commit = first.map(|t| t + icpt.commit_delay_s);
        let flyouts = match commit {
            None => Vec::new(),
            Some(commit) => self.with_memo(battery, |memo| {
                memo.deciding_flyouts(icpt, threat, commit, speeds_mps)
            }),
        };
        Engagement {
            first_detection_s: first,
            track_intervals_s: intervals,
            commit_time_s: commit,
            impact_time_s: impact,
            flyouts,
        }
    }
}

impl Engage for Kept<'_> {
    fn track_intervals(&self, radar: &Radar, threat: &ThreatTrack) -> Vec<(f64, f64)> {
        let key = (self.index, format!("{radar:?}"), threat.missile.rcs_m2.to_bits());
        kept(&self.prepared.intervals, MAX_INTERVALS, key, || {
            Arc::new(track_intervals(radar, threat))
        })
        .to_vec()
    }

    fn engagement(
        &self,
        net: &[Radar],
        battery: usize,
        icpt: &Interceptor,
        threat: &ThreatTrack,
        speeds_mps: &[f64],
    ) -> Engagement {
        let key = self.engagement_key(net, battery, threat, speeds_mps);
        let e = kept(&self.prepared.engagements, MAX_ENGAGEMENTS, key, || {
            Arc::new(self.engage(net, battery, icpt, threat, speeds_mps))
        });
        (*e).clone()
    }

    fn shots(
        &self,
        net: &[Radar],
        battery: usize,
        icpt: &Interceptor,
        threat: &ThreatTrack,
        commit_s: f64,
        speed_mps: f64,
    ) -> u32 {
        let key = (
            self.key(net, battery, threat),
            commit_s.to_bits(),
            speed_mps.to_bits(),
        );
        kept(&self.prepared.shots, MAX_SHOTS, key, || {
            self.with_memo(battery, |memo| {
                shoot_look_shoot_memo(icpt, threat, commit_s, speed_mps, memo)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_preparation_or_study_stops_before_any_trajectory() {
        let s = Scenario::load("europe-2008").unwrap();
        let opts = StudyOptions::default();
        let flew = std::sync::atomic::AtomicUsize::new(0);
        let stop = || {
            flew.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            true
        };
        assert!(matches!(
            Prepared::new(&s, &opts, &stop),
            Err(PreparedError::Cancelled)
        ));
        // Asked once per trajectory started, and every one stopped at once (no flight takes place:
        // this returns in milliseconds where flying europe-2008 takes many seconds).
        assert!(flew.load(std::sync::atomic::Ordering::SeqCst) >= 1);
        // A scenario with no threat prepares at once; its study stops when asked to.
        let mut empty = s.clone();
        empty.threats.clear();
        let p = Prepared::new(&empty, &opts, &|| false).unwrap();
        assert!(p.is_empty());
        assert!(matches!(
            p.study(&empty, &[], &|| true),
            Err(PreparedError::Cancelled)
        ));
        assert!(p.study(&empty, &[], &|| false).is_ok());
        // Another scenario's flights are refused.
        let err = p.study(&s, &[], &|| false).unwrap_err();
        assert!(err.to_string().contains("other trajectories"), "{err}");
    }
}
