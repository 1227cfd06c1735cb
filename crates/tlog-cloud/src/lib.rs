//! Scale-out storage for the shieldwatch log: [`CloudStorage`], a [`tlog::Storage`] that keeps
//! the sequencing state (tree head, batch intent, deduplication index) in **PostgreSQL** and the
//! objects (hash tiles, entry bundles, the checkpoint copy) in **S3-compatible object storage**.
//! The split is the one of Trillian Tessera (tiles in object storage, sequencing in a database)
//! and of Sunlight (tiles in S3, the checkpoint under a compare-and-swap lock).
//!
//! # How the `Storage` contract is met
//!
//! - **Commit, compare-and-swap**: [`tlog::Storage::commit`] is one PostgreSQL transaction: an
//!   `UPDATE log_state ... WHERE size = old_size` (no row updated: [`StorageError::Conflict`],
//!   another writer moved the tree) and the `INSERT` of the deduplication records. Under
//!   PostgreSQL's default READ COMMITTED isolation a concurrent `UPDATE` of the same row waits for
//!   the first to commit and then re-checks its `WHERE` clause against the new row, so two
//!   writers can never both extend the same tree size.
//! - **Immutable objects, conditional create**: tiles and entry bundles are written with
//!   `PutMode::Create`, which `object_store` sends as a PUT with `If-None-Match: *`. S3 then
//!   refuses to replace an existing object (412 Precondition Failed; 409 ConditionalRequestConflict
//!   for a concurrent write of the same key): see "Add preconditions to S3 operations with
//!   conditional requests" in the Amazon S3 User Guide (conditional writes, available since
//!   August 2024). An object that already exists with the *same* bytes (a retried batch) is
//!   accepted; one with other bytes is a [`StorageError::Conflict`], never overwritten.
//! - **The checkpoint, compare-and-swap**: the checkpoint copy, the one object that changes, is
//!   replaced only with `PutMode::Update` carrying the ETag this storage last wrote or read,
//!   which `object_store` sends as a PUT with `If-Match: <ETag>` (S3 answers 412 Precondition
//!   Failed when the object's ETag differs, 404 when it is absent, 409 ConditionalRequestConflict
//!   for a concurrent conditional write: Amazon S3 User Guide, "How to prevent object overwrites
//!   with conditional writes", and the API Reference, PutObject, `If-Match`); the first
//!   checkpoint is written with `PutMode::Create` (`If-None-Match: *`). When the precondition
//!   fails, the bucket's checkpoint is read again: a larger (or equally large but different) tree
//!   there means another sequencer has moved on, so the write is refused
//!   ([`StorageError::Conflict`]) and this storage stops writing, as if it had lost the lease
//!   (the sequencer steps down); a smaller one is replaced, under its own ETag. So the bucket's
//!   checkpoint never goes back, even when a deposed sequencer wakes up holding an old ETag.
//! - **Durability and consistency**: S3 acknowledges a PUT once the object is stored durably and
//!   offers strong read-after-write consistency for PUT, GET, LIST and DELETE (Amazon S3 User
//!   Guide, "Amazon S3 data consistency model"); PostgreSQL commits are durable (fsync) by
//!   default. Objects are written before the commit that covers them, as for the embedded
//!   backend.
//! - **Cache headers**: tiles and bundles are stored with `Cache-Control: public,
//!   max-age=31536000, immutable` and the checkpoint with `Cache-Control: no-cache`, so a CDN (or
//!   a reader served straight from the bucket) may keep the former for ever.
//!
//! - **Several instances, one sequencer**: [`CloudStorage::acquire_lease`] takes or renews the
//!   sequencer's lease, kept in the `log_state` row itself (`lease_holder`, `lease_token`,
//!   `lease_expires`, by the database's clock). Each change of holder increments the fencing
//!   token. Once a storage has asked for the lease it is *fenced*: `set_pending` and `commit` add
//!   `AND lease_token = <ours>` to their compare-and-swap, so a deposed sequencer's late write
//!   changes nothing ([`StorageError::Conflict`]); and object writes and deletes are refused
//!   unless the lease is held and, by this process's monotonic clock, not within a quarter of its
//!   term of expiring (object storage cannot check a token, so tiles and bundles rest on the
//!   lease's timing: the holder stops writing objects before any other instance may take over;
//!   the checkpoint has, in addition, its compare-and-swap on the ETag).
//!
//! # Sync trait, async clients
//!
//! [`tlog::Storage`] is synchronous; `sqlx` and `object_store` are async. A [`CloudStorage`] owns
//! a small tokio runtime of its own and runs each operation there, the calling thread waiting on
//! a channel. It never calls `block_on`, so it may be used from any thread, including from inside
//! another tokio runtime's async tasks (where `block_on` would panic), though, like the embedded
//! backend's file I/O, it then blocks that worker while the operation runs.

