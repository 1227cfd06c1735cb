//! Throw-away services for tests: a PostgreSQL cluster and an S3-compatible server (moto), each
//! on loopback, started at most once per test binary by `scripts/test-postgres.sh` and
//! `scripts/test-s3.sh`, and stopped (their temporary directories removed) when the test binary
//! exits: the scripts hold on until their standard input, a pipe from the test binary, closes.
//!
//! Each test gets a database ([`postgres_database`]) and a bucket ([`s3_bucket`]) of its own.
//!
//! When PostgreSQL or moto is not installed the helpers return `None` and print a note, so that a
//! developer without them can run the rest of the suite; under `CI=true` they panic instead,
//! since a CI run must not pass by skipping (`scripts/install-test-deps.sh` installs both).

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// A running service: its address, and the pipe whose closing stops it.
struct Service {
    url: String,
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

/// The scripts' exit code for "a tool is not installed".
const MISSING: i32 = 2;

fn scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts")
}

fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Starts `script` and reads the address it prints; `Err(None)` when a tool is missing.
fn start(script: &str) -> Result<Service, Option<String>> {
    let path = scripts_dir().join(script);
    let mut child = Command::new("bash")
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Some(format!("cannot run {}: {e}", path.display())))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Some("no stdout pipe".to_owned()))?;
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let url = line.trim().to_owned();
    if read.is_err() || url.is_empty() {
        let status = child.wait().map_err(|e| Some(format!("{script}: {e}")))?;
        return Err(if status.code() == Some(MISSING) {
            None
        } else {
            Some(format!("{script} failed ({status}); its messages are above"))
        });
    }
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| Some("no stdin pipe".to_owned()))?;
    Ok(Service {
        url,
        _stdin: Mutex::new(stdin),
        _child: Mutex::new(child),
    })
}

/// The service of `script`, started on first use; `None` (with a note) when its tool is missing
/// outside CI.
fn service(cell: &'static OnceLock<Result<Service, Option<String>>>, script: &str) -> Option<&'static str> {
    match cell.get_or_init(|| start(script)) {
        Ok(s) => Some(&s.url),
        Err(Some(e)) => panic!("{e}"),
        Err(None) => {
            assert!(
                !ci(),
                "CI: {script} cannot run, a tool is missing (scripts/install-test-deps.sh installs postgresql and moto[server])"
            );
            eprintln!("SKIPPED: {script} cannot run here (run scripts/install-test-deps.sh)");
            None
        }
    }
}

static POSTGRES: OnceLock<Result<Service, Option<String>>> = OnceLock::new();
static S3: OnceLock<Result<Service, Option<String>>> = OnceLock::new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Runs `f` on a runtime of its own, in a thread of its own (callers may be inside a runtime).
fn on_runtime<T: Send + 'static>(f: impl std::future::Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(f)
    })
    .join()
    .expect("the helper thread")
}

/// The URL of a new, empty database on this test binary's PostgreSQL cluster.
///
/// # Panics
///
/// If the cluster does not start, or PostgreSQL is missing under `CI=true`.
pub fn postgres_database() -> Option<String> {
    let server = service(&POSTGRES, "test-postgres.sh")?;
    let name = format!("test_{}", COUNTER.fetch_add(1, Ordering::Relaxed));
    let admin = server.to_owned();
    let db = name.clone();
    on_runtime(async move {
        let stmt = format!("CREATE DATABASE {db}");
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
            .await
            .expect("connecting to the test cluster");
        // The name is ours (`test_N`), not input: nothing to inject.
        sqlx::raw_sql(sqlx::AssertSqlSafe(stmt))
            .execute(&mut c)
            .await
            .expect("CREATE DATABASE");
    });
    let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
    Some(format!("{base}/{name}"))
}

/// A bucket on this test binary's S3-compatible server.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// The server, `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The bucket's name.
    pub name: String,
}

impl Bucket {
    /// `s3://NAME`.
    pub fn url(&self) -> String {
        format!("s3://{}", self.name)
    }

