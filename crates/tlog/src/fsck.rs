//! Checking a log at rest: every entry bundle, hash tile and checkpoint against the signed root.
//!
//! [`check`] trusts only the verifier key:
//!
//! 1. The committed checkpoint (in the sequencing state) must verify with the key and name the
//!    state's size and root.
//! 2. Every entry bundle of the tree is read and decoded (a missing, short or malformed bundle is
//!    damage); the entries' RFC 6962 leaf hashes are hashed up, tile by tile, into every hash tile
//!    the tree has (level 0 from the leaves, level L+1 from each full level-L tile), and into the
//!    tree's root.
//! 3. If that root is not the signed one, the entries changed: the first bundle whose leaf hashes
//!    differ from its stored level-0 tile is named (or, if every stored tile agrees with its
//!    bundle, the first bundle). Otherwise the entries are the signed ones, and the first stored
//!    hash tile that differs from its recomputed bytes is named.
//! 4. Older partial tiles and bundles still served to clients of older checkpoints (`.p/<W>` of a
//!    smaller width) must be prefixes of the current ones.
//! 5. The static `checkpoint` file must be the committed checkpoint, or (after a crash between
//!    commit and copy) an older checkpoint that verifies and whose root is the tree's root at its
//!    size.
//!
//! Objects beyond the committed tree (an uncommitted batch, removed at the next start) and the
//! temporary files of interrupted writes are counted, not judged. Memory is bounded by the tile
//! height: one tile of hashes per level.

use std::collections::HashMap;
use std::path::Path;

use crate::checkpoint::verify_checkpoint;
use crate::error::{Error, Result};
use crate::log::CHECKPOINT_PATH;
use crate::merkle::{self, HASH_SIZE, Hash, StoredHashReader, node_hash, record_hash};
use crate::storage::Storage;
use crate::tiles::{TILE_WIDTH, TileKind, TilePath, decode_bundle};

/// What [`check`] looked at in an intact log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FsckReport {
    /// Tree size of the committed checkpoint, in entries.
    pub size: u64,
    /// Entry bundles checked (of the current tree).
    pub bundles: u64,
    /// Hash tiles checked (of the current tree).
    pub tiles: u64,
    /// Older partial tiles and bundles checked as prefixes of current ones.
    pub older_partials: u64,
    /// Objects beyond the committed tree, left by a batch that never committed (removed when the
    /// log is next opened for writing).
    pub uncommitted: u64,
    /// Whether the static `checkpoint` file is an older (verified, consistent) checkpoint than the
    /// committed one (rewritten when the log is next opened for writing).
    pub stale_checkpoint_copy: bool,
}

/// The first damaged file found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct Damage {
    /// The file, relative to the log's public directory (`tile/0/000`, `checkpoint`), or the
    /// sequencing state.
    pub file: String,
    /// What is wrong with it.
    pub problem: String,
}

fn damage(file: impl Into<String>, problem: impl Into<String>) -> Damage {
    Damage {
        file: file.into(),
        problem: problem.into(),
    }
}

/// The RFC 6962 root of consecutive perfect subtrees, given left to right with non-increasing
/// power-of-two leaf counts. Empty input is not allowed (the caller handles size 0).
fn root_of_subtrees(subtrees: impl IntoIterator<Item = (u64, Hash)>) -> Hash {
    let mut stack: Vec<(u64, Hash)> = Vec::new();
    for s in subtrees {
        let mut top = s;
        while let Some(&(n, left)) = stack.last()
            && n == top.0
        {
            stack.pop();
            top = (2 * n, node_hash(left, top.1));
        }
        stack.push(top);
    }
    let mut it = stack.into_iter().rev();
    let Some((_, mut acc)) = it.next() else {
        return merkle::EMPTY_HASH;
    };
    for (_, left) in it {
        acc = node_hash(left, acc);
    }
    acc
}

