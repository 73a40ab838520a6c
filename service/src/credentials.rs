//! Passwords and tokens.
//!
//! Passwords are hashed with Argon2id at OWASP's recommended parameters (19 MiB, 2 passes,
//! 1 lane: the `argon2` crate's defaults). Tokens are 256 random bits; only their SHA-256 is
//! stored, so a leaked database holds no usable token. Secrets live in `credentials`,
//! `sessions` and `customer_tokens`, never in the log.

use crate::ServiceError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use samtale_domain::UserId;
use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use thiserror::Error;

/// A new password that would not do.
#[derive(Debug, Clone, Copy, Error)]
#[error("must be between 10 and 200 characters")]
pub struct PasswordLength;

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The token of a chat started with a client's key: as secret as the key, and the same for
/// every retry with it. (Domain-separated, so it is not the key's plain hash.)
pub fn derived_token(key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"samtale customer token\n");
    hasher.update(key.as_bytes());
    hex::encode(hasher.finalize())
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub async fn hash_password(password: String) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| ServiceError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// An Argon2 hash of a random password nobody knows, made with the same parameters as real
/// ones: checking a login for an unknown user against it costs what a wrong password costs.
/// Computed on first use (about as long as one login), then kept.
static DUMMY_HASH: std::sync::LazyLock<Option<String>> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(new_token().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .ok()
});

/// Checks a login's password against the user's stored hash, or, when there is no user to log
/// in (unknown, deactivated, without a password), against the dummy hash and then refuses.
/// Either way one Argon2 verification runs, so the time a refusal takes does not tell whether
/// the username exists.
pub async fn verify_login(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_blocking(&password, &hash),
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                verify_blocking(&password, dummy);
            }
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Checks a new password: long enough to resist guessing, short enough not to be a DoS.
pub fn check_password(password: &str) -> Result<(), PasswordLength> {
    let length = password.chars().count();
    if !(10..=200).contains(&length) {
        return Err(PasswordLength);
    }
    Ok(())
}

/// Stores a new user's first password, unless they have one already.
pub async fn initial_password(
    db: &AnyPool,
    user_id: UserId,
    password: String,
) -> Result<(), ServiceError> {
    let hash = hash_password(password).await?;
    sqlx::query(
        "INSERT INTO credentials (user_id, password_hash) VALUES ($1, $2)
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user_id.to_string())
    .bind(hash)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn store_password(
    db: &AnyPool,
    user_id: UserId,
    password: String,
) -> Result<(), ServiceError> {
    let hash = hash_password(password).await?;
    sqlx::query(
        "INSERT INTO credentials (user_id, password_hash) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash",
    )
    .bind(user_id.to_string())
    .bind(hash)
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_dummy_hash_costs_what_a_real_one_costs() {
        let real = hash_password("a long enough password".into())
            .await
            .expect("hashes");
        let real = PasswordHash::new(&real).expect("a PHC string");
        let dummy = DUMMY_HASH.as_deref().expect("the dummy is made");
        let dummy = PasswordHash::new(dummy).expect("a PHC string");
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params, "same memory, passes and lanes");
    }

    #[tokio::test]
    async fn a_login_without_a_stored_hash_is_refused() {
        assert!(!verify_login("a long enough password".into(), None).await);
        let hash = hash_password("a long enough password".into())
            .await
            .expect("hashes");
        assert!(verify_login("a long enough password".into(), Some(hash.clone())).await);
        assert!(!verify_login("a wrong password".into(), Some(hash)).await);
    }
}
