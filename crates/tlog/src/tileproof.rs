//! Inclusion and consistency proofs computed by a client from a log's hash tiles, as C2SP
//! tlog-tiles clients do (Go's `golang.org/x/mod/sumdb/tlog` `TileHashReader`, here the one of
//! `tlog_tiles`): a log served only as static tiles (a bucket, a CDN) needs no proof endpoint.
//!
//! The tiles are read through a [`TileSource`] and authenticated against the signed root of the
//! tree they are read for (`tlog_tiles::TileHashReader` recomputes that root from them): a tile
//! that does not belong to the tree is refused ([`Error::Verification`]), so a proof computed
//! here is made of hashes of that tree. The caller still verifies every proof it uses.

use tlog_tiles::{Tile, TileHashReader, TileReader};

use crate::error::{Error, Result};
use crate::merkle::Hash;
use crate::tiles::{TILE_HEIGHT, TilePath};

/// Where hash tiles come from: `fetch` returns the bytes of each tile asked for, in order.
pub trait TileSource {
    /// The bytes of each of `tiles` (hash tiles of level 0 and up), in order.
    ///
    /// # Errors
    ///
    /// Any failure to read them (passed on unchanged).
    fn fetch(&self, tiles: &[TilePath]) -> Result<Vec<Vec<u8>>>;
}

/// Adapts a [`TileSource`] to `tlog_tiles`, keeping the first error it gives (`tlog_tiles`
/// has no variant for "the store failed").
struct Reader<'a, S: TileSource + ?Sized> {
    src: &'a S,
    error: std::cell::RefCell<Option<Error>>,
}

impl<S: TileSource + ?Sized> TileReader for Reader<'_, S> {
    fn height(&self) -> u8 {
        TILE_HEIGHT
    }

    fn read_tiles(&self, tiles: &[Tile]) -> std::result::Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        let fetched = tiles
            .iter()
            .map(TilePath::from_go_tile)
            .collect::<Result<Vec<_>>>()
            .and_then(|paths| self.src.fetch(&paths));
        fetched.map_err(|e| {
            self.error.borrow_mut().get_or_insert(e);
            tlog_tiles::Error::InvalidTile
        })
    }

    fn save_tiles(&self, _tiles: &[Tile], _data: &[Vec<u8>]) {}
}

impl<S: TileSource + ?Sized> Reader<'_, S> {
    /// The error to report for `e`: the store's own, if it failed, else `e` in words.
    fn error(&self, what: &str, e: tlog_tiles::Error) -> Error {
        match self.error.borrow_mut().take() {
            Some(own) => own,
            None => match e {
                tlog_tiles::Error::InconsistentTile => Error::Verification(format!(
                    "{what}: the tiles do not hash to the signed root of the tree"
                )),
                other => Error::Verification(format!("{what}: {other}")),
            },
        }
    }
}

/// The inclusion proof of entry `index` in the tree of `size` entries with root `root`, from
/// its hash tiles.
///
/// # Errors
///
/// [`Error::OutOfRange`] unless `index < size`; the source's error if a tile cannot be read;
/// [`Error::Verification`] if the tiles do not belong to the tree.
pub fn prove_inclusion(
    src: &(impl TileSource + ?Sized),
    size: u64,
    root: Hash,
    index: u64,
) -> Result<Vec<Hash>> {
    if index >= size {
        return Err(Error::OutOfRange(format!(
            "index {index} is not below tree size {size}"
        )));
    }
    let reader = Reader {
        src,
        error: std::cell::RefCell::new(None),
    };
    let hashes = TileHashReader::new(size, root, &reader);
    tlog_tiles::prove_record(size, index, &hashes).map_err(|e| {
        reader.error(
            &format!("inclusion of entry {index} in the tree of size {size}"),
            e,
        )
    })
}