fn concat(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

/// Tiles and bundles found on disk, by kind and index: their widths and paths.
type Listing = HashMap<(TileKind, u64), Vec<(u32, String)>>;

/// Lists the tile files under `public/tile`, skipping temporary files.
fn list_tiles(public: &Path) -> Result<(Listing, u64)> {
    let mut out = Listing::new();
    let mut temporary = 0;
    let root = public.join("tile");
    if !root.is_dir() {
        return Ok((out, 0));
    }
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(|e| io_error("list", &dir, e))?;
        for e in rd {
            let e = e.map_err(|e| io_error("list", &dir, e))?;
            let p = e.path();
            let ft = e.file_type().map_err(|e| io_error("stat", &p, e))?;
            if ft.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(public)
                .map_err(|_| Error::Verification(format!("{} is outside {}", p.display(), public.display())))?
                .to_string_lossy()
                .replace('\\', "/");
            if rel.contains(".tmp-") {
                temporary += 1;
                continue;
            }
            let t = TilePath::parse(&rel).map_err(|e| {
                Error::from(damage_error(damage(
                    rel.clone(),
                    format!("not a tile path ({e})"),
                )))
            })?;
            out.entry((t.kind(), t.index()))
                .or_default()
                .push((t.width(), rel));
        }
    }
    Ok((out, temporary))
}

fn io_error(op: &'static str, p: &Path, source: std::io::Error) -> Error {
    Error::Storage(crate::StorageError::Io {
        op,
        path: p.display().to_string(),
        source,
    })
}

/// A damage as a [`crate::StorageError::Corrupt`] (for errors found while listing).
fn damage_error(d: Damage) -> crate::StorageError {
    crate::StorageError::Corrupt(d.to_string())
}

