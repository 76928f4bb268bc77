//! SQLite's one writer in this process, with group commit.
//!
//! SQLite lets one transaction write at a time, and with `synchronous=FULL` every
//! commit waits for the disk. So this process's units of work (placing and cancelling
//! orders) run one after another on one connection, owned by a thread of its own,
//! inside a shared *batch* transaction: each unit in a savepoint of its own (rolled back
//! alone if the unit changes nothing, fails or panics), and when no unit is waiting, or
//! the batch is full, the batch commits once for all of them. A unit runs whole on that
//! thread: one hand-off in, one answer out, however many statements it runs. Its answer
//! is sent only once the batch is committed, so nothing is acknowledged before it is
//! durable, and nothing is answered from writes that might yet be rolled back; if the
//! commit fails, every unit of the batch gets the error.
//!
//! The queue is bounded, and a unit that cannot start within the store's wait limit
//! (`--pool-timeout-ms`) fails as unavailable rather than wait without end. A panic in
//! a unit fails that unit alone; should the thread itself die, the next request starts
//! a new one.
//!
//! Reads that follow what was just written (the event feed) can run on the writer's
//! connection too ([`SqliteWriter::read`]), between batches: they see only what is
//! committed, and find in its page cache the pages the batches just wrote, where a pool
//! connection would read each page again (SQLite empties a connection's cache whenever
//! another connection has committed since its last read).
//!
//! Writes outside units of work (products, users, keys, login failures, migrations) run
//! on the store's sqlx pool during an [`AloneTurn`]: the open batch commits first, and
//! no unit starts until that write is done. Other processes on the same file wait
//! through SQLite's busy timeout as before.

use super::sqlite_checkpoint::Checkpoints;
use super::sqlite_statements::sqlite_error;
use super::{SQLITE_CHECKPOINT_PAGES, SQLITE_PAGE_SIZE};
use orders_core::ports::BackendError;
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Units of work at most in one batch: bounds how long the first one waits for its
/// commit while later ones run, and how long the write lock is held.
const MAX_BATCH: usize = 64;
/// Requests at most waiting for the writer; more wait to be queued, within the limit.
const QUEUE: usize = 1024;
/// The writer's page cache, in KiB (SQLite's default is 2,000). It keeps the pages
/// every batch comes back to (the products', each customer's place in the orders'
/// index): with SQLite's default, a database of some 800,000 orders read 0.8 pages
/// per order from the file; with 4 MiB, 0.1 (docs/benchmarks.md).
const WRITER_CACHE_KIB: i64 = 4096;

/// A unit's work on the writer's connection: its answer, and whether to keep what it
/// wrote (`false` rolls its savepoint back: it answers from what it read).
pub(super) type Work<T> = Box<dyn FnOnce(&Connection) -> Result<(T, bool), BackendError> + Send>;

/// A queued unit, run on the writer's connection, or told why it cannot run (its wait
/// ran out, or the batch could not begin): then it only answers so.
type Run = Box<dyn FnOnce(Result<&Connection, BackendError>) -> Ran + Send>;

/// Tells a unit how its batch ended.
type Tell = Box<dyn FnOnce(Result<(), BackendError>) + Send>;

/// A queued read, run on the writer's connection in a read transaction of its own, or
/// told why it cannot run.
type Look = Box<dyn FnOnce(Result<&Connection, BackendError>) + Send>;

/// The handle to this process's writer; cheap to clone.
#[derive(Clone)]
pub(super) struct SqliteWriter {
    shared: std::sync::Arc<Shared>,
}

struct Shared {
    /// The file the writer writes, to open a connection when it (re)starts.
    path: std::path::PathBuf,
    /// How long a request may wait for its turn.
    wait: Duration,
    /// Frames in the WAL that make a checkpoint due.
    checkpoint_frames: u32,
    /// The running writer's queue; replaced when the writer has to be restarted.
    queue: Mutex<mpsc::Sender<Job>>,
}

enum Job {
    Unit {
        queued: Instant,
        deadline: Instant,
        turn: std::sync::Arc<Turn>,
        run: Run,
    },
    Alone {
        deadline: Instant,
        grant: oneshot::Sender<AloneTurn>,
    },
    Read(QueuedRead),
    #[cfg(test)]
    Crash,
}