use std::future::Future;
use std::str::FromStr as _;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, S3ConditionalPut};
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, ObjectStore, ObjectStoreExt as _, PutMode, PutOptions, PutPayload, RetryConfig,
    UpdateVersion,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row as _};
use tlog::{Hash, LogState, Object, Storage, StorageError};

/// `Cache-Control` of tiles and entry bundles: immutable, so cacheable for a year.
pub const IMMUTABLE_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of the checkpoint, the one object that changes.
pub const CHECKPOINT_CACHE_CONTROL: &str = "no-cache";

/// Objects written at once by one batch.
const PUT_CONCURRENCY: usize = 32;

/// Conditional writes of the checkpoint tried before giving up on a checkpoint that keeps
/// changing under us (each failed one re-reads the bucket's checkpoint).
const CHECKPOINT_ATTEMPTS: usize = 5;

/// Where the log lives.
#[derive(Clone, Default)]
pub struct CloudConfig {
    /// PostgreSQL URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
    pub database_url: String,
    /// Object store URL, `s3://BUCKET` or `s3://BUCKET/PREFIX`. Endpoint, region and credentials
    /// come from the standard `AWS_*` environment variables, as `object_store` reads them
    /// (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_ALLOW_HTTP`, ...).
    pub object_store_url: String,
    /// Further S3 settings, as `(key, value)` in `object_store`'s names (`endpoint`, `region`,
    /// `access_key_id`, `secret_access_key`, `allow_http`, ...); they win over the environment.
    pub s3_options: Vec<(String, String)>,
    /// Most PostgreSQL connections held (default 8 when 0).
    pub max_connections: u32,
}

impl std::fmt::Debug for CloudConfig {
    // Credentials stay out of logs: only where, never secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudConfig")
            .field("database", &describe_database(&self.database_url))
            .field("object_store_url", &self.object_store_url)
            .finish_non_exhaustive()
    }
}

/// `HOST:PORT/DATABASE` of a PostgreSQL URL, without user or password (for messages).
pub fn describe_database(url: &str) -> String {
    match PgConnectOptions::from_str(url) {
        Ok(o) => format!(
            "{}:{}/{}",
            o.get_host(),
            o.get_port(),
            o.get_database().unwrap_or("(default database)")
        ),
        Err(_) => "(unparsable PostgreSQL URL)".into(),
    }
}

fn backend(what: impl Into<String>, e: impl std::error::Error + Send + Sync + 'static) -> StorageError {
    StorageError::Backend {
        what: what.into(),
        source: Box::new(e),
    }
}

/// What went wrong, as a plain message (for errors that have no error type of their own).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Message(String);

fn i64_of(v: u64, what: &str) -> Result<i64, StorageError> {
    i64::try_from(v).map_err(|_| StorageError::Corrupt(format!("{what} {v} exceeds PostgreSQL's BIGINT")))
}

fn u64_of(v: i64, what: &str) -> Result<u64, StorageError> {
    u64::try_from(v).map_err(|_| StorageError::Corrupt(format!("{what} {v} is negative")))
}

/// The outcome of [`CloudStorage::acquire_lease`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// This instance holds the lease, with this fencing token.
    Held {
        /// The fencing token its writes carry.
        token: u64,
    },
    /// Another instance holds an unexpired lease.
    Other {
        /// Its instance id.
        holder: String,
        /// Its advertised base URL, where it takes forwarded submissions.
        url: String,
        /// Its fencing token.
        token: u64,
    },
}

/// The lease as the database has it ([`CloudStorage::lease`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseInfo {
    /// The holder's instance id ('' if never held).
    pub holder: String,
    /// The holder's advertised base URL.
    pub url: String,
    /// The current fencing token.
    pub token: u64,
    /// Whether the lease is still running (by the database's clock).
    pub live: bool,
}

/// Whether this storage writes as the lease holder (see the crate documentation).
#[derive(Debug, Clone, Copy)]
enum Fence {
    /// Never asked for the lease: a single writer, unfenced (the `Storage` contract alone).
    Off,
    /// Holds the lease with `token`; writes objects until `until`.
    Held { token: i64, until: Instant },
    /// Asked for the lease and does not hold it: writes nothing.
    NotHeld,
}

