//! Witness configuration (TOML) and its key file.
//!
//! ```toml
//! listen = "127.0.0.1:7380"          # default
//! key_file = "witness.key"           # required: PRIVATE+KEY+<name>+<id>+<base64>, mode 0600
//! state_file = "witness-state.redb"  # default
//! max_body_bytes = 262144            # default: 256 KiB per add-checkpoint request
//! request_timeout_ms = 10000         # default
//! header_timeout_ms = 10000          # default: longest wait for a request's head (also idle)
//! max_connections = 1024             # default: more are answered 503 at once
//! # tls_cert = "tls.crt"             # with tls_key: HTTPS only (PEM; the key mode 0600)
//! # tls_key = "tls.key"
//!
//! [[log]]
//! origin = "shieldwatch.example/treaty-log"
//! key = "shieldwatch.example/treaty-log+1a2b3c4d+AZ..."   # or keys = ["...", "..."]
//! ```
//!
//! Relative paths are relative to the directory of the configuration file. Unknown keys are
//! errors.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cosignature::{CosignatureError, CosignatureSigner};
use crate::witness::WitnessedLog;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7380";
/// Default request body limit, in bytes: room for 63 proof lines and a checkpoint with 16
/// post-quantum signatures.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// Errors reading the configuration or the key file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        error: std::io::Error,
    },
    /// The TOML is invalid or has a bad value.
    #[error("{0}")]
    Invalid(String),
    /// The key file is malformed.
    #[error("{path}: {error}")]
    Key {
        /// The file.
        path: String,
        /// What is wrong.
        error: CosignatureError,
    },
    /// The key file can be read by other users.
    #[error("{path}: the key file must not be readable by group or others (mode {mode:o}); chmod 600 it")]
    KeyPermissions {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
}

/// One witnessed log in the TOML file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// The log's checkpoint origin.
    pub origin: String,
    /// One verifier key of the log.
    #[serde(default)]
    pub key: Option<String>,
    /// Several verifier keys (during a rotation).
    #[serde(default)]
    pub keys: Vec<String>,
}

/// The witness configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WitnessConfig {
    /// Address to listen on (default `127.0.0.1:7380`).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The witness's signing key file.
    pub key_file: PathBuf,
    /// The state database (default `witness-state.redb`).
    #[serde(default = "default_state_file")]
    pub state_file: PathBuf,
    /// Largest accepted request body, in bytes (default 262 144).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Time limit of one request, in milliseconds (default 10 000).
    #[serde(default = "default_timeout")]
    pub request_timeout_ms: u64,
    /// Longest wait for a request's head, in milliseconds, from the connection's opening or the
    /// end of the previous answer (bounds slow headers and idle connections; default 10 000).
    #[serde(default = "default_timeout")]
    pub header_timeout_ms: u64,
    /// Connections served at once; more are answered 503 with a JSON body at once (default
    /// 1 024). Keep it below the open-file limit less about 64.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// TLS certificate chain (PEM); with `tls_key`, the witness serves HTTPS only (default:
    /// none).
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM), refused if group or others may read it (default: none).
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// The logs this witness cosigns.
    #[serde(default, rename = "log")]
    pub logs: Vec<LogConfig>,
}

fn default_listen() -> String {
    DEFAULT_LISTEN.into()
}
fn default_state_file() -> PathBuf {
    PathBuf::from("witness-state.redb")
}
fn default_max_body() -> usize {
    DEFAULT_MAX_BODY_BYTES
}
fn default_timeout() -> u64 {
    10_000
}
fn default_max_connections() -> usize {
    1024
}

