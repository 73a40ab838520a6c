//! PostgreSQL stopped and started again while customers send: requests fail fast with 503
//! meanwhile, the service recovers by itself, and nothing acknowledged is lost or doubled.
//!
//! This stops the machine's own PostgreSQL cluster (`pg_ctlcluster`), so it lives in a test
//! binary of its own: cargo runs test binaries one after another, and no other test shares
//! the outage. It runs when SAMTALE_TEST_POSTGRES_URL is set (as in CI).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::{Client, StatusCode};
use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{free_port, message, post, post_within, reached, transcript, waiting_chat, Server};

/// How long the database stays down.
const OUTAGE: Duration = Duration::from_secs(5);
/// "Fail fast": a request during the outage is answered within this.
const FAST: Duration = Duration::from_secs(5);

/// The machine's PostgreSQL cluster, controlled as its administrator would.
struct Cluster {
    version: String,
}

impl Cluster {
    fn local() -> Self {
        let version = std::fs::read_dir("/etc/postgresql")
            .expect("a Debian PostgreSQL cluster")
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .next()
            .expect("a PostgreSQL version directory");
        Self { version }
    }

    fn run(&self, action: &str) {
        let status = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &self.version, "main", action])
            .args(if action == "stop" {
                &["-m", "fast"][..]
            } else {
                &[]
            })
            .status()
            .expect("pg_ctlcluster runs");
        assert!(status.success(), "pg_ctlcluster {action}");
    }
}

/// Starts the cluster again when dropped, so a failing assertion never leaves it down.
struct Outage(Cluster);

impl Outage {
    fn begin() -> Self {
        let cluster = Cluster::local();
        cluster.run("stop");
        Outage(cluster)
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        self.0.run("start");
    }
}

/// What one send saw: its message number, its status (`None`: no answer in time), how long.
type Outcome = (usize, Option<StatusCode>, Duration);

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn a_postgres_restart_fails_requests_fast_and_loses_nothing_acknowledged() {
    let postgres = samtale_testkit::required_postgres_test_database().await;
    let server = Server::start(&postgres, free_port()).await;
    let client = Client::new();
    let base = server.base();
    let (chat, token) = waiting_chat(&client, &base).await;
    let messages = format!("{base}/customer/chats/{chat}/messages");

    // Two customers send without pause through the whole outage.
    let sending = Arc::new(AtomicBool::new(true));
    let acked = Arc::new(AtomicUsize::new(0));
    let sender = |from: usize| {
        let (client, messages, token, sending, acked) = (
            client.clone(),
            messages.clone(),
            token.clone(),
            sending.clone(),
            acked.clone(),
        );
        tokio::spawn(async move {
            let mut outcomes: Vec<Outcome> = Vec::new();
            let mut i = from;
            while sending.load(Ordering::Relaxed) {
                let started = Instant::now();
                let answer =
                    post_within(FAST * 2, &client, messages.clone(), &token, message(i)).await;
                let status = answer.map(|(status, _)| status);
                outcomes.push((i, status, started.elapsed()));
                if status.is_some_and(|s| s.is_success()) {
                    acked.fetch_add(1, Ordering::Relaxed);
                } else {
                    // A client told "unavailable" backs off a little, as Retry-After asks.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                i += 1;
            }
            outcomes
        })
    };
    let senders = [sender(0), sender(1_000_000)];
    // Stop the database only once sends are being acknowledged, so the test proves that
    // messages acknowledged before the outage survive it.
    assert!(
        reached(&acked, 20, Duration::from_secs(30)).await,
        "the senders got going"
    );

    let outage = tokio::task::spawn_blocking(Outage::begin).await.unwrap();
    tokio::time::sleep(OUTAGE).await;
    tokio::task::spawn_blocking(move || drop(outage))
        .await
        .unwrap();
    let restarted = Instant::now();

    // The service recovers by itself: a send succeeds again without anyone touching it.
    let mut recovered = None;
    while restarted.elapsed() < Duration::from_secs(30) {
        if post(&client, messages.clone(), &token, message(2_000_000))
            .await
            .is_some()
        {
            recovered = Some(restarted.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let recovered = recovered.expect("the service recovers within 30 s of the restart");
    sending.store(false, Ordering::Relaxed);
    let mut outcomes = Vec::new();
    for sender in senders {
        outcomes.extend(sender.await.unwrap());
    }
    let refusals: Vec<Duration> = outcomes
        .iter()
        .filter(|(_, status, _)| *status == Some(StatusCode::SERVICE_UNAVAILABLE))
        .map(|(_, _, took)| *took)
        .collect();
    eprintln!(
        "{} sends, {} refused with 503 (slowest refusal {:?}); recovered {recovered:?} after the restart",
        outcomes.len(),
        refusals.len(),
        refusals.iter().max(),
    );
    for (i, status, took) in &outcomes {
        assert!(
            status.is_some(),
            "send {i} got no answer within {:?}",
            FAST * 2
        );
        let status = status.unwrap();
        assert!(
            status.is_success() || status == StatusCode::SERVICE_UNAVAILABLE,
            "send {i}: {status}, not a success or 503"
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(*took <= FAST, "send {i} took {took:?} to be refused");
        }
    }
    // Refused at once, again and again, rather than each request hanging through the outage.
    assert!(
        refusals.len() >= 10,
        "the API kept answering through the outage: {} refusals",
        refusals.len()
    );

    // Every client retries everything it sent, with the same ids: nothing acknowledged is
    // missing and nothing appears twice.
    let acknowledged: HashSet<usize> = outcomes
        .iter()
        .filter(|(_, status, _)| status.is_some_and(|s| s.is_success()))
        .map(|(i, _, _)| *i)
        .collect();
    let mut sent: Vec<usize> = outcomes.iter().map(|(i, _, _)| *i).collect();
    sent.push(2_000_000);
    for i in &sent {
        assert!(
            post(&client, messages.clone(), &token, message(*i))
                .await
                .is_some(),
            "retry of m-{i}"
        );
    }
    let texts = transcript(&client, &base, &chat, &token).await;
    let unique: HashSet<&str> = texts.iter().map(String::as_str).collect();
    assert_eq!(texts.len(), unique.len(), "no message twice");
    assert_eq!(
        texts.len(),
        sent.len(),
        "every message once after the retries"
    );
    for i in &acknowledged {
        assert!(
            unique.contains(format!("melding {i}").as_str()),
            "acknowledged m-{i} survived the restart"
        );
    }
    drop(server);
    postgres.drop_schema().await;
}
