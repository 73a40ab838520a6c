//! Writes a long synthetic log into a Samtale database, to measure what grows with the log —
//! projection rebuilds, the board at a past instant — without hours of load first.
//!
//! The events are real domain events, serialised and persisted through the same event
//! repository as commands use, but no command decides them: use it only on a database made
//! for measuring. Chats arrive every two seconds in two queues, around the clock, each
//! waiting 5–124 s, assigned by routing to one of 20 agents who log in and out daily; every
//! tenth customer gives up while waiting; the rest exchange messages and the agent ends.
//!
//! ```sh
//! cargo run --release -p samtale-api --example synthetic_log -- <database-url> <chats> [messages-per-chat]
//! ```
#![allow(clippy::expect_used)]

use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::persist::{PersistedEventRepository, SerializedEvent};
use cqrs_es::DomainEvent;
use samtale_domain::chat::{Assignment, Author};
use samtale_domain::text::{MessageText, Name};
use samtale_domain::{
    Actor, Chat, ChatEvent, MessageId, Presence, PresenceEvent, QueueId, Role, UserId,
};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

const AGENTS: u128 = 20;
const PER_APPEND: usize = 5_000;

enum Event {
    Chat(ChatEvent),
    Presence(PresenceEvent),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: synthetic_log <database-url> <chats> [messages-per-chat]";
    let url = args.get(1).context(usage)?;
    let chats: u64 = args.get(2).context(usage)?.parse()?;
    let messages: u64 = args.get(3).map(|m| m.parse()).transpose()?.unwrap_or(2);

    let queues = [QueueId(Uuid::from_u128(1)), QueueId(Uuid::from_u128(2))];
    let agents: Vec<UserId> = (0..AGENTS)
        .map(|i| UserId(Uuid::from_u128(100 + i)))
        .collect();
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
    let mut timeline: Vec<(DateTime<Utc>, String, Event)> = Vec::new();

    let days = chats * 2 / 86_400 + 1;
    for day in 0..days as i64 {
        for agent in &agents {
            let by = Actor::staff(*agent, Role::Agent);
            let queues: BTreeSet<QueueId> = queues.iter().copied().collect();
            let (login, logout) = (
                start + Duration::days(day),
                start + Duration::days(day + 1) - Duration::seconds(1),
            );
            timeline.push((
                login,
                agent.to_string(),
                Event::Presence(PresenceEvent::AgentLoggedIn {
                    queues: queues.clone(),
                    session: day as u64,
                    session_started: true,
                    by,
                    at: login,
                }),
            ));
            timeline.push((
                logout,
                agent.to_string(),
                Event::Presence(PresenceEvent::AgentLoggedOut {
                    queues,
                    session_ended: true,
                    by,
                    at: logout,
                }),
            ));
        }
    }
    for i in 0..chats {
        let chat = Uuid::from_u128(1_000_000 + u128::from(i)).to_string();
        let requested = start + Duration::seconds(i as i64 * 2);
        let wait = Duration::seconds(5 + (i as i64 * 37) % 120);
        let mut push = |at, event| timeline.push((at, chat.clone(), Event::Chat(event)));
        push(
            requested,
            ChatEvent::ChatRequested {
                queue_id: queues[(i % 2) as usize],
                category_id: None,
                customer_name: Name::parse(format!("Kunde {i}")).expect("a name").into(),
                answers: vec![].into(),
                known_customer: None,
                by: Actor::Customer,
                at: requested,
            },
        );
        if i % 10 == 9 {
            let at = requested + wait / 2;
            push(
                at,
                ChatEvent::CustomerClosedClient {
                    abandoned: true,
                    agent_id: None,
                    by: Actor::Customer,
                    at,
                },
            );
            continue;
        }
        let agent = agents[(i % AGENTS as u64) as usize];
        let assigned = requested + wait;
        push(
            assigned,
            ChatEvent::ChatAssigned {
                agent_id: agent,
                via: Assignment::Routing,
                choice: None,
                by: Actor::Routing,
                at: assigned,
            },
        );
        let mut at = assigned;
        for number in 1..=messages {
            at += Duration::seconds(20);
            let author = if number % 2 == 1 {
                Author::Customer
            } else {
                Author::Agent { user_id: agent }
            };
            push(
                at,
                ChatEvent::MessageSent {
                    message_id: MessageId(Uuid::now_v7()),
                    number,
                    author,
                    text: MessageText::parse(format!("Melding {number} i samtale {i}"))
                        .expect("a text")
                        .into(),
                    client_message_id: None,
                    at,
                },
            );
        }
        at += Duration::seconds(30);
        push(
            at,
            ChatEvent::ChatEnded {
                agent_id: Some(agent),
                by: Actor::staff(agent, Role::Agent),
                at,
            },
        );
    }
    // The log in time order, as it would have been written.
    timeline.sort_by_key(|(at, _, _)| *at);

    // The key file as the server finds it: SAMTALE_KEY_FILE, or beside an embedded database.
    let database = samtale_api::config::DatabaseConfig {
        database_url: url.clone(),
        key_file: std::env::var_os("SAMTALE_KEY_FILE").map(Into::into),
    };
    let db = database.connect().await?;
    let repo = db.event_repository();
    let mut sequences: HashMap<String, usize> = HashMap::new();
    let total = timeline.len();
    let mut chats_run = Vec::new();
    let mut presence_run = Vec::new();
    for (at, aggregate_id, event) in timeline {
        let sequence = sequences.entry(aggregate_id.clone()).or_default();
        *sequence += 1;
        match event {
            Event::Chat(event) => {
                chats_run.push(serialize::<Chat, _>(aggregate_id, *sequence, &event, at)?)
            }
            Event::Presence(event) => presence_run.push(serialize::<Presence, _>(
                aggregate_id,
                *sequence,
                &event,
                at,
            )?),
        }
        if chats_run.len() + presence_run.len() >= PER_APPEND {
            repo.persist::<Presence>(&std::mem::take(&mut presence_run), None)
                .await?;
            repo.persist::<Chat>(&std::mem::take(&mut chats_run), None)
                .await?;
        }
    }
    repo.persist::<Presence>(&presence_run, None).await?;
    repo.persist::<Chat>(&chats_run, None).await?;
    println!("wrote {total} events: {chats} chats over {days} days");
    Ok(())
}

fn serialize<A: cqrs_es::Aggregate, E: DomainEvent + Serialize>(
    aggregate_id: String,
    sequence: usize,
    event: &E,
    at: DateTime<Utc>,
) -> anyhow::Result<SerializedEvent> {
    let metadata = HashMap::from([
        ("event_id", Uuid::now_v7().to_string()),
        ("command_id", Uuid::new_v4().to_string()),
        ("command_index", "0".to_string()),
        ("actor", "{\"kind\":\"system\"}".to_string()),
        ("request_id", "synthetic".to_string()),
        ("recorded_at", samtale_projections::timestamp(at)),
    ]);
    Ok(SerializedEvent::new(
        aggregate_id,
        sequence,
        A::TYPE.to_string(),
        event.event_type(),
        event.event_version(),
        serde_json::to_value(event)?,
        serde_json::to_value(metadata)?,
    ))
}