/// A read waiting for its turn, which comes once no batch is open.
struct QueuedRead {
    queued: Instant,
    deadline: Instant,
    turn: std::sync::Arc<Turn>,
    look: Look,
}

/// What a unit left the writer to do.
struct Ran {
    keep: bool,
    /// Told the batch's fate once it ends; `None` when the unit was answered already.
    after_commit: Option<Tell>,
}

/// Who a queued unit belongs to once its wait is over: the writer, which runs it, or
/// its requester, which gave up waiting (then it is never run).
#[derive(Default)]
struct Turn(AtomicU8);

const QUEUED: u8 = 0;
const TAKEN: u8 = 1;
const ABANDONED: u8 = 2;

impl Turn {
    fn settle(&self, to: u8) -> bool {
        self.0.compare_exchange(QUEUED, to, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }
}

/// Exclusive use of SQLite's write lock within this process while it lives.
pub(super) struct AloneTurn {
    _done: oneshot::Sender<()>,
}

impl SqliteWriter {
    /// Starts the writer on `path`, giving each request at most `wait` to get its turn.
    pub(super) fn start(path: &Path, wait: Duration) -> Result<Self, BackendError> {
        Self::start_checkpointing_at(path, wait, SQLITE_CHECKPOINT_PAGES)
    }

    /// [`start`](Self::start), with checkpoints due once the WAL holds `frames`.
    fn start_checkpointing_at(path: &Path, wait: Duration, frames: u32) -> Result<Self, BackendError> {
        let queue = spawn(path, wait, frames)?;
        let shared = Shared { path: path.to_owned(), wait, checkpoint_frames: frames, queue: Mutex::new(queue) };
        Ok(Self { shared: std::sync::Arc::new(shared) })
    }

    /// Runs `work` as a unit of work, after the units that asked before it, and answers
    /// once the batch it ran in is committed. A unit that has not started when the wait
    /// limit passes never runs, and fails as unavailable.
    pub(super) async fn unit<T: Send + 'static>(&self, work: Work<T>) -> Result<T, BackendError> {
        let queued = Instant::now();
        let deadline = queued + self.shared.wait;
        let turn = std::sync::Arc::new(Turn::default());
        let (reply, mut answer) = oneshot::channel::<Result<T, BackendError>>();
        let run = Box::new(move |conn: Result<&Connection, BackendError>| -> Ran {
            let conn = match conn {
                Ok(conn) => conn,
                Err(cannot_run) => {
                    let _ = reply.send(Err(cannot_run));
                    return Ran { keep: false, after_commit: None };
                }
            };
            match work(conn) {
                Ok((value, keep)) => Ran {
                    keep,
                    after_commit: Some(Box::new(move |committed: Result<(), BackendError>| {
                        let _ = reply.send(committed.map(|()| value));
                    })),
                },
                Err(error) => {
                    let _ = reply.send(Err(error));
                    Ran { keep: false, after_commit: None }
                }
            }
        });
        self.send(Job::Unit { queued, deadline, turn: turn.clone(), run }, deadline).await?;
        let answered = match tokio::time::timeout_at(deadline.into(), &mut answer).await {
            Ok(answered) => answered,
            Err(_) if turn.settle(ABANDONED) => return Err(waited_too_long()),
            Err(_) => answer.await,
        };
        answered.unwrap_or_else(|_| Err(BackendError::failed("the SQLite writer failed while running this request")))
    }

