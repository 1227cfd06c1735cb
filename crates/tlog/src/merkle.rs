//! RFC 6962 (RFC 9162 §2.1) Merkle tree hashing, inclusion and consistency proofs.
//!
//! The hashing and proof algorithms are those of [`tlog_tiles`] (Cloudflare's port of
//! `golang.org/x/mod/sumdb/tlog`); this module checks the preconditions those functions assert on,
//! so no input reaches a panic, and reads hashes from the log's tiles.

use std::cell::RefCell;
use std::collections::HashMap;

use tlog_tiles::{HashReader, split_stored_hash_index};

pub use tlog_tiles::{EMPTY_HASH, HASH_SIZE, Hash, node_hash, record_hash, stored_hash_index};

use crate::error::{Error, Result};
use crate::storage::Storage;
use crate::tiles::{TILE_WIDTH, TileKind, TilePath};

/// Reads stored hashes (see [`stored_hash_index`]) of a tree from its hash tiles in a
/// [`Storage`], with an in-memory overlay for hashes not yet written (used by the sequencer while
/// it builds a batch).
///
/// Tiles are read as published for a tree of `tree_size` entries and cached. Tiles come from our
/// own storage and are trusted; use [`tlog_tiles::TileHashReader`] to read untrusted tiles.
pub struct StoredHashReader<'a> {
    storage: &'a dyn Storage,
    tree_size: u64,
    overlay: RefCell<HashMap<u64, Hash>>,
    cache: RefCell<HashMap<TilePath, std::rc::Rc<Vec<u8>>>>,
}

impl<'a> StoredHashReader<'a> {
    /// A reader for the tree of `tree_size` entries whose tiles are in `storage`.
    pub fn new(storage: &'a dyn Storage, tree_size: u64) -> Self {
        Self {
            storage,
            tree_size,
            overlay: RefCell::default(),
            cache: RefCell::default(),
        }
    }

    /// Adds a stored hash that is not (yet) in the tiles.
    pub fn insert(&self, index: u64, hash: Hash) {
        self.overlay.borrow_mut().insert(index, hash);
    }

    /// Reads one tile, checking its length.
    fn tile(&self, tile: TilePath) -> std::result::Result<std::rc::Rc<Vec<u8>>, tlog_tiles::Error> {
        if let Some(t) = self.cache.borrow().get(&tile) {
            return Ok(t.clone());
        }
        let data = self
            .storage
            .get_object(&tile.to_path())
            .map_err(|e| tlog_tiles::Error::InvalidInput(format!("reading {}: {e}", tile.to_path())))?
            .ok_or_else(|| tlog_tiles::Error::InvalidInput(format!("tile {} is missing", tile.to_path())))?;
        if data.len() != tile.width() as usize * HASH_SIZE {
            return Err(tlog_tiles::Error::InvalidInput(format!(
                "tile {} has {} bytes, expected {}",
                tile.to_path(),
                data.len(),
                tile.width() as usize * HASH_SIZE
            )));
        }
        let data = std::rc::Rc::new(data);
        self.cache.borrow_mut().insert(tile, data.clone());
        Ok(data)
    }

    fn read_one(&self, index: u64) -> std::result::Result<Hash, tlog_tiles::Error> {
        if let Some(h) = self.overlay.borrow().get(&index) {
            return Ok(*h);
        }
        let (level, k) = split_stored_hash_index(index);
        let (tile_level, r) = (level / 8, u32::from(level % 8));
        // The node spans nodes [k << r, (k+1) << r) of tree level 8·tile_level, all in one tile.
        let start = k.checked_shl(r).ok_or(tlog_tiles::Error::IndexesNotInTree)?;
        let end = (k + 1)
            .checked_shl(r)
            .ok_or(tlog_tiles::Error::IndexesNotInTree)?;
        let kind = TileKind::Hash { level: tile_level };
        let n = start / u64::from(TILE_WIDTH);
        let tile = TilePath::for_tree(kind, n, self.tree_size).ok_or(tlog_tiles::Error::IndexesNotInTree)?;
        let first = n * u64::from(TILE_WIDTH);
        if end > first + u64::from(tile.width()) {
            return Err(tlog_tiles::Error::IndexesNotInTree);
        }
        let data = self.tile(tile)?;
        let (a, b) = (
            (start - first) as usize * HASH_SIZE,
            (end - first) as usize * HASH_SIZE,
        );
        Ok(tlog_tiles::Tile::subtree_hash(&data[a..b]))
    }
}

