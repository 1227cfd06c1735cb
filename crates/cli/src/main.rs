//! The `shieldwatch` command: a thin shell over the libraries. `main` parses the arguments, dispatches to
//! one module of [`cmd`] and turns its result into an exit status (0 ok, 1 error, 2 some input rejected).

/// `print!` to stdout that hands back the write's error instead of panicking: a reader that closes the
/// pipe early (`| head`) ends the command as [`main`] says.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `println!` as [`out!`] does `print!`.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

mod admission;
mod cmd;
mod input;
mod jsonl;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// shieldwatch: what a missile-defence deployment can do, and verifiable evidence of what it is doing.
#[derive(Debug, Parser)]
#[command(name = "shieldwatch", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// WGS84 geodesics, look angles and radar horizon as JSON Lines (stdin → stdout).
    ///
    /// Each input line is an object with an `id` and a `kind`: "inverse", "direct", "look_angle" or
    /// "min_visible_alt" (fields in the README). Each output line answers one input line, in order,
    /// whatever the number of threads (all cores by default: see --threads). Exit status 2 when any line
    /// failed.
    Geodesy(jsonl::JsonlArgs),
    /// Ballistic flight from a burnout state to impact, as JSON Lines (stdin → stdout).
    ///
    /// Input `{id, lat_deg, lon_deg, alt_m, speed_mps, azimuth_deg, flight_path_angle_deg, gravity}`
    /// (gravity "point" or "j2"); output `{id, impact_lat_deg, impact_lon_deg, time_of_flight_s,
    /// apogee_alt_m, apogee_time_s, ground_range_km, ground_azimuth_deg}`. Point gravity is the Keplerian
    /// conic in closed form; J2 is integrated (RKN12). Escape or orbital states are error lines. Output
    /// is in input order whatever the number of threads (all cores by default: see --threads). Exit
    /// status 2 when any line failed.
    Fly(jsonl::JsonlArgs),
    /// Lambert's problem (Izzo's method) as JSON Lines (stdin → stdout).
    ///
    /// Input `{id, r1_m, r2_m, tof_s, mu_m3ps2, prograde, max_revs}`; output `{id, v1_mps, v2_mps}` (the
    /// zero-revolution solution) plus, when max_revs > 0, `solutions`: every (revs, branch, v1, v2).
    /// Output is in input order whatever the number of threads (all cores by default: see --threads).
    /// Exit status 2 when any line failed.
    Lambert(jsonl::JsonlArgs),
    /// One ballistic trajectory for people: targeting from a launch point to a target (minimum energy,
    /// lofted or depressed) or a given burnout state; prints a table and writes the track as CSV, GeoJSON
    /// and KML.
    Trajectory(cmd::trajectory::TrajectoryArgs),
    /// The headline capability study of a scenario: which threats the deployment can engage, at which
    /// assumed interceptor burnout speed, and what its radar sees. Prints tables and writes an output
    /// folder (CSV, GeoJSON, KML, SVG, HTML report); exit status 2 when the scenario is rejected.
    Study(cmd::study::StudyArgs),
    /// Two scenarios against the same threats: what changes between the deployments (engageable
    /// trajectories per assumed speed, crossover speeds, first-track times, what the radars see of each
    /// launch area), with the differing parameters first. Prints tables and writes an output folder (CSV,
    /// GeoJSON, SVG, HTML); exit status 2 for an unknown or rejected scenario, nothing written.
    Compare(cmd::compare::CompareArgs),
    /// Maps over a grid: the targets a deployment can defend against a launch site (defended-area),
    /// the launch areas from which missiles aimed at a defended point can be engaged (threat-origin), or
    /// the lowest warhead altitude the radar sees (radar-coverage). Prints a table and writes an output
    /// folder (CSV, GeoJSON, KML, CZML, SVG, HTML); exit status 2 on bad input, nothing written.
    Footprint(cmd::footprint::FootprintArgs),
    /// How the answer moves with the disputed numbers: one or two scenario parameters over a range, or
    /// Monte Carlo over their ranges (probabilities of engagement). Tables, CSV, SVG, HTML.
    Sweep(cmd::sweep::SweepArgs),
    /// The transparency log: create one (`init`), or talk to a running server (`add`, `get`,
    /// `prove`, `verify`).
    #[command(subcommand)]
    Log(cmd::log::LogCommand),
    /// Serve the transparency log over HTTP (C2SP tlog-tiles, POST /add, proofs, /metrics).
    Serve(Box<cmd::serve::ServeArgs>),
    /// A C2SP tlog-witness: create its key (`init`), or serve it (`serve`) to cosign the
    /// checkpoints of the logs it follows, consistent with the last one it cosigned.
    #[command(subcommand)]
    Witness(cmd::witness::WitnessCommand),
    /// Simulated signed telemetry from a scenario's interceptor site and radar (silos, radar,
    /// inspections, notices), with injectable faults; written to a folder and optionally submitted
    /// to a log server.
    Simulate(cmd::simulate::SimulateArgs),
    /// Follow a log: check checkpoints (signature, witness quorum, consistency, split views),
    /// replay every statement through the compliance rules, and write each alert as an evidence
    /// bundle. Exit status 3 with `--once` if there were alerts.
    Monitor(cmd::monitor::MonitorArgs),
    /// Offline checks: an alert's evidence bundle (`evidence`), or a disclosed sensitive field
    /// against the log (`reveal`). Exit status 1 when it does not verify.
    #[command(subcommand)]
    Verify(cmd::verify::VerifyCommand),
    /// A local web app over the capability study: the disputed parameters as sliders with their sourced
    /// ranges, the engageable trajectories, crossover chart, timelines and map recomputed on each change.
    /// Prints `dashboard: http://ADDR/` once listening; serves until Ctrl-C.
    Dashboard(cmd::dashboard::DashboardArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Geodesy(a) => cmd::geodesy::run(&a),
        Command::Fly(a) => cmd::fly::run(&a),
        Command::Lambert(a) => cmd::lambert::run(&a),
        Command::Trajectory(a) => cmd::trajectory::run(&a),
        Command::Study(a) => cmd::study::run(&a),
        Command::Compare(a) => cmd::compare::run(&a),
        Command::Footprint(a) => cmd::footprint::run(&a),
        Command::Sweep(a) => cmd::sweep::run(&a),
        Command::Log(c) => cmd::log::run(c),
        Command::Serve(a) => cmd::serve::run(&a),
        Command::Witness(c) => cmd::witness::run(c),
        Command::Simulate(a) => cmd::simulate::run(&a),
        Command::Monitor(a) => cmd::monitor::run(&a),
        Command::Verify(c) => cmd::verify::run(c),
        Command::Dashboard(a) => cmd::dashboard::run(&a),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`| head`): stop without a message, with the status a shell gives a
        // command ended by SIGPIPE (128 + 13). Not 0: the command did not finish, and under
        // `set -o pipefail` a verification cut short must not read as one that passed.
        Err(e) if broken_pipe(&e) => ExitCode::from(141),
        Err(e) => {
            eprintln!("shieldwatch: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Whether `e` is, or was caused by, writing to a pipe whose reader has closed it.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
