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

use super::progress::Progress;
use super::stats::{resident_kib, Latencies};
use crate::api::{field, form_answers, Api, AGENT_CAPACITY};
use crate::sse_client::SseStream;
use crate::Error;
use futures::stream::{self, StreamExt};
use reqwest::Client;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
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

/// The places one customer's stream brought, in order: when, and which (`None`: out of line).
type Places = Arc<Mutex<Vec<(Instant, Option<i64>)>>>;

struct Customer {
    chat_id: String,
    token: String,
    places: Places,
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
            let place = serde_json::from_str::<serde_json::Value>(&frame.data)
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

/// CPU time (user + system) of a process so far, from /proc; ticks are 1/100 s on Linux.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it are fixed.
    let rest: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
    let ticks = |n: usize| rest.get(n).and_then(|t| t.parse::<u64>().ok());
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
}

/// CPU time of every PostgreSQL process on this machine (`None` if there is none): the server
/// and its backends, which is where the database's share of a pickup goes.
fn postgres_cpu_seconds() -> Option<f64> {
    let mut total = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "postgres" {
            if let Some(cpu) = cpu_seconds(pid) {
                *total.get_or_insert(0.0) += cpu;
            }
        }
    }
    total
}

/// CPU used between two readings, per pickup, as a line of the report.
fn cpu_line(
    what: &str,
    before: Option<f64>,
    after: Option<f64>,
    wall: f64,
    pickups: usize,
) -> String {
    match (before, after) {
        (Some(before), Some(after)) => {
            let used = after - before;
            format!(
                "{what} CPU: {used:.2} s in {wall:.1} s = {:.2} ms per pickup",
                used * 1000.0 / pickups.max(1) as f64
            )
        }
        _ => format!("{what} CPU: not measured"),
    }
}

/// When a customer's stream said they had left the line.
fn left_at(customer: &Customer) -> Option<Instant> {
    let places = customer.places.lock().ok()?;
    places
        .iter()
        .find(|(_, place)| place.is_none())
        .map(|(at, _)| *at)
}

/// The first moment a customer's places show `wanted` or better (nearer the front).
fn first_at_or_before(places: &[(Instant, Option<i64>)], wanted: i64) -> Option<Instant> {
    places
        .iter()
        .find(|(_, place)| place.is_some_and(|p| p <= wanted))
        .map(|(at, _)| *at)
}

