//! The erasure proof, through the real `samtale` binary: a customer's name, e-mail address and
//! message go in through the API; after `samtale erase` they are found nowhere — not in the
//! API, the audit trail, an SSE replay from the log's start or the server's log, not in the
//! bytes of the SQLite file and its write-ahead log, not in a `pg_dump` — while the log's seals
//! stay intact, a rebuild of the read models gives the same rows, and the reports' figures do
//! not change. On the embedded SQLite database, and on PostgreSQL when
//! SAMTALE_TEST_POSTGRES_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::{Client, StatusCode};
use samtale_client::sse_client::SseStream;
use samtale_eventlog::Database;
use samtale_testkit::{test_databases, TestDatabase};
use serde_json::{json, Value};
use std::process::{Command, Output};
use std::time::Duration;
use support::{free_port, post, samtale, Server, PASSWORD};

const CANARY_NAME: &str = "Kanarifugl Ødegård-Åsheim";
const CANARY_EMAIL: &str = "kanarifugl.erasure@example.no";
const CANARY_PHONE: &str = "+47 977 31 486";
const CANARY_MESSAGE: &str = "Passnummeret mitt er KANARI-8814-ØÆÅ";
const CANARIES: [&str; 4] = [CANARY_NAME, CANARY_EMAIL, CANARY_PHONE, CANARY_MESSAGE];

fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn found_in(what: &str, haystack: &[u8]) -> Vec<String> {
    CANARIES
        .iter()
        .filter(|canary| {
            haystack
                .windows(canary.len())
                .any(|window| window == canary.as_bytes())
        })
        .map(|canary| format!("{what} holds {canary:?}"))
        .collect()
}

async fn get(client: &Client, url: String, token: &str) -> (StatusCode, Value) {
    let response = client.get(url).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The chat's read-model rows, as a rebuild must give them again.
async fn rows(database: &TestDatabase, chat: &str) -> Vec<String> {
    let db = Database::connect(&database.url, &database.key_file)
        .await
        .unwrap();
    let db = db.any();
    let chat_row: (String, String, Option<String>, String) = sqlx::query_as(
        "SELECT customer_name, answers, erased_at, status FROM chats WHERE chat_id = $1",
    )
    .bind(chat)
    .fetch_one(db)
    .await
    .unwrap();
    let texts: Vec<String> =
        sqlx::query_scalar("SELECT text FROM messages WHERE chat_id = $1 ORDER BY number")
            .bind(chat)
            .fetch_all(db)
            .await
            .unwrap();
    let mut rows = vec![format!("{chat_row:?}")];
    rows.extend(texts);
    rows
}

/// What the database keeps on disk, as an attacker with a copy would read it: the SQLite file
/// and its write-ahead log, or PostgreSQL's `pg_dump` of the schema.
fn stored(database: &TestDatabase) -> Vec<(String, Vec<u8>)> {
    if database.backend_name == "sqlite" {
        let file = database.url.trim_start_matches("sqlite://").to_string();
        // Read by another process: closing a descriptor of the file in this one would drop
        // the SQLite locks this process's own connections hold on it (POSIX advisory locks
        // are per process), which can corrupt the database while the server writes.
        return [file.clone(), format!("{file}-wal")]
            .into_iter()
            .filter_map(|path| {
                let read = Command::new("cat").arg(&path).output().ok()?;
                read.status.success().then_some((path, read.stdout))
            })
            .collect();
    }
    let schema = database.url.rsplit("search_path%3D").next().unwrap();
    let dump = Command::new("pg_dump")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "test",
            "-n",
            schema,
        ])
        .output()
        .expect("pg_dump runs");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    assert!(
        String::from_utf8_lossy(&dump.stdout).contains("ChatRequested"),
        "the dump holds the log"
    );
    vec![("pg_dump".to_string(), dump.stdout)]
}

