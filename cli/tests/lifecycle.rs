//! A node's life as an operator sees it: starting without its database (a clear error, or
//! waiting for it), running short of file descriptors, and stopping on SIGTERM with streams
//! ended, requests in flight finished and the dispatcher's lock handed on at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::Client;
use samtale_client::api::Api;
use samtale_client::sse_client::SseStream;
use serde_json::{json, Value};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{free_port, Server, PASSWORD};
use tokio::io::AsyncWriteExt;

fn api(server: &Server) -> Api {
    Api {
        client: Client::new(),
        base: server.root(),
    }
}

#[tokio::test]
async fn an_unreachable_database_is_named_with_its_cause() {
    let port = free_port();
    let key_dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_samtale"))
        .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port())])
        .env(
            "SAMTALE_DATABASE_URL",
            format!("postgres://postgres@127.0.0.1:{port}/samtale"),
        )
        .env("SAMTALE_KEY_FILE", key_dir.path().join("keys"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains(&format!("127.0.0.1:{port}")), "{said}");
    assert!(said.contains("database samtale"), "{said}");
    assert!(said.to_lowercase().contains("refused"), "{said}");
    eprintln!("gave up after {:?}: {said}", started.elapsed());
}

/// Forwards connections on `port` to PostgreSQL, from when it is started: a database that
/// comes up late, as after a host's reboot.
async fn postgres_appears_on(port: u16) -> tokio::task::JoinHandle<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut server) = tokio::net::TcpStream::connect("127.0.0.1:5432").await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    })
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn a_node_told_to_wait_for_its_database_listens_unready_until_the_database_comes() {
    let postgres = samtale_testkit::required_postgres_test_database().await;
    let late_port = free_port();
    // The test's database, reached through a port where nothing answers yet.
    let late = postgres
        .url
        .replace("127.0.0.1:5432", &format!("127.0.0.1:{late_port}"));
    assert_ne!(late, postgres.url, "the URL names 127.0.0.1:5432");
    let port = free_port();
    let server = Server::spawn(
        &postgres,
        port,
        "warn",
        None,
        &[
            ("SAMTALE_DATABASE_URL", &late),
            ("SAMTALE_WAIT_FOR_DATABASE_SECONDS", "60"),
        ],
        &[],
    );
    let client = Client::new();
    let root = format!("http://127.0.0.1:{port}");
    let mut listening = false;
    for _ in 0..100 {
        if let Ok(health) = client.get(format!("{root}/healthz")).send().await {
            assert_eq!(health.status(), 200);
            listening = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(listening, "the node listens while it waits");
    let ready = client.get(format!("{root}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let api_call = client
        .get(format!("{root}/api/v1/widget/config"))
        .send()
        .await
        .unwrap();
    assert_eq!(api_call.status(), 503);
    assert_eq!(api_call.headers()["retry-after"], "1");

    let forwarder = postgres_appears_on(late_port).await;
    let appeared = Instant::now();
    let server = server.ready().await;
    eprintln!("ready {:?} after the database appeared", appeared.elapsed());
    drop(server);
    forwarder.abort();
    postgres.drop_schema().await;
}

#[tokio::test]
async fn short_of_file_descriptors_the_node_still_answers_and_serves_again_when_they_go() {
    let sqlite = samtale_testkit::sqlite_test_database().await;
    let port = free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let server = Server::spawn(
        &sqlite,
        port,
        "warn",
        Some(log.path()),
        &[("SAMTALE_HEADER_TIMEOUT_SECONDS", "3")],
        &["prlimit", "--nofile=256:256", "--"],
    )
    .ready()
    .await;
    // More idle connections than the process has descriptors.
    let mut idle = Vec::new();
    for _ in 0..300 {
        let mut connection = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let _ = connection.write_all(b"GET /healthz HTTP/1.1\r\n").await;
        idle.push(connection);
    }
    let fresh = || Client::builder().pool_max_idle_per_host(0).build().unwrap();
    // A health check beyond the caps is answered at the door (while the door is not itself
    // busy with the flood's last arrivals: a monitor asks again).
    let mut healthy = false;
    for _ in 0..25 {
        let health = fresh()
            .get(format!("{}/healthz", server.root()))
            .timeout(Duration::from_secs(1))
            .send()
            .await;
        if health.is_ok_and(|h| h.status() == 200) {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(healthy, "the node answers while its connections are full");
    let login = fresh()
        .post(format!("{}/auth/login", server.base()))
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await;
    // Full: anything else is answered 503 at the door, or closed if the door is busy too.
    if let Ok(login) = login {
        assert_eq!(login.status(), 503);
    }
    // The idle ones time out; then the node serves logins again, without being restarted.
    let mut logged_in = None;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let login = fresh()
            .post(format!("{}/auth/login", server.base()))
            .json(&json!({"username": "admin", "password": PASSWORD}))
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        if login.is_ok_and(|l| l.status() == 200) {
            logged_in = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let logged_in = logged_in.expect("logins are served again");
    let said = std::fs::read_to_string(log.path()).unwrap();
    assert!(!said.contains("Too many open files"), "{said}");
    eprintln!("300 idle connections under 256 descriptors: logins again after {logged_in:?}");
    drop(idle);
    drop(server);
}

/// Reads `stream` until it ends; how many events it carried first, or `None` if it is
/// still open after `patience`.
async fn ends_within(stream: &mut SseStream, patience: Duration) -> Option<usize> {
    let deadline = Instant::now() + patience;
    let mut events = 0;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match stream.next(left).await {
            Some(_) => events += 1,
            // Before the deadline, `None` is the stream's end, not the wait's.
            None => return (Instant::now() < deadline).then_some(events),
        }
    }
    None
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn on_sigterm_a_node_finishes_what_it_took_ends_its_streams_and_hands_on_dispatching() {
    let postgres = samtale_testkit::required_postgres_test_database().await;
    // The node started first takes the dispatcher's lock.
    let mut stopping = Server::start(&postgres, free_port()).await;
    let other = Server::start(&postgres, free_port()).await;
    let (on_stopping, on_other) = (api(&stopping), api(&other));
    let staffed = on_other.staffed_queue(PASSWORD, "Stopp", 1).await.unwrap();
    let (_, agent) = &staffed.agents[0];
    let started = on_stopping
        .post(
            "/customer/chats",
            "",
            json!({"queue_id": staffed.queue_id, "name": "Kunde", "fields": {}}),
        )
        .await
        .unwrap();
    let chat = started["chat_id"].as_str().unwrap().to_string();
    let token = started["customer_token"].as_str().unwrap().to_string();
    let mut stream = on_stopping
        .stream(&format!("/customer/chats/{chat}/events"), &token)
        .await
        .unwrap();

    // Messages in flight while the signal comes: each is either taken and kept, or refused.
    let sender = {
        let (base, token, chat) = (stopping.base(), token.clone(), chat.clone());
        tokio::spawn(async move {
            let client = Client::new();
            let mut answers = Vec::new();
            for i in 0..200 {
                let text = format!("melding {i}");
                let answer = client
                    .post(format!("{base}/customer/chats/{chat}/messages"))
                    .bearer_auth(&token)
                    .json(&json!({"text": text, "client_message_id": format!("m-{i}")}))
                    .timeout(Duration::from_secs(15))
                    .send()
                    .await;
                let taken = answer.is_ok_and(|a| a.status() == 201);
                answers.push((text, taken));
                if !taken && answers.iter().any(|(_, t)| *t) {
                    break;
                }
            }
            answers
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    stopping.terminate();
    let signalled = Instant::now();
    let ended = ends_within(&mut stream, Duration::from_secs(10)).await;
    let stream_ended = signalled.elapsed();
    assert!(ended.is_some(), "the customer's stream ends");
    let status = stopping.exited_within(Duration::from_secs(20)).await;
    let exited = signalled.elapsed();
    assert_eq!(status.map(|s| s.success()), Some(true), "{status:?}");
    let answers = sender.await.unwrap();

    // Every message the stopping node took is in the conversation, read on the other node.
    let kept: Vec<String> = on_other
        .get(&format!("/customer/chats/{chat}"), &token)
        .await
        .unwrap()["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect();
    let taken: Vec<&String> = answers.iter().filter(|(_, t)| *t).map(|(m, _)| m).collect();
    assert!(
        !taken.is_empty(),
        "some messages were taken before the signal"
    );
    for message in &taken {
        assert!(
            kept.contains(message),
            "{message} was acknowledged and kept"
        );
    }

    // The other node dispatches now: the chat, waiting all along, is assigned to the agent
    // who logs in there.
    on_other
        .post("/me/presence", agent, json!({"logged_in": true}))
        .await
        .unwrap();
    let assigned = {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut assigned = None;
        while Instant::now() < deadline {
            let view: Value = on_other
                .get(&format!("/customer/chats/{chat}"), &token)
                .await
                .unwrap();
            if view["status"] == "assigned" {
                assigned = Some(signalled.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assigned
    };
    let assigned = assigned.expect("the other node takes over dispatching");
    eprintln!(
        "SIGTERM: stream ended after {stream_ended:?}, the process exited after {exited:?}, \
         the other node assigned the waiting chat {assigned:?} after the signal; \
         {} messages taken, all kept",
        taken.len()
    );
    drop(other);
    postgres.drop_schema().await;
}
