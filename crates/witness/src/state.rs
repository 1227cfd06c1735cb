//! The witness's durable state: per log origin, the latest checkpoint it cosigned; and the
//! evidence of split views it has seen. One redb database file.
//!
//! # Durability and atomicity
//!
//! Every change is one redb write transaction committed with immediate durability (the file is
//! fsynced before `commit` returns), so a change is either entirely on disk or not at all, and a
//! restarted witness sees exactly what it last acknowledged. redb runs write transactions one at
//! a time, so "read the stored size, check the request against it, store the new checkpoint" in
//! one transaction is atomic with respect to concurrent requests: the rollback race described in
//! c2sp.org/tlog-witness cannot happen.
//!
//! # Records
//!
//! - table `latest`, key = origin, value = `size (u64 big-endian) || root (32 bytes) || the
//!   cosigned checkpoint note (the log's signatures and ours)`.
//! - table `split_views`, key = sequence number (u64), value = `origin length (u16 BE) || origin
//!   || stored-note length (u32 BE) || stored note || conflicting note`.

use std::path::Path;

use redb::{Database, ReadableDatabase as _, ReadableTable as _, TableDefinition};
use tlog::Hash;

const LATEST: TableDefinition<&str, &[u8]> = TableDefinition::new("latest");
const SPLIT_VIEWS: TableDefinition<u64, &[u8]> = TableDefinition::new("split_views");

/// Most split-view records kept; later ones are only logged (the log's own misbehaviour cannot
/// fill the disk).
pub const MAX_SPLIT_VIEW_RECORDS: u64 = 10_000;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The database failed.
    #[error("witness state database: {0}")]
    Db(#[from] redb::Error),
    /// A stored record does not decode.
    #[error("corrupt witness state: {0}")]
    Corrupt(String),
}

fn db_err<E: Into<redb::Error>>(e: E) -> StateError {
    StateError::Db(e.into())
}

/// The latest checkpoint cosigned for one log.
#[derive(Debug, Clone, PartialEq)]
pub struct Cosigned {
    /// Tree size, in entries.
    pub size: u64,
    /// RFC 6962 root hash.
    pub root: Hash,
    /// The checkpoint note with the log's signatures and the witness's cosignature.
    pub note: Vec<u8>,
}

impl Cosigned {
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(40 + self.note.len());
        v.extend_from_slice(&self.size.to_be_bytes());
        v.extend_from_slice(&self.root.0);
        v.extend_from_slice(&self.note);
        v
    }

    fn decode(v: &[u8]) -> Result<Self, StateError> {
        if v.len() < 40 {
            return Err(StateError::Corrupt(format!("latest record of {} bytes", v.len())));
        }
        let (size, rest) = v.split_at(8);
        let (root, note) = rest.split_at(32);
        Ok(Self {
            size: u64::from_be_bytes(size.try_into().map_err(|_| StateError::Corrupt("size".into()))?),
            root: Hash(root.try_into().map_err(|_| StateError::Corrupt("root".into()))?),
            note: note.to_vec(),
        })
    }
}

/// Evidence of a split view: two checkpoints of one log, both validly signed by it, of the same
/// size with different root hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitView {
    /// The log's origin.
    pub origin: String,
    /// The checkpoint the witness had cosigned.
    pub cosigned: Vec<u8>,
    /// The conflicting checkpoint submitted later.
    pub conflicting: Vec<u8>,
}

impl SplitView {
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(self.origin.len().min(u16::MAX as usize) as u16).to_be_bytes());
        v.extend_from_slice(&self.origin.as_bytes()[..self.origin.len().min(u16::MAX as usize)]);
        v.extend_from_slice(&(self.cosigned.len() as u32).to_be_bytes());
        v.extend_from_slice(&self.cosigned);
        v.extend_from_slice(&self.conflicting);
        v
    }

    fn decode(v: &[u8]) -> Result<Self, StateError> {
        let bad = || StateError::Corrupt("split-view record".into());
        let (n, rest) = v.split_at_checked(2).ok_or_else(bad)?;
        let n = u16::from_be_bytes(n.try_into().map_err(|_| bad())?) as usize;
        let (origin, rest) = rest.split_at_checked(n).ok_or_else(bad)?;
        let (m, rest) = rest.split_at_checked(4).ok_or_else(bad)?;
        let m = u32::from_be_bytes(m.try_into().map_err(|_| bad())?) as usize;
        let (cosigned, conflicting) = rest.split_at_checked(m).ok_or_else(bad)?;
        Ok(Self {
            origin: String::from_utf8(origin.to_vec()).map_err(|_| bad())?,
            cosigned: cosigned.to_vec(),
            conflicting: conflicting.to_vec(),
        })
    }
}

/// What [`State::update`]'s closure decides.
#[derive(Debug)]
pub enum Decision<T, E> {
    /// Store this record as the new latest and return `T`.
    Store(Cosigned, T),
    /// Store nothing and return the error.
    Reject(E),
    /// Store a split-view record, nothing else, and return the error.
    RejectSplitView(SplitView, E),
}

/// The witness's database.
#[derive(Debug)]
pub struct State {
    db: Database,
}