    /// Runs `work` on the writer's connection once no batch is open (after the units that
    /// asked before it have committed), in a read transaction: it sees only what is
    /// committed. It must only read. A read that has not started when the wait limit
    /// passes never runs, and fails as unavailable.
    pub(super) async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, BackendError> + Send + 'static,
    ) -> Result<T, BackendError> {
        let queued = Instant::now();
        let deadline = queued + self.shared.wait;
        let turn = std::sync::Arc::new(Turn::default());
        let (reply, mut answer) = oneshot::channel::<Result<T, BackendError>>();
        let look = Box::new(move |conn: Result<&Connection, BackendError>| {
            let _ = reply.send(conn.and_then(|conn| in_read_transaction(conn, work)));
        });
        self.send(Job::Read(QueuedRead { queued, deadline, turn: turn.clone(), look }), deadline).await?;
        let answered = match tokio::time::timeout_at(deadline.into(), &mut answer).await {
            Ok(answered) => answered,
            Err(_) if turn.settle(ABANDONED) => return Err(waited_too_long()),
            Err(_) => answer.await,
        };
        answered.unwrap_or_else(|_| Err(BackendError::failed("the SQLite writer failed while running this read")))
    }

    /// Requests queued for the writer now (units of work, reads, turns alone).
    pub(super) fn queued(&self) -> usize {
        QUEUE - self.shared.queue.lock().unwrap_or_else(|e| e.into_inner()).capacity()
    }

    /// The write lock for a write outside units of work, until the turn is dropped.
    pub(super) async fn alone(&self) -> Result<AloneTurn, BackendError> {
        let deadline = Instant::now() + self.shared.wait;
        let (grant, granted) = oneshot::channel();
        self.send(Job::Alone { deadline, grant }, deadline).await?;
        match tokio::time::timeout_at(deadline.into(), granted).await {
            Ok(Ok(turn)) => Ok(turn),
            Ok(Err(_)) | Err(_) => Err(waited_too_long()),
        }
    }

    /// Queues `job` before `deadline`, starting a new writer if the last one died.
    async fn send(&self, mut job: Job, deadline: Instant) -> Result<(), BackendError> {
        for _ in 0..2 {
            let queue = self.shared.queue.lock().unwrap_or_else(|e| e.into_inner()).clone();
            match tokio::time::timeout_at(deadline.into(), queue.send(job)).await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(mpsc::error::SendError(returned))) => {
                    job = returned;
                    self.restart(&queue)?;
                }
                Err(_) => return Err(waited_too_long()),
            }
        }
        Err(BackendError::unavailable("the SQLite writer keeps stopping"))
    }

    /// Replaces a writer that stopped (its queue `dead` is closed) with a new one.
    fn restart(&self, dead: &mpsc::Sender<Job>) -> Result<(), BackendError> {
        let mut queue = self.shared.queue.lock().unwrap_or_else(|e| e.into_inner());
        if queue.same_channel(dead) {
            tracing::error!("the SQLite writer stopped; starting a new one");
            *queue = spawn(&self.shared.path, self.shared.wait, self.shared.checkpoint_frames)?;
        }
        Ok(())
    }
}

fn waited_too_long() -> BackendError {
    BackendError::unavailable("the SQLite writer is saturated: a request waited too long for its turn")
}

/// Opens the writer's connection and starts its thread; the queue to it. While another
/// process holds SQLite's write lock, a batch waits for it as long as a request may
/// wait for its turn, then its unit fails as unavailable.
fn spawn(path: &Path, wait: Duration, checkpoint_frames: u32) -> Result<mpsc::Sender<Job>, BackendError> {
    let conn = open(path, wait).map_err(sqlite_error)?;
    let checkpoints = Checkpoints::start(&conn, path, checkpoint_frames)?;
    let (queue, jobs) = mpsc::channel(QUEUE);
    std::thread::Builder::new()
        .name("sqlite-writer".to_owned())
        .spawn(move || write(&conn, &checkpoints, jobs))
        .map_err(BackendError::failed)?;
    Ok(queue)
}

/// A connection with the store's settings: its page size (if it creates the
/// database), WAL, `synchronous=FULL`, foreign keys, its page cache. Its checkpoints are
/// [`Checkpoints`]'.
fn open(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "page_size", SQLITE_PAGE_SIZE)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    conn.busy_timeout(busy_timeout)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// `work` in a read transaction of its own on `conn`.
fn in_read_transaction<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, BackendError>,
) -> Result<T, BackendError> {
    run_cached(conn, "BEGIN").map_err(sqlite_error)?;
    let read = catch_unwind(AssertUnwindSafe(|| work(conn)));
    let ended = run_cached(conn, "COMMIT").map_err(sqlite_error);
    if ended.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    match read {
        Ok(read) => read.and_then(|value| ended.map(|()| value)),
        Err(_) => Err(BackendError::failed("a read on the SQLite writer panicked")),
    }
}

