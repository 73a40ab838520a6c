//! The proof that personal data can be forgotten, with the real `samtale` binary: a chat whose
//! name, e-mail, phone and messages are unique strings (canaries) is never in the log's rows
//! in plaintext, and once erased is nowhere — not in the database's files (SQLite, with its
//! WAL checkpointed) or its dump (PostgreSQL), not in an SSE replay from the start, not in the
//! server's debug log — while the seals still verify, a rebuild of the read models equals the
//! live ones, the reports' figures are unchanged and the customer's token opens nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::{Client, StatusCode};
use samtale_client::sse_client::SseStream;
use samtale_testkit::{test_databases, TestDatabase};
use serde_json::{json, Value};
use sqlx::Row;
use std::process::Command;
use std::time::Duration;
use support::{free_port, post, Server, PASSWORD};

/// Unique strings with æøå, one per kind of personal data.
struct Canaries {
    name: String,
    email: String,
    phone: String,
    customer_says: String,
    agent_says: String,
}

impl Canaries {
    fn new() -> Self {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let digits: String = tag
            .bytes()
            .filter(u8::is_ascii_digit)
            .chain(std::iter::repeat(b'7'))
            .take(8)
            .map(char::from)
            .collect();
        Self {
            name: format!("Åse Ærlig Øvregård {tag}"),
            email: format!("aase.{tag}@blåbær.no"),
            phone: format!("+47 {digits}"),
            customer_says: format!("Kontonummeret mitt er {tag}, blåbærsyltetøy"),
            agent_says: format!("Takk, Åse, jeg ser på konto {tag} nå"),
        }
    }

    /// Every canary, and the parts a store might keep separately (the phone's digits).
    fn all(&self) -> Vec<String> {
        let digits: String = self.phone.chars().filter(char::is_ascii_digit).collect();
        vec![
            self.name.clone(),
            self.email.clone(),
            digits,
            self.customer_says.clone(),
            self.agent_says.clone(),
        ]
    }

    /// The canaries found in `bytes`.
    fn found_in(&self, bytes: &[u8]) -> Vec<String> {
        self.all()
            .into_iter()
            .filter(|canary| {
                bytes
                    .windows(canary.len())
                    .any(|window| window == canary.as_bytes())
            })
            .collect()
    }
}

struct Api {
    client: Client,
    base: String,
}

