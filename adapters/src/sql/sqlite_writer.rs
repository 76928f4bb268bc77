//! SQLite's one writer in this process, with group commit.
//!
//! SQLite lets one transaction write at a time, and with `synchronous=FULL` every
//! commit waits for the disk. So this process's units of work (placing and cancelling
//! orders) take turns on one connection, in arrival order, inside a shared *batch*
//! transaction: each unit runs inside a savepoint of its own (rolled back alone if the
//! unit fails or is dropped), and when no unit is waiting for a turn, or the batch is
//! full, the batch commits once for all of them. A unit's `commit` returns only after
//! that commit is on disk, so nothing is acknowledged before it is durable; if the
//! commit fails, every unit of the batch gets the error.
//!
//! A unit's statements run to the end on a task of their own, so a unit dropped in the
//! middle of one (its request cancelled) never leaves the batch in a state the writer
//! does not know: the statement finishes, and the batch goes back to the writer, which
//! rolls the unit back to its savepoint.
//!
//! Writes outside units of work (products, users, keys, login failures, migrations)
//! take an [`AloneTurn`]: the open batch commits first, and no unit starts until the
//! write is done, so they never wait behind a stream of orders on SQLite's busy timer.
//! Other processes on the same file wait through the busy timeout as before.

use super::errors::{shared_sqlx_error, sqlx_error};
use orders_core::ports::BackendError;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::sqlite::SqliteRow;
use sea_orm::sqlx::{self, Sqlite, SqliteConnection, SqlitePool};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Units of work at most in one batch (committed or not): bounds how long the first
/// one waits for its commit while later ones run, and how long the write lock is held.
const MAX_BATCH: usize = 64;

/// The name of the savepoint every unit of work runs in.
const UNIT: &str = "unit";

/// The handle to this process's writer; cheap to clone.
#[derive(Clone)]
pub(super) struct SqliteWriter {
    requests: mpsc::UnboundedSender<Request>,
}

enum Request {
    Unit(oneshot::Sender<Result<Turn, BackendError>>),
    Alone(oneshot::Sender<AloneTurn>),
}

impl SqliteWriter {
    /// Starts the writer on the current runtime; it writes on connections of `pool`.
    pub(super) fn start(pool: SqlitePool) -> Self {
        let (requests, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, queue));
        Self { requests }
    }

    /// This unit of work's turn on the writer's connection, after the units that asked
    /// before it.
    pub(super) async fn unit_turn(&self) -> Result<Turn, BackendError> {
        let (grant, granted) = oneshot::channel();
        self.requests.send(Request::Unit(grant)).map_err(|_| stopped())?;
        granted.await.map_err(|_| stopped())?
    }

    /// The write lock for a write outside units of work, until the turn is dropped.
    pub(super) async fn alone(&self) -> Result<AloneTurn, BackendError> {
        let (grant, granted) = oneshot::channel();
        self.requests.send(Request::Alone(grant)).map_err(|_| stopped())?;
        granted.await.map_err(|_| stopped())
    }
}

fn stopped() -> BackendError {
    BackendError::unavailable("the SQLite writer has stopped")
}

/// Exclusive use of SQLite's write lock within this process while it lives.
pub(super) struct AloneTurn {
    _done: oneshot::Sender<()>,
}

/// The writer's loop: grants turns in arrival order, and commits a batch when nobody
/// is waiting for a turn or it is full.
async fn run(pool: SqlitePool, mut queue: mpsc::UnboundedReceiver<Request>) {
    while let Some(first) = queue.recv().await {
        let mut batch = Batch::default();
        let mut next = Some(first);
        while let Some(request) = next.take() {
            match request {
                Request::Unit(grant) => batch = lend(&pool, batch, grant).await,
                Request::Alone(grant) => {
                    let _ = batch.commit().await;
                    let (done, finished) = oneshot::channel();
                    if grant.send(AloneTurn { _done: done }).is_ok() {
                        let _ = finished.await;
                    }
                }
            }
            if batch.units < MAX_BATCH {
                next = queue.try_recv().ok();
            }
        }
        let _ = batch.commit().await;
    }
}

/// Lends `batch`'s connection to the unit that asked with `grant` (opening the batch
/// first if needed), and gets the batch back when the unit ends, rolling the unit back
/// if it ended uncommitted.
async fn lend(pool: &SqlitePool, mut batch: Batch, grant: oneshot::Sender<Result<Turn, BackendError>>) -> Batch {
    if let Err(error) = batch.open(pool).await {
        let _ = grant.send(Err(error));
        return batch;
    }
    batch.units += 1;
    let (back, returned) = oneshot::channel();
    let turn = Turn { held: Some(Held { batch, back }) };
    let mut batch = match grant.send(Ok(turn)) {
        Ok(()) => returned.await.expect("a turn hands its batch back when it ends"),
        Err(Ok(mut turn)) => turn.held.take().expect("the turn was never used").batch,
        Err(Err(_)) => unreachable!("the grant was a turn"),
    };
    batch.end_unit().await;
    batch
}

/// The open batch transaction, and the units waiting for its commit.
#[derive(Default)]
pub(super) struct Batch {
    conn: Option<PoolConnection<Sqlite>>,
    /// The batch transaction is open (`BEGIN IMMEDIATE` succeeded, no end since).
    open: bool,
    /// The current unit may have a savepoint: set before its first statement is sent,
    /// cleared once its `RELEASE` succeeded.
    in_unit: bool,
    /// Units lent the connection in this batch.
    units: usize,
    /// Units released into the batch, told once its commit is done.
    waiters: Vec<oneshot::Sender<Result<(), BackendError>>>,
}

impl Batch {
    pub(super) fn conn(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("a batch in use has its connection")
    }

