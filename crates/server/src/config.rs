//! Server configuration: built-in defaults, then a TOML file, then overrides (the CLI fills them
//! from environment variables and flags, flags winning), resolved by [`ServerConfig::resolve`].

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Upper bound of [`ServerConfig::max_batch_entries`]: a batch body of this many entries of
/// 65 535 bytes is 1 GiB.
pub const MAX_BATCH_ENTRIES: usize = 16_384;

/// Configuration of `shieldwatch serve`. Every field is optional in TOML; the default is given
/// per field.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
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
    /// Most entries in one `POST /add-batch` request (default 1 024).
    pub max_batch_entries: usize,
    /// Time limit for one HTTP request, in milliseconds (default 30 000).
    pub request_timeout_ms: u64,
    /// Longest wait for a request's head (request line and headers), in milliseconds, counted
    /// from the connection's opening or the end of the previous answer on a kept-alive
    /// connection: bounds slow headers and idle connections alike (default 10 000).
    pub header_timeout_ms: u64,
    /// Connections served at once on each listener; more are refused at once with 503 and a JSON
    /// body (default 1 024). Keep it below the open-file limit (`ulimit -n`) less about 64.
    pub max_connections: usize,
    /// Address of a second listener serving only `/metrics` and `/healthz`, with its own
    /// connection cap; when set, the main address does not serve `/metrics` (default: none,
    /// both are on `listen`).
    pub metrics_listen: Option<String>,
    /// With witnesses: how long a submission waits, in milliseconds, for a cosigned checkpoint
    /// covering its entry before the answer is 503 (the entry stays logged; resubmitting returns
    /// its index); with witnesses, it must be less than `request_timeout_ms` (default 10 000).
    pub publish_wait_ms: u64,
    /// Requests per second one client address may make, sustained (IPv6 counted by /64);
    /// beyond, 429 with `Retry-After`. 0 disables the limit (default 100).
    pub rate_per_address: u32,
    /// Requests one client address may make at once from a full bucket (default 1 000).
    pub rate_per_address_burst: u32,
    /// Entries per second one signer (the verified key of a statement; only with admission
    /// control) may submit, sustained; beyond, 429 with `Retry-After`. 0 disables (default 10).
    pub rate_per_signer: u32,
    /// Entries one signer may submit at once from a full bucket (default 100).
    pub rate_per_signer_burst: u32,
    /// TLS certificate chain (PEM); with `tls_key`, every listener serves HTTPS only
    /// (default: none, plain HTTP).
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM: PKCS#8, PKCS#1 or SEC1), refused if group or others may read or
    /// write it (default: none).
    pub tls_key: Option<PathBuf>,
    /// Scale-out storage: the PostgreSQL database holding the sequencing state
    /// (`postgres://USER@HOST[:PORT]/DATABASE`; a password is better given in `PGPASSWORD` or
    /// `~/.pgpass` than in the URL). With `object_store_url`, the log lives there instead of in
    /// `data_dir` (default: none, the embedded log in `data_dir`). See [`crate::cloud`].
    pub database_url: Option<crate::cloud::DatabaseUrl>,
    /// Scale-out storage: the bucket holding tiles, entry bundles and the checkpoint
    /// (`s3://BUCKET` or `s3://BUCKET/PREFIX`; endpoint, region and credentials from the
    /// `AWS_*` environment variables); given with `database_url` (default: none).
    pub object_store_url: Option<String>,
    /// Scale-out storage: this instance's base URL as the other instances reach it
    /// (`http://HOST:PORT`), where the sequencing instance takes their forwarded submissions
    /// (default: `http(s)://` and the bound `listen` address, which must then not be a
    /// wildcard such as `0.0.0.0`).
    pub advertise_url: Option<String>,
    /// Scale-out storage: term of the sequencer's lease, in milliseconds (default 3000). A
    /// crashed sequencer is replaced this long after its last batch; the sequencing instance
    /// renews it with every batch.
    pub lease_ttl_ms: u64,
}

/// Upper bound of [`ServerConfig::max_connections`].
pub const MAX_CONNECTIONS: usize = 1 << 20;

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
            max_batch_entries: 1024,
            request_timeout_ms: 30_000,
            header_timeout_ms: 10_000,
            max_connections: 1024,
            metrics_listen: None,
            publish_wait_ms: 10_000,
            rate_per_address: 100,
            rate_per_address_burst: 1000,
            rate_per_signer: 10,
            rate_per_signer_burst: 100,
            tls_cert: None,
            tls_key: None,
            database_url: None,
            object_store_url: None,
            advertise_url: None,
            lease_ttl_ms: 3000,
        }
    }
}

