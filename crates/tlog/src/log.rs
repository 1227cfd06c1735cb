//! The log itself: [`LogWriter`] appends batches durably, [`LogReader`] serves checkpoints,
//! tiles and proofs from the committed state.
//!
//! # Writing a batch (crash consistency)
//!
//! For a committed tree of `N` entries and a batch making it `N'`:
//!
//! 1. Duplicates are answered from the deduplication table; only new entries are sequenced.
//! 2. The intent `pending = N'` is committed (fsync). If we crash from here until step 5, the
//!    committed tree is still `N`, and recovery deletes every object written for sizes in
//!    `N+1..=N'`, so no tile of a tree that was never committed stays visible.
//! 3. New hash tiles and entry bundles (full and partial) are written, each atomically
//!    (temporary file, fsync, rename, fsync directory). Objects of tree `N` are never modified:
//!    full tiles are immutable and a partial tile of another width is another path.
//! 4. The checkpoint for `N'` is signed.
//! 5. State `N'`, root, checkpoint, `pending = 0` and the dedup records commit in one redb
//!    transaction (fsync). This is the linearisation point: the batch is in the log.
//! 6. The static copy of the checkpoint is rewritten (recovery rewrites it from the state too).
//! 7. Only now are the submitters acknowledged with their indexes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tlog_tiles::{HashReader as _, Tile};

use crate::checkpoint::LogSigner;
use crate::error::{Error, Result, StorageError};
use crate::merkle::{self, EMPTY_HASH, Hash, StoredHashReader, record_hash, stored_hash_index};
use crate::storage::{LogState, Object, Storage};
use crate::tiles::{TILE_HEIGHT, TILE_WIDTH, TileKind, TilePath, decode_bundle, encode_bundle};

/// Path of the checkpoint, per c2sp.org/tlog-tiles.
pub const CHECKPOINT_PATH: &str = "checkpoint";

/// The committed head of the log, as readers see it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Tree size, in entries.
    pub size: u64,
    /// RFC 6962 root hash.
    pub root: Hash,
    /// The signed checkpoint for `size` and `root`.
    pub checkpoint: Arc<Vec<u8>>,
}

impl From<&LogState> for Snapshot {
    fn from(s: &LogState) -> Self {
        Self {
            size: s.size,
            root: s.root,
            checkpoint: Arc::new(s.checkpoint.clone()),
        }
    }
}

/// Creates a new, empty log in `storage` with a signed checkpoint of size 0.
///
/// # Errors
///
/// [`StorageError::AlreadyInitialised`] (as [`Error::Storage`]) if a log exists there.
pub fn create_log(storage: &dyn Storage, signer: &LogSigner) -> Result<LogState> {
    let state = LogState {
        origin: signer.name().to_owned(),
        size: 0,
        root: EMPTY_HASH,
        checkpoint: signer.sign_checkpoint(0, EMPTY_HASH)?,
        pending_size: 0,
    };
    storage.create_state(&state)?;
    storage.put_objects(&[Object {
        path: CHECKPOINT_PATH.into(),
        data: state.checkpoint.clone(),
    }])?;
    Ok(state)
}

/// Every tile and entry bundle a tree of `new` entries has that a tree of `old` entries lacks
/// (with `old` = 0: every object a reader of the tree of `new` entries may fetch).
pub fn new_object_paths(old: u64, new: u64) -> Vec<TilePath> {
    let mut out = vec![];
    for t in Tile::new_tiles(TILE_HEIGHT, old, new) {
        if let Ok(p) = TilePath::from_go_tile(&t) {
            out.push(p);
            if let TileKind::Hash { level: 0 } = p.kind()
                && let Ok(b) = TilePath::new(TileKind::Entries, p.index(), p.width())
            {
                out.push(b);
            }
        }
    }
    out
}

