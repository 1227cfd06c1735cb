//! The README's verification walkthrough, run as written: the commands, `witness.toml` and
//! `trust.toml` are read from README.md at test time (so the text cannot drift from what works),
//! run through `bash` with the built `shieldwatch` first on `PATH`, and what the README's comments
//! claim (the submission report, the number of alerts and the exit status, the first alert's
//! verdict) is checked. Only the ports differ: the servers bind port 0 (an environment override
//! and the witness.toml line) and the test reads the ports they announce (`listening on <url>`),
//! which then replace 7380 and 8080; and the server cuts batches every 50 ms instead of 500 (an
//! environment override), to keep the test short.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod scratch;

/// A background process killed when dropped.
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        if let Err(e) = self.0.kill() {
            eprintln!("stopping a walkthrough process: {e}");
        }
        if let Err(e) = self.0.wait() {
            eprintln!("waiting for a walkthrough process: {e}");
        }
    }
}

fn readme() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The body of the fenced block of `lang` whose first line starts with `first`.
fn block(readme: &str, lang: &str, first: &str) -> String {
    let fence = format!("```{lang}\n");
    let mut rest = readme;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```").expect("unterminated code block in README.md");
        if body.starts_with(first) {
            return body[..end].to_owned();
        }
        rest = &body[end + 3..];
    }
    panic!("README.md has no ```{lang} block starting with {first:?}");
}

/// One command line of the walkthrough and its trailing comment.
#[derive(Debug)]
struct Step {
    cmd: String,
    comment: String,
    /// The comment line that follows (expected output), if any.
    output: Option<String>,
}

fn steps(sh: &str) -> Vec<Step> {
    let mut joined: Vec<String> = Vec::new();
    let mut cont = false;
    for line in sh.lines() {
        if cont {
            let last = joined.last_mut().unwrap();
            last.push(' ');
            last.push_str(line.trim());
        } else {
            joined.push(line.to_owned());
        }
        cont = joined.last().is_some_and(|l| l.ends_with('\\'));
        if cont {
            let last = joined.last_mut().unwrap();
            last.pop();
        }
    }
    let mut out: Vec<Step> = Vec::new();
    for line in joined {
        let t = line.trim();
        if let Some(c) = t.strip_prefix("# ") {
            out.last_mut()
                .expect("an output comment before any command")
                .output = Some(c.to_owned());
            continue;
        }
        if t.is_empty() {
            continue;
        }
        let (cmd, comment) = match t.split_once(" # ") {
            Some((c, m)) => (c.trim().to_owned(), m.trim().to_owned()),
            None => (t.to_owned(), String::new()),
        };
        out.push(Step {
            cmd,
            comment,
            output: None,
        });
    }
    out
}

#[path = "support/listen.rs"]
mod listen;

struct Env {
    dir: PathBuf,
    path: String,
    /// The log server's `host:port`, once it announced it.
    log: Option<String>,
    /// The witness's `host:port`, once it announced it.
    witness: Option<String>,
}

impl Env {
    fn command(&self, cmd: &str) -> Command {
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(cmd)
            .current_dir(&self.dir)
            .env("PATH", &self.path)
            .env("SHIELDWATCH_LISTEN", "127.0.0.1:0")
            .env("SHIELDWATCH_BATCH_INTERVAL_MS", "50")
            .stdin(Stdio::null());
        if let Some(log) = &self.log {
            c.env("SHIELDWATCH_URL", format!("http://{log}"));
        }
        c
    }

    fn run(&self, cmd: &str) -> Output {
        self.command(cmd).output().unwrap()
    }

    /// The README's addresses replaced by those the servers announced (port 0 before they
    /// did: that is how `witness.toml` makes the witness bind one the system picks).
    fn ports(&self, text: &str) -> String {
        text.replace("127.0.0.1:7380", self.witness.as_deref().unwrap_or("127.0.0.1:0"))
            .replace("127.0.0.1:8080", self.log.as_deref().unwrap_or("127.0.0.1:0"))
    }