impl State {
    /// Opens (or creates) the database file at `path`.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`] if the file cannot be opened or created (e.g. it is locked by another
    /// running witness).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StateError> {
        let db = Database::create(path.as_ref()).map_err(db_err)?;
        let txn = db.begin_write().map_err(db_err)?;
        {
            txn.open_table(LATEST).map_err(db_err)?;
            txn.open_table(SPLIT_VIEWS).map_err(db_err)?;
        }
        txn.commit().map_err(db_err)?;
        Ok(Self { db })
    }

    /// The latest checkpoint cosigned for `origin`, if any.
    ///
    /// # Errors
    ///
    /// [`StateError`] on a read failure or a corrupt record.
    pub fn latest(&self, origin: &str) -> Result<Option<Cosigned>, StateError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(LATEST).map_err(db_err)?;
        t.get(origin)
            .map_err(db_err)?
            .map(|v| Cosigned::decode(v.value()))
            .transpose()
    }

    /// Every origin with a cosigned checkpoint.
    ///
    /// # Errors
    ///
    /// [`StateError`] on a read failure.
    pub fn origins(&self) -> Result<Vec<String>, StateError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(LATEST).map_err(db_err)?;
        let mut out = vec![];
        for item in t.iter().map_err(db_err)? {
            let (k, _) = item.map_err(db_err)?;
            out.push(k.value().to_owned());
        }
        Ok(out)
    }

    /// Every split-view record, oldest first.
    ///
    /// # Errors
    ///
    /// [`StateError`] on a read failure or a corrupt record.
    pub fn split_views(&self) -> Result<Vec<SplitView>, StateError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(SPLIT_VIEWS).map_err(db_err)?;
        let mut out = vec![];
        for item in t.iter().map_err(db_err)? {
            let (_, v) = item.map_err(db_err)?;
            out.push(SplitView::decode(v.value())?);
        }
        Ok(out)
    }

    /// Atomically: reads the latest record of `origin`, lets `decide` judge the request against
    /// it, and applies the decision, committing durably before returning. Concurrent calls are
    /// serialised.
    ///
    /// # Errors
    ///
    /// `Err(Ok(e))` with the closure's error when it rejects; `Err(Err(StateError))` if storage
    /// fails (then nothing was stored).
    pub fn update<T, E>(
        &self,
        origin: &str,
        decide: impl FnOnce(Option<Cosigned>) -> Decision<T, E>,
    ) -> Result<T, Result<E, StateError>> {
        let txn = self.db.begin_write().map_err(|e| Err(db_err(e)))?;
        let mut wrote = false;
        let result = {
            let mut latest = txn.open_table(LATEST).map_err(|e| Err(db_err(e)))?;
            let current = latest
                .get(origin)
                .map_err(|e| Err(db_err(e)))?
                .map(|v| Cosigned::decode(v.value()))
                .transpose()
                .map_err(Err)?;
            match decide(current) {
                Decision::Store(record, t) => {
                    latest
                        .insert(origin, record.encode().as_slice())
                        .map_err(|e| Err(db_err(e)))?;
                    wrote = true;
                    Ok(t)
                }
                Decision::Reject(e) => Err(e),
                Decision::RejectSplitView(sv, e) => {
                    let mut t = txn.open_table(SPLIT_VIEWS).map_err(|e| Err(db_err(e)))?;
                    let next = t
                        .last()
                        .map_err(|e| Err(db_err(e)))?
                        .map_or(0, |(k, _)| k.value() + 1);
                    if next < MAX_SPLIT_VIEW_RECORDS {
                        t.insert(next, sv.encode().as_slice())
                            .map_err(|e| Err(db_err(e)))?;
                        wrote = true;
                    }
                    Err(e)
                }
            }
        };
        // A plain rejection changes nothing; a new latest record or split-view evidence is
        // committed (and fsynced) before the caller answers.
        if wrote {
            txn.commit().map_err(|e| Err(db_err(e)))?;
        } else {
            txn.abort().map_err(|e| Err(db_err(e)))?;
        }
        result.map_err(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let rec = Cosigned {
            size: 5,
            root: Hash([7; 32]),
            note: b"note\n".to_vec(),
        };
        {
            let s = State::open(&path).unwrap();
            assert_eq!(s.latest("o").unwrap(), None);
            let r: Result<u8, Result<&str, _>> = s.update("o", |cur| {
                assert!(cur.is_none());
                Decision::Store(rec.clone(), 1)
            });
            assert_eq!(r.unwrap(), 1);
            let r: Result<u8, Result<&str, _>> = s.update("o", |_| Decision::Reject("no"));
            assert!(matches!(r, Err(Ok("no"))));
            let sv = SplitView {
                origin: "o".into(),
                cosigned: b"a".to_vec(),
                conflicting: b"b".to_vec(),
            };
            let r: Result<u8, Result<&str, _>> = s.update("o", |_| Decision::RejectSplitView(sv, "split"));
            assert!(matches!(r, Err(Ok("split"))));
        }
        let s = State::open(&path).unwrap();
        assert_eq!(s.latest("o").unwrap(), Some(rec));
        assert_eq!(s.origins().unwrap(), vec!["o".to_string()]);
        let sv = s.split_views().unwrap();
        assert_eq!(sv.len(), 1);
        assert_eq!(
            (sv[0].cosigned.as_slice(), sv[0].conflicting.as_slice()),
            (&b"a"[..], &b"b"[..])
        );
        assert!(Cosigned::decode(&[0; 10]).is_err());
        assert!(SplitView::decode(&[0, 9]).is_err());
        dir.close().unwrap();
    }
}
