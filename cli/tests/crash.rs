//! An acknowledged message is never lost, and a retried one never duplicated, even when the
//! server is killed with SIGKILL while customers are sending. Drives the real `samtale`
//! binary on the embedded SQLite database (and on PostgreSQL when SAMTALE_TEST_POSTGRES_URL is
//! set), on a loopback port, bounded in time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::Client;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{free_port, message, post, reached, transcript, waiting_chat, Server};

async fn scenario(database: &samtale_testkit::TestDatabase) {
    let port = free_port();
    let mut server = Server::start(database, port).await;
    let client = Client::new();
    let (chat, token) = waiting_chat(&client, &server.base()).await;
    let messages = format!("{}/customer/chats/{chat}/messages", server.base());

    // Four customers' worth of sends; the server dies once some are acknowledged.
    let acked = Arc::new(AtomicUsize::new(0));
    let sender = |from: usize| {
        let (client, messages, token, acked) = (
            client.clone(),
            messages.clone(),
            token.clone(),
            acked.clone(),
        );
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in from..from + 200 {
                if post(&client, messages.clone(), &token, message(i))
                    .await
                    .is_some()
                {
                    acknowledged.push(i);
                    acked.fetch_add(1, Ordering::Relaxed);
                }
            }
            acknowledged
        })
    };
    let senders: Vec<_> = (0..4).map(|n| sender(n * 1000)).collect();
    assert!(
        reached(&acked, 20, Duration::from_secs(30)).await,
        "the senders got going"
    );
    server.kill();
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
    let server = Server::start(database, port).await;
    for n in 0..4 {
        for i in n * 1000..n * 1000 + 200 {
            assert!(
                post(&client, messages.clone(), &token, message(i))
                    .await
                    .is_some(),
                "retry of m-{i}"
            );
        }
    }
    let texts = transcript(&client, &server.base(), &chat, &token).await;
    let unique: HashSet<&str> = texts.iter().map(String::as_str).collect();
    assert_eq!(texts.len(), unique.len(), "no message twice");
    assert_eq!(texts.len(), 800, "every message once after the retries");
    for i in &acknowledged {
        assert!(
            unique.contains(format!("melding {i}").as_str()),
            "acknowledged m-{i} survived the kill"
        );
    }
}

#[tokio::test]
async fn a_killed_server_on_sqlite_loses_no_acknowledged_message_and_retries_add_none() {
    scenario(&samtale_testkit::sqlite_test_database().await).await;
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn a_killed_server_on_postgres_loses_no_acknowledged_message_and_retries_add_none() {
    let postgres = samtale_testkit::required_postgres_test_database().await;
    scenario(&postgres).await;
    postgres.drop_schema().await;
}
