//! `shieldwatch verify …`: check an alert's evidence bundle offline, or check a revealed
//! sensitive field against the log.

use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use verify::evidence::{self, Evidence, Trust};
use verify::logwatch::{LOG_EVIDENCE_SCHEMA, LogEvidence, Misbehaviour, verify_log_evidence};
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
        /// For an https URL: PEM file of the certificates the server's must chain to.
        #[arg(long, env = "SHIELDWATCH_CA")]
        ca: Option<PathBuf>,
        /// Trust file.
        #[arg(long)]
        trust: PathBuf,
        /// Log index of the statement.
        #[arg(long, required_unless_present = "position", conflicts_with = "position")]
        index: Option<u64>,
        /// Instead of `--index`: the statement's position `n` in `simulate`'s entries file
        /// (the `n` of a `reveals.jsonl` line); its log index is looked up in the log.
        #[arg(long, requires = "entries")]
        position: Option<u64>,
        /// The entries file `--position` refers to (`<simulate --out>/entries.jsonl`).
        #[arg(long)]
        entries: Option<PathBuf>,
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
            ca,
            trust,
            index,
            position,
            entries,
            field,
            value,
            salt,
        } => {
            let which = match (index, position, entries) {
                (Some(i), None, _) => Which::Index(i),
                (None, Some(n), Some(file)) => Which::Position(n, file),
                _ => anyhow::bail!("give --index, or --position with --entries"),
            };
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(reveal(
                &url,
                ca.as_deref(),
                &trust,
                which,
                Reveal { field, value, salt },
            ))
        }
    }
}

