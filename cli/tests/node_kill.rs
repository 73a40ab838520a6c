//! Two nodes on one PostgreSQL, one of them killed with SIGKILL: customers and agents on the
//! other carry on, and automatic assignment moves to the surviving node. Runs when
//! SAMTALE_TEST_POSTGRES_URL is set (as in CI); SQLite is a single node by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::Client;
use samtale_client::api::Api;
use samtale_client::sse_client::SseStream;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::{free_port, Server, PASSWORD};

const WAIT: Duration = Duration::from_secs(10);

/// Reads `stream` until an event of `kind` about `chat` arrives; its payload, or `None` if
/// none does in time.
async fn wait_for(stream: &mut SseStream, kind: &str, chat: &str) -> Option<Value> {
    let deadline = Instant::now() + WAIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let event = stream.next(left).await?;
        if event.event == kind && event.data["chat_id"] == chat {
            return Some(event.data["event"][kind].clone());
        }
    }
    None
}

/// Reads `stream` until the message `text` arrives in `chat`.
async fn wait_for_message(stream: &mut SseStream, chat: &str, text: &str) -> bool {
    while let Some(message) = wait_for(stream, "MessageSent", chat).await {
        if message["text"] == text {
            return true;
        }
    }
    false
}

async fn start_chat(api: &Api, queue_id: &str, name: &str) -> (String, String) {
    let started = api
        .post(
            "/customer/chats",
            "",
            json!({"queue_id": queue_id, "name": name, "fields": {}}),
        )
        .await
        .unwrap();
    (
        started["chat_id"].as_str().unwrap().to_string(),
        started["customer_token"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn when_one_of_two_nodes_is_killed_the_other_carries_on_and_takes_over_assignment() {
    let postgres = samtale_testkit::required_postgres_test_database().await;
    // The node started first takes the dispatcher's lock.
    let mut doomed = Server::start(&postgres, free_port()).await;
    let survivor = Server::start(&postgres, free_port()).await;
    let on_doomed = Api {
        client: Client::new(),
        base: doomed.root(),
    };
    let api = Api {
        client: Client::new(),
        base: survivor.root(),
    };
    let staffed = api.staffed_queue(PASSWORD, "Node", 1).await.unwrap();
    let (agent_id, agent) = &staffed.agents[0];
    let mut agent_stream = api.stream("/events", agent).await.unwrap();
    api.post("/me/presence", agent, json!({"logged_in": true}))
        .await
        .unwrap();

    // Before the kill: a customer on the doomed node, assigned to the agent on the survivor.
    let (early, early_token) = start_chat(&on_doomed, &staffed.queue_id, "Tidlig").await;
    let assigned = wait_for(&mut agent_stream, "ChatAssigned", &early).await;
    assert_eq!(
        assigned.expect("the early chat is assigned")["agent_id"],
        agent_id.as_str()
    );

    doomed.kill();
    let killed = Instant::now();

    // The early customer reconnects to the survivor and the conversation goes on.
    let mut early_stream = api
        .stream(&format!("/customer/chats/{early}/events"), &early_token)
        .await
        .unwrap();
    api.post(
        &format!("/customer/chats/{early}/messages"),
        &early_token,
        json!({"text": "Er dere der fortsatt?"}),
    )
    .await
    .unwrap();
    assert!(
        wait_for_message(&mut agent_stream, &early, "Er dere der fortsatt?").await,
        "the agent gets the message"
    );
    api.post(
        &format!("/chats/{early}/messages"),
        agent,
        json!({"text": "Ja, vi er her."}),
    )
    .await
    .unwrap();
    assert!(
        wait_for_message(&mut early_stream, &early, "Ja, vi er her.").await,
        "the customer gets the reply"
    );

    // A customer arriving after the kill is assigned: the survivor now dispatches.
    let (late, _) = start_chat(&api, &staffed.queue_id, "Sein").await;
    let assigned = wait_for(&mut agent_stream, "ChatAssigned", &late).await;
    assert_eq!(
        assigned.expect("the survivor takes over assignment")["by"]["kind"],
        "routing"
    );
    eprintln!(
        "a chat started after the kill was assigned {:?} after it",
        killed.elapsed()
    );
    drop(survivor);
    postgres.drop_schema().await;
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn an_offer_made_by_a_dispatcher_that_is_killed_runs_out_on_the_other_node_once() {
    let postgres = samtale_testkit::required_postgres_test_database().await;
    // The node started first takes the dispatcher's lock and makes the offer.
    let mut doomed = Server::start(&postgres, free_port()).await;
    let survivor = Server::start(&postgres, free_port()).await;
    let api = Api {
        client: Client::new(),
        base: survivor.root(),
    };
    let staffed = api.staffed_queue(PASSWORD, "Offer", 2).await.unwrap();
    api.call(
        reqwest::Method::PATCH,
        &format!("/queues/{}", staffed.queue_id),
        &staffed.admin,
        Some(json!({"offer_timeout_seconds": 5})),
    )
    .await
    .unwrap();
    let (first_id, first) = &staffed.agents[0];
    let (second_id, second) = &staffed.agents[1];
    let mut first_stream = api.stream("/events", first).await.unwrap();
    let mut second_stream = api.stream("/events", second).await.unwrap();
    api.post("/me/presence", first, json!({"logged_in": true}))
        .await
        .unwrap();
    let (chat, _) = start_chat(&api, &staffed.queue_id, "Ringer").await;
    let offered = wait_for(&mut first_stream, "ChatOffered", &chat).await;
    assert_eq!(
        offered.expect("the chat is offered")["agent_id"],
        first_id.as_str()
    );

    // The dispatcher dies with the offer open; the agent it went to never answers.
    doomed.kill();
    api.post("/me/presence", second, json!({"logged_in": true}))
        .await
        .unwrap();
    // The second agent's stream shows the chat's events, the first offer among them.
    let mut next = None;
    while let Some(offer) = wait_for(&mut second_stream, "ChatOffered", &chat).await {
        if offer["agent_id"] == second_id.as_str() {
            next = Some(offer);
            break;
        }
    }
    assert!(
        next.is_some(),
        "the survivor withdraws the offer and offers it on"
    );
    let presence = api.get("/me/presence", first).await.unwrap();
    assert_eq!(presence["paused_reason"], "no_answer");
    let audit = api
        .get(&format!("/chats/{chat}/audit"), &staffed.admin)
        .await
        .unwrap();
    let expiries = audit
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["type"] == "OfferExpired")
                .count()
        })
        .unwrap_or_default();
    assert_eq!(expiries, 1, "the offer ran out once: {audit}");
    drop(survivor);
    postgres.drop_schema().await;
}
