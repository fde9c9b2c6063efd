//! How statements reach SQLite: one writer thread that commits queued changes together, and
//! reads run in place on a small pool of read connections.
//!
//! Why not `sqlx` here (it still runs the migrations): sqlx's SQLite driver gives every
//! connection its own thread and hands it each statement, and each row back, through a
//! channel. A rotation is six statements, so it cost twelve thread wake-ups, and profiling
//! (BENCHMARKS.md) found the server spending more time switching threads than in SQLite.
//! Here a change is one closure sent once to the writer thread, and a read is a B-tree lookup
//! of a few microseconds on the caller's thread, cheaper than handing it to another.
//!
//! Group commit: the writer takes every change queued behind the one it waited for (up to
//! [`MAX_BATCH`]) and runs them in one transaction, each inside its own savepoint. A change
//! that fails is rolled back to its savepoint alone, so each stays all-or-nothing, and no
//! caller hears of success before the commit that holds its change. Changes run one after
//! another, in arrival order, so of two rotations of one token the second sees the first.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use tessera_core::store::StoreError;
use tokio::sync::oneshot;

use crate::errors::sqlite_error;

/// The most changes one commit carries: enough to absorb a burst, few enough that the first
/// caller of a batch does not wait long for the last.
const MAX_BATCH: usize = 128;

/// Read connections kept open. The server has one runtime thread per core, and each read
/// holds a connection only for its lookup, so this rarely has to open another.
const IDLE_READERS: usize = 4;

/// How long a statement waits for a lock held by another process (the CLI, say) before the
/// request gets a retryable "unavailable".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A change, run by the writer (inside its savepoint when it shares the transaction); its
/// result waits for the commit.
trait Job: Send {
    /// Runs the change; whether it succeeded. `Err` when its savepoint could not be opened or
    /// closed: then the transaction may hold part of the change and must not be committed.
    fn run(&mut self, conn: &Connection, in_own_savepoint: bool) -> Result<bool, rusqlite::Error>;
    fn finish(self: Box<Self>, commit: Result<(), &rusqlite::Error>);
}

struct PendingJob<F, R> {
    work: Option<F>,
    outcome: Option<Result<R, StoreError>>,
    reply: oneshot::Sender<Result<R, StoreError>>,
}

impl<F, R> Job for PendingJob<F, R>
where
    F: FnOnce(&Connection) -> Result<R, StoreError> + Send,
    R: Send,
{
    fn run(&mut self, conn: &Connection, in_own_savepoint: bool) -> Result<bool, rusqlite::Error> {
        let Some(work) = self.work.take() else {
            return Ok(false);
        };
        let outcome = if in_own_savepoint {
            in_savepoint(conn, work)?
        } else {
            guarded(conn, work)
        };
        let succeeded = outcome.is_ok();
        self.outcome = Some(outcome);
        Ok(succeeded)
    }

    fn finish(self: Box<Self>, commit: Result<(), &rusqlite::Error>) {
        let outcome = match (commit, self.outcome) {
            // A change that failed on its own reports that, whatever happened to the batch.
            (_, Some(Err(e))) => Err(e),
            (Ok(()), Some(Ok(value))) => Ok(value),
            (Err(e), _) => Err(sqlite_error(e)),
            (Ok(()), None) => Err(StoreError::Backend("change was not run".into())),
        };
        // The caller may have gone (its request was cancelled); the change stands regardless.
        let _ = self.reply.send(outcome);
    }
}

/// Runs `work` between `SAVEPOINT` and `RELEASE`, rolled back to the savepoint if it fails.
/// The outer `Err`: a savepoint statement failed, so the change may be half in the transaction.
fn in_savepoint<R>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<R, StoreError>,
) -> Result<Result<R, StoreError>, rusqlite::Error> {
    run_cached(conn, "SAVEPOINT change")?;
    let outcome = guarded(conn, work);
    if outcome.is_err() {
        run_cached(conn, "ROLLBACK TO change")?;
    }
    run_cached(conn, "RELEASE change")?;
    Ok(outcome)
}

/// Runs `work`; a panic in it becomes an error rather than the end of the writer thread.
fn guarded<R>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    catch_unwind(AssertUnwindSafe(|| work(conn)))
        .unwrap_or_else(|_| Err(StoreError::Backend("a database change panicked".into())))
}

/// Runs a statement without parameters, prepared once per connection: the writer runs its
/// transaction and savepoint statements thousands of times a second.
fn run_cached(conn: &Connection, sql: &str) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// Where a database lives: a file that every connection opens, or memory that only the
/// writer's connection holds.
#[derive(Debug, Clone)]
pub enum Location {
    File(PathBuf),
    Memory,
}

