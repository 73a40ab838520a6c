//! One load run: set up a queue with agents and chats, open every side's SSE stream, send
//! messages both ways at a set rate, and measure each message from send and from the sender's
//! acknowledgement to its arrival on the other side's stream.

use super::process::resident_kib;
use super::stats::Latencies;
use crate::api::{field, form_answers, Api};
use crate::sse_client::SseStream;
use crate::Error;
use reqwest::Client;
use serde_json::json;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

#[derive(Debug, Clone, clap::Args)]
pub struct LoadConfig {
    /// The running server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The administrator's password (to create the load's queue and agents).
    #[arg(long, env = "SAMTALE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: String,
    #[arg(long, default_value_t = 4)]
    pub agents: usize,
    /// Concurrent chats (at most 20 per agent).
    #[arg(long, default_value_t = 40)]
    pub chats: usize,
    /// Messages per second, both directions together; 0 sends as fast as the server takes
    /// them (`--concurrency` senders, each waiting for its acknowledgement): the maximum.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Messages in flight at most; a send waits for a free slot.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Extra idle SSE connections to open at the end, to measure memory per connection.
    #[arg(long, default_value_t = 0)]
    pub idle_streams: usize,
    /// The server's process id, to report its resident memory.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Typing signals per second besides the messages, both sides together (0: none); each
    /// is measured from its send to the other side's stream.
    #[arg(long, default_value_t = 0.0)]
    pub typing_rate: f64,
}

struct Chat {
    id: String,
    customer: String,
    agent: String,
}

/// When each message was sent, acknowledged and received, by sequence number.
#[derive(Default, Clone, Copy)]
struct Timing {
    sent: Option<Instant>,
    acked: Option<Instant>,
    received: Option<Instant>,
}

type Timings = Arc<Mutex<HashMap<u64, Timing>>>;

/// Typing signals on their way, by (chat, side that typed): when each was sent; and the
/// latencies of those that arrived.
#[derive(Default)]
struct TypingTimes {
    pending: HashMap<(String, String), Instant>,
    arrived: Latencies,
}

type Typing = Arc<Mutex<TypingTimes>>;

/// The part of a `typing` frame the load reads.
#[derive(serde::Deserialize)]
struct TypingFrame<'a> {
    #[serde(borrow)]
    chat_id: Cow<'a, str>,
    #[serde(borrow)]
    side: Cow<'a, str>,
}

fn note(timings: &Timings, seq: u64, update: impl FnOnce(&mut Timing)) {
    if let Ok(mut map) = timings.lock() {
        update(map.entry(seq).or_default());
    }
}

/// The part of a `MessageSent` frame the load reads.
#[derive(serde::Deserialize)]
struct SentFrame<'a> {
    #[serde(borrow)]
    event: SentEvent<'a>,
}

#[derive(serde::Deserialize)]
struct SentEvent<'a> {
    #[serde(rename = "MessageSent", borrow)]
    sent: Sent<'a>,
}

#[derive(serde::Deserialize)]
struct Sent<'a> {
    #[serde(borrow)]
    author: SentBy<'a>,
    #[serde(borrow)]
    text: Cow<'a, str>,
}

#[derive(serde::Deserialize)]
struct SentBy<'a> {
    kind: &'a str,
}

/// Reads one side's stream and stamps the arrival of every load message (text `load:<seq>`)
/// written by the other side (`from`: `customer` or `agent`); a sender's own stream echoes
/// its message too, but that is not delivery. Only message frames are parsed, and only the
/// fields wanted: the load tool shares the machine with the server it measures.
fn follow(mut stream: SseStream, from: &'static str, timings: Timings, typing: Typing) {
    tokio::spawn(async move {
        while let Some(frame) = stream.next_frame(Duration::from_secs(3600)).await {
            if frame.event == "typing" {
                if let Ok(signal) = serde_json::from_str::<TypingFrame>(&frame.data) {
                    let now = Instant::now();
                    if let Ok(mut typing) = typing.lock() {
                        let key = (signal.chat_id.into_owned(), signal.side.into_owned());
                        if let Some(sent) = typing.pending.remove(&key) {
                            typing.arrived.record(now.saturating_duration_since(sent));
                        }
                    }
                }
                continue;
            }
            if frame.event != "MessageSent" {
                continue;
            }
            let Ok(SentFrame { event }) = serde_json::from_str(&frame.data) else {
                continue;
            };
            if event.sent.author.kind != from {
                continue;
            }
            if let Some(seq) = event
                .sent
                .text
                .strip_prefix("load:")
                .and_then(|s| s.parse().ok())
            {
                let now = Instant::now();
                note(&timings, seq, |t| t.received = t.received.or(Some(now)));
            }
        }
    });
}