    /// The size of the log's published (cosigned) checkpoint.
    fn size(&self) -> u64 {
        let o = self.run("shieldwatch log verify --key @log/verifier.key");
        serde_json::from_slice::<serde_json::Value>(&o.stdout)
            .ok()
            .and_then(|v| v["checkpoint"]["size"].as_u64())
            .unwrap_or(0)
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let readme = readme();
    let sh = block(
        &readme,
        "sh",
        "shieldwatch log init --origin shieldwatch.test/log",
    );
    let witness_toml = block(&readme, "toml", "# witness.toml for the walkthrough");
    let trust_toml = block(&readme, "toml", "# trust.toml");
    let dir = scratch::dir("readme-walkthrough");
    let bin_dir = assert_cmd::cargo::cargo_bin("shieldwatch")
        .parent()
        .unwrap()
        .to_owned();
    let mut env = Env {
        dir: dir.to_path_buf(),
        path: format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
        log: None,
        witness: None,
    };
    let mut background: Vec<Proc> = Vec::new();
    let (mut log_key, mut witness_key) = (String::new(), String::new());
    let mut expected_size = None;
    let steps = steps(&sh);
    assert!(steps.len() >= 9, "{steps:#?}");
    for step in &steps {
        let cmd = env.ports(&step.cmd);
        eprintln!("$ {cmd}");
        if let Some(fg) = cmd.strip_suffix('&') {
            let log = std::fs::File::create(dir.join(format!("bg-{}.log", background.len()))).unwrap();
            let mut child = env
                .command(&format!("exec {}", fg.trim()))
                .stdout(Stdio::piped())
                .stderr(log)
                .spawn()
                .unwrap();
            let url = listen::listening_url(&mut child);
            background.push(Proc(child));
            let addr = Some(listen::authority(&url).to_owned());
            if fg.contains("witness serve") {
                env.witness = addr;
            } else {
                env.log = addr;
            }
            continue;
        }
        let cmd = if cmd.contains("verify reveal") {
            // N, V and S from the first pointing reveal of sim/reveals.jsonl.
            let reveals = std::fs::read_to_string(dir.join("sim/reveals.jsonl")).unwrap();
            let r: serde_json::Value = reveals
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                .find(|v| v["reveal"]["field"] == "pointing")
                .expect("a pointing reveal");
            cmd.replace(" N ", &format!(" {} ", r["n"]))
                .replace(" V ", &format!(" {} ", r["reveal"]["value"].as_str().unwrap()))
                .replace(" S", &format!(" {}", r["reveal"]["salt"].as_str().unwrap()))
        } else {
            cmd
        };
        if cmd.contains("shieldwatch monitor") {
            // The last checkpoint is published once a witness cosigned it.
            let want = expected_size.expect("the submission report comes first");
            let t = Instant::now();
            while env.size() < want {
                assert!(
                    t.elapsed() < Duration::from_secs(60),
                    "the log never reached {want}"
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        let o = env.run(&cmd);
        let (out, err) = (text(&o.stdout), text(&o.stderr));
        eprintln!("{out}");
        if cmd.contains("shieldwatch monitor") {
            // "# 3 alerts, exit status 3"
            let n: usize = step
                .comment
                .split_whitespace()
                .next()
                .and_then(|w| w.parse().ok())
                .unwrap_or_else(|| panic!("no alert count in {:?}", step.comment));
            let status: i32 = step
                .comment
                .rsplit(' ')
                .next()
                .and_then(|w| w.parse().ok())
                .unwrap_or_else(|| panic!("no exit status in {:?}", step.comment));
            assert_eq!(o.status.code(), Some(status), "{out}{err}");
            let alerts: Vec<PathBuf> = std::fs::read_dir(dir.join("alerts"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            assert_eq!(alerts.len(), n, "{out}");
            // Every alert verifies, not only the first the README shows.
            for a in &alerts {
                let v = env.run(&format!(
                    "shieldwatch verify evidence {} --trust trust.toml",
                    a.display()
                ));
                assert!(
                    v.status.success() && text(&v.stdout).starts_with("VERIFIED"),
                    "{}: {}{}",
                    a.display(),
                    text(&v.stdout),
                    text(&v.stderr)
                );
            }
            continue;
        }
        assert!(o.status.success(), "{cmd}: {out}{err}");
        if cmd.contains("log init") {
            log_key = out.trim().to_owned();
        } else if cmd.contains("witness init") {
            witness_key = out.trim().to_owned();
            let toml = env.ports(&witness_toml).replace("<LOG_KEY>", &log_key);
            std::fs::write(dir.join("witness.toml"), toml).unwrap();
        } else if cmd.contains("simulate") && !cmd.contains("--server") {
            let anchors = std::fs::read_to_string(dir.join("sim/anchors.toml")).unwrap();
            let line = anchors.lines().find(|l| l.starts_with("anchors")).unwrap();
            let trust: String = trust_toml
                .replace("<LOG_KEY>", &log_key)
                .replace("<WITNESS_KEY>", &witness_key)
                .lines()
                .map(|l| if l.starts_with("anchors") { line } else { l })
                .collect::<Vec<_>>()
                .join("\n");
            std::fs::write(dir.join("trust.toml"), trust).unwrap();
        } else if cmd.contains("--server") {
            // "# {"accepted":N,"duplicates":1,"rejected":{...},...}": every field shown holds.
            let claim = step.output.as_deref().expect("the README shows the report");
            let claim: serde_json::Value =
                serde_json::from_str(&claim.replace(",...}", "}")).unwrap_or_else(|e| panic!("{claim}: {e}"));
            let got: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
            for (k, v) in claim.as_object().unwrap() {
                assert_eq!(&got[k], v, "{k} in {out}");
            }
            let accepted = got["accepted"].as_u64().unwrap();
            let duplicates = got["duplicates"].as_u64().unwrap();
            expected_size = Some(accepted + 1 - duplicates);
        } else if cmd.contains("verify evidence") {
            let claim = step.comment.trim_end_matches("...").trim_end();
            assert!(out.starts_with(claim), "{out:?} does not start with {claim:?}");
        } else if cmd.contains("verify reveal") {
            assert!(out.starts_with("VERIFIED"), "{out}");
        }
    }
    drop(background);
}
