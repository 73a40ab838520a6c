//! Where each projection's checkpoint stands, as a node last saw it, and how a node claims a
//! batch: by moving the checkpoints it saw, which makes nodes take turns.

use crate::projection::{Projection, ProjectionError};
use crate::schema::Generation;
use samtale_eventlog::LogPosition;
use sqlx::AnyConnection;
use std::sync::Arc;
use tokio::sync::watch;

/// Where a projection's checkpoint stands, as this node last saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Standing {
    pub(crate) generation: Generation,
    pub(crate) after: LogPosition,
}

/// Every projection's standing, `None` where it must be read again.
pub(crate) struct Standings(pub(crate) Vec<Option<Standing>>);

impl Standings {
    pub(crate) fn unknown(count: usize) -> Self {
        Self(vec![None; count])
    }

    /// Must a checkpoint be read again (another node or a rebuild moved it)?
    pub(crate) fn stale(&self) -> bool {
        self.0.iter().any(Option::is_none)
    }

    /// Where the shared read starts: after the projection furthest behind.
    pub(crate) fn from(&self) -> LogPosition {
        self.0
            .iter()
            .flatten()
            .map(|s| s.after)
            .min()
            .unwrap_or(LogPosition::START)
    }
}

/// Moves the checkpoints of the projections `behind` to `last`, each only if it is still where
/// this node saw it; returns the indexes of those moved. Moving a checkpoint takes its row's
/// lock (SQLite: the write lock) until the fold commits, so nodes advancing the same projection
/// take turns and none folds an event twice. One statement for all of them: per batch, a
/// statement per projection was a good part of the database's work.
pub(crate) async fn claim(
    tx: &mut AnyConnection,
    all: &[(Arc<dyn Projection>, watch::Sender<LogPosition>)],
    behind: &[(usize, Standing)],
    last: LogPosition,
) -> Result<Vec<usize>, ProjectionError> {
    if behind.is_empty() {
        return Ok(Vec::new());
    }
    let each: Vec<String> = (0..behind.len())
        .map(|n| 3 + 4 * n)
        .map(|p| {
            let (g, t, q) = (p + 1, p + 2, p + 3);
            format!("(name = ${p} AND generation = ${g} AND tx = ${t} AND position = ${q})")
        })
        .collect();
    let sql = format!(
        "UPDATE projection_checkpoints SET tx = $1, position = $2 WHERE {} RETURNING name",
        each.join(" OR ")
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql)
        .bind(last.tx)
        .bind(last.position);
    for (index, standing) in behind {
        query = query
            .bind(all[*index].0.name())
            .bind(standing.generation.0)
            .bind(standing.after.tx)
            .bind(standing.after.position);
    }
    let claimed = query.fetch_all(&mut *tx).await?;
    Ok(behind
        .iter()
        .map(|(index, _)| *index)
        .filter(|index| claimed.iter().any(|name| name == all[*index].0.name()))
        .collect())
}
