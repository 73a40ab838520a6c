//! The line of a surge as its customers see it: the chats started, each customer's stream
//! followed for the places it brings, and what those places say afterwards (who was told the
//! wrong place, who still holds a stale one, how long a move took to reach the back).

use crate::api::{field, Api};
use crate::load::progress::Progress;
use crate::load::stats::Latencies;
use crate::sse_client::SseStream;
use crate::Error;
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The places one customer's stream brought, in order: when, and which (`None`: out of line).
type Places = Arc<Mutex<Vec<(Instant, Option<i64>)>>>;

pub struct Customer {
    pub chat_id: String,
    pub token: String,
    places: Places,
}

impl Customer {
    /// When their stream said they had left the line.
    pub fn left_at(&self) -> Option<Instant> {
        let places = self.places.lock().ok()?;
        places
            .iter()
            .find(|(_, place)| place.is_none())
            .map(|(at, _)| *at)
    }

    /// The place they were told last, if they are still in line.
    fn last_place(&self) -> Option<i64> {
        self.places
            .lock()
            .ok()
            .and_then(|p| p.last().and_then(|(_, place)| *place))
    }

    fn places(&self) -> Vec<(Instant, Option<i64>)> {
        self.places.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

/// `waiting` customers each start a chat in `queue_id`, `concurrency` at a time: their chat
/// ids and tokens.
pub async fn arrive(
    api: &Arc<Api>,
    queue_id: &str,
    form: &Value,
    waiting: usize,
    concurrency: usize,
) -> Result<Vec<(String, String)>, Error> {
    let progress = Progress::start("chats started", waiting as u64);
    let count = progress.counter();
    let started: Vec<Result<(String, String), Error>> = stream::iter(0..waiting)
        .map(|n| {
            let (api, count) = (api.clone(), count.clone());
            let body = json!({"queue_id": queue_id, "name": format!("Surge {n}"), "fields": form});
            async move {
                let answer = api.post("/customer/chats", "", body).await?;
                count.fetch_add(1, Ordering::Relaxed);
                Ok((
                    field(&answer, "/customer/chats", "chat_id")?,
                    field(&answer, "/customer/chats", "customer_token")?,
                ))
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    progress.finish();
    started.into_iter().collect()
}

/// Opens every customer's stream and follows it until `stop`; returns once each has heard a
/// first place (or the wait for that runs out), with how many have.
pub async fn follow_all(
    api: &Arc<Api>,
    started: Vec<(String, String)>,
    concurrency: usize,
    stop: &watch::Receiver<bool>,
) -> Result<(Vec<Customer>, u64), Error> {
    let progress = Progress::start("customers placed", started.len() as u64);
    let placed = progress.counter();
    let customers: Vec<Result<Customer, Error>> = stream::iter(started)
        .map(|(chat_id, token)| {
            let (api, placed, stop) = (api.clone(), placed.clone(), stop.clone());
            async move {
                let stream = api
                    .stream(&format!("/customer/chats/{chat_id}/events"), &token)
                    .await?;
                let places = Places::default();
                follow(stream, places.clone(), placed, stop);
                Ok(Customer {
                    chat_id,
                    token,
                    places,
                })
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let customers: Vec<Customer> = customers.into_iter().collect::<Result<_, _>>()?;
    let limit = Instant::now() + Duration::from_secs(30 + customers.len() as u64 / 100);
    while placed.load(Ordering::Relaxed) < customers.len() as u64 && Instant::now() < limit {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    progress.finish();
    Ok((customers, placed.load(Ordering::Relaxed)))
}

/// Follows one customer's stream, noting each place; only `queue` frames are parsed.
fn follow(
    mut stream: SseStream,
    places: Places,
    placed: Arc<AtomicU64>,
    mut stop: watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        loop {
            let frame = tokio::select! {
                frame = stream.next_frame(Duration::from_secs(3600)) => frame,
                _ = stop.changed() => return,
            };
            let Some(frame) = frame else { return };
            if frame.event != "queue" {
                continue;
            }
            let now = Instant::now();
            let place = serde_json::from_str::<Value>(&frame.data)
                .ok()
                .and_then(|data| data["queue_position"].as_i64());
            if let Ok(mut places) = places.lock() {
                if places.is_empty() {
                    placed.fetch_add(1, Ordering::Relaxed);
                }
                places.push((now, place));
            }
        }
    });
}

/// Puts the customers in line, front first, as they were told it; returns how many were told
/// a place that is not theirs.
pub fn line_up(customers: &mut [Customer]) -> usize {
    let told = |c: &Customer| c.last_place().unwrap_or(i64::MAX);
    customers.sort_by_key(told);
    customers
        .iter()
        .enumerate()
        .filter(|(n, c)| told(c) != *n as i64 + 1)
        .count()
}

/// How many of the customers still in line, front first, do not hold their place now.
pub fn stale(remaining: &[Customer]) -> usize {
    remaining
        .iter()
        .enumerate()
        .filter(|(n, c)| c.last_place() != Some(*n as i64 + 1))
        .count()
}

/// For the j-th chat to leave (at `left[j]`, after the `held` that left before the count):
/// how long until the last customer still waiting at the end saw a place that counts it. One
/// that left meanwhile may never see every place before its own turn (a place is sent at most
/// once a second), so only those still waiting are read.
pub fn place_lag(customers: &[Customer], left: &[Instant], held: usize) -> Latencies {
    let out = held + left.len();
    let snapshots: Vec<Vec<(Instant, Option<i64>)>> =
        customers.iter().skip(out).map(Customer::places).collect();
    let mut lag = Latencies::default();
    for (j, left) in left.iter().enumerate() {
        let done = held + j + 1;
        let mut last_seen = Some(*left);
        for (n, places) in snapshots.iter().enumerate() {
            let wanted = (n + out) as i64 + 1 - done as i64;
            match (first_at_or_before(places, wanted), last_seen) {
                (Some(seen), Some(latest)) => last_seen = Some(latest.max(seen)),
                _ => last_seen = None,
            }
        }
        if let Some(seen) = last_seen {
            lag.record(seen.saturating_duration_since(*left));
        }
    }
    lag
}

/// The first moment a customer's places show `wanted` or better (nearer the front).
fn first_at_or_before(places: &[(Instant, Option<i64>)], wanted: i64) -> Option<Instant> {
    places
        .iter()
        .find(|(_, place)| place.is_some_and(|p| p <= wanted))
        .map(|(at, _)| *at)
}
