//! Rebuilding a projection from position 0 without stopping the service.
//!
//! The rebuild folds a *new generation* of the projection's tables beside the live one, in
//! batches, recording its own progress in `projection_rebuilds`. Meanwhile the live generation
//! keeps advancing and serving reads. Once the rebuild is close to the end of the log, one
//! short transaction takes the live checkpoint's lock (pausing the live fold on every node),
//! folds the last few events into the new generation, points the views at it, moves the live
//! checkpoint there and drops the old tables. Readers see the old tables until that commit and
//! the new ones after it; nothing in between.

use crate::event::{decode_all, SamtaleEvent};
use crate::projection::{Projection, ProjectionError};
use crate::runner::Projections;
use crate::schema::{analyze_tables, create_tables, drop_tables, point_views, Generation};
use samtale_eventlog::LogPosition;
use sqlx::{AnyConnection, Row};
use std::time::{Duration, Instant};

/// Events folded per rebuild transaction: larger than the live batches, since nobody waits on
/// a rebuild's individual events and each transaction has a fixed cost.
const REBUILD_BATCH: i64 = 10_000;

type Prefetched = Result<(Vec<SamtaleEvent>, usize, LogPosition), ProjectionError>;

#[derive(Debug, Clone, PartialEq)]
pub struct RebuildReport {
    pub projection: &'static str,
    pub events: u64,
    pub elapsed: Duration,
}

impl RebuildReport {
    pub fn events_per_second(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl Projections {
    /// Rebuilds `name` from the start of the log; `progress(done, total)` is called as it goes.
    pub async fn rebuild(
        &self,
        name: &str,
        progress: impl Fn(u64, u64),
    ) -> Result<RebuildReport, ProjectionError> {
        let projection = self.find(name)?.clone();
        if !projection.rebuildable() {
            return Err(ProjectionError::NotRebuildable(projection.name()));
        }
        let started = Instant::now();
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(self.db.any())
            .await?;
        let total = u64::try_from(total).unwrap_or_default();

        let generation = self.start_generation(projection.as_ref()).await?;
        let mut after = LogPosition::START;
        let mut done = 0u64;
        // The next batch is read (and decoded) on another task while this one is folded: the
        // log read is a good part of a batch's cost, and the machine has more than one core.
        let mut next = self.prefetch(after);
        // Statistics are refreshed each time the tables have doubled, so the planner always
        // knows them within a factor of two, at a cost that stays a small share of the fold.
        let mut analyzed_at = REBUILD_BATCH as u64;
        loop {
            let (events, read, last) = next
                .await
                .map_err(|e| ProjectionError::Task(e.to_string()))??;
            next = self.prefetch(last);
            let mut tx = self.db.any().begin().await?;
            projection.apply_batch(&mut tx, generation, &events).await?;
            sqlx::query("UPDATE projection_rebuilds SET tx = $2, position = $3 WHERE name = $1")
                .bind(projection.name())
                .bind(last.tx)
                .bind(last.position)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            done += read as u64;
            after = last;
            if done >= analyzed_at * 2 {
                analyze_tables(
                    &mut *self.db.any().acquire().await?,
                    projection.tables(),
                    generation,
                )
                .await?;
                analyzed_at = done;
            }
            progress(done, total.max(done));
            if read < REBUILD_BATCH as usize {
                break;
            }
        }

        // The swap: under the live checkpoint's lock, finish the fold and switch the views.
        let mut tx = self.db.any().begin().await?;
        sqlx::query("UPDATE projection_checkpoints SET name = name WHERE name = $1")
            .bind(projection.name())
            .execute(&mut *tx)
            .await?;
        let old = Generation(
            sqlx::query_scalar("SELECT generation FROM projection_checkpoints WHERE name = $1")
                .bind(projection.name())
                .fetch_one(&mut *tx)
                .await?,
        );
        loop {
            let (folded, last) = self
                .fold_batch(&mut tx, projection.as_ref(), generation, after)
                .await?;
            done += folded as u64;
            after = last;
            if folded == 0 {
                break;
            }
        }
        point_views(&mut tx, projection.tables(), generation).await?;
        sqlx::query(
            "UPDATE projection_checkpoints SET generation = $2, version = $3, tx = $4, position = $5
              WHERE name = $1",
        )
        .bind(projection.name())
        .bind(generation.0)
        .bind(projection.version())
        .bind(after.tx)
        .bind(after.position)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM projection_rebuilds WHERE name = $1")
            .bind(projection.name())
            .execute(&mut *tx)
            .await?;
        drop_tables(&mut tx, projection.tables(), old).await?;
        tx.commit().await?;
        progress(done, total.max(done));
        Ok(RebuildReport {
            projection: projection.name(),
            events: done,
            elapsed: started.elapsed(),
        })
    }

    /// Creates empty tables for the next generation, replacing any left by a rebuild that
    /// did not finish.
    async fn start_generation(
        &self,
        projection: &dyn Projection,
    ) -> Result<Generation, ProjectionError> {
        let mut tx = self.db.any().begin().await?;
        let row = sqlx::query(
            "SELECT c.generation AS live, r.generation AS unfinished
               FROM projection_checkpoints c
               LEFT JOIN projection_rebuilds r ON r.name = c.name
              WHERE c.name = $1",
        )
        .bind(projection.name())
        .fetch_one(&mut *tx)
        .await?;
        let live: i64 = row.try_get("live")?;
        if let Some(unfinished) = row.try_get::<Option<i64>, _>("unfinished")? {
            drop_tables(&mut tx, projection.tables(), Generation(unfinished)).await?;
        }
        let generation = Generation(live + 1);
        drop_tables(&mut tx, projection.tables(), generation).await?;
        create_tables(&mut tx, projection.tables(), generation).await?;
        sqlx::query("DELETE FROM projection_rebuilds WHERE name = $1")
            .bind(projection.name())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO projection_rebuilds (name, generation, tx, position) VALUES ($1, $2, 0, 0)",
        )
        .bind(projection.name())
        .bind(generation.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(generation)
    }

    /// Reads and decodes the batch after `after` on a task of its own: the events, how many
    /// were read, and the position of the last.
    fn prefetch(&self, after: LogPosition) -> tokio::task::JoinHandle<Prefetched> {
        let log = self.log.clone();
        tokio::spawn(async move {
            let events = log.read_after(after, REBUILD_BATCH).await?;
            let (read, last) = (events.len(), events.last().map_or(after, |e| e.position));
            Ok((decode_all(events)?, read, last))
        })
    }

    async fn fold_batch(
        &self,
        conn: &mut AnyConnection,
        projection: &dyn Projection,
        generation: Generation,
        after: LogPosition,
    ) -> Result<(usize, LogPosition), ProjectionError> {
        let events = self.log.read_after(after, REBUILD_BATCH).await?;
        let (count, last) = (events.len(), events.last().map_or(after, |e| e.position));
        projection
            .apply_batch(conn, generation, &decode_all(events)?)
            .await?;
        Ok((count, last))
    }
}
