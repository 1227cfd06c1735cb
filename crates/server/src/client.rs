//! A client for the log's HTTP API, and the checks `shieldwatch log verify` runs on what it
//! fetches. Nothing fetched is trusted: checkpoints are checked against the verifier key, entries
//! and proofs against the checkpoint's root.

use std::time::Duration;

use tlog::merkle::{self, Hash, record_hash};
use tlog::tiles::{TILE_WIDTH, TileKind, TilePath, decode_bundle, encode_bundle};
use tlog::{VerifiedCheckpoint, verify_checkpoint};

use crate::ServerError;
use crate::api::{AddBatchResponse, AddResponse, ConsistencyResponse, InclusionResponse, OCTET_STREAM};

/// How many times a submission refused by the server's rate limit (429) is sent again.
pub const RATE_LIMIT_RETRIES: u32 = 20;

/// The longest answer body the client reads (bytes): four times the largest a log serves (a full
/// entry bundle, 256 entries of up to 65 535 bytes with their length prefixes, ~16.8 MB). A server
/// that sends more (a body that never ends) gets an error, not all of the reader's memory.
pub const MAX_ANSWER_BYTES: usize = 64 << 20;

/// The longest `Retry-After` a submission waits for before sending again.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// The wait a 429 answer asks for: its `Retry-After` in whole seconds (an HTTP date is not
/// used by the server and counts as absent), 1 s when absent, at most [`MAX_RETRY_AFTER`].
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(1), Duration::from_secs)
        .min(MAX_RETRY_AFTER)
}

/// HTTP client for one log.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
}

fn err(e: impl std::fmt::Display) -> ServerError {
    ServerError::Client(e.to_string())
}

/// No answer (connection refused or reset, time-out).
fn unreachable(request: &str, e: &reqwest::Error) -> ServerError {
    ServerError::Unreachable(format!("{request}: {e}"))
}

/// An error status, with the message of the server's `{"error": ...}` body (or the body).
fn status_error(request: String, status: reqwest::StatusCode, body: &[u8]) -> ServerError {
    let message = serde_json::from_slice::<crate::api::ErrorBody>(body)
        .map(|b| b.error)
        .unwrap_or_else(|_| String::from_utf8_lossy(body).trim().to_owned());
    ServerError::Status {
        request,
        status: status.as_u16(),
        message,
    }
}

