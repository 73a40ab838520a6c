//! The turn of a job that one node at a time must do (the dispatcher, pruning, retention).
//!
//! On PostgreSQL a turn is a session advisory lock held on a connection of its own: if the
//! node dies its connection closes and the lock goes with it. On SQLite one server serves the
//! database (the shell's tools run no jobs), so the turn is always there.

use sqlx::{Connection, PgConnection};

/// A held turn: keep it for as long as the work lasts, then [`Turn::end`] it.
pub struct Turn(Option<PgConnection>);

impl Turn {
    /// Takes the turn named `key` if no node holds it; `None` if one does.
    pub async fn take(postgres_url: Option<&str>, key: i64) -> Result<Option<Self>, sqlx::Error> {
        let Some(url) = postgres_url else {
            return Ok(Some(Turn(None)));
        };
        let mut conn = PgConnection::connect(url).await?;
        // Advisory locks are per database; mixing in the schema keeps services that share a
        // database in separate schemas (and parallel test runs) from holding each other back.
        let acquired: bool = sqlx::query_scalar(
            "SELECT pg_try_advisory_lock($1 # hashtext(current_schema())::bigint)",
        )
        .bind(key)
        .fetch_one(&mut conn)
        .await?;
        Ok(acquired.then_some(Turn(Some(conn))))
    }

    /// Is the turn still this node's? A dead connection means another node may take it.
    pub async fn still_held(&mut self) -> Result<(), sqlx::Error> {
        match self.0.as_mut() {
            Some(conn) => conn.ping().await,
            None => Ok(()),
        }
    }

    /// Gives the turn back (closing the connection releases the lock).
    pub async fn end(self) {
        if let Some(conn) = self.0 {
            let _ = conn.close().await;
        }
    }
}
