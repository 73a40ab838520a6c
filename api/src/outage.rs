//! Failing fast while the database is unreachable.
//!
//! Left alone, every request during an outage would wait the pool's whole acquire timeout
//! before its 503, and pile up behind the others doing the same. The first request that finds
//! the database unreachable opens the breaker: requests still waiting on the database are
//! answered 503 there and then, new ones at once, and one probe closes the breaker as soon as
//! the database answers again. A 503 is always safe to retry with the same client message id
//! or Idempotency-Key, whether or not the change was stored before the outage.

use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use samtale_eventlog::Database;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often the probe asks the database whether it is back.
const PROBE_INTERVAL: Duration = Duration::from_millis(200);

pub struct Breaker {
    open: watch::Sender<bool>,
    /// What the probe asks whether it is back.
    db: Database,
}

impl Breaker {
    pub fn new(db: Database) -> Self {
        Self {
            open: watch::channel(false).0,
            db,
        }
    }

    /// Whether requests are being refused because the database is unreachable.
    pub fn is_open(&self) -> bool {
        *self.open.borrow()
    }

    /// Opens the breaker, and starts the probe that closes it, unless it is already open.
    fn trip(self: &Arc<Self>) {
        if self.open.send_replace(true) {
            return;
        }
        tracing::warn!("the database is unreachable; refusing API requests until it is back");
        let breaker = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PROBE_INTERVAL).await;
                if sqlx::query("SELECT 1")
                    .execute(breaker.db.any())
                    .await
                    .is_ok()
                {
                    breaker.open.send_replace(false);
                    tracing::info!("the database is reachable again");
                    return;
                }
            }
        });
    }
}

/// Middleware: a 503 while the breaker is open, or as soon as it opens; a 503 from below opens
/// it. (An SSE stream's handler returns as soon as the stream starts: open streams are left
/// alone.)
pub async fn fail_fast(
    State(breaker): State<Arc<Breaker>>,
    request: Request,
    next: Next,
) -> Response {
    let refused = || ApiError::Unavailable("the database is unreachable".into()).into_response();
    let mut open = breaker.open.subscribe();
    if *open.borrow_and_update() {
        return refused();
    }
    let response = tokio::select! {
        response = next.run(request) => response,
        _ = open.wait_for(|open| *open) => return refused(),
    };
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        breaker.trip();
    }
    response
}