/// The writer's loop: runs units in arrival order, batch after batch, and reads between
/// batches.
fn write(conn: &Connection, checkpoints: &Checkpoints, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Batch::default();
    let mut reads = Vec::new();
    while let Some(first) = jobs.blocking_recv() {
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Unit { queued, deadline, turn, run } => {
                    metrics::histogram!(super::direct::ACQUIRE_SECONDS).record(queued.elapsed().as_secs_f64());
                    if !batch.open {
                        run_reads(conn, &mut reads);
                    }
                    batch.run(conn, deadline, &turn, run)
                }
                Job::Alone { deadline, grant } => {
                    batch.commit(conn, checkpoints);
                    run_reads(conn, &mut reads);
                    if Instant::now() > deadline {
                        continue;
                    }
                    let (done, finished) = oneshot::channel();
                    if grant.send(AloneTurn { _done: done }).is_ok() {
                        let _ = finished.blocking_recv();
                    }
                }
                Job::Read(read) => {
                    reads.push(read);
                    if !batch.open {
                        run_reads(conn, &mut reads);
                    }
                }
                #[cfg(test)]
                Job::Crash => panic!("the writer was asked to crash"),
            }
            if batch.units < MAX_BATCH {
                next = jobs.try_recv().ok();
            }
        }
        batch.commit(conn, checkpoints);
        run_reads(conn, &mut reads);
    }
}

/// Runs the `reads` that waited for no batch to be open, or tells those whose wait ran
/// out.
fn run_reads(conn: &Connection, reads: &mut Vec<QueuedRead>) {
    for QueuedRead { queued, deadline, turn, look } in reads.drain(..) {
        if Instant::now() > deadline || !turn.settle(TAKEN) {
            look(Err(waited_too_long()));
            continue;
        }
        metrics::histogram!(super::direct::ACQUIRE_SECONDS).record(queued.elapsed().as_secs_f64());
        look(Ok(conn));
    }
}

/// Runs one of the writer's own statements, parsed once per connection.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// The open batch transaction, and the units waiting for its commit.
#[derive(Default)]
struct Batch {
    open: bool,
    units: usize,
    waiting: Vec<Tell>,
}

impl Batch {
    /// Runs one unit in a savepoint of the batch (opening the batch if needed), unless
    /// its deadline passed while it queued.
    fn run(&mut self, conn: &Connection, deadline: Instant, turn: &Turn, run: Run) {
        if Instant::now() > deadline || !turn.settle(TAKEN) {
            run(Err(waited_too_long()));
            return;
        }
        if !self.open {
            if let Err(error) = run_cached(conn, "BEGIN IMMEDIATE") {
                run(Err(sqlite_error(error)));
                return;
            }
            self.open = true;
            self.units = 0;
        }
        self.units += 1;
        if let Err(error) = run_cached(conn, "SAVEPOINT unit") {
            self.fail(conn, sqlite_error(error));
            return;
        }
        let ran = catch_unwind(AssertUnwindSafe(|| run(Ok(conn))));
        let keep = matches!(&ran, Ok(Ran { keep: true, .. }));
        if let Ok(Ran { after_commit: Some(tell), .. }) = ran {
            self.waiting.push(tell);
        }
        let ended = match keep {
            true => run_cached(conn, "RELEASE unit"),
            false => run_cached(conn, "ROLLBACK TO unit").and_then(|()| run_cached(conn, "RELEASE unit")),
        };
        if let Err(error) = ended {
            self.fail(conn, sqlite_error(error));
        }
    }

    /// Commits the batch, and tells its units how that went; then asks for a
    /// checkpoint if one is due.
    fn commit(&mut self, conn: &Connection, checkpoints: &Checkpoints) {
        if !self.open {
            return;
        }
        match run_cached(conn, "COMMIT") {
            Ok(()) => {
                self.open = false;
                metrics::histogram!("orders_sqlite_commit_batch_size").record(self.waiting.len() as f64);
                for tell in self.waiting.drain(..) {
                    tell(Ok(()));
                }
                checkpoints.after_commit(conn);
            }
            Err(error) => self.fail(conn, sqlite_error(error)),
        }
    }

