//! Server configuration, read from a TOML file; the CLI applies environment variables and flags
//! on top.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Configuration of `shieldwatch serve`. Every field is optional in TOML; the default is given
/// per field.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on (default `127.0.0.1:8080`).
    pub listen: String,
    /// Directory of the log (default `shieldwatch-log`).
    pub data_dir: PathBuf,
    /// Signing key file (default `<data_dir>/signing.key`).
    pub key_file: Option<PathBuf>,
    /// Longest time between batches, in milliseconds (default 500).
    pub batch_interval_ms: u64,
    /// Cut a batch once this many entries wait (default 16 384).
    pub batch_max_entries: usize,
    /// Entries that may wait before submissions get 503 (default 65 536).
    pub queue_capacity: usize,
    /// Largest accepted entry, in bytes, at most 65 535 (default 65 535).
    pub max_entry_bytes: usize,
    /// Time limit for one HTTP request, in milliseconds (default 30 000).
    pub request_timeout_ms: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        let s = tlog::SequencerConfig::default();
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("shieldwatch-log"),
            key_file: None,
            batch_interval_ms: s.batch_interval.as_millis() as u64,
            batch_max_entries: s.batch_max_entries,
            queue_capacity: s.queue_capacity,
            max_entry_bytes: s.max_entry_bytes,
            request_timeout_ms: 30_000,
        }
    }
}

impl ServerConfig {
    /// Parses a TOML configuration.
    ///
    /// # Errors
    ///
    /// [`crate::ServerError::Config`] naming the bad key or value.
    pub fn from_toml(text: &str) -> Result<Self, crate::ServerError> {
        let c: Self = toml_de(text)?;
        c.validate()?;
        Ok(c)
    }

    /// Checks value ranges.
    ///
    /// # Errors
    ///
    /// [`crate::ServerError::Config`] naming the bad value.
    pub fn validate(&self) -> Result<(), crate::ServerError> {
        let bad = |m: String| Err(crate::ServerError::Config(m));
        if !(1..=tlog::MAX_ENTRY_BYTES).contains(&self.max_entry_bytes) {
            return bad(format!(
                "max_entry_bytes must be 1..=65535, got {}",
                self.max_entry_bytes
            ));
        }
        if self.batch_max_entries == 0 || self.queue_capacity == 0 {
            return bad("batch_max_entries and queue_capacity must be positive".into());
        }
        if self.batch_interval_ms == 0 || self.request_timeout_ms == 0 {
            return bad("batch_interval_ms and request_timeout_ms must be positive".into());
        }
        Ok(())
    }

    /// The key file in force.
    pub fn key_file(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("signing.key"))
    }

    /// The sequencer's part of the configuration.
    pub fn sequencer_config(&self) -> tlog::SequencerConfig {
        tlog::SequencerConfig {
            batch_interval: Duration::from_millis(self.batch_interval_ms),
            batch_max_entries: self.batch_max_entries,
            queue_capacity: self.queue_capacity,
            max_entry_bytes: self.max_entry_bytes,
        }
    }
}

fn toml_de(text: &str) -> Result<ServerConfig, crate::ServerError> {
    toml::from_str(text).map_err(|e| crate::ServerError::Config(e.to_string()))
}
