//! `samtale load surge`: the worst day. N customers wait at once, each with their stream open;
//! agents then pick up the oldest chat at a set rate (and end it, to keep their room), and the
//! run measures what a surge costs: pickups achieved against asked, how long after a pickup's
//! acknowledgement the last waiting customer sees their new place, places left stale, the
//! server's and PostgreSQL's CPU per pickup and the server's memory per waiting stream.
//!
//! With `--routing` nobody picks up: the agents log in, routing fills their room, and at the
//! set rate the oldest chat they hold is ended, so that routing gives the room to the next in
//! line; the run then also measures how long after an end's acknowledgement the next customer
//! is assigned, and whether every agent is still at capacity at the end.
//!
//! The server must let one address start N chats (`SAMTALE_CHAT_STARTS_PER_MINUTE`).

mod line;

use super::process::{resident_kib, Cpu};
use super::progress::Progress;
use super::stats::Latencies;
use crate::api::{form_answers, Api, AGENT_CAPACITY};
use crate::Error;
use futures::stream::{self, StreamExt};
use line::Customer;
use reqwest::Client;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

#[derive(Debug, Clone, clap::Args)]
pub struct SurgeConfig {
    /// The running server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The administrator's password (to create the run's queue and agents).
    #[arg(long, env = "SAMTALE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: String,
    /// Customers waiting, each with their stream open, before the pickups start.
    #[arg(long, default_value_t = 1000)]
    pub waiting: usize,
    #[arg(long, default_value_t = 50.0)]
    pub pickups_per_second: f64,
    #[arg(long, default_value_t = 4)]
    pub agents: usize,
    /// How long to pick up for; shorter if the queue would run out first.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Chats started, and streams opened, at once while setting up.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// The server's process id: its CPU and memory are read from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Let routing assign instead of picking up: the agents log in, and at the asked rate the
    /// oldest chat they hold is ended, so that routing gives its room to the next in line.
    #[arg(long)]
    pub routing: bool,
}

/// What a run counted, besides what it printed.
#[derive(Debug, Clone)]
pub struct SurgeReport {
    pub asked: usize,
    pub acknowledged: usize,
    pub errors: usize,
    /// Customers still waiting whose last place is not their place now.
    pub stale: usize,
    /// Customers whose first place was not their place in line.
    pub misplaced: usize,
    pub lag: Latencies,
    /// With routing: how many agents held as many chats as they may at the end.
    pub at_capacity: Option<usize>,
}