/// The scale-out backend: sequencing state in PostgreSQL, objects in an S3-compatible bucket.
/// See the crate documentation for how it meets the [`Storage`] contract.
pub struct CloudStorage {
    /// The runtime the async clients run on; `None` only while dropping.
    rt: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    pool: PgPool,
    store: Arc<dyn ObjectStore>,
    /// Key prefix inside the bucket (empty, or ending in `/`).
    prefix: String,
    /// `HOST:PORT/DATABASE`, for messages.
    database: String,
    /// `s3://BUCKET[/PREFIX]`, for messages.
    bucket: String,
    /// The sequencer's lease as this process holds it.
    fence: Mutex<Fence>,
    /// The ETag and tree size of the bucket's checkpoint as this storage last wrote or read it
    /// (`None`: unknown, read it before the next conditional write).
    checkpoint_etag: Mutex<Option<(String, u64)>>,
}

impl std::fmt::Debug for CloudStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudStorage")
            .field("database", &self.database)
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

impl Drop for CloudStorage {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside an async context; this does not wait.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Runs `f` on `handle`'s runtime and waits for it on this thread (see the crate documentation).
fn run_on<T: Send + 'static>(
    handle: &tokio::runtime::Handle,
    f: impl Future<Output = Result<T, StorageError>> + Send + 'static,
) -> Result<T, StorageError> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    handle.spawn(async move {
        if tx.send(f.await).is_err() {
            tracing::debug!("a storage caller stopped waiting");
        }
    });
    rx.recv().map_err(|_| {
        backend(
            "storage runtime",
            Message("the operation ended without an answer (runtime shut down)".into()),
        )
    })?
}

