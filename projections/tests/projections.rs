//! Projections fold each event exactly once, even when a batch dies half-way, and a rebuild
//! from the start gives the same tables. On every backend.
#![allow(clippy::unwrap_used)]

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use samtale_domain::chat::Assignment;
use samtale_domain::text::{MessageText, Name};
use samtale_domain::{
    Actor, Chat, ChatCommand, NoServices, Presence, PresenceCommand, QueueId, Role, UserId,
};
use samtale_eventlog::testing::test_databases;
use samtale_eventlog::{CommandContext, Commands, Database};
use samtale_projections::{
    Generation, Projection, ProjectionError, Projections, SamtaleEvent, Table,
};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use uuid::Uuid;

fn context() -> CommandContext {
    CommandContext {
        command_id: Uuid::new_v4(),
        from_client: false,
        actor: "test".into(),
        request_id: "test".into(),
        at: Utc::now(),
    }
}

fn at(second: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, second).unwrap()
}

struct Scenario {
    chats: Commands<Chat>,
    presence: Commands<Presence>,
}

impl Scenario {
    fn new(db: &Database) -> Self {
        let repo = Arc::new(db.event_repository());
        Self {
            chats: Commands::new(repo.clone(), db.event_log(), NoServices, 100),
            presence: Commands::new(repo, db.event_log(), NoServices, 100),
        }
    }

    async fn chat(&self, id: &str, command: ChatCommand) {
        self.chats.execute(id, command, &context()).await.unwrap();
    }

    async fn log_in(&self, agent: UserId) {
        let command = PresenceCommand::LogIn {
            agent_id: agent,
            queues: BTreeSet::from([QueueId(Uuid::from_u128(1))]),
            by: Actor::staff(agent, Role::Agent),
            at: at(0),
        };
        self.presence
            .execute(&agent.to_string(), command, &context())
            .await
            .unwrap();
    }

    /// A customer who writes three messages; the agent picks up, reads one, and ends.
    async fn conversation(&self, chat: &str, agent: UserId) {
        self.chat(
            chat,
            ChatCommand::Request {
                queue_id: QueueId(Uuid::from_u128(1)),
                category_id: None,
                customer_name: Name::parse("Kari").unwrap(),
                form: vec![],
                answers: BTreeMap::new(),
                at: at(1),
            },
        )
        .await;
        for (i, text) in ["Hei", "Fakturaen min", "er feil"].iter().enumerate() {
            self.chat(
                chat,
                ChatCommand::SendMessage {
                    message_id: Uuid::new_v4().into(),
                    text: MessageText::parse(*text).unwrap(),
                    client_message_id: None,
                    by: Actor::Customer,
                    at: at(2 + i as u32),
                },
            )
            .await;
        }
        self.chat(
            chat,
            ChatCommand::Assign {
                agent_id: agent,
                via: Assignment::Pickup,
                by: Actor::staff(agent, Role::Agent),
                at: at(6),
            },
        )
        .await;
        self.chat(
            chat,
            ChatCommand::MarkRead {
                up_to: 1,
                by: Actor::staff(agent, Role::Agent),
                at: at(7),
            },
        )
        .await;
    }
}

async fn agent_chats(db: &Database, agent: UserId) -> Vec<(String, i64)> {
    let list = samtale_projections::read::agent_chats(db.any(), &agent.to_string())
        .await
        .unwrap();
    let active = list.active.iter().map(|c| ("active".to_string(), c.unread));
    let passive = list
        .passive
        .iter()
        .map(|c| ("passive".to_string(), c.unread));
    active.chain(passive).collect()
}

#[tokio::test]
async fn the_agent_chat_list_counts_unread_and_keeps_passive_chats_for_the_session() {
    for test_db in test_databases().await {
        let db = &test_db.db;
        let projections = Projections::standard(db.clone());
        projections.install().await.unwrap();
        let scenario = Scenario::new(db);
        let kari = UserId(Uuid::new_v4());
        scenario.log_in(kari).await;
        let chat = Uuid::new_v4().to_string();
        scenario.conversation(&chat, kari).await;
        projections.catch_up().await.unwrap();
        assert_eq!(agent_chats(db, kari).await, [("active".to_string(), 2)]);

        scenario
            .chat(
                &chat,
                ChatCommand::End {
                    by: Actor::staff(kari, Role::Agent),
                    at: at(9),
                },
            )
            .await;
        projections.catch_up().await.unwrap();
        assert_eq!(agent_chats(db, kari).await, [("passive".to_string(), 2)]);

        // Logging out and in again starts a new session: the passive chat is gone.
        let out = PresenceCommand::LogOut {
            agent_id: kari,
            queues: BTreeSet::from([QueueId(Uuid::from_u128(1))]),
            by: Actor::staff(kari, Role::Agent),
            at: at(10),
        };
        scenario
            .presence
            .execute(&kari.to_string(), out, &context())
            .await
            .unwrap();
        scenario.log_in(kari).await;
        projections.catch_up().await.unwrap();
        assert_eq!(agent_chats(db, kari).await, []);
        test_db.drop_schema().await;
    }
}