/// Settings that replace those of the defaults and the TOML file when `Some` (the CLI fills them
/// from its flags and `SHIELDWATCH_*` environment variables).
#[derive(Debug, Clone, Default, PartialEq)]
#[allow(missing_docs)] // One field per `ServerConfig` field, same meaning.
pub struct ConfigOverrides {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub batch_interval_ms: Option<u64>,
    pub batch_max_entries: Option<usize>,
    pub queue_capacity: Option<usize>,
    pub max_entry_bytes: Option<usize>,
    pub max_batch_entries: Option<usize>,
    pub request_timeout_ms: Option<u64>,
    pub header_timeout_ms: Option<u64>,
    pub max_connections: Option<usize>,
    pub metrics_listen: Option<String>,
    pub publish_wait_ms: Option<u64>,
    pub rate_per_address: Option<u32>,
    pub rate_per_address_burst: Option<u32>,
    pub rate_per_signer: Option<u32>,
    pub rate_per_signer_burst: Option<u32>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub database_url: Option<crate::cloud::DatabaseUrl>,
    pub object_store_url: Option<String>,
    pub advertise_url: Option<String>,
    pub lease_ttl_ms: Option<u64>,
}

impl ServerConfig {
    /// The configuration in force: the defaults, replaced by what the TOML text sets, replaced
    /// by the overrides that are `Some`; then validated.
    ///
    /// # Errors
    ///
    /// [`crate::ServerError::Config`] naming a bad key or value.
    pub fn resolve(toml: Option<&str>, o: &ConfigOverrides) -> Result<Self, crate::ServerError> {
        let mut c = match toml {
            Some(text) => toml_de(text)?,
            None => Self::default(),
        };
        if let Some(v) = &o.listen {
            c.listen.clone_from(v);
        }
        if let Some(v) = &o.data_dir {
            c.data_dir.clone_from(v);
        }
        if let Some(v) = &o.key_file {
            c.key_file = Some(v.clone());
        }
        c.batch_interval_ms = o.batch_interval_ms.unwrap_or(c.batch_interval_ms);
        c.batch_max_entries = o.batch_max_entries.unwrap_or(c.batch_max_entries);
        c.queue_capacity = o.queue_capacity.unwrap_or(c.queue_capacity);
        c.max_entry_bytes = o.max_entry_bytes.unwrap_or(c.max_entry_bytes);
        c.max_batch_entries = o.max_batch_entries.unwrap_or(c.max_batch_entries);
        c.request_timeout_ms = o.request_timeout_ms.unwrap_or(c.request_timeout_ms);
        c.header_timeout_ms = o.header_timeout_ms.unwrap_or(c.header_timeout_ms);
        c.max_connections = o.max_connections.unwrap_or(c.max_connections);
        c.publish_wait_ms = o.publish_wait_ms.unwrap_or(c.publish_wait_ms);
        if let Some(v) = &o.metrics_listen {
            c.metrics_listen = Some(v.clone());
        }
        c.rate_per_address = o.rate_per_address.unwrap_or(c.rate_per_address);
        c.rate_per_address_burst = o.rate_per_address_burst.unwrap_or(c.rate_per_address_burst);
        c.rate_per_signer = o.rate_per_signer.unwrap_or(c.rate_per_signer);
        c.rate_per_signer_burst = o.rate_per_signer_burst.unwrap_or(c.rate_per_signer_burst);
        if let Some(v) = &o.tls_cert {
            c.tls_cert = Some(v.clone());
        }
        if let Some(v) = &o.tls_key {
            c.tls_key = Some(v.clone());
        }
        if let Some(v) = &o.database_url {
            c.database_url = Some(v.clone());
        }
        if let Some(v) = &o.object_store_url {
            c.object_store_url = Some(v.clone());
        }
        if let Some(v) = &o.advertise_url {
            c.advertise_url = Some(v.clone());
        }
        if let Some(v) = o.lease_ttl_ms {
            c.lease_ttl_ms = v;
        }
        c.validate()?;
        Ok(c)
    }

