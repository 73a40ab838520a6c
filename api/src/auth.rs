//! Who is calling: staff with a session token, or a customer with their chat's token.
//!
//! Passwords are hashed with Argon2id at OWASP's recommended parameters (19 MiB, 2 passes,
//! 1 lane: the `argon2` crate's defaults). Tokens are 256 random bits; only their SHA-256 is
//! stored, so a leaked database holds no usable token. Staff sessions are remembered by each
//! node until revoked or idle (`crate::sessions`); a customer's token, bound to its chat for
//! good, is remembered for a minute once found.

use crate::app::AppState;
use crate::error::ApiError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use lru::LruCache;
use rand::RngCore;
use samtale_domain::{Actor, ChatId, Role, UserId};
use sha2::{Digest, Sha256};
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A logged-in staff member.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user_id: UserId,
    pub role: Role,
    pub token_hash: String,
}

impl Staff {
    pub fn actor(&self) -> Actor {
        Actor::staff(self.user_id, self.role)
    }

    pub fn oversees(&self) -> bool {
        self.role.oversees()
    }

    pub fn require_administrator(&self) -> Result<(), ApiError> {
        if self.role == Role::Administrator {
            Ok(())
        } else {
            Err(ApiError::Forbidden("administrators only".into()))
        }
    }

    pub fn require_oversight(&self) -> Result<(), ApiError> {
        if self.oversees() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "supervisors and administrators only".into(),
            ))
        }
    }

    /// The queue scope of list queries: `None` (all queues) for those who oversee.
    pub fn scope(&self) -> Option<String> {
        (!self.oversees()).then(|| self.user_id.to_string())
    }
}

/// The customer of one chat.
#[derive(Debug, Clone)]
pub struct Customer {
    pub chat_id: ChatId,
}

/// Customer tokens already seen, by hash. A customer token is bound to its chat for good (it is
/// never moved), so once found it need not be looked up on every request: that spares a read
/// on every customer request. It is read again after `CUSTOMER_RECHECK`, because tokens of
/// chats long over are deleted (`crate::retention`), by whichever node. Only tokens that exist
/// are remembered, so guessing cannot fill it.
pub struct CustomerTokens(Mutex<LruCache<String, (ChatId, Instant)>>);

/// How long a node trusts a customer token it has found without reading it again.
const CUSTOMER_RECHECK: Duration = Duration::from_secs(60);

impl CustomerTokens {
    pub fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self(Mutex::new(LruCache::new(capacity)))
    }

    fn get(&self, token_hash: &str) -> Option<ChatId> {
        let mut tokens = self.0.lock().ok()?;
        match tokens.get(token_hash) {
            Some((chat_id, found)) if found.elapsed() < CUSTOMER_RECHECK => Some(*chat_id),
            Some(_) => {
                tokens.pop(token_hash);
                None
            }
            None => None,
        }
    }

    fn remember(&self, token_hash: String, chat_id: ChatId) {
        if let Ok(mut tokens) = self.0.lock() {
            tokens.put(token_hash, (chat_id, Instant::now()));
        }
    }

    /// Forgets deleted tokens, so this node refuses them at once.
    pub fn forget(&self, hashes: &[String]) {
        if let Ok(mut tokens) = self.0.lock() {
            for hash in hashes {
                tokens.pop(hash);
            }
        }
    }
}

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

pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
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
pub fn check_password(password: &str) -> Result<(), ApiError> {
    let length = password.chars().count();
    if !(10..=200).contains(&length) {
        return Err(ApiError::invalid_field(
            "password",
            "must be between 10 and 200 characters",
        ));
    }
    Ok(())
}

/// A token from `?access_token=`, taken only on the routes that `accept_query_token` guards.
#[derive(Clone)]
struct QueryToken(String);

/// Lets a route take its bearer token from `?access_token=`, for browsers' EventSource, which
/// cannot set headers. Only the two SSE streams do: a token in a URL ends up in proxies' and
/// browsers' histories, so nowhere else accepts one (and the request log redacts it).
pub async fn accept_query_token(mut request: Request, next: Next) -> Response {
    let token = request.uri().query().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "access_token")
            .map(|(_, token)| token.into_owned())
    });
    if let Some(token) = token {
        request.extensions_mut().insert(QueryToken(token));
    }
    next.run(request).await
}

/// The bearer token of a request: the `Authorization` header, or `?access_token=` where the
/// route accepts it.
fn bearer(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        return value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
    }
    parts
        .extensions
        .get::<QueryToken>()
        .map(|QueryToken(token)| token.clone())
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        state
            .sessions
            .staff(&token_hash(&token))
            .await?
            .ok_or(ApiError::Unauthorized)
    }
}

impl FromRequestParts<AppState> for Customer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        let token_hash = token_hash(&token);
        if let Some(chat_id) = state.customer_tokens.get(&token_hash) {
            return Ok(Customer { chat_id });
        }
        let chat_id: Option<String> =
            sqlx::query_scalar("SELECT chat_id FROM customer_tokens WHERE token_hash = $1")
                .bind(token_hash.clone())
                .fetch_optional(state.db.any())
                .await?;
        let chat_id: ChatId = chat_id
            .ok_or(ApiError::Unauthorized)?
            .parse()
            .map_err(|_| ApiError::Unauthorized)?;
        state.customer_tokens.remember(token_hash, chat_id);
        Ok(Customer { chat_id })
    }
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
