//! Automatic assignment: logged-in agents get chats by themselves, within their capacity,
//! fairly, in arrival order; one dispatcher across nodes.

use samtale_eventlog::LoggedEvent;
use samtale_testkit::app::TestApp;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

fn status(chat: &Value) -> &str {
    chat["status"].as_str().unwrap_or_default()
}

/// Runs a dispatcher round now and returns how many chats it assigned. The round first waits
/// for the read models to reach the log's end, so "nothing to assign" is decided on everything
/// written before this call, not on how far a background round happened to get.
async fn round_now(app: &TestApp) -> usize {
    samtale_service::dispatcher::dispatch_round(&app.app.state)
        .await
        .unwrap()
}

/// Every `ChatAssigned` in the log so far.
async fn assignments(app: &TestApp) -> Vec<LoggedEvent> {
    let log = app.app.state.live.log().clone();
    let events = samtale_eventlog::read_to_head(log.as_ref()).await.unwrap();
    events
        .into_iter()
        .filter(|e| e.event_type == "ChatAssigned")
        .collect()
}

#[tokio::test]
async fn a_logged_in_agent_gets_a_waiting_chat_by_routing() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let mut stream = app.stream("/events", &centre.kari.token, None).await;
        let (chat, _) = app.start_chat(&centre.billing, "Auto").await;
        assert_eq!(
            status(
                &app.get_ok(&format!("/chats/{chat}"), &centre.kari.token)
                    .await
            ),
            "waiting"
        );
        app.post_ok(
            "/me/presence",
            &centre.kari.token,
            json!({"logged_in": true}),
        )
        .await;
        let seen = stream
            .until("ChatAssigned", Duration::from_secs(10))
            .await
            .expect("an assignment");
        let assigned = &seen.last().unwrap().data["event"]["ChatAssigned"];
        assert_eq!(assigned["via"], "routing");
        assert_eq!(assigned["agent_id"], centre.kari.user_id.as_str());
        assert_eq!(assigned["by"]["kind"], "routing");
        app.finish().await;
    }
}

