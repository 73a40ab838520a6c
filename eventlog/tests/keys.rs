//! The keys on every backend: personal values are stored only encrypted and read back
//! decrypted; erasing a chat deletes its key, after which its values read as erased and no key
//! is made for it again; and a database refuses a key file that is missing or not its own.
#![allow(clippy::unwrap_used)]

use chrono::Utc;
use samtale_domain::chat::{Disposition, ErasureReason};
use samtale_domain::text::{MessageText, Name};
use samtale_domain::{Actor, Chat, ChatCommand, ChatEvent, NoServices, QueueId, Role, UserId};
use samtale_eventlog::{
    CommandContext, Commands, Database, DatabaseError, KeyCheckError, KeyError, Keyring,
};
use samtale_testkit::{test_databases, TestDatabase};
use std::collections::BTreeMap;
use std::sync::Arc;
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

const NAME: &str = "Åse Øvregård-canary";
const TEXT: &str = "mitt kontonummer er 1234.56.78903, canary";
const NOTE: &str = "ringer tilbake om fakturaen, canary";

/// A chat with a name and a message, ended: (chat id, its commands).
async fn ended_chat(db: &Database) -> (String, Commands<Chat>) {
    let commands = chats(db);
    let chat = Uuid::new_v4().to_string();
    let agent = Actor::staff(UserId(Uuid::from_u128(7)), Role::Administrator);
    for command in [
        ChatCommand::Request {
            queue_id: QueueId(Uuid::from_u128(1)),
            category_id: None,
            customer_name: Name::parse(NAME).unwrap(),
            form: vec![],
            answers: BTreeMap::new(),
            known_customer: None,
            hours: None,
            at: Utc::now(),
        },
        ChatCommand::SendMessage {
            message_id: Uuid::new_v4().into(),
            text: MessageText::parse(TEXT).unwrap(),
            client_message_id: None,
            by: Actor::Customer,
            at: Utc::now(),
        },
        ChatCommand::End {
            disposition: Disposition {
                codes: Default::default(),
                note: Some(MessageText::parse(NOTE).unwrap()),
            },
            policies: Default::default(),
            by: agent,
            at: Utc::now(),
        },
    ] {
        commands.execute(&chat, command, &context()).await.unwrap();
    }
    (chat, commands)
}

async fn stored_payloads(database: &TestDatabase) -> String {
    let query = if database.backend_name == "postgres" {
        "SELECT payload::text FROM events"
    } else {
        "SELECT payload FROM events"
    };
    let payloads: Vec<String> = sqlx::query_scalar(query)
        .fetch_all(database.db.any())
        .await
        .unwrap();
    payloads.join("\n")
}

async fn decoded(db: &Database, chat: &str) -> Vec<ChatEvent> {
    let log = db.event_log();
    let events = log.events_of("chat", chat).await.unwrap();
    events.iter().map(|e| e.decode().unwrap()).collect()
}

#[tokio::test]
async fn personal_values_are_stored_encrypted_and_read_back_until_the_chat_is_erased() {
    for database in test_databases().await {
        let (chat, commands) = ended_chat(&database.db).await;
        let stored = stored_payloads(&database).await;
        assert!(
            !stored.contains("canary") && stored.contains("$encrypted"),
            "{}: {stored}",
            database.backend_name
        );
        let events = decoded(&database.db, &chat).await;
        assert!(
            matches!(&events[0], ChatEvent::ChatRequested { customer_name, .. }
            if customer_name.known().map(Name::as_str) == Some(NAME))
        );
        assert!(matches!(&events[1], ChatEvent::MessageSent { text, .. }
            if text.known().map(MessageText::as_str) == Some(TEXT)));
        assert!(
            matches!(&events[3], ChatEvent::ChatWrappedUp { note: Some(note), .. }
            if note.known().map(MessageText::as_str) == Some(NOTE))
        );

        let administrator = Actor::staff(UserId(Uuid::from_u128(7)), Role::Administrator);
        let erase = ChatCommand::Erase {
            reason: ErasureReason::Request,
            by: administrator,
            at: Utc::now(),
        };
        commands.execute(&chat, erase, &context()).await.unwrap();
        let events = decoded(&database.db, &chat).await;
        assert!(
            matches!(&events[0], ChatEvent::ChatRequested { customer_name, answers, .. }
            if customer_name.is_erased() && answers.is_erased())
        );
        assert!(matches!(&events[1], ChatEvent::MessageSent { text, .. } if text.is_erased()));
        // An erased note reads as none: there is no telling what it said.
        assert!(matches!(&events[3], ChatEvent::ChatWrappedUp { note, .. }
            if note.as_ref().and_then(|note| note.known()).is_none()));
        assert!(matches!(events.last(), Some(ChatEvent::ChatErased { .. })));
        let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM subject_keys")
            .fetch_one(database.db.any())
            .await
            .unwrap();
        assert_eq!(keys, 0, "{}: the key is gone", database.backend_name);

        // Even a message written around the aggregate's rules finds no key to be written with.
        let vault = database.db.event_repository();
        let refused = vault.vault().key_for_writing("chat", &chat).await;
        assert!(refused.is_err(), "no key is made for an erased chat again");
        database.drop_schema().await;
    }
}

#[tokio::test]
async fn a_database_refuses_a_key_file_that_is_missing_or_not_its_own_and_writes_nothing() {
    for database in test_databases().await {
        ended_chat(&database.db).await;
        let dir = tempfile::tempdir().unwrap();

        let missing = dir.path().join("missing.key");
        let refused = Database::connect(&database.url, &missing).await;
        assert!(matches!(
            refused,
            Err(DatabaseError::Keys(KeyCheckError::Key(
                KeyError::FileMissing { .. }
            )))
        ));
        assert!(
            !missing.exists(),
            "no key file is made for a database that has keys"
        );

        let other = dir.path().join("other.key");
        Keyring::generate().write(&other).unwrap();
        let refused = Database::connect(&database.url, &other).await;
        assert!(matches!(
            refused,
            Err(DatabaseError::Keys(KeyCheckError::Key(
                KeyError::WrongKey { .. }
            )))
        ));
        let checks: i64 = sqlx::query_scalar("SELECT count(*) FROM key_checks")
            .fetch_one(database.db.any())
            .await
            .unwrap();
        assert_eq!(checks, 2, "the other file's keys were not recorded");

        assert!(Database::connect(&database.url, &database.key_file)
            .await
            .is_ok());
        database.drop_schema().await;
    }
}