impl CloudStorage {
    /// Connects to the database and the bucket and checks both: runs the schema migrations
    /// (sqlx), and lists the bucket, so that a database or a bucket that is down, missing or
    /// refusing our credentials is reported now, by name, rather than at the first batch.
    ///
    /// # Errors
    ///
    /// [`StorageError::Backend`] naming the database (`HOST:PORT/DATABASE`) or the bucket and
    /// what failed.
    pub fn open(config: &CloudConfig) -> Result<Self, StorageError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tlog-cloud")
            .enable_all()
            .build()
            .map_err(|e| backend("starting the storage runtime", e))?;
        let handle = rt.handle().clone();
        let database = describe_database(&config.database_url);
        let (bucket_name, prefix) = parse_s3_url(&config.object_store_url)?;
        let store = build_s3(&bucket_name, config)?;
        let options =
            PgConnectOptions::from_str(&config.database_url).map_err(|e| backend("the database URL", e))?;
        let max = if config.max_connections == 0 {
            8
        } else {
            config.max_connections
        };
        let db = database.clone();
        let pool = run_on(&handle, async move {
            let pool = PgPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(|e| backend(format!("PostgreSQL {db}: connecting"), e))?;
            sqlx::migrate!("./migrations")
                .run(&pool)
                .await
                .map_err(|e| backend(format!("PostgreSQL {db}: schema migrations"), e))?;
            Ok(pool)
        })?;
        let s = Self {
            rt: Some(rt),
            handle,
            pool,
            store,
            prefix,
            database,
            bucket: config.object_store_url.clone(),
            fence: Mutex::new(Fence::Off),
            checkpoint_etag: Mutex::new(None),
        };
        s.check_bucket()?;
        Ok(s)
    }

    /// `HOST:PORT/DATABASE` of the database.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The object store URL (`s3://BUCKET[/PREFIX]`).
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Checks that the bucket answers (a listing of the log's prefix).
    ///
    /// # Errors
    ///
    /// [`StorageError::Backend`] naming the bucket.
    pub fn check_bucket(&self) -> Result<(), StorageError> {
        let store = self.store.clone();
        let prefix = (!self.prefix.is_empty()).then(|| ObjectPath::from(self.prefix.as_str()));
        let what = format!("object store {}: listing", self.bucket);
        self.run(async move {
            store
                .list_with_delimiter(prefix.as_ref())
                .await
                .map(|_| ())
                .map_err(|e| backend(what, e))
        })
    }

    /// Checks that the database answers (`SELECT 1`).
    ///
    /// # Errors
    ///
    /// [`StorageError::Backend`] naming the database.
    pub fn check_database(&self) -> Result<(), StorageError> {
        let pool = self.pool.clone();
        let what = format!("PostgreSQL {}: SELECT 1", self.database);
        self.run(async move {
            sqlx::query("SELECT 1")
                .execute(&pool)
                .await
                .map(|_| ())
                .map_err(|e| backend(what, e))
        })
    }

    /// Takes the sequencer's lease for `ttl`, or renews it if `holder` (an id unique to this
    /// process) already holds it, advertising `url` as where it takes forwarded submissions.
    /// From the first call on, this storage is fenced (see the crate documentation).
    ///
    /// # Errors
    ///
    /// [`StorageError::Backend`] naming the database; [`StorageError::NotInitialised`] if the
    /// log has not been created.
    pub fn acquire_lease(&self, holder: &str, url: &str, ttl: Duration) -> Result<Lease, StorageError> {
        let started = Instant::now();
        let pool = self.pool.clone();
        let (h, u) = (holder.to_owned(), url.to_owned());
        let what = self.db_what("taking the sequencer's lease");
        let database = self.database.clone();
        let outcome = self.run(async move {
            let err = |e| backend(what.clone(), e);
            let token: Option<i64> = sqlx::query_scalar(
                "UPDATE log_state SET \
                   lease_token = CASE WHEN lease_holder = $1 THEN lease_token ELSE lease_token + 1 END, \
                   lease_holder = $1, lease_url = $2, \
                   lease_expires = clock_timestamp() + make_interval(secs => $3) \
                 WHERE singleton AND (lease_holder = $1 OR lease_expires <= clock_timestamp()) \
                 RETURNING lease_token",
            )
            .bind(&h)
            .bind(&u)
            .bind(ttl.as_secs_f64())
            .fetch_optional(&pool)
            .await
            .map_err(err)?;
            if let Some(t) = token {
                return Ok(Lease::Held {
                    token: u64_of(t, "lease token")?,
                });
            }
            let row =
                sqlx::query("SELECT lease_holder, lease_url, lease_token FROM log_state WHERE singleton")
                    .fetch_optional(&pool)
                    .await
                    .map_err(err)?
                    .ok_or_else(|| StorageError::NotInitialised(format!("PostgreSQL {database}")))?;
            Ok(Lease::Other {
                holder: row.try_get("lease_holder").map_err(err)?,
                url: row.try_get("lease_url").map_err(err)?,
                token: u64_of(row.try_get("lease_token").map_err(err)?, "lease token")?,
            })
        });
        let fence = match &outcome {
            Ok(Lease::Held { token }) => Fence::Held {
                token: i64_of(*token, "lease token")?,
                until: started + ttl - ttl / 4,
            },
            _ => Fence::NotHeld,
        };
        *self
            .fence
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fence;
        outcome
    }

    /// Gives the lease up at once if this process holds it (a clean shutdown), so that another
    /// instance need not wait for it to expire.
    ///
    /// # Errors
    ///
    /// [`StorageError::Backend`] naming the database.
    pub fn release_lease(&self, holder: &str) -> Result<(), StorageError> {
        let pool = self.pool.clone();
        let h = holder.to_owned();
        let what = self.db_what("releasing the sequencer's lease");
        *self
            .fence
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Fence::NotHeld;
        self.run(async move {
            sqlx::query(
                "UPDATE log_state SET lease_expires = clock_timestamp() WHERE singleton AND lease_holder = $1",
            )
            .bind(&h)
            .execute(&pool)
            .await
            .map(|_| ())
            .map_err(|e| backend(what, e))
        })
    }

    /// The lease as the database has it.
    ///
    /// # Errors
    ///
    /// [`StorageError::Backend`] naming the database; [`StorageError::NotInitialised`].
    pub fn lease(&self) -> Result<LeaseInfo, StorageError> {
        let pool = self.pool.clone();
        let what = self.db_what("reading the sequencer's lease");
        let database = self.database.clone();
        self.run(async move {
            let err = |e| backend(what.clone(), e);
            let row = sqlx::query(
                "SELECT lease_holder, lease_url, lease_token, lease_expires > clock_timestamp() AS live \
                 FROM log_state WHERE singleton",
            )
            .fetch_optional(&pool)
            .await
            .map_err(err)?
            .ok_or_else(|| StorageError::NotInitialised(format!("PostgreSQL {database}")))?;
            Ok(LeaseInfo {
                holder: row.try_get("lease_holder").map_err(err)?,
                url: row.try_get("lease_url").map_err(err)?,
                token: u64_of(row.try_get("lease_token").map_err(err)?, "lease token")?,
                live: row.try_get("live").map_err(err)?,
            })
        })
    }

    /// The fencing token writes of the sequencing state carry (`None` when unfenced).
    ///
    /// # Errors
    ///
    /// [`StorageError::Conflict`] when fenced and the lease is not held or about to expire.
    fn fence_token(&self) -> Result<Option<i64>, StorageError> {
        match *self
            .fence
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            Fence::Off => Ok(None),
            Fence::Held { token, until } if Instant::now() < until => Ok(Some(token)),
            Fence::Held { .. } => Err(StorageError::Conflict(
                "the sequencer's lease is about to expire unrenewed: not writing".into(),
            )),
            Fence::NotHeld => Err(StorageError::Conflict(
                "this instance does not hold the sequencer's lease: not writing".into(),
            )),
        }
    }

    fn run<T: Send + 'static>(
        &self,
        f: impl Future<Output = Result<T, StorageError>> + Send + 'static,
    ) -> Result<T, StorageError> {
        run_on(&self.handle, f)
    }

    fn key(&self, path: &str) -> Result<ObjectPath, StorageError> {
        // Object paths come from the tile code; refuse anything that is not a plain relative path.
        if path.is_empty()
            || path.split('/').any(|c| c.is_empty() || c == "." || c == "..")
            || path.contains('\\')
        {
            return Err(StorageError::Conflict(format!("refusing object path {path:?}")));
        }
        ObjectPath::parse(format!("{}{path}", self.prefix))
            .map_err(|e| backend(format!("object path {path:?}"), e))
    }

    fn db_what(&self, op: &str) -> String {
        format!("PostgreSQL {}: {op}", self.database)
    }
}