pub async fn surge(config: SurgeConfig) -> Result<SurgeReport, Error> {
    let concurrency = config.concurrency.max(1);
    let api = Arc::new(Api {
        client: Client::builder()
            .pool_max_idle_per_host(concurrency * 2)
            .build()?,
        base: config.url.trim_end_matches('/').to_string(),
    });
    let staffed = api
        .staffed_queue(&config.admin_password, "Surge", config.agents.max(1))
        .await?;
    let agents: Arc<Vec<String>> =
        Arc::new(staffed.agents.into_iter().map(|(_, token)| token).collect());
    let form = form_answers(&api.get("/widget/config", "").await?);

    let arriving = Instant::now();
    let started = line::arrive(&api, &staffed.queue_id, &form, config.waiting, concurrency).await?;
    let arrived_in = arriving.elapsed();

    let memory_before = config.server_pid.and_then(resident_kib);
    let (stop, stopped) = watch::channel(false);
    let (mut customers, placed) = line::follow_all(&api, started, concurrency, &stopped).await?;
    // Settle what arrived with the streams, then measure.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let memory_after = config.server_pid.and_then(resident_kib);
    let misplaced = line::line_up(&mut customers);
    let waiting = customers.len();

    let rate = config.pickups_per_second.max(0.001);
    // With routing, the agents' room is filled at once when they log in.
    let held = if config.routing {
        (agents.len() * AGENT_CAPACITY).min(waiting / 2)
    } else {
        0
    };
    // At most half the line leaves, so that half of it is left to watch its places move.
    let asked = ((rate * config.seconds as f64).round() as usize).min(waiting / 2 - held);
    println!(
        "{waiting} chats started in {:.1} s ({:.0}/s, {concurrency} at a time)",
        arrived_in.as_secs_f64(),
        waiting as f64 / arrived_in.as_secs_f64().max(0.001),
    );
    let action = if config.routing {
        format!("{held} assigned by routing at log-in, then {asked} more as chats end at {rate}/s")
    } else {
        format!("{asked} pickups at {rate}/s")
    };
    println!(
        "{waiting} waiting, {placed} placed ({misplaced} misplaced); {action} by {} agents",
        agents.len()
    );
    if config.routing {
        for agent in agents.iter() {
            api.post("/me/presence", agent, json!({"logged_in": true}))
                .await?;
        }
        settle(&customers[..held], 30).await;
        // Let the places the log-in moved settle (one a second at most).
        tokio::time::sleep(Duration::from_secs(2)).await;
    }

    let cpu_before = Cpu::now(config.server_pid);
    let begun = Instant::now();
    // The oldest first: with routing, those the agents hold, which makes room for the next.
    let chats: Vec<String> = customers[..asked]
        .iter()
        .map(|c| c.chat_id.clone())
        .collect();
    let moves = Moves {
        api: api.clone(),
        agents: agents.clone(),
        admin: staffed.admin.clone(),
        routing: config.routing,
    };
    let (acked, errors) = moves.drive(chats, rate, begun).await;
    // When each chat left the line: picked up (acknowledged), or assigned by routing (seen on
    // its customer's stream), and for routing how long after the end that made room.
    let mut assigning = Latencies::default();
    let mut left = if config.routing {
        let assigned = &customers[held..held + asked];
        settle(assigned, 10).await;
        for (end, customer) in acked.iter().zip(assigned) {
            if let Some(left) = customer.left_at() {
                assigning.record(left.saturating_duration_since(*end));
            }
        }
        assigned.iter().filter_map(Customer::left_at).collect()
    } else {
        acked
    };
    let picking = left
        .iter()
        .max()
        .map_or(Duration::ZERO, |last| *last - begun);
    left.sort_unstable();

    // Wait for every remaining customer to hear their place now (or give up).
    let out = (held + left.len()).min(waiting);
    let remaining = &customers[out..];
    let settle_limit = Instant::now() + Duration::from_secs(10);
    while line::stale(remaining) > 0 && Instant::now() < settle_limit {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let wall = begun.elapsed().as_secs_f64();
    let cpu_after = Cpu::now(config.server_pid);
    let stale = line::stale(remaining);
    let _ = stop.send(true);
    let lag = line::place_lag(&customers, &left, held);

    let achieved = left.len() as f64 / picking.as_secs_f64().max(f64::EPSILON);
    let (taken, kind, seen) = if config.routing {
        ("assigned", "assignments after ends", "assignment seen")
    } else {
        ("acknowledged", "pickups", "pickup acknowledged")
    };
    println!(
        "{kind}: {asked} asked at {rate}/s, {} {taken} in {:.1} s = {achieved:.1}/s ({:.2} of asked); {} errors{}",
        left.len(),
        picking.as_secs_f64(),
        achieved / rate,
        errors.len(),
        errors.first().map(|e| format!(" (first: {e})")).unwrap_or_default()
    );
    println!(
        "place lag, {seen} -> last waiting customer sees the new place: {}",
        lag.summary()
    );
    let mut at_capacity = None;
    if config.routing {
        println!(
            "routing, end acknowledged -> next in line assigned (seen on its stream): {}",
            assigning.summary()
        );
        let full = moves.log_out_counting_full().await?;
        println!("agents at capacity at the end: {full} of {}", agents.len());
        at_capacity = Some(full);
    }
    println!(
        "stale places left: {stale} of {} customers still waiting",
        remaining.len()
    );
    for line in cpu_before.lines_since(cpu_after, wall, left.len(), "pickup") {
        println!("{line}");
    }
    if let (Some(before), Some(after)) = (memory_before, memory_after) {
        println!(
            "server memory per waiting stream: {:.1} KiB ({:.1} -> {:.1} MiB for {waiting} streams)",
            after.saturating_sub(before) as f64 / waiting.max(1) as f64,
            before as f64 / 1024.0,
            after as f64 / 1024.0,
        );
    }

    // Leave the server as found: the rest of the line closes its chats.
    stream::iter(remaining)
        .for_each_concurrent(concurrency, |c| {
            let api = api.clone();
            async move {
                let path = format!("/customer/chats/{}/close", c.chat_id);
                let _ = api.send(&path, &c.token, "{}".into()).await;
            }
        })
        .await;
    Ok(SurgeReport {
        asked,
        acknowledged: left.len(),
        errors: errors.len(),
        stale,
        misplaced,
        lag,
        at_capacity,
    })
}

/// Waits, for up to `seconds`, until every one of `customers` has left the line.
async fn settle(customers: &[Customer], seconds: u64) {
    let limit = Instant::now() + Duration::from_secs(seconds);
    while customers.iter().any(|c| c.left_at().is_none()) && Instant::now() < limit {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What takes chats out of the line: agents picking up (and ending, to keep their room), or
/// with routing the administrator ending the oldest chat held, so that routing fills the room.
struct Moves {
    api: Arc<Api>,
    agents: Arc<Vec<String>>,
    admin: String,
    routing: bool,
}

impl Moves {
    /// One move per chat, at `rate` a second from `begun`: when each was acknowledged, and
    /// what failed.
    async fn drive(
        &self,
        chats: Vec<String>,
        rate: f64,
        begun: Instant,
    ) -> (Vec<Instant>, Vec<String>) {
        let what = if self.routing {
            "ends acknowledged"
        } else {
            "pickups acknowledged"
        };
        let progress = Progress::start(what, chats.len() as u64);
        let count = progress.counter();
        let interval = Duration::from_secs_f64(1.0 / rate);
        let mut actions = Vec::with_capacity(chats.len());
        for (n, chat) in chats.into_iter().enumerate() {
            tokio::time::sleep_until((begun + interval.mul_f64(n as f64)).into()).await;
            let (api, count, routing) = (self.api.clone(), count.clone(), self.routing);
            let agent = if routing {
                // Routing gave it to one of them; the administrator may end any chat.
                self.admin.clone()
            } else {
                self.agents[n % self.agents.len()].clone()
            };
            actions.push(tokio::spawn(async move {
                let end = format!("/chats/{chat}/end");
                if routing {
                    api.send(&end, &agent, "{}".into()).await?;
                    count.fetch_add(1, Ordering::Relaxed);
                    return Ok::<Instant, Error>(Instant::now());
                }
                api.send(&format!("/chats/{chat}/pickup"), &agent, "{}".into())
                    .await?;
                let acked = Instant::now();
                count.fetch_add(1, Ordering::Relaxed);
                // Ending it keeps the agent's room; the customer is out of line either way.
                api.send(&end, &agent, "{}".into()).await?;
                Ok(acked)
            }));
        }
        let mut acked = Vec::with_capacity(actions.len());
        let mut errors = Vec::new();
        for action in actions {
            match action.await {
                Ok(Ok(at)) => acked.push(at),
                Ok(Err(error)) => errors.push(error.to_string()),
                Err(error) => errors.push(error.to_string()),
            }
        }
        progress.finish();
        (acked, errors)
    }

    /// Logs every agent out, counting those who held as many chats as they may.
    async fn log_out_counting_full(&self) -> Result<usize, Error> {
        let mut full = 0;
        for agent in self.agents.iter() {
            let mine = self.api.get("/me/chats", agent).await?;
            full += usize::from(mine["active"].as_array().map_or(0, Vec::len) == AGENT_CAPACITY);
            self.api
                .post("/me/presence", agent, json!({"logged_in": false}))
                .await?;
        }
        Ok(full)
    }
}