impl WitnessConfig {
    /// Parses a configuration; relative paths stay as written.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Invalid`] naming the bad key or value.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let c: Self = toml::from_str(text).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// Reads a configuration file; relative paths in it are resolved against its directory.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Io`] if it cannot be read, [`ConfigError::Invalid`] if it is invalid.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Io {
            path: path.display().to_string(),
            error,
        })?;
        let mut c =
            Self::from_toml(&text).map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [&mut c.key_file, &mut c.state_file]
            .into_iter()
            .chain(c.tls_cert.as_mut())
            .chain(c.tls_key.as_mut())
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(c)
    }

    /// Checks values.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Invalid`] naming the bad value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if self.max_body_bytes < 1024 {
            return bad(format!(
                "max_body_bytes must be at least 1024, got {}",
                self.max_body_bytes
            ));
        }
        if self.request_timeout_ms == 0 || self.header_timeout_ms == 0 {
            return bad("request_timeout_ms and header_timeout_ms must be positive".into());
        }
        if self.max_connections == 0 {
            return bad("max_connections must be positive".into());
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return bad("tls_cert and tls_key must be given together".into());
        }
        for l in &self.logs {
            if l.key.is_none() && l.keys.is_empty() {
                return bad(format!("log {:?} has no `key`", l.origin));
            }
        }
        Ok(())
    }

    /// The logs as the witness takes them.
    pub fn witnessed_logs(&self) -> Vec<WitnessedLog> {
        self.logs
            .iter()
            .map(|l| WitnessedLog {
                origin: l.origin.clone(),
                verifier_keys: l.key.iter().chain(&l.keys).cloned().collect(),
            })
            .collect()
    }
}

/// Reads the witness's signing key from `path`, refusing a file that group or others can read.
///
/// # Errors
///
/// [`ConfigError::Io`], [`ConfigError::KeyPermissions`] or [`ConfigError::Key`].
pub fn load_signer(path: &Path) -> Result<CosignatureSigner, ConfigError> {
    let io = |error| ConfigError::Io {
        path: path.display().to_string(),
        error,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(ConfigError::KeyPermissions {
                path: path.display().to_string(),
                mode: mode & 0o777,
            });
        }
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    CosignatureSigner::from_signing_key(&text).map_err(|error| ConfigError::Key {
        path: path.display().to_string(),
        error,
    })
}

/// Generates a new witness key named `name` and writes it to `path` with mode 0600 (never
/// overwriting an existing file), fsynced. Returns the signer.
///
/// # Errors
///
/// [`ConfigError::Key`] for a bad name, [`ConfigError::Io`] if the file exists or cannot be
/// written.
pub fn create_key_file(name: &str, path: &Path) -> Result<CosignatureSigner, ConfigError> {
    use std::io::Write as _;
    let (signer, skey) = CosignatureSigner::generate(name).map_err(|error| ConfigError::Key {
        path: path.display().to_string(),
        error,
    })?;
    let io = |error| ConfigError::Io {
        path: path.display().to_string(),
        error,
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(format!("{skey}\n").as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Make the new directory entry durable too: a key file that vanishes in a crash after
        // its public key was handed out would strand every cosignature made with it.
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|error| ConfigError::Io {
                path: dir.display().to_string(),
                error,
            })?;
    }
    Ok(signer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_defaults_and_errors() {
        let c =
            WitnessConfig::from_toml("key_file = \"k\"\n[[log]]\norigin = \"o\"\nkey = \"o+00000000+AA\"\n")
                .unwrap();
        assert_eq!(c.listen, DEFAULT_LISTEN);
        assert_eq!(c.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert_eq!(
            c.witnessed_logs()[0].verifier_keys,
            vec!["o+00000000+AA".to_string()]
        );
        assert!(WitnessConfig::from_toml("").is_err());
        assert!(WitnessConfig::from_toml("key_file = \"k\"\nbogus = 1\n").is_err());
        assert!(WitnessConfig::from_toml("key_file = \"k\"\n[[log]]\norigin = \"o\"\n").is_err());
        assert!(WitnessConfig::from_toml("key_file = \"k\"\nmax_body_bytes = 10\n").is_err());
    }

    #[test]
    fn key_file_is_private_and_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.key");
        let s = create_key_file("witness.example/w", &p).unwrap();
        assert_eq!(load_signer(&p).unwrap().verifier_key(), s.verifier_key());
        assert!(create_key_file("witness.example/w", &p).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(load_signer(&p), Err(ConfigError::KeyPermissions { .. })));
        }
        dir.close().unwrap();
    }
}
