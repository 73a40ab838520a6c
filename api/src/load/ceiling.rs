//! The database's own ceiling: durable single-row inserts, one per transaction, from a given
//! number of connections, with no Samtale in between.

use sqlx::postgres::PgPoolOptions;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Commits per second of single-event inserts into a scratch copy of the events table's shape.
pub async fn postgres_inserts_per_second(
    url: &str,
    connections: u32,
    duration: Duration,
) -> anyhow::Result<f64> {
    let pool = PgPoolOptions::new()
        .max_connections(connections)
        .connect(url)
        .await?;
    sqlx::raw_sql(
        "DROP TABLE IF EXISTS samtale_load_ceiling;
         CREATE TABLE samtale_load_ceiling (
             position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
             aggregate_id text NOT NULL, sequence bigint NOT NULL, payload jsonb NOT NULL,
             metadata jsonb NOT NULL, tx xid8 NOT NULL DEFAULT pg_current_xact_id())",
    )
    .execute(&pool)
    .await?;
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut workers = Vec::new();
    for worker in 0..connections {
        let (pool, done) = (pool.clone(), done.clone());
        workers.push(tokio::spawn(async move {
            let mut sequence = 0i64;
            while Instant::now() < deadline {
                sequence += 1;
                let inserted = sqlx::query(
                    "INSERT INTO samtale_load_ceiling (aggregate_id, sequence, payload, metadata)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(format!("ceiling-{worker}"))
                .bind(sequence)
                .bind(serde_json::json!({"MessageSent": {"text": "ceiling"}}))
                .bind(serde_json::json!({"event_id": uuid::Uuid::now_v7().to_string()}))
                .execute(&pool)
                .await;
                if inserted.is_ok() {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for worker in workers {
        worker.await?;
    }
    sqlx::raw_sql("DROP TABLE samtale_load_ceiling")
        .execute(&pool)
        .await?;
    Ok(done.load(Ordering::Relaxed) as f64 / duration.as_secs_f64())
}
