//! Tile and entry-bundle coordinates and encodings, per c2sp.org/tlog-tiles.
//!
//! # Format
//!
//! - Hash tile: `tile/<L>/<N>[.p/<W>]`, the `W` hashes (32 bytes each, concatenated) of tree level
//!   `8·L`, nodes `256·N .. 256·N+W`. A full tile has `W = 256` and no `.p/` suffix.
//! - Entry bundle: `tile/entries/<N>[.p/<W>]`, entries `256·N .. 256·N+W`, each as a 16-bit
//!   big-endian length followed by that many bytes.
//! - `<N>` is written in groups of three decimal digits, all but the last prefixed with `x`:
//!   1234067 is `x001/x234/067`.
//!
//! The `golang.org/x/mod/sumdb/tlog` layout (`tile/8/<L>/<N>`, `tile/8/data/<N>`) differs only in
//! the leading height element and the data-tile name; [`TilePath::to_go_tile`] converts.

use crate::error::{Error, Result};

/// Tile height: each tile spans 8 tree levels (c2sp.org/tlog-tiles fixes it).
pub const TILE_HEIGHT: u8 = 8;
/// Full tile width, in hashes or entries: 2^[`TILE_HEIGHT`] = 256.
pub const TILE_WIDTH: u32 = 256;
/// Largest entry an entry bundle can hold, in bytes (16-bit length prefix).
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;
/// Highest tile level: levels above 63 cannot occur in a tree of at most 2^64 leaves.
pub const MAX_TILE_LEVEL: u8 = 63;

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TileKind {
    /// Hashes of tree level `8·level`.
    Hash {
        /// Tile level `L` (0 = leaf hashes).
        level: u8,
    },
    /// Log entries (an entry bundle).
    Entries,
}

/// The coordinates of one hash tile or entry bundle: what it holds, its index `N` within its
/// level, and its width `W` (1..=256; 256 means full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TilePath {
    kind: TileKind,
    index: u64,
    width: u32,
}

impl TilePath {
    /// A tile of the given kind, index and width.
    ///
    /// # Errors
    ///
    /// [`Error::BadTilePath`] if `width` is not in 1..=256, or a hash tile's level exceeds 63.
    pub fn new(kind: TileKind, index: u64, width: u32) -> Result<Self> {
        let bad = |reason| Error::BadTilePath {
            path: format!("{kind:?}/{index}/{width}"),
            reason,
        };
        if !(1..=TILE_WIDTH).contains(&width) {
            return Err(bad("width must be 1..=256"));
        }
        if let TileKind::Hash { level } = kind
            && level > MAX_TILE_LEVEL
        {
            return Err(bad("level must be 0..=63"));
        }
        Ok(Self { kind, index, width })
    }

    /// What this tile holds.
    pub fn kind(&self) -> TileKind {
        self.kind
    }

    /// The tile's index `N` within its level.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The tile's width `W`, in hashes or entries (256 when full).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Whether the tile is full (width 256). Full tiles never change; partial tiles are replaced
    /// by wider ones as the log grows.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// Number of nodes (hashes or entries) that exist at this tile's level in a tree of
    /// `tree_size` leaves.
    fn nodes_at_level(kind: TileKind, tree_size: u64) -> u64 {
        match kind {
            TileKind::Entries => tree_size,
            TileKind::Hash { level } => tree_size.checked_shr(u32::from(level) * 8).unwrap_or(0),
        }
    }

    /// The tile of `kind` and `index` as published for a tree of `tree_size` leaves: full if
    /// complete, else partial with the width the tree gives it; `None` if that tree has no node in
    /// the tile.
    pub fn for_tree(kind: TileKind, index: u64, tree_size: u64) -> Option<Self> {
        let nodes = Self::nodes_at_level(kind, tree_size);
        let start = index.checked_mul(u64::from(TILE_WIDTH))?;
        if nodes <= start {
            return None;
        }
        let width = (nodes - start).min(u64::from(TILE_WIDTH)) as u32;
        Some(Self { kind, index, width })
    }

    /// Whether every node in this tile belongs to a tree of `tree_size` leaves, so the tile can be
    /// served to clients holding a checkpoint of that size or larger.
    pub fn within_tree(&self, tree_size: u64) -> bool {
        let nodes = Self::nodes_at_level(self.kind, tree_size);
        self.index
            .checked_mul(u64::from(TILE_WIDTH))
            .and_then(|s| s.checked_add(u64::from(self.width)))
            .is_some_and(|end| end <= nodes)
    }

    /// The tile's path relative to the log's prefix, e.g. `tile/0/x001/234.p/5` or
    /// `tile/entries/000`, per c2sp.org/tlog-tiles.
    pub fn to_path(&self) -> String {
        let mut n = self.index;
        let mut digits = format!("{:03}", n % 1000);
        while n >= 1000 {
            n /= 1000;
            digits = format!("x{:03}/{digits}", n % 1000);
        }
        let level = match self.kind {
            TileKind::Entries => "entries".to_string(),
            TileKind::Hash { level } => level.to_string(),
        };
        if self.is_full() {
            format!("tile/{level}/{digits}")
        } else {
            format!("tile/{level}/{digits}.p/{}", self.width)
        }
    }

