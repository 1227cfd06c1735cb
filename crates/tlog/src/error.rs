//! The error type of the `tlog` crate.

use std::io;

/// Everything that can go wrong in this crate. Variants name the input that was rejected or the
/// operation that failed; callers (the HTTP server) map them to status codes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A tile or entry-bundle path does not follow c2sp.org/tlog-tiles.
    #[error("malformed tile path {path:?}: {reason}")]
    BadTilePath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An entry is empty or longer than the limit (at most 65 535 bytes, the 16-bit length prefix
    /// of c2sp.org/tlog-tiles entry bundles).
    #[error("entry of {len} bytes is outside the accepted range 1..={max} bytes")]
    EntrySize {
        /// Length of the rejected entry, in bytes.
        len: usize,
        /// The limit in force, in bytes.
        max: usize,
    },
    /// An entry bundle is truncated or has trailing bytes.
    #[error("malformed entry bundle: {0}")]
    BadBundle(&'static str),
    /// A proof was requested for indexes or sizes outside the tree.
    #[error("{0}")]
    OutOfRange(String),
    /// A proof did not verify, or a tree did not hash to the expected root.
    #[error("verification failed: {0}")]
    Verification(String),
    /// A checkpoint or signed note is malformed, or its signature does not verify.
    #[error("bad checkpoint: {0}")]
    BadCheckpoint(String),
    /// A signing or verifier key is malformed or of an unsupported algorithm.
    #[error("bad key: {0}")]
    BadKey(String),
    /// The storage backend failed.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// Hash computation over stored tiles failed (missing or inconsistent tiles).
    #[error("merkle tree: {0}")]
    Tree(#[from] tlog_tiles::Error),
    /// The sequencer's queue is full; try again later (back-pressure).
    #[error("the submission queue is full, retry later")]
    QueueFull,
    /// The sequencer is not taking entries: shut down, or recovering from a failed batch (a full
    /// disk, a storage fault) until storage works again.
    #[error("the sequencer is not running (shut down, or recovering from a storage error); retry later")]
    SequencerStopped,
}

/// A failure of a storage backend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A file-system operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done ("write", "rename", "fsync", ...).
        op: &'static str,
        /// The file or directory concerned.
        path: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The embedded database failed.
    #[error("database: {0}")]
    Db(#[from] redb::Error),
    /// The stored state is not what the caller expected (another writer, or corruption).
    #[error("state conflict: {0}")]
    Conflict(String),
    /// The log has not been initialised (`shieldwatch log init`).
    #[error("no log found in {0} (run `shieldwatch log init` first)")]
    NotInitialised(String),
    /// A log already exists where one was to be created.
    #[error("a log already exists in {0}")]
    AlreadyInitialised(String),
    /// Stored data is corrupt.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// A storage service (a database or an object store, as the scale-out backend uses) failed or
    /// could not be reached.
    #[error("{what}: {source}")]
    Backend {
        /// What was being done, and where ("PostgreSQL 127.0.0.1:5432/log: commit").
        what: String,
        /// The service's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Shorthand for `Result<T, tlog::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