/// Checks the log in `storage` (public files under `public`) against its signed checkpoint,
/// trusting only `verifier_key`. Returns `Ok(Err(damage))` naming the first damaged file.
///
/// # Errors
///
/// [`Error::Storage`] if storage cannot be read (not damage: a read failure), [`Error::BadKey`]
/// for a malformed key.
pub fn check(storage: &dyn Storage, public: &Path, verifier_key: &str) -> Result<Result<FsckReport, Damage>> {
    let state = storage.load_state()?;
    let state_file = crate::storage::STATE_FILE;
    let cp = match verify_checkpoint(&state.checkpoint, verifier_key) {
        Ok(cp) => cp,
        Err(Error::BadKey(k)) => return Err(Error::BadKey(k)),
        Err(e) => return Ok(Err(damage(state_file, format!("the committed checkpoint: {e}")))),
    };
    if cp.size != state.size || cp.root != state.root || cp.origin != state.origin {
        return Ok(Err(damage(
            state_file,
            format!(
                "the committed checkpoint is for {} size {} root {} but the state says {} size {} root {}",
                cp.origin, cp.size, cp.root, state.origin, state.size, state.root
            ),
        )));
    }
    let size = state.size;
    let (listing, _temporary) = match list_tiles(public) {
        Ok(l) => l,
        Err(Error::Storage(crate::StorageError::Corrupt(m))) => {
            let (file, problem) = m.split_once(": ").unwrap_or((&m, "unreadable"));
            return Ok(Err(damage(file, problem)));
        }
        Err(e) => return Err(e),
    };
    let mut report = FsckReport {
        size,
        ..FsckReport::default()
    };
    let mut checked: std::collections::HashSet<String> = std::collections::HashSet::new();

    // Bottom-up recomputation, one tile of hashes per level.
    let mut levels = Levels::default();
    let mut first_bundle_mismatch: Option<Damage> = None;
    let mut first_tile_damage: Option<Damage> = None;
    let mut first_partial_damage: Option<Damage> = None;
    let w = u64::from(TILE_WIDTH);
    let bundles = size.div_ceil(w);
    for n in 0..bundles {
        let Some(tile) = TilePath::for_tree(TileKind::Entries, n, size) else {
            break;
        };
        let path = tile.to_path();
        let Some(data) = storage.get_object(&path)? else {
            return Ok(Err(damage(path, "missing")));
        };
        let entries = match decode_bundle(&data) {
            Ok(e) => e,
            Err(e) => return Ok(Err(damage(path, e.to_string()))),
        };
        if entries.len() != tile.width() as usize {
            return Ok(Err(damage(
                path,
                format!("holds {} entries, expected {}", entries.len(), tile.width()),
            )));
        }
        report.bundles += 1;
        checked.insert(path.clone());
        // Older partial bundles of this index: their entries are the first ones of this bundle.
        for (wd, p) in listing.get(&(TileKind::Entries, n)).into_iter().flatten() {
            if *wd < tile.width() {
                let older = storage
                    .get_object(p)?
                    .ok_or_else(|| Error::Verification(format!("{p} vanished while checking")))?;
                match decode_bundle(&older) {
                    Ok(o) if o.as_slice() == &entries[..*wd as usize] => report.older_partials += 1,
                    // Judged only once the current bundles are known to hash to the signed root.
                    Ok(_) => {
                        first_partial_damage.get_or_insert_with(|| {
                            damage(p, "differs from the first entries of the current bundle")
                        });
                    }
                    Err(e) => return Ok(Err(damage(p, e.to_string()))),
                }
                checked.insert(p.clone());
            }
        }
        let leaves: Vec<Hash> = entries.iter().map(|e| record_hash(e)).collect();
        // The stored level-0 tile for this bundle, to tell a damaged bundle from a damaged tile.
        let t0 = TilePath::for_tree(TileKind::Hash { level: 0 }, n, size)
            .ok_or_else(|| Error::Verification(format!("no level-0 tile {n} in tree size {size}")))?;
        let stored0 = storage.get_object(&t0.to_path())?;
        if first_bundle_mismatch.is_none() && stored0.as_deref().is_some_and(|s| s != concat(&leaves)) {
            first_bundle_mismatch = Some(damage(
                path.clone(),
                "its entries do not hash to the stored level-0 tile nor to the signed root",
            ));
        }
        for h in leaves {
            levels.push(0, h, &mut |level, index, hashes| {
                judge_tile(
                    storage,
                    &listing,
                    &mut report,
                    &mut checked,
                    &mut first_tile_damage,
                    size,
                    level,
                    index,
                    hashes,
                )
            })?;
        }
    }
    // The partial tiles at the right edge.
    for (level, hashes) in levels.open.iter().enumerate() {
        if !hashes.is_empty() {
            let index = levels.full[level];
            judge_tile(
                storage,
                &listing,
                &mut report,
                &mut checked,
                &mut first_tile_damage,
                size,
                level,
                index,
                hashes,
            )?;
        }
    }
    let root = if size == 0 {
        merkle::EMPTY_HASH
    } else {
        root_of_subtrees(
            levels
                .open
                .iter()
                .enumerate()
                .rev()
                .flat_map(|(l, hs)| hs.iter().map(move |h| (1u64 << (8 * l), *h))),
        )
    };
    if root != state.root {
        let d = first_bundle_mismatch.unwrap_or_else(|| {
            damage(
                TilePath::for_tree(TileKind::Entries, 0, size)
                    .map_or_else(|| "tile/entries".into(), |t| t.to_path()),
                format!(
                    "the entry bundles hash to {root}, not to the signed root {}; no stored hash tile \
                     disagrees with its bundle, so bundles and tiles were changed together",
                    state.root
                ),
            )
        });
        return Ok(Err(d));
    }
    if let Some(d) = first_partial_damage.or(first_tile_damage) {
        return Ok(Err(d));
    }
    // Everything on disk not checked above: older partials of hash tiles were checked in
    // judge_tile; what is left is beyond the committed tree.
    for files in listing.values() {
        for (_, p) in files {
            if !checked.contains(p) {
                report.uncommitted += 1;
            }
        }
    }
    // The static checkpoint copy.
    match storage.get_object(CHECKPOINT_PATH)? {
        None => return Ok(Err(damage(CHECKPOINT_PATH, "missing"))),
        Some(c) if c == state.checkpoint => {}
        Some(c) => {
            let old = match verify_checkpoint(&c, verifier_key) {
                Ok(o) => o,
                Err(e) => return Ok(Err(damage(CHECKPOINT_PATH, e.to_string()))),
            };
            let reader = StoredHashReader::new(storage, size);
            let consistent = old.origin == state.origin
                && old.size <= size
                && merkle::tree_root(old.size, &reader).is_ok_and(|r| r == old.root);
            if !consistent {
                return Ok(Err(damage(
                    CHECKPOINT_PATH,
                    format!(
                        "a checkpoint for size {} root {} that is not the committed one nor a prefix of it",
                        old.size, old.root
                    ),
                )));
            }
            report.stale_checkpoint_copy = true;
        }
    }
    Ok(Ok(report))
}