/// `builder` trusting only the certificates of the PEM file `ca` (a private CA or a self-signed
/// server certificate), or unchanged (the system's roots) without one.
///
/// # Errors
///
/// [`ServerError::Io`] if `ca` cannot be read, [`ServerError::Client`] if it holds no PEM
/// certificate.
pub fn trusting(
    builder: reqwest::ClientBuilder,
    ca: Option<&std::path::Path>,
) -> Result<reqwest::ClientBuilder, ServerError> {
    let Some(ca) = ca else {
        return Ok(builder);
    };
    let pem = std::fs::read(ca).map_err(|source| ServerError::Io {
        path: ca.display().to_string(),
        source,
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| err(format!("{}: not a PEM certificate bundle: {e}", ca.display())))?;
    if certs.is_empty() {
        return Err(err(format!("{}: no CERTIFICATE block", ca.display())));
    }
    Ok(builder.tls_certs_only(certs))
}

/// Parses the base64 hashes of a served proof.
///
/// # Errors
///
/// [`ServerError::Client`] naming the first malformed hash.
pub fn parse_hashes(v: &[String]) -> Result<Vec<Hash>, ServerError> {
    v.iter()
        .map(|s| Hash::parse_hash(s).map_err(|_| err(format!("bad hash {s:?} in proof"))))
        .collect()
}

impl Client {
    /// A client for the log served at `base_url` (e.g. `http://127.0.0.1:8080`).
    ///
    /// # Errors
    ///
    /// [`ServerError::Client`] if the HTTP client cannot be built.
    pub fn new(base_url: &str) -> Result<Self, ServerError> {
        Self::with_ca(base_url, None)
    }

    /// A client for the log served at `base_url`; for an `https://` URL with `ca`, the server's
    /// certificate must chain to the certificates in that PEM file and to nothing else (without
    /// `ca`, to the system's roots).
    ///
    /// # Errors
    ///
    /// [`ServerError::Io`] if `ca` cannot be read, [`ServerError::Client`] if it holds no PEM
    /// certificate or the HTTP client cannot be built.
    pub fn with_ca(base_url: &str, ca: Option<&std::path::Path>) -> Result<Self, ServerError> {
        let http = trusting(
            reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .pool_max_idle_per_host(64),
            ca,
        )?
        .build()
        .map_err(err)?;
        Ok(Self {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
        })
    }

    /// `GET /{path}`; returns the body of the 200 answer, honouring a 429 as [`Self::polite`] says.
    async fn get(&self, path: &str) -> Result<Vec<u8>, ServerError> {
        let url = format!("{}/{path}", self.base);
        self.polite(format!("GET /{path}"), || self.http.get(&url)).await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ServerError> {
        serde_json::from_slice(&self.get(path).await?).map_err(|e| err(format!("GET /{path}: bad JSON: {e}")))
    }

    /// `POST /{path}` with `body`; returns the body of the 200 answer, honouring a 429 as
    /// [`Self::polite`] says.
    async fn post_polite(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, ServerError> {
        let url = format!("{}/{path}", self.base);
        self.polite(format!("POST /{path}"), || {
            self.http
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, OCTET_STREAM)
                .body(body.clone())
        })
        .await
    }

    /// Sends the request `build` makes and returns the body of its 200 answer. A `429 Too Many
    /// Requests` (the server's rate limit, which counts reads as well as writes) is honoured as a
    /// polite client should: the request is sent again after the `Retry-After` the server names
    /// (whole seconds; 1 s when absent, at most [`MAX_RETRY_AFTER`] each), up to
    /// [`RATE_LIMIT_RETRIES`] times, and then the 429 is returned. A monitor reading a day's
    /// tiles, or a simulation submitting one, thus slows to the server's pace instead of failing.
    async fn polite(
        &self,
        request: String,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, ServerError> {
        let mut retries = 0;
        loop {
            let mut r = build().send().await.map_err(|e| unreachable(&request, &e))?;
            let status = r.status();
            let wait = retry_after(r.headers());
            let too_long = || {
                err(format!(
                    "{request}: the answer is longer than {MAX_ANSWER_BYTES} bytes"
                ))
            };
            if r.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES as u64) {
                return Err(too_long());
            }
            let mut answer = Vec::new();
            while let Some(chunk) = r.chunk().await.map_err(|e| unreachable(&request, &e))? {
                if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(too_long());
                }
                answer.extend_from_slice(&chunk);
            }
            if status.is_success() {
                return Ok(answer);
            }
            if status != reqwest::StatusCode::TOO_MANY_REQUESTS || retries == RATE_LIMIT_RETRIES {
                return Err(status_error(request, status, &answer));
            }
            retries += 1;
            tokio::time::sleep(wait).await;
        }
    }

    /// Submits an entry; returns its index once the log has durably sequenced it.
    ///
    /// # Errors
    ///
    /// [`ServerError::Status`] with the server's message on any non-200 answer (a 429 only once
    /// [`RATE_LIMIT_RETRIES`] polite retries are spent), [`ServerError::Unreachable`] without an
    /// answer.
    pub async fn add(&self, entry: Vec<u8>) -> Result<u64, ServerError> {
        let body = self.post_polite("add", entry).await?;
        let a: AddResponse =
            serde_json::from_slice(&body).map_err(|e| err(format!("POST /add: bad JSON: {e}")))?;
        Ok(a.index)
    }

    /// Submits several entries in one `POST /add-batch` request; returns their indexes, in order,
    /// once the log has durably sequenced all of them.
    ///
    /// # Errors
    ///
    /// [`ServerError::Client`] if an entry is longer than 65 535 bytes, with the server's message
    /// on any non-200 answer, or if the answer does not hold one index per entry.
    pub async fn add_batch<E: AsRef<[u8]>>(&self, entries: &[E]) -> Result<Vec<u64>, ServerError> {
        let body = encode_bundle(entries.iter().map(AsRef::as_ref)).map_err(err)?;
        let body = self.post_polite("add-batch", body).await?;
        let a: AddBatchResponse =
            serde_json::from_slice(&body).map_err(|e| err(format!("POST /add-batch: bad JSON: {e}")))?;
        if a.indexes.len() != entries.len() {
            return Err(err(format!(
                "POST /add-batch: {} indexes for {} entries",
                a.indexes.len(),
                entries.len()
            )));
        }
        Ok(a.indexes)
    }

    /// The current signed checkpoint, unverified.
    ///
    /// # Errors
    ///
    /// [`ServerError::Client`] on failure.
    pub async fn checkpoint(&self) -> Result<Vec<u8>, ServerError> {
        self.get("checkpoint").await
    }

    /// A tile or entry bundle.
    ///
    /// # Errors
    ///
    /// [`ServerError::Client`] on failure.
    pub async fn tile(&self, tile: &TilePath) -> Result<Vec<u8>, ServerError> {
        self.get(&tile.to_path()).await
    }

    /// The entry at `index` as found in the entry bundle for a tree of `tree_size` entries
    /// (unverified: see [`Client::verify_entry`]).
    ///
    /// # Errors
    ///
    /// [`ServerError::Client`] if `index >= tree_size` or on failure.
    pub async fn entry(&self, index: u64, tree_size: u64) -> Result<Vec<u8>, ServerError> {
        let tile = TilePath::for_tree(TileKind::Entries, index / u64::from(TILE_WIDTH), tree_size)
            .filter(|_| index < tree_size)
            .ok_or_else(|| err(format!("entry {index} is not below tree size {tree_size}")))?;
        let mut entries = decode_bundle(&self.tile(&tile).await?).map_err(err)?;
        let i = (index % u64::from(TILE_WIDTH)) as usize;
        if entries.len() != tile.width() as usize {
            return Err(err(format!(
                "bundle {} has {} entries",
                tile.to_path(),
                entries.len()
            )));
        }
        Ok(entries.swap_remove(i))
    }

    /// The inclusion proof of `index` in the tree of `size` (default current) entries, unverified.
    ///
    /// # Errors
    ///
    /// [`ServerError::Client`] on failure.
    pub async fn inclusion(&self, index: u64, size: Option<u64>) -> Result<InclusionResponse, ServerError> {
        let q = size.map_or(String::new(), |s| format!("&size={s}"));
        self.get_json(&format!("proof/inclusion?index={index}{q}")).await
    }

    /// The consistency proof between trees of `old` and `new` (default current) entries, unverified.
    ///
    /// # Errors
    ///
    /// [`ServerError::Client`] on failure.
    pub async fn consistency(&self, old: u64, new: Option<u64>) -> Result<ConsistencyResponse, ServerError> {
        let q = new.map_or(String::new(), |s| format!("&new={s}"));
        self.get_json(&format!("proof/consistency?old={old}{q}")).await
    }

    /// The index of `entry` if it is in the log.
    ///
    /// # Errors
    ///
    /// [`ServerError::Client`] on failure (including "not found").
    pub async fn lookup(&self, entry: &[u8]) -> Result<u64, ServerError> {
        let h = record_hash(entry).to_string();
        let q: String = h
            .bytes()
            .map(|b| match b {
                b'+' => "%2B".to_string(),
                b'/' => "%2F".to_string(),
                b'=' => "%3D".to_string(),
                _ => (b as char).to_string(),
            })
            .collect();
        let a: AddResponse = self.get_json(&format!("lookup?hash={q}")).await?;
        Ok(a.index)
    }

    /// Fetches the checkpoint and checks its signature with `verifier_key`.
    ///
    /// # Errors
    ///
    /// [`ServerError::Log`] if the signature or format is bad.
    pub async fn verified_checkpoint(
        &self,
        verifier_key: &str,
    ) -> Result<(VerifiedCheckpoint, Vec<u8>), ServerError> {
        let note = self.checkpoint().await?;
        Ok((verify_checkpoint(&note, verifier_key)?, note))
    }

    /// Checks that `entry` is at `index` in the tree of the verified checkpoint `cp`, with a proof
    /// fetched from the server and checked against `cp`'s root (not the root the server sends).
    ///
    /// # Errors
    ///
    /// [`ServerError::Log`] if the proof does not verify.
    pub async fn verify_entry(
        &self,
        cp: &VerifiedCheckpoint,
        index: u64,
        entry: &[u8],
    ) -> Result<(), ServerError> {
        let p = self.inclusion(index, Some(cp.size)).await?;
        let proof = parse_hashes(&p.proof)?;
        merkle::verify_inclusion(&proof, cp.size, cp.root, index, record_hash(entry))?;
        Ok(())
    }

    /// Checks that the tree of verified checkpoint `new` extends that of verified checkpoint `old`.
    ///
    /// # Errors
    ///
    /// [`ServerError::Log`] if the proof does not verify or the roots differ for equal sizes.
    pub async fn verify_consistency(
        &self,
        old: &VerifiedCheckpoint,
        new: &VerifiedCheckpoint,
    ) -> Result<(), ServerError> {
        if old.size == 0 {
            return Ok(()); // The empty tree is a prefix of every tree.
        }
        if old.size > new.size {
            return Err(err(format!(
                "old checkpoint size {} exceeds new size {}",
                old.size, new.size
            )));
        }
        let p = self.consistency(old.size, Some(new.size)).await?;
        let proof = parse_hashes(&p.proof)?;
        merkle::verify_consistency(&proof, old.size, old.root, new.size, new.root)?;
        Ok(())
    }
}
