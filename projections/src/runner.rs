//! Advancing projections from the log, on every node at once.
//!
//! One task per node reads each batch once and folds it into every projection in one
//! transaction: lock each projection's checkpoint row, fold, move the checkpoint, commit. The
//! lock makes nodes take turns, so every event is folded exactly once whichever node gets
//! there first; a node that finds a checkpoint already moved reads it again and carries on
//! from there. A crash before the commit rolls back rows and checkpoints together.

use crate::checkpoints::{claim, Standing, Standings};
use crate::event::{decode_all, SamtaleEvent};
use crate::projection::{Projection, ProjectionError};
use crate::schema::{create_tables, point_views, Generation};
use crate::seals::Seals;
use crate::{conversations::Conversations, directory::DirectoryTables, presence::PresenceTables};
use samtale_eventlog::{Database, EventLog, LogPosition, Settling};
use sqlx::Row;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Events folded per transaction.
pub(crate) const BATCH: i64 = 500;

/// Folded batches that may wait for the live feed to take them; when it is further behind,
/// it reads those events from the log instead.
const HANDOFF_CAPACITY: usize = 4;

/// A batch this node read, decoded and folded into every read model: handed to the live feed
/// (see [`Projections::take_folded`]), which would otherwise read and decode the same events
/// again. With personal data encrypted, decoding is most of what reading an event costs.
#[derive(Debug)]
pub struct FoldedBatch {
    /// The batch holds every event after this position...
    pub after: LogPosition,
    /// ...up to and including this one.
    pub last: LogPosition,
    pub events: Vec<SamtaleEvent>,
}

pub struct Projections {
    pub(crate) db: Database,
    pub(crate) log: Arc<dyn EventLog>,
    pub(crate) all: Vec<(Arc<dyn Projection>, watch::Sender<LogPosition>)>,
    /// Did the last batch fail (the database unreachable, most likely)?
    failing: watch::Sender<bool>,
    /// The position every projection has reached, changed as soon as it moves.
    folded: watch::Sender<LogPosition>,
    /// Set once the live feed takes the folded batches.
    handoff: OnceLock<mpsc::Sender<FoldedBatch>>,
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
            failing: watch::channel(false).0,
            folded: watch::channel(LogPosition::START).0,
            handoff: OnceLock::new(),
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

    /// Runs the projections in the background, following the log live.
    pub fn spawn(self: &Arc<Self>) {
        let this = self.clone();
        tokio::spawn(async move { this.follow().await });
    }

