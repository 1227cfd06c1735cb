//! Footprint maps on demand: `shieldwatch footprint` (`defence::footprint::compute`) run as a job in the
//! background, its progress counted in grid points, cancellable.
//!
//! `POST /api/footprints` checks the request at once (parameters by `defence::sweep::set_params` as for
//! a study, the grid by `Grid::try_new`, the site's role, the missile) and answers HTTP 202 with the
//! job; the page then polls `GET /api/footprints/{id}`. A job stops when `DELETE /api/footprints/{id}`
//! asks it to, or when a newer job starts: the computation checks its flag before every grid row and
//! returns, so no row is started after the stop (a job still finishing its rows under way says
//! `cancelling`, then `cancelled`). A finished map is served by the render layer's writers:
//! `…/footprint.geojson` (`defence::maps::footprint_geojson`, the polygons the globe draws) and
//! `…/map.svg` (`defence::maps::footprint_svg`, the 2-D map).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use defence::footprint::{self, Footprint, FootprintError, Grid, MapKind};
use defence::scenario::{Role, Scenario};
use defence::study::{ShapeChoice, StudyOptions};

use crate::DashboardError;
use crate::model::{
    FootprintJobView, FootprintLevelView, FootprintMap, FootprintRequest, FootprintShape, JobState,
};

/// How many jobs (and their maps) are kept for their pages to read.
const KEPT: usize = 4;

/// Grid spacing when the request gives none, degrees (the command's default).
pub const DEFAULT_RESOLUTION_DEG: f64 = 0.5;

/// One footprint computation.
pub struct Job {
    id: u64,
    map: FootprintMap,
    site: Option<String>,
    total: usize,
    done: AtomicUsize,
    cancel: AtomicBool,
    started: Instant,
    outcome: Mutex<Outcome>,
}

enum Outcome {
    Running,
    Cancelled(f64),
    Done(Arc<Footprint>, f64),
    Failed(String, f64),
}

/// The jobs started, newest last.
#[derive(Default)]
pub struct Jobs {
    next: AtomicU64,
    jobs: Mutex<VecDeque<Arc<Job>>>,
}

fn poisoned() -> DashboardError {
    DashboardError::Internal("the footprint jobs' lock is poisoned".into())
}

fn kind(m: FootprintMap) -> MapKind {
    match m {
        FootprintMap::DefendedArea => MapKind::DefendedArea,
        FootprintMap::ThreatOrigin => MapKind::ThreatOrigin,
        FootprintMap::RadarCoverage => MapKind::RadarCoverage,
    }
}

/// The library's request for `req` on `s` (the scenario with the request's parameters), every
/// option checked as `shieldwatch footprint` checks it, so that a bad one is refused before any work.
pub fn request(s: &Scenario, req: &FootprintRequest) -> Result<footprint::Request, DashboardError> {
    let invalid = DashboardError::Invalid;
    let kind = kind(req.map);
    let [south, north, west, east] = req.bounds_deg.unwrap_or_else(|| kind.default_bounds());
    let resolution = req.resolution_deg.unwrap_or(DEFAULT_RESOLUTION_DEG);
    let grid = Grid::try_new(south, north, west, east, resolution).map_err(|e| invalid(e.to_string()))?;
    let site = match (kind, &req.site) {
        (MapKind::RadarCoverage, Some(name)) => {
            return Err(invalid(format!(
                "a radar coverage map has no fixed site, but site \"{name}\" was given"
            )));
        }
        (MapKind::RadarCoverage, None) => None,
        (_, named) => {
            let role = if kind == MapKind::DefendedArea {
                Role::Launch
            } else {
                Role::Target
            };
            let name = named
                .clone()
                .or_else(|| kind.default_site().map(String::from))
                .ok_or_else(|| invalid("this map needs a site".into()))?;
            let with_role: Vec<&str> = s
                .sites
                .iter()
                .filter(|x| x.roles.contains(&role))
                .map(|x| x.name.as_str())
                .collect();
            if !with_role.contains(&name.as_str()) {
                return Err(invalid(format!(
                    "scenario {}: no {} site \"{name}\"; its {} sites: {}",
                    s.meta.name,
                    if role == Role::Launch { "launch" } else { "target" },
                    if role == Role::Launch { "launch" } else { "target" },
                    with_role.join(", ")
                )));
            }
            footprint::pick_missile(s, &name, kind == MapKind::DefendedArea, req.missile.as_deref())
                .map_err(|e| invalid(e.to_string()))?;
            Some(name)
        }
    };
    if kind == MapKind::RadarCoverage && req.missile.is_some() {
        return Err(invalid(
            "a radar coverage map flies no missile: leave out \"missile\"".into(),
        ));
    }
    let shape = match req.shape.unwrap_or(FootprintShape::MinEnergy) {
        FootprintShape::MinEnergy => ShapeChoice::MinEnergy,
        FootprintShape::Lofted => ShapeChoice::Lofted,
        FootprintShape::Depressed => ShapeChoice::Depressed,
    };
    let speed = s
        .interceptors
        .first()
        .map(|i| i.burnout_speed_mps.value)
        .ok_or_else(|| invalid(format!("scenario {}: it has no interceptor battery", s.meta.name)))?;
    Ok(footprint::Request {
        kind,
        site,
        missile: req.missile.clone(),
        shape,
        grid,
        speed_mps: None,
        rcs_m2: None,
        levels: kind.default_levels(speed),
        boost: StudyOptions::default().boost,
    })
}