#[tokio::test]
async fn routing_never_exceeds_an_agents_capacity_and_keeps_arrival_order() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let capped = app
            .patch(
                &format!("/users/{}", centre.kari.user_id),
                &app.admin,
                json!({"max_concurrent_chats": 2}),
            )
            .await;
        assert!(capped.status().is_success());
        let mut chats = Vec::new();
        for i in 0..5 {
            chats.push(
                app.start_chat(&centre.billing, &format!("Kunde {i}"))
                    .await
                    .0,
            );
        }
        app.post_ok(
            "/me/presence",
            &centre.kari.token,
            json!({"logged_in": true}),
        )
        .await;
        let mine = app
            .eventually("/me/chats", &centre.kari.token, |m| {
                m["active"].as_array().unwrap().len() == 2
            })
            .await;
        let active: Vec<_> = mine["active"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["chat_id"].clone())
            .collect();
        assert_eq!(
            active,
            [json!(chats[0]), json!(chats[1])],
            "{}: the two oldest",
            app.backend
        );
        assert_eq!(
            round_now(&app).await,
            0,
            "{}: a full agent gets no more",
            app.backend
        );
        assert_eq!(
            app.get_ok("/me/chats", &centre.kari.token).await["active"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            app.get_ok("/chats/waiting", &centre.siri.token)
                .await
                .as_array()
                .unwrap()
                .len(),
            3
        );

        // Ending a chat frees a place: the next in line follows.
        app.post_ok(
            &format!("/chats/{}/end", chats[0]),
            &centre.kari.token,
            json!({}),
        )
        .await;
        let mine = app
            .eventually("/me/chats", &centre.kari.token, |m| {
                m["active"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["chat_id"] == chats[2].as_str())
            })
            .await;
        assert_eq!(mine["active"].as_array().unwrap().len(), 2);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_agent_with_fewest_chats_gets_the_next_one_and_logout_stops_assignment() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kaja = app.create_staff("kaja", "agent", &[&centre.support]).await;
        app.post_ok(
            "/me/presence",
            &centre.kari.token,
            json!({"logged_in": true}),
        )
        .await;
        let (first, _) = app.start_chat(&centre.billing, "Først").await;
        app.eventually(&format!("/chats/{first}"), &centre.siri.token, |c| {
            status(c) == "assigned"
        })
        .await;
        app.post_ok("/me/presence", &kaja.token, json!({"logged_in": true}))
            .await;
        let (second, _) = app.start_chat(&centre.billing, "Andre").await;
        let second = app
            .eventually(&format!("/chats/{second}"), &centre.siri.token, |c| {
                status(c) == "assigned"
            })
            .await;
        assert_eq!(
            second["agent_id"],
            kaja.user_id.as_str(),
            "{}: the idle agent",
            app.backend
        );

        for agent in [&centre.kari.token, &kaja.token] {
            app.post_ok("/me/presence", agent, json!({"logged_in": false}))
                .await;
        }
        let (third, _) = app.start_chat(&centre.billing, "Tredje").await;
        assert_eq!(
            round_now(&app).await,
            0,
            "{}: nobody logged in",
            app.backend
        );
        assert_eq!(
            status(
                &app.get_ok(&format!("/chats/{third}"), &centre.siri.token)
                    .await
            ),
            "waiting"
        );
        assert_eq!(
            app.get_ok("/me/chats", &centre.kari.token).await["active"]
                .as_array()
                .unwrap()
                .len(),
            1,
            "logging out keeps the chats one has"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn manual_pickup_racing_routing_assigns_each_chat_once() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kaja = app.create_staff("kaja", "agent", &[&centre.support]).await;
        app.post_ok(
            "/me/presence",
            &centre.kari.token,
            json!({"logged_in": true}),
        )
        .await;
        let mut chats = Vec::new();
        for i in 0..6 {
            let (chat, _) = app
                .start_chat(&centre.billing, &format!("Kappløp {i}"))
                .await;
            // Kaja, not logged in, grabs each chat by hand as routing tries to give it to Kari.
            let _ = app
                .post(&format!("/chats/{chat}/pickup"), &kaja.token, json!({}))
                .await;
            chats.push(chat);
        }
        for chat in &chats {
            app.eventually(&format!("/chats/{chat}"), &centre.siri.token, |c| {
                status(c) == "assigned"
            })
            .await;
        }
        let log = app.app.state.live.log().clone();
        let events = samtale_eventlog::read_to_head(log.as_ref()).await.unwrap();
        let mut assignments: HashMap<&str, usize> = HashMap::new();
        for event in events.iter().filter(|e| e.event_type == "ChatAssigned") {
            *assignments.entry(event.aggregate_id.as_str()).or_default() += 1;
        }
        for chat in &chats {
            assert_eq!(
                assignments.get(chat.as_str()),
                Some(&1),
                "{}: {chat} assigned once",
                app.backend
            );
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn a_waiting_customer_sees_their_place_move_up() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (ahead, _) = app.start_chat(&centre.billing, "Foran").await;
        let (chat, customer) = app.start_chat(&centre.billing, "Bak").await;
        let mut stream = app
            .stream(&format!("/customer/chats/{chat}/events"), &customer, None)
            .await;
        let first = stream
            .until("queue", Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(first.last().unwrap().data["queue_position"], 2);
        app.post_ok(
            &format!("/chats/{ahead}/pickup"),
            &centre.kari.token,
            json!({}),
        )
        .await;
        let next = stream
            .until("queue", Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(next.last().unwrap().data["queue_position"], 1);
        let view = app
            .get_ok(&format!("/customer/chats/{chat}"), &customer)
            .await;
        assert_eq!(view["queue_position"], 1);
        app.finish().await;
    }
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn two_nodes_one_dispatcher_and_failover() {
    let app = TestApp::shared_backend().await;
    let centre = app.centre().await;
    let agents = [
        &centre.kari,
        &app.create_staff("kaja", "agent", &[&centre.support]).await,
        &app.create_staff("knut", "agent", &[&centre.support]).await,
    ];
    for agent in agents {
        app.patch(
            &format!("/users/{}", agent.user_id),
            &app.admin,
            json!({"max_concurrent_chats": 3}),
        )
        .await;
        app.post_ok("/me/presence", &agent.token, json!({"logged_in": true}))
            .await;
    }
    // Node A alone: it is the dispatcher.
    let (warm, _) = app.start_chat(&centre.billing, "Oppvarming").await;
    app.eventually(&format!("/chats/{warm}"), &centre.siri.token, |c| {
        status(c) == "assigned"
    })
    .await;
    let (node_b, base_b) = app.second_node().await;

    // Many arrivals at once, through both nodes.
    let mut starts = Vec::new();
    for i in 0..12 {
        let base = if i % 2 == 0 {
            app.base.clone()
        } else {
            base_b.clone()
        };
        let client = app.client.clone();
        let category = centre.billing.clone();
        starts.push(tokio::spawn(async move {
            client
                .post(format!("{base}/customer/chats"))
                .json(&json!({"category_id": category, "name": format!("Mange {i}"), "fields": {"email": "a@b.no"}}))
                .send()
                .await
                .unwrap()
        }));
    }
    for start in starts {
        assert!(start.await.unwrap().status().is_success());
    }
    // Nine places (three agents of three), one taken by the warm-up chat: wait for them to
    // fill, then check that a round finds nothing more to do before counting.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while assignments(&app).await.len() < 9 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(round_now(&app).await, 0, "every agent is full");
    let events = assignments(&app).await;
    let mut per_chat: HashMap<&str, usize> = HashMap::new();
    let mut per_agent: HashMap<String, usize> = HashMap::new();
    for event in &events {
        *per_chat.entry(event.aggregate_id.as_str()).or_default() += 1;
        let agent = event.payload_value().unwrap()["ChatAssigned"]["agent_id"]
            .as_str()
            .unwrap()
            .to_string();
        *per_agent.entry(agent).or_default() += 1;
    }
    assert!(
        per_chat.values().all(|n| *n == 1),
        "never two assignments of one chat"
    );
    assert!(
        per_agent.values().all(|n| *n <= 3),
        "never above capacity: {per_agent:?}"
    );
    assert_eq!(per_agent.values().sum::<usize>(), 9, "every place filled");

    // Node A dies; node B takes over dispatching within five seconds.
    app.app.stop();
    let kari_b = |path: &str| format!("{base_b}{path}");
    let ended = app
        .client
        .post(kari_b(&format!("/chats/{warm}/end")))
        .bearer_auth(&centre.kari.token)
        .send()
        .await
        .unwrap();
    assert!(ended.status().is_success());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    let mut reassigned = false;
    while tokio::time::Instant::now() < deadline {
        let mine: Value = app
            .client
            .get(kari_b("/me/chats"))
            .bearer_auth(&centre.kari.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reassigned = mine["active"].as_array().unwrap().len() == 3;
        if reassigned {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        reassigned,
        "node B assigns the next waiting chat to the freed agent"
    );
    drop(node_b);
    app.finish().await;
}

#[tokio::test]
async fn a_customer_left_waiting_is_told_once_in_each_queue_nobody_is_logged_in_to() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        for queue in [&centre.support, &centre.sales] {
            let configured = app
                .patch(
                    &format!("/queues/{queue}"),
                    &app.admin,
                    json!({"no_agent_notice_after_seconds": 1}),
                )
                .await;
            assert!(configured.status().is_success());
        }
        let notices = |view: &Value| {
            view["transcript"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|line| line["notice"] == "no_agents_available")
                .count()
        };
        let (chat, customer) = app.start_chat(&centre.billing, "Alene").await;
        let path = format!("/customer/chats/{chat}");
        app.eventually(&path, &customer, |c| notices(c) == 1).await;
        app.post_ok(
            &format!("/chats/{chat}/transfer"),
            &centre.siri.token,
            json!({"queue_id": centre.sales}),
        )
        .await;
        app.eventually(&path, &customer, |c| notices(c) == 2).await;
        // Rounds go on, every second at least, and pass the told chat by.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let view = app.get_ok(&path, &customer).await;
        assert_eq!(notices(&view), 2, "{}: once per queue", app.backend);
        assert_eq!(status(&view), "waiting");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_customer_waiting_with_no_agent_logged_in_is_told_and_overflows() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let configured = app
            .patch(
                &format!("/queues/{}", centre.support),
                &app.admin,
                json!({"no_agent_notice_after_seconds": 1, "overflow_queue_id": centre.sales}),
            )
            .await;
        assert!(configured.status().is_success());
        let (chat, customer) = app.start_chat(&centre.billing, "Alene").await;
        let view = app
            .eventually(&format!("/customer/chats/{chat}"), &customer, |c| {
                c["queue_id"] == centre.sales.as_str()
            })
            .await;
        assert_eq!(
            view["queue_id"],
            centre.sales.as_str(),
            "{}: overflowed",
            app.backend
        );
        let transcript = view["transcript"].as_array().unwrap();
        assert_eq!(transcript.len(), 1, "told once");
        assert_eq!(transcript[0]["author_kind"], "system");
        assert_eq!(
            transcript[0]["notice"], "no_agents_available",
            "what happened, for the widget to word"
        );
        // Ola, logged in to the overflow queue, gets it.
        app.post_ok(
            "/me/presence",
            &centre.ola.token,
            json!({"logged_in": true}),
        )
        .await;
        let view = app
            .eventually(&format!("/customer/chats/{chat}"), &customer, |c| {
                status(c) == "assigned"
            })
            .await;
        assert_eq!(view["agent_id"], centre.ola.user_id.as_str());

        let itself = app
            .patch(
                &format!("/queues/{}", centre.sales),
                &app.admin,
                json!({"overflow_queue_id": centre.sales}),
            )
            .await;
        assert_eq!(itself.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        app.finish().await;
    }
}