/// The committed state of the log in `storage`, after removing the objects of an uncommitted
/// batch, checking the tiles against the committed root and rewriting the static checkpoint.
fn recover_state(storage: &dyn Storage, signer: &LogSigner) -> Result<LogState> {
    let mut state = storage.load_state()?;
    if state.origin != signer.name() {
        return Err(Error::BadKey(format!(
            "the key is named {:?} but the log's origin is {:?}",
            signer.name(),
            state.origin
        )));
    }
    if state.pending_size > state.size {
        // Crash recovery: a batch wrote objects but never committed. Remove them so that no
        // tile or bundle of an uncommitted tree is ever served; then clear the intent.
        let stale: Vec<String> = new_object_paths(state.size, state.pending_size)
            .iter()
            .map(TilePath::to_path)
            .collect();
        tracing::warn!(
            committed = state.size,
            pending = state.pending_size,
            objects = stale.len(),
            "recovering from an interrupted batch"
        );
        storage.delete_objects(&stale)?;
        storage.set_pending(state.size, 0)?;
        state.pending_size = 0;
    }
    // Check that the committed tiles really hash to the committed root.
    let reader = StoredHashReader::new(storage, state.size);
    let root = merkle::tree_root(state.size, &reader)?;
    if root != state.root {
        return Err(Error::Storage(StorageError::Corrupt(format!(
            "tiles hash to {root} but the checkpoint says {} for size {}",
            state.root, state.size
        ))));
    }
    // The static copy may be older than the state if we crashed between commit and copy.
    storage.put_objects(&[Object {
        path: CHECKPOINT_PATH.into(),
        data: state.checkpoint.clone(),
    }])?;
    Ok(state)
}

/// The single writer of a log. Not thread-safe by design: the [`crate::Sequencer`] owns it.
pub struct LogWriter {
    storage: Arc<dyn Storage>,
    signer: LogSigner,
    state: LogState,
    snapshot: Arc<RwLock<Snapshot>>,
}