/// The recomputed hashes of the tile being filled at each level, and the number of full tiles
/// completed per level (the index of the one being filled).
#[derive(Default)]
struct Levels {
    open: Vec<Vec<Hash>>,
    full: Vec<u64>,
}

impl Levels {
    /// Adds hash `h` at `level`; when the level's tile is full, hands it to `done` with its index
    /// and carries its subtree root up.
    fn push(
        &mut self,
        level: usize,
        h: Hash,
        done: &mut impl FnMut(usize, u64, &[Hash]) -> Result<()>,
    ) -> Result<()> {
        if self.open.len() <= level {
            self.open.resize_with(level + 1, Vec::new);
            self.full.resize(level + 1, 0);
        }
        self.open[level].push(h);
        if self.open[level].len() == TILE_WIDTH as usize {
            let tile = std::mem::take(&mut self.open[level]);
            done(level, self.full[level], &tile)?;
            self.full[level] += 1;
            let up = root_of_subtrees(tile.iter().map(|h| (1, *h)));
            self.push(level + 1, up, done)?;
        }
        Ok(())
    }
}

/// Compares the stored tile (and its older partials) with the recomputed `hashes`; records the
/// first difference in `first`.
#[allow(clippy::too_many_arguments)]
fn judge_tile(
    storage: &dyn Storage,
    listing: &Listing,
    report: &mut FsckReport,
    checked: &mut std::collections::HashSet<String>,
    first: &mut Option<Damage>,
    size: u64,
    level: usize,
    index: u64,
    hashes: &[Hash],
) -> Result<()> {
    let level8 = u8::try_from(level).map_err(|_| Error::Verification(format!("level {level}")))?;
    let kind = TileKind::Hash { level: level8 };
    let tile = TilePath::for_tree(kind, index, size)
        .filter(|t| t.width() as usize == hashes.len())
        .ok_or_else(|| {
            Error::Verification(format!("level {level} tile {index} is not in tree size {size}"))
        })?;
    let path = tile.to_path();
    let expected = concat(hashes);
    report.tiles += 1;
    checked.insert(path.clone());
    let problem = match storage.get_object(&path)? {
        None => Some("missing".to_owned()),
        Some(d) if d.len() != expected.len() => {
            Some(format!("{} bytes, expected {}", d.len(), expected.len()))
        }
        Some(d) if d != expected => {
            Some("its hashes differ from those recomputed from the entries".to_owned())
        }
        Some(_) => None,
    };
    if let Some(p) = problem
        && first.is_none()
    {
        *first = Some(damage(path, p));
    }
    for (w, p) in listing.get(&(kind, index)).into_iter().flatten() {
        if (*w as usize) < hashes.len() {
            checked.insert(p.clone());
            report.older_partials += 1;
            let d = storage
                .get_object(p)?
                .ok_or_else(|| Error::Verification(format!("{p} vanished while checking")))?;
            if d.as_slice() != &expected[..*w as usize * HASH_SIZE] && first.is_none() {
                *first = Some(damage(p, "differs from the first hashes of the current tile"));
            }
        }
    }
    Ok(())
}
