//! The log's promises, on every backend: tailing sees each committed event once and in
//! order; commands are written once; two writers racing for one aggregate cannot both win.
#![allow(clippy::unwrap_used)]

use chrono::Utc;
use samtale_domain::chat::Assignment;
use samtale_domain::text::Name;
use samtale_domain::{
    Actor, Chat, ChatCommand, ChatError, ChatEvent, NoServices, QueueId, Role, UserId,
};
use samtale_eventlog::{
    read_to_head, ClientKey, CommandContext, CommandError, Commands, Database, LogPosition, Tail,
};
use samtale_testkit::{required_postgres_test_database, test_databases};
use sqlx::Connection;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

fn chats(db: &Database) -> Commands<Chat> {
    Commands::new(
        Arc::new(db.event_repository()),
        db.event_log(),
        NoServices,
        1000,
    )
}

fn context() -> CommandContext {
    CommandContext {
        client_key: None,
        actor: "test".into(),
        request_id: "test".into(),
        at: Utc::now(),
    }
}

fn request() -> ChatCommand {
    ChatCommand::Request {
        queue_id: QueueId(Uuid::from_u128(1)),
        category_id: None,
        customer_name: Name::parse("Kari").unwrap(),
        form: vec![],
        answers: BTreeMap::new(),
        known_customer: None,
        hours: None,
        at: Utc::now(),
    }
}

fn customer_says(text: &str) -> ChatCommand {
    ChatCommand::SendMessage {
        message_id: Uuid::new_v4().into(),
        text: samtale_domain::text::MessageText::parse(text).unwrap(),
        client_message_id: None,
        by: Actor::Customer,
        at: Utc::now(),
    }
}

/// A context carrying a client's key for sending a message.
fn keyed(key: &str) -> CommandContext {
    CommandContext {
        client_key: Some(ClientKey {
            operation: "send_message",
            resource: None,
            key: key.into(),
        }),
        ..context()
    }
}

