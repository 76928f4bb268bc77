//! Password hashing with argon2id (OWASP-recommended parameters), run on tokio's
//! blocking pool so that hashing never stalls the async threads.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Argon2, PasswordHash as Phc};
use async_trait::async_trait;
use orders_core::domain::{Password, PasswordHash};
use orders_core::ports::{BackendError, PasswordHasher};
use std::sync::{Arc, OnceLock};

/// The argon2id hasher.
#[derive(Clone, Default)]
pub struct Argon2Hasher {
    /// A real hash of nothing anyone knows, verified against when a stored hash is
    /// unreadable (or absent), so that such a check costs as much as a real one.
    decoy: Arc<OnceLock<String>>,
}

impl Argon2Hasher {
    pub fn new() -> Self {
        Self::default()
    }
}

fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

async fn off_the_async_threads<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, BackendError> {
    tokio::task::spawn_blocking(work).await.map_err(BackendError::failed)
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, BackendError> {
        let password = password.clone();
        let phc = off_the_async_threads(move || hash_blocking(password.expose())).await?;
        phc.map(PasswordHash::new).map_err(|e| BackendError::failed(e.to_string()))
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, BackendError> {
        let (password, hash, decoy) = (password.clone(), hash.clone(), self.decoy.clone());
        off_the_async_threads(move || {
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
        let hasher = Argon2Hasher::new();
        let password = Password::parse("correct horse").unwrap();
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hasher.verify(&password, &hash).await.unwrap());
        assert!(!hasher.verify(&Password::parse("wrong horse").unwrap(), &hash).await.unwrap());
        assert_ne!(hasher.hash(&password).await.unwrap(), hash, "salts must differ");
    }

    #[tokio::test]
    async fn an_unreadable_hash_matches_nothing() {
        let hasher = Argon2Hasher::new();
        let password = Password::parse("correct horse").unwrap();
        assert!(!hasher.verify(&password, &PasswordHash::new("")).await.unwrap());
        assert!(!hasher.verify(&password, &PasswordHash::new("$argon2id$garbage")).await.unwrap());
    }
}
