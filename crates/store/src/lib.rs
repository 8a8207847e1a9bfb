//! # rbgp-store
//!
//! What rbgpd's API accepted, kept across restarts and crashes: injected
//! paths, FlowSpec rules, API-added neighbors, peer groups,
//! dynamic-neighbor ranges, disabled neighbors and the global settings
//! changed through the API. One [redb](https://docs.rs/redb) file,
//! `<state_dir>/rbgpd.redb`; every write is a committed (fsynced)
//! transaction before it returns, so the API replies OK only for what a
//! SIGKILL cannot undo.
//!
//! Records are the API's own protobuf messages, keyed by their identity
//! (prefix and path id, the rule's text, the address...): the .proto files
//! already define how they evolve compatibly, so the store needs no schema
//! of its own.
#![forbid(unsafe_code)]

use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use rbgp_api::v1;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

/// The database file inside `state_dir`.
pub const FILE_NAME: &str = "rbgpd.redb";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("creating {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file cannot be opened: damaged, not a database, or locked.
    #[error(
        "database {path}: {error}. If the file is damaged, move it away to start with an empty \
         store (what the API added is then lost) or put back a copy from a backup"
    )]
    Open {
        path: PathBuf,
        error: redb::DatabaseError,
    },
    /// The database could not be opened again after an I/O error; the
    /// next call tries again.
    #[error("database {path}: not usable after an I/O error, not reopened yet ({error})")]
    Reopen {
        path: PathBuf,
        error: redb::DatabaseError,
    },
    /// A write found no space left in the state directory.
    #[error("table {table}: no space left in the state directory ({error})")]
    Full {
        table: &'static str,
        error: redb::Error,
    },
    #[error("table {table}: {source}")]
    Db {
        table: &'static str,
        source: redb::Error,
    },
    #[error("table {table}, key {key:?}: stored record does not decode: {source}")]
    Decode {
        table: &'static str,
        key: String,
        source: prost::DecodeError,
    },
}

/// A table of messages of type `M`.
pub struct Table<M> {
    name: &'static str,
    _m: PhantomData<fn() -> M>,
}

impl<M> Table<M> {
    const fn new(name: &'static str) -> Self {
        Table {
            name,
            _m: PhantomData,
        }
    }
    fn def(&self) -> TableDefinition<'static, &'static str, &'static [u8]> {
        TableDefinition::new(self.name)
    }
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Injected paths by `rbgp_api::convert::path_key` (prefix and path id).
pub const PATHS: Table<v1::Path> = Table::new("paths");
/// FlowSpec rules by `FlowRule::key` (the match in text form).
pub const FLOWSPEC: Table<v1::FlowSpecRule> = Table::new("flowspec");
/// API-added neighbors by address.
pub const NEIGHBORS: Table<v1::NeighborConfig> = Table::new("neighbors");
/// Peer groups by name.
pub const PEER_GROUPS: Table<v1::PeerGroup> = Table::new("peer_groups");
/// Dynamic-neighbor ranges by prefix.
pub const DYNAMIC_NEIGHBORS: Table<v1::DynamicNeighbor> = Table::new("dynamic_neighbors");

/// Neighbors disabled through the API, by address (the request, with its
/// shutdown communication).
pub const DISABLED: Table<v1::DisableNeighborRequest> = Table::new("disabled");
/// The global settings set through the API (GlobalService.SetGlobal):
/// one record, [`GLOBAL_KEY`], holding the fields ever set.
pub const GLOBAL: Table<v1::SetGlobalRequest> = Table::new("global");
pub const GLOBAL_KEY: &str = "global";

/// Defined sets set through PolicyService, by `kind:name`.
pub const POLICY_SETS: Table<v1::DefinedSet> = Table::new("policy_sets");
/// Policies set through PolicyService, by name.
pub const POLICIES: Table<v1::Policy> = Table::new("policies");
/// Chains attached through PolicyService, by `scope/direction/family`.
pub const ATTACHMENTS: Table<v1::Attachment> = Table::new("attachments");
/// BMP stations added through BmpService, by `address:port`.
pub const BMP_STATIONS: Table<v1::BmpStation> = Table::new("bmp_stations");

const ALL: [&str; 11] = [
    PATHS.name,
    FLOWSPEC.name,
    NEIGHBORS.name,
    PEER_GROUPS.name,
    DYNAMIC_NEIGHBORS.name,
    DISABLED.name,
    GLOBAL.name,
    POLICY_SETS.name,
    POLICIES.name,
    ATTACHMENTS.name,
    BMP_STATIONS.name,
];

pub struct Store {
    path: PathBuf,
    /// `None` while a reopen failed (tried again at the next call).
    db: std::sync::RwLock<Option<redb::Database>>,
}

fn db_err<E: Into<redb::Error>>(table: &'static str) -> impl FnOnce(E) -> StoreError {
    move |e| {
        let e: redb::Error = e.into();
        let full =
            matches!(&e, redb::Error::Io(io) if io.kind() == std::io::ErrorKind::StorageFull);
        if full {
            StoreError::Full { table, error: e }
        } else {
            StoreError::Db { table, source: e }
        }
    }
}

impl StoreError {
    /// redb refuses every call after an I/O error until the database is
    /// opened again.
    fn poisoned(&self) -> bool {
        matches!(
            self,
            StoreError::Db {
                source: redb::Error::PreviousIo,
                ..
            }
        ) || matches!(self, StoreError::Full { .. })
    }

    /// The state directory is full: the caller may say so (not an
    /// internal error).
    pub fn is_full(&self) -> bool {
        match self {
            StoreError::Full { .. } => true,
            StoreError::Reopen {
                error: redb::DatabaseError::Storage(redb::StorageError::Io(e)),
                ..
            } => e.kind() == std::io::ErrorKind::StorageFull,
            _ => false,
        }
    }
}

