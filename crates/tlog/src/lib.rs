//! A transparency log: RFC 6962 Merkle tree served as C2SP tlog-tiles, with signed checkpoints
//! and durable, deduplicating sequencing.
//!
//! # Layout
//!
//! - [`merkle`]: RFC 6962 hashing, inclusion and consistency proofs (generation and checks).
//! - [`tiles`]: c2sp.org/tlog-tiles paths for hash tiles and entry bundles, bundle encoding.
//! - [`checkpoint`]: c2sp.org/tlog-checkpoint checkpoints as c2sp.org/signed-note notes, Ed25519.
//! - [`storage`]: the [`Storage`] trait (durability and concurrency contract) and
//!   [`LocalStorage`], files plus redb.
//! - [`log`]: [`LogWriter`] (appends a batch crash-safely) and [`LogReader`] (tiles, proofs).
//! - [`sequencer`]: [`Sequencer`], batching with back-pressure and acknowledgement after commit.
//! - [`fsck`]: checks a log at rest, every bundle, tile and checkpoint, against the signed root.
//!
//! The cryptography and tree algorithms come from `ed25519-dalek`, `sha2`, `signed_note` and
//! `tlog_tiles`; this crate adds storage, sequencing and the C2SP path layout.
//!
//! # Example
//!
//! ```
//! use tlog::{merkle, MemoryTree};
//! let mut t = MemoryTree::new();
//! for e in [b"a".as_slice(), b"b", b"c"] {
//!     t.push(e).unwrap();
//! }
//! let root = t.root(3).unwrap();
//! let proof = merkle::prove_inclusion(3, 1, &t).unwrap();
//! merkle::verify_inclusion(&proof, 3, root, 1, merkle::record_hash(b"b")).unwrap();
//! ```

pub mod checkpoint;
pub mod error;
pub mod fsck;
pub mod log;
pub mod merkle;
pub mod sequencer;
pub mod storage;
pub mod tileproof;
pub mod tiles;

pub use checkpoint::{LogSigner, SignatureAlgorithm, VerifiedCheckpoint, verify_checkpoint};
pub use error::{Error, Result, StorageError};
pub use log::{
    CHECKPOINT_PATH, ConsistencyProof, InclusionProof, LogReader, LogWriter, Snapshot, create_log,
    new_object_paths,
};
pub use merkle::{Hash, MemoryTree};
pub use sequencer::{BatchWriter, Sequencer, SequencerConfig, SequencerStats};
pub use storage::{LocalStorage, LogState, Object, Storage};
pub use tiles::{MAX_ENTRY_BYTES, TileKind, TilePath};
