//! SQLite's WAL checkpoints, run beside the writer instead of inside its commits.
//!
//! SQLite's own automatic checkpoint runs inside the commit that fills the WAL, on the
//! committing connection: every unit of that batch waits for it before it is answered,
//! and with a WAL of [`SQLITE_CHECKPOINT_PAGES`](super::SQLITE_CHECKPOINT_PAGES) frames
//! that wait was the SQLite order path's p99. Here the writer's connection only counts
//! the WAL's frames after each commit (SQLite's WAL hook), and a thread of its own, on
//! a connection of its own, copies them back into the database (a `PASSIVE`
//! checkpoint, which never blocks the writer) once the WAL holds the writer's size.
//!
//! A checkpoint writes each page once however many frames hold it, so it pays to copy
//! many frames at a time: the thread copies what the WAL holds when it is asked, and is
//! asked again, after its round, only by a later commit. But SQLite starts the WAL over
//! only at a write transaction whose snapshot has every frame copied (and while no
//! reader still reads from the WAL), and a writer under load begins its next batch as
//! soon as one commits, while the thread is still copying. So once the thread has
//! caught up to within a couple of batches ([`CATCH_UP`] frames at least), the writer
//! copies the rest itself, once per WAL, between two batches: the next batch starts
//! the WAL over. Should readers keep it from starting over, or the thread fall behind
//! or die, the writer checkpoints itself once the WAL holds four times the size, so
//! the WAL stays bounded.

use super::sqlite_statements::sqlite_error;
use orders_core::ports::BackendError;
use rusqlite::{Connection, hooks::Wal};
use std::cell::Cell;
use std::ffi::c_int;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

/// Frames the writer copies back itself, at least, to let the WAL start over: more
/// when its batches are bigger than this (up to two batches' frames).
const CATCH_UP: c_int = 256;

thread_local! {
    /// Frames in the WAL after the last commit on this thread's connection: SQLite's
    /// WAL hook takes a plain function, and the writer commits on one thread.
    static WAL_FRAMES: Cell<c_int> = const { Cell::new(0) };
}

/// The writer's side: asks the checkpointing thread for a checkpoint when one is due,
/// and copies the last frames itself.
pub(super) struct Checkpoints {
    /// Requests to the thread, at most one waiting: each names the WAL it is for.
    due: SyncSender<u32>,
    /// How far the last checkpoint copied, and of which WAL ([`pack_copied`]).
    copied: Arc<AtomicU64>,
    /// Which WAL this is: the count of the times it started over.
    wal: Cell<u32>,
    /// The WAL's frames after the previous commit: fewer now means it started over.
    frames_before: Cell<c_int>,
    /// Whether the writer has copied the rest of this WAL itself already (a try that
    /// found the thread checkpointing does not count).
    caught_up: Cell<bool>,
    /// Frames in the WAL that make a checkpoint due.
    due_at: c_int,
}

/// Frames of WAL `wal` copied back into the database by a checkpoint, packed with the
/// WAL they belong to: a count from a WAL that has since started over says nothing of
/// the next.
fn pack_copied(wal: u32, frames: c_int) -> u64 {
    (u64::from(wal) << 32) | u64::from(frames.max(0).cast_unsigned())
}

/// Frames of WAL `wal` copied back, as far as `packed` tells.
fn copied_of(packed: u64, wal: u32) -> c_int {
    if (packed >> 32) as u32 == wal { (packed as u32).cast_signed() } else { 0 }
}

impl Checkpoints {
    /// Takes over checkpoints from `writer` (its automatic checkpoint is replaced by a
    /// frame count) and starts the thread that runs them, on a connection to `path`.
    /// Checkpoints are due once the WAL holds `frames`.
    pub(super) fn start(writer: &Connection, path: &Path, frames: u32) -> Result<Self, BackendError> {
        let due_at = c_int::try_from(frames).map_err(BackendError::failed)?;
        let conn = Connection::open(path).map_err(sqlite_error)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(sqlite_error)?;
        let (due, asked) = sync_channel(1);
        let copied = Arc::new(AtomicU64::new(0));
        let progress = copied.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || checkpoint_when_asked(&conn, &asked, &progress))
            .map_err(BackendError::failed)?;
        writer.wal_hook(Some(count_frames));
        let (wal, frames_before, caught_up) = (Cell::new(0), Cell::new(0), Cell::new(false));
        Ok(Self { due, copied, wal, frames_before, caught_up, due_at })
    }

    /// After a commit on the writer's thread, once a checkpoint is due: copies the
    /// frames left on `writer` itself if they are few and it has not yet for this WAL
    /// (or the WAL holds four times the size, or the thread is gone), else asks the
    /// thread to copy what the WAL holds.
    pub(super) fn after_commit(&self, writer: &Connection) {
        let frames = WAL_FRAMES.get();
        let before = self.frames_before.replace(frames);
        if frames < before {
            self.wal.set(self.wal.get().wrapping_add(1));
            self.caught_up.set(false);
        }
        if frames < self.due_at {
            return;
        }
        let wal = self.wal.get();
        let left = frames - copied_of(self.copied.load(Ordering::Acquire), wal).min(frames);
        let last_commit = frames - before.min(frames);
        let few_left = !self.caught_up.get() && left <= CATCH_UP.max(2 * last_commit);
        let by_itself = few_left
            || frames >= self.due_at.saturating_mul(4)
            || matches!(self.due.try_send(wal), Err(TrySendError::Disconnected(_)));
        if by_itself {
            match passive_checkpoint(writer) {
                Ok(Some(copied)) => {
                    self.copied.store(pack_copied(wal, copied), Ordering::Release);
                    self.caught_up.set(true);
                }
                Ok(None) => {}
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
fn checkpoint_when_asked(conn: &Connection, asked: &Receiver<u32>, copied: &AtomicU64) {
    while let Ok(wal) = asked.recv() {
        match passive_checkpoint(conn) {
            Ok(Some(frames)) => copied.store(pack_copied(wal, frames), Ordering::Release),
            Ok(None) => {}
            Err(error) => tracing::warn!(cause = %error, "could not checkpoint SQLite's WAL"),
        }
    }
}

/// A `PASSIVE` checkpoint: how many of the WAL's frames are now copied back, unless
/// another checkpoint was running (then it did nothing).
fn passive_checkpoint(conn: &Connection) -> rusqlite::Result<Option<c_int>> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        let (busy, copied): (c_int, c_int) = (row.get(0)?, row.get(2)?);
        Ok((busy == 0 && copied >= 0).then_some(copied))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_of_copied_frames_holds_only_for_its_own_wal() {
        assert_eq!(copied_of(pack_copied(3, 32_100), 3), 32_100);
        assert_eq!(copied_of(pack_copied(3, 32_100), 4), 0, "the WAL started over since");
        assert_eq!(copied_of(pack_copied(u32::MAX, 7), 0), 0);
        assert_eq!(copied_of(pack_copied(0, -1), 0), 0, "no count");
    }
}
