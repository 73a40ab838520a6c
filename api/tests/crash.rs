//! An acknowledged message is never lost, and a retried one never duplicated, even when the
//! server is killed with SIGKILL while customers are sending. Drives the real `samtale`
//! binary on the embedded SQLite database (and on PostgreSQL when SAMTALE_TEST_POSTGRES_URL is
//! set), on a loopback port, bounded in time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::Client;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "crash test password";

struct Server {
    child: Child,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(database_url: &str, port: u16) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_samtale"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("SAMTALE_DATABASE_URL", database_url)
        .env("SAMTALE_ADMIN_PASSWORD", PASSWORD)
        .env("SAMTALE_CUSTOMER_MESSAGES_PER_MINUTE", "0")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the samtale binary starts");
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let client = Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Server { child, base };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not become ready");
}

/// A POST that gives up after `patience`; `None` for any failure, as a client would see it.
async fn post_within(
    patience: Duration,
    client: &Client,
    url: String,
    token: &str,
    body: Value,
) -> Option<Value> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .timeout(patience)
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json().await.ok()
}

/// Setup and retries may wait: only the sends racing the kill need to give up quickly.
async fn post(client: &Client, url: String, token: &str, body: Value) -> Option<Value> {
    post_within(Duration::from_secs(30), client, url, token, body).await
}

async fn scenario(database_url: &str) {
    let port = free_port();
    let mut server = start(database_url, port).await;
    let client = Client::new();
    let admin = post(
        &client,
        format!("{}/auth/login", server.base),
        "",
        json!({"username": "admin", "password": PASSWORD}),
    )
    .await
    .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let queue = post(
        &client,
        format!("{}/queues", server.base),
        &admin,
        json!({"name": "Krasj"}),
    )
    .await
    .unwrap();
    let started = post(
        &client,
        format!("{}/customer/chats", server.base),
        "",
        json!({"queue_id": queue["queue_id"], "name": "Kunde", "fields": {}}),
    )
    .await
    .unwrap();
    let chat = started["chat_id"].as_str().unwrap().to_string();
    let token = started["customer_token"].as_str().unwrap().to_string();
    let messages = format!("{}/customer/chats/{chat}/messages", server.base);

    // Four customers' worth of sends; the server dies a moment in.
    let sender = |from: usize| {
        let (client, messages, token) = (client.clone(), messages.clone(), token.clone());
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in from..from + 200 {
                let body =
                    json!({"text": format!("melding {i}"), "client_message_id": format!("m-{i}")});
                if post(&client, messages.clone(), &token, body)
                    .await
                    .is_some()
                {
                    acknowledged.push(i);
                }
            }
            acknowledged
        })
    };
    let senders: Vec<_> = (0..4).map(|n| sender(n * 1000)).collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    let mut acknowledged = HashSet::new();
    for sender in senders {
        acknowledged.extend(sender.await.unwrap());
    }
    assert!(
        !acknowledged.is_empty(),
        "some messages were acknowledged before the kill"
    );
    assert!(acknowledged.len() < 800, "the kill interrupted the senders");

    // Restart; every client retries everything it sent, with the same ids.
    let mut server = start(database_url, port).await;
    for n in 0..4 {
        for i in n * 1000..n * 1000 + 200 {
            let body =
                json!({"text": format!("melding {i}"), "client_message_id": format!("m-{i}")});
            assert!(
                post(&client, messages.clone(), &token, body)
                    .await
                    .is_some(),
                "retry of m-{i}"
            );
        }
    }
    let view: Value = client
        .get(format!("{}/customer/chats/{chat}", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> = view["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    let unique: HashSet<&str> = texts.iter().copied().collect();
    assert_eq!(texts.len(), unique.len(), "no message twice");
    assert_eq!(texts.len(), 800, "every message once after the retries");
    for i in &acknowledged {
        assert!(
            unique.contains(format!("melding {i}").as_str()),
            "acknowledged m-{i} survived the kill"
        );
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

#[tokio::test]
async fn a_killed_server_loses_no_acknowledged_message_and_retries_add_none() {
    let dir = tempfile::tempdir().unwrap();
    scenario(&format!(
        "sqlite://{}",
        dir.path().join("crash.db").display()
    ))
    .await;
    if let Some(postgres) = samtale_eventlog::testing::postgres_test_url().await {
        scenario(&postgres.url).await;
        postgres.drop_schema().await;
    }
}