impl Api {
    async fn post(&self, path: &str, token: &str, body: Value) -> Value {
        post(&self.client, format!("{}{path}", self.base), token, body)
            .await
            .unwrap_or_else(|| panic!("POST {path} succeeds"))
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn login(&self, username: &str, password: &str) -> String {
        self.post(
            "/auth/login",
            "",
            json!({"username": username, "password": password}),
        )
        .await["token"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// `samtale <args>` on the test's database; its stdout, failing the test if it fails.
fn samtale(database: &TestDatabase, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_samtale"))
        .args(args)
        .env("SAMTALE_DATABASE_URL", &database.url)
        .env("SAMTALE_KEY_FILE", &database.key_file)
        .env("NO_COLOR", "1")
        .output()
        .expect("the samtale binary runs");
    assert!(
        output.status.success(),
        "samtale {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The read models' rows that hold personal data, in a stable order.
async fn conversation_rows(database: &TestDatabase) -> Vec<String> {
    let mut rows = Vec::new();
    for query in [
        "SELECT chat_id, customer_name, answers, status, queue_id, requested_at, ended_at,
                end_reason, transfers, legal_hold, erased_at FROM chats ORDER BY chat_id",
        "SELECT chat_id, number, author_kind, text, sent_at FROM messages
          ORDER BY chat_id, number",
    ] {
        for row in sqlx::query(query)
            .fetch_all(database.db.any())
            .await
            .unwrap()
        {
            let cells: Vec<String> = (0..row.len())
                .map(|i| {
                    row.try_get::<Option<String>, _>(i)
                        .map(Option::unwrap_or_default)
                        .or_else(|_| row.try_get::<i64, _>(i).map(|n| n.to_string()))
                        .unwrap_or_default()
                })
                .collect();
            rows.push(cells.join("|"));
        }
    }
    rows
}

/// The stored payloads of the log's events, as their bytes.
async fn stored_payloads(database: &TestDatabase) -> Vec<u8> {
    let query = if database.backend_name == "postgres" {
        "SELECT payload::text FROM events ORDER BY position"
    } else {
        "SELECT payload FROM events ORDER BY rowid"
    };
    let payloads: Vec<String> = sqlx::query_scalar(query)
        .fetch_all(database.db.any())
        .await
        .unwrap();
    payloads.join("\n").into_bytes()
}

/// Everything the database holds at rest: the SQLite file and its WAL after a checkpoint, or
/// a `pg_dump` of the test's schema.
async fn database_at_rest(database: &TestDatabase) -> Vec<u8> {
    if database.backend_name == "postgres" {
        let schema = database.url.rsplit("search_path%3D").next().unwrap();
        let base = std::env::var(samtale_testkit::POSTGRES_URL_VAR).unwrap();
        let dump = Command::new("pg_dump")
            .args(["--schema", schema, &base])
            .output()
            .expect("pg_dump runs");
        assert!(
            dump.status.success(),
            "{}",
            String::from_utf8_lossy(&dump.stderr)
        );
        return dump.stdout;
    }
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(database.db.any())
        .await
        .unwrap();
    let file = database.url.trim_start_matches("sqlite://");
    let mut bytes = std::fs::read(file).unwrap();
    bytes.extend(std::fs::read(format!("{file}-wal")).unwrap_or_default());
    bytes
}

async fn scenario(database: &TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("samtale.log");
    let server = Server::start_logging(database, free_port(), "debug", Some(&log)).await;
    let api = Api {
        client: Client::new(),
        base: server.base(),
    };
    let admin = api.login("admin", PASSWORD).await;
    let queue = api
        .post("/queues", &admin, json!({"name": "Personvern"}))
        .await["queue_id"]
        .clone();
    for (key, kind) in [("email", "email"), ("phone", "phone")] {
        api.post(
            "/form-fields",
            &admin,
            json!({"key": key, "label": key, "kind": kind, "required": true, "max_length": 100}),
        )
        .await;
    }
    let agent = api
        .post(
            "/users",
            &admin,
            json!({"username": "kari", "display_name": "Kari", "role": "agent",
                   "password": "kari's long password", "max_concurrent_chats": 3}),
        )
        .await["user_id"]
        .clone();
    let agent_id = agent.as_str().unwrap();
    api.post(
        &format!("/queues/{}/members", queue.as_str().unwrap()),
        &admin,
        json!({"user_id": agent}),
    )
    .await;
    let kari = api.login("kari", "kari's long password").await;

    let canaries = Canaries::new();
    let started = api
        .post(
            "/customer/chats",
            "",
            json!({"queue_id": queue, "name": canaries.name,
                   "fields": {"email": canaries.email, "phone": canaries.phone}}),
        )
        .await;
    let chat = started["chat_id"].as_str().unwrap().to_string();
    let customer = started["customer_token"].as_str().unwrap().to_string();
    api.post(
        &format!("/customer/chats/{chat}/messages"),
        &customer,
        json!({"text": canaries.customer_says}),
    )
    .await;
    api.post(&format!("/chats/{chat}/pickup"), &kari, json!({}))
        .await;
    api.post(
        &format!("/chats/{chat}/messages"),
        &kari,
        json!({"text": canaries.agent_says}),
    )
    .await;
    api.post(&format!("/chats/{chat}/end"), &kari, json!({}))
        .await;

    assert_eq!(
        canaries.found_in(&stored_payloads(database).await),
        Vec::<String>::new(),
        "the log's rows hold personal data only encrypted"
    );
    let (_, before) = api.get(&format!("/chats/{chat}"), &admin).await;
    assert!(
        before.to_string().contains(&canaries.customer_says),
        "before erasure staff read the conversation: {before}"
    );
    let period = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z";
    let reports = || async {
        let mut figures = Vec::new();
        for kind in ["chats", "queues", "agents"] {
            figures.push(
                api.get(&format!("/reports/{kind}?{period}"), &admin)
                    .await
                    .1,
            );
        }
        figures
    };
    let figures_before = reports().await;

    let erased = api
        .post(
            &format!("/chats/{chat}/erase"),
            &admin,
            json!({"reason": "request"}),
        )
        .await;
    assert_eq!(erased["chat_id"], chat.as_str());
    assert_eq!(erased["messages"], 2);

    let (_, after) = api.get(&format!("/chats/{chat}"), &admin).await;
    assert_eq!(after["erased"], true, "{after}");
    assert_eq!(
        canaries.found_in(after.to_string().as_bytes()),
        Vec::<String>::new()
    );
    let (_, audit) = api.get(&format!("/chats/{chat}/audit"), &admin).await;
    assert_eq!(
        canaries.found_in(audit.to_string().as_bytes()),
        Vec::<String>::new()
    );
    assert_eq!(
        reports().await,
        figures_before,
        "the reports keep every figure"
    );
    let (refused, _) = api.get(&format!("/customer/chats/{chat}"), &customer).await;
    assert!(
        refused == StatusCode::UNAUTHORIZED || refused == StatusCode::NOT_FOUND,
        "the customer's token opens nothing: {refused}"
    );

    // A supervisor's console replaying the whole log from its start.
    let siri = {
        api.post(
            "/users",
            &admin,
            json!({"username": "siri", "display_name": "Siri", "role": "supervisor",
                   "password": "siri's long password", "max_concurrent_chats": 3}),
        )
        .await;
        api.login("siri", "siri's long password").await
    };
    let response = api
        .client
        .get(format!("{}/events", api.base))
        .bearer_auth(&siri)
        .header("Last-Event-ID", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut stream = SseStream::new(response);
    let mut replayed = String::new();
    while let Some(frame) = stream.next(Duration::from_secs(3)).await {
        replayed.push_str(&format!("{frame:?}\n"));
        if replayed.contains("ChatErased") {
            break;
        }
    }
    assert!(
        replayed.contains("ChatErased"),
        "the replay reaches the erasure"
    );
    assert!(replayed.contains(agent_id) || replayed.contains(&chat));
    assert_eq!(canaries.found_in(replayed.as_bytes()), Vec::<String>::new());
    drop(stream);

    let live = conversation_rows(database).await;
    assert_eq!(
        canaries.found_in(live.join("\n").as_bytes()),
        Vec::<String>::new()
    );
    drop(server);

    assert!(samtale(database, &["audit", "verify"]).starts_with("intact"));
    samtale(database, &["projections", "rebuild"]);
    assert_eq!(
        conversation_rows(database).await,
        live,
        "a rebuild writes the rows the erasure left"
    );
    assert_eq!(
        canaries.found_in(&database_at_rest(database).await),
        Vec::<String>::new(),
        "the database at rest holds none of it"
    );
    let server_log = std::fs::read(&log).unwrap();
    assert_eq!(canaries.found_in(&server_log), Vec::<String>::new());
}

#[tokio::test]
async fn an_erased_chat_leaves_no_personal_data_anywhere_and_every_figure_and_seal_intact() {
    for database in test_databases().await {
        scenario(&database).await;
        database.drop_schema().await;
    }
}