    /// The configuration as a TOML file that [`ServerConfig::from_toml`] reads back unchanged.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# cannot render the configuration: {e}\n"))
    }

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
        if !(1..=MAX_BATCH_ENTRIES).contains(&self.max_batch_entries) {
            return bad(format!(
                "max_batch_entries must be 1..={MAX_BATCH_ENTRIES}, got {}",
                self.max_batch_entries
            ));
        }
        if self.batch_max_entries == 0 || self.queue_capacity == 0 {
            return bad("batch_max_entries and queue_capacity must be positive".into());
        }
        if self.batch_interval_ms == 0 || self.request_timeout_ms == 0 || self.header_timeout_ms == 0 {
            return bad(
                "batch_interval_ms, request_timeout_ms and header_timeout_ms must be positive".into(),
            );
        }
        if self.publish_wait_ms == 0 {
            return bad("publish_wait_ms must be positive".into());
        }
        if !(1..=MAX_CONNECTIONS).contains(&self.max_connections) {
            return bad(format!(
                "max_connections must be 1..={MAX_CONNECTIONS}, got {}",
                self.max_connections
            ));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return bad("tls_cert and tls_key must be given together".into());
        }
        crate::cloud::validate(self.database_url.as_ref(), self.object_store_url.as_deref())?;
        if !(500..=600_000).contains(&self.lease_ttl_ms) {
            return bad(format!(
                "lease_ttl_ms must be 500..=600000, got {}",
                self.lease_ttl_ms
            ));
        }
        if let Some(u) = &self.advertise_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return bad(format!(
                "advertise_url must be an http:// or https:// URL, got {u:?}"
            ));
        }
        Ok(())
    }

    /// The rate limits in force.
    pub fn rate_limits(&self) -> crate::ratelimit::RateLimits {
        use crate::ratelimit::Limit;
        crate::ratelimit::RateLimits::new(
            Limit::new(self.rate_per_address, self.rate_per_address_burst),
            Limit::new(self.rate_per_signer, self.rate_per_signer_burst),
        )
    }

    /// The key file in force.
    pub fn key_file(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("signing.key"))
    }

    /// The connection limits of each listener.
    pub fn conn_limits(&self) -> crate::conn::ConnLimits {
        crate::conn::ConnLimits {
            max_connections: self.max_connections,
            header_timeout: Duration::from_millis(self.header_timeout_ms),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_is_defaults_then_file_then_overrides() {
        let d = ServerConfig::default();
        assert_eq!(
            ServerConfig::resolve(None, &ConfigOverrides::default()).ok(),
            Some(d.clone())
        );
        let file = "batch_interval_ms = 250\nqueue_capacity = 100\nlisten = \"0.0.0.0:9000\"\n";
        let c = ServerConfig::resolve(Some(file), &ConfigOverrides::default()).expect("valid");
        assert_eq!(c.batch_interval_ms, 250);
        assert_eq!(c.queue_capacity, 100);
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(
            c.batch_max_entries, d.batch_max_entries,
            "unset keys keep their default"
        );
        let o = ConfigOverrides {
            batch_interval_ms: Some(40),
            data_dir: Some("elsewhere".into()),
            ..ConfigOverrides::default()
        };
        let c = ServerConfig::resolve(Some(file), &o).expect("valid");
        assert_eq!(c.batch_interval_ms, 40, "an override beats the file");
        assert_eq!(c.queue_capacity, 100, "the file beats the default");
        assert_eq!(c.data_dir, PathBuf::from("elsewhere"));
        assert_eq!(c.key_file(), PathBuf::from("elsewhere/signing.key"));
    }

    #[test]
    fn bad_files_and_values_are_named() {
        let e = ServerConfig::resolve(Some("batch_intervall_ms = 3"), &ConfigOverrides::default())
            .expect_err("unknown key");
        assert!(e.to_string().contains("batch_intervall_ms"), "{e}");
        let e = ServerConfig::resolve(Some("queue_capacity = \"many\""), &ConfigOverrides::default())
            .expect_err("wrong type");
        assert!(e.to_string().contains("queue_capacity"), "{e}");
        let o = ConfigOverrides {
            max_entry_bytes: Some(70_000),
            ..ConfigOverrides::default()
        };
        let e = ServerConfig::resolve(None, &o).expect_err("too large");
        assert!(e.to_string().contains("max_entry_bytes"), "{e}");
    }

    #[test]
    fn rate_limits_from_toml_and_overrides() {
        let c = ServerConfig::resolve(
            Some("rate_per_address = 7\nrate_per_signer_burst = 9\n"),
            &ConfigOverrides {
                rate_per_signer: Some(0),
                ..ConfigOverrides::default()
            },
        )
        .expect("valid");
        assert_eq!(
            (c.rate_per_address, c.rate_per_address_burst),
            (7, ServerConfig::default().rate_per_address_burst)
        );
        assert_eq!((c.rate_per_signer, c.rate_per_signer_burst), (0, 9));
        let l = c.rate_limits();
        for _ in 0..1000 {
            l.check_signer("s", 1).expect("0 disables the per-signer limit");
        }
        let ip: std::net::IpAddr = "192.0.2.1".parse().expect("ip");
        for _ in 0..ServerConfig::default().rate_per_address_burst {
            l.check_address(ip).expect("within the burst");
        }
        l.check_address(ip).expect_err("over the burst");
    }

    #[test]
    fn toml_round_trips() {
        let c = ServerConfig {
            key_file: Some("/etc/shieldwatch/key".into()),
            batch_interval_ms: 123,
            ..ServerConfig::default()
        };
        assert_eq!(ServerConfig::from_toml(&c.to_toml()).ok(), Some(c.clone()));
        let d = ServerConfig::default();
        assert_eq!(ServerConfig::from_toml(&d.to_toml()).ok(), Some(d));
    }
}