    /// Parses a tile path as produced by [`TilePath::to_path`]. Only the canonical spelling is
    /// accepted (no leading zeros in `L` or `W`, three-digit groups, `x` prefixes).
    ///
    /// # Errors
    ///
    /// [`Error::BadTilePath`] naming what is wrong.
    pub fn parse(path: &str) -> Result<Self> {
        let bad = |reason| Error::BadTilePath {
            path: path.chars().take(100).collect(),
            reason,
        };
        // Longest valid path: "tile/entries/" + 7 groups of "xNNN/" + "NNN.p/255".
        if path.len() > 64 {
            return Err(bad("path too long"));
        }
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| bad("must start with tile/"))?;
        let (level_str, rest) = rest.split_once('/').ok_or_else(|| bad("missing tile index"))?;
        let kind = if level_str == "entries" {
            TileKind::Entries
        } else {
            let level: u8 = level_str
                .parse()
                .map_err(|_| bad("level must be 0..=63 or entries"))?;
            TileKind::Hash { level }
        };
        let (digits, width) = match rest.split_once(".p/") {
            Some((d, w)) => {
                let w: u32 = w.parse().map_err(|_| bad("partial width must be 1..=255"))?;
                if !(1..TILE_WIDTH).contains(&w) {
                    return Err(bad("partial width must be 1..=255"));
                }
                (d, w)
            }
            None => (rest, TILE_WIDTH),
        };
        let groups: Vec<&str> = digits.split('/').collect();
        let mut index: u64 = 0;
        for (i, g) in groups.iter().enumerate() {
            let last = i + 1 == groups.len();
            let g = if last {
                *g
            } else {
                g.strip_prefix('x')
                    .ok_or_else(|| bad("index groups other than the last need an x prefix"))?
            };
            if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("index groups must be three decimal digits"));
            }
            let v: u64 = g.parse().map_err(|_| bad("bad index digits"))?;
            index = index
                .checked_mul(1000)
                .and_then(|x| x.checked_add(v))
                .ok_or_else(|| bad("index overflows 64 bits"))?;
        }
        let tile = Self::new(kind, index, width).map_err(|_| bad("level must be 0..=63"))?;
        if tile.to_path() != path {
            return Err(bad("not in canonical form"));
        }
        Ok(tile)
    }

    /// The same tile in `golang.org/x/mod/sumdb/tlog` and [`tlog_tiles`] terms (height 8; entry
    /// bundles are "data" tiles).
    pub fn to_go_tile(&self) -> tlog_tiles::Tile {
        match self.kind {
            TileKind::Hash { level } => {
                tlog_tiles::Tile::new(TILE_HEIGHT, level, self.index, self.width, false)
            }
            TileKind::Entries => tlog_tiles::Tile::new(TILE_HEIGHT, 0, self.index, self.width, true),
        }
    }

    /// The tile for a [`tlog_tiles::Tile`] of height 8.
    ///
    /// # Errors
    ///
    /// [`Error::BadTilePath`] if the tile's height is not 8.
    pub fn from_go_tile(t: &tlog_tiles::Tile) -> Result<Self> {
        if t.height() != TILE_HEIGHT {
            return Err(Error::BadTilePath {
                path: t.path(),
                reason: "tile height must be 8",
            });
        }
        let kind = if t.is_data() {
            TileKind::Entries
        } else {
            TileKind::Hash { level: t.level() }
        };
        Self::new(kind, t.level_index(), t.width())
    }
}

