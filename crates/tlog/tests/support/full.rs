//! A storage that fails its writes on demand, as on a full disk (shared by the recovery tests).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tlog::{Hash, LogState, Object, Storage, StorageError};

/// A storage (any backend) whose writes fail while `full` is set, as on a full disk.
pub struct Full {
    pub inner: Arc<dyn Storage>,
    pub full: AtomicBool,
}

impl Full {
    fn check(&self) -> Result<(), StorageError> {
        if self.full.load(Ordering::SeqCst) {
            Err(StorageError::Io {
                op: "write",
                path: "injected".into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "No space left on device (injected)",
                ),
            })
        } else {
            Ok(())
        }
    }
}

impl Storage for Full {
    fn put_objects(&self, objects: &[Object]) -> Result<(), StorageError> {
        self.check()?;
        self.inner.put_objects(objects)
    }
    fn get_object(&self, path: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.get_object(path)
    }
    fn delete_objects(&self, paths: &[String]) -> Result<(), StorageError> {
        self.inner.delete_objects(paths)
    }
    fn create_state(&self, state: &LogState) -> Result<(), StorageError> {
        self.inner.create_state(state)
    }
    fn load_state(&self) -> Result<LogState, StorageError> {
        self.inner.load_state()
    }
    fn set_pending(&self, size: u64, pending_size: u64) -> Result<(), StorageError> {
        self.check()?;
        self.inner.set_pending(size, pending_size)
    }
    fn commit(&self, old_size: u64, state: &LogState, records: &[(Hash, u64)]) -> Result<(), StorageError> {
        self.check()?;
        self.inner.commit(old_size, state, records)
    }
    fn lookup(&self, hashes: &[Hash]) -> Result<Vec<Option<u64>>, StorageError> {
        self.inner.lookup(hashes)
    }
}
