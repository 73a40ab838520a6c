//! Advancing projections from the log, on every node at once.
//!
//! Each batch is one transaction: lock the projection's checkpoint row, read the events after
//! it, fold them, move the checkpoint, commit. The lock makes nodes take turns, so every event
//! is folded exactly once whichever node gets there first; a node that finds the checkpoint
//! already moved simply publishes the new position. A crash before the commit rolls back rows
//! and checkpoint together.

use crate::event::decode_all;
use crate::projection::{Projection, ProjectionError};
use crate::schema::{create_tables, point_views, Generation};
use crate::seals::Seals;
use crate::{conversations::Conversations, directory::DirectoryTables, presence::PresenceTables};
use samtale_eventlog::{Database, EventLog, LogPosition, Settling};
use sqlx::Row;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Events folded per transaction.
pub(crate) const BATCH: i64 = 500;

pub struct Projections {
    pub(crate) db: Database,
    pub(crate) log: Arc<dyn EventLog>,
    pub(crate) all: Vec<(Arc<dyn Projection>, watch::Sender<LogPosition>)>,
    /// How many projections' last batch failed (the database unreachable, most likely).
    failing: watch::Sender<usize>,
}

impl Projections {
    /// Samtale's read models.
    pub fn standard(db: Database) -> Self {
        Self::new(
            db,
            vec![
                Arc::new(DirectoryTables),
                Arc::new(PresenceTables),
                Arc::new(Conversations),
                Arc::new(crate::reports::Reports),
                Arc::new(Seals),
            ],
        )
    }

    pub fn new(db: Database, projections: Vec<Arc<dyn Projection>>) -> Self {
        Self {
            log: db.event_log(),
            db,
            all: projections
                .into_iter()
                .map(|p| (p, watch::channel(LogPosition::START).0))
                .collect(),
            failing: watch::channel(0).0,
        }
    }

