//! What the real `samtale` binary writes at `RUST_LOG=debug`: no bearer token, although the
//! SSE streams take one in the URL, and a failed request once, with its cause and its request
//! id. On the embedded SQLite database, and on PostgreSQL when SAMTALE_TEST_POSTGRES_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::{Client, StatusCode};
use samtale_client::sse_client::SseStream;
use samtale_testkit::{test_databases, TestDatabase};
use std::path::Path;
use std::time::Duration;
use support::{free_port, post, waiting_chat, Server, PASSWORD};

/// The log so far, once `done` holds for it (or the deadline passed).
async fn log_once(path: &Path, done: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if done(&text) || tokio::time::Instant::now() > deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn scenario(database: &TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("samtale.log");
    let server = Server::start_logging(database, free_port(), "debug", Some(&log)).await;
    let (client, base) = (Client::new(), server.base());
    let (chat, customer) = waiting_chat(&client, &base).await;
    let admin = post(
        &client,
        format!("{base}/auth/login"),
        "",
        serde_json::json!({"username": "admin", "password": PASSWORD}),
    )
    .await
    .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();

    // Both streams with the token in the URL, as EventSource sends it, each until an event.
    let mut streams = Vec::new();
    for url in [
        format!("{base}/events?access_token={admin}"),
        format!("{base}/customer/chats/{chat}/events?last_event_id=1&access_token={customer}"),
    ] {
        let response = client.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        streams.push(SseStream::new(response));
    }
    post(
        &client,
        format!("{base}/customer/chats/{chat}/messages"),
        &customer,
        serde_json::json!({"text": "Hallo"}),
    )
    .await
    .expect("a message");
    for stream in &mut streams {
        assert!(stream.next(Duration::from_secs(10)).await.is_some());
    }
    drop(streams);
    // And where a token in the URL is refused.
    let refused = client
        .get(format!("{base}/me?access_token={admin}"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    // A request that fails inside: with the credentials table gone, no password can be checked.
    sqlx::query("ALTER TABLE credentials RENAME TO credentials_away")
        .execute(database.db.any())
        .await
        .unwrap();
    let failed = client
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = failed.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();

    let errors_of_request = |text: &str| {
        text.lines()
            .filter(|line| line.contains("ERROR") && line.contains(&request_id))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let text = log_once(&log, |text| {
        text.contains("/me") && !errors_of_request(text).is_empty()
    })
    .await;
    for (whose, token) in [("staff", &admin), ("customer", &customer)] {
        assert!(
            !text.contains(token.as_str()),
            "the {whose} token is in the log:\n{}",
            text.lines()
                .filter(|line| line.contains(token.as_str()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    assert!(
        text.contains("path=/api/v1/events") && text.contains("access_token=[redacted]"),
        "requests to the streams are logged, their token redacted"
    );
    let errors = errors_of_request(&text);
    assert_eq!(
        errors.len(),
        1,
        "the failure is logged once, in the request's span: {errors:#?}"
    );
    assert!(
        errors[0].contains("credentials"),
        "with its cause: {}",
        errors[0]
    );
}

#[tokio::test]
async fn the_debug_log_holds_no_token_and_each_failure_once_with_its_request_id() {
    for database in test_databases().await {
        scenario(&database).await;
        database.drop_schema().await;
    }
}
