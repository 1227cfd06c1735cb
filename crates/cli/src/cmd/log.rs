//! `shieldwatch log ...`: create a log, and a client for a running one (add, get, prove, verify).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use server::client::Client;

/// Subcommands of `shieldwatch log`.
#[derive(Debug, clap::Subcommand)]
pub enum LogCommand {
    /// Create a new log: a signing key (file mode 0600) and an empty, signed tree. Prints the
    /// verifier key, which clients and witnesses need.
    Init {
        /// Log origin, also the key name (e.g. `shieldwatch.example/treaty-log`; no spaces or '+').
        #[arg(long)]
        origin: String,
        /// Directory of the new log [default: shieldwatch-log].
        #[arg(long, env = "SHIELDWATCH_DATA_DIR", default_value = "shieldwatch-log")]
        dir: PathBuf,
        /// Where to write the signing key [default: <dir>/signing.key].
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Submit an entry (a file, or stdin with `-`); prints `{"index": n}` once it is durable, or
    /// `{"status": <HTTP status>, "error": "<the server's reason>"}` and exits 1 if refused.
    Add {
        #[command(flatten)]
        url: UrlArg,
        /// File holding the entry (1..=65535 bytes), `-` for stdin.
        file: PathBuf,
    },
    /// Print the entry at an index (raw bytes) from the entry bundles.
    Get {
        #[command(flatten)]
        url: UrlArg,
        /// Entry index.
        #[arg(long)]
        index: u64,
    },
    /// Print an inclusion proof (`--index`) or a consistency proof (`--old`) as JSON.
    Prove {
        #[command(flatten)]
        url: UrlArg,
        /// Entry index, for an inclusion proof.
        #[arg(long, conflicts_with = "old", required_unless_present = "old")]
        index: Option<u64>,
        /// Tree size for the inclusion proof [default: current].
        #[arg(long, requires = "index")]
        size: Option<u64>,
        /// Older tree size, for a consistency proof.
        #[arg(long)]
        old: Option<u64>,
        /// Newer tree size for the consistency proof [default: current].
        #[arg(long, requires = "old")]
        new: Option<u64>,
    },
    /// Verify, trusting only the verifier key: the checkpoint's signature, optionally an entry's
    /// inclusion and the consistency with an older checkpoint. Prints a JSON summary; exit status
    /// 1 if anything fails to verify.
    Verify {
        #[command(flatten)]
        url: UrlArg,
        /// Verifier key (`<name>+<id>+<base64>`), or `@FILE` to read it from a file.
        #[arg(long, env = "SHIELDWATCH_VERIFIER_KEY")]
        key: String,
        /// Check inclusion of the entry at this index.
        #[arg(long)]
        index: Option<u64>,
        /// The entry expected at `--index` (a file); default: the log's own copy.
        #[arg(long, requires = "index")]
        entry: Option<PathBuf>,
        /// An older signed checkpoint (file) the current one must be consistent with.
        #[arg(long)]
        old_checkpoint: Option<PathBuf>,
        /// Save the verified checkpoint here, for a later `--old-checkpoint`.
        #[arg(long)]
        save_checkpoint: Option<PathBuf>,
    },
    /// Check a stopped log at rest: every entry bundle, hash tile (older partial ones included)
    /// and the checkpoint against the signed root. Prints a JSON summary; names the first damaged
    /// file and exits 1 if any.
    Fsck {
        /// Directory of the log.
        dir: PathBuf,
        /// Verifier key (`<name>+<id>+<base64>`), or `@FILE` [default: @<dir>/verifier.key].
        #[arg(long, env = "SHIELDWATCH_VERIFIER_KEY")]
        key: Option<String>,
    },
}

/// The server to talk to.
#[derive(Debug, clap::Args)]
pub struct UrlArg {
    /// Base URL of the log server.
    #[arg(long, env = "SHIELDWATCH_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// For an https URL: PEM file of the certificates the server's must chain to (a private CA
    /// or the server's self-signed certificate), trusted instead of the system's roots.
    #[arg(long, env = "SHIELDWATCH_CA")]
    ca: Option<PathBuf>,
}

impl UrlArg {
    fn client(&self) -> anyhow::Result<Client> {
        Ok(Client::with_ca(&self.url, self.ca.as_deref())?)
    }
}

/// Runs a `log` subcommand.
pub fn run(cmd: LogCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LogCommand::Init {
            origin,
            dir,
            key_file,
        } => init(&origin, &dir, key_file.as_deref()),
        LogCommand::Fsck { dir, key } => fsck(&dir, key),
        other => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(client(other))
        }
    }
}

