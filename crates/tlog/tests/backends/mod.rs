//! The storage backends the log's tests run against, and [`per_backend!`], which makes one test
//! per backend from one test body: `embedded::NAME` (files + redb) and `cloud::NAME` (PostgreSQL
//! + S3-compatible object storage, on the throw-away servers of the `testsvc` crate).

use std::sync::Arc;

use tlog::Storage;
use tlog_cloud::{CloudConfig, CloudStorage};

/// Which backend a test runs against.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// [`tlog::LocalStorage`] in a temporary directory.
    Embedded,
    /// [`CloudStorage`] on a database and a bucket of its own.
    Cloud,
}

/// A new, empty storage, and what must live as long as it.
pub struct Fixture {
    /// The storage.
    pub storage: Arc<dyn Storage>,
    /// The temporary directory of the embedded backend (removed when dropped).
    _dir: Option<tempfile::TempDir>,
}

impl Fixture {
    /// The embedded backend's public directory (for `tlog::fsck`, which reads files).
    #[allow(dead_code)] // Not every test binary that includes this module needs it.
    pub fn public_dir(&self) -> Option<std::path::PathBuf> {
        self._dir
            .as_ref()
            .map(|d| d.path().join(tlog::storage::PUBLIC_DIR))
    }
}

impl Backend {
    /// A new, empty storage of this backend; `None` when the cloud backend's servers cannot
    /// run here (outside CI only: `testsvc` panics under `CI=true`).
    pub fn open(self) -> Option<Fixture> {
        match self {
            Backend::Embedded => {
                let dir = tempfile::tempdir().unwrap();
                let storage: Arc<dyn Storage> = Arc::new(tlog::LocalStorage::open(dir.path()).unwrap());
                Some(Fixture {
                    storage,
                    _dir: Some(dir),
                })
            }
            Backend::Cloud => {
                let database_url = testsvc::postgres_database()?;
                let bucket = testsvc::s3_bucket()?;
                let storage: Arc<dyn Storage> = Arc::new(
                    CloudStorage::open(&CloudConfig {
                        database_url,
                        object_store_url: bucket.url(),
                        s3_options: bucket.options(),
                        max_connections: 4,
                    })
                    .unwrap(),
                );
                Some(Fixture { storage, _dir: None })
            }
        }
    }
}

/// `per_backend!(sync: [a, b], async: [c])` makes, for each backend, a module with a `#[test]`
/// calling `a(Backend::X)` and a multi-threaded `#[tokio::test]` awaiting `c(Backend::X)`.
#[macro_export]
macro_rules! per_backend {
    (sync: [$($s:ident),* $(,)?], async: [$($a:ident),* $(,)?]) => {
        $crate::per_backend!(@module embedded, Embedded, [$($s),*], [$($a),*]);
        $crate::per_backend!(@module cloud, Cloud, [$($s),*], [$($a),*]);
    };
    (@module $m:ident, $b:ident, [$($s:ident),*], [$($a:ident),*]) => {
        mod $m {
            $(
                #[test]
                fn $s() {
                    super::$s(super::backends::Backend::$b);
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $a() {
                    super::$a(super::backends::Backend::$b).await;
                }
            )*
        }
    };
}