/// `(bucket, prefix)` of `s3://BUCKET[/PREFIX]`; the prefix empty or ending in `/`.
fn parse_s3_url(url: &str) -> Result<(String, String), StorageError> {
    let bad = |why: &str| {
        backend(
            "the object store URL",
            Message(format!(
                "{url:?}: {why} (expected s3://BUCKET or s3://BUCKET/PREFIX)"
            )),
        )
    };
    let rest = url.strip_prefix("s3://").ok_or_else(|| bad("not an s3:// URL"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(bad("no bucket"));
    }
    let prefix = prefix.trim_matches('/');
    if prefix.split('/').any(|c| c == "." || c == "..") {
        return Err(bad("a prefix with . or .."));
    }
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    Ok((bucket.to_owned(), prefix))
}

fn build_s3(bucket: &str, config: &CloudConfig) -> Result<Arc<dyn ObjectStore>, StorageError> {
    let mut b = AmazonS3Builder::from_env();
    // A store that is down must be reported within seconds, not after minutes of retries; the
    // environment and the caller's options may still change these.
    for (k, v) in [("connect_timeout", "5s"), ("timeout", "30s")]
        .into_iter()
        .chain(config.s3_options.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    {
        let key = AmazonS3ConfigKey::from_str(k).map_err(|e| backend(format!("S3 option {k:?}"), e))?;
        b = b.with_config(key, v);
    }
    let retry = RetryConfig {
        max_retries: 3,
        retry_timeout: Duration::from_secs(20),
        ..RetryConfig::default()
    };
    let s3 = b
        .with_bucket_name(bucket)
        .with_conditional_put(S3ConditionalPut::ETagMatch)
        .with_retry(retry)
        .build()
        .map_err(|e| backend(format!("object store s3://{bucket}"), e))?;
    Ok(Arc::new(s3))
}

/// `PutOptions` for `mode` with the cache and content headers of an immutable object or of the
/// checkpoint.
fn put_options(mode: PutMode, checkpoint: bool) -> PutOptions {
    let mut attributes = Attributes::new();
    let (cache, content_type) = if checkpoint {
        (CHECKPOINT_CACHE_CONTROL, "text/plain; charset=utf-8")
    } else {
        (IMMUTABLE_CACHE_CONTROL, "application/octet-stream")
    };
    attributes.insert(Attribute::CacheControl, cache.into());
    attributes.insert(Attribute::ContentType, content_type.into());
    PutOptions {
        mode,
        attributes,
        ..PutOptions::default()
    }
}

/// Writes one tile or bundle: created only if absent, and otherwise it must already hold exactly
/// `data`.
async fn put_one(store: Arc<dyn ObjectStore>, key: ObjectPath, data: Vec<u8>) -> Result<(), StorageError> {
    let opts = put_options(PutMode::Create, false);
    match store.put_opts(&key, PutPayload::from(data.clone()), opts).await {
        Ok(_) => Ok(()),
        Err(object_store::Error::AlreadyExists { .. }) => {
            // A retried batch writes the same bytes again: fine. Other bytes: never replaced.
            let existing = store
                .get(&key)
                .await
                .map_err(|e| backend(format!("reading back {key}"), e))?
                .bytes()
                .await
                .map_err(|e| backend(format!("reading back {key}"), e))?;
            if existing.as_ref() == data.as_slice() {
                Ok(())
            } else {
                Err(StorageError::Conflict(format!(
                    "{key} exists with other contents; tiles and bundles are never replaced"
                )))
            }
        }
        Err(e) => Err(backend(format!("writing {key}"), e)),
    }
}

/// How a conditional write of the checkpoint ended.
enum CheckpointWrite {
    /// Written (or already there, byte for byte), with the bucket's ETag for it and its size.
    Done(Option<(String, u64)>),
    /// The bucket holds a checkpoint of a tree at least as large: another sequencer moved on.
    Superseded(StorageError),
}

/// Replaces the bucket's checkpoint with `data` by compare-and-swap on its ETag (see the crate
/// documentation): `etag` is the ETag and tree size this storage last saw there, `None` to read
/// it first.
async fn put_checkpoint(
    store: Arc<dyn ObjectStore>,
    key: ObjectPath,
    data: Vec<u8>,
    mut etag: Option<(String, u64)>,
) -> Result<CheckpointWrite, StorageError> {
    let (size, _) = tlog::checkpoint::peek_checkpoint(&data)
        .map_err(|e| StorageError::Corrupt(format!("the checkpoint to write: {e}")))?;
    let superseded = |theirs: u64| {
        CheckpointWrite::Superseded(StorageError::Conflict(format!(
            "{key} in the bucket was replaced by another writer: it is for a tree of {theirs} \
             entries, ours for {size}; not overwriting it (compare-and-swap on its ETag): this \
             instance is no longer the sequencer"
        )))
    };
    for _ in 0..CHECKPOINT_ATTEMPTS {
        let mode = match etag.take() {
            Some((_, theirs)) if theirs > size => return Ok(superseded(theirs)),
            Some((tag, _)) => PutMode::Update(UpdateVersion {
                e_tag: Some(tag),
                version: None,
            }),
            None => match store.get(&key).await {
                Err(object_store::Error::NotFound { .. }) => PutMode::Create,
                Err(e) => return Err(backend(format!("reading {key}"), e)),
                Ok(r) => {
                    let tag = r.meta.e_tag.clone();
                    let current = r
                        .bytes()
                        .await
                        .map_err(|e| backend(format!("reading {key}"), e))?;
                    if current.as_ref() == data.as_slice() {
                        return Ok(CheckpointWrite::Done(tag.map(|t| (t, size))));
                    }
                    let (theirs, _) = tlog::checkpoint::peek_checkpoint(&current)
                        .map_err(|e| StorageError::Corrupt(format!("{key} in the bucket: {e}")))?;
                    if theirs >= size {
                        return Ok(superseded(theirs));
                    }
                    let Some(tag) = tag else {
                        return Err(backend(
                            format!("reading {key}"),
                            Message("the object store gave no ETag for the checkpoint".into()),
                        ));
                    };
                    PutMode::Update(UpdateVersion {
                        e_tag: Some(tag),
                        version: None,
                    })
                }
            },
        };
        match store
            .put_opts(&key, PutPayload::from(data.clone()), put_options(mode, true))
            .await
        {
            Ok(r) => return Ok(CheckpointWrite::Done(r.e_tag.map(|t| (t, size)))),
            // Someone else wrote it since we last looked: read it again and decide.
            Err(object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. }) => {}
            Err(e) => return Err(backend(format!("writing {key}"), e)),
        }
    }
    Err(StorageError::Conflict(format!(
        "{key} changed under each of {CHECKPOINT_ATTEMPTS} conditional writes; not overwriting it"
    )))
}

impl Storage for CloudStorage {
    fn put_objects(&self, objects: &[Object]) -> Result<(), StorageError> {
        self.fence_token()?;
        let mut jobs = Vec::with_capacity(objects.len());
        let mut checkpoint = None;
        for o in objects {
            if o.path == tlog::CHECKPOINT_PATH {
                checkpoint = Some((self.key(&o.path)?, o.data.clone()));
            } else {
                jobs.push((self.key(&o.path)?, o.data.clone()));
            }
        }
        let store = self.store.clone();
        let bucket = self.bucket.clone();
        if !jobs.is_empty() {
            let store = store.clone();
            self.run(async move {
                let limit = Arc::new(tokio::sync::Semaphore::new(PUT_CONCURRENCY));
                let mut set = tokio::task::JoinSet::new();
                for (key, data) in jobs {
                    let store = store.clone();
                    let limit = limit.clone();
                    set.spawn(async move {
                        let _permit = limit
                            .acquire_owned()
                            .await
                            .map_err(|e| backend("object writers", e))?;
                        put_one(store, key, data).await
                    });
                }
                let mut first_error = None;
                while let Some(r) = set.join_next().await {
                    let r = r.map_err(|e| backend(format!("object store {bucket}: writer task"), e));
                    if let Err(e) = r.and_then(|x| x) {
                        first_error.get_or_insert(e);
                    }
                }
                first_error.map_or(Ok(()), Err)
            })?;
        }
        let Some((key, data)) = checkpoint else {
            return Ok(());
        };
        // Taken, not copied: a failed write leaves it unknown, to be read again next time.
        let etag = self
            .checkpoint_etag
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match self.run(put_checkpoint(store, key, data, etag))? {
            CheckpointWrite::Done(tag) => {
                *self
                    .checkpoint_etag
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = tag;
                Ok(())
            }
            CheckpointWrite::Superseded(e) => {
                // Step down: a lease holder writes nothing more until it takes the lease again.
                let mut fence = self
                    .fence
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if matches!(*fence, Fence::Held { .. }) {
                    *fence = Fence::NotHeld;
                }
                tracing::warn!(error = %e, "the bucket's checkpoint moved on without us: stepping down");
                Err(e)
            }
        }
    }

    fn get_object(&self, path: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let key = self.key(path)?;
        let store = self.store.clone();
        self.run(async move {
            match store.get(&key).await {
                Ok(r) => Ok(Some(
                    r.bytes()
                        .await
                        .map_err(|e| backend(format!("reading {key}"), e))?
                        .to_vec(),
                )),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(backend(format!("reading {key}"), e)),
            }
        })
    }

    fn delete_objects(&self, paths: &[String]) -> Result<(), StorageError> {
        self.fence_token()?;
        let keys = paths.iter().map(|p| self.key(p)).collect::<Result<Vec<_>, _>>()?;
        let store = self.store.clone();
        self.run(async move {
            for key in keys {
                match store.delete(&key).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(backend(format!("deleting {key}"), e)),
                }
            }
            Ok(())
        })
    }

    fn create_state(&self, state: &LogState) -> Result<(), StorageError> {
        let pool = self.pool.clone();
        let s = state.clone();
        let what = self.db_what("creating the log state");
        let database = self.database.clone();
        self.run(async move {
            let done = sqlx::query(
                "INSERT INTO log_state (origin, size, root, checkpoint, pending_size) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (singleton) DO NOTHING",
            )
            .bind(&s.origin)
            .bind(i64_of(s.size, "size")?)
            .bind(s.root.0.as_slice())
            .bind(&s.checkpoint)
            .bind(i64_of(s.pending_size, "pending size")?)
            .execute(&pool)
            .await
            .map_err(|e| backend(what, e))?;
            if done.rows_affected() == 0 {
                return Err(StorageError::AlreadyInitialised(format!("PostgreSQL {database}")));
            }
            Ok(())
        })
    }

    fn load_state(&self) -> Result<LogState, StorageError> {
        let pool = self.pool.clone();
        let what = self.db_what("loading the log state");
        let database = self.database.clone();
        self.run(async move {
            let row = sqlx::query(
                "SELECT origin, size, root, checkpoint, pending_size FROM log_state WHERE singleton",
            )
            .fetch_optional(&pool)
            .await
            .map_err(|e| backend(what.clone(), e))?
            .ok_or_else(|| StorageError::NotInitialised(format!("PostgreSQL {database}")))?;
            let get = |e| backend(what.clone(), e);
            let root: Vec<u8> = row.try_get("root").map_err(get)?;
            let root: [u8; 32] = root
                .try_into()
                .map_err(|_| StorageError::Corrupt("root is not 32 bytes".into()))?;
            Ok(LogState {
                origin: row.try_get("origin").map_err(get)?,
                size: u64_of(row.try_get("size").map_err(get)?, "size")?,
                root: Hash(root),
                checkpoint: row.try_get("checkpoint").map_err(get)?,
                pending_size: u64_of(row.try_get("pending_size").map_err(get)?, "pending size")?,
            })
        })
    }

    fn set_pending(&self, size: u64, pending_size: u64) -> Result<(), StorageError> {
        let pool = self.pool.clone();
        let what = self.db_what("recording the batch intent");
        let token = self.fence_token()?;
        self.run(async move {
            let done = sqlx::query(
                "UPDATE log_state SET pending_size = $2 WHERE singleton AND size = $1 \
                 AND ($3::bigint IS NULL OR lease_token = $3)",
            )
            .bind(i64_of(size, "size")?)
            .bind(i64_of(pending_size, "pending size")?)
            .bind(token)
            .execute(&pool)
            .await
            .map_err(|e| backend(what, e))?;
            if done.rows_affected() == 0 {
                return Err(size_conflict(&pool, size, token).await);
            }
            Ok(())
        })
    }

    fn commit(&self, old_size: u64, state: &LogState, records: &[(Hash, u64)]) -> Result<(), StorageError> {
        let pool = self.pool.clone();
        let s = state.clone();
        let hashes: Vec<Vec<u8>> = records.iter().map(|(h, _)| h.0.to_vec()).collect();
        let indexes = records
            .iter()
            .map(|(_, i)| i64_of(*i, "index"))
            .collect::<Result<Vec<_>, _>>()?;
        let what = self.db_what("committing the batch");
        let token = self.fence_token()?;
        self.run(async move {
            let err = |e| backend(what.clone(), e);
            let mut tx = pool.begin().await.map_err(err)?;
            let done = sqlx::query(
                "UPDATE log_state SET origin = $2, size = $3, root = $4, checkpoint = $5, \
                 pending_size = $6 WHERE singleton AND size = $1 \
                 AND ($7::bigint IS NULL OR lease_token = $7)",
            )
            .bind(i64_of(old_size, "size")?)
            .bind(&s.origin)
            .bind(i64_of(s.size, "size")?)
            .bind(s.root.0.as_slice())
            .bind(&s.checkpoint)
            .bind(i64_of(s.pending_size, "pending size")?)
            .bind(token)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
            if done.rows_affected() == 0 {
                // Rolled back when `tx` is dropped.
                drop(tx);
                return Err(size_conflict(&pool, old_size, token).await);
            }
            if !hashes.is_empty() {
                sqlx::query(
                    "INSERT INTO dedup (leaf_hash, idx) SELECT * FROM UNNEST($1::bytea[], $2::bigint[])",
                )
                .bind(&hashes)
                .bind(&indexes)
                .execute(&mut *tx)
                .await
                .map_err(err)?;
            }
            // The linearisation point: the batch is in the log once this returns.
            tx.commit().await.map_err(err)
        })
    }

    fn lookup(&self, hashes: &[Hash]) -> Result<Vec<Option<u64>>, StorageError> {
        let pool = self.pool.clone();
        let keys: Vec<Vec<u8>> = hashes.iter().map(|h| h.0.to_vec()).collect();
        let what = self.db_what("deduplication lookup");
        self.run(async move {
            let rows = sqlx::query("SELECT leaf_hash, idx FROM dedup WHERE leaf_hash = ANY($1)")
                .bind(&keys)
                .fetch_all(&pool)
                .await
                .map_err(|e| backend(what.clone(), e))?;
            let mut found = std::collections::HashMap::with_capacity(rows.len());
            for r in rows {
                let h: Vec<u8> = r.try_get("leaf_hash").map_err(|e| backend(what.clone(), e))?;
                let i: i64 = r.try_get("idx").map_err(|e| backend(what.clone(), e))?;
                found.insert(h, u64_of(i, "index")?);
            }
            Ok(keys.iter().map(|k| found.get(k).copied()).collect())
        })
    }
}

