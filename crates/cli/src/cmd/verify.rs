//! `shieldwatch verify …`: check an alert's evidence bundle offline, or check a revealed
//! sensitive field against the log.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use verify::evidence::{self, Evidence, Trust};
use verify::logwatch::{LOG_EVIDENCE_SCHEMA, LogEvidence, verify_log_evidence};
use verify::statement::{Body, Reveal, Statement};

/// Subcommands of `shieldwatch verify`.
#[derive(Debug, clap::Subcommand)]
pub enum VerifyCommand {
    /// Check an evidence bundle (an alert, or log-misbehaviour evidence) offline, trusting only
    /// the keys and rules in the trust file. Exit status 1 if it does not verify.
    Evidence {
        /// The bundle (JSON).
        file: PathBuf,
        /// Trust file: log key, witness keys and quorum, roster anchors, rules.
        #[arg(long)]
        trust: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Check that a disclosed value and salt open a sensitive field's commitment in the statement
    /// at `--index`, and that the statement is in the log under a witness-cosigned checkpoint.
    Reveal {
        /// Base URL of the log server.
        #[arg(long, env = "SHIELDWATCH_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Trust file.
        #[arg(long)]
        trust: PathBuf,
        /// Log index of the statement.
        #[arg(long)]
        index: u64,
        /// Field: `pointing` (radar) or `serial` (silo).
        #[arg(long)]
        field: String,
        /// The disclosed value.
        #[arg(long)]
        value: String,
        /// The disclosed salt (64 hex digits).
        #[arg(long)]
        salt: String,
    },
}

/// Output formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Human-readable.
    Text,
    /// One JSON object.
    Json,
}

/// Runs a `verify` subcommand.
pub fn run(cmd: VerifyCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        VerifyCommand::Evidence { file, trust, format } => check_evidence(&file, &trust, format),
        VerifyCommand::Reveal {
            url,
            trust,
            index,
            field,
            value,
            salt,
        } => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(reveal(&url, &trust, index, Reveal { field, value, salt }))
        }
    }
}

fn check_evidence(
    file: &std::path::Path,
    trust: &std::path::Path,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let trust = Trust::load(trust)?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let schema = value
        .get("schema")
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_owned();
    let outcome: Result<serde_json::Value, String> = if schema == LOG_EVIDENCE_SCHEMA {
        let ev: LogEvidence = serde_json::from_value(value).context("log evidence")?;
        verify_log_evidence(&ev, &trust.log_key)
            .map(|()| serde_json::json!({"verified": true, "kind": ev.kind}))
            .map_err(|e| e.to_string())
    } else {
        let ev: Evidence = serde_json::from_value(value).context("evidence bundle")?;
        evidence::verify(&ev, &trust)
            .map(|v| {
                serde_json::json!({
                    "verified": true,
                    "finding": v.finding.kind.name(),
                    "summary": v.finding.summary,
                    "index": v.finding.index,
                    "checkpoint_size": v.size,
                    "cosigned_s": v.cosigned_s,
                    "rests_on_absence": v.rests_on_absence,
                })
            })
            .map_err(|e| e.to_string())
    };
    match (outcome, format) {
        (Ok(v), Format::Json) => println!("{v}"),
        (Ok(v), Format::Text) => {
            println!(
                "VERIFIED {}: {}",
                v["finding"].as_str().or(v["kind"].as_str()).unwrap_or_default(),
                v["summary"]
                    .as_str()
                    .unwrap_or("the log signed two incompatible histories")
            );
            if v["rests_on_absence"].as_bool() == Some(true) {
                println!(
                    "note: the finding also claims that no exculpatory entry exists; the bundled entries are \
                     authentic and logged, absence is checked against the log itself"
                );
            }
        }
        (Err(e), Format::Json) => {
            println!("{}", serde_json::json!({"verified": false, "error": e}));
            return Ok(ExitCode::from(1));
        }
        (Err(e), Format::Text) => {
            eprintln!("REJECTED: {e}");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn reveal(url: &str, trust: &std::path::Path, index: u64, r: Reveal) -> anyhow::Result<ExitCode> {
    let trust = Trust::load(trust)?;
    let client = server::client::Client::new(url)?;
    let note = client.checkpoint().await?;
    let cp = evidence::verify_cosigned(&note, &trust.log_key, &trust.witness_keys, trust.min_cosignatures)?;
    let entry = client.entry(index, cp.size).await?;
    let vc = tlog::verify_checkpoint(&note, &trust.log_key)?;
    client.verify_entry(&vc, index, &entry).await?;
    let (text, _) = verify::keys::peek_note(&entry)?;
    let st = Statement::from_text(&text)?;
    let commitment = match (&st.body, r.field.as_str()) {
        (Body::Radar(x), "pointing") => x.pointing.clone(),
        (Body::Silo(x), "serial") => x
            .serial
            .clone()
            .ok_or_else(|| anyhow::anyhow!("entry {index} has no serial commitment"))?,
        (b, f) => anyhow::bail!("a {} statement has no sensitive field {f:?}", b.kind()),
    };
    match commitment.check(&r) {
        Ok(()) => {
            println!(
                "VERIFIED: entry {index} ({} seq {}) commits to {} = {:?}; in the log of size {} cosigned at {}",
                st.sensor, st.seq, r.field, r.value, cp.size, cp.cosigned_s
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("REJECTED: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
