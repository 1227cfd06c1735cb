//! The server on the scale-out log (PostgreSQL + S3, on the throw-away servers of `testsvc`):
//! entries submitted to it are verified by a client reading the bucket directly (the tiles are
//! the API), a second instance with the same key serves the same log, one with another key is
//! refused at start, as is a new log over a bucket that holds one. (Through the real binary,
//! outages and several instances at once: the CLI's `cli_scaleout` tests.)

use std::sync::Arc;

use server::ServerConfig;
use server::client::Client;
use server::cloud::{DatabaseUrl, open_cloud_log_with};
use tlog::LogSigner;

struct Running {
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), server::ServerError>>,
}

async fn start(
    config: &ServerConfig,
    signer: LogSigner,
    bucket: &testsvc::Bucket,
) -> (Running, Arc<server::cloud::BackendHealth>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (c, o, u) = (config.clone(), bucket.options(), url.clone());
    let log = tokio::task::spawn_blocking(move || open_cloud_log_with(&c, signer, &u, o))
        .await
        .unwrap()
        .unwrap();
    let health = log.health.clone();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::run_with(
        listener,
        log,
        config.clone(),
        server::Extensions::default(),
        async move {
            rx.await.ok();
        },
    ));
    (Running { url, stop, task }, health)
}

/// Opens the log as an instance would, for its start-up checks only.
async fn open_only(config: &ServerConfig, signer: LogSigner, bucket: &testsvc::Bucket) -> Result<(), String> {
    let (c, o) = (config.clone(), bucket.options());
    tokio::task::spawn_blocking(move || {
        open_cloud_log_with(&c, signer, "http://127.0.0.1:9", o)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap()
}

impl Running {
    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scale_out_log_is_served_and_readable_straight_from_the_bucket() {
    let Some(database_url) = testsvc::postgres_database() else {
        return;
    };
    let Some(bucket) = testsvc::s3_bucket() else {
        return;
    };
    let config = ServerConfig {
        batch_interval_ms: 10,
        database_url: Some(DatabaseUrl(database_url)),
        object_store_url: Some(bucket.url()),
        ..ServerConfig::default()
    };
    config.validate().unwrap();
    let (signer, _) = LogSigner::generate("cloud.test/log").unwrap();
    let vkey = signer.verifier_key().to_owned();

    // The first instance creates the log on the empty database and takes entries.
    let (a, health) = start(&config, signer.clone(), &bucket).await;
    let c = Client::new(&a.url).unwrap();
    let entries: Vec<Vec<u8>> = (0..300)
        .map(|i| format!("cloud entry {i}").into_bytes())
        .collect();
    assert_eq!(
        c.add_batch(&entries[..200]).await.unwrap(),
        (0..200).collect::<Vec<u64>>()
    );
    assert_eq!(c.add(entries[200].clone()).await.unwrap(), 200);
    let http = reqwest::Client::new();
    let h = http.get(format!("{}/healthz", a.url)).send().await.unwrap();
    assert_eq!(h.status(), 200);
    let m = http
        .get(format!("{}/metrics", a.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        m.contains("shieldwatch_storage_up{component=\"database\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("shieldwatch_storage_up{component=\"bucket\"} 1"),
        "{m}"
    );
    a.stop().await;
    drop(health);

    // A second instance with the same key serves the same log and extends it.
    let (b, _health) = start(&config, signer.clone(), &bucket).await;
    let c = Client::new(&b.url).unwrap();
    assert_eq!(
        c.add_batch(&entries[201..]).await.unwrap(),
        (201..300).collect::<Vec<u64>>()
    );
    assert_eq!(
        c.add(entries[7].clone()).await.unwrap(),
        7,
        "dedup across instances"
    );

    // Readers need no server: the bucket serves checkpoint, tiles and bundles, and they verify.
    let direct = Client::new(&format!("{}/{}", bucket.endpoint, bucket.name)).unwrap();
    let (cp, _) = direct.verified_checkpoint(&vkey).await.unwrap();
    assert_eq!(cp.size, 300);
    let mut tree = tlog::MemoryTree::new();
    for i in 0..cp.size {
        let e = direct.entry(i, cp.size).await.unwrap();
        assert_eq!(e, entries[i as usize], "entry {i} in the bucket");
        tree.push(&e).unwrap();
    }
    assert_eq!(
        tree.root(cp.size).unwrap(),
        cp.root,
        "the bucket's entries hash to the signed root"
    );
    b.stop().await;

    // Another key (same name) is refused at start, naming the problem.
    let (other, _) = LogSigner::generate("cloud.test/log").unwrap();
    let e = open_only(&config, other, &bucket)
        .await
        .expect_err("another key opened the log");
    assert!(e.contains("not signed by this key"), "{e}");
    // So is another origin.
    let (other, _) = LogSigner::generate("elsewhere.test/log").unwrap();
    let e = open_only(&config, other, &bucket)
        .await
        .expect_err("another origin opened the log");
    assert!(
        e.contains("cloud.test/log") && e.contains("elsewhere.test/log"),
        "{e}"
    );
    // And a new log over this bucket's tiles, with an empty database.
    let fresh = ServerConfig {
        database_url: Some(DatabaseUrl(testsvc::postgres_database().unwrap())),
        ..config.clone()
    };
    let e = open_only(&fresh, signer, &bucket)
        .await
        .expect_err("a second log over the bucket");
    assert!(e.contains("holds a log's checkpoint"), "{e}");
}
