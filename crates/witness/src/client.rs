//! Client side of c2sp.org/tlog-witness: what a log calls to collect cosignatures.
//!
//! ```no_run
//! # async fn f(checkpoint: Vec<u8>, proof: Vec<tlog::Hash>) -> Result<(), Box<dyn std::error::Error>> {
//! let lines = witness::client::add_checkpoint("http://127.0.0.1:7380", 10, &proof, &checkpoint).await?;
//! let cosigned = witness::attach_cosignatures(&checkpoint, &lines)?;
//! let _time = witness::verify_cosignature(&cosigned, "witness.example/w1+1234abcd+B...")?;
//! # Ok(()) }
//! ```
//!
//! On 409 Conflict the witness's latest cosigned size comes back as
//! [`ClientError::Conflict`]; the log then sends a proof from that size instead
//! ([`add_checkpoint_with_retry`] does this once).

use std::time::Duration;

use tlog::Hash;

use crate::protocol::{CONTENT_TYPE_SIZE, encode_request, parse_cosignature_lines, parse_size};

/// Largest response body read from a witness, in bytes.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// What went wrong talking to a witness.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The request could not be sent or the answer not read.
    #[error("witness {url}: {message}")]
    Http {
        /// The URL called.
        url: String,
        /// What failed.
        message: String,
    },
    /// 409 Conflict: the witness's latest cosigned checkpoint for this log has another size.
    #[error("the witness's latest cosigned size is {latest}")]
    Conflict {
        /// That size.
        latest: u64,
    },
    /// Any other refusal (400, 403, 404, 422, 5xx...), with the witness's message.
    #[error("witness refused with {status}: {message}")]
    Rejected {
        /// HTTP status code.
        status: u16,
        /// The response body, as text.
        message: String,
    },
    /// The answer does not follow the protocol.
    #[error("malformed witness response: {0}")]
    BadResponse(String),
}

fn endpoint(url: &str) -> String {
    format!("{}/add-checkpoint", url.trim_end_matches('/'))
}

/// An error answer's body.
#[derive(serde::Deserialize)]
struct ErrorBody {
    error: String,
}

/// A default HTTP client (keep-alive, 30 s timeout).
///
/// # Errors
///
/// [`ClientError::Http`] if the client cannot be built.
pub fn http_client() -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| ClientError::Http {
            url: String::new(),
            message: e.to_string(),
        })
}

/// Sends `POST <url>/add-checkpoint` with `old <old_size>`, the consistency proof and the signed
/// checkpoint, and returns the cosignature lines (each `— <name> <base64>`, no newline).
///
/// # Errors
///
/// [`ClientError::Conflict`] on 409 with the witness's size, [`ClientError::Rejected`] on other
/// refusals, [`ClientError::Http`] or [`ClientError::BadResponse`] otherwise.
pub async fn add_checkpoint(
    url: &str,
    old_size: u64,
    proof: &[Hash],
    checkpoint: &[u8],
) -> Result<Vec<String>, ClientError> {
    add_checkpoint_with(&http_client()?, url, old_size, proof, checkpoint).await
}

/// As [`add_checkpoint`], with a caller's HTTP client (to reuse connections).
///
/// # Errors
///
/// As [`add_checkpoint`].
pub async fn add_checkpoint_with(
    http: &reqwest::Client,
    url: &str,
    old_size: u64,
    proof: &[Hash],
    checkpoint: &[u8],
) -> Result<Vec<String>, ClientError> {
    let target = endpoint(url);
    let http_err = |e: reqwest::Error| ClientError::Http {
        url: target.clone(),
        message: e.to_string(),
    };
    let mut resp = http
        .post(&target)
        .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(encode_request(old_size, proof, checkpoint))
        .send()
        .await
        .map_err(http_err)?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(http_err)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(ClientError::BadResponse(format!(
                "response larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    match status {
        200 => parse_cosignature_lines(&body).map_err(|e| ClientError::BadResponse(e.0)),
        409 => {
            let text = std::str::from_utf8(&body).unwrap_or("");
            let latest = text
                .strip_suffix('\n')
                .and_then(parse_size)
                .ok_or_else(|| ClientError::BadResponse(format!("409 body {text:?} is not `<size>\\n`")))?;
            if !content_type.starts_with(CONTENT_TYPE_SIZE) {
                tracing::debug!(%content_type, "409 without the text/x.tlog.size content type");
            }
            Err(ClientError::Conflict { latest })
        }
        // The witness's `{"error": message}`, or (another implementation) the body as text.
        _ => Err(ClientError::Rejected {
            status,
            message: serde_json::from_slice::<ErrorBody>(&body)
                .map(|b| b.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).trim_end().to_owned()),
        }),
    }
}

/// Submits a checkpoint, first with `old_size` and, if the witness answers 409 with another size,
/// once more with that size and the proof `prove(size)` returns. Use it when the log does not
/// know (or may have lost) the witness's state.
///
/// # Errors
///
/// As [`add_checkpoint`]; `prove`'s error as [`ClientError::Rejected`] with status 0.
pub async fn add_checkpoint_with_retry<F>(
    http: &reqwest::Client,
    url: &str,
    old_size: u64,
    checkpoint: &[u8],
    mut prove: F,
) -> Result<Vec<String>, ClientError>
where
    F: FnMut(u64) -> Result<Vec<Hash>, String>,
{
    let proof = prove(old_size).map_err(|message| ClientError::Rejected { status: 0, message })?;
    match add_checkpoint_with(http, url, old_size, &proof, checkpoint).await {
        Err(ClientError::Conflict { latest }) if latest != old_size => {
            let proof = prove(latest).map_err(|message| ClientError::Rejected { status: 0, message })?;
            add_checkpoint_with(http, url, latest, &proof, checkpoint).await
        }
        other => other,
    }
}
