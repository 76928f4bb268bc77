//! Running again what PostgreSQL aborted to keep transactions serializable (SQLSTATE
//! 40001) or to break a deadlock (40P01). Such a transaction changed nothing, so it may
//! simply run again; with `default_transaction_isolation = serializable`, orders racing
//! for one product meet 40001 all the time. [`again_if_aborted`] runs it at most
//! [`ATTEMPTS`] times, waiting a random part of an exponentially growing pause between
//! tries ("full jitter"), so that the transactions that collided do not collide again.
//!
//! Every statement the store sends outside an explicit transaction goes through here
//! ([`super::connection::Db`]): each is a transaction of its own (in autocommit, or in
//! one begun for it behind PgBouncer), so running it again runs the whole transaction
//! again. Nothing else is retried: after a lost connection the outcome of a commit is
//! unknown, and that is the client's to settle with its `Idempotency-Key`.

use super::errors::is_aborted_to_serialize;
use rand::Rng;
use sea_orm::DbErr;
use std::time::Duration;

/// Most times one transaction runs before its abort is reported.
pub(crate) const ATTEMPTS: u32 = 12;
/// The pause before the second try may be up to this long; it doubles with each try.
const FIRST_PAUSE: Duration = Duration::from_millis(2);
/// No pause is longer than this.
const LONGEST_PAUSE: Duration = Duration::from_millis(100);

/// `run`'s answer, running it again while PostgreSQL aborts it with 40001 or 40P01, at
/// most [`ATTEMPTS`] times in all; then its last error.
pub(crate) async fn again_if_aborted<T, Run>(mut run: impl FnMut() -> Run) -> Result<T, DbErr>
where
    Run: Future<Output = Result<T, DbErr>>,
{
    let mut attempt = 1;
    loop {
        match run().await {
            Err(error) if attempt < ATTEMPTS && is_aborted_to_serialize(&error) => {
                tracing::debug!(attempt, %error, "transaction aborted to serialize; running it again");
                tokio::time::sleep(pause(attempt)).await;
                attempt += 1;
            }
            answer => return answer,
        }
    }
}

/// A random pause before try `attempt + 1`: up to [`FIRST_PAUSE`] doubled `attempt - 1`
/// times, at most [`LONGEST_PAUSE`].
fn pause(attempt: u32) -> Duration {
    let ceiling = FIRST_PAUSE.saturating_mul(1 << (attempt - 1).min(16)).min(LONGEST_PAUSE);
    ceiling.mul_f64(rand::thread_rng().r#gen::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_to_a_ceiling_and_stay_under_it() {
        for attempt in 1..ATTEMPTS {
            let ceiling = FIRST_PAUSE.saturating_mul(1 << (attempt - 1)).min(LONGEST_PAUSE);
            assert!((0..100).map(|_| pause(attempt)).all(|pause| pause <= ceiling), "attempt {attempt}");
        }
        let total: Duration =
            (1..ATTEMPTS).map(|attempt| FIRST_PAUSE.saturating_mul(1 << (attempt - 1)).min(LONGEST_PAUSE)).sum();
        assert!(total < Duration::from_secs(1), "a transaction gives up within a second of pauses: {total:?}");
    }
}
