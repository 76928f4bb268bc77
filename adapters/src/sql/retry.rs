//! Running a statement again when it certainly did nothing, so that a client is not
//! told 503 for what waiting a moment fixes:
//!
//! - PostgreSQL aborted its transaction to keep transactions serializable (SQLSTATE
//!   40001) or to break a deadlock (40P01). With `default_transaction_isolation =
//!   serializable`, orders racing for one product meet 40001 all the time: every
//!   transaction that waited for a row another one changed is aborted when that one
//!   commits, so with many racing, any one of them may lose again and again. So a
//!   transaction that was aborted runs again only in its store's [`RetryTurn`], one at a
//!   time, keeping the turn until it is done: it then races only transactions on their
//!   first try, each of which, if aborted, queues for the turn too. It runs at most
//!   [`ATTEMPTS`] times, waiting a random part of an exponentially growing pause between
//!   tries ("full jitter").
//! - No connection could be made for it (SeaORM's `DbErr::Conn`: the pool could not
//!   connect, so nothing was sent). sqlx itself tries again only while connections are
//!   refused; a proxy in front of a database that fails over accepts them and closes
//!   them at once. It runs again every so often until the connect wait (the pool's
//!   acquire timeout) has passed since the first try.
//!
//! Every statement the store sends outside an explicit transaction goes through here
//! ([`super::connection::Db`]): each is a transaction of its own (in autocommit, or in
//! one begun for it behind PgBouncer), so running it again runs the whole transaction
//! again. Nothing else is retried: after a connection is lost during a statement, the
//! outcome of its commit is unknown, and that is the client's to settle with its
//! `Idempotency-Key`.

use super::errors::is_aborted_to_serialize;
use rand::Rng;
use sea_orm::DbErr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The turn that transactions run again after an abort take, one at a time, in the
/// order they asked for it. Clones share it.
#[derive(Clone, Default)]
pub(crate) struct RetryTurn(Arc<tokio::sync::Mutex<()>>);

/// Most times one transaction runs before its abort is reported.
pub(crate) const ATTEMPTS: u32 = 12;
/// The pause before the second try may be up to this long; it doubles with each try.
const FIRST_PAUSE: Duration = Duration::from_millis(2);
/// No pause after an abort is longer than this.
const LONGEST_PAUSE: Duration = Duration::from_millis(100);
/// The pause before trying again for a connection that could not be made.
const CONNECT_PAUSE: Duration = Duration::from_millis(100);

/// `run`'s answer, running it again while PostgreSQL aborts it with 40001 or 40P01 (at
/// most [`ATTEMPTS`] times in all, in `turn` from the first abort on) or no connection
/// can be made for it (until `connect_wait` has passed); then its last error.
pub(crate) async fn again_if_nothing_done<T, Run>(
    turn: &RetryTurn,
    connect_wait: Duration,
    mut run: impl FnMut() -> Run,
) -> Result<T, DbErr>
where
    Run: Future<Output = Result<T, DbErr>>,
{
    let started = Instant::now();
    let mut aborts = 0;
    let mut my_turn = None;
    loop {
        let pause = match run().await {
            Err(error) if aborts + 1 < ATTEMPTS && is_aborted_to_serialize(&error) => {
                aborts += 1;
                tracing::debug!(aborts, %error, "transaction aborted to serialize; running it again");
                if my_turn.is_none() {
                    my_turn = Some(turn.0.lock().await);
                }
                pause_after_abort(aborts)
            }
            Err(DbErr::Conn(error)) if started.elapsed() + CONNECT_PAUSE < connect_wait => {
                tracing::debug!(%error, "no connection could be made; trying again");
                CONNECT_PAUSE
            }
            answer => return answer,
        };
        tokio::time::sleep(pause).await;
    }
}

/// A random pause after the `aborts`-th abort: up to [`FIRST_PAUSE`] doubled
/// `aborts - 1` times, at most [`LONGEST_PAUSE`].
fn pause_after_abort(aborts: u32) -> Duration {
    ceiling(aborts).mul_f64(rand::thread_rng().r#gen::<f64>())
}

fn ceiling(aborts: u32) -> Duration {
    FIRST_PAUSE.saturating_mul(1 << (aborts - 1).min(16)).min(LONGEST_PAUSE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::RuntimeErr;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn pauses_after_aborts_grow_to_a_ceiling_and_stay_under_it() {
        for aborts in 1..ATTEMPTS {
            assert!((0..100).map(|_| pause_after_abort(aborts)).all(|pause| pause <= ceiling(aborts)));
        }
        assert_eq!((ceiling(1), ceiling(4), ceiling(ATTEMPTS)), (FIRST_PAUSE, FIRST_PAUSE * 8, LONGEST_PAUSE));
        let total: Duration = (1..ATTEMPTS).map(ceiling).sum();
        assert!(total < Duration::from_secs(1), "a transaction gives up within a second of pauses: {total:?}");
    }

    #[tokio::test]
    async fn a_connection_that_cannot_be_made_is_tried_again_until_the_connect_wait() {
        let tries = AtomicU32::new(0);
        let started = Instant::now();
        let wait = Duration::from_millis(600);
        let answer: Result<(), DbErr> = again_if_nothing_done(&RetryTurn::default(), wait, || async {
            tries.fetch_add(1, Ordering::Relaxed);
            Err(DbErr::Conn(RuntimeErr::Internal("refused".to_owned())))
        })
        .await;
        let took = started.elapsed();
        assert!(matches!(answer, Err(DbErr::Conn(_))), "{answer:?}");
        assert!(tries.load(Ordering::Relaxed) > 2, "tried again: {tries:?}");
        assert!(took <= wait && took >= wait - 2 * CONNECT_PAUSE, "gave up near the connect wait: {took:?}");
    }

    #[tokio::test]
    async fn other_failures_are_answered_at_once() {
        let tries = AtomicU32::new(0);
        let answer: Result<(), DbErr> =
            again_if_nothing_done(&RetryTurn::default(), Duration::from_secs(3), || async {
                tries.fetch_add(1, Ordering::Relaxed);
                Err(DbErr::Exec(RuntimeErr::Internal("connection lost while the statement ran".to_owned())))
            })
            .await;
        assert!(matches!(answer, Err(DbErr::Exec(_))));
        assert_eq!(tries.load(Ordering::Relaxed), 1, "an outcome that may have happened is never retried");
    }
}