#[derive(Clone)]
pub struct Engine {
    jobs: mpsc::Sender<Box<dyn Job>>,
    readers: Option<Arc<ReaderPool>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Opens the writer (its thread ends when the last `Engine` clone is dropped) and, for a
    /// file, the read connections.
    pub fn open(location: &Location) -> Result<Engine, StoreError> {
        Engine::open_with(location, Checkpoints::DEFAULT)
    }

    fn open_with(location: &Location, checkpoints: Checkpoints) -> Result<Engine, StoreError> {
        let writer = open_connection(location)?;
        let readers = match location {
            Location::File(path) => Some(Arc::new(ReaderPool::open(path)?)),
            Location::Memory => None,
        };
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(&writer, &queue, checkpoints))
            .map_err(|e| StoreError::Backend(format!("cannot start the SQLite writer: {e}")))?;
        Ok(Engine { jobs, readers })
    }

    /// Runs `work` as one all-or-nothing change, committed before this returns.
    pub async fn write<R, F>(&self, work: F) -> Result<R, StoreError>
    where
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (reply, outcome) = oneshot::channel();
        let job = PendingJob {
            work: Some(work),
            outcome: None,
            reply,
        };
        self.jobs
            .send(Box::new(job))
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?;
        outcome
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?
    }

    /// Runs `work` on a read connection: it sees every change committed before it started.
    pub async fn read<R, F>(&self, work: F) -> Result<R, StoreError>
    where
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        match &self.readers {
            Some(readers) => readers.with_connection(work),
            // An in-memory database exists on the writer's connection only.
            None => self.write(work).await,
        }
    }
}

/// When the writer copies the log back into the database (a checkpoint): after every
/// `changes` committed changes, or once `interval` has passed since the last one, whichever
/// comes first.
///
/// A checkpoint holds the writer, and so every change queued behind it, for as long as it
/// copies: a page write per page changed since the last one (random pages of the token-hash
/// index, with many stored tokens) and, on a disk, two `fsync`s. Counting changes bounds that
/// pause whatever the load; a timer alone let it grow with the rate (50 ms of rotations at
/// 13,000/s with ten million tokens held the writer for several milliseconds, and on a disk a
/// p99 of 23 ms at 64 clients became 12 ms; BENCHMARKS.md, item 12). The interval bounds the
/// log at low rates, where a checkpoint every few changes would be mostly `fsync`s.
#[derive(Debug, Clone, Copy)]
struct Checkpoints {
    changes: usize,
    interval: Duration,
}

impl Checkpoints {
    const DEFAULT: Checkpoints = Checkpoints {
        changes: 32,
        interval: Duration::from_millis(50),
    };
}

fn write_loop(conn: &Connection, queue: &mpsc::Receiver<Box<dyn Job>>, checkpoints: Checkpoints) {
    let mut last_checkpoint = Instant::now();
    let mut changes_since_checkpoint = 0;
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = run_batch(conn, &mut batch);
        if commit.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        changes_since_checkpoint += batch.len();
        for job in batch {
            job.finish(commit.as_ref().map(|_| ()));
        }
        // SQLite would checkpoint inside a commit, so the callers of that batch would wait for
        // it; here it runs after they have their answers (`wal_autocheckpoint` is off). On
        // this thread, between two transactions, it copies the whole log, so the next commit
        // starts the log over instead of growing it.
        if changes_since_checkpoint >= checkpoints.changes
            || last_checkpoint.elapsed() >= checkpoints.interval
        {
            // A failed checkpoint is retried next time; the log only grows meanwhile.
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            last_checkpoint = Instant::now();
            changes_since_checkpoint = 0;
        }
    }
}

fn run_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> Result<(), rusqlite::Error> {
    run_cached(conn, "BEGIN IMMEDIATE")?;
    if let [only] = batch {
        // Alone in its transaction, a change needs no savepoint: if it fails, all of the
        // transaction goes.
        let succeeded = only.run(conn, false)?;
        return run_cached(conn, if succeeded { "COMMIT" } else { "ROLLBACK" });
    }
    for job in batch.iter_mut() {
        job.run(conn, true)?;
    }
    run_cached(conn, "COMMIT")
}

struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    fn open(path: &Path) -> Result<ReaderPool, StoreError> {
        let mut idle = Vec::with_capacity(IDLE_READERS);
        for _ in 0..IDLE_READERS {
            idle.push(open_reader(path)?);
        }
        Ok(ReaderPool {
            path: path.to_owned(),
            idle: Mutex::new(idle),
        })
    }

    fn with_connection<R>(
        &self,
        work: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        // A poisoned lock only means another reader panicked while holding the list.
        let taken = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match taken {
            Some(conn) => conn,
            None => open_reader(&self.path)?,
        };
        let outcome = work(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        outcome
    }
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sqlite_error(&e))?;
    configure(&conn)?;
    Ok(conn)
}

