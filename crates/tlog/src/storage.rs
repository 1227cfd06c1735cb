//! Where a log keeps its state: the [`Storage`] trait and its embedded default, [`LocalStorage`].
//!
//! A log has two kinds of state, with different needs (the split follows sunlight's
//! `Backend`/`LockBackend`):
//!
//! - **Objects**: hash tiles, entry bundles and a copy of the checkpoint, addressed by their
//!   c2sp.org/tlog-tiles path. Large, write-once (except partial tiles and the checkpoint copy),
//!   served as static files. A later backend puts them on S3-compatible object storage.
//! - **Sequencing state**: the latest signed checkpoint (the authoritative tree size and root),
//!   an intent record for the batch being written, and the deduplication table (leaf hash →
//!   index). Small, transactional. A later backend keeps it in PostgreSQL.
//!
//! The commit of the sequencing state is the linearisation point of the log: a batch exists once
//! [`Storage::commit`] returns, and not before.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use redb::{Database, ReadableDatabase as _, ReadableTable as _, TableDefinition};
use tlog_tiles::Hash;

use crate::error::StorageError;

/// One object to store: its path (relative, `/`-separated, e.g. `tile/0/000.p/5`) and bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// Path relative to the log's public prefix.
    pub path: String,
    /// Contents.
    pub data: Vec<u8>,
}

/// The sequencing state of a log, as committed.
#[derive(Debug, Clone, PartialEq)]
pub struct LogState {
    /// The log's origin (c2sp.org/tlog-checkpoint), also its key name.
    pub origin: String,
    /// Tree size, in entries, of the latest checkpoint.
    pub size: u64,
    /// RFC 6962 root hash of the tree of `size` entries.
    pub root: Hash,
    /// The latest signed checkpoint (a c2sp.org/signed-note), for exactly `size` and `root`.
    pub checkpoint: Vec<u8>,
    /// Tree size a batch in progress is writing objects for, or 0 when none. After a crash,
    /// objects for sizes in `size+1..=pending_size` may exist and were never committed.
    pub pending_size: u64,
}

/// Storage for one log.
///
/// # Contract
///
/// - **Durability**: every method that writes returns only once its effect would survive a
///   crash or power loss (fsync or equivalent). Errors are returned, never swallowed; the
///   sequencer treats a write error as fatal, because it cannot know what was persisted.
/// - **Atomicity**: a reader of an object sees either its previous contents or the new ones in
///   full, never a prefix or a mix. [`Storage::commit`] applies the state and all dedup records
///   together or not at all.
/// - **Ordering**: objects written by [`Storage::put_objects`] are durable before it returns, so
///   a later [`Storage::commit`] never publishes a checkpoint whose tiles could be lost.
/// - **Concurrency**: exactly one writer (the sequencer) calls the writing methods, one at a
///   time. Readers may call [`Storage::get_object`], [`Storage::lookup`] and
///   [`Storage::load_state`] concurrently from any thread, also while a write is in progress.
///   `commit` and `set_pending` check the caller's idea of the current size and fail with
///   [`StorageError::Conflict`] if another writer moved it (a compare-and-swap, so that two
///   sequencers on shared storage cannot both extend the log).
/// - **Consistency**: objects may be eventually consistent for readers (an object store), but the
///   sequencing state must be read-your-writes.
/// - **Retries**: implementations may retry transient errors internally; an error returned means
///   the operation may or may not have taken effect.
pub trait Storage: Send + Sync + 'static {
    /// Stores objects. Each object is written atomically; all are durable when this returns.
    ///
    /// Only the checkpoint copy ([`crate::CHECKPOINT_PATH`]) is ever replaced by other contents.
    /// Tiles and entry bundles are immutable once written: a backend may refuse to replace one
    /// with different contents ([`StorageError::Conflict`]; the scale-out backend does, with a
    /// conditional create), while writing the same contents again succeeds. An object is
    /// removed with [`Storage::delete_objects`] before it can be written anew.
    ///
    /// # Errors
    ///
    /// The backend's error; some objects may have been written.
    fn put_objects(&self, objects: &[Object]) -> Result<(), StorageError>;

    /// Reads an object, `None` if absent.
    ///
    /// # Errors
    ///
    /// The backend's error.
    fn get_object(&self, path: &str) -> Result<Option<Vec<u8>>, StorageError>;

    /// Deletes objects, and whatever an interrupted [`Storage::put_objects`] left of them (such
    /// as temporary files); absent ones are ignored. Durable when this returns.
    ///
    /// # Errors
    ///
    /// The backend's error.
    fn delete_objects(&self, paths: &[String]) -> Result<(), StorageError>;

    /// Creates the sequencing state of a new log.
    ///
    /// # Errors
    ///
    /// [`StorageError::AlreadyInitialised`] if a state exists, or the backend's error.
    fn create_state(&self, state: &LogState) -> Result<(), StorageError>;

    /// Loads the committed sequencing state.
    ///
    /// # Errors
    ///
    /// [`StorageError::NotInitialised`] if there is none, or the backend's error.
    fn load_state(&self) -> Result<LogState, StorageError>;

    /// Records that objects for a tree of `pending_size` entries are about to be written over a
    /// committed tree of `size` entries (0 clears the record). Durable when this returns.
    ///
    /// # Errors
    ///
    /// [`StorageError::Conflict`] if the committed size is not `size`.
    fn set_pending(&self, size: u64, pending_size: u64) -> Result<(), StorageError>;

    /// Atomically replaces the committed state (which must have size `old_size`) with `state`
    /// and records each `(leaf hash, index)` in the deduplication table.
    ///
    /// # Errors
    ///
    /// [`StorageError::Conflict`] if the committed size is not `old_size`.
    fn commit(&self, old_size: u64, state: &LogState, records: &[(Hash, u64)]) -> Result<(), StorageError>;

    /// Looks leaf hashes up in the deduplication table: the index of each, if committed.
    ///
    /// # Errors
    ///
    /// The backend's error.
    fn lookup(&self, hashes: &[Hash]) -> Result<Vec<Option<u64>>, StorageError>;
}

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const DEDUP: TableDefinition<&[u8; 32], u64> = TableDefinition::new("dedup");

