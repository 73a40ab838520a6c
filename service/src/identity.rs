//! Who is acting: a logged-in staff member, or the customer of one chat (the holder of its
//! token), and the customer tokens this node has already found.

use lru::LruCache;
use samtale_domain::{Actor, ChatId, Role, UserId};
use sqlx::AnyPool;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use thiserror::Error;

/// A staff member asked for something their role does not allow.
#[derive(Debug, Clone, Copy, Error)]
#[error("{0}")]
pub struct Forbidden(pub &'static str);

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

    pub fn require_administrator(&self) -> Result<(), Forbidden> {
        if self.role == Role::Administrator {
            Ok(())
        } else {
            Err(Forbidden("administrators only"))
        }
    }

    pub fn require_oversight(&self) -> Result<(), Forbidden> {
        if self.oversees() {
            Ok(())
        } else {
            Err(Forbidden("supervisors and administrators only"))
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
/// chats long over are deleted (`crate::pruning`), by whichever node. Only tokens that exist
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

    /// The chat a customer token opens, if it opens one: from memory when found within the
    /// last minute, else from the table.
    pub async fn chat_of(
        &self,
        db: &AnyPool,
        token_hash: &str,
    ) -> Result<Option<ChatId>, sqlx::Error> {
        if let Some(chat_id) = self.get(token_hash) {
            return Ok(Some(chat_id));
        }
        let chat_id: Option<String> =
            sqlx::query_scalar("SELECT chat_id FROM customer_tokens WHERE token_hash = $1")
                .bind(token_hash.to_string())
                .fetch_optional(db)
                .await?;
        let Some(chat_id) = chat_id.and_then(|id| id.parse::<ChatId>().ok()) else {
            return Ok(None);
        };
        self.remember(token_hash.to_string(), chat_id);
        Ok(Some(chat_id))
    }

    /// Forgets every token of an erased chat, wherever it was found.
    pub fn forget_chat(&self, chat_id: ChatId) {
        if let Ok(mut tokens) = self.0.lock() {
            let hashes: Vec<String> = tokens
                .iter()
                .filter(|(_, (chat, _))| *chat == chat_id)
                .map(|(hash, _)| hash.clone())
                .collect();
            for hash in hashes {
                tokens.pop(&hash);
            }
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

/// Whether the company's site signed `signed`: `signature` is the hex HMAC-SHA256 of it under
/// the installation's identity secret (the scheme Intercom and Chatwoot use), compared in
/// constant time. What is signed is the customer's id, followed, where the site gives their
/// e-mail address too, by a line feed and the address: so neither can be swapped for another.
pub fn vouched_for(secret: &str, signed: &str, signature: &str) -> bool {
    use hmac::{Hmac, Mac};
    let Ok(signature) = hex::decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(signed.as_bytes());
    mac.verify_slice(&signature).is_ok()
}

#[cfg(test)]
mod vouching {
    use super::vouched_for;

    #[test]
    fn only_the_secrets_signature_of_that_very_id_vouches() {
        // HMAC-SHA256("site-secret", "customer-42"), as a site's server computes it.
        let computed = {
            use hmac::{Hmac, Mac};
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"site-secret").unwrap();
            mac.update(b"customer-42");
            hex::encode(mac.finalize().into_bytes())
        };
        assert!(vouched_for("site-secret", "customer-42", &computed));
        assert!(!vouched_for("site-secret", "customer-43", &computed));
        assert!(!vouched_for("another-secret", "customer-42", &computed));
        assert!(!vouched_for("site-secret", "customer-42", "not hex"));
    }
}
