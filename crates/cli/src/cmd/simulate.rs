//! `shieldwatch simulate`: signed telemetry from a scenario's interceptor site and radar, with
//! periodic inspections and injectable faults, written to a folder and optionally submitted to a
//! log server.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use base64::prelude::{BASE64_STANDARD, Engine as _};
use verify::sim::{self, Deployment, Fault, HOUR_MS, SimConfig};

/// Arguments of `shieldwatch simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Scenario (built-in name or TOML file) whose first interceptor battery and radar are
    /// simulated.
    #[arg(default_value = "europe-2008")]
    scenario: String,
    /// Output folder: deployment keys (0600), roster, trust anchors, entries.jsonl, reveals.jsonl.
    #[arg(long, default_value = "out/simulation")]
    out: PathBuf,
    /// Also submit the roster and every entry to this log server, in time order.
    #[arg(long)]
    server: Option<String>,
    /// Simulated duration, hours.
    #[arg(long, default_value_t = 24)]
    hours: i64,
    /// Reporting period of each sensor, seconds.
    #[arg(long, default_value_t = 300)]
    period_s: i64,
    /// Time compression when submitting: simulated seconds per real second (0 = as fast as
    /// possible).
    #[arg(long, default_value_t = 0.0)]
    speed: f64,
    /// Start of the simulation, Unix seconds [default: midnight UTC at the start of yesterday,
    /// so a day of readings lies in the past].
    #[arg(long)]
    start: Option<i64>,
    /// Inject a fault: NAME@HH:MM after the start. Names: radar-outside-sector,
    /// radar-outside-window, extra-interceptor, tamper-outside-maintenance, gap, replay,
    /// forged-signature, clock-jump, over-collection. Repeatable.
    #[arg(long = "fault", value_name = "NAME@HH:MM")]
    faults: Vec<String>,
    /// Seed for the deployment's keys and the commitments' salts.
    #[arg(long, default_value_t = 2008)]
    seed: u64,
}