#[tokio::test]
async fn an_erased_customer_is_found_nowhere_and_the_log_stays_sealed() {
    for database in test_databases().await {
        let backend = database.backend_name;
        let dir = tempfile::tempdir().unwrap();
        let server_log = dir.path().join("server.log");
        let server = Server::start_logging(&database, free_port(), "info", Some(&server_log)).await;
        let (client, base) = (Client::new(), server.base());
        let admin = post(
            &client,
            format!("{base}/auth/login"),
            "",
            json!({"username": "admin", "password": PASSWORD}),
        )
        .await
        .unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        post(
            &client,
            format!("{base}/form-fields"),
            &admin,
            json!({"key": "email", "label": "E-post", "kind": "email", "required": true, "max_length": 100}),
        )
        .await
        .expect("the form has an e-mail field");
        post(
            &client,
            format!("{base}/form-fields"),
            &admin,
            json!({"key": "phone", "label": "Telefon", "kind": "phone", "required": true, "max_length": 30}),
        )
        .await
        .expect("the form has a phone field");
        let queue = post(
            &client,
            format!("{base}/queues"),
            &admin,
            json!({"name": "Kanari"}),
        )
        .await
        .unwrap();
        let started = post(
            &client,
            format!("{base}/customer/chats"),
            "",
            json!({"queue_id": queue["queue_id"], "name": CANARY_NAME, "fields": {"email": CANARY_EMAIL, "phone": CANARY_PHONE}}),
        )
        .await
        .unwrap();
        let chat = started["chat_id"].as_str().unwrap().to_string();
        let customer = started["customer_token"].as_str().unwrap().to_string();
        post(
            &client,
            format!("{base}/customer/chats/{chat}/messages"),
            &customer,
            json!({"text": CANARY_MESSAGE}),
        )
        .await
        .expect("the message is sent");
        post(
            &client,
            format!("{base}/customer/chats/{chat}/close"),
            &customer,
            json!({}),
        )
        .await
        .expect("the customer leaves");
        let today = chrono::Utc::now().date_naive();
        let report = |kind: &'static str| {
            let (client, base, admin) = (client.clone(), base.clone(), admin.clone());
            async move {
                get(
                    &client,
                    format!(
                        "{base}/reports/{kind}?from={today}T00:00:00Z&to={}T00:00:00Z",
                        today.succ_opt().unwrap()
                    ),
                    &admin,
                )
                .await
            }
        };
        let reports_before = [report("chats").await, report("queues").await];
        assert_eq!(reports_before[0].0, StatusCode::OK, "{backend}");
        assert_eq!(
            reports_before[0].1.as_array().map(Vec::len),
            Some(1),
            "{backend}"
        );

        let mut in_events = Vec::new();
        let payloads: Vec<String> = sqlx::query_scalar("SELECT CAST(payload AS TEXT) FROM events")
            .fetch_all(database.db.any())
            .await
            .unwrap();
        for payload in &payloads {
            in_events.extend(found_in("an event row", payload.as_bytes()));
        }
        assert_eq!(
            in_events,
            Vec::<String>::new(),
            "{backend}: the log holds ciphertext only"
        );
        let plain: Vec<String> = stored(&database)
            .iter()
            .flat_map(|(what, bytes)| found_in(what, bytes))
            .collect();
        assert!(
            !plain.is_empty(),
            "{backend}: before the erasure the read models hold the name in the clear"
        );

        // The shell erases while the server runs, by the address typed another way.
        let erased = succeeded(&samtale(
            &database,
            &["erase", "--email", &CANARY_EMAIL.to_uppercase()],
        ));
        assert!(
            erased.contains(&format!("erased {chat} (1 messages)"))
                && erased.contains("1 erased, 0 left"),
            "{backend}: {erased}"
        );

        let mut leaks = Vec::new();
        let (status, view) = get(&client, format!("{base}/chats/{chat}"), &admin).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            view["erased"], true,
            "{backend}: the server saw the erasure"
        );
        leaks.extend(found_in("the chat", view.to_string().as_bytes()));
        let (_, audit) = get(&client, format!("{base}/chats/{chat}/audit"), &admin).await;
        assert_eq!(
            audit.as_array().unwrap().last().unwrap()["type"],
            "ChatErased"
        );
        leaks.extend(found_in("the audit trail", audit.to_string().as_bytes()));
        // The server learns of the shell's erasure from the log, as a node learns another's.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (status, _) =
                get(&client, format!("{base}/customer/chats/{chat}"), &customer).await;
            if status == StatusCode::UNAUTHORIZED {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{backend}: the token still opens the chat: {status}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            reports_before,
            [report("chats").await, report("queues").await],
            "{backend}: the figures stay"
        );

        let response = client
            .get(format!("{base}/events"))
            .bearer_auth(&admin)
            .header("Last-Event-ID", "0")
            .send()
            .await
            .unwrap();
        let mut replay = SseStream::new(response);
        let mut frames = String::new();
        while let Some(frame) = replay.next_frame(Duration::from_millis(500)).await {
            frames.push_str(&frame.data);
        }
        assert!(
            frames.contains("ChatErased"),
            "{backend}: the replay reached the erasure"
        );
        leaks.extend(found_in("an SSE replay from the start", frames.as_bytes()));
        drop(server);
        leaks.extend(found_in(
            "the server's log",
            &std::fs::read(&server_log).unwrap(),
        ));

        let verified = succeeded(&samtale(&database, &["audit", "verify"]));
        assert!(verified.starts_with("intact"), "{backend}: {verified}");
        let before_rebuild = rows(&database, &chat).await;
        succeeded(&samtale(
            &database,
            &["projections", "rebuild", "conversations"],
        ));
        assert_eq!(
            rows(&database, &chat).await,
            before_rebuild,
            "{backend}: a rebuild gives the same rows"
        );

        for (what, bytes) in stored(&database) {
            leaks.extend(found_in(&what, &bytes));
        }
        assert_eq!(leaks, Vec::<String>::new(), "{backend}");
        database.drop_schema().await;
    }
}