impl Job {
    /// The job as the page sees it.
    pub fn view(&self) -> Result<FootprintJobView, DashboardError> {
        let outcome = self.outcome.lock().map_err(|_| poisoned())?;
        let since = self.started.elapsed().as_secs_f64() * 1e3;
        let mut v = FootprintJobView {
            id: self.id,
            state: JobState::Running,
            done_points: self.done.load(Ordering::SeqCst),
            total_points: self.total,
            elapsed_ms: since,
            map: self.map,
            site: self.site.clone(),
            error: None,
            missile: None,
            speed_mps: None,
            levels: Vec::new(),
        };
        match &*outcome {
            Outcome::Running if self.cancel.load(Ordering::SeqCst) => v.state = JobState::Cancelling,
            Outcome::Running => {}
            Outcome::Cancelled(ms) => {
                v.state = JobState::Cancelled;
                v.elapsed_ms = *ms;
            }
            Outcome::Failed(e, ms) => {
                v.state = JobState::Failed;
                v.error = Some(e.clone());
                v.elapsed_ms = *ms;
            }
            Outcome::Done(fp, ms) => {
                v.state = JobState::Done;
                v.elapsed_ms = *ms;
                v.missile = fp.missile.clone();
                v.speed_mps = Some(fp.speed_mps);
                v.levels = fp
                    .contours
                    .iter()
                    .map(|c| FootprintLevelView {
                        level: c.level,
                        fraction_inside: c.fraction_inside,
                        polygons: c.polygons.len(),
                    })
                    .collect();
            }
        }
        Ok(v)
    }

    /// The finished map, or why there is none.
    pub fn map(&self) -> Result<Arc<Footprint>, DashboardError> {
        match &*self.outcome.lock().map_err(|_| poisoned())? {
            Outcome::Done(fp, _) => Ok(fp.clone()),
            Outcome::Running => Err(DashboardError::Conflict(format!(
                "footprint {} is still being computed",
                self.id
            ))),
            Outcome::Cancelled(_) => Err(DashboardError::Conflict(format!(
                "footprint {} was cancelled: it has no map",
                self.id
            ))),
            Outcome::Failed(e, _) => Err(DashboardError::Conflict(format!(
                "footprint {} failed: {e}",
                self.id
            ))),
        }
    }

    /// Asks the computation to stop before its next grid row.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// Computes the map (blocking: run it off the async runtime).
    fn run(&self, s: &Scenario, req: &footprint::Request) {
        let result = footprint::compute(
            s,
            req,
            None,
            &|n| {
                self.done.fetch_add(n, Ordering::SeqCst);
            },
            &self.cancel,
        );
        let ms = self.started.elapsed().as_secs_f64() * 1e3;
        let outcome = match result {
            Ok(fp) => Outcome::Done(Arc::new(fp), ms),
            Err(FootprintError::Cancelled) => Outcome::Cancelled(ms),
            Err(e) => Outcome::Failed(e.to_string(), ms),
        };
        match self.outcome.lock() {
            Ok(mut o) => *o = outcome,
            Err(_) => tracing::error!(job = self.id, "the footprint job's lock is poisoned"),
        }
    }
}

impl Jobs {
    /// Starts a job computing `req` on `s` in the background (on tokio's blocking pool) after
    /// cancelling every job still running: a newer map supersedes an older one.
    pub fn start(&self, s: Scenario, req: &FootprintRequest) -> Result<Arc<Job>, DashboardError> {
        let fr = request(&s, req)?;
        let job = Arc::new(Job {
            id: self.next.fetch_add(1, Ordering::SeqCst) + 1,
            map: req.map,
            site: fr.site.clone(),
            total: fr.grid.n_lat() * fr.grid.n_lon(),
            done: AtomicUsize::new(0),
            cancel: AtomicBool::new(false),
            started: Instant::now(),
            outcome: Mutex::new(Outcome::Running),
        });
        {
            let mut jobs = self.jobs.lock().map_err(|_| poisoned())?;
            for j in jobs.iter() {
                j.cancel();
            }
            if jobs.len() == KEPT {
                jobs.pop_front();
            }
            jobs.push_back(job.clone());
        }
        let running = job.clone();
        tokio::task::spawn_blocking(move || running.run(&s, &fr));
        Ok(job)
    }

    /// Job `id`, if it is among those kept.
    pub fn get(&self, id: &str) -> Result<Arc<Job>, DashboardError> {
        let n: u64 = id
            .parse()
            .map_err(|_| DashboardError::BadRequest(format!("footprint {id:?} is not a job number")))?;
        self.jobs
            .lock()
            .map_err(|_| poisoned())?
            .iter()
            .find(|j| j.id == n)
            .cloned()
            .ok_or_else(|| {
                DashboardError::NotFound(format!("no footprint job {n} (only the last {KEPT} are kept)"))
            })
    }
}