/// What a run counted, besides what it printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadReport {
    pub acknowledged: usize,
    pub errors: usize,
    /// Acknowledged messages that never reached the other side's stream.
    pub undelivered: usize,
    /// Acknowledged messages per second of sending: what a database ceiling is compared with.
    pub throughput: f64,
    /// Typing signals that reached the other side's stream.
    pub typing_arrived: usize,
}

pub async fn run(config: LoadConfig) -> Result<LoadReport, Error> {
    if config.chats > config.agents * 20 {
        return Err(Error::TooManyChats);
    }
    let api = Arc::new(Api {
        client: Client::builder()
            .pool_max_idle_per_host(config.concurrency * 2)
            .build()?,
        base: config.url.trim_end_matches('/').to_string(),
    });
    let memory = |label: &str| {
        if let Some(kib) = config.server_pid.and_then(resident_kib) {
            println!("server memory {label}: {:.1} MiB", kib as f64 / 1024.0);
        }
        config.server_pid.and_then(resident_kib)
    };
    memory("at start");

    let staffed = api
        .staffed_queue(&config.admin_password, "Load", config.agents)
        .await?;
    let queue_id = staffed.queue_id;
    let agents: Vec<String> = staffed.agents.into_iter().map(|(_, token)| token).collect();
    let timings: Timings = Arc::default();
    let typing: Typing = Arc::default();
    for agent in &agents {
        follow(
            api.stream("/events", agent).await?,
            "customer",
            timings.clone(),
            typing.clone(),
        );
    }
    let form = api.get("/widget/config", "").await?;
    let mut chats = Vec::new();
    for i in 0..config.chats {
        let started = api
            .post("/customer/chats", "", json!({"queue_id": queue_id, "name": format!("Load customer {i}"), "fields": form_answers(&form)}))
            .await?;
        let id = field(&started, "/customer/chats", "chat_id")?;
        let customer = field(&started, "/customer/chats", "customer_token")?;
        let agent = agents[i % agents.len()].clone();
        api.post(&format!("/chats/{id}/pickup"), &agent, json!({}))
            .await?;
        follow(
            api.stream(&format!("/customer/chats/{id}/events"), &customer)
                .await?,
            "agent",
            timings.clone(),
            typing.clone(),
        );
        chats.push(Chat {
            id,
            customer,
            agent,
        });
    }
    println!(
        "set up {} agents, {} chats with {} streams; sending {} for {} s",
        agents.len(),
        chats.len(),
        agents.len() + chats.len(),
        if config.rate > 0.0 {
            format!("{} msg/s", config.rate)
        } else {
            format!("as fast as {} senders can", config.concurrency)
        },
        config.seconds
    );
    memory("with streams open");

    // Open loop: messages are due at a fixed rate whatever the server does, so a slow server
    // shows up as latency, not as a politely reduced rate.
    let chats = Arc::new(chats);
    let slots = Arc::new(Semaphore::new(config.concurrency));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(config.seconds);
    let open_loop = config.rate > 0.0;
    let interval = Duration::from_secs_f64(1.0 / config.rate.max(0.001));
    let typist = (config.typing_rate > 0.0).then(|| {
        tokio::spawn(type_along(
            api.clone(),
            chats.clone(),
            typing.clone(),
            config.typing_rate,
            deadline,
        ))
    });
    let mut sends = Vec::new();
    let mut total = 0u64;
    for seq in 0.. {
        if open_loop {
            let due = started + interval.mul_f64(seq as f64);
            if due >= deadline {
                break;
            }
            tokio::time::sleep_until(due.into()).await;
        }
        let permit = slots.clone().acquire_owned().await?;
        if Instant::now() >= deadline {
            break;
        }
        total += 1;
        let (api, chats, timings, errors) =
            (api.clone(), chats.clone(), timings.clone(), errors.clone());
        sends.push(tokio::spawn(async move {
            let chat = &chats[(seq as usize / 2) % chats.len()];
            // Even messages from the customer (arrive on the agent's stream), odd ones back.
            let (path, token) = if seq % 2 == 0 {
                (
                    format!("/customer/chats/{}/messages", chat.id),
                    &chat.customer,
                )
            } else {
                (format!("/chats/{}/messages", chat.id), &chat.agent)
            };
            note(&timings, seq, |t| t.sent = Some(Instant::now()));
            let body = format!(r#"{{"text":"load:{seq}","client_message_id":"load-{seq}"}}"#);
            match api.send(&path, token, body).await {
                Ok(_) => note(&timings, seq, |t| t.acked = Some(Instant::now())),
                Err(e) => errors
                    .lock()
                    .map(|mut v| v.push(e.to_string()))
                    .unwrap_or(()),
            }
            drop(permit);
        }));
    }
    for send in sends {
        send.await?;
    }
    if let Some(typist) = typist {
        typist.await?;
    }
    let sending = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;

    let timings = timings.lock().map(|m| m.clone()).unwrap_or_default();
    let (mut from_send, mut from_ack) = (Latencies::default(), Latencies::default());
    let mut lost = 0;
    for timing in timings.values() {
        match (timing.sent, timing.acked, timing.received) {
            (Some(sent), Some(acked), Some(received)) => {
                from_send.record(received.saturating_duration_since(sent));
                from_ack.record(received.saturating_duration_since(acked));
            }
            (_, Some(_), None) => lost += 1,
            _ => {}
        }
    }
    let acked = timings.values().filter(|t| t.acked.is_some()).count();
    let errors = errors.lock().map(|e| e.clone()).unwrap_or_default();
    let throughput = acked as f64 / sending.as_secs_f64();
    println!(
        "messages: {total} due, {acked} acknowledged in {:.1} s = {throughput:.0} msg/s",
        sending.as_secs_f64()
    );
    println!(
        "errors: {}{}",
        errors.len(),
        errors
            .first()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
    println!("acknowledged but never delivered: {lost}");
    println!("send -> other side's SSE: {}", from_send.summary());
    println!("ack  -> other side's SSE: {}", from_ack.summary());
    let typing = typing.lock().map(|t| t.arrived.clone()).unwrap_or_default();
    if config.typing_rate > 0.0 {
        println!(
            "typing signal send -> other side's SSE: {}",
            typing.summary()
        );
    }

    if config.idle_streams > 0 {
        let before = memory("before idle streams");
        let mut idle = Vec::with_capacity(config.idle_streams);
        for i in 0..config.idle_streams {
            let chat = &chats[i % chats.len()];
            idle.push(
                api.stream(
                    &format!("/customer/chats/{}/events", chat.id),
                    &chat.customer,
                )
                .await?,
            );
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = memory(&format!("with {} idle streams", idle.len()));
        if let (Some(before), Some(after)) = (before, after) {
            println!(
                "memory per idle SSE connection: {:.1} KiB",
                after.saturating_sub(before) as f64 / idle.len() as f64
            );
        }
    }

    for chat in chats.iter() {
        let _ = api
            .post(
                &format!("/customer/chats/{}/close", chat.id),
                &chat.customer,
                json!({}),
            )
            .await;
    }

    Ok(LoadReport {
        acknowledged: acked,
        errors: errors.len(),
        undelivered: lost,
        throughput,
        typing_arrived: typing.len(),
    })
}

/// Sends typing signals at `rate` a second until `deadline`, in turn from each chat's customer
/// and agent (so each chat and side signals far less often than every 2 s), noting when each
/// went out; one still on its way when its turn comes again is not sent again.
async fn type_along(
    api: Arc<Api>,
    chats: Arc<Vec<Chat>>,
    typing: Typing,
    rate: f64,
    deadline: Instant,
) {
    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut signals = Vec::new();
    for n in 0_usize.. {
        let due = started + interval.mul_f64(n as f64);
        if due >= deadline {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        let chat = &chats[(n / 2) % chats.len()];
        let (side, path, token) = if n % 2 == 0 {
            (
                "customer",
                format!("/customer/chats/{}/typing", chat.id),
                chat.customer.clone(),
            )
        } else {
            (
                "agent",
                format!("/chats/{}/typing", chat.id),
                chat.agent.clone(),
            )
        };
        let chat_id = chat.id.clone();
        let key = (chat_id.clone(), side.to_string());
        match typing.lock() {
            Ok(mut typing) if !typing.pending.contains_key(&key) => {
                typing.pending.insert(key, Instant::now());
            }
            _ => continue,
        }
        let (api, typing) = (api.clone(), typing.clone());
        signals.push(tokio::spawn(async move {
            let signal = r#"{"typing":true}"#.to_string();
            if api.send(&path, &token, signal).await.is_err() {
                // Refused: it will never arrive, so it is no latency (and not pending).
                if let Ok(mut typing) = typing.lock() {
                    typing.pending.remove(&(chat_id, side.to_string()));
                }
            }
        }));
    }
    for signal in signals {
        let _ = signal.await;
    }
}