impl HashReader for StoredHashReader<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, tlog_tiles::Error> {
        indexes.iter().map(|&i| self.read_one(i)).collect()
    }
}

/// The RFC 6962 root hash of the first `size` entries, from hashes in `r`.
///
/// # Errors
///
/// [`Error::Tree`] if hashes are missing.
pub fn tree_root(size: u64, r: &impl HashReader) -> Result<Hash> {
    // tree_hash asserts that the reader returns as many hashes as asked for; ours always does.
    Ok(tlog_tiles::tree_hash(size, r)?)
}

/// The inclusion proof (RFC 6962 §2.1.1 audit path) of entry `index` in the tree of `size`
/// entries.
///
/// # Errors
///
/// [`Error::OutOfRange`] unless `index < size`; [`Error::Tree`] if hashes are missing.
pub fn prove_inclusion(size: u64, index: u64, r: &impl HashReader) -> Result<Vec<Hash>> {
    if index >= size {
        return Err(Error::OutOfRange(format!(
            "index {index} is not below tree size {size}"
        )));
    }
    Ok(tlog_tiles::prove_record(size, index, r)?)
}

/// Checks that `proof` shows the entry with leaf hash `leaf` (see [`record_hash`]) at `index` in
/// the tree of `size` entries with root `root`.
///
/// # Errors
///
/// [`Error::OutOfRange`] unless `index < size`; [`Error::Verification`] if the proof fails.
pub fn verify_inclusion(proof: &[Hash], size: u64, root: Hash, index: u64, leaf: Hash) -> Result<()> {
    if index >= size {
        return Err(Error::OutOfRange(format!(
            "index {index} is not below tree size {size}"
        )));
    }
    // A valid proof has at most one hash per tree level; refuse longer ones before recursing.
    if proof.len() > 64 {
        return Err(Error::Verification(
            "inclusion proof longer than 64 hashes".into(),
        ));
    }
    tlog_tiles::check_record(&proof.to_vec(), size, root, index, leaf)
        .map_err(|e| Error::Verification(format!("inclusion of entry {index} in tree of size {size}: {e}")))
}

/// The consistency proof (RFC 6962 §2.1.2) that the tree of `new` entries extends the tree of
/// `old` entries.
///
/// # Errors
///
/// [`Error::OutOfRange`] unless `1 <= old <= new`; [`Error::Tree`] if hashes are missing.
pub fn prove_consistency(old: u64, new: u64, r: &impl HashReader) -> Result<Vec<Hash>> {
    if old == 0 || old > new {
        return Err(Error::OutOfRange(format!(
            "consistency needs 1 <= old ({old}) <= new ({new})"
        )));
    }
    Ok(tlog_tiles::prove_tree(new, old, r)?)
}

/// Checks that `proof` shows the tree (`new`, `new_root`) extends the tree (`old`, `old_root`).
///
/// # Errors
///
/// [`Error::OutOfRange`] unless `1 <= old <= new`; [`Error::Verification`] if the proof fails.
pub fn verify_consistency(proof: &[Hash], old: u64, old_root: Hash, new: u64, new_root: Hash) -> Result<()> {
    if old == 0 || old > new {
        return Err(Error::OutOfRange(format!(
            "consistency needs 1 <= old ({old}) <= new ({new})"
        )));
    }
    if proof.len() > 128 {
        return Err(Error::Verification(
            "consistency proof longer than 128 hashes".into(),
        ));
    }
    tlog_tiles::check_tree(&proof.to_vec(), new, new_root, old, old_root)
        .map_err(|e| Error::Verification(format!("consistency of tree size {old} with {new}: {e}")))
}

