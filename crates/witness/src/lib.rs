//! A transparency-log witness: c2sp.org/tlog-witness (`add-checkpoint`) and
//! c2sp.org/tlog-cosignature (`cosignature/v1`, Ed25519).
//!
//! A witness follows a list of logs (origin + the log's verifier keys). A log submits each new
//! checkpoint with a consistency proof from the last checkpoint the witness cosigned; the witness
//! checks the log's signature and the proof, durably records the new checkpoint and returns a
//! timestamped cosignature. It never cosigns a checkpoint smaller than, or inconsistent with, the
//! last one it cosigned for that log, also across restarts, so a log that shows different trees
//! to different people (a split view) cannot get both cosigned; a same-size checkpoint with
//! another root is recorded as split-view evidence.
//!
//! # Layout
//!
//! - [`cosignature`]: [`CosignatureSigner`] / [`CosignatureVerifier`] (`signed_note`'s `Signer`
//!   and `Verifier` traits), key formats, [`verify_cosignature`].
//! - [`protocol`]: request and response formats, [`attach_cosignatures`].
//! - [`witness`]: [`Witness`], the checks and their status codes.
//! - [`state`]: the durable per-log state in redb.
//! - [`http`]: the axum [`router`].
//! - [`client`]: [`client::add_checkpoint`], what a log calls.
//! - [`config`]: the TOML configuration and the key file.
//!
//! Cryptography comes from `ed25519-dalek`, `sha2` and `signed_note`, Merkle proofs from
//! [`tlog::merkle`]; this crate lays out the formats and keeps the state.
//!
//! # Example
//!
//! ```
//! use witness::{CosignatureSigner, verify_cosignature};
//! let (log, _) = tlog::LogSigner::generate("example.org/log").unwrap();
//! let checkpoint = log.sign_checkpoint(0, tlog::merkle::EMPTY_HASH).unwrap();
//! let (cosigner, _secret) = CosignatureSigner::generate("witness.example/w1").unwrap();
//! let dir = std::env::temp_dir().join(format!("witness-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let w = witness::Witness::open(
//!     dir.join("state.redb"),
//!     cosigner.clone(),
//!     &[witness::WitnessedLog {
//!         origin: "example.org/log".into(),
//!         verifier_keys: vec![log.verifier_key().into()],
//!     }],
//! )
//! .unwrap();
//! let body = witness::protocol::encode_request(0, &[], &checkpoint);
//! let line = String::from_utf8(w.add_checkpoint(&body).unwrap()).unwrap();
//! let cosigned = witness::attach_cosignatures(&checkpoint, &[line]).unwrap();
//! let time = verify_cosignature(&cosigned, &cosigner.verifier_key()).unwrap();
//! assert!(time > 0);
//! # drop(w); std::fs::remove_dir_all(&dir).unwrap();
//! ```

pub mod client;
pub mod config;
pub mod cosignature;
pub mod http;
pub mod protocol;
pub mod state;
pub mod witness;

pub use config::{ConfigError, WitnessConfig, create_key_file, load_signer};
pub use cosignature::{
    CosignatureError, CosignatureSigner, CosignatureVerifier, cosignature_timestamp, verify_cosignature,
};
pub use http::{HttpLimits, router};
pub use protocol::{AddCheckpointRequest, MalformedError, attach_cosignatures};
pub use state::{Cosigned, SplitView, StateError};
pub use witness::{AddCheckpointError, OpenError, Witness, WitnessedLog};