/// Name of the redb file inside a [`LocalStorage`] directory.
pub const STATE_FILE: &str = "state.redb";
/// Directory, inside a [`LocalStorage`] directory, that holds the objects (servable as is).
pub const PUBLIC_DIR: &str = "public";

/// The embedded default backend: objects as files under `<dir>/public/`, sequencing state in a
/// redb database `<dir>/state.redb`. Needs no set-up beyond a directory.
///
/// Objects are written to a temporary file in the target directory, fsynced, renamed over the
/// target and the directory fsynced, so a reader (or a restart after a crash) sees an object
/// complete or not at all. redb commits with fsync (`Durability::Immediate`, its default).
pub struct LocalStorage {
    dir: PathBuf,
    public: PathBuf,
    db: Database,
    /// Makes temporary file names unique within the process.
    tmp_counter: AtomicU64,
}

impl std::fmt::Debug for LocalStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStorage")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn io_err(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
    let path = path.display().to_string();
    move |source| StorageError::Io { op, path, source }
}

fn db_err(e: impl Into<redb::Error>) -> StorageError {
    StorageError::Db(e.into())
}

fn fsync_dir(dir: &Path) -> Result<(), StorageError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync directory", dir))
}

/// Marker in the names of temporary files (`<object>.tmp-<pid>-<n>`).
const TEMP_MARKER: &str = ".tmp-";

/// Removes the temporary files a crashed writer may have left in `dir`: all of them, or only
/// those of the object named `object`. They were never renamed into place, so no reader has
/// seen them; removing them keeps the public directory exactly the set of published objects.
fn remove_temp_files(dir: &Path, object: Option<&std::ffi::OsStr>) -> Result<(), StorageError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err("list", dir)(e)),
    };
    let mut removed = false;
    for e in entries {
        let e = e.map_err(io_err("list", dir))?;
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some((stem, _)) = name.split_once(TEMP_MARKER) else {
            continue;
        };
        if object.is_some_and(|o| o.to_str() != Some(stem)) {
            continue;
        }
        let p = e.path();
        match fs::remove_file(&p) {
            Ok(()) => removed = true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("remove", &p)(e)),
        }
    }
    if removed {
        fsync_dir(dir)?;
    }
    Ok(())
}

fn u64_of(bytes: &[u8], what: &str) -> Result<u64, StorageError> {
    bytes
        .try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| StorageError::Corrupt(format!("{what} is not 8 bytes")))
}