    /// Gives up the batch after `error`: rolls back what is left of it and tells every
    /// unit in it.
    fn fail(&mut self, conn: &Connection, error: BackendError) {
        tracing::error!(cause = %error, "the SQLite writer's batch failed; rolling it back");
        let _ = conn.execute_batch("ROLLBACK");
        self.open = false;
        let message = error.to_string();
        for tell in self.waiting.drain(..) {
            tell(Err(BackendError::unavailable(message.clone())));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database with one table, in a directory of its own.
    fn database() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("writer.db");
        Connection::open(&path).unwrap().execute_batch("CREATE TABLE t (n INTEGER NOT NULL)").unwrap();
        (dir, path)
    }

    fn writer() -> (tempfile::TempDir, SqliteWriter) {
        let (dir, path) = database();
        (dir, SqliteWriter::start(&path, Duration::from_secs(2)).unwrap())
    }

    fn insert(n: i64) -> Work<()> {
        Box::new(move |conn| {
            conn.execute("INSERT INTO t (n) VALUES (?1)", [n]).map_err(sqlite_error)?;
            Ok(((), true))
        })
    }

    fn count(dir: &tempfile::TempDir) -> i64 {
        let conn = Connection::open(dir.path().join("writer.db")).unwrap();
        conn.query_row("SELECT count(*) FROM t", [], |row| row.get(0)).unwrap()
    }

    /// Inserts `rows` rows of 3,000 bytes: one 4 KiB page each.
    fn rows_a_page(rows: u32) -> Work<()> {
        Box::new(move |conn| {
            let insert = "WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < ?1) \
                          INSERT INTO t (n) SELECT randomblob(3000) FROM i";
            conn.execute(insert, [rows]).map_err(sqlite_error)?;
            Ok(((), true))
        })
    }

    fn size(dir: &tempfile::TempDir, file: &str) -> u64 {
        std::fs::metadata(dir.path().join(file)).unwrap().len()
    }

    /// Checkpoints of the tests that count frames are due at this many (4 KiB pages).
    const TEST_CHECKPOINT_FRAMES: u32 = 500;

    fn writer_checkpointing_at_test_size() -> (tempfile::TempDir, SqliteWriter) {
        let (dir, path) = database();
        let writer = SqliteWriter::start_checkpointing_at(&path, Duration::from_secs(10), TEST_CHECKPOINT_FRAMES);
        (dir, writer.unwrap())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commits_stay_in_the_wal_until_it_holds_the_checkpoint_size() {
        let (dir, writer) = writer_checkpointing_at_test_size();
        let pages = TEST_CHECKPOINT_FRAMES - 100;
        writer.unit(rows_a_page(pages)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(size(&dir, "writer.db") < 64 * 1024, "checkpointed already: {} bytes", size(&dir, "writer.db"));
        assert!(size(&dir, "writer.db-wal") > u64::from(pages) * 3000, "{} bytes of WAL", size(&dir, "writer.db-wal"));
        assert_eq!(count(&dir), i64::from(pages));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_wal_is_checkpointed_though_no_commit_follows() {
        let (dir, writer) = writer_checkpointing_at_test_size();
        let pages = TEST_CHECKPOINT_FRAMES + 100;
        writer.unit(rows_a_page(pages)).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while size(&dir, "writer.db") < u64::from(pages) * 3000 {
            assert!(Instant::now() < deadline, "not checkpointed in 10 s: {} bytes", size(&dir, "writer.db"));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Under load the writer begins each batch as soon as the last commits, while the
    /// checkpointing thread still copies; SQLite starts the WAL over only at a batch that
    /// begins with every frame copied. The WAL must start over all the same, a few
    /// batches (of about 130 frames here) past its size, not grow to four times its
    /// size, where the writer checkpoints whatever it holds. The WAL file's size is the
    /// most frames it ever held: SQLite does not shrink it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_back_to_back_batches_the_wal_starts_over_at_its_size() {
        let (dir, writer) = writer_checkpointing_at_test_size();
        let units = 3000;
        let mut placed = tokio::task::JoinSet::new();
        for _ in 0..units {
            let writer = writer.clone();
            placed.spawn(async move { writer.unit(rows_a_page(2)).await });
        }
        while let Some(done) = placed.join_next().await {
            done.unwrap().unwrap();
        }
        assert_eq!(count(&dir), 2 * units, "every unit's rows");
        let frames = size(&dir, "writer.db-wal") / (4096 + 24);
        let written = 2 * units as u64;
        assert!(written > 8 * u64::from(TEST_CHECKPOINT_FRAMES), "the load fills the WAL many times over");
        assert!(
            frames < 3 * u64::from(TEST_CHECKPOINT_FRAMES),
            "the WAL grew to {frames} frames, checkpoints due at {TEST_CHECKPOINT_FRAMES}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_unit_that_panics_fails_alone_and_the_others_go_on() {
        let (dir, writer) = writer();
        writer.unit(insert(1)).await.unwrap();
        let panicking: Work<()> = Box::new(|conn| {
            conn.execute("INSERT INTO t (n) VALUES (2)", []).unwrap();
            panic!("a bug in a unit of work");
        });
        assert!(matches!(writer.unit(panicking).await, Err(BackendError::Failed(_))));
        writer.unit(insert(3)).await.unwrap();
        assert_eq!(count(&dir), 2, "the panicking unit's insert was rolled back, the others kept");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_that_died_is_replaced_by_the_next_request() {
        let (dir, writer) = writer();
        writer.unit(insert(1)).await.unwrap();
        let queue = writer.shared.queue.lock().unwrap().clone();
        queue.send(Job::Crash).await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), queue.closed()).await.expect("the writer's thread died");
        writer.unit(insert(2)).await.unwrap();
        assert_eq!(count(&dir), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_waits_for_the_open_batch_to_commit_and_sees_it() {
        let (dir, writer) = writer();
        let slow: Work<()> = Box::new(|conn| {
            conn.execute("INSERT INTO t (n) VALUES (1)", []).map_err(sqlite_error)?;
            std::thread::sleep(Duration::from_millis(300));
            Ok(((), true))
        });
        let unit = tokio::spawn({
            let writer = writer.clone();
            async move { writer.unit(slow).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let path = dir.path().join("writer.db");
        let read = writer.read(move |conn| {
            let count = |conn: &Connection| conn.query_row("SELECT count(*) FROM t", [], |row| row.get::<_, i64>(0));
            let elsewhere = Connection::open(path).and_then(|other| count(&other));
            Ok((count(conn).map_err(sqlite_error)?, elsewhere.map_err(sqlite_error)?))
        });
        assert_eq!(read.await.unwrap(), (1, 1), "the read ran once the batch open when it asked had committed");
        unit.await.unwrap().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_that_panics_fails_alone_and_the_writer_goes_on() {
        let (dir, writer) = writer();
        let panicking = writer.read(|_conn| -> Result<(), BackendError> { panic!("a bug in a read") });
        assert!(matches!(panicking.await, Err(BackendError::Failed(_))));
        writer.unit(insert(1)).await.unwrap();
        let read =
            writer.read(|conn| conn.query_row("SELECT n FROM t", [], |row| row.get::<_, i64>(0)).map_err(sqlite_error));
        assert_eq!(read.await.unwrap(), 1);
        assert_eq!(count(&dir), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_unit_that_keeps_nothing_leaves_nothing() {
        let (dir, writer) = writer();
        let discarded: Work<i64> = Box::new(|conn| {
            conn.execute("INSERT INTO t (n) VALUES (7)", []).map_err(sqlite_error)?;
            Ok((7, false))
        });
        assert_eq!(writer.unit(discarded).await.unwrap(), 7);
        assert_eq!(count(&dir), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_unit_whose_batch_cannot_begin_fails_and_writes_nothing() {
        let (dir, writer) = writer();
        let other = Connection::open(dir.path().join("writer.db")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let result = writer.unit(insert(1)).await;
        assert!(matches!(result, Err(BackendError::Unavailable(_))), "{result:?}");
        other.execute_batch("ROLLBACK").unwrap();
        writer.unit(insert(2)).await.unwrap();
        assert_eq!(count(&dir), 1, "only the unit that could begin wrote");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_that_cannot_get_its_turn_in_time_is_unavailable() {
        let (_dir, writer) = writer();
        let _turn = writer.alone().await.unwrap();
        let started = Instant::now();
        let result = writer.unit(insert(1)).await;
        assert!(matches!(result, Err(BackendError::Unavailable(_))), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(4), "it waited {:?}", started.elapsed());
    }
}