    /// Takes a connection and begins the batch transaction, unless it is open.
    async fn open(&mut self, pool: &SqlitePool) -> Result<(), BackendError> {
        if self.conn.is_none() {
            self.conn = Some(pool.acquire().await.map_err(sqlx_error)?);
        }
        if !self.open {
            sqlx::raw_sql("BEGIN IMMEDIATE").execute(self.conn()).await.map_err(sqlx_error)?;
            self.open = true;
            self.units = 0;
        }
        Ok(())
    }

    /// Rolls back to the savepoint of a unit that ended without releasing it; if even
    /// that fails, the whole batch is lost.
    async fn end_unit(&mut self) {
        if !self.in_unit {
            return;
        }
        self.in_unit = false;
        let rollback = format!("ROLLBACK TO {UNIT}; RELEASE {UNIT}");
        if let Err(error) = sqlx::raw_sql(sqlx::AssertSqlSafe(rollback)).execute(self.conn()).await {
            self.fail(Arc::new(error)).await;
        }
    }

    /// Commits the batch, and tells its units how that went.
    async fn commit(&mut self) -> Result<(), BackendError> {
        self.in_unit = false;
        if !self.open {
            return Ok(());
        }
        match sqlx::raw_sql("COMMIT").execute(self.conn()).await {
            Ok(_) => {
                self.open = false;
                for waiter in self.waiters.drain(..) {
                    let _ = waiter.send(Ok(()));
                }
                Ok(())
            }
            Err(error) => {
                let error = Arc::new(error);
                self.fail(Arc::clone(&error)).await;
                Err(shared_sqlx_error(&error))
            }
        }
    }

    /// Gives up the batch after `error`: rolls back what is left of it, tells every
    /// unit in it, and closes the connection rather than trust its state.
    async fn fail(&mut self, error: Arc<sqlx::Error>) {
        let _ = sqlx::raw_sql("ROLLBACK").execute(self.conn()).await;
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
        self.open = false;
        self.in_unit = false;
        for waiter in self.waiters.drain(..) {
            let _ = waiter.send(Err(shared_sqlx_error(&error)));
        }
    }
}

/// A unit of work's turn on the writer's connection. Dropping it hands the connection
/// back to the writer; a unit still open then is rolled back to its savepoint.
pub(super) struct Turn {
    /// `None` while a statement runs, and once ended.
    held: Option<Held>,
}

struct Held {
    batch: Batch,
    back: oneshot::Sender<Batch>,
}

/// What a unit's statement does to the unit's savepoint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Runs inside the unit; the first one of a unit also opens its savepoint.
    Write,
    /// Ends the unit with `RELEASE`: its writes join the batch.
    Release,
}

impl Turn {
    /// Runs `query` (the unit's next statement, preceded by `SAVEPOINT` if it is the
    /// first and followed by `RELEASE` if `step` says so) to the end on a task of its
    /// own, even if the unit is dropped meanwhile.
    pub(super) async fn fetch_all(
        &mut self,
        step: Step,
        build: impl FnOnce(&'static str, &'static str) -> sqlx::query::Query<'static, Sqlite, sqlx::sqlite::SqliteArguments>,
    ) -> Result<Vec<SqliteRow>, BackendError> {
        let mut held = self.held.take().expect("a unit runs one statement at a time");
        let opening = if held.batch.in_unit { "" } else { "SAVEPOINT unit; " };
        let closing = if step == Step::Release { "; RELEASE unit" } else { "" };
        let query = build(opening, closing);
        held.batch.in_unit = true;
        let (reply, replied) = oneshot::channel();
        tokio::spawn(async move {
            let rows = query.fetch_all(held.batch.conn()).await;
            if rows.is_ok() && step == Step::Release {
                held.batch.in_unit = false;
            }
            if let Err((held, _)) = reply.send((held, rows)) {
                let _ = held.back.send(held.batch);
            }
        });
        let (held, rows) = replied.await.map_err(|_| stopped())?;
        self.held = Some(held);
        rows.map_err(sqlx_error)
    }

    /// Whether the unit has a savepoint to release.
    pub(super) fn started(&self) -> bool {
        self.held.as_ref().is_some_and(|held| held.batch.in_unit)
    }

    /// Ends a unit whose writes joined the batch (or that wrote nothing): finishes when
    /// the batch is committed, or failed.
    pub(super) fn released(mut self) -> impl Future<Output = Result<(), BackendError>> {
        let durable = self.held.as_mut().filter(|held| held.batch.open).map(|held| {
            let (waiter, committed) = oneshot::channel();
            held.batch.waiters.push(waiter);
            committed
        });
        drop(self);
        async move {
            match durable {
                Some(committed) => committed.await.map_err(|_| stopped())?,
                None => Ok(()),
            }
        }
    }

    /// Commits every unit released into the batch so far, so that what they wrote can
    /// be read through other connections. The current unit must not have written
    /// anything; it goes on outside any transaction, reading only.
    pub(super) async fn commit_earlier_units(&mut self) -> Result<(), BackendError> {
        let mut held = self.held.take().expect("a unit runs one statement at a time");
        let (reply, replied) = oneshot::channel();
        tokio::spawn(async move {
            let committed = held.batch.commit().await;
            if let Err((held, _)) = reply.send((held, committed)) {
                let _ = held.back.send(held.batch);
            }
        });
        let (held, committed) = replied.await.map_err(|_| stopped())?;
        self.held = Some(held);
        committed
    }

    /// Runs a read on the connection, outside the unit's writes.
    pub(super) fn conn(&mut self) -> &mut SqliteConnection {
        self.held.as_mut().expect("a unit runs one statement at a time").batch.conn()
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(held) = self.held.take() {
            let _ = held.back.send(held.batch);
        }
    }
}