impl LocalStorage {
    /// Opens (creating if needed) the storage in `dir`. The directory itself is created too.
    ///
    /// # Errors
    ///
    /// An I/O or database error.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StorageError> {
        let dir = dir.as_ref().to_path_buf();
        let public = dir.join(PUBLIC_DIR);
        if !public.is_dir() {
            fs::create_dir_all(&public).map_err(io_err("create directory", &public))?;
            // Crash safety: make the new directories' entries durable in their parents.
            fsync_dir(&dir)?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                fsync_dir(parent)?;
            }
        }
        // A crash while the checkpoint copy was being replaced leaves its temporary file here.
        remove_temp_files(&public, None)?;
        let db_path = dir.join(STATE_FILE);
        let db = Database::create(&db_path).map_err(db_err)?;
        Ok(Self {
            dir,
            public,
            db,
            tmp_counter: AtomicU64::new(0),
        })
    }

    /// The directory holding the objects, laid out as the public URL space
    /// (`checkpoint`, `tile/...`).
    pub fn public_dir(&self) -> &Path {
        &self.public
    }

    fn object_path(&self, path: &str) -> Result<PathBuf, StorageError> {
        // Object paths come from our own tile code, but refuse anything that could escape the
        // public directory all the same.
        if path.is_empty()
            || path.split('/').any(|c| c.is_empty() || c == "." || c == "..")
            || path.contains('\\')
        {
            return Err(StorageError::Conflict(format!("refusing object path {path:?}")));
        }
        Ok(self.public.join(path))
    }

    /// Creates `dir` (and missing parents) durably.
    fn ensure_dir(&self, dir: &Path) -> Result<(), StorageError> {
        if dir.is_dir() {
            return Ok(());
        }
        let mut missing = vec![];
        let mut d = dir;
        while !d.is_dir() {
            missing.push(d.to_path_buf());
            match d.parent() {
                Some(p) => d = p,
                None => break,
            }
        }
        fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
        // Crash safety: a new directory is only durable once its parent's entry is fsynced.
        for m in missing.iter().rev() {
            if let Some(p) = m.parent() {
                fsync_dir(p)?;
            }
        }
        Ok(())
    }

    /// Writes one object to a temporary file next to its target and fsyncs it. Returns the
    /// temporary path; the caller renames it into place.
    fn write_temp(&self, target: &Path, data: &[u8]) -> Result<PathBuf, StorageError> {
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(format!("{TEMP_MARKER}{}-{n}", std::process::id()));
        let tmp = target.with_file_name(name);
        let mut f = fs::File::create(&tmp).map_err(io_err("create", &tmp))?;
        f.write_all(data).map_err(io_err("write", &tmp))?;
        // Crash safety: the data must be on disk before the rename makes it visible, or a crash
        // could expose a renamed but empty or partial file.
        f.sync_data().map_err(io_err("fsync", &tmp))?;
        Ok(tmp)
    }

    fn meta_state(&self) -> Result<Option<LogState>, StorageError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = match txn.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(db_err(e)),
        };
        let get = |k: &str| -> Result<Option<Vec<u8>>, StorageError> {
            Ok(table.get(k).map_err(db_err)?.map(|v| v.value().to_vec()))
        };
        let Some(origin) = get("origin")? else {
            return Ok(None);
        };
        let need = |k: &str| get(k)?.ok_or_else(|| StorageError::Corrupt(format!("state lacks {k}")));
        let root: [u8; 32] = need("root")?
            .try_into()
            .map_err(|_| StorageError::Corrupt("root is not 32 bytes".into()))?;
        Ok(Some(LogState {
            origin: String::from_utf8(origin)
                .map_err(|_| StorageError::Corrupt("origin is not UTF-8".into()))?,
            size: u64_of(&need("size")?, "size")?,
            root: Hash(root),
            checkpoint: need("checkpoint")?,
            pending_size: u64_of(&need("pending")?, "pending")?,
        }))
    }

    fn write_state(table: &mut redb::Table<&str, &[u8]>, s: &LogState) -> Result<(), StorageError> {
        table.insert("origin", s.origin.as_bytes()).map_err(db_err)?;
        table
            .insert("size", s.size.to_be_bytes().as_slice())
            .map_err(db_err)?;
        table.insert("root", s.root.0.as_slice()).map_err(db_err)?;
        table
            .insert("checkpoint", s.checkpoint.as_slice())
            .map_err(db_err)?;
        table
            .insert("pending", s.pending_size.to_be_bytes().as_slice())
            .map_err(db_err)?;
        Ok(())
    }

    fn check_size(table: &redb::Table<&str, &[u8]>, expected: u64) -> Result<(), StorageError> {
        let size = match table.get("size").map_err(db_err)? {
            Some(v) => u64_of(v.value(), "size")?,
            None => return Err(StorageError::NotInitialised(String::new())),
        };
        if size != expected {
            return Err(StorageError::Conflict(format!(
                "committed size is {size}, expected {expected}"
            )));
        }
        Ok(())
    }
}

/// How many threads write objects in parallel: fsync latency, not CPU, bounds a batch's writes.
const WRITE_THREADS: usize = 8;