/// The consistency proof from the tree of `old` entries to the tree of `new` entries with root
/// `new_root`, from the newer tree's hash tiles.
///
/// # Errors
///
/// [`Error::OutOfRange`] unless `1 <= old <= new`; the source's error if a tile cannot be read;
/// [`Error::Verification`] if the tiles do not belong to the tree.
pub fn prove_consistency(
    src: &(impl TileSource + ?Sized),
    old: u64,
    new: u64,
    new_root: Hash,
) -> Result<Vec<Hash>> {
    if old == 0 || old > new {
        return Err(Error::OutOfRange(format!(
            "consistency needs 1 <= old ({old}) <= new ({new})"
        )));
    }
    let reader = Reader {
        src,
        error: std::cell::RefCell::new(None),
    };
    let hashes = TileHashReader::new(new, new_root, &reader);
    tlog_tiles::prove_tree(new, old, &hashes)
        .map_err(|e| reader.error(&format!("consistency of tree size {old} with {new}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::StorageError;
    use crate::merkle::{self, MemoryTree};
    use crate::tiles::TileKind;

    /// Hash tiles served from an in-memory tree (as the sequencer writes them), optionally with
    /// one hash altered.
    struct MemTiles {
        tree: MemoryTree,
        size: u64,
        corrupt: bool,
    }

    impl TileSource for MemTiles {
        fn fetch(&self, tiles: &[TilePath]) -> Result<Vec<Vec<u8>>> {
            tiles
                .iter()
                .map(|t| {
                    let TileKind::Hash { level } = t.kind() else {
                        return Err(Error::OutOfRange("not a hash tile".into()));
                    };
                    let go = tlog_tiles::Tile::new(TILE_HEIGHT, level, t.index(), t.width(), false);
                    let mut data = go.read_data(&self.tree)?;
                    if self.corrupt {
                        data[0] ^= 1;
                    }
                    assert!(t.within_tree(self.size));
                    Ok(data)
                })
                .collect()
        }
    }

    fn tree(n: u64) -> MemoryTree {
        let mut t = MemoryTree::new();
        for i in 0..n {
            t.push(format!("entry {i}").as_bytes()).unwrap();
        }
        t
    }

    #[test]
    fn proofs_from_tiles_equal_proofs_from_the_tree_and_verify() {
        let t = tree(70_000);
        for (old, new) in [
            (1, 2),
            (255, 256),
            (256, 257),
            (1000, 65_537),
            (65_536, 70_000),
            (70_000, 70_000),
        ] {
            let root = t.root(new).unwrap();
            let src = MemTiles {
                tree: t.clone(),
                size: new,
                corrupt: false,
            };
            let p = prove_consistency(&src, old, new, root).unwrap();
            assert_eq!(
                p,
                merkle::prove_consistency(old, new, &t).unwrap(),
                "{old} -> {new}"
            );
            merkle::verify_consistency(&p, old, t.root(old).unwrap(), new, root).unwrap();
            let i = old - 1;
            let p = prove_inclusion(&src, new, root, i).unwrap();
            assert_eq!(p, merkle::prove_inclusion(new, i, &t).unwrap());
        }
    }

    #[test]
    fn tiles_of_another_tree_or_a_failing_store_are_errors() {
        let t = tree(3000);
        let bad = MemTiles {
            tree: t.clone(),
            size: 3000,
            corrupt: true,
        };
        let e = prove_consistency(&bad, 10, 3000, t.root(3000).unwrap()).unwrap_err();
        assert!(matches!(e, Error::Verification(_)), "{e}");
        // The right tiles, the wrong root (another tree's).
        let good = MemTiles {
            tree: t.clone(),
            size: 3000,
            corrupt: false,
        };
        let e = prove_inclusion(&good, 3000, t.root(2999).unwrap(), 5).unwrap_err();
        assert!(matches!(e, Error::Verification(_)), "{e}");
        struct Down;
        impl TileSource for Down {
            fn fetch(&self, _: &[TilePath]) -> Result<Vec<Vec<u8>>> {
                Err(Error::Storage(StorageError::Corrupt("store down".into())))
            }
        }
        let e = prove_consistency(&Down, 1, 3000, t.root(3000).unwrap()).unwrap_err();
        assert!(
            matches!(e, Error::Storage(StorageError::Corrupt(ref m)) if m == "store down"),
            "{e}"
        );
        assert!(prove_consistency(&good, 0, 3000, t.root(3000).unwrap()).is_err());
        assert!(prove_inclusion(&good, 3000, t.root(3000).unwrap(), 3000).is_err());
    }
}
