//! The key and old-log tools through the real `samtale` binary: `keys rotate` rewraps every
//! data key so that only the new key file opens the database, and `log encrypt` brings a log
//! written in plaintext by an older version under erasure, losing nothing. On the embedded
//! SQLite database, and on PostgreSQL when SAMTALE_TEST_POSTGRES_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Utc;
use reqwest::Client;
use samtale_domain::chat::Author;
use samtale_domain::form::FormAnswer;
use samtale_domain::ids::{MessageId, QueueId};
use samtale_domain::personal::Personal;
use samtale_domain::presence::PresenceEvent;
use samtale_domain::text::{MessageText, Name};
use samtale_domain::{Actor, ChatEvent};
use samtale_eventlog::{read_to_head, Backend, Database, DatabaseError, KeyCheckError, KeyError};
use samtale_testkit::{test_databases, TestDatabase};
use serde_json::{json, Value};
use std::process::Output;
use support::{free_port, post, samtale, transcript, waiting_chat, Server};
use uuid::Uuid;

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every event of the log, decoded as readers decode it: (position, chat event if it is one).
async fn decoded(db: &Database) -> Vec<(i64, Option<ChatEvent>)> {
    read_to_head(db.event_log().as_ref())
        .await
        .unwrap()
        .iter()
        .map(|e| {
            let chat = (e.aggregate_type == "chat").then(|| e.decode::<ChatEvent>().unwrap());
            (e.position.position, chat)
        })
        .collect()
}

const CANARY_MESSAGE: &str = "Kontonummeret mitt er 1234.56.78903, hilsen Ærlige Østlund på Å";

#[tokio::test]
async fn a_rotated_key_file_opens_the_database_alone_and_the_old_one_no_longer_does() {
    for database in test_databases().await {
        let backend = database.backend_name;
        let server = Server::start(&database, free_port()).await;
        let (client, base) = (Client::new(), server.base());
        let mut chats = Vec::new();
        for _ in 0..2 {
            let (chat, customer) = waiting_chat(&client, &base).await;
            post(
                &client,
                format!("{base}/customer/chats/{chat}/messages"),
                &customer,
                json!({"text": CANARY_MESSAGE}),
            )
            .await
            .expect("the message is sent");
            chats.push((chat, customer));
        }
        drop(server);
        let before = decoded(
            &Database::connect(&database.url, &database.key_file)
                .await
                .unwrap(),
        )
        .await;
        let pre_rotation = database.key_file.with_extension("before-rotation");
        std::fs::copy(&database.key_file, &pre_rotation).unwrap();

        let rotated = samtale(&database, &["keys", "rotate"]);
        assert!(rotated.status.success(), "{backend}: {}", stderr(&rotated));
        assert!(
            stdout(&rotated).contains("2 data keys rewrapped by kek 2"),
            "{backend}: {}",
            stdout(&rotated)
        );
        let key_file = std::fs::read_to_string(&database.key_file).unwrap();
        assert!(key_file.contains("\nkek 2 "), "{backend}: the new key");
        assert!(
            !key_file.contains("\nkek 1 "),
            "{backend}: the old key is gone"
        );

        let reopened = Database::connect(&database.url, &database.key_file)
            .await
            .unwrap();
        assert_eq!(
            decoded(&reopened).await,
            before,
            "{backend}: nothing changed"
        );
        match Database::connect(&database.url, &pre_rotation).await {
            Err(DatabaseError::Keys(KeyCheckError::Key(KeyError::KeyMissing { name, .. }))) => {
                assert_eq!(name, "kek 2", "{backend}")
            }
            other => panic!(
                "{backend}: the pre-rotation key file must be refused: {:?}",
                other.err()
            ),
        }

        let server = Server::start(&database, free_port()).await;
        let (chat, customer) = &chats[0];
        assert_eq!(
            transcript(&client, &server.base(), chat, customer).await,
            [CANARY_MESSAGE],
            "{backend}: the server reads the chat with the new key file"
        );
        drop(server);
        database.drop_schema().await;
    }
}

const CANARY_NAME: &str = "Kanarifugl Ødegård-Åsheim";
const CANARY_EMAIL: &str = "kanarifugl.aeoeaa@example.no";

/// `value` as a release before encryption wrote it: every personal value bare.
fn unmarked(value: Value) -> Value {
    match value {
        Value::Object(mut map) if map.len() == 1 && map.contains_key("$personal") => {
            map.remove("$personal").unwrap()
        }
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, unmarked(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(unmarked).collect()),
        value => value,
    }
}

