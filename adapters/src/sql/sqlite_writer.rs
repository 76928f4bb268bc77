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
//! Writes outside units of work (products, users, keys, login failures, migrations)
//! take an [`AloneTurn`]: the open batch commits first, and no unit starts until the
//! write is done, so they never wait behind a stream of orders on SQLite's busy timer.
//! Other processes on the same file wait through the busy timeout as before.

use super::errors::db_error;
use orders_core::ports::BackendError;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{self, Sqlite, SqliteConnection, SqlitePool};
use sea_orm::{DbErr, RuntimeErr};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Units of work at most in one batch: bounds how long the first one waits for its
/// commit while later ones run.
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

pub(super) fn sqlx_error(error: sqlx::Error) -> BackendError {
    shared_sqlx_error(&Arc::new(error))
}

fn shared_sqlx_error(error: &Arc<sqlx::Error>) -> BackendError {
    db_error(DbErr::Exec(RuntimeErr::SqlxError(Arc::clone(error))))
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
            if batch.waiters.len() < MAX_BATCH {
                next = queue.try_recv().ok();
            }
        }
        let _ = batch.commit().await;
    }
}

/// Lends `batch`'s connection to the unit that asked with `grant`, and gets the batch
/// back when the unit ends (rolling the unit back if it ended uncommitted).
async fn lend(pool: &SqlitePool, mut batch: Batch, grant: oneshot::Sender<Result<Turn, BackendError>>) -> Batch {
    if batch.conn.is_none() {
        match pool.acquire().await {
            Ok(conn) => batch.conn = Some(conn),
            Err(error) => {
                let _ = grant.send(Err(sqlx_error(error)));
                return batch;
            }
        }
    }
    let (back, returned) = oneshot::channel();
    let turn = Turn { batch: Some(batch), back: Some(back) };
    let mut batch = match grant.send(Ok(turn)) {
        Ok(()) => returned.await.expect("a turn hands its batch back when dropped"),
        Err(Ok(mut turn)) => turn.batch.take().expect("the turn was never used"),
        Err(Err(_)) => unreachable!("the grant was a turn"),
    };
    batch.end_unit().await;
    batch
}

/// The open batch transaction, and the units waiting for its commit.
#[derive(Default)]
struct Batch {
    conn: Option<PoolConnection<Sqlite>>,
    /// `BEGIN IMMEDIATE` has been sent and the batch has not ended since.
    open: bool,
    /// The current unit has sent `SAVEPOINT` and not released it.
    in_unit: bool,
    /// Units released into the batch, told once its commit is done.
    waiters: Vec<oneshot::Sender<Result<(), BackendError>>>,
}

impl Batch {
    fn conn(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("a batch in use has its connection")
    }

    /// Rolls back to the savepoint of a unit that ended without committing; if even
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
    batch: Option<Batch>,
    back: Option<oneshot::Sender<Batch>>,
}

impl Turn {
    fn batch(&mut self) -> &mut Batch {
        self.batch.as_mut().expect("a live turn holds its batch")
    }

    pub(super) fn conn(&mut self) -> &mut SqliteConnection {
        self.batch().conn()
    }

    /// What the unit's next statement must be preceded by: `BEGIN IMMEDIATE` when no
    /// batch is open, `SAVEPOINT` when the unit has not started; the unit counts as
    /// started from here on.
    pub(super) fn opening(&mut self) -> &'static str {
        let batch = self.batch();
        let opening = match (batch.open, batch.in_unit) {
            (false, _) => "BEGIN IMMEDIATE; SAVEPOINT unit; ",
            (true, false) => "SAVEPOINT unit; ",
            (true, true) => "",
        };
        batch.open = true;
        batch.in_unit = true;
        opening
    }

    /// Whether the unit has sent a statement, and so has a savepoint to release.
    pub(super) fn started(&mut self) -> bool {
        self.batch().in_unit
    }

    /// After the unit's savepoint was released: the unit is part of the batch, and the
    /// returned future finishes when the batch is committed (or failed).
    pub(super) fn released(mut self) -> impl Future<Output = Result<(), BackendError>> {
        let batch = self.batch();
        batch.in_unit = false;
        let durable = if batch.open {
            let (waiter, committed) = oneshot::channel();
            batch.waiters.push(waiter);
            Some(committed)
        } else {
            None
        };
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
        let batch = self.batch();
        batch.in_unit = false;
        batch.commit().await
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let (Some(batch), Some(back)) = (self.batch.take(), self.back.take()) {
            let _ = back.send(batch);
        }
    }
}
