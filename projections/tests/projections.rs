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
use samtale_eventlog::{CommandContext, Commands, Database};
use samtale_projections::{
    Generation, Projection, ProjectionError, Projections, SamtaleEvent, Table,
};
use samtale_testkit::test_databases;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

fn context() -> CommandContext {
    CommandContext {
        client_key: None,
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
            member_of: BTreeSet::from([QueueId(Uuid::from_u128(1))]),
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
                known_customer: None,
                hours: None,
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
                agent_queues: BTreeSet::from([QueueId(Uuid::from_u128(1))]),
                via: Assignment::Pickup,
                choice: None,
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
                    disposition: Default::default(),
                    policies: Default::default(),
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

/// No key on purpose: an event folded twice shows as a second row rather than an error.
const LEDGER: &[Table] = &[Table {
    name: "ledger",
    columns: "position bigint NOT NULL",
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

/// The ledger holds one row per event in the log, none twice.
async fn assert_each_event_in_the_ledger_once(db: &Database, backend: &str) {
    let count = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(db.any())
            .await
            .unwrap()
    };
    let events = count("SELECT count(*) FROM events").await;
    let rows = count("SELECT count(*) FROM ledger").await;
    let distinct = count("SELECT count(DISTINCT position) FROM ledger").await;
    assert_eq!((rows, distinct), (events, events), "{backend}");
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

        assert_each_event_in_the_ledger_once(db, test_db.backend_name).await;
        test_db.drop_schema().await;
    }
}

/// Two nodes following one log at once take turns on each batch: a node whose view of the
/// checkpoint is stale (the other folded the batch first) skips it rather than folding it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_following_one_log_fold_each_event_once() {
    for test_db in test_databases().await {
        let db = &test_db.db;
        let node = || {
            let ledger = Arc::new(Ledger {
                fail_once_at: i64::MAX,
                failed: AtomicBool::new(false),
            });
            Arc::new(Projections::new(db.clone(), vec![ledger]))
        };
        let (a, b) = (node(), node());
        a.install().await.unwrap();
        b.install().await.unwrap();
        a.spawn();
        b.spawn();
        let scenario = Scenario::new(db);
        for _ in 0..10 {
            scenario
                .conversation(&Uuid::new_v4().to_string(), UserId(Uuid::new_v4()))
                .await;
        }
        let head = db.event_log().head().await.unwrap();
        for node in [&a, &b] {
            assert!(node.wait_for(head, Duration::from_secs(10)).await);
        }
        assert_each_event_in_the_ledger_once(db, test_db.backend_name).await;
        test_db.drop_schema().await;
    }
}

/// A reply waits for the read models to show its command (read-your-writes), but not for a
/// projection that is failing — the database is most likely out of reach, and the reply
/// should say so now rather than after the wait's limit. Once the fold succeeds, the wait does.
#[tokio::test]
async fn read_your_writes_stops_waiting_while_a_projection_fails() {
    for test_db in test_databases().await {
        let db = &test_db.db;
        Scenario::new(db)
            .conversation(&Uuid::new_v4().to_string(), UserId(Uuid::new_v4()))
            .await;
        let ledger = Arc::new(Ledger {
            fail_once_at: 1,
            failed: AtomicBool::new(false),
        });
        let projections = Arc::new(Projections::new(db.clone(), vec![ledger]));
        projections.install().await.unwrap();
        let head = db.event_log().head().await.unwrap();
        let patient = Duration::from_secs(600);

        let waiting = projections.wait_for(head, patient);
        projections.spawn();
        let gave_up = tokio::time::timeout(Duration::from_secs(60), waiting).await;
        assert_eq!(gave_up, Ok(false), "{}", test_db.backend_name);

        // The runner retries a second later; from then on replies wait again, and see it.
        let recovered = async {
            while !projections.wait_for(head, patient).await {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        let reached = tokio::time::timeout(Duration::from_secs(60), recovered).await;
        assert!(reached.is_ok(), "{}", test_db.backend_name);
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

#[tokio::test]
async fn the_seal_chain_catches_an_edited_event() {
    for test_db in test_databases().await {
        let db = &test_db.db;
        let projections = Projections::standard(db.clone());
        projections.install().await.unwrap();
        let scenario = Scenario::new(db);
        for _ in 0..3 {
            scenario
                .conversation(&Uuid::new_v4().to_string(), UserId(Uuid::new_v4()))
                .await;
        }
        projections.catch_up().await.unwrap();
        let log = db.event_log();
        let verdict = samtale_projections::seals::verify(log.as_ref(), db.any())
            .await
            .unwrap();
        assert!(
            matches!(
                verdict,
                samtale_projections::seals::Verdict::Intact { events: 18, .. }
            ),
            "{verdict:?}"
        );

        // Someone with database access rewrites what a customer said.
        let column = if test_db.backend_name == "postgres" {
            "position"
        } else {
            "rowid"
        };
        let target: i64 = sqlx::query_scalar(&format!(
            "SELECT min({column}) FROM events WHERE event_type = 'MessageSent'"
        ))
        .fetch_one(db.any())
        .await
        .unwrap_or_default();
        let tamper = match test_db.backend_name {
            "postgres" => vec![
                "ALTER TABLE events DISABLE TRIGGER events_append_only".to_string(),
                format!("UPDATE events SET payload = jsonb_set(payload, '{{MessageSent,text}}', '\"Alt er i orden\"') WHERE position = {target}"),
            ],
            _ => vec![
                "DROP TRIGGER events_no_update".to_string(),
                format!("UPDATE events SET payload = json_set(payload, '$.MessageSent.text', 'Alt er i orden') WHERE rowid = {target}"),
            ],
        };
        for statement in tamper {
            sqlx::query(&statement).execute(db.any()).await.unwrap();
        }
        let verdict = samtale_projections::seals::verify(log.as_ref(), db.any())
            .await
            .unwrap();
        assert_eq!(
            verdict,
            samtale_projections::seals::Verdict::Altered { position: target },
            "{}",
            test_db.backend_name
        );
        test_db.drop_schema().await;
    }
}

/// A scripted morning whose figures are worked out by hand below.
#[tokio::test]
async fn reports_give_the_hand_computed_figures_and_the_same_after_a_rebuild() {
    use chrono::Duration;
    for test_db in test_databases().await {
        let db = &test_db.db;
        let projections = Projections::standard(db.clone());
        projections.install().await.unwrap();
        let scenario = Scenario::new(db);
        let t = |h: u32, m: u32, s: u32| Utc.with_ymd_and_hms(2026, 11, 25, h, m, s).unwrap();
        let queue = QueueId(Uuid::from_u128(1));
        let kari = UserId(Uuid::new_v4());
        let as_kari = Actor::staff(kari, Role::Agent);
        let presence = |command| async {
            scenario
                .presence
                .execute(&kari.to_string(), command, &context())
                .await
                .unwrap()
        };
        presence(PresenceCommand::LogIn {
            agent_id: kari,
            queues: BTreeSet::from([queue]),
            member_of: BTreeSet::from([queue]),
            by: as_kari,
            at: t(9, 55, 0),
        })
        .await;
        let request = |at| ChatCommand::Request {
            queue_id: queue,
            category_id: None,
            customer_name: Name::parse("Kunde").unwrap(),
            form: vec![],
            answers: BTreeMap::new(),
            known_customer: None,
            hours: None,
            at,
        };
        let assign = |at| ChatCommand::Assign {
            agent_id: kari,
            agent_queues: BTreeSet::from([queue]),
            via: Assignment::Pickup,
            choice: None,
            by: as_kari,
            at,
        };
        let (a, b, c) = (
            Uuid::new_v4().to_string(),
            Uuid::new_v4().to_string(),
            Uuid::new_v4().to_string(),
        );
        // A: waits 30 s, answered at 10:00:40, ended by Kari at 10:05.
        scenario.chat(&a, request(t(10, 0, 0))).await;
        scenario.chat(&a, assign(t(10, 0, 30))).await;
        scenario
            .chat(
                &a,
                ChatCommand::SendMessage {
                    message_id: Uuid::new_v4().into(),
                    text: MessageText::parse("Hei").unwrap(),
                    client_message_id: None,
                    by: as_kari,
                    at: t(10, 0, 40),
                },
            )
            .await;
        scenario
            .chat(
                &a,
                ChatCommand::End {
                    disposition: Default::default(),
                    policies: Default::default(),
                    by: as_kari,
                    at: t(10, 5, 0),
                },
            )
            .await;
        // B: gives up after two minutes in the queue.
        scenario.chat(&b, request(t(10, 1, 0))).await;
        scenario
            .chat(
                &b,
                ChatCommand::CloseClient {
                    policies: Default::default(),
                    at: t(10, 3, 0),
                },
            )
            .await;
        // C: waits 120 s, the customer closes at 10:10.
        scenario.chat(&c, request(t(10, 2, 0))).await;
        scenario.chat(&c, assign(t(10, 4, 0))).await;
        scenario
            .chat(
                &c,
                ChatCommand::CloseClient {
                    policies: Default::default(),
                    at: t(10, 10, 0),
                },
            )
            .await;
        presence(PresenceCommand::LogOut {
            agent_id: kari,
            queues: BTreeSet::from([queue]),
            by: as_kari,
            at: t(10, 20, 0),
        })
        .await;
        projections.catch_up().await.unwrap();

        let figures = || async {
            let q = sqlx::query(
                "SELECT offered, answered, abandoned, answered_within_threshold, wait_ms_total,
                        wait_ms_max, handled, handle_ms_total
                   FROM report_queue_intervals WHERE interval_start = '2026-11-25T10:00:00.000000Z'",
            )
            .fetch_one(db.any())
            .await
            .unwrap();
            let queue_row: (i64, i64, i64, i64, i64, i64, i64, i64) = (
                q.get(0),
                q.get(1),
                q.get(2),
                q.get(3),
                q.get(4),
                q.get(5),
                q.get(6),
                q.get(7),
            );
            let agent: Vec<(String, i64, i64, i64)> = sqlx::query(
                "SELECT interval_start, logged_in_ms, chats_handled, chat_ms
                   FROM report_agent_intervals WHERE agent_id = $1 ORDER BY interval_start",
            )
            .bind(kari.to_string())
            .fetch_all(db.any())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect();
            let outcomes: Vec<(Option<String>, Option<f64>, Option<f64>)> = sqlx::query(
                "SELECT outcome, wait_seconds, handle_seconds FROM report_chats ORDER BY requested_at",
            )
            .fetch_all(db.any())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
            (queue_row, agent, outcomes)
        };
        let (queue_row, agent, outcomes) = figures().await;
        // Offered 3, answered 2 (A, C), abandoned 1 (B); within 60 s: A only → service level 50 %.
        // Waits 30 + 120 = 150 s (average 75, max 120); handled A (270 s) and C (360 s). Sums are
        // kept in milliseconds.
        assert_eq!(
            queue_row,
            (3, 2, 1, 1, 150_000, 120_000, 2, 630_000),
            "{}",
            test_db.backend_name
        );
        // Logged in 09:55-10:20: 300 s, 900 s, 300 s. Chats: A 270 s + C 360 s in the 10:00
        // interval (average concurrency 630 / 900 = 0.7), both ended there.
        assert_eq!(
            agent,
            [
                ("2026-11-25T09:45:00.000000Z".to_string(), 300_000, 0, 0),
                (
                    "2026-11-25T10:00:00.000000Z".to_string(),
                    900_000,
                    2,
                    630_000
                ),
                ("2026-11-25T10:15:00.000000Z".to_string(), 300_000, 0, 0),
            ]
        );
        assert_eq!(
            outcomes,
            [
                (Some("agent".into()), Some(30.0), Some(270.0)),
                (Some("abandoned".into()), None, None),
                (Some("customer".into()), Some(120.0), Some(360.0)),
            ]
        );
        // Rebuilt from the log, the same numbers.
        projections.rebuild("reports", |_, _| {}).await.unwrap();
        assert_eq!(figures().await, (queue_row, agent, outcomes));
        let _ = Duration::zero();
        test_db.drop_schema().await;
    }
}

#[tokio::test]
async fn wrap_up_time_is_counted_to_its_real_end_across_intervals_and_the_same_after_a_rebuild() {
    use samtale_domain::chat::{Disposition, WrapUpPolicy};
    use samtale_domain::Code;
    for test_db in test_databases().await {
        let db = &test_db.db;
        let projections = Projections::standard(db.clone());
        projections.install().await.unwrap();
        let scenario = Scenario::new(db);
        let t = |h: u32, m: u32, s: u32| Utc.with_ymd_and_hms(2026, 11, 25, h, m, s).unwrap();
        let queue = QueueId(Uuid::from_u128(1));
        let kari = UserId(Uuid::new_v4());
        let as_kari = Actor::staff(kari, Role::Agent);
        let billing = Code::parse("billing").unwrap();
        let policies = BTreeMap::from([(
            queue,
            WrapUpPolicy {
                seconds: Some(600),
                codes: BTreeSet::from([billing.clone()]),
                code_required: true,
            },
        )]);
        let chat = Uuid::new_v4().to_string();
        let commands = [
            ChatCommand::Request {
                queue_id: queue,
                category_id: None,
                customer_name: Name::parse("Kunde").unwrap(),
                form: vec![],
                answers: BTreeMap::new(),
                known_customer: None,
                hours: None,
                at: t(10, 0, 0),
            },
            ChatCommand::Assign {
                agent_id: kari,
                agent_queues: BTreeSet::from([queue]),
                via: Assignment::Pickup,
                choice: None,
                by: as_kari,
                at: t(10, 0, 0),
            },
            // Ended at 10:10 with ten minutes' wrap-up, extended to 10:30 at 10:12, ready at
            // 10:16:40: 400 s of wrap-up, 300 of them in the 10:00 interval, 100 in 10:15.
            ChatCommand::End {
                disposition: Disposition {
                    codes: BTreeSet::from([billing]),
                    note: None,
                },
                policies,
                by: as_kari,
                at: t(10, 10, 0),
            },
            ChatCommand::ExtendWrapUp {
                by: as_kari,
                at: t(10, 12, 0),
            },
            ChatCommand::FinishWrapUp {
                by: as_kari,
                at: t(10, 16, 40),
            },
        ];
        for command in commands {
            scenario.chat(&chat, command).await;
        }
        projections.catch_up().await.unwrap();
        let figures = || async {
            let agent: Vec<(String, i64)> = sqlx::query(
                "SELECT interval_start, wrap_up_ms FROM report_agent_intervals
                  WHERE agent_id = $1 AND wrap_up_ms <> 0 ORDER BY interval_start",
            )
            .bind(kari.to_string())
            .fetch_all(db.any())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
            let chat: (Option<f64>, Option<String>) =
                sqlx::query_as("SELECT wrap_up_seconds, wrap_up_codes FROM report_chats")
                    .fetch_one(db.any())
                    .await
                    .unwrap();
            let reasons: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT interval_start, code, chats FROM report_contact_reasons ORDER BY code",
            )
            .fetch_all(db.any())
            .await
            .unwrap();
            (agent, chat, reasons)
        };
        let before = figures().await;
        assert_eq!(
            before,
            (
                vec![
                    ("2026-11-25T10:00:00.000000Z".to_string(), 300_000),
                    ("2026-11-25T10:15:00.000000Z".to_string(), 100_000),
                ],
                (Some(400.0), Some("billing".to_string())),
                vec![(
                    "2026-11-25T10:00:00.000000Z".to_string(),
                    "billing".to_string(),
                    1
                )],
            ),
            "{}",
            test_db.backend_name
        );
        projections.rebuild("reports", |_, _| {}).await.unwrap();
        assert_eq!(figures().await, before, "{}", test_db.backend_name);
        test_db.drop_schema().await;
    }
}

#[tokio::test]
async fn message_counts_come_out_the_same_folded_a_message_at_a_time_or_all_at_once() {
    for test_db in test_databases().await {
        let db = &test_db.db;
        let projections = Projections::standard(db.clone());
        projections.install().await.unwrap();
        let scenario = Scenario::new(db);
        let kari = UserId(Uuid::new_v4());
        let chat = Uuid::new_v4().to_string();
        scenario.conversation(&chat, kari).await;
        projections.catch_up().await.unwrap();
        // From here on every batch holds nothing but one message.
        let say = |by: Actor, second: u32| ChatCommand::SendMessage {
            message_id: Uuid::new_v4().into(),
            text: MessageText::parse("…").unwrap(),
            client_message_id: None,
            by,
            at: at(second),
        };
        for (by, second) in [
            (Actor::staff(kari, Role::Agent), 10),
            (Actor::Customer, 11),
            (Actor::staff(kari, Role::Agent), 12),
        ] {
            scenario.chat(&chat, say(by, second)).await;
            projections.catch_up().await.unwrap();
        }
        let counts = || async {
            let row = sqlx::query(
                "SELECT customer_messages, agent_messages, first_agent_reply_at FROM report_chats",
            )
            .fetch_one(db.any())
            .await
            .unwrap();
            let counts: (i64, i64, Option<String>) = (row.get(0), row.get(1), row.get(2));
            counts
        };
        let live = counts().await;
        assert_eq!(
            live,
            (4, 2, Some("2026-11-25T10:00:10.000000Z".into())),
            "{}",
            test_db.backend_name
        );
        projections.rebuild("reports", |_, _| {}).await.unwrap();
        assert_eq!(counts().await, live, "{}", test_db.backend_name);
        test_db.drop_schema().await;
    }
}

#[tokio::test]
async fn a_queues_own_service_level_threshold_decides_what_counts_as_answered_in_time() {
    use samtale_domain::directory::{QueueSettings, DIRECTORY_ID};
    use samtale_domain::{Directory, DirectoryCommand};
    for test_db in test_databases().await {
        let db = &test_db.db;
        let projections = Projections::standard(db.clone());
        projections.install().await.unwrap();
        let scenario = Scenario::new(db);
        let directory: Commands<Directory> = Commands::new(
            Arc::new(db.event_repository()),
            db.event_log(),
            NoServices,
            10,
        );
        let queue = QueueId(Uuid::from_u128(1));
        let admin = Actor::System;
        let t = |m: u32, s: u32| Utc.with_ymd_and_hms(2026, 11, 25, 11, m, s).unwrap();
        for command in [
            DirectoryCommand::CreateQueue {
                queue_id: queue,
                name: Name::parse("Tålmodig").unwrap(),
                name_en: None,
                transcript_retention_days: None,
                offer_timeout_seconds: None,
                by: admin,
                at: t(0, 0),
            },
            DirectoryCommand::ConfigureQueue {
                queue_id: queue,
                settings: QueueSettings {
                    service_level_seconds: Some(150),
                    ..QueueSettings::default()
                },
                by: admin,
                at: t(0, 0),
            },
        ] {
            directory
                .execute(DIRECTORY_ID, command, &context())
                .await
                .unwrap();
        }
        let kari = UserId(Uuid::new_v4());
        let chat = Uuid::new_v4().to_string();
        scenario
            .chat(
                &chat,
                ChatCommand::Request {
                    queue_id: queue,
                    category_id: None,
                    customer_name: Name::parse("Kunde").unwrap(),
                    form: vec![],
                    answers: BTreeMap::new(),
                    known_customer: None,
                    hours: None,
                    at: t(0, 0),
                },
            )
            .await;
        scenario
            .chat(
                &chat,
                ChatCommand::Assign {
                    agent_id: kari,
                    agent_queues: BTreeSet::from([queue]),
                    via: Assignment::Pickup,
                    choice: None,
                    by: Actor::staff(kari, Role::Agent),
                    at: t(2, 0),
                },
            )
            .await;
        projections.catch_up().await.unwrap();
        let within: i64 = sqlx::query_scalar(
            "SELECT answered_within_threshold FROM report_queue_intervals WHERE queue_id = $1",
        )
        .bind(queue.to_string())
        .fetch_one(db.any())
        .await
        .unwrap();
        assert_eq!(
            within, 1,
            "{}: 120 s is within this queue's 150 s",
            test_db.backend_name
        );
        test_db.drop_schema().await;
    }
}
