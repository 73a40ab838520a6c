//! Appending a message to a chat that already has 10,000 costs what appending to a new chat
//! does: the aggregate is cached and only newer events are read before deciding.
//!
//! `cargo bench -p samtale-eventlog --bench append` (SQLite; also PostgreSQL when
//! SAMTALE_TEST_POSTGRES_URL is set). Compare the `short_chat` and `chat_of_10000` lines of
//! each backend; `cold_chat_of_10000` is the first command after a restart, which has to read
//! the whole chat once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use cqrs_es::persist::{PersistedEventRepository, SerializedEvent};
use cqrs_es::DomainEvent;
use criterion::{criterion_group, criterion_main, Criterion};
use samtale_domain::text::{MessageText, Name};
use samtale_domain::{Actor, Chat, ChatCommand, ChatEvent, NoServices, QueueId};
use samtale_eventlog::{CommandContext, Commands, Database};
use samtale_testkit::test_databases;
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

fn context() -> CommandContext {
    CommandContext {
        client_key: None,
        actor: "bench".into(),
        request_id: "bench".into(),
        at: Utc::now(),
    }
}

fn say(text: &str) -> ChatCommand {
    ChatCommand::SendMessage {
        message_id: Uuid::now_v7().into(),
        text: MessageText::parse(text).unwrap(),
        client_message_id: None,
        by: Actor::Customer,
        at: Utc::now(),
    }
}

async fn new_chat(commands: &Commands<Chat>) -> String {
    let chat = Uuid::now_v7().to_string();
    let request = ChatCommand::Request {
        queue_id: QueueId(Uuid::from_u128(1)),
        category_id: None,
        customer_name: Name::parse("Bench").unwrap(),
        form: vec![],
        answers: BTreeMap::new(),
        known_customer: None,
        hours: None,
        at: Utc::now(),
    };
    commands.execute(&chat, request, &context()).await.unwrap();
    chat
}

/// Writes `count` messages straight into the log in one transaction (setting up through
/// commands would take minutes of fsyncs), after the chat's ChatRequested at sequence 1.
async fn fill(db: &Database, chat: &str, count: usize) {
    let events: Vec<SerializedEvent> = (0..count)
        .map(|i| {
            let event = ChatEvent::MessageSent {
                message_id: Uuid::now_v7().into(),
                number: i as u64 + 1,
                author: samtale_domain::chat::Author::Customer,
                text: MessageText::parse(format!("message {i}")).unwrap().into(),
                client_message_id: None,
                at: Utc::now(),
            };
            let metadata = serde_json::json!({
                "event_id": Uuid::now_v7().to_string(),
                "command_id": Uuid::new_v4().to_string(),
                "command_index": "0",
            });
            SerializedEvent::new(
                chat.to_string(),
                i + 2,
                "chat".into(),
                event.event_type(),
                event.event_version(),
                serde_json::to_value(&event).unwrap(),
                metadata,
            )
        })
        .collect();
    db.event_repository()
        .persist::<Chat>(&events, None)
        .await
        .unwrap();
}

fn append(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let databases = runtime.block_on(test_databases());
    for test_db in &databases {
        let db = &test_db.db;
        let commands = || {
            Commands::<Chat>::new(
                Arc::new(db.event_repository()),
                db.event_log(),
                NoServices,
                1000,
            )
        };
        let warm = commands();
        let (short, long) = runtime.block_on(async {
            let short = new_chat(&warm).await;
            let long = new_chat(&warm).await;
            fill(db, &long, 10_000).await;
            // Warm the cache the way a live server has it: by handling the chat once.
            warm.execute(&long, say("warm up"), &context())
                .await
                .unwrap();
            (short, long)
        });
        let mut group = c.benchmark_group(format!("append_message/{}", test_db.backend_name));
        group.sample_size(30);
        group.bench_function("short_chat", |b| {
            b.to_async(&runtime)
                .iter(|| async { warm.execute(&short, say("hei"), &context()).await.unwrap() })
        });
        group.bench_function("chat_of_10000", |b| {
            b.to_async(&runtime)
                .iter(|| async { warm.execute(&long, say("hei"), &context()).await.unwrap() })
        });
        group.bench_function("cold_chat_of_10000", |b| {
            b.to_async(&runtime).iter(|| async {
                commands()
                    .execute(&long, say("hei"), &context())
                    .await
                    .unwrap()
            })
        });
        group.finish();
    }
    runtime.block_on(async {
        for test_db in databases {
            test_db.drop_schema().await;
        }
    });
}

criterion_group!(benches, append);
criterion_main!(benches);