    async fn follow(&self) {
        let mut woken = self.log.wake().subscribe();
        let mut settling = Settling::default();
        let mut standings = Standings::unknown(self.all.len());
        loop {
            woken.borrow_and_update();
            let outcome = self.advance(&mut standings).await;
            self.failing.send_if_modified(|failing| {
                std::mem::replace(failing, outcome.is_err()) != outcome.is_err()
            });
            match outcome {
                Ok(applied) if applied > 0 || standings.stale() => {
                    settling = Settling::default();
                    continue;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(%error, "projection batch failed; retrying");
                    standings = Standings::unknown(self.all.len());
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            }
            if self
                .log
                .has_unsettled_after(self.position())
                .await
                .unwrap_or(false)
            {
                settling.wait().await;
            } else {
                let _ = tokio::time::timeout(Duration::from_millis(500), woken.changed()).await;
            }
        }
    }

    /// Folds the next batch into every projection; returns how many events were folded.
    ///
    /// The projections share one read of the log and one transaction: per batch that is a
    /// handful of statements instead of a dozen per projection, which on a busy log is most of
    /// the database's work. The events are read *before* the transaction begins: on
    /// PostgreSQL an open write transaction holds back every log reader's horizon, so it must
    /// be as short as possible. Each projection's checkpoint moves only if it is still where
    /// this node last saw it; if another node (or a rebuild's swap) moved it, that projection
    /// is skipped and its checkpoint read again before the next batch.
    pub(crate) async fn advance(
        &self,
        standings: &mut Standings,
    ) -> Result<usize, ProjectionError> {
        if standings.stale() {
            *standings = self.read_standings().await?;
        }
        let from = standings.from();
        let events = self.log.read_after(from, BATCH).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            for ((_, progress), standing) in self.all.iter().zip(&standings.0) {
                if let Some(Standing { after, .. }) = *standing {
                    progress.send_if_modified(|p| std::mem::replace(p, after) != after);
                }
            }
            self.publish_folded();
            return Ok(0);
        };
        let events = decode_all(events)?;
        let mut tx = if self.db.postgres_url().is_some() {
            // A fold need not wait for its commit to reach the disk: rows and checkpoints are
            // lost or kept together, and a lost batch is folded again from the durable log.
            // Commands' replies wait for the folds (read-your-writes), so this is their latency.
            // Sent with the BEGIN, in one round trip.
            self.db
                .any()
                .begin_with("BEGIN; SET LOCAL synchronous_commit = off")
                .await?
        } else {
            self.db.any().begin().await?
        };
        let behind: Vec<(usize, Standing)> = standings
            .0
            .iter()
            .enumerate()
            .filter_map(|(index, standing)| standing.map(|s| (index, s)))
            .filter(|(_, standing)| standing.after < last)
            .collect();
        let moved = claim(&mut tx, &self.all, &behind, last).await?;
        let mut folded = 0;
        for (index, standing) in behind {
            if !moved.contains(&index) {
                standings.0[index] = None;
                continue;
            }
            let start = events.partition_point(|e| e.position <= standing.after);
            self.all[index]
                .0
                .apply_batch(&mut tx, standing.generation, &events[start..])
                .await?;
            folded += events.len() - start;
        }
        tx.commit().await?;
        for index in moved {
            if let Some(standing) = &mut standings.0[index] {
                standing.after = last;
            }
            self.all[index].1.send_replace(last);
        }
        if let Some(handoff) = self.handoff.get().filter(|_| self.position() >= last) {
            // Handed over before the position moves: a live feed that sees it move finds the
            // batch waiting. A full channel drops it; the feed then reads the log.
            let _ = handoff.try_send(FoldedBatch {
                after: from,
                last,
                events,
            });
        }
        self.publish_folded();
        Ok(folded)
    }

    fn publish_folded(&self) {
        let position = self.position();
        self.folded
            .send_if_modified(|folded| std::mem::replace(folded, position) != position);
    }

    async fn read_standings(&self) -> Result<Standings, ProjectionError> {
        let rows = sqlx::query("SELECT name, generation, tx, position FROM projection_checkpoints")
            .fetch_all(self.db.any())
            .await?;
        let mut standings = Standings::unknown(self.all.len());
        for row in rows {
            let name: String = row.try_get("name")?;
            if let Some(index) = self.all.iter().position(|(p, _)| p.name() == name) {
                standings.0[index] = Some(Standing {
                    generation: Generation(row.try_get("generation")?),
                    after: LogPosition {
                        tx: row.try_get("tx")?,
                        position: row.try_get("position")?,
                    },
                });
            }
        }
        // Checked here, or the follower would re-read the checkpoints without pause.
        if let Some(index) = standings.0.iter().position(Option::is_none) {
            return Err(ProjectionError::NotInstalled(self.all[index].0.name()));
        }
        Ok(standings)
    }

    /// Folds every projection up to everything committed before this call, in this task. For
    /// tools and tests; the server uses [`Projections::spawn`].
    pub async fn catch_up(&self) -> Result<(), ProjectionError> {
        let head = self.log.head().await?;
        let mut standings = Standings::unknown(self.all.len());
        let mut settling = Settling::default();
        while self.position() < head {
            if self.advance(&mut standings).await? == 0 && !standings.stale() {
                // Committed but not yet settled behind an older transaction.
                settling.wait().await;
            }
        }
        Ok(())
    }

    /// The batches this node folds from now on, as it folds them; only one reader (the
    /// node's live feed) can take them, later callers get `None`.
    pub fn take_folded(&self) -> Option<mpsc::Receiver<FoldedBatch>> {
        let (handoff, handed) = mpsc::channel(HANDOFF_CAPACITY);
        self.handoff.set(handoff).ok().map(|()| handed)
    }

    /// Changes whenever [`Projections::position`] does.
    pub fn watch_folded(&self) -> watch::Receiver<LogPosition> {
        self.folded.subscribe()
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
        let failed = failing.wait_for(|failing| *failing);
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