/// Records each event's position in a table whose primary key would refuse a second fold,
/// and fails once, in the middle of a batch, to simulate a crash.
struct Ledger {
    fail_once_at: i64,
    failed: AtomicBool,
}

const LEDGER: &[Table] = &[Table {
    name: "ledger",
    columns: "position bigint PRIMARY KEY",
    indexes: &[],
}];

#[async_trait]
impl Projection for Ledger {
    fn name(&self) -> &'static str {
        "ledger"
    }
    fn version(&self) -> i64 {
        1
    }
    fn tables(&self) -> &'static [Table] {
        LEDGER
    }
    async fn apply(
        &self,
        conn: &mut AnyConnection,
        g: Generation,
        event: &SamtaleEvent,
    ) -> Result<(), ProjectionError> {
        sqlx::query(&format!(
            "INSERT INTO {} (position) VALUES ($1)",
            g.table("ledger")
        ))
        .bind(event.position.position)
        .execute(&mut *conn)
        .await?;
        if event.position.position >= self.fail_once_at && !self.failed.swap(true, Ordering::SeqCst)
        {
            return Err(ProjectionError::Unknown("simulated crash".into()));
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_batch_that_dies_half_way_is_folded_again_exactly_once() {
    for test_db in test_databases().await {
        let db = &test_db.db;
        let scenario = Scenario::new(db);
        for _ in 0..3 {
            scenario
                .conversation(&Uuid::new_v4().to_string(), UserId(Uuid::new_v4()))
                .await;
        }
        let ledger = Arc::new(Ledger {
            fail_once_at: 7,
            failed: AtomicBool::new(false),
        });
        let projections = Projections::new(db.clone(), vec![ledger]);
        projections.install().await.unwrap();
        assert!(projections.catch_up().await.is_err(), "the simulated crash");
        projections.catch_up().await.unwrap();

        let (rows, distinct, events): (i64, i64, i64) = (
            sqlx::query_scalar("SELECT count(*) FROM ledger")
                .fetch_one(db.any())
                .await
                .unwrap(),
            sqlx::query_scalar("SELECT count(DISTINCT position) FROM ledger")
                .fetch_one(db.any())
                .await
                .unwrap(),
            sqlx::query_scalar("SELECT count(*) FROM events")
                .fetch_one(db.any())
                .await
                .unwrap(),
        );
        assert_eq!(
            (rows, distinct),
            (events, events),
            "{}",
            test_db.backend_name
        );
        test_db.drop_schema().await;
    }
}

async fn dump(db: &Database) -> Vec<String> {
    let mut rows = Vec::new();
    for (table, order) in [
        ("chats", "chat_id"),
        ("messages", "chat_id, number"),
        ("agent_chats", "agent_id, chat_id"),
        ("chat_participants", "chat_id, agent_id"),
        ("agent_presence", "user_id, queue_id"),
    ] {
        for row in sqlx::query(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .fetch_all(db.any())
            .await
            .unwrap()
        {
            let values: Vec<String> = (0..row.len())
                .map(|i| {
                    row.try_get::<Option<String>, _>(i)
                        .map(|v| v.unwrap_or_default())
                        .or_else(|_| row.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}")))
                        .unwrap()
                })
                .collect();
            rows.push(format!("{table}: {}", values.join("|")));
        }
    }
    rows
}

#[tokio::test]
async fn a_rebuild_from_the_start_gives_the_same_tables_while_reads_go_on() {
    for test_db in test_databases().await {
        let db = &test_db.db;
        let projections = Projections::standard(db.clone());
        projections.install().await.unwrap();
        let scenario = Scenario::new(db);
        let kari = UserId(Uuid::new_v4());
        scenario.log_in(kari).await;
        for _ in 0..5 {
            scenario
                .conversation(&Uuid::new_v4().to_string(), kari)
                .await;
        }
        projections.catch_up().await.unwrap();
        let live = dump(db).await;
        assert!(live.len() > 20);

        for name in projections.names() {
            let report = projections.rebuild(name, |_, _| {}).await.unwrap();
            assert!(report.events > 0);
        }
        assert_eq!(dump(db).await, live, "{}", test_db.backend_name);

        // The live fold carries on in the new generation.
        scenario
            .conversation(&Uuid::new_v4().to_string(), kari)
            .await;
        projections.catch_up().await.unwrap();
        let chats: i64 = sqlx::query_scalar("SELECT count(*) FROM chats")
            .fetch_one(db.any())
            .await
            .unwrap();
        assert_eq!(chats, 6);
        test_db.drop_schema().await;
    }
}