    /// The settings `object_store` needs for this server, as `(key, value)`: endpoint, region,
    /// plain HTTP and the (ignored) credentials moto accepts.
    pub fn options(&self) -> Vec<(String, String)> {
        [
            ("endpoint", self.endpoint.as_str()),
            ("region", "us-east-1"),
            ("allow_http", "true"),
            ("access_key_id", "testing"),
            ("secret_access_key", "testing"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
}

/// A new, empty bucket on this test binary's S3-compatible server, whose objects anyone may read
/// (a bucket policy allowing `s3:GetObject` to every principal, as a deployment that serves
/// readers straight from the bucket has), while writing needs signed requests.
///
/// # Panics
///
/// If the server does not start or refuses the bucket, or moto is missing under `CI=true`.
pub fn s3_bucket() -> Option<Bucket> {
    let endpoint = service(&S3, "test-s3.sh")?.to_owned();
    let name = format!(
        "log-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let url = format!("{endpoint}/{name}");
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{name}/*"}}]}}"#
    );
    on_runtime(async move {
        let http = reqwest::Client::new();
        let r = http.put(&url).send().await.expect("PUT bucket");
        assert!(r.status().is_success(), "creating bucket {url}: {}", r.status());
        let r = http
            .put(format!("{url}?policy"))
            .header("content-type", "application/json")
            .body(policy)
            .send()
            .await
            .expect("PUT bucket policy");
        assert!(r.status().is_success(), "bucket policy of {url}: {}", r.status());
    });
    Some(Bucket { endpoint, name })
}

/// A TCP relay on loopback in front of a service (PostgreSQL, the S3 server), which a test can
/// cut and restore to make that service "go down" for the process under test alone, without
/// stopping the shared service. Cut: open connections are shut down and new ones are closed as
/// soon as they are accepted.
#[derive(Debug)]
pub struct Proxy {
    /// `127.0.0.1:PORT`, where the relay listens.
    pub addr: std::net::SocketAddr,
    state: std::sync::Arc<ProxyState>,
}

#[derive(Debug, Default)]
struct ProxyState {
    cut: std::sync::atomic::AtomicBool,
    stop: std::sync::atomic::AtomicBool,
    open: Mutex<Vec<std::net::TcpStream>>,
}

impl ProxyState {
    fn shutdown_open(&self) {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for s in open.drain(..) {
            // Already closed by its peer is fine: the point is that it is closed.
            if let Err(e) = s.shutdown(std::net::Shutdown::Both)
                && e.kind() != std::io::ErrorKind::NotConnected
            {
                eprintln!("proxy: shutting a connection down: {e}");
            }
        }
    }
}

impl Proxy {
    /// Starts a relay to `upstream` (`HOST:PORT`).
    ///
    /// # Panics
    ///
    /// If loopback cannot be bound.
    pub fn start(upstream: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let state = std::sync::Arc::new(ProxyState::default());
        let st = state.clone();
        let upstream = upstream.to_owned();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.stop.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(client) = conn else { continue };
                if st.cut.load(Ordering::Relaxed) {
                    drop(client);
                    continue;
                }
                let Ok(server) = std::net::TcpStream::connect(&upstream) else {
                    continue;
                };
                let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                {
                    let mut open = st.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    if let (Ok(a), Ok(b)) = (client.try_clone(), server.try_clone()) {
                        open.push(a);
                        open.push(b);
                    }
                }
                std::thread::spawn(move || relay(client, server));
                std::thread::spawn(move || relay(s2, c2));
            }
        });
        Self { addr, state }
    }

    /// Makes the service unreachable through the relay.
    pub fn cut(&self) {
        self.state.cut.store(true, Ordering::Relaxed);
        self.state.shutdown_open();
    }

    /// Makes it reachable again.
    pub fn restore(&self) {
        self.state.cut.store(false, Ordering::Relaxed);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::Relaxed);
        self.state.shutdown_open();
        // Wakes the accept loop so that it sees `stop`.
        if let Err(e) = std::net::TcpStream::connect(self.addr) {
            eprintln!("proxy: waking the accept loop: {e}");
        }
    }
}

/// Copies `from` to `to` until either side closes, then closes both.
fn relay(mut from: std::net::TcpStream, mut to: std::net::TcpStream) {
    // An error here is a connection closed under us (by `cut` or a peer): the relay ends.
    if std::io::copy(&mut from, &mut to).is_err() {
        // Nothing to report: the test sees the effect on the process under test.
    }
    for s in [&from, &to] {
        if s.shutdown(std::net::Shutdown::Both).is_err() {
            // Already closed.
        }
    }
}

/// `HOST:PORT` of a URL such as `postgres://u@127.0.0.1:5432/db` or `http://127.0.0.1:9000`.
pub fn host_port(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split_once('@').map_or(rest, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

/// Where Debian's `golang-golang-x-mod-dev` puts `golang.org/x/mod` (GOPATH mode).
const GOPATH: &str = "/usr/share/gocode";

/// Builds the Go program `src` (one `main.go` using `golang.org/x/mod/sumdb/{note,tlog}`, the
/// independent C2SP checker of the log's tests) into `out_dir`, offline: GOPATH mode over Debian's
/// packaged sources, `GOPROXY=off`, the build cache under `out_dir`. Returns the binary's path.
///
/// `None` (with a note) when Go or `golang.org/x/mod` is missing outside CI; under `CI=true` that
/// panics instead (`scripts/install-test-deps.sh` installs `golang-go` and
/// `golang-golang-x-mod-dev`). A failing build always panics with Go's messages.
pub fn go_program(src: &std::path::Path, out_dir: &std::path::Path) -> Option<PathBuf> {
    let go = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    let x_mod = std::path::Path::new(GOPATH).join("src/golang.org/x/mod/sumdb");
    if !go || !x_mod.join("tlog").is_dir() || !x_mod.join("note").is_dir() {
        assert!(
            !ci(),
            "CI: Go or {GOPATH}/src/golang.org/x/mod is missing; scripts/install-test-deps.sh \
             installs golang-go and golang-golang-x-mod-dev"
        );
        eprintln!(
            "\n!!!!!!!! SKIPPED the Go check: no Go toolchain or {GOPATH}/src/golang.org/x/mod \
             (apt install golang-go golang-golang-x-mod-dev) !!!!!!!!\n"
        );
        return None;
    }
    let name = src
        .parent()
        .and_then(|d| d.file_name())
        .unwrap_or_else(|| panic!("{} is not in a folder named after its program", src.display()));
    let bin = out_dir.join(name);
    let out = Command::new("go")
        .arg("build")
        .arg("-o")
        .arg(&bin)
        .arg(src)
        .env("GOPATH", GOPATH)
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env("GOPROXY", "off")
        .env("GOCACHE", out_dir.join("gocache"))
        .current_dir(out_dir)
        .output()
        .unwrap_or_else(|e| panic!("running go build: {e}"));
    assert!(
        out.status.success(),
        "go build {} failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(bin)
}