impl std::fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogWriter")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl LogWriter {
    /// Opens the log in `storage` for writing and recovers from any crash: removes the objects of
    /// an uncommitted batch, checks that the tiles hash to the committed root, and rewrites the
    /// static checkpoint.
    ///
    /// # Errors
    ///
    /// [`Error::BadKey`] if the key's name is not the log's origin; [`Error::Storage`] or
    /// [`Error::Tree`] if the state is missing or the tiles do not match it.
    pub fn open(storage: Arc<dyn Storage>, signer: LogSigner) -> Result<Self> {
        let state = recover_state(storage.as_ref(), &signer)?;
        let snapshot = Arc::new(RwLock::new(Snapshot::from(&state)));
        Ok(Self {
            storage,
            signer,
            state,
            snapshot,
        })
    }

    /// As [`LogWriter::open`], for an instance that already serves `reader` (a follower of shared
    /// storage, see [`LogReader::follow`]) and now becomes the log's writer: the writer publishes
    /// its commits to that reader's handles.
    ///
    /// # Errors
    ///
    /// As [`LogWriter::open`].
    pub fn open_following(storage: Arc<dyn Storage>, signer: LogSigner, reader: &LogReader) -> Result<Self> {
        let state = recover_state(storage.as_ref(), &signer)?;
        let w = Self {
            storage,
            signer,
            state,
            snapshot: reader.snapshot.clone(),
        };
        publish(&w.snapshot, Snapshot::from(&w.state));
        Ok(w)
    }

    /// After a failed [`LogWriter::append`] (a full disk, a storage fault), brings the writer back
    /// to what storage holds, exactly as [`LogWriter::open`] does after a crash: the objects of
    /// the uncommitted batch are removed, the tiles are checked against the committed root, and
    /// the static checkpoint is rewritten. Readers keep their handle and see the recovered state.
    ///
    /// # Errors
    ///
    /// As [`LogWriter::open`]; the writer is then unchanged and may be recovered again later
    /// (for example once space is freed).
    pub fn recover(&mut self) -> Result<()> {
        let state = recover_state(self.storage.as_ref(), &self.signer)?;
        publish(&self.snapshot, Snapshot::from(&state));
        self.state = state;
        Ok(())
    }

    /// The committed state.
    pub fn state(&self) -> &LogState {
        &self.state
    }

    /// A reader that follows this writer's commits.
    pub fn reader(&self) -> LogReader {
        LogReader {
            storage: self.storage.clone(),
            snapshot: self.snapshot.clone(),
        }
    }

    /// Appends a batch durably (see the module documentation for the steps) and returns each
    /// entry's index, in order. An entry already in the log, or repeated within the batch, gets
    /// the index it already has.
    ///
    /// Entries must be 1..=65 535 bytes; callers validate earlier to reject them individually.
    ///
    /// # Errors
    ///
    /// [`Error::EntrySize`] for a bad entry (nothing is written); storage or tree errors, after
    /// which the writer must be reopened, since what reached storage is unknown.
    pub fn append(&mut self, entries: &[Vec<u8>]) -> Result<Vec<u64>> {
        for e in entries {
            if e.is_empty() || e.len() > crate::tiles::MAX_ENTRY_BYTES {
                return Err(Error::EntrySize {
                    len: e.len(),
                    max: crate::tiles::MAX_ENTRY_BYTES,
                });
            }
        }
        let old = self.state.size;
        let hashes: Vec<Hash> = entries.iter().map(|e| record_hash(e)).collect();
        // Step 1: deduplicate against the committed log and within the batch.
        let known = self.storage.lookup(&hashes)?;
        let mut indexes = Vec::with_capacity(entries.len());
        let mut fresh: HashMap<[u8; 32], u64> = HashMap::new();
        let mut new_entries: Vec<(&[u8], Hash)> = vec![];
        for ((e, h), k) in entries.iter().zip(&hashes).zip(known) {
            let idx = match k {
                Some(i) => i,
                None => *fresh.entry(h.0).or_insert_with(|| {
                    new_entries.push((e, *h));
                    old + new_entries.len() as u64 - 1
                }),
            };
            indexes.push(idx);
        }
        if new_entries.is_empty() {
            return Ok(indexes);
        }
        let new = old + new_entries.len() as u64;

        // Step 2: durable intent, so recovery can remove this batch's objects if we crash.
        self.storage.set_pending(old, new)?;

        // Step 3: compute the new stored hashes and the tiles and bundles that change.
        let reader = StoredHashReader::new(self.storage.as_ref(), old);
        for (i, (_, h)) in new_entries.iter().enumerate() {
            let n = old + i as u64;
            let stored = tlog_tiles::stored_hashes_for_record_hash(n, *h, &reader)?;
            let base = stored_hash_index(0, n);
            for (j, s) in stored.into_iter().enumerate() {
                reader.insert(base + j as u64, s);
            }
        }
        let mut objects = vec![];
        for t in Tile::new_tiles(TILE_HEIGHT, old, new) {
            let tile = TilePath::from_go_tile(&t)?;
            let TileKind::Hash { level } = tile.kind() else {
                continue;
            };
            let first = tile.index() * u64::from(TILE_WIDTH);
            let idx: Vec<u64> = (0..u64::from(tile.width()))
                .map(|i| stored_hash_index(level * 8, first + i))
                .collect();
            let data: Vec<u8> = reader.read_hashes(&idx)?.iter().flat_map(|h| h.0).collect();
            objects.push(Object {
                path: tile.to_path(),
                data,
            });
            if level == 0 {
                // The bundle with the same index: committed entries from the old partial bundle,
                // then this batch's.
                let mut bundle_entries: Vec<Vec<u8>> = vec![];
                if first < old {
                    let prev = TilePath::for_tree(TileKind::Entries, tile.index(), old)
                        .ok_or_else(|| Error::Storage(StorageError::Corrupt("no previous bundle".into())))?;
                    let data = self.storage.get_object(&prev.to_path())?.ok_or_else(|| {
                        StorageError::Corrupt(format!("entry bundle {} is missing", prev.to_path()))
                    })?;
                    bundle_entries = decode_bundle(&data)?;
                    if bundle_entries.len() != prev.width() as usize {
                        return Err(StorageError::Corrupt(format!(
                            "entry bundle {} has the wrong width",
                            prev.to_path()
                        ))
                        .into());
                    }
                }
                let from = first.max(old);
                let to = first + u64::from(tile.width());
                let batch_part = new_entries[(from - old) as usize..(to - old) as usize]
                    .iter()
                    .map(|(e, _)| *e);
                let data = encode_bundle(bundle_entries.iter().map(Vec::as_slice).chain(batch_part))?;
                let path = TilePath::new(TileKind::Entries, tile.index(), tile.width())?.to_path();
                objects.push(Object { path, data });
            }
        }
        let root = merkle::tree_root(new, &reader)?;
        // Crash safety: all tiles and bundles are durable before the commit that covers them.
        self.storage.put_objects(&objects)?;

        // Step 4: sign.
        let checkpoint = self.signer.sign_checkpoint(new, root)?;
        let next = LogState {
            origin: self.state.origin.clone(),
            size: new,
            root,
            checkpoint,
            pending_size: 0,
        };

        // Step 5: commit. From here on, the batch is part of the log.
        let records: Vec<(Hash, u64)> = new_entries
            .iter()
            .enumerate()
            .map(|(i, (_, h))| (*h, old + i as u64))
            .collect();
        self.storage.commit(old, &next, &records)?;
        self.state = next;
        publish(&self.snapshot, Snapshot::from(&self.state));

        // Step 6: static copy of the checkpoint (not authoritative; recovery rewrites it).
        self.storage.put_objects(&[Object {
            path: CHECKPOINT_PATH.into(),
            data: self.state.checkpoint.clone(),
        }])?;
        Ok(indexes)
    }
}

