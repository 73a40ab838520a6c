//! A surge: hundreds of customers waiting at once, each following their place in line.

use futures::future::join_all;
use futures::stream::{self, StreamExt};
use samtale_testkit::app::{SseStream, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

const WAITING: usize = 500;
/// Generous: a place is sent at most once a second, and the machine may be busy.
const WAIT: Duration = Duration::from_secs(30);

/// The next `queue` frame of a customer's stream, whatever came before it.
async fn next_place(stream: &mut SseStream) -> Value {
    let frames = stream.until("queue", WAIT).await.expect("a place arrives");
    frames.last().map(|f| f.data.clone()).unwrap_or_default()
}

#[tokio::test]
async fn with_500_waiting_one_pickup_gives_every_remaining_customer_their_new_place_once() {
    for app in TestApp::each_backend_with(|config| {
        config.rate_limits.chat_starts_per_minute = 10_000;
    })
    .await
    {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let started: Vec<(String, String)> = stream::iter(0..WAITING)
            .map(|n| {
                let app = &app;
                let billing = &centre.billing;
                async move { app.start_chat(billing, &format!("Kunde {n}")).await }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        // The line as the incoming list has it: arrival order, which the starts' concurrency
        // leaves to the server.
        let line: Vec<String> = app
            .get_ok("/chats/waiting", kari)
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["chat_id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(line.len(), WAITING, "{}", app.backend);
        let token_of = |chat: &str| {
            started
                .iter()
                .find(|(id, _)| id == chat)
                .map(|(_, token)| token.clone())
                .unwrap()
        };
        let mut streams = Vec::new();
        for chat in &line {
            let path = format!("/customer/chats/{chat}/events");
            streams.push(app.stream(&path, &token_of(chat), None).await);
        }
        let first: Vec<Value> = join_all(streams.iter_mut().map(next_place)).await;
        for (n, place) in first.iter().enumerate() {
            assert_eq!(place["queue_position"], n + 1, "{}: before", app.backend);
        }

        app.post_ok(&format!("/chats/{}/pickup", line[0]), kari, json!({}))
            .await;
        let after: Vec<Value> = join_all(streams.iter_mut().map(next_place)).await;
        assert_eq!(
            after[0]["queue_position"],
            Value::Null,
            "{}: the picked-up customer is out of line",
            app.backend
        );
        for (n, place) in after.iter().enumerate().skip(1) {
            assert_eq!(
                place["queue_position"], n,
                "{}: customer {n} after the pickup",
                app.backend
            );
        }

        // Once: had any customer been sent that place twice, the duplicate would come before
        // the place the next pickup gives them.
        app.post_ok(&format!("/chats/{}/pickup", line[1]), kari, json!({}))
            .await;
        let next: Vec<Value> = join_all(streams.iter_mut().skip(1).map(next_place)).await;
        assert_eq!(next[0]["queue_position"], Value::Null, "{}", app.backend);
        for (n, place) in next.iter().enumerate().skip(1) {
            assert_eq!(
                place["queue_position"],
                n,
                "{}: customer {} after the second pickup",
                app.backend,
                n + 1
            );
        }
        drop(streams);
        app.finish().await;
    }
}