pub async fn surge(config: SurgeConfig) -> Result<SurgeReport, Error> {
    let api = Arc::new(Api {
        client: Client::builder()
            .pool_max_idle_per_host(config.concurrency * 2)
            .build()?,
        base: config.url.trim_end_matches('/').to_string(),
    });
    let staffed = api
        .staffed_queue(&config.admin_password, "Surge", config.agents.max(1))
        .await?;
    let queue_id = staffed.queue_id.clone();
    let admin = staffed.admin.clone();
    let agents: Arc<Vec<String>> =
        Arc::new(staffed.agents.into_iter().map(|(_, token)| token).collect());
    let form = form_answers(&api.get("/widget/config", "").await?);

    // Arrivals.
    let arriving = Instant::now();
    let progress = Progress::start("chats started", config.waiting as u64);
    let started_count = progress.counter();
    let started: Vec<Result<(String, String), Error>> = stream::iter(0..config.waiting)
        .map(|n| {
            let (api, form, queue_id, count) = (
                api.clone(),
                form.clone(),
                queue_id.clone(),
                started_count.clone(),
            );
            async move {
                let body =
                    json!({"queue_id": queue_id, "name": format!("Surge {n}"), "fields": form});
                let answer = api.post("/customer/chats", "", body).await?;
                count.fetch_add(1, Ordering::Relaxed);
                Ok((
                    field(&answer, "/customer/chats", "chat_id")?,
                    field(&answer, "/customer/chats", "customer_token")?,
                ))
            }
        })
        .buffer_unordered(config.concurrency.max(1))
        .collect()
        .await;
    progress.finish();
    let started: Vec<(String, String)> = started.into_iter().collect::<Result<_, _>>()?;
    let arrived_in = arriving.elapsed();

    // Every customer's stream, until each has its first place.
    let memory_before = config.server_pid.and_then(resident_kib);
    let (stop, stopped) = watch::channel(false);
    let progress = Progress::start("customers placed", started.len() as u64);
    let placed = progress.counter();
    let customers: Vec<Result<Customer, Error>> = stream::iter(started)
        .map(|(chat_id, token)| {
            let (api, placed, stopped) = (api.clone(), placed.clone(), stopped.clone());
            async move {
                let stream = api
                    .stream(&format!("/customer/chats/{chat_id}/events"), &token)
                    .await?;
                let places = Places::default();
                follow(stream, places.clone(), placed, stopped);
                Ok(Customer {
                    chat_id,
                    token,
                    places,
                })
            }
        })
        .buffer_unordered(config.concurrency.max(1))
        .collect()
        .await;
    let mut customers: Vec<Customer> = customers.into_iter().collect::<Result<_, _>>()?;
    let placing_limit = Instant::now() + Duration::from_secs(30 + customers.len() as u64 / 100);
    while placed.load(Ordering::Relaxed) < customers.len() as u64 && Instant::now() < placing_limit
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    progress.finish();
    // Settle what arrived with the streams, then measure.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let memory_after = config.server_pid.and_then(resident_kib);

    // The line, front first, as the customers were told it.
    let first_place = |c: &Customer| {
        c.places
            .lock()
            .ok()
            .and_then(|p| p.last().and_then(|(_, place)| *place))
            .unwrap_or(i64::MAX)
    };
    customers.sort_by_key(first_place);
    let misplaced = customers
        .iter()
        .enumerate()
        .filter(|(n, c)| first_place(c) != *n as i64 + 1)
        .count();
    let line: Arc<Vec<String>> = Arc::new(customers.iter().map(|c| c.chat_id.clone()).collect());

    let rate = config.pickups_per_second.max(0.001);
    // With routing, the agents' room is filled at once when they log in.
    let held = if config.routing {
        (agents.len() * AGENT_CAPACITY).min(line.len() / 2)
    } else {
        0
    };
    // At most half the line leaves, so that half of it is left to watch its places move.
    let asked = ((rate * config.seconds as f64).round() as usize).min(line.len() / 2 - held);
    println!(
        "{} chats started in {:.1} s ({:.0}/s, {} at a time)",
        line.len(),
        arrived_in.as_secs_f64(),
        line.len() as f64 / arrived_in.as_secs_f64().max(0.001),
        config.concurrency.max(1)
    );
    let action = if config.routing {
        format!("{held} assigned by routing at log-in, then {asked} more as chats end at {rate}/s")
    } else {
        format!("{asked} pickups at {rate}/s")
    };
    println!(
        "{} waiting, {} placed ({misplaced} misplaced); {action} by {} agents",
        line.len(),
        placed.load(Ordering::Relaxed),
        agents.len()
    );
    if config.routing {
        for agent in agents.iter() {
            api.post("/me/presence", agent, json!({"logged_in": true}))
                .await?;
        }
        let limit = Instant::now() + Duration::from_secs(30);
        while customers[..held].iter().any(|c| left_at(c).is_none()) && Instant::now() < limit {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Let the places the log-in moved settle (one a second at most).
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let (server_before, postgres_before) = (
        config.server_pid.and_then(cpu_seconds),
        postgres_cpu_seconds(),
    );
    let what = if config.routing {
        "ends acknowledged"
    } else {
        "pickups acknowledged"
    };
    let progress = Progress::start(what, asked as u64);
    let acknowledged_count = progress.counter();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let begun = Instant::now();
    let mut actions = Vec::with_capacity(asked);
    for n in 0..asked {
        tokio::time::sleep_until((begun + interval.mul_f64(n as f64)).into()).await;
        let (api, agents, line, count, admin) = (
            api.clone(),
            agents.clone(),
            line.clone(),
            acknowledged_count.clone(),
            admin.clone(),
        );
        let routing = config.routing;
        actions.push(tokio::spawn(async move {
            let chat = &line[n];
            let end = format!("/chats/{chat}/end");
            if routing {
                // Routing gave it to one of them; the administrator may end any chat.
                api.send(&end, &admin, "{}".into()).await?;
                count.fetch_add(1, Ordering::Relaxed);
                return Ok::<Instant, Error>(Instant::now());
            }
            let agent = &agents[n % agents.len()];
            api.send(&format!("/chats/{chat}/pickup"), agent, "{}".into())
                .await?;
            let acked = Instant::now();
            count.fetch_add(1, Ordering::Relaxed);
            // Ending it keeps the agent's room; the customer is out of line either way.
            api.send(&end, agent, "{}".into()).await?;
            Ok(acked)
        }));
    }
    let mut acked = Vec::with_capacity(asked);
    let mut errors = Vec::new();
    for action in actions {
        match action.await? {
            Ok(at) => acked.push(at),
            Err(error) => errors.push(error.to_string()),
        }
    }
    progress.finish();
    // When each chat left the line: picked up (acknowledged), or assigned by routing (seen on
    // its customer's stream), and for routing how long after the end that made room.
    let mut assigning = Latencies::default();
    let mut acks = if config.routing {
        let assigned = &customers[held..held + asked];
        let limit = Instant::now() + Duration::from_secs(10);
        while assigned.iter().any(|c| left_at(c).is_none()) && Instant::now() < limit {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for (end, customer) in acked.iter().zip(assigned) {
            if let Some(left) = left_at(customer) {
                assigning.record(left.saturating_duration_since(*end));
            }
        }
        assigned.iter().filter_map(left_at).collect()
    } else {
        acked
    };
    let picking = acks
        .iter()
        .max()
        .map_or(Duration::ZERO, |last| *last - begun);
    acks.sort_unstable();

    // Wait for every remaining customer to hear their place now (or give up).
    let out = held + acks.len();
    let remaining = &customers[out.min(customers.len())..];
    let expected = |n: usize| n as i64 + 1 - out as i64;
    let stale_now = || {
        remaining
            .iter()
            .enumerate()
            .filter(|(n, c)| {
                let last = c
                    .places
                    .lock()
                    .ok()
                    .and_then(|p| p.last().and_then(|(_, place)| *place));
                last != Some(expected(n + out))
            })
            .count()
    };
    let settle_limit = Instant::now() + Duration::from_secs(10);
    while stale_now() > 0 && Instant::now() < settle_limit {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let wall = begun.elapsed().as_secs_f64();
    let (server_after, postgres_after) = (
        config.server_pid.and_then(cpu_seconds),
        postgres_cpu_seconds(),
    );
    let stale = stale_now();
    let _ = stop.send(true);

    // The lag of the j-th chat to leave: until the last customer still waiting at the end saw
    // a place that counts it. (One picked up meanwhile may never see every place before its
    // own pickup: a place is sent at most once a second.)
    let mut lag = Latencies::default();
    let snapshots: Vec<Vec<(Instant, Option<i64>)>> = customers
        .iter()
        .map(|c| c.places.lock().map(|p| p.clone()).unwrap_or_default())
        .collect();
    for (j, left) in acks.iter().enumerate() {
        let done = held + j + 1;
        let mut last_seen = Some(*left);
        for (n, places) in snapshots.iter().enumerate().skip(out) {
            let wanted = n as i64 + 1 - done as i64;
            match (first_at_or_before(places, wanted), last_seen) {
                (Some(seen), Some(latest)) => last_seen = Some(latest.max(seen)),
                _ => last_seen = None,
            }
        }
        if let Some(seen) = last_seen {
            lag.record(seen.saturating_duration_since(*left));
        }
    }

    let achieved = acks.len() as f64 / picking.as_secs_f64().max(f64::EPSILON);
    let (taken, kind) = if config.routing {
        ("assigned", "assignments after ends")
    } else {
        ("acknowledged", "pickups")
    };
    println!(
        "{kind}: {asked} asked at {rate}/s, {} {taken} in {:.1} s = {achieved:.1}/s ({:.2} of asked); {} errors{}",
        acks.len(),
        picking.as_secs_f64(),
        achieved / rate,
        errors.len(),
        errors.first().map(|e| format!(" (first: {e})")).unwrap_or_default()
    );
    let left = if config.routing {
        "assignment seen"
    } else {
        "pickup acknowledged"
    };
    println!(
        "place lag, {left} -> last waiting customer sees the new place: {}",
        lag.summary()
    );
    let mut at_capacity = None;
    if config.routing {
        println!(
            "routing, end acknowledged -> next in line assigned (seen on its stream): {}",
            assigning.summary()
        );
        let mut full = 0;
        for agent in agents.iter() {
            let mine = api.get("/me/chats", agent).await?;
            full += usize::from(mine["active"].as_array().map_or(0, Vec::len) == AGENT_CAPACITY);
            api.post("/me/presence", agent, json!({"logged_in": false}))
                .await?;
        }
        println!("agents at capacity at the end: {full} of {}", agents.len());
        at_capacity = Some(full);
    }
    println!(
        "stale places left: {stale} of {} customers still waiting",
        remaining.len()
    );
    println!(
        "{}",
        cpu_line("server", server_before, server_after, wall, acks.len())
    );
    println!(
        "{}",
        cpu_line(
            "PostgreSQL",
            postgres_before,
            postgres_after,
            wall,
            acks.len()
        )
    );
    if let (Some(before), Some(after)) = (memory_before, memory_after) {
        println!(
            "server memory per waiting stream: {:.1} KiB ({:.1} -> {:.1} MiB for {} streams)",
            after.saturating_sub(before) as f64 / line.len().max(1) as f64,
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            line.len()
        );
    }

    // Leave the server as found: the rest of the line closes its chats.
    stream::iter(remaining)
        .for_each_concurrent(config.concurrency.max(1), |c| {
            let api = api.clone();
            async move {
                let path = format!("/customer/chats/{}/close", c.chat_id);
                let _ = api.send(&path, &c.token, "{}".into()).await;
            }
        })
        .await;
    Ok(SurgeReport {
        asked,
        acknowledged: acks.len(),
        errors: errors.len(),
        stale,
        misplaced,
        lag,
        at_capacity,
    })
}