impl Storage for LocalStorage {
    fn put_objects(&self, objects: &[Object]) -> Result<(), StorageError> {
        let mut targets = Vec::with_capacity(objects.len());
        for o in objects {
            let target = self.object_path(&o.path)?;
            if let Some(dir) = target.parent() {
                self.ensure_dir(dir)?;
            }
            targets.push(target);
        }
        // Write and fsync the temporary files in parallel.
        let chunk = objects.len().div_ceil(WRITE_THREADS).max(1);
        let temps: Vec<PathBuf> = std::thread::scope(|s| {
            let handles: Vec<_> = objects
                .chunks(chunk)
                .zip(targets.chunks(chunk))
                .map(|(os, ts)| {
                    s.spawn(move || {
                        os.iter()
                            .zip(ts)
                            .map(|(o, t)| self.write_temp(t, &o.data))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(objects.len());
            for h in handles {
                match h.join() {
                    Ok(r) => all.extend(r?),
                    Err(_) => return Err(StorageError::Corrupt("object writer thread panicked".into())),
                }
            }
            Ok(all)
        })?;
        let mut dirs = BTreeSet::new();
        for (tmp, target) in temps.iter().zip(&targets) {
            // Crash safety: rename is atomic, so the target holds the old object or the new one.
            fs::rename(tmp, target).map_err(io_err("rename", target))?;
            if let Some(d) = target.parent() {
                dirs.insert(d.to_path_buf());
            }
        }
        // Crash safety: the renames are durable only once their directories are fsynced.
        for d in &dirs {
            fsync_dir(d)?;
        }
        Ok(())
    }

    fn get_object(&self, path: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let p = self.object_path(path)?;
        match fs::read(&p) {
            Ok(d) => Ok(Some(d)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("read", &p)(e)),
        }
    }

    fn delete_objects(&self, paths: &[String]) -> Result<(), StorageError> {
        let mut dirs = BTreeSet::new();
        for path in paths {
            let p = self.object_path(path)?;
            // Deleting is recovery from an interrupted batch: its half-written temporary files
            // go too.
            if let Some(d) = p.parent() {
                remove_temp_files(d, p.file_name())?;
            }
            match fs::remove_file(&p) {
                Ok(()) => {
                    if let Some(d) = p.parent() {
                        dirs.insert(d.to_path_buf());
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("remove", &p)(e)),
            }
        }
        for d in &dirs {
            fsync_dir(d)?;
        }
        Ok(())
    }

    fn create_state(&self, state: &LogState) -> Result<(), StorageError> {
        if self.meta_state()?.is_some() {
            return Err(StorageError::AlreadyInitialised(self.dir.display().to_string()));
        }
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut meta = txn.open_table(META).map_err(db_err)?;
            Self::write_state(&mut meta, state)?;
            txn.open_table(DEDUP).map_err(db_err)?;
        }
        txn.commit().map_err(db_err)
    }

    fn load_state(&self) -> Result<LogState, StorageError> {
        self.meta_state()?
            .ok_or_else(|| StorageError::NotInitialised(self.dir.display().to_string()))
    }

    fn set_pending(&self, size: u64, pending_size: u64) -> Result<(), StorageError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut meta = txn.open_table(META).map_err(db_err)?;
            Self::check_size(&meta, size)?;
            meta.insert("pending", pending_size.to_be_bytes().as_slice())
                .map_err(db_err)?;
        }
        // Crash safety: durable (fsync) before any object of the pending batch is written, so
        // recovery knows which uncommitted objects to remove.
        txn.commit().map_err(db_err)
    }

    fn commit(&self, old_size: u64, state: &LogState, records: &[(Hash, u64)]) -> Result<(), StorageError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut meta = txn.open_table(META).map_err(db_err)?;
            Self::check_size(&meta, old_size)?;
            Self::write_state(&mut meta, state)?;
            let mut dedup = txn.open_table(DEDUP).map_err(db_err)?;
            for (h, i) in records {
                dedup.insert(&h.0, *i).map_err(db_err)?;
            }
        }
        // Crash safety: this fsynced commit is the point where the batch becomes part of the log.
        txn.commit().map_err(db_err)
    }

    fn lookup(&self, hashes: &[Hash]) -> Result<Vec<Option<u64>>, StorageError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = match txn.open_table(DEDUP) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(vec![None; hashes.len()]),
            Err(e) => return Err(db_err(e)),
        };
        hashes
            .iter()
            .map(|h| Ok(table.get(&h.0).map_err(db_err)?.map(|v| v.value())))
            .collect()
    }
}
