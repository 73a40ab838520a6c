//! `samtale load arrivals`-style run: customers arrive at a set rate while agents are logged
//! in; measures how long each chat waits between its request being acknowledged and its
//! `ChatAssigned` reaching the agent's stream. Agents end each chat as soon as they get it, so
//! capacity never runs out and every wait is the dispatcher's own latency.

use super::stats::Latencies;
use crate::api::{field, form_answers, Api};
use crate::Error;
use reqwest::Client;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct ArrivalsConfig {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    #[arg(long, env = "SAMTALE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: String,
    #[arg(long, default_value_t = 5)]
    pub agents: usize,
    /// New chats per second.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

#[derive(Default, Clone, Copy)]
struct Timing {
    acked: Option<Instant>,
    assigned: Option<Instant>,
}

pub async fn arrivals(config: ArrivalsConfig) -> Result<(), Error> {
    let api = Arc::new(Api {
        client: Client::builder().build()?,
        base: config.url.trim_end_matches('/').to_string(),
    });
    let staffed = api
        .staffed_queue(&config.admin_password, "Arrivals", config.agents)
        .await?;
    let queue_id = staffed.queue_id;
    let timings: Arc<Mutex<HashMap<String, Timing>>> = Arc::default();
    for (user_id, token) in staffed.agents {
        let mut stream = api.stream("/events", &token).await?;
        api.post("/me/presence", &token, json!({"logged_in": true}))
            .await?;
        let (api, timings, user_id) = (api.clone(), timings.clone(), user_id.clone());
        tokio::spawn(async move {
            while let Some(event) = stream.next(Duration::from_secs(3600)).await {
                let assigned = &event.data["event"]["ChatAssigned"];
                if event.event != "ChatAssigned" || assigned["agent_id"] != user_id.as_str() {
                    continue;
                }
                let now = Instant::now();
                let Some(chat) = event.data["chat_id"].as_str().map(str::to_string) else {
                    continue;
                };
                if let Ok(mut map) = timings.lock() {
                    map.entry(chat.clone()).or_default().assigned = Some(now);
                }
                let _ = api
                    .post(&format!("/chats/{chat}/end"), &token, json!({}))
                    .await;
            }
        });
    }
    let form = form_answers(&api.get("/widget/config", "").await?);
    println!(
        "{} agents logged in; {} new chats/s for {} s",
        config.agents, config.rate, config.seconds
    );

    let interval = Duration::from_secs_f64(1.0 / config.rate.max(0.001));
    let started = Instant::now();
    let total = (config.rate * config.seconds as f64) as u64;
    let mut starts = Vec::new();
    for i in 0..total {
        tokio::time::sleep_until((started + interval.mul_f64(i as f64)).into()).await;
        let (api, timings, queue_id, form) =
            (api.clone(), timings.clone(), queue_id.clone(), form.clone());
        starts.push(tokio::spawn(async move {
            let body =
                json!({"queue_id": queue_id, "name": format!("Arrival {i}"), "fields": form});
            let started = api.post("/customer/chats", "", body).await?;
            let now = Instant::now();
            let chat = field(&started, "/customer/chats", "chat_id")?;
            if let Ok(mut map) = timings.lock() {
                map.entry(chat).or_default().acked = Some(now);
            }
            Ok::<(), Error>(())
        }));
    }
    let mut errors = 0;
    for start in starts {
        if !matches!(start.await, Ok(Ok(()))) {
            errors += 1;
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let timings = timings.lock().map(|m| m.clone()).unwrap_or_default();
    let mut waits = Latencies::default();
    let mut unassigned = 0;
    for timing in timings.values() {
        match (timing.acked, timing.assigned) {
            (Some(acked), Some(assigned)) => {
                waits.record(assigned.saturating_duration_since(acked))
            }
            (Some(_), None) => unassigned += 1,
            _ => {}
        }
    }
    println!("chats: {total} started, {errors} errors, {unassigned} never assigned");
    println!(
        "request acknowledged -> ChatAssigned on the agent's stream: {}",
        waits.summary()
    );
    Ok(())
}