/// Makes `snap` the head readers see, unless they already see a larger tree (on shared storage a
/// reader may have followed another writer's commits further): the head never goes back.
fn publish(snapshot: &RwLock<Snapshot>, snap: Snapshot) {
    let mut s = match snapshot.write() {
        Ok(s) => s,
        Err(p) => p.into_inner(),
    };
    if snap.size >= s.size {
        *s = snap;
    }
}

/// An inclusion proof as served: the entry `index` in the tree of `size` entries.
#[derive(Debug, Clone, PartialEq)]
pub struct InclusionProof {
    /// Entry index.
    pub index: u64,
    /// Tree size the proof is for.
    pub size: u64,
    /// Root hash of that tree.
    pub root: Hash,
    /// The audit path (RFC 6962 §2.1.1), leaf to root.
    pub proof: Vec<Hash>,
}

/// A consistency proof as served.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsistencyProof {
    /// Older tree size.
    pub old: u64,
    /// Root hash of the older tree.
    pub old_root: Hash,
    /// Newer tree size.
    pub new: u64,
    /// Root hash of the newer tree.
    pub new_root: Hash,
    /// The proof (RFC 6962 §2.1.2).
    pub proof: Vec<Hash>,
}

/// Read access to the committed log. Cheap to clone; safe to use from many threads while the
/// writer appends (it only reads objects of committed trees, which are never modified).
#[derive(Clone)]
pub struct LogReader {
    storage: Arc<dyn Storage>,
    snapshot: Arc<RwLock<Snapshot>>,
}

impl LogReader {
    /// A reader of the log in `storage` that has no writer in this process (another instance on
    /// the same shared storage writes it): its head is the committed state, and moves on when
    /// [`LogReader::refresh`] is called.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] if the state cannot be loaded.
    pub fn follow(storage: Arc<dyn Storage>) -> Result<Self> {
        let state = storage.load_state()?;
        Ok(Self {
            storage,
            snapshot: Arc::new(RwLock::new(Snapshot::from(&state))),
        })
    }

    /// Reloads the committed state from storage and moves the head forward to it (never back);
    /// returns the head.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] if the state cannot be loaded.
    pub fn refresh(&self) -> Result<Snapshot> {
        let state = self.storage.load_state()?;
        publish(&self.snapshot, Snapshot::from(&state));
        Ok(self.snapshot())
    }

    /// The latest committed head.
    pub fn snapshot(&self) -> Snapshot {
        match self.snapshot.read() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// A tile or entry bundle, if it belongs to the committed tree and exists. Tiles beyond the
    /// committed tree are never returned, even if present in storage.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] on a read failure.
    pub fn tile(&self, tile: &TilePath) -> Result<Option<Vec<u8>>> {
        if !tile.within_tree(self.snapshot().size) {
            return Ok(None);
        }
        Ok(self.storage.get_object(&tile.to_path())?)
    }

    /// The entry at `index`, from its bundle.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `index` is not in the committed tree.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>> {
        let size = self.snapshot().size;
        let n = index / u64::from(TILE_WIDTH);
        let tile = TilePath::for_tree(TileKind::Entries, n, size)
            .filter(|_| index < size)
            .ok_or_else(|| Error::OutOfRange(format!("entry {index} is not below tree size {size}")))?;
        let data = self
            .storage
            .get_object(&tile.to_path())?
            .ok_or_else(|| StorageError::Corrupt(format!("entry bundle {} is missing", tile.to_path())))?;
        let mut entries = decode_bundle(&data)?;
        let i = (index % u64::from(TILE_WIDTH)) as usize;
        if i >= entries.len() {
            return Err(StorageError::Corrupt(format!("entry bundle {} is short", tile.to_path())).into());
        }
        Ok(entries.swap_remove(i))
    }