/// Runs `shieldwatch simulate`.
pub fn run(a: &SimulateArgs) -> anyhow::Result<ExitCode> {
    if a.hours <= 0 || a.hours > 24 * 366 {
        bail!("--hours must be between 1 and 8784, not {}", a.hours);
    }
    if a.period_s < 1 || a.period_s > 86_400 {
        bail!("--period-s must be between 1 and 86400, not {}", a.period_s);
    }
    if !(a.speed >= 0.0 && a.speed.is_finite()) {
        bail!("--speed must be ≥ 0 (0 = as fast as possible)");
    }
    crate::output::check_out(&a.out)?;
    let faults = a
        .faults
        .iter()
        .map(|f| Fault::parse_at(f))
        .collect::<Result<Vec<_>, _>>()?;
    let scenario = defence::scenario::Scenario::load(&a.scenario)?;
    let battery = scenario
        .interceptors
        .first()
        .context("the scenario has no interceptor battery to simulate")?;
    let radar = scenario
        .radars
        .first()
        .context("the scenario has no radar to simulate")?;
    let site_id = |name: &str| -> String {
        name.to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect()
    };
    let count = battery.count.value;
    if !((1.0..=1000.0).contains(&count) && count.fract() == 0.0) {
        bail!(
            "battery {:?}: count {count} is not a whole number in 1..=1000",
            battery.name
        );
    }
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let start_ms = a.start.unwrap_or((now_s / 86_400 - 1) * 86_400) * 1000;
    let cfg = SimConfig {
        silo_site: site_id(&battery.site),
        silos: count as u32,
        radar_site: site_id(&radar.site),
        start_ms,
        duration_ms: a.hours * HOUR_MS,
        period_ms: a.period_s * 1000,
        inspection_every_ms: 8 * HOUR_MS,
        faults,
        seed: a.seed,
    };
    let dep = Deployment::new(&cfg)?;
    let events = sim::simulate(&dep, &cfg)?;
    write_folder(&a.out, &dep, &events)?;
    eprintln!(
        "simulated {} h of {} ({} silos at {}, radar at {}): {} entries in {}",
        a.hours,
        scenario.meta.name,
        cfg.silos,
        cfg.silo_site,
        cfg.radar_site,
        events.len() + 1,
        a.out.display()
    );
    let Some(url) = &a.server else {
        return Ok(ExitCode::SUCCESS);
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(submit(url, &dep, &events, a.speed))
}

/// Writes the folder atomically (the study's output-folder writer): keys (0600), roster, trust
/// anchors, entries and the sealed fields' reveals.
fn write_folder(out: &Path, dep: &Deployment, events: &[sim::Event]) -> anyhow::Result<()> {
    crate::output::write_folder_with(out, |tmp| {
        std::fs::write(tmp.join("roster.note"), &dep.roster_entry)?;
        std::fs::write(
            tmp.join("anchors.toml"),
            format!(
                "# Roster trust anchors of the simulated deployment (copy into a trust file).\nanchors = {}\n",
                toml_list(&dep.anchors())
            ),
        )?;
        std::fs::create_dir(tmp.join("keys"))?;
        for (name, key) in &dep.keys {
            let path = tmp.join("keys").join(format!("{name}.key"));
            super::log::write_secret(&path, format!("{}\n", key.skey()).as_bytes())?;
        }
        let mut entries = std::io::BufWriter::new(std::fs::File::create(tmp.join("entries.jsonl"))?);
        let mut reveals = std::io::BufWriter::new(std::fs::File::create(tmp.join("reveals.jsonl"))?);
        for (i, e) in events.iter().enumerate() {
            serde_json::to_writer(
                &mut entries,
                &serde_json::json!({
                    "n": i,
                    "time_ms": e.time_ms,
                    "fault": e.fault.map(Fault::name),
                    "entry": BASE64_STANDARD.encode(&e.entry),
                }),
            )?;
            entries.write_all(b"\n")?;
            for r in &e.reveals {
                serde_json::to_writer(&mut reveals, &serde_json::json!({"n": i, "reveal": r}))?;
                reveals.write_all(b"\n")?;
            }
        }
        entries.flush()?;
        reveals.flush()?;
        Ok(())
    })
    .with_context(|| format!("writing {}", out.display()))
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

async fn submit(url: &str, dep: &Deployment, events: &[sim::Event], speed: f64) -> anyhow::Result<ExitCode> {
    let client = server::client::Client::new(url)?;
    let roster_index = client
        .add(dep.roster_entry.clone())
        .await
        .context("submitting the roster")?;
    let started = Instant::now();
    let t0 = events.first().map_or(0, |e| e.time_ms);
    let mut accepted = 0usize;
    let mut seen = std::collections::HashSet::new();
    seen.insert(roster_index);
    let mut rejected: std::collections::BTreeMap<String, usize> = Default::default();
    let mut first_error: Option<String> = None;
    // Submit in order, a window of concurrent requests at a time (one batch per server tick).
    let mut in_flight = tokio::task::JoinSet::new();
    let mut signers = std::collections::HashSet::new();
    for e in events {
        if speed > 0.0 {
            let due = Duration::from_secs_f64(((e.time_ms - t0) as f64 / 1000.0 / speed).max(0.0));
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
        // Entries of one signer must be sequenced in order: drain the window before a signer's
        // next entry could overtake its previous one (two notices of one tick, say).
        // Every event is a note this command signed itself, so one that does not parse is a bug
        // here, not bad input: stop rather than submit it out of order.
        let (_, names) = verify::keys::peek_note(&e.entry)
            .with_context(|| format!("simulated entry at {} ms is not a signed note", e.time_ms))?;
        let signer = names.into_iter().next().unwrap_or_default();
        if in_flight.len() >= 64 || !signers.insert(signer.clone()) {
            while let Some(r) = in_flight.join_next().await {
                tally(r?, &mut seen, &mut accepted, &mut rejected, &mut first_error);
            }
            signers.clear();
            signers.insert(signer);
        }
        let c = client.clone();
        let entry = e.entry.clone();
        in_flight.spawn(async move { c.add(entry).await.map_err(|err| err.to_string()) });
    }
    while let Some(r) = in_flight.join_next().await {
        tally(r?, &mut seen, &mut accepted, &mut rejected, &mut first_error);
    }
    outln!(
        "{}",
        serde_json::json!({
            "server": url,
            "roster_index": roster_index,
            "accepted": accepted,
            "duplicates": seen.len().saturating_sub(1).abs_diff(accepted),
            "rejected": rejected,
            "seconds": started.elapsed().as_secs_f64(),
        })
    )?;
    if let Some(e) = first_error {
        eprintln!("first rejection: {e}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Counts a submission's outcome; `accepted` counts every acknowledged submission, `seen` the
/// distinct indexes (an identical resubmission gets its first index back).
fn tally(
    r: Result<u64, String>,
    seen: &mut std::collections::HashSet<u64>,
    accepted: &mut usize,
    rejected: &mut std::collections::BTreeMap<String, usize>,
    first: &mut Option<String>,
) {
    match r {
        Ok(i) => {
            *accepted += 1;
            seen.insert(i);
        }
        Err(e) => {
            let reason = e
                .split_once("reason ")
                .map(|(_, r)| {
                    r.split(|c: char| c == ':' || c.is_whitespace())
                        .next()
                        .unwrap_or("other")
                        .to_owned()
                })
                .unwrap_or_else(|| "rejected".into());
            *rejected.entry(reason).or_default() += 1;
            first.get_or_insert(e);
        }
    }
}
