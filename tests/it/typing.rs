//! Typing signals: the customer sees the agent typing and the agent the customer, on every
//! node; nobody else does, nothing is stored, and a flood is refused.

use samtale_testkit::app::{SseStream, TestApp};
use serde_json::json;
use std::time::Duration;

/// The typing frames `stream` carries in the next moment, as (side, name, typing).
async fn typing_seen(stream: &mut SseStream) -> Vec<(String, String, bool)> {
    let mut seen = Vec::new();
    while let Some(event) = stream.next(Duration::from_millis(800)).await {
        if event.event == "typing" {
            seen.push((
                event.data["side"].as_str().unwrap_or_default().to_string(),
                event.data["name"].as_str().unwrap_or_default().to_string(),
                event.data["typing"].as_bool().unwrap_or_default(),
            ));
        }
    }
    seen
}

#[tokio::test]
async fn each_side_sees_the_other_typing_and_nobody_else_does() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Kunde", kari).await;
        let mut customer_stream = app
            .stream(&format!("/customer/chats/{chat}/events"), &customer, None)
            .await;
        let mut kari_stream = app.stream("/events", kari, None).await;
        let mut ola_stream = app.stream("/events", &centre.ola.token, None).await;
        let events = app.event_count().await;

        let signal = |typing: bool| json!({"typing": typing});
        let sent = app
            .post(
                &format!("/customer/chats/{chat}/typing"),
                &customer,
                signal(true),
            )
            .await;
        assert_eq!(sent.status(), 204, "{}", app.backend);
        assert_eq!(
            typing_seen(&mut kari_stream).await,
            [("customer".to_string(), String::new(), true)],
            "{}",
            app.backend
        );
        let sent = app
            .post(&format!("/chats/{chat}/typing"), kari, signal(false))
            .await;
        assert_eq!(sent.status(), 204);
        assert_eq!(
            typing_seen(&mut customer_stream).await,
            [("agent".to_string(), "kari".to_string(), false)],
            "{}: the customer sees the agent, not herself",
            app.backend
        );
        assert!(
            typing_seen(&mut ola_stream).await.is_empty(),
            "another queue's agent"
        );
        assert_eq!(
            app.event_count().await,
            events,
            "{}: nothing in the log",
            app.backend
        );

        // Ola cannot type in Kari's chat; bad input is refused; a flood is cut off.
        let ola = app
            .post(
                &format!("/chats/{chat}/typing"),
                &centre.ola.token,
                signal(true),
            )
            .await;
        assert_eq!(ola.status(), 404);
        let bad = app
            .post(
                &format!("/customer/chats/{chat}/typing"),
                &customer,
                json!({"typing": "yes"}),
            )
            .await;
        assert_eq!(bad.status(), 422);
        let mut statuses = Vec::new();
        for _ in 0..70 {
            let response = app
                .post(
                    &format!("/customer/chats/{chat}/typing"),
                    &customer,
                    signal(true),
                )
                .await;
            statuses.push(response.status().as_u16());
        }
        assert!(statuses.contains(&429), "{}: {statuses:?}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn a_signal_sent_to_one_node_reaches_a_stream_on_another() {
    let app = TestApp::shared_backend().await;
    let centre = app.centre().await;
    let kari = &centre.kari.token;
    let (chat, customer) = app.picked_up_chat(&centre.billing, "Kunde", kari).await;
    let (_node_b, base_b) = app.second_node().await;
    let response = reqwest::Client::new()
        .get(format!("{base_b}/customer/chats/{chat}/events"))
        .bearer_auth(&customer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut on_b = SseStream::new(response);
    app.post_ok(
        &format!("/chats/{chat}/typing"),
        kari,
        json!({"typing": true}),
    )
    .await;
    assert_eq!(
        typing_seen(&mut on_b).await,
        [("agent".to_string(), "kari".to_string(), true)]
    );
    app.finish().await;
}

#[tokio::test]
async fn with_sneak_peek_the_agent_sees_the_unsent_text_and_the_widget_is_told() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Kunde", kari).await;
        let typing = format!("/customer/chats/{chat}/typing");
        let peek = json!({"typing": true, "text": "Jeg lurer på om"});
        let refused = app.post(&typing, &customer, peek.clone()).await;
        assert_eq!(
            refused.status(),
            422,
            "{}: no sneak peek in Support yet",
            app.backend
        );

        let configured = app
            .patch(
                &format!("/queues/{}", centre.support),
                &app.admin,
                json!({"sneak_peek": true}),
            )
            .await;
        assert_eq!(configured.status(), 200);
        let config = app.get_ok("/widget/config", "").await;
        let support = config["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["queue_id"] == centre.support.as_str())
            .unwrap();
        assert_eq!(support["sneak_peek"], true, "{config}");

        let mut kari_stream = app.stream("/events", kari, None).await;
        let events = app.event_count().await;
        let sent = app.post(&typing, &customer, peek).await;
        assert_eq!(sent.status(), 204, "{}", app.backend);
        let mut peeked = None;
        while let Some(event) = kari_stream.next(Duration::from_millis(800)).await {
            if event.event == "typing" {
                peeked = event.data["text"].as_str().map(str::to_string);
            }
        }
        assert_eq!(
            peeked.as_deref(),
            Some("Jeg lurer på om"),
            "{}",
            app.backend
        );
        assert_eq!(app.event_count().await, events, "never in the log");
        // The agent's own signal carries no text.
        let agent_text = app
            .post(
                &format!("/chats/{chat}/typing"),
                kari,
                json!({"typing": true, "text": "x"}),
            )
            .await;
        assert_eq!(agent_text.status(), 422);
        app.finish().await;
    }
}
