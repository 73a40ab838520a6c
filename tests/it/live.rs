//! The live streams: what each audience sees, resuming with Last-Event-ID, hostile text.

use reqwest::StatusCode;
use samtale_testkit::app::TestApp;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_customer_message_reaches_the_agent_stream_and_the_reply_the_customer_stream() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let mut agent = app.stream("/events", &centre.kari.token, None).await;
        let (chat, customer) = app.start_chat(&centre.billing, "Strøm").await;
        let requested = agent
            .until("ChatRequested", WAIT)
            .await
            .expect("the request arrives");
        assert_eq!(requested.last().unwrap().data["chat_id"], chat.as_str());

        let mut customer_stream = app
            .stream(&format!("/customer/chats/{chat}/events"), &customer, None)
            .await;
        let queue = customer_stream.until("queue", WAIT).await.unwrap();
        assert_eq!(queue.last().unwrap().data["queue_position"], 1);

        app.post_ok(
            &format!("/chats/{chat}/pickup"),
            &centre.kari.token,
            json!({}),
        )
        .await;
        let hostile = "line one\r\nid: 999\n\nevent: forged\rdata: {}";
        app.post_ok(
            &format!("/customer/chats/{chat}/messages"),
            &customer,
            json!({"text": hostile}),
        )
        .await;
        let seen = agent.until("MessageSent", WAIT).await.unwrap();
        let message = seen.last().unwrap();
        assert_eq!(
            message.data["event"]["MessageSent"]["text"], hostile,
            "text arrives intact in data"
        );
        assert!(
            message.id.as_ref().unwrap().parse::<i64>().is_ok(),
            "ids are log positions"
        );

        app.post_ok(
            &format!("/chats/{chat}/messages"),
            &centre.kari.token,
            json!({"text": "Hei!"}),
        )
        .await;
        let mut to_customer = Vec::new();
        while !to_customer
            .iter()
            .any(|e: &samtale_testkit::app::SseEvent| {
                e.data["event"]["MessageSent"]["text"] == "Hei!"
            })
        {
            to_customer.extend(
                customer_stream
                    .until("MessageSent", WAIT)
                    .await
                    .expect("the reply"),
            );
        }
        assert!(
            to_customer.iter().all(|e| e.event != "board"),
            "customers get no board"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn an_agent_stream_carries_nothing_from_other_queues() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let mut ola = app.stream("/events", &centre.ola.token, None).await;
        let (other, _) = app.start_chat(&centre.billing, "Support-kunde").await;
        let (mine, _) = app.start_chat(&centre.offers, "Salgs-kunde").await;
        let seen = ola.until("ChatRequested", WAIT).await.unwrap();
        let chats: Vec<_> = seen
            .iter()
            .filter_map(|e| e.data["chat_id"].as_str())
            .collect();
        assert_eq!(chats, [mine.as_str()]);
        assert!(!chats.contains(&other.as_str()));
        app.finish().await;
    }
}