/// The error for a compare-and-swap that found another size than `expected`, or another fencing
/// token than `token`.
async fn size_conflict(pool: &PgPool, expected: u64, token: Option<i64>) -> StorageError {
    let row = sqlx::query_as::<_, (i64, i64)>("SELECT size, lease_token FROM log_state WHERE singleton")
        .fetch_optional(pool)
        .await;
    match (row, token) {
        (Ok(Some((_, current))), Some(ours)) if ours != current => StorageError::Conflict(format!(
            "the sequencer's lease has passed to another instance (fencing token {current}, ours \
             {ours}): this instance is no longer the sequencer"
        )),
        (Ok(Some((size, _))), _) => {
            StorageError::Conflict(format!("committed size is {size}, expected {expected}"))
        }
        (Ok(None), _) => StorageError::NotInitialised("PostgreSQL (no log state)".into()),
        (Err(e), _) => backend("PostgreSQL: reading the size after a failed compare-and-swap", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_are_parsed_or_refused_by_name() {
        assert_eq!(parse_s3_url("s3://b").ok(), Some(("b".into(), String::new())));
        assert_eq!(parse_s3_url("s3://b/").ok(), Some(("b".into(), String::new())));
        assert_eq!(
            parse_s3_url("s3://b/x/y/").ok(),
            Some(("b".into(), "x/y/".into()))
        );
        for bad in ["b", "https://b", "s3://", "s3:///x", "s3://b/../x"] {
            let e = parse_s3_url(bad).expect_err(bad).to_string();
            assert!(e.contains("object store URL"), "{bad}: {e}");
        }
    }

    #[test]
    fn database_descriptions_hide_credentials() {
        let d = describe_database("postgres://user:secret@db.example:6543/log");
        assert_eq!(d, "db.example:6543/log");
        let c = CloudConfig {
            database_url: "postgres://user:secret@db.example/log".into(),
            ..CloudConfig::default()
        };
        assert!(!format!("{c:?}").contains("secret"));
    }
}
