//! The database's own ceiling: durable single-row inserts, one per transaction, from a given
//! number of connections, with no Samtale in between. `samtale load` reads its figures as
//! ratios of this. It lives with the binary, not the load tool, because it talks to the
//! database directly and sizes itself by the server's own pool, which the client cannot see.

use samtale_eventlog::POSTGRES_CONNECTIONS;
use sqlx::postgres::PgPoolOptions;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Measures the ceiling after a load run and prints Samtale's `throughput` as a share of it.
pub async fn compare(url: &str, concurrency: usize, throughput: f64) -> anyhow::Result<()> {
    // From as many connections as the load has senders, and as the server opens: the
    // higher of the two is the ceiling.
    let senders = u32::try_from(concurrency).unwrap_or(u32::MAX);
    let mut ceiling: f64 = 0.0;
    for connections in BTreeSet::from([senders, POSTGRES_CONNECTIONS]) {
        let inserts = postgres_inserts_per_second(url, connections, Duration::from_secs(5)).await?;
        println!(
            "ceiling: {inserts:.0} durable single-event inserts/s from {connections} connections"
        );
        ceiling = ceiling.max(inserts);
    }
    println!("samtale / ceiling: {:.2}", throughput / ceiling);
    Ok(())
}

/// Commits per second of single-event inserts into a scratch copy of the events table's shape.
async fn postgres_inserts_per_second(
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