fn check_evidence(
    file: &std::path::Path,
    trust: &std::path::Path,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let text = crate::input::read_json_object(file, crate::input::MAX_EVIDENCE_BYTES, "an evidence bundle")?;
    let trust = Trust::load(trust)?;
    // Only the schema is read first; the bundle itself is then read straight from the text
    // into its typed form, which refuses a field given twice (a JSON value would keep one of
    // the two silently, and another reader could show the other).
    #[derive(serde::Deserialize)]
    struct SchemaOnly {
        #[serde(default)]
        schema: String,
    }
    let schema = serde_json::from_str::<SchemaOnly>(&text)
        .with_context(|| format!("{} is not a JSON object with a schema", file.display()))?
        .schema;
    let outcome: Result<serde_json::Value, String> = if schema == LOG_EVIDENCE_SCHEMA {
        let ev: LogEvidence = serde_json::from_str(&text).context("log evidence")?;
        verify_log_evidence(&ev, &trust.log_key)
            .map(|()| {
                let summary = match (ev.kind, ev.lost) {
                    (Misbehaviour::Rollback, Some(lost)) => format!(
                        "the log signed a tree of {} entries and one of {}; entries {}..{} are not in the \
                         smaller (that it was served later is the monitor's testimony)",
                        lost.to, lost.from, lost.from, lost.to
                    ),
                    _ => "the log signed two incompatible histories".to_owned(),
                };
                serde_json::json!({"verified": true, "kind": ev.kind, "summary": summary, "lost": ev.lost})
            })
            .map_err(|e| e.to_string())
    } else {
        let ev: Evidence = serde_json::from_str(&text).context("evidence bundle")?;
        evidence::verify(&ev, &trust)
            .map(|v| {
                serde_json::json!({
                    "verified": true,
                    "finding": v.finding.kind.name(),
                    "summary": v.finding.summary,
                    "index": v.finding.index,
                    "checkpoint_size": v.size,
                    "cosigned_s": v.cosigned_s,
                    "complete": {"from": v.complete.from, "to": v.complete.to},
                    "unproven": v.unproven,
                })
            })
            .map_err(|e| e.to_string())
    };
    match (outcome, format) {
        (Ok(v), Format::Json) => outln!("{v}")?,
        (Ok(v), Format::Text) => {
            outln!(
                "VERIFIED {}: {}",
                v["finding"].as_str().or(v["kind"].as_str()).unwrap_or_default(),
                v["summary"].as_str().unwrap_or_default()
            )?;
            if let (Some(from), Some(to)) = (v["complete"]["from"].as_u64(), v["complete"]["to"].as_u64()) {
                outln!(
                    "the bundle holds every log entry {from}..{to}, each proven under the cosigned \
                     checkpoint of size {}: no entry of that range was left out",
                    v["checkpoint_size"]
                )?;
            }
            if let Some(u) = v["unproven"].as_str() {
                outln!("not provable from the log: {u}")?;
            }
        }
        (Err(e), Format::Json) => {
            outln!("{}", serde_json::json!({"verified": false, "error": e}))?;
            return Ok(ExitCode::from(1));
        }
        (Err(e), Format::Text) => {
            eprintln!("REJECTED: {e}");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Which statement `verify reveal` checks.
enum Which {
    /// By log index.
    Index(u64),
    /// By position in `simulate`'s entries file.
    Position(u64, PathBuf),
}

/// The entry at position `n` of a `simulate` entries file.
fn entry_at_position(file: &std::path::Path, n: u64) -> anyhow::Result<Vec<u8>> {
    use base64::prelude::{BASE64_STANDARD, Engine as _};
    #[derive(serde::Deserialize)]
    struct Line {
        n: u64,
        entry: String,
    }
    // Line by line, each at most `MAX_ENTRIES_LINE` bytes (an entry of 65 535 bytes in base64 with
    // its fields is under 90 kB), so a file that never ends is refused, not read into memory.
    const MAX_ENTRIES_LINE: u64 = 1 << 20;
    let reading = || format!("reading {}", file.display());
    let mut r = std::io::BufReader::new(std::fs::File::open(file).with_context(reading)?);
    let mut l = Vec::new();
    for k in 0.. {
        l.clear();
        std::io::Read::take(&mut r, MAX_ENTRIES_LINE + 1)
            .read_until(b'\n', &mut l)
            .with_context(reading)?;
        if l.is_empty() {
            break;
        }
        if l.len() as u64 > MAX_ENTRIES_LINE {
            anyhow::bail!(
                "{}:{}: a line longer than {MAX_ENTRIES_LINE} bytes is not an entries line",
                file.display(),
                k + 1
            );
        }
        let line: Line = serde_json::from_slice(&l)
            .with_context(|| format!("{}:{}: not an entries line", file.display(), k + 1))?;
        if line.n == n {
            return BASE64_STANDARD
                .decode(&line.entry)
                .with_context(|| format!("{}:{}: entry is not base64", file.display(), k + 1));
        }
    }
    anyhow::bail!("{} has no entry at position {n}", file.display())
}

/// Refuses a log entry that is not the statement at position `n` of the entries file.
fn same_entry(wanted: &[u8], got: &[u8], n: u64, index: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        wanted == got,
        "the log's entry {index}, which the server names for position {n}, is not the statement at position {n}"
    );
    Ok(())
}

async fn reveal(
    url: &str,
    ca: Option<&std::path::Path>,
    trust: &std::path::Path,
    which: Which,
    r: Reveal,
) -> anyhow::Result<ExitCode> {
    let trust = Trust::load(trust)?;
    let client = server::client::Client::with_ca(url, ca)?;
    // With `--position`, the statement the file holds: the log's entry at the index the server
    // names must be exactly these bytes, or the server could point at another statement.
    let (index, expected) = match which {
        Which::Index(i) => (i, None),
        Which::Position(n, file) => {
            let entry = entry_at_position(&file, n)?;
            let index = client
                .lookup(&entry)
                .await
                .with_context(|| format!("looking up the entry at position {n} in the log"))?;
            (index, Some((n, entry)))
        }
    };
    let note = client.checkpoint().await?;
    let cp = evidence::verify_cosigned(&note, &trust.log_key, &trust.witness_keys, trust.min_cosignatures)?;
    let entry = client.entry(index, cp.size).await?;
    let vc = tlog::verify_checkpoint(&note, &trust.log_key)?;
    client.verify_entry(&vc, index, &entry).await?;
    if let Some((n, wanted)) = &expected {
        same_entry(wanted, &entry, *n, index)?;
    }
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
            outln!(
                "VERIFIED: entry {index} ({} seq {}) commits to {} = {:?}; in the log of size {} cosigned at {}",
                st.sensor,
                st.seq,
                r.field,
                r.value,
                cp.size,
                cp.cosigned_s
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("REJECTED: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_entry;

    #[test]
    fn a_server_naming_another_entry_for_a_position_is_refused() {
        assert!(same_entry(b"statement A", b"statement A", 3, 17).is_ok());
        let e = same_entry(b"statement A", b"statement B", 3, 17)
            .unwrap_err()
            .to_string();
        assert!(e.contains("entry 17") && e.contains("position 3"), "{e}");
    }
}