    /// The projections `projections rebuild` may rebuild.
    pub fn names(&self) -> Vec<&'static str> {
        self.all
            .iter()
            .filter(|(p, _)| p.rebuildable())
            .map(|(p, _)| p.name())
            .collect()
    }

    pub(crate) fn find(&self, name: &str) -> Result<&Arc<dyn Projection>, ProjectionError> {
        self.all
            .iter()
            .map(|(p, _)| p)
            .find(|p| p.name() == name)
            .ok_or_else(|| ProjectionError::Unknown(name.to_string()))
    }

    /// Creates the tables and views of projections seen for the first time, and rebuilds
    /// those whose version changed since their tables were built.
    pub async fn install(&self) -> Result<(), ProjectionError> {
        for (projection, _) in &self.all {
            let mut tx = self.db.any().begin().await?;
            let stored: Option<(i64,)> =
                sqlx::query_as("SELECT version FROM projection_checkpoints WHERE name = $1")
                    .bind(projection.name())
                    .fetch_optional(&mut *tx)
                    .await?;
            match stored {
                None => {
                    let first = Generation(1);
                    create_tables(&mut tx, projection.tables(), first).await?;
                    point_views(&mut tx, projection.tables(), first).await?;
                    sqlx::query(
                        "INSERT INTO projection_checkpoints (name, generation, version, tx, position)
                         VALUES ($1, 1, $2, 0, 0)",
                    )
                    .bind(projection.name())
                    .bind(projection.version())
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                }
                Some((version,)) if version != projection.version() => {
                    tx.commit().await?;
                    tracing::info!(
                        projection = projection.name(),
                        "version changed; rebuilding"
                    );
                    self.rebuild(projection.name(), |_, _| {}).await?;
                }
                Some(_) => tx.commit().await?,
            }
        }
        Ok(())
    }

    /// Runs every projection in the background, following the log live.
    pub fn spawn(self: &Arc<Self>) {
        for index in 0..self.all.len() {
            let this = self.clone();
            tokio::spawn(async move { this.follow(index).await });
        }
    }

    async fn follow(&self, index: usize) {
        let (projection, _) = &self.all[index];
        let mut woken = self.log.wake().subscribe();
        let mut settling = Settling::default();
        let mut failed = false;
        loop {
            woken.borrow_and_update();
            let outcome = self.advance(index).await;
            if outcome.is_err() != failed {
                failed = outcome.is_err();
                self.failing
                    .send_modify(|count| *count = if failed { *count + 1 } else { *count - 1 });
            }
            match outcome {
                Ok(applied) if applied > 0 => {
                    settling = Settling::default();
                    continue;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(projection = projection.name(), %error, "projection batch failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            }
            let position = *self.all[index].1.borrow();
            if self
                .log
                .has_unsettled_after(position)
                .await
                .unwrap_or(false)
            {
                settling.wait().await;
            } else {
                let _ = tokio::time::timeout(Duration::from_millis(500), woken.changed()).await;
            }
        }
    }

    /// Folds the next batch of one projection; returns how many events it folded.
    ///
    /// The events are read *before* the write transaction begins: on PostgreSQL an open write
    /// transaction holds back every log reader's horizon, so it must be as short as possible.
    /// The transaction then moves the checkpoint only if it is still where the events were read
    /// from; if another node got there first, nothing is folded and the next call starts anew.
    pub(crate) async fn advance(&self, index: usize) -> Result<usize, ProjectionError> {
        let (projection, progress) = &self.all[index];
        let row = sqlx::query(
            "SELECT generation, tx, position FROM projection_checkpoints WHERE name = $1",
        )
        .bind(projection.name())
        .fetch_one(self.db.any())
        .await?;
        let generation = Generation(row.try_get("generation")?);
        let after = LogPosition {
            tx: row.try_get("tx")?,
            position: row.try_get("position")?,
        };
        let events = self.log.read_after(after, BATCH).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            progress.send_if_modified(|p| std::mem::replace(p, after) != after);
            return Ok(0);
        };
        let mut tx = self.db.any().begin().await?;
        if self.db.postgres_url().is_some() {
            // A fold need not wait for its commit to reach the disk: rows and checkpoint are
            // lost or kept together, and a lost batch is folded again from the durable log.
            // Commands' replies wait for the folds (read-your-writes), so this is their latency.
            sqlx::query("SET LOCAL synchronous_commit = off")
                .execute(&mut *tx)
                .await?;
        }
        // Moving the checkpoint first takes the row's lock (SQLite: the write lock), so nodes
        // advancing the same projection take turns and none folds an event twice.
        let claimed = sqlx::query(
            "UPDATE projection_checkpoints SET tx = $4, position = $5
              WHERE name = $1 AND generation = $2 AND tx = $3 AND position = $6",
        )
        .bind(projection.name())
        .bind(generation.0)
        .bind(after.tx)
        .bind(last.tx)
        .bind(last.position)
        .bind(after.position)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(0);
        }
        let count = events.len();
        projection
            .apply_batch(&mut tx, generation, &decode_all(events)?)
            .await?;
        tx.commit().await?;
        progress.send_replace(last);
        Ok(count)
    }

    /// Folds every projection up to everything committed before this call, in this task. For
    /// tools and tests; the server uses [`Projections::spawn`].
    pub async fn catch_up(&self) -> Result<(), ProjectionError> {
        let head = self.log.head().await?;
        for index in 0..self.all.len() {
            let mut settling = Settling::default();
            while *self.all[index].1.borrow() < head {
                if self.advance(index).await? == 0 {
                    // Committed but not yet settled behind an older transaction.
                    settling.wait().await;
                }
            }
        }
        Ok(())
    }

    /// The position every projection has reached.
    pub fn position(&self) -> LogPosition {
        self.all
            .iter()
            .map(|(_, progress)| *progress.borrow())
            .min()
            .unwrap_or(LogPosition::START)
    }

    /// Waits until every projection has folded `position`, or `limit` passes, or a projection
    /// fails. True if reached. This is read-your-writes: a command's reply waits for it, so the
    /// caller's next read shows the command's effect. A failing projection means the database
    /// is out of reach, and no reply should wait for it to come back.
    pub async fn wait_for(&self, position: LogPosition, limit: Duration) -> bool {
        let mut failing = self.failing.subscribe();
        let reached = async {
            for (_, progress) in &self.all {
                let mut progress = progress.subscribe();
                if progress.wait_for(|p| *p >= position).await.is_err() {
                    return false;
                }
            }
            true
        };
        let failed = failing.wait_for(|count| *count > 0);
        tokio::select! {
            reached = tokio::time::timeout(limit, reached) => reached.unwrap_or(false),
            _ = failed => false,
        }
    }

    /// Waits until the projection `name` has folded `position`, or `limit` passes. True if
    /// reached; false for an unknown name.
    pub async fn wait_for_one(&self, name: &str, position: LogPosition, limit: Duration) -> bool {
        let Some((_, progress)) = self.all.iter().find(|(p, _)| p.name() == name) else {
            return false;
        };
        let mut progress = progress.subscribe();
        let reached = tokio::time::timeout(limit, progress.wait_for(|p| *p >= position)).await;
        matches!(reached, Ok(Ok(_)))
    }

    pub fn database(&self) -> &Database {
        &self.db
    }
}