/// A log as the release before encryption left it: plaintext events and no key checks (and
/// no key file). Two chats, each requested and with a message, and an event of another
/// aggregate between them.
async fn legacy_log(database: &TestDatabase) -> Vec<(String, ChatEvent)> {
    let db = &database.db;
    sqlx::query("DELETE FROM key_checks")
        .execute(db.any())
        .await
        .unwrap();
    std::fs::remove_file(&database.key_file).unwrap();
    let queue_id = QueueId(Uuid::new_v4());
    let mut chats = Vec::new();
    for n in 0..2 {
        let chat = Uuid::new_v4().to_string();
        chats.push((
            chat.clone(),
            ChatEvent::ChatRequested {
                queue_id,
                category_id: None,
                customer_name: Personal::Known(Name::parse(format!("{CANARY_NAME} {n}")).unwrap()),
                answers: Personal::Known(vec![FormAnswer {
                    key: "email".into(),
                    label: "E-post".into(),
                    value: CANARY_EMAIL.into(),
                    kind: None,
                }]),
                known_customer: None,
                by: Actor::Customer,
                at: Utc::now(),
            },
        ));
        chats.push((
            chat,
            ChatEvent::MessageSent {
                message_id: MessageId(Uuid::new_v4()),
                number: 1,
                author: Author::Customer,
                text: Personal::Known(MessageText::parse(CANARY_MESSAGE).unwrap()),
                client_message_id: None,
                at: Utc::now(),
            },
        ));
    }
    let cast = match db.backend() {
        Backend::Postgres => "::jsonb",
        Backend::Sqlite => "",
    };
    let insert = format!(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         VALUES ($1, $2, $3, $4, '1.0', $5{cast}, $6{cast})"
    );
    let logged_in = PresenceEvent::AgentLoggedIn {
        queues: [queue_id].into(),
        session: 1,
        session_started: true,
        by: Actor::System,
        at: Utc::now(),
    };
    let agent = Uuid::new_v4().to_string();
    let other = (
        "presence",
        agent,
        1,
        "AgentLoggedIn",
        serde_json::to_value(&logged_in).unwrap(),
    );
    let mut rows: Vec<(&str, String, i64, String, Value)> = chats
        .iter()
        .enumerate()
        .map(|(i, (chat, event))| {
            let payload = unmarked(serde_json::to_value(event).unwrap());
            let event_type = payload.as_object().unwrap().keys().next().unwrap().clone();
            (
                "chat",
                chat.clone(),
                (i % 2 + 1) as i64,
                event_type,
                payload,
            )
        })
        .collect();
    rows.insert(2, (other.0, other.1, other.2, other.3.into(), other.4));
    for (aggregate_type, id, sequence, event_type, payload) in rows {
        assert!(!payload.to_string().contains("$personal"));
        let metadata = json!({"event_id": Uuid::now_v7().to_string(),
                              "command_id": Uuid::new_v4().to_string(), "command_index": "0"});
        sqlx::query(&insert)
            .bind(aggregate_type)
            .bind(id)
            .bind(sequence)
            .bind(event_type)
            .bind(payload.to_string())
            .bind(metadata.to_string())
            .execute(db.any())
            .await
            .unwrap();
    }
    chats
}

async fn raw_payloads(db: &Database) -> Vec<(i64, String)> {
    let sql = match db.backend() {
        Backend::Postgres => "SELECT position, payload::text FROM events ORDER BY position",
        Backend::Sqlite => "SELECT rowid, payload FROM events ORDER BY rowid",
    };
    sqlx::query_as(sql).fetch_all(db.any()).await.unwrap()
}

#[tokio::test]
async fn an_older_plaintext_log_is_copied_into_an_encrypted_one_losing_nothing() {
    for database in test_databases().await {
        let backend = database.backend_name;
        let chats = legacy_log(&database).await;
        let before = raw_payloads(&database.db).await;
        assert!(before.iter().any(|(_, p)| p.contains(CANARY_NAME)));

        match Database::connect(&database.url, &database.key_file).await {
            Err(DatabaseError::Keys(KeyCheckError::PlaintextLog)) => {}
            other => panic!("{backend}: a plaintext log is refused: {:?}", other.err()),
        }
        let serve = samtale(
            &database,
            &["serve", "--listen", &format!("127.0.0.1:{}", free_port())],
        );
        assert!(!serve.status.success(), "{backend}: serve refuses it");
        assert!(
            stderr(&serve).contains("run `samtale log encrypt`"),
            "{backend}: and says what to do: {}",
            stderr(&serve)
        );

        let encrypted = samtale(&database, &["log", "encrypt"]);
        assert!(
            encrypted.status.success(),
            "{backend}: {}",
            stderr(&encrypted)
        );
        assert!(
            stdout(&encrypted).contains("5 events copied, 2 chats encrypted"),
            "{backend}: {}",
            stdout(&encrypted)
        );

        let db = Database::connect(&database.url, &database.key_file)
            .await
            .unwrap();
        let after = raw_payloads(&db).await;
        let positions = |rows: &[(i64, String)]| rows.iter().map(|r| r.0).collect::<Vec<_>>();
        assert_eq!(
            positions(&after),
            positions(&before),
            "{backend}: every event, in place"
        );
        for (position, payload) in &after {
            for canary in [CANARY_NAME, CANARY_EMAIL, "Østlund"] {
                assert!(
                    !payload.contains(canary),
                    "{backend}: {position} holds {canary}"
                );
            }
        }
        let events: Vec<ChatEvent> = decoded(&db)
            .await
            .into_iter()
            .filter_map(|(_, chat)| chat)
            .collect();
        let written: Vec<ChatEvent> = chats.into_iter().map(|(_, event)| event).collect();
        assert_eq!(
            events, written,
            "{backend}: names and texts read as they were"
        );

        let verified = samtale(&database, &["audit", "verify"]);
        assert!(
            verified.status.success(),
            "{backend}: {}",
            stderr(&verified)
        );
        assert!(
            stdout(&verified).starts_with("intact: 5 events"),
            "{backend}: {}",
            stdout(&verified)
        );

        let again = samtale(&database, &["log", "encrypt"]);
        assert!(!again.status.success(), "{backend}: only once");
        assert!(
            stderr(&again).contains("already encrypted"),
            "{backend}: {}",
            stderr(&again)
        );

        // The log goes on: a new node appends after the copied positions.
        let server = Server::start(&database, free_port()).await;
        let (client, base) = (Client::new(), server.base());
        waiting_chat(&client, &base).await;
        drop(server);
        let positions = positions(&raw_payloads(&db).await);
        assert!(positions.len() > 5 && positions.windows(2).all(|w| w[0] < w[1]));
        database.drop_schema().await;
    }
}
