//! SQLite's WAL checkpoints, run beside the writer instead of inside its commits.
//!
//! SQLite's own automatic checkpoint runs inside the commit that fills the WAL, on the
//! committing connection: every unit of that batch waits for it before it is answered,
//! and with a WAL of [`SQLITE_CHECKPOINT_PAGES`](super::SQLITE_CHECKPOINT_PAGES) frames
//! that wait was the SQLite order path's p99. Here the writer's connection only counts the WAL's frames after each
//! commit (SQLite's WAL hook), and a thread of its own, on a connection of its own,
//! copies them back into the database (a `PASSIVE` checkpoint, which never blocks the
//! writer) once the WAL holds that many (the writer's setting).
//!
//! A checkpoint writes each page once however many frames hold it, so it pays to copy
//! many frames at a time: the thread is asked only when it is idle, and copies what the
//! WAL holds then. But SQLite starts the WAL over only when a write transaction begins
//! with every frame copied, and a writer under load begins its next batch as soon as
//! one commits, while the thread is still copying. So once the thread has caught up to
//! within [`CATCH_UP`] frames, the writer copies that remainder itself, between two
//! batches: the next batch starts the WAL over. Should the thread fall behind or die,
//! the writer checkpoints itself once the WAL holds four times the size, so the WAL
//! stays bounded as before.

use super::sqlite_statements::sqlite_error;
use orders_core::ports::BackendError;
use rusqlite::{Connection, hooks::Wal};
use std::cell::Cell;
use std::ffi::c_int;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

/// Frames at most that the writer copies back itself, between two batches, to let the
/// WAL start over: a few batches' worth.
const CATCH_UP: c_int = 256;

thread_local! {
    /// Frames in the WAL after the last commit on this thread's connection: SQLite's
    /// WAL hook takes a plain function, and the writer commits on one thread.
    static WAL_FRAMES: Cell<c_int> = const { Cell::new(0) };
}

/// The writer's side: asks the checkpointing thread for a checkpoint when one is due,
/// and copies the last frames itself.
pub(super) struct Checkpoints {
    /// A rendezvous: a request goes through only while the thread waits for one.
    due: SyncSender<()>,
    /// Frames of the WAL copied back into the database, as the last checkpoint left it.
    copied: Arc<AtomicI32>,
    /// The WAL's frames after the previous commit: fewer now means it started over.
    frames_before: Cell<c_int>,
    /// Frames in the WAL that make a checkpoint due.
    due_at: c_int,
}

impl Checkpoints {
    /// Takes over checkpoints from `writer` (its automatic checkpoint is replaced by a
    /// frame count) and starts the thread that runs them, on a connection to `path`.
    /// Checkpoints are due once the WAL holds `frames`.
    pub(super) fn start(writer: &Connection, path: &Path, frames: u32) -> Result<Self, BackendError> {
        let due_at = c_int::try_from(frames).map_err(BackendError::failed)?;
        let conn = Connection::open(path).map_err(sqlite_error)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(sqlite_error)?;
        let (due, asked) = sync_channel(0);
        let copied = Arc::new(AtomicI32::new(0));
        let progress = copied.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || checkpoint_when_asked(&conn, &asked, &progress))
            .map_err(BackendError::failed)?;
        writer.wal_hook(Some(count_frames));
        Ok(Self { due, copied, frames_before: Cell::new(0), due_at })
    }

    /// After a commit on the writer's thread, once a checkpoint is due: copies the
    /// frames left on `writer` itself if they are few (or the WAL holds four times the
    /// size, or the thread is gone), else asks the thread, if it is idle, to copy what
    /// the WAL holds.
    pub(super) fn after_commit(&self, writer: &Connection) {
        let frames = WAL_FRAMES.get();
        if frames < self.frames_before.replace(frames) {
            self.copied.store(0, Ordering::Relaxed);
        }
        if frames < self.due_at {
            return;
        }
        let copied = self.copied.load(Ordering::Relaxed);
        let left = if copied > frames { frames } else { frames - copied };
        let by_itself = left <= CATCH_UP
            || frames >= 4 * self.due_at
            || matches!(self.due.try_send(()), Err(TrySendError::Disconnected(())));
        if by_itself {
            match passive_checkpoint(writer) {
                Ok(copied) => self.copied.store(copied, Ordering::Relaxed),
                Err(error) => tracing::warn!(cause = %error, "the SQLite writer could not checkpoint its WAL"),
            }
        }
    }
}

fn count_frames(_: &Wal, frames: c_int) -> rusqlite::Result<()> {
    WAL_FRAMES.set(frames);
    Ok(())
}

/// The checkpointing thread: one checkpoint per request, until the writer is gone.
fn checkpoint_when_asked(conn: &Connection, asked: &Receiver<()>, copied: &AtomicI32) {
    while asked.recv().is_ok() {
        match passive_checkpoint(conn) {
            Ok(frames) => copied.store(frames, Ordering::Relaxed),
            Err(error) => tracing::warn!(cause = %error, "could not checkpoint SQLite's WAL"),
        }
    }
}

/// A `PASSIVE` checkpoint: how many of the WAL's frames are now copied back.
fn passive_checkpoint(conn: &Connection) -> rusqlite::Result<c_int> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(2))
}
