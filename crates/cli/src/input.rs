//! Reading the files a user names, with bounds: a file that never ends (`/dev/zero`, an endless
//! pipe) or is far larger than its kind can be is refused with an error naming it, instead of
//! taking all of the machine's memory.

use std::io::{BufRead, Read};
use std::path::Path;

use anyhow::{Context, bail};

/// The most an evidence bundle file may hold (bytes). A bundle holds every log entry from the
/// first through the accused one, about 1 kB each: this is a log of some four million entries.
pub(crate) const MAX_EVIDENCE_BYTES: u64 = 4 << 30;

/// The most a checkpoint file may hold (bytes): a signed note of a few lines with its
/// cosignatures is well under a kilobyte.
pub(crate) const MAX_CHECKPOINT_BYTES: u64 = 1 << 20;

/// Reads `path` whole, refusing it once it is longer than `limit` bytes (`what` names the kind
/// of file in the error: "a checkpoint").
pub(crate) fn read_bounded(path: &Path, limit: u64, what: &str) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    read_to_limit(std::io::BufReader::new(file), path, limit, what)
}

/// Reads the JSON object in `path` as text: leading whitespace is skipped without being kept,
/// and a file whose first other byte is not `{` is refused at once (so `/dev/zero` is refused
/// without being read on), as is one longer than `limit` bytes.
pub(crate) fn read_json_object(path: &Path, limit: u64, what: &str) -> anyhow::Result<String> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut r = std::io::BufReader::new(file);
    loop {
        let buf = r
            .fill_buf()
            .with_context(|| format!("reading {}", path.display()))?;
        let Some(blank) = buf
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        else {
            if buf.is_empty() {
                bail!("{} is empty: not {what}", path.display());
            }
            let n = buf.len();
            r.consume(n);
            continue;
        };
        if buf[blank] != b'{' {
            bail!("{} does not hold a JSON object: not {what}", path.display());
        }
        r.consume(blank);
        break;
    }
    let bytes = read_to_limit(r, path, limit, what)?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

fn read_to_limit(r: impl Read, path: &Path, limit: u64, what: &str) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    r.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() as u64 > limit {
        bail!(
            "{} is longer than {limit} bytes, more than {what} can be",
            path.display()
        );
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_reads_refuse_what_never_ends_or_is_not_an_object() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.json");
        std::fs::write(&f, "  \n {\"a\": 1}\n").unwrap();
        assert_eq!(read_json_object(&f, 100, "a bundle").unwrap(), "{\"a\": 1}\n");
        let e = read_json_object(&f, 5, "a bundle").unwrap_err().to_string();
        assert!(e.contains("longer than 5 bytes"), "{e}");
        std::fs::write(&f, " ".repeat(100_000)).unwrap();
        let e = read_json_object(&f, 10, "a bundle").unwrap_err().to_string();
        assert!(e.contains("is empty"), "{e}");
        std::fs::write(&f, "[1]").unwrap();
        let e = read_json_object(&f, 10, "a bundle").unwrap_err().to_string();
        assert!(e.contains("does not hold a JSON object"), "{e}");
        // A file that never ends: refused at its first byte, or at the limit.
        let zero = Path::new("/dev/zero");
        let e = read_json_object(zero, 1 << 20, "a bundle")
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not hold a JSON object"), "{e}");
        let e = read_bounded(zero, 1 << 20, "a checkpoint")
            .unwrap_err()
            .to_string();
        assert!(e.contains("longer than 1048576 bytes"), "{e}");
    }
}
