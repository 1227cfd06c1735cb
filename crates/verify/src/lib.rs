//! The verification regime: signed statements, the key roster, compliance rules in CEL, the
//! monitor and offline-checkable evidence (`../shared/DESIGN.md` §6).
//!
//! # Layout
//!
//! - [`keys`]: Ed25519 keys and c2sp.org/signed-note notes (via `signed_note`).
//! - [`statement`]: the statement schema, its canonical encoding, salted commitments.
//! - [`roster`]: the signed key roster and [`Registry`], which admits or rejects log entries.
//! - [`rules`]: compliance rules in CEL; [`engine`] replays the log through them, with the
//!   statement rules' variables built from typed values ([`celview`]) and what the statement
//!   alone decides of them worked out ahead ([`shortcut`]).
//!
//! Dependencies point one way: this crate uses `tlog` for proofs and checkpoints and knows
//! nothing of HTTP or the physics crates.

pub mod celview;
pub mod engine;
pub mod error;
pub mod evidence;
pub mod keys;
pub mod logwatch;
pub mod monitor;
pub mod roster;
pub mod rules;
pub mod shortcut;
pub mod sigcheck;
pub mod sim;
pub mod statement;

pub use error::{Error, Result};
pub use keys::Key;
pub use roster::{Admitted, KeyRecord, Registry, Role, Roster};
pub use statement::{Body, Commitment, Reveal, Statement};
