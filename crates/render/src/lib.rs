//! The render layer: how every file shieldwatch writes is encoded and put on disk.
//!
//! Libraries (`defence`, the CLI) build *typed* content — rows as `#[derive(Serialize)]` structs, GeoJSON
//! as `geojson` values, XML through [`xml::Doc`] — and hand it here. Every encoder returns a
//! [`Result`]; nothing is dropped on the way to the file. Output folders are written beside their final
//! place and swapped in whole ([`folder::write_folder`]).

pub mod csv;
pub mod folder;
pub mod map;
pub mod png;
pub mod xml;

/// What can go wrong while encoding or writing an output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A CSV row could not be encoded or written.
    #[error("CSV: {0}")]
    Csv(#[from] ::csv::Error),
    /// A JSON document could not be encoded.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Reading or writing a file failed. The OS error is part of the message and not also given as
    /// the error's `source`, so that a chain printed whole (`{:#}`) says it once.
    #[error("{path}: {error}")]
    Io {
        /// The file or folder concerned.
        path: std::path::PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// Anything else an encoder refuses (the message names it).
    #[error("{0}")]
    Other(String),
}

/// A file of an output folder: its name inside the folder and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// File name, without any directory part.
    pub name: String,
    /// The complete contents.
    pub bytes: Vec<u8>,
}

impl OutputFile {
    /// A file from its name and contents.
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            name: name.into(),
            bytes: bytes.into(),
        }
    }
}
