//! Password hashing with argon2id (OWASP-recommended parameters), run on tokio's
//! blocking pool so that hashing never stalls the async threads.
//!
//! Each hash takes about 19 MiB and a core for tens of milliseconds, so at most
//! [`HashingLimit::at_once`] run at a time; the others wait in line without a thread
//! of their own, for at most [`HashingLimit::wait`], and then fail as unavailable (503
//! with `Retry-After`): a flood of logins costs its sender more than the server.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Argon2, PasswordHash as Phc};
use async_trait::async_trait;
use orders_core::domain::{Password, PasswordHash};
use orders_core::ports::{BackendError, PasswordHasher};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// How many hashes may run at once, and how long a request waits for its turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimit {
    pub at_once: usize,
    pub wait: Duration,
}

impl Default for HashingLimit {
    /// One hash per core, and a wait of 3 s.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self { at_once: cores, wait: Duration::from_secs(3) }
    }
}

/// The argon2id hasher.
#[derive(Clone)]
pub struct Argon2Hasher {
    /// A real hash of nothing anyone knows, verified against when a stored hash is
    /// unreadable (or absent), so that such a check costs as much as a real one.
    decoy: Arc<OnceLock<String>>,
    turns: Arc<Semaphore>,
    wait: Duration,
}

impl Default for Argon2Hasher {
    fn default() -> Self {
        Self::new(HashingLimit::default())
    }
}

impl Argon2Hasher {
    pub fn new(limit: HashingLimit) -> Self {
        let turns = Arc::new(Semaphore::new(limit.at_once.max(1)));
        Self { decoy: Arc::default(), turns, wait: limit.wait }
    }

    /// Runs `work` on the blocking pool once a turn is free, or fails as unavailable
    /// when none frees up within the wait.
    async fn in_turn<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, BackendError> {
        let turn = tokio::time::timeout(self.wait, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| BackendError::unavailable("too many passwords are being checked at once"))?
            .map_err(BackendError::failed)?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            work()
        })
        .await
        .map_err(BackendError::failed)
    }
}

fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, BackendError> {
        let password = password.clone();
        let phc = self.in_turn(move || hash_blocking(password.expose())).await?;
        phc.map(PasswordHash::new).map_err(|e| BackendError::failed(e.to_string()))
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, BackendError> {
        let (password, hash, decoy) = (password.clone(), hash.clone(), self.decoy.clone());
        self.in_turn(move || {
            let argon2 = Argon2::default();
            match Phc::new(hash.as_str()) {
                Ok(phc) => argon2.verify_password(password.expose().as_bytes(), &phc).is_ok(),
                Err(_) => {
                    let decoy = decoy.get_or_init(|| hash_blocking("decoy").expect("hashing a constant cannot fail"));
                    let phc = Phc::new(decoy).expect("the decoy is a valid PHC string");
                    let _ = argon2.verify_password(password.expose().as_bytes(), &phc);
                    false
                }
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = Argon2Hasher::default();
        let password = Password::parse("correct horse").unwrap();
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hasher.verify(&password, &hash).await.unwrap());
        assert!(!hasher.verify(&Password::parse("wrong horse").unwrap(), &hash).await.unwrap());
        assert_ne!(hasher.hash(&password).await.unwrap(), hash, "salts must differ");
    }

    #[tokio::test]
    async fn an_unreadable_hash_matches_nothing() {
        let hasher = Argon2Hasher::default();
        let password = Password::parse("correct horse").unwrap();
        assert!(!hasher.verify(&password, &PasswordHash::new("")).await.unwrap());
        assert!(!hasher.verify(&password, &PasswordHash::new("$argon2id$garbage")).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn past_the_hashes_at_once_a_request_waits_its_turn_then_is_unavailable() {
        let hasher = Argon2Hasher::new(HashingLimit { at_once: 1, wait: Duration::from_millis(1) });
        let password = Password::parse("correct horse").unwrap();
        let (a, b, c) = tokio::join!(hasher.hash(&password), hasher.hash(&password), hasher.hash(&password));
        let unavailable = [&a, &b, &c].iter().filter(|r| matches!(r, Err(BackendError::Unavailable(_)))).count();
        assert_eq!(unavailable, 2, "one hash at a time, the others waited 1 ms: {a:?} {b:?} {c:?}");
        let patient = Argon2Hasher::new(HashingLimit { at_once: 1, wait: Duration::from_secs(30) });
        let (a, b) = tokio::join!(patient.hash(&password), patient.hash(&password));
        assert!(a.is_ok() && b.is_ok(), "within the wait, every request gets its turn");
    }
}
