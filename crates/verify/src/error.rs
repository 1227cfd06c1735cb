//! Errors of the verification regime. Every rejection names what is wrong, so that a sensor
//! operator, an inspector or a third party reading an alert can act on it.

/// Why an entry, a rule file or an evidence bundle was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// Not a signed note, not UTF-8, not JSON, or not the canonical encoding of its schema.
    #[error("malformed: {0}")]
    Malformed(String),
    /// Decodes but breaks the agreed schema: a field outside it (over-collection), a missing
    /// field, or a value out of its agreed range.
    #[error("schema violation: {0}")]
    Schema(String),
    /// Signed by a key the roster does not list.
    #[error("unknown key: {0}")]
    UnknownKey(String),
    /// Signed by a key the roster lists as revoked.
    #[error("revoked key: {0}")]
    RevokedKey(String),
    /// The key is registered, but not for this role or site.
    #[error("not authorised: {0}")]
    NotAuthorised(String),
    /// A signature does not verify.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// A statement dated further ahead of the receiver's clock than the agreed skew allows.
    #[error("clock: {0}")]
    Clock(String),
    /// A per-sensor sequence number at or below one already accepted.
    #[error("replay: {0}")]
    Replay(String),
    /// A roster that does not chain to the previous roster or the trust anchors.
    #[error("roster: {0}")]
    Roster(String),
    /// A compliance rule file that cannot be used (syntax error with its position, unknown
    /// field, duplicate id).
    #[error("rules: {0}")]
    Rules(String),
    /// An evidence bundle that does not prove what it claims.
    #[error("evidence does not verify: {0}")]
    Evidence(String),
    /// A proof or checkpoint from the log does not verify.
    #[error("log: {0}")]
    Log(String),
}

impl Error {
    /// A short, stable reason code (for metrics labels and JSON output).
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Malformed(_) => "malformed",
            Error::Schema(_) => "schema",
            Error::UnknownKey(_) => "unknown_key",
            Error::RevokedKey(_) => "revoked_key",
            Error::NotAuthorised(_) => "not_authorised",
            Error::BadSignature(_) => "bad_signature",
            Error::Clock(_) => "clock",
            Error::Replay(_) => "replay",
            Error::Roster(_) => "roster",
            Error::Rules(_) => "rules",
            Error::Evidence(_) => "evidence",
            Error::Log(_) => "log",
        }
    }
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