fn open_connection(location: &Location) -> Result<Connection, StoreError> {
    let conn = match location {
        Location::File(path) => Connection::open(path),
        Location::Memory => Connection::open_in_memory(),
    }
    .map_err(|e| sqlite_error(&e))?;
    configure(&conn)?;
    // WAL lets reads run while the writer commits, and a commit then appends to the log
    // without waiting for the disk (durable at the next checkpoint). The schema's ON DELETE
    // CASCADE needs foreign keys, which matter only where changes are made.
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        .map_err(|e| sqlite_error(&e))?;
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0",
    )
    .map_err(|e| sqlite_error(&e))?;
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| sqlite_error(&e))?;
    // Every request runs the same few statements: keep them all prepared.
    conn.set_prepared_statement_cache_capacity(64);
    // A savepoint's undo log (and any temporary table) stays in memory, off the disk.
    conn.execute_batch("PRAGMA temp_store = MEMORY")
        .map_err(|e| sqlite_error(&e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// The log is copied into the database file as soon as the set number of changes has been
    /// committed, without waiting for the interval, and not before.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_is_checkpointed_after_the_set_number_of_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let checkpoints = Checkpoints {
            changes: 8,
            interval: Duration::from_secs(3600),
        };
        let engine = Engine::open_with(&Location::File(path.clone()), checkpoints).unwrap();
        let file_len = || std::fs::metadata(&path).unwrap().len();
        let before = file_len();
        let insert_blob = |k: i64| {
            engine.write(move |conn| {
                conn.execute("INSERT INTO t (k, v) VALUES (?1, zeroblob(16384))", [k])
                    .map_err(|e| sqlite_error(&e))
            })
        };
        engine
            .write(|conn| {
                conn.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)")
                    .map_err(|e| sqlite_error(&e))
            })
            .await
            .unwrap();
        for k in 0..6 {
            insert_blob(k).await.unwrap();
        }
        // Seven changes: everything is still in the log only.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(file_len(), before, "checkpointed before the eighth change");

        insert_blob(6).await.unwrap();
        // The checkpoint runs just after the eighth change's answer.
        let copied = before + 6 * 16384;
        let deadline = Instant::now() + Duration::from_secs(10);
        while file_len() < copied && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            file_len() >= copied,
            "not checkpointed after eight changes: {} bytes, expected at least {copied}",
            file_len()
        );
    }

    /// Many changes at once are committed in shared transactions; each one that fails is undone
    /// entirely and alone, whatever it shared a commit with.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_change_is_undone_alone_in_a_shared_commit() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(&Location::File(dir.path().join("t.db"))).unwrap();
        engine
            .write(|conn| {
                conn.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
                    .map_err(|e| sqlite_error(&e))
            })
            .await
            .unwrap();
        let changes: Vec<_> = (0..400_i64)
            .map(|k| {
                let engine = engine.clone();
                tokio::spawn(async move {
                    engine
                        .write(move |conn| {
                            conn.execute("INSERT INTO t (k, v) VALUES (?1, 'first')", [k])
                                .map_err(|e| sqlite_error(&e))?;
                            conn.execute("INSERT INTO t (k, v) VALUES (?1, 'second')", [k + 1000])
                                .map_err(|e| sqlite_error(&e))?;
                            if k % 3 == 0 {
                                return Err(StoreError::NotLive);
                            }
                            if k % 3 == 1 {
                                // Fails in SQLite itself: the key exists.
                                conn.execute("INSERT INTO t (k, v) VALUES (?1, 'dup')", [k])
                                    .map_err(|e| sqlite_error(&e))?;
                            }
                            Ok(k)
                        })
                        .await
                })
            })
            .collect();
        for (k, change) in (0..400_i64).zip(changes) {
            let outcome = change.await.unwrap();
            match k % 3 {
                0 => assert!(
                    matches!(outcome, Err(StoreError::NotLive)),
                    "{k}: {outcome:?}"
                ),
                1 => assert!(
                    matches!(outcome, Err(StoreError::Backend(_))),
                    "{k}: {outcome:?}"
                ),
                _ => assert_eq!(outcome.unwrap(), k),
            }
        }
        let kept: Vec<i64> = engine
            .read(|conn| {
                let mut statement = conn.prepare("SELECT k FROM t ORDER BY k").unwrap();
                let keys = statement.query_map([], |r| r.get(0)).unwrap();
                Ok(keys.map(Result::unwrap).collect())
            })
            .await
            .unwrap();
        let expected: Vec<i64> = (0..400_i64)
            .filter(|k| k % 3 == 2)
            .chain((0..400_i64).filter(|k| k % 3 == 2).map(|k| k + 1000))
            .collect();
        assert_eq!(kept, expected);
    }
}
