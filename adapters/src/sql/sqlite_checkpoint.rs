//! SQLite's WAL checkpoints, run beside the writer instead of inside its commits.
//!
//! SQLite's own automatic checkpoint runs inside the commit that fills the WAL, on the
//! committing connection: every unit of that batch waits for it before it is answered,
//! and with a WAL of [`SQLITE_CHECKPOINT_PAGES`] frames that wait was the SQLite order
//! path's p99. Here the writer's connection only counts the WAL's frames after each
//! commit (SQLite's WAL hook), and a thread of its own, on a connection of its own,
//! copies them back into the database (a `PASSIVE` checkpoint, which never blocks the
//! writer). Should that thread fall behind or die, the writer checkpoints itself once
//! the WAL holds four times the size, so the WAL stays bounded as before.

use super::SQLITE_CHECKPOINT_PAGES;
use super::sqlite_statements::sqlite_error;
use orders_core::ports::BackendError;
use rusqlite::{Connection, hooks::Wal};
use std::cell::Cell;
use std::ffi::c_int;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

thread_local! {
    /// Frames in the WAL after the last commit on this thread's connection: SQLite's
    /// WAL hook takes a plain function, and the writer commits on one thread.
    static WAL_FRAMES: Cell<c_int> = const { Cell::new(0) };
}

/// The writer's side: asks the checkpointing thread for a checkpoint when one is due.
pub(super) struct Checkpoints {
    due: SyncSender<()>,
}

impl Checkpoints {
    /// Takes over checkpoints from `writer` (its automatic checkpoint is replaced by a
    /// frame count) and starts the thread that runs them, on a connection to `path`.
    pub(super) fn start(writer: &Connection, path: &Path) -> Result<Self, BackendError> {
        let conn = Connection::open(path).map_err(sqlite_error)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(sqlite_error)?;
        let (due, asked) = sync_channel(1);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || checkpoint_when_asked(&conn, &asked))
            .map_err(BackendError::failed)?;
        writer.wal_hook(Some(count_frames));
        Ok(Self { due })
    }

    /// After a commit on the writer's thread: asks for a checkpoint once the WAL holds
    /// [`SQLITE_CHECKPOINT_PAGES`] frames, or checkpoints on `writer` itself at four
    /// times that.
    pub(super) fn after_commit(&self, writer: &Connection) {
        let frames = WAL_FRAMES.get();
        if frames < SQLITE_CHECKPOINT_PAGES as c_int {
            return;
        }
        let gone = matches!(self.due.try_send(()), Err(TrySendError::Disconnected(())));
        if (gone || frames >= 4 * SQLITE_CHECKPOINT_PAGES as c_int)
            && let Err(error) = passive_checkpoint(writer)
        {
            tracing::warn!(cause = %error, "the SQLite writer could not checkpoint its WAL");
        }
    }
}

fn count_frames(_: &Wal, frames: c_int) -> rusqlite::Result<()> {
    WAL_FRAMES.set(frames);
    Ok(())
}

/// The checkpointing thread: one checkpoint per request, until the writer is gone.
fn checkpoint_when_asked(conn: &Connection, asked: &Receiver<()>) {
    while asked.recv().is_ok() {
        if let Err(error) = passive_checkpoint(conn) {
            tracing::warn!(cause = %error, "could not checkpoint SQLite's WAL");
        }
    }
}

fn passive_checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}
