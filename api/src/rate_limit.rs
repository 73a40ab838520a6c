//! Rate limits on the public endpoints: logins per client address and per account, chat starts
//! per client address, customer
//! messages per chat, typing signals per chat and side. Token buckets, one per key, refilled continuously.
//!
//! The buckets live in each node's memory: they protect the node, not a global quota, so with
//! N nodes behind a balancer that spreads one client over all of them, the client may get up
//! to N times the limit. The shipped nginx configuration hashes by client address, so one
//! client meets one node's buckets and the limits hold as configured (`docs/deploy/`,
//! tested by `tests/deploy/nginx.sh`); a database round trip per request to share them was
//! not worth it. Nothing here must survive
//! a restart. Buckets that have refilled completely are dropped, so memory follows the number of
//! recently active clients, not the number ever seen.

use crate::error::ApiError;
use clap::Args;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, Args)]
pub struct RateLimitConfig {
    /// Login attempts per minute per client address (0: unlimited).
    #[arg(long, env = "SAMTALE_LOGINS_PER_MINUTE", default_value_t = 20)]
    pub logins_per_minute: u32,
    /// Login attempts per minute per account, from any address (0: unlimited).
    #[arg(long, env = "SAMTALE_ACCOUNT_LOGINS_PER_MINUTE", default_value_t = 10)]
    pub account_logins_per_minute: u32,
    /// Chats a client address may start per minute (0: unlimited).
    #[arg(long, env = "SAMTALE_CHAT_STARTS_PER_MINUTE", default_value_t = 30)]
    pub chat_starts_per_minute: u32,
    /// Messages a customer may send per minute in one chat (0: unlimited).
    #[arg(
        long,
        env = "SAMTALE_CUSTOMER_MESSAGES_PER_MINUTE",
        default_value_t = 120
    )]
    pub customer_messages_per_minute: u32,
    /// Typing signals per minute per chat and side (0: unlimited); clients send one per 2 s.
    #[arg(long, env = "SAMTALE_TYPING_SIGNALS_PER_MINUTE", default_value_t = 60)]
    pub typing_signals_per_minute: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            logins_per_minute: 20,
            account_logins_per_minute: 10,
            chat_starts_per_minute: 30,
            customer_messages_per_minute: 120,
            typing_signals_per_minute: 60,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    Login,
    LoginAccount,
    ChatStart,
    CustomerMessage,
    Typing,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct RateLimits {
    config: RateLimitConfig,
    buckets: Mutex<HashMap<(Limit, String), Bucket>>,
}

/// Above this many buckets, full ones are swept out before a new one is added.
const SWEEP_ABOVE: usize = 10_000;

impl RateLimits {
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn per_minute(&self, limit: Limit) -> u32 {
        match limit {
            Limit::Login => self.config.logins_per_minute,
            Limit::LoginAccount => self.config.account_logins_per_minute,
            Limit::ChatStart => self.config.chat_starts_per_minute,
            Limit::CustomerMessage => self.config.customer_messages_per_minute,
            Limit::Typing => self.config.typing_signals_per_minute,
        }
    }

    /// Takes one token for `key`, or refuses with 429 if its bucket is empty.
    pub fn check(&self, limit: Limit, key: &str) -> Result<(), ApiError> {
        let per_minute = self.per_minute(limit);
        if per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(per_minute);
        let refill_per_second = capacity / 60.0;
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .map_err(|_| ApiError::Internal("rate limit state poisoned".into()))?;
        if buckets.len() > SWEEP_ABOVE {
            buckets.retain(|(limit, _), bucket| {
                let capacity = f64::from(self.per_minute(*limit));
                bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * capacity / 60.0
                    < capacity
            });
        }
        let bucket = buckets.entry((limit, key.to_string())).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        bucket.tokens = (bucket.tokens
            + now.duration_since(bucket.at).as_secs_f64() * refill_per_second)
            .min(capacity);
        bucket.at = now;
        if bucket.tokens < 1.0 {
            return Err(ApiError::TooManyRequests);
        }
        bucket.tokens -= 1.0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_capacity_then_refuses() {
        let limits = RateLimits::new(RateLimitConfig {
            logins_per_minute: 3,
            ..RateLimitConfig::default()
        });
        for _ in 0..3 {
            assert!(limits.check(Limit::Login, "10.0.0.1").is_ok());
        }
        assert!(matches!(
            limits.check(Limit::Login, "10.0.0.1"),
            Err(ApiError::TooManyRequests)
        ));
        assert!(
            limits.check(Limit::Login, "10.0.0.2").is_ok(),
            "other clients are unaffected"
        );
        assert!(
            limits.check(Limit::ChatStart, "10.0.0.1").is_ok(),
            "other limits are separate"
        );
    }

    #[test]
    fn zero_means_unlimited() {
        let limits = RateLimits::new(RateLimitConfig {
            logins_per_minute: 0,
            ..RateLimitConfig::default()
        });
        for _ in 0..1000 {
            assert!(limits.check(Limit::Login, "x").is_ok());
        }
    }
}