    /// The entries `start..end` of the committed tree, reading each entry bundle once.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `end` exceeds the tree size; a storage error if a bundle is
    /// missing, short or unreadable.
    pub fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>> {
        let size = self.snapshot().size;
        if end > size || start > end {
            return Err(Error::OutOfRange(format!(
                "entries {start}..{end} are not within tree size {size}"
            )));
        }
        let w = u64::from(TILE_WIDTH);
        let mut out = Vec::with_capacity(usize::try_from(end - start).unwrap_or(0));
        let mut n = start / w;
        while n * w < end {
            let tile = TilePath::for_tree(TileKind::Entries, n, size)
                .ok_or_else(|| Error::OutOfRange(format!("no entry bundle {n} in tree size {size}")))?;
            let data = self.storage.get_object(&tile.to_path())?.ok_or_else(|| {
                StorageError::Corrupt(format!("entry bundle {} is missing", tile.to_path()))
            })?;
            let bundle = decode_bundle(&data)?;
            if (bundle.len() as u64) < u64::from(tile.width()) {
                return Err(
                    StorageError::Corrupt(format!("entry bundle {} is short", tile.to_path())).into(),
                );
            }
            out.extend(
                (n * w..)
                    .zip(bundle)
                    .filter(|(i, _)| (start..end).contains(i))
                    .map(|(_, e)| e),
            );
            n += 1;
        }
        Ok(out)
    }

    /// The index of an entry already in the log, by its leaf hash.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] on a read failure.
    pub fn find(&self, leaf: Hash) -> Result<Option<u64>> {
        let size = self.snapshot().size;
        Ok(self
            .storage
            .lookup(&[leaf])?
            .into_iter()
            .next()
            .flatten()
            .filter(|&i| i < size))
    }

    fn size_or_current(&self, size: Option<u64>) -> Result<(u64, Snapshot)> {
        let snap = self.snapshot();
        let size = size.unwrap_or(snap.size);
        if size > snap.size {
            return Err(Error::OutOfRange(format!(
                "tree size {size} is beyond the current tree size {}",
                snap.size
            )));
        }
        Ok((size, snap))
    }

    /// Inclusion proof of entry `index` in the tree of `size` entries (default: the current one).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `size` exceeds the committed tree or `index >= size`.
    pub fn prove_inclusion(&self, index: u64, size: Option<u64>) -> Result<InclusionProof> {
        let (size, snap) = self.size_or_current(size)?;
        let r = StoredHashReader::new(self.storage.as_ref(), snap.size);
        let proof = merkle::prove_inclusion(size, index, &r)?;
        let root = if size == snap.size {
            snap.root
        } else {
            merkle::tree_root(size, &r)?
        };
        Ok(InclusionProof {
            index,
            size,
            root,
            proof,
        })
    }

    /// Consistency proof between trees of `old` and `new` entries (default: the current one).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] unless `1 <= old <= new <= current size`.
    pub fn prove_consistency(&self, old: u64, new: Option<u64>) -> Result<ConsistencyProof> {
        let (new, snap) = self.size_or_current(new)?;
        let r = StoredHashReader::new(self.storage.as_ref(), snap.size);
        let proof = merkle::prove_consistency(old, new, &r)?;
        let new_root = if new == snap.size {
            snap.root
        } else {
            merkle::tree_root(new, &r)?
        };
        let old_root = merkle::tree_root(old, &r)?;
        Ok(ConsistencyProof {
            old,
            old_root,
            new,
            new_root,
            proof,
        })
    }
}