fn open_db(path: &Path) -> Result<redb::Database, StoreError> {
    redb::Database::create(path).map_err(|error| StoreError::Open {
        path: path.to_path_buf(),
        error,
    })
}

impl Store {
    /// Opens (creating it and `state_dir` if needed) the database. After a
    /// crash redb recovers to the last committed transaction. Fails if
    /// another process has it open: one rbgpd per state_dir.
    pub fn open(state_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(state_dir).map_err(|source| StoreError::Dir {
            path: state_dir.to_path_buf(),
            source,
        })?;
        let path = state_dir.join(FILE_NAME);
        let db = open_db(&path)?;
        // Every table exists from the start, so reads need no special case.
        let tx = db.begin_write().map_err(db_err("*"))?;
        for name in ALL {
            let def: TableDefinition<&str, &[u8]> = TableDefinition::new(name);
            tx.open_table(def).map_err(db_err(name))?;
        }
        tx.commit().map_err(db_err("*"))?;
        Ok(Store {
            path,
            db: std::sync::RwLock::new(Some(db)),
        })
    }

    /// Runs `f` on the database. After an I/O error (a full disk...) redb
    /// refuses everything until the database is opened again: it is, and
    /// `f` runs once more, so the store works again once there is space.
    /// A failed write committed nothing (redb recovers to the last
    /// committed transaction).
    fn with<T>(
        &self,
        f: impl Fn(&redb::Database) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let first = {
            let g = self
                .db
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            g.as_ref().map(&f)
        };
        match first {
            Some(Err(e)) if e.poisoned() => {}
            Some(r) => return r,
            None => {}
        }
        let mut g = self
            .db
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // redb holds a lock on the file: the old handle goes before the
        // new one opens.
        *g = None;
        let db = redb::Database::create(&self.path).map_err(|error| StoreError::Reopen {
            path: self.path.clone(),
            error,
        })?;
        *g = Some(db);
        match g.as_ref() {
            Some(db) => f(db),
            None => Err(StoreError::Db {
                table: "*",
                source: redb::Error::PreviousIo,
            }),
        }
    }

    /// Inserts or replaces one record, durably.
    pub fn put<M: prost::Message>(
        &self,
        table: &Table<M>,
        key: &str,
        msg: &M,
    ) -> Result<(), StoreError> {
        self.put_many(table, [(key, msg)])
    }

    /// Inserts or replaces records in one transaction: all or none.
    pub fn put_many<'a, M: prost::Message + 'a, K: AsRef<str>>(
        &self,
        table: &Table<M>,
        items: impl IntoIterator<Item = (K, &'a M)>,
    ) -> Result<(), StoreError> {
        let mut encoded: Vec<(K, Vec<u8>)> = Vec::new();
        for (k, m) in items {
            encoded.push((k, m.encode_to_vec()));
        }
        self.with(|db| {
            let tx = db.begin_write().map_err(db_err(table.name))?;
            {
                let mut t = tx.open_table(table.def()).map_err(db_err(table.name))?;
                for (k, v) in &encoded {
                    t.insert(k.as_ref(), v.as_slice())
                        .map_err(db_err(table.name))?;
                }
            }
            tx.commit().map_err(db_err(table.name))
        })
    }

    /// Removes one record, durably. `false` if there was none.
    pub fn delete<M>(&self, table: &Table<M>, key: &str) -> Result<bool, StoreError> {
        Ok(self.delete_many(table, [key])? == 1)
    }

    /// Removes records in one transaction; returns how many existed.
    pub fn delete_many<M, K: AsRef<str>>(
        &self,
        table: &Table<M>,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<usize, StoreError> {
        let keys: Vec<K> = keys.into_iter().collect();
        self.with(|db| {
            let tx = db.begin_write().map_err(db_err(table.name))?;
            let mut n = 0;
            {
                let mut t = tx.open_table(table.def()).map_err(db_err(table.name))?;
                for k in &keys {
                    if t.remove(k.as_ref()).map_err(db_err(table.name))?.is_some() {
                        n += 1;
                    }
                }
            }
            tx.commit().map_err(db_err(table.name))?;
            Ok(n)
        })
    }

    /// One record.
    pub fn get<M: prost::Message + Default>(
        &self,
        table: &Table<M>,
        key: &str,
    ) -> Result<Option<M>, StoreError> {
        self.with(|db| {
            let tx = db.begin_read().map_err(db_err(table.name))?;
            let t = tx.open_table(table.def()).map_err(db_err(table.name))?;
            let Some(v) = t.get(key).map_err(db_err(table.name))? else {
                return Ok(None);
            };
            decode(table, key, v.value()).map(Some)
        })
    }

    /// Every record of a table, in key order: what rbgpd restores at start.
    pub fn load<M: prost::Message + Default>(
        &self,
        table: &Table<M>,
    ) -> Result<Vec<(String, M)>, StoreError> {
        self.with(|db| {
            let tx = db.begin_read().map_err(db_err(table.name))?;
            let t = tx.open_table(table.def()).map_err(db_err(table.name))?;
            let mut out = Vec::new();
            for item in t.iter().map_err(db_err(table.name))? {
                let (k, v) = item.map_err(db_err(table.name))?;
                let key = k.value().to_string();
                let m = decode(table, &key, v.value())?;
                out.push((key, m));
            }
            Ok(out)
        })
    }
}

fn decode<M: prost::Message + Default>(
    table: &Table<M>,
    key: &str,
    bytes: &[u8],
) -> Result<M, StoreError> {
    M::decode(bytes).map_err(|source| StoreError::Decode {
        table: table.name,
        key: key.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests;