/// Encodes entries as an entry bundle (16-bit big-endian length, then the bytes, per entry).
///
/// # Errors
///
/// [`Error::EntrySize`] if an entry is longer than 65 535 bytes.
pub fn encode_bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len()).map_err(|_| Error::EntrySize {
            len: e.len(),
            max: MAX_ENTRY_BYTES,
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Decodes an entry bundle into its entries.
///
/// # Errors
///
/// [`Error::BadBundle`] if the bundle is truncated, or holds more than 256 entries.
pub fn decode_bundle(data: &[u8]) -> Result<Vec<Vec<u8>>> {
    Ok(bundle_ranges(data)?
        .into_iter()
        .map(|r| data[r].to_vec())
        .collect())
}

/// Where each entry of an entry bundle lies in it (byte ranges of `data`, in order), for a
/// reader that keeps the bundle and borrows or slices its entries rather than copying them;
/// [`decode_bundle`] copies them.
///
/// # Errors
///
/// [`Error::BadBundle`] if the bundle is truncated, or holds more than 256 entries.
pub fn bundle_ranges(data: &[u8]) -> Result<Vec<std::ops::Range<usize>>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(rest) = data.get(at..).filter(|r| !r.is_empty()) {
        let [a, b, rest @ ..] = rest else {
            return Err(Error::BadBundle("truncated length prefix"));
        };
        let len = usize::from(u16::from_be_bytes([*a, *b]));
        if rest.len() < len {
            return Err(Error::BadBundle("entry runs past the end of the bundle"));
        }
        out.push(at + 2..at + 2 + len);
        at += 2 + len;
        if out.len() > TILE_WIDTH as usize {
            return Err(Error::BadBundle("more than 256 entries"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        let cases = [
            (TileKind::Hash { level: 0 }, 0, 256, "tile/0/000"),
            (
                TileKind::Hash { level: 1 },
                1_234_067,
                5,
                "tile/1/x001/x234/067.p/5",
            ),
            (TileKind::Entries, 1000, 256, "tile/entries/x001/000"),
            (TileKind::Entries, 7, 255, "tile/entries/007.p/255"),
        ];
        for (kind, n, w, p) in cases {
            let t = TilePath::new(kind, n, w).unwrap();
            assert_eq!(t.to_path(), p);
            assert_eq!(TilePath::parse(p).unwrap(), t);
        }
    }

    #[test]
    fn malformed_paths_are_rejected() {
        for p in [
            "",
            "tile",
            "tile/0",
            "tile/0/1",
            "tile/00/000",
            "tile/64/000",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/07",
            "tile/0/001/000",
            "tile/0/x000/000",
            "tile/0/x1/000",
            "tile/data/000",
            "tile/entries/000.p/",
            "tiles/0/000",
            "tile/0/-01",
            "tile/0/x018/x446/x744/x073/x709/x551/616",
            "tile/0/000/",
        ] {
            assert!(TilePath::parse(p).is_err(), "{p} accepted");
        }
    }

    #[test]
    fn tiles_for_tree() {
        let h0 = TileKind::Hash { level: 0 };
        assert_eq!(TilePath::for_tree(h0, 0, 0), None);
        assert_eq!(TilePath::for_tree(h0, 0, 300).unwrap().width(), 256);
        assert_eq!(TilePath::for_tree(h0, 1, 300).unwrap().width(), 44);
        assert_eq!(
            TilePath::for_tree(TileKind::Hash { level: 1 }, 0, 70_000)
                .unwrap()
                .width(),
            256
        );
        let t = TilePath::new(h0, 1, 44).unwrap();
        assert!(t.within_tree(300) && !t.within_tree(299));
        assert!(
            !TilePath::new(TileKind::Hash { level: 63 }, u64::MAX, 256)
                .unwrap()
                .within_tree(u64::MAX)
        );
    }

    #[test]
    fn go_tiles_agree() {
        let t = TilePath::new(TileKind::Entries, 1_234_067, 3).unwrap();
        assert_eq!(t.to_go_tile().path(), "tile/8/data/x001/x234/067.p/3");
        assert_eq!(TilePath::from_go_tile(&t.to_go_tile()).unwrap(), t);
    }

    #[test]
    fn bundles_round_trip() {
        let entries: Vec<Vec<u8>> = vec![b"a".to_vec(), vec![7; 65_535], b"xyz".to_vec()];
        let b = encode_bundle(entries.iter().map(Vec::as_slice)).unwrap();
        assert_eq!(&b[..3], &[0, 1, b'a']);
        assert_eq!(decode_bundle(&b).unwrap(), entries);
        assert!(decode_bundle(&b[..b.len() - 1]).is_err());
        assert!(decode_bundle(&[0]).is_err());
        assert!(encode_bundle([vec![0u8; 65_536].as_slice()]).is_err());
    }

    #[test]
    fn bundle_ranges_locate_the_entries() {
        let entries: Vec<Vec<u8>> = vec![b"a".to_vec(), Vec::new(), vec![7; 300], b"xyz".to_vec()];
        let b = encode_bundle(entries.iter().map(Vec::as_slice)).unwrap();
        let ranges = bundle_ranges(&b).unwrap();
        assert_eq!(ranges, [2..3, 5..5, 7..307, 309..312]);
        let sliced: Vec<&[u8]> = ranges.into_iter().map(|r| &b[r]).collect();
        assert_eq!(sliced, entries.iter().map(Vec::as_slice).collect::<Vec<_>>());
        assert!(bundle_ranges(&[]).unwrap().is_empty());
        assert!(bundle_ranges(&b[..b.len() - 1]).is_err());
        assert!(bundle_ranges(&[0]).is_err());
        // 256 entries are a full bundle; 257 are refused.
        let full = encode_bundle(std::iter::repeat_n(&b"e"[..], 256)).unwrap();
        assert_eq!(bundle_ranges(&full).unwrap().len(), 256);
        let over = encode_bundle(std::iter::repeat_n(&b"e"[..], 257)).unwrap();
        assert!(bundle_ranges(&over).is_err());
    }
}