fn pickup_by(agent: UserId) -> ChatCommand {
    ChatCommand::Assign {
        agent_id: agent,
        agent_queues: [QueueId(Uuid::from_u128(1))].into(),
        via: Assignment::Pickup,
        choice: None,
        by: Actor::staff(agent, Role::Agent),
        at: Utc::now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tailer_sees_every_concurrently_committed_event_exactly_once_in_order() {
    for test_db in test_databases().await {
        let db = test_db.db.clone();
        let writers = 8;
        let per_writer = 40;
        let commands = Arc::new(chats(&db));
        let mut tasks = Vec::new();
        for _ in 0..writers {
            let commands = commands.clone();
            tasks.push(tokio::spawn(async move {
                let chat = Uuid::new_v4().to_string();
                commands
                    .execute(&chat, request(), &context())
                    .await
                    .unwrap();
                for i in 1..per_writer {
                    commands
                        .execute(&chat, customer_says(&format!("m{i}")), &context())
                        .await
                        .unwrap();
                }
            }));
        }
        let log = db.event_log();
        let reader = tokio::spawn(async move {
            let mut tail = Tail::new(log.as_ref(), LogPosition::START, 25);
            let mut seen = Vec::new();
            while seen.len() < writers * per_writer {
                seen.extend(tail.next_batch().await.unwrap());
            }
            seen
        });
        for task in tasks {
            task.await.unwrap();
        }
        let seen = tokio::time::timeout(Duration::from_secs(60), reader)
            .await
            .expect("the tailer keeps up")
            .unwrap();

        let ids: HashSet<_> = seen.iter().map(|e| e.event_id).collect();
        assert_eq!(
            (ids.len(), seen.len()),
            (writers * per_writer, writers * per_writer),
            "{}: every event once",
            test_db.backend_name
        );
        assert!(
            seen.windows(2).all(|w| w[0].position < w[1].position),
            "{}: commit order is strictly increasing",
            test_db.backend_name
        );
        let mut last_sequence: HashMap<&str, i64> = HashMap::new();
        for event in &seen {
            let last = last_sequence
                .insert(&event.aggregate_id, event.sequence)
                .unwrap_or(0);
            assert_eq!(
                event.sequence,
                last + 1,
                "{}: per-chat order kept",
                test_db.backend_name
            );
        }
        test_db.drop_schema().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_agents_picking_up_the_same_chat_at_once_one_wins() {
    for test_db in test_databases().await {
        let db = &test_db.db;
        // Two nodes: two command handlers with their own aggregate caches.
        let (node_a, node_b) = (Arc::new(chats(db)), Arc::new(chats(db)));
        for _ in 0..20 {
            let chat = Uuid::new_v4().to_string();
            node_a.execute(&chat, request(), &context()).await.unwrap();
            let (kari, ola) = (UserId(Uuid::new_v4()), UserId(Uuid::new_v4()));
            let (context_a, context_b) = (context(), context());
            let (a, b) = tokio::join!(
                node_a.execute(&chat, pickup_by(kari), &context_a),
                node_b.execute(&chat, pickup_by(ola), &context_b),
            );
            let wins = [&a, &b].iter().filter(|r| r.is_ok()).count();
            assert_eq!(
                wins, 1,
                "{}: exactly one pickup wins: {a:?} {b:?}",
                test_db.backend_name
            );
            let winner = a
                .as_ref()
                .or(b.as_ref())
                .ok()
                .and_then(|e| e.position)
                .unwrap();
            for result in [a, b] {
                match result {
                    Ok(executed) => assert!(executed.position.is_some()),
                    Err(CommandError::Conflict(_))
                    | Err(CommandError::Rejected(ChatError::NotWaiting)) => {}
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
            let log = db.event_log();
            let mut tail = Tail::new(log.as_ref(), LogPosition::START, 10_000);
            let mut events = Vec::new();
            while events
                .last()
                .is_none_or(|e: &samtale_eventlog::LoggedEvent| e.position < winner)
            {
                events.extend(tail.next_batch().await.unwrap());
            }
            let assigned: Vec<_> = events
                .iter()
                .filter(|e| e.aggregate_id == chat && e.event_type == "ChatAssigned")
                .collect();
            assert_eq!(
                assigned.len(),
                1,
                "{}: one assignment stored: {assigned:#?}",
                test_db.backend_name
            );
        }
        test_db.drop_schema().await;
    }
}

/// A retry is answered as its first attempt was — also once the state has moved on: the
/// customer's message went through, the chat ended, and only then did the retry arrive.
#[tokio::test]
async fn a_retried_command_is_written_once_and_answers_like_the_first() {
    for test_db in test_databases().await {
        let commands = chats(&test_db.db);
        let chat = Uuid::new_v4().to_string();
        commands
            .execute(&chat, request(), &context())
            .await
            .unwrap();
        let retry = keyed("message-1");
        let first = commands
            .execute(&chat, customer_says("hei"), &retry)
            .await
            .unwrap();
        let second = commands
            .execute(&chat, customer_says("hei"), &retry)
            .await
            .unwrap();
        assert_eq!(first.position, second.position);
        assert_eq!(
            first.events.len(),
            1,
            "the first attempt appended the message"
        );
        assert_eq!(
            first.events, second.events,
            "the retry answers with that message"
        );
        let events = read_to_head(test_db.db.event_log().as_ref()).await.unwrap();
        assert_eq!(
            events.len(),
            2,
            "{}: request and one message",
            test_db.backend_name
        );

        let close = ChatCommand::CloseClient {
            policies: Default::default(),
            at: Utc::now(),
        };
        commands.execute(&chat, close, &context()).await.unwrap();
        let after_the_end = commands
            .execute(&chat, customer_says("hei"), &retry)
            .await
            .unwrap();
        assert_eq!(
            after_the_end.position, first.position,
            "{}",
            test_db.backend_name
        );
        test_db.drop_schema().await;
    }
}

#[tokio::test]
async fn a_node_sees_what_another_node_wrote_to_a_cached_chat() {
    for test_db in test_databases().await {
        let (node_a, node_b) = (chats(&test_db.db), chats(&test_db.db));
        let chat = Uuid::new_v4().to_string();
        let kari = UserId(Uuid::new_v4());
        node_a.execute(&chat, request(), &context()).await.unwrap();
        node_b
            .execute(&chat, pickup_by(kari), &context())
            .await
            .unwrap();
        // Node A's cache still has the chat waiting; it must catch up before deciding.
        let agent_reply = ChatCommand::SendMessage {
            message_id: Uuid::new_v4().into(),
            text: samtale_domain::text::MessageText::parse("Hei!").unwrap(),
            client_message_id: None,
            by: Actor::staff(kari, Role::Agent),
            at: Utc::now(),
        };
        node_a
            .execute(&chat, agent_reply, &context())
            .await
            .unwrap();
        test_db.drop_schema().await;
    }
}

#[tokio::test]
async fn the_log_refuses_updates_and_deletes() {
    for test_db in test_databases().await {
        let commands = chats(&test_db.db);
        commands
            .execute(&Uuid::new_v4().to_string(), request(), &context())
            .await
            .unwrap();
        let any = test_db.db.any();
        let update = sqlx::query("UPDATE events SET event_type = 'Forged'")
            .execute(any)
            .await;
        assert!(update.is_err(), "{}: no update", test_db.backend_name);
        let delete = sqlx::query("DELETE FROM events").execute(any).await;
        assert!(delete.is_err(), "{}: no delete", test_db.backend_name);
        test_db.drop_schema().await;
    }
}

/// PostgreSQL hands out positions at insert but commits in another order: an event committed
/// while an older transaction is still open must be held back (it may yet be preceded), yet
/// reported as pending so a tailer re-reads soon instead of sleeping.
#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn an_event_committed_behind_a_running_transaction_is_pending_not_lost() {
    let test_db = required_postgres_test_database().await;
    let log = test_db.db.event_log();
    let mut older = sqlx::PgConnection::connect(&test_db.url).await.unwrap();
    sqlx::raw_sql("BEGIN; SELECT pg_current_xact_id();")
        .execute(&mut older)
        .await
        .unwrap();
    chats(&test_db.db)
        .execute(&Uuid::new_v4().to_string(), request(), &context())
        .await
        .unwrap();

    assert!(log
        .read_after(LogPosition::START, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(log.has_unsettled_after(LogPosition::START).await.unwrap());

    sqlx::raw_sql("COMMIT").execute(&mut older).await.unwrap();
    // Other tests' transactions on the same server hold the horizon back for a moment too:
    // the event settles once they end, never later than this.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let settled = loop {
        let settled = log.read_after(LogPosition::START, 10).await.unwrap();
        if !settled.is_empty() || tokio::time::Instant::now() > deadline {
            break settled;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(settled.len(), 1);
    assert!(!log.has_unsettled_after(settled[0].position).await.unwrap());
    test_db.drop_schema().await;
}

/// Two nodes writing to one chat: each decides on its cached chat, which the other's writes
/// make stale; the append collides on the sequence and the command is decided again, so both
/// nodes' messages are all there, in one unbroken sequence.
#[tokio::test]
async fn decisions_on_a_stale_cache_collide_and_are_decided_again() {
    for test_db in test_databases().await {
        let (node_a, node_b) = (chats(&test_db.db), chats(&test_db.db));
        let chat = Uuid::new_v4().to_string();
        node_a.execute(&chat, request(), &context()).await.unwrap();
        for i in 0..5 {
            let node = if i % 2 == 0 { &node_a } else { &node_b };
            let said = format!("m{i}");
            node.execute(&chat, customer_says(&said), &context())
                .await
                .unwrap();
        }
        let events = read_to_head(test_db.db.event_log().as_ref()).await.unwrap();
        let sequences: Vec<i64> = events.iter().map(|e| e.sequence).collect();
        assert_eq!(sequences, [1, 2, 3, 4, 5, 6], "{}", test_db.backend_name);
        test_db.drop_schema().await;
    }
}

/// Commands appending at the same moment may share one statement (group commit on
/// PostgreSQL); each must still learn where its own event landed, and one that loses a race
/// for its sequence must not take the others down with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_appending_together_each_learn_their_own_position() {
    for test_db in test_databases().await {
        let commands = Arc::new(chats(&test_db.db));
        let ids: Vec<String> = (0..60).map(|_| Uuid::new_v4().to_string()).collect();
        let requests = ids.iter().map(|chat| {
            let commands = commands.clone();
            let chat = chat.clone();
            tokio::spawn(async move { commands.execute(&chat, request(), &context()).await })
        });
        let mut returned = HashMap::new();
        for (chat, done) in ids.iter().zip(futures::future::join_all(requests).await) {
            returned.insert(chat.clone(), done.unwrap().unwrap().position.unwrap());
        }
        // A second node, whose empty cache makes its commands collide with the first node's
        // on every chat, interleaved with fresh chats of its own.
        let other_node = Arc::new(chats(&test_db.db));
        let racing = ids.iter().take(20).map(|chat| {
            let (a, b) = (commands.clone(), other_node.clone());
            let chat = chat.clone();
            let fresh = Uuid::new_v4().to_string();
            tokio::spawn(async move {
                let contexts = [context(), context(), context()];
                let (x, y, z) = tokio::join!(
                    a.execute(&chat, customer_says("a"), &contexts[0]),
                    b.execute(&chat, customer_says("b"), &contexts[1]),
                    b.execute(&fresh, request(), &contexts[2]),
                );
                (
                    x.unwrap().position,
                    y.unwrap().position,
                    z.unwrap().position,
                )
            })
        });
        for raced in futures::future::join_all(racing).await {
            let (x, y, z) = raced.unwrap();
            assert!(x.is_some() && y.is_some() && z.is_some());
            assert_ne!(x, y, "{}: both messages stored", test_db.backend_name);
        }
        let events = read_to_head(test_db.db.event_log().as_ref()).await.unwrap();
        for event in events.iter().filter(|e| e.event_type == "ChatRequested") {
            if let Some(position) = returned.get(&event.aggregate_id) {
                assert_eq!(*position, event.position, "{}", test_db.backend_name);
            }
        }
        assert_eq!(events.len(), 60 + 20 * 3, "{}", test_db.backend_name);
        test_db.drop_schema().await;
    }
}

#[tokio::test]
async fn one_key_in_two_chats_is_two_commands() {
    for test_db in test_databases().await {
        let commands = chats(&test_db.db);
        let (first_chat, second_chat) = (Uuid::new_v4().to_string(), Uuid::new_v4().to_string());
        for chat in [&first_chat, &second_chat] {
            commands.execute(chat, request(), &context()).await.unwrap();
        }
        let key = keyed("1");
        let mine = commands
            .execute(&first_chat, customer_says("my card number is 4242"), &key)
            .await
            .unwrap();
        let theirs = commands
            .execute(&second_chat, customer_says("hello"), &key)
            .await
            .unwrap();
        assert_ne!(mine.position, theirs.position, "{}", test_db.backend_name);
        customer_said(&mine.events, "my card number is 4242");
        customer_said(&theirs.events, "hello");
        let events = read_to_head(test_db.db.event_log().as_ref()).await.unwrap();
        assert_eq!(
            events.len(),
            4,
            "{}: two requests, two messages",
            test_db.backend_name
        );
        test_db.drop_schema().await;
    }
}

/// Checks that `events` are one message saying `text`.
fn customer_said(events: &[ChatEvent], text: &str) {
    match events {
        [ChatEvent::MessageSent { text: said, .. }]
            if said.known().map(|t| t.as_str()) == Some(text) => {}
        other => panic!("expected one message saying {text:?}, got {other:?}"),
    }
}
