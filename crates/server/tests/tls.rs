//! The log over TLS (`tls_cert`/`tls_key`), with a certificate generated here (rcgen): the
//! client trusting it (`Client::with_ca`) submits, fetches and verifies; a client trusting only
//! the system's roots, and a plain-HTTP client, fail; the metrics listener is TLS too; a key file
//! readable by group or others, or a certificate without its key, stops the server before it
//! serves.

use std::os::unix::fs::PermissionsExt as _;
use std::sync::Arc;

use server::ServerConfig;
use server::client::Client;
use tlog::{LocalStorage, LogSigner, Storage};

struct Fixture {
    dir: tempfile::TempDir,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = dir.path().join("tls.crt");
    let key = dir.path().join("tls.key");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    Fixture { dir, cert, key }
}

fn writer(dir: &std::path::Path) -> (tlog::LogWriter, String) {
    let storage: Arc<dyn Storage> = Arc::new(LocalStorage::open(dir.join("log")).unwrap());
    let (signer, _) = LogSigner::generate("tls.test/log").unwrap();
    tlog::create_log(storage.as_ref(), &signer).unwrap();
    let vkey = signer.verifier_key().to_owned();
    (tlog::LogWriter::open(storage, signer).unwrap(), vkey)
}

fn config(f: &Fixture) -> ServerConfig {
    ServerConfig {
        batch_interval_ms: 10,
        tls_cert: Some(f.cert.clone()),
        tls_key: Some(f.key.clone()),
        ..ServerConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_over_tls_serves_only_clients_trusting_its_certificate() {
    let f = fixture();
    let (writer, vkey) = writer(f.dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let ops = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ops_port = ops.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let ext = server::Extensions {
        metrics_listener: Some(ops),
        ..server::Extensions::default()
    };
    let task = tokio::spawn(server::run_with(listener, writer, config(&f), ext, async move {
        rx.await.ok();
    }));
    let url = format!("https://localhost:{port}");
    let c = Client::with_ca(&url, Some(&f.cert)).unwrap();
    let entries: Vec<Vec<u8>> = (0..5).map(|i| format!("over tls {i}").into_bytes()).collect();
    let mut indexes = vec![];
    for e in &entries {
        indexes.push(c.add(e.clone()).await.unwrap());
    }
    assert_eq!(indexes, vec![0, 1, 2, 3, 4]);
    let (cp, _) = c.verified_checkpoint(&vkey).await.unwrap();
    assert_eq!(cp.size, 5);
    for (i, e) in entries.iter().enumerate() {
        c.verify_entry(&cp, i as u64, e).await.unwrap();
        assert_eq!(&c.entry(i as u64, cp.size).await.unwrap(), e);
    }
    // The system's roots do not vouch for the certificate: no answer, and the error says so.
    let e = Client::new(&url)
        .unwrap()
        .checkpoint()
        .await
        .expect_err("untrusted");
    assert!(matches!(e, server::ServerError::Unreachable(_)), "{e:?}");
    // Plain HTTP on the TLS port gets no answer.
    let e = Client::new(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .checkpoint()
        .await
        .expect_err("plain HTTP");
    assert!(matches!(e, server::ServerError::Unreachable(_)), "{e:?}");
    // The metrics listener is TLS too.
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&f.cert).unwrap()).unwrap();
    let http = reqwest::Client::builder().tls_certs_only([ca]).build().unwrap();
    let m = http
        .get(format!("https://localhost:{ops_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("shieldwatch_log_tree_size 5\n"), "{m}");
    // A CA file that holds no certificate is refused when the client is built.
    let bad = f.dir.path().join("empty.pem");
    std::fs::write(&bad, "nothing here\n").unwrap();
    let e = Client::with_ca(&url, Some(&bad)).expect_err("no certificate");
    assert!(e.to_string().contains("empty.pem"), "{e}");
    tx.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loose_key_or_a_lone_certificate_stops_the_server_before_it_serves() {
    let f = fixture();
    std::fs::set_permissions(&f.key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (writer, _) = writer(f.dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let e = server::run(listener, writer, config(&f), async {})
        .await
        .expect_err("a group-readable key");
    assert!(
        e.to_string().contains("chmod 600") && e.to_string().contains("tls.key"),
        "{e}"
    );
    let e = ServerConfig::resolve(
        Some(&format!("tls_cert = {:?}\n", f.cert.display().to_string())),
        &server::config::ConfigOverrides::default(),
    )
    .expect_err("a certificate without its key");
    assert!(e.to_string().contains("tls_cert and tls_key"), "{e}");
}