fn init(origin: &str, dir: &Path, key_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let key_file = key_file.map_or_else(|| dir.join("signing.key"), Path::to_path_buf);
    let (signer, skey) = tlog::LogSigner::generate(origin)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let storage = tlog::LocalStorage::open(dir)?;
    if tlog::Storage::load_state(&storage).is_ok() {
        bail!("a log already exists in {}", dir.display());
    }
    write_secret(&key_file, format!("{skey}\n").as_bytes())?;
    tlog::create_log(&storage, &signer)?;
    let vkey_file = dir.join("verifier.key");
    std::fs::write(&vkey_file, format!("{}\n", signer.verifier_key()))
        .with_context(|| format!("writing {}", vkey_file.display()))?;
    outln!("{}", signer.verifier_key())?;
    eprintln!(
        "created log {origin:?} in {}; signing key {} (keep it secret), verifier key also in {}",
        dir.display(),
        key_file.display(),
        vkey_file.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// A verifier key given as text or `@FILE`.
fn verifier_key(key: String) -> anyhow::Result<String> {
    Ok(match key.strip_prefix('@') {
        Some(f) => std::fs::read_to_string(f).with_context(|| format!("reading {f}"))?,
        None => key,
    }
    .trim()
    .to_owned())
}

fn fsck(dir: &Path, key: Option<String>) -> anyhow::Result<ExitCode> {
    let key = verifier_key(key.unwrap_or_else(|| format!("@{}", dir.join("verifier.key").display())))?;
    if !dir.join(tlog::storage::STATE_FILE).is_file() {
        bail!("no log in {} (no {})", dir.display(), tlog::storage::STATE_FILE);
    }
    let storage = tlog::LocalStorage::open(dir)
        .with_context(|| format!("opening {} (is a server running on it?)", dir.display()))?;
    match tlog::fsck::check(&storage, storage.public_dir(), &key)
        .with_context(|| format!("checking {}", dir.display()))?
    {
        Ok(r) => {
            outln!(
                "{}",
                serde_json::json!({
                    "ok": true, "size": r.size, "bundles": r.bundles, "tiles": r.tiles,
                    "older_partials": r.older_partials, "uncommitted": r.uncommitted,
                    "stale_checkpoint_copy": r.stale_checkpoint_copy,
                })
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(d) => {
            outln!(
                "{}",
                serde_json::json!({ "ok": false, "file": d.file, "problem": d.problem })
            )?;
            let file = if d.file == tlog::storage::STATE_FILE {
                dir.join(&d.file)
            } else {
                dir.join(tlog::storage::PUBLIC_DIR).join(&d.file)
            };
            eprintln!("error: damaged file {}: {}", file.display(), d.problem);
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Creates `path` with mode 0600 (never overwriting) and writes `data` durably.
pub(crate) fn write_secret(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating key file {} (it must not exist)", path.display()))?;
    f.write_all(data)?;
    f.sync_all()?;
    Ok(())
}

fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = vec![];
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path).with_context(|| format!("reading {}", path.display()))
    }
}

async fn client(cmd: LogCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LogCommand::Init { .. } | LogCommand::Fsck { .. } => unreachable!("handled in run"),
        LogCommand::Add { url, file } => {
            let entry = read_input(&file)?;
            match url.client()?.add(entry).await {
                Ok(index) => outln!("{}", serde_json::json!({ "index": index }))?,
                Err(server::ServerError::Status {
                    request,
                    status,
                    message,
                }) => {
                    // Refused: the status and the server's reason, for scripts to branch on.
                    outln!("{}", serde_json::json!({ "status": status, "error": message }))?;
                    eprintln!("shieldwatch: error: {request}: {status}: {message}");
                    return Ok(ExitCode::FAILURE);
                }
                Err(e) => return Err(e.into()),
            }
        }
        LogCommand::Get { url, index } => {
            let c = url.client()?;
            let note = c.checkpoint().await?;
            let size = std::str::from_utf8(&note)
                .ok()
                .and_then(|t| t.lines().nth(1))
                .and_then(|l| l.parse::<u64>().ok())
                .context("the server's checkpoint has no tree size line")?;
            let entry = c.entry(index, size).await?;
            std::io::stdout().write_all(&entry)?;
        }
        LogCommand::Prove {
            url,
            index,
            size,
            old,
            new,
        } => {
            let c = url.client()?;
            let out = match (index, old) {
                (Some(i), _) => serde_json::to_value(c.inclusion(i, size).await?)?,
                (None, Some(o)) => serde_json::to_value(c.consistency(o, new).await?)?,
                (None, None) => bail!("give --index or --old"),
            };
            outln!("{out}")?;
        }
        LogCommand::Verify {
            url,
            key,
            index,
            entry,
            old_checkpoint,
            save_checkpoint,
        } => {
            let key = verifier_key(key)?;
            let c = url.client()?;
            let (cp, note) = c.verified_checkpoint(key.trim()).await.context("checkpoint")?;
            let mut summary = serde_json::json!({
                "checkpoint": { "origin": cp.origin, "size": cp.size, "root": cp.root.to_string(), "signature": "ok" }
            });
            if let Some(i) = index {
                let e = match &entry {
                    Some(p) => read_input(p)?,
                    None => c.entry(i, cp.size).await?,
                };
                c.verify_entry(&cp, i, &e)
                    .await
                    .with_context(|| format!("inclusion of entry {i}"))?;
                summary["inclusion"] = serde_json::json!({ "index": i, "leaf_hash": tlog::merkle::record_hash(&e).to_string(), "result": "ok" });
            }
            if let Some(p) = old_checkpoint {
                let old_note = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
                let old = tlog::verify_checkpoint(&old_note, key.trim()).context("old checkpoint")?;
                c.verify_consistency(&old, &cp)
                    .await
                    .context("consistency with the old checkpoint")?;
                summary["consistency"] =
                    serde_json::json!({ "old_size": old.size, "new_size": cp.size, "result": "ok" });
            }
            if let Some(p) = save_checkpoint {
                std::fs::write(&p, &note).with_context(|| format!("writing {}", p.display()))?;
            }
            outln!("{summary}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