/// An in-memory tree, for tests and small tools: all stored hashes in a vector.
#[derive(Debug, Default, Clone)]
pub struct MemoryTree {
    hashes: Vec<Hash>,
    size: u64,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an entry; returns its index.
    ///
    /// # Errors
    ///
    /// [`Error::Tree`] only if the tree is internally inconsistent.
    pub fn push(&mut self, entry: &[u8]) -> Result<u64> {
        self.push_record_hash(tlog_tiles::record_hash(entry))
    }

    /// Appends an entry given by its leaf hash ([`record_hash`], which callers may compute for
    /// many entries in parallel); returns its index.
    ///
    /// # Errors
    ///
    /// [`Error::Tree`] only if the tree is internally inconsistent.
    pub fn push_record_hash(&mut self, leaf: Hash) -> Result<u64> {
        let n = self.size;
        let new = tlog_tiles::stored_hashes_for_record_hash(n, leaf, self)?;
        self.hashes.extend(new);
        self.size += 1;
        Ok(n)
    }

    /// Number of entries.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Root hash of the first `size` entries.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `size` exceeds the tree.
    pub fn root(&self, size: u64) -> Result<Hash> {
        if size > self.size {
            return Err(Error::OutOfRange(format!("size {size} exceeds {}", self.size)));
        }
        tree_root(size, self)
    }
}

impl HashReader for MemoryTree {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.hashes.get(i).copied())
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// RFC 6962 §2.1 MTH, written directly from the definition as an independent reference.
    fn mth(leaves: &[Vec<u8>]) -> [u8; 32] {
        match leaves.len() {
            0 => Sha256::digest(b"").into(),
            1 => Sha256::new()
                .chain_update([0u8])
                .chain_update(&leaves[0])
                .finalize()
                .into(),
            n => {
                let k = n.next_power_of_two() / 2;
                let (l, r) = (mth(&leaves[..k]), mth(&leaves[k..]));
                Sha256::new()
                    .chain_update([1u8])
                    .chain_update(l)
                    .chain_update(r)
                    .finalize()
                    .into()
            }
        }
    }

    #[test]
    fn rfc6962_vectors() {
        assert_eq!(EMPTY_HASH.0, mth(&[]));
        // SHA-256(0x00): the leaf hash of the empty entry (RFC 6962 test data, CT's merkle_tree_test).
        assert_eq!(
            record_hash(b"").to_string(),
            tlog_tiles::Hash(hex32(
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
            ))
            .to_string()
        );
    }

    fn hex32(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn roots_and_proofs_agree_with_the_definition() {
        let leaves: Vec<Vec<u8>> = (0..70u32).map(|i| format!("entry {i}").into_bytes()).collect();
        let mut t = MemoryTree::new();
        for l in &leaves {
            t.push(l).unwrap();
        }
        for size in 0..=70u64 {
            let root = t.root(size).unwrap();
            assert_eq!(root.0, mth(&leaves[..size as usize]), "size {size}");
            for index in 0..size {
                let p = prove_inclusion(size, index, &t).unwrap();
                verify_inclusion(&p, size, root, index, record_hash(&leaves[index as usize])).unwrap();
                assert!(verify_inclusion(&p, size, root, index, record_hash(b"other")).is_err());
                if size > 1 {
                    assert!(
                        verify_inclusion(
                            &p,
                            size,
                            root,
                            (index + 1) % size,
                            record_hash(&leaves[index as usize])
                        )
                        .is_err()
                    );
                }
            }
            for old in 1..=size {
                let p = prove_consistency(old, size, &t).unwrap();
                verify_consistency(&p, old, t.root(old).unwrap(), size, root).unwrap();
                if old < size {
                    assert!(verify_consistency(&p, old, record_hash(b"x"), size, root).is_err());
                }
            }
        }
        assert!(prove_inclusion(5, 5, &t).is_err());
        assert!(prove_consistency(0, 5, &t).is_err());
        assert!(prove_consistency(6, 5, &t).is_err());
        assert!(verify_inclusion(&[], 5, EMPTY_HASH, 9, EMPTY_HASH).is_err());
        assert!(verify_consistency(&[EMPTY_HASH; 200], 1, EMPTY_HASH, 5, EMPTY_HASH).is_err());
    }
}