#[tokio::test]
async fn an_agent_follows_waiting_chats_and_their_own_conversations_not_a_colleagues() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let per = app.create_staff("per", "agent", &[&centre.support]).await;
        let mut per_stream = app.stream("/events", &per.token, None).await;
        let mut supervisor = app.stream("/events", &centre.siri.token, None).await;
        let (chat, customer) = app.start_chat(&centre.billing, "Kunde").await;
        let say = |text: &'static str| {
            let (app, chat, customer) = (&app, &chat, &customer);
            async move {
                app.post_ok(
                    &format!("/customer/chats/{chat}/messages"),
                    customer,
                    json!({ "text": text }),
                )
                .await;
            }
        };
        say("while waiting").await;
        app.post_ok(
            &format!("/chats/{chat}/pickup"),
            &centre.kari.token,
            json!({}),
        )
        .await;
        say("to kari only").await;
        // Something per must see, to know the stream has passed the message.
        app.start_chat(&centre.billing, "Neste kunde").await;

        let texts = |events: &[samtale_testkit::app::SseEvent]| -> Vec<String> {
            events
                .iter()
                .filter_map(|e| e.data["event"]["MessageSent"]["text"].as_str())
                .map(str::to_string)
                .collect()
        };
        let per_saw = per_stream.until("ChatRequested", WAIT).await.unwrap();
        assert_eq!(per_saw.last().unwrap().data["chat_id"], chat.as_str());
        let per_saw = per_stream.until("ChatRequested", WAIT).await.unwrap();
        assert_eq!(texts(&per_saw), ["while waiting"]);
        assert!(
            per_saw.iter().any(|e| e.event == "ChatAssigned"),
            "the chat leaving the queue is news to every member"
        );

        let mut supervisor_saw = Vec::new();
        for _ in 0..2 {
            supervisor_saw.extend(supervisor.until("ChatRequested", WAIT).await.unwrap());
        }
        assert_eq!(texts(&supervisor_saw), ["while waiting", "to kari only"]);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_reconnecting_client_gets_exactly_the_events_it_missed() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app
            .picked_up_chat(&centre.billing, "Resume", &centre.kari.token)
            .await;
        let path = format!("/customer/chats/{chat}/messages");
        app.post_ok(&path, &customer, json!({"text": "first"}))
            .await;

        let mut first = app.stream("/events", &centre.kari.token, None).await;
        app.post_ok(&path, &customer, json!({"text": "second"}))
            .await;
        // "first" may still be on its way to the live feed as the stream opens: resume after
        // "second", whatever came before it.
        let last_id = loop {
            let event = first.next(WAIT).await.expect("the second message");
            if event.data["event"]["MessageSent"]["text"] == "second" {
                break event.id.unwrap();
            }
        };
        drop(first);

        for text in ["third", "fourth", "fifth"] {
            app.post_ok(&path, &customer, json!({"text": text})).await;
        }
        let mut resumed = app
            .stream("/events", &centre.kari.token, Some(&last_id))
            .await;
        let mut texts = Vec::new();
        while texts.len() < 3 {
            let event = resumed.next(WAIT).await.expect("the missed events");
            if event.event == "MessageSent" {
                texts.push(
                    event.data["event"]["MessageSent"]["text"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                );
            }
        }
        assert_eq!(texts, ["third", "fourth", "fifth"], "{}", app.backend);
        // And nothing more arrives twice: the next message is the next one.
        app.post_ok(&path, &customer, json!({"text": "sixth"}))
            .await;
        let next = resumed.until("MessageSent", WAIT).await.unwrap();
        assert_eq!(
            next.last().unwrap().data["event"]["MessageSent"]["text"],
            "sixth"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_malformed_last_event_id_is_refused_and_an_unknown_one_resyncs() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let malformed = app
            .request(reqwest::Method::GET, "/events", &centre.kari.token)
            .header("Last-Event-ID", "12; DROP TABLE events")
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
        let mut stream = app
            .stream("/events", &centre.kari.token, Some("999999999"))
            .await;
        assert_eq!(stream.next(WAIT).await.unwrap().event, "resync");
        app.finish().await;
    }
}

#[tokio::test]
async fn logging_out_ends_the_open_stream() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let mut stream = app.stream("/events", &centre.kari.token, None).await;
        assert_eq!(stream.next(WAIT).await.unwrap().event, "board");
        app.post("/auth/logout", &centre.kari.token, json!({}))
            .await;
        let mut ended = false;
        for _ in 0..10 {
            if stream.next(Duration::from_secs(5)).await.is_none() {
                ended = true;
                break;
            }
        }
        assert!(ended, "the stream ends after logout");
        app.finish().await;
    }
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn a_message_sent_through_one_node_reaches_a_stream_on_another() {
    let app = TestApp::shared_backend().await;
    let centre = app.centre().await;
    let (_node_b, base_b) = app.second_node().await;
    let response = app
        .client
        .get(format!("{base_b}/events"))
        .bearer_auth(&centre.kari.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut on_b = samtale_testkit::app::SseStream::new(response);
    let (chat, customer) = app
        .picked_up_chat(&centre.billing, "To noder", &centre.kari.token)
        .await;
    app.post_ok(
        &format!("/customer/chats/{chat}/messages"),
        &customer,
        json!({"text": "via A"}),
    )
    .await;
    let seen = on_b
        .until("MessageSent", WAIT)
        .await
        .expect("node B streams node A's message");
    assert_eq!(
        seen.last().unwrap().data["event"]["MessageSent"]["text"],
        "via A"
    );
    // And node B's read models show it too.
    let view = app
        .client
        .get(format!("{base_b}/chats/{chat}"))
        .bearer_auth(&centre.kari.token)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(view["transcript"][0]["text"], "via A");
    app.finish().await;
}
