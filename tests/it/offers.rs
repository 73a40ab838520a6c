//! Offers (ring-no-answer), and the way back to the queue. In a queue with an offer timeout,
//! routing offers a waiting chat to one agent, who accepts, answers or declines it; one who
//! lets it run out is paused, and the chat goes to the next agent in its place. Manual pickup
//! is as it was. A chat whose agent leaves (puts it back, signs out, is deactivated) waits in
//! its place again.

use samtale_api::config::RoutingConfig;
use samtale_testkit::app::{Staff, TestApp};
use serde_json::{json, Value};

/// Turns offers on in `queue`, for `seconds`.
async fn offer_for(app: &TestApp, queue: &str, seconds: u32) {
    let queue = app
        .patch(
            &format!("/queues/{queue}"),
            &app.admin,
            json!({"offer_timeout_seconds": seconds}),
        )
        .await;
    assert_eq!(queue.status(), 200, "{}", app.backend);
}

async fn log_in(app: &TestApp, agent: &Staff) {
    app.post_ok("/me/presence", &agent.token, json!({"logged_in": true}))
        .await;
}

/// The chat ids in one of the agent's lists (`offered`, `active`, `passive`).
fn ids(chats: &Value, list: &str) -> Vec<String> {
    chats[list]
        .as_array()
        .map(|chats| {
            chats
                .iter()
                .filter_map(|c| c["chat_id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until `chat` is offered to `agent`; their chat lists then.
async fn offered_to(app: &TestApp, agent: &Staff, chat: &str) -> Value {
    let chats = app
        .eventually("/me/chats", &agent.token, |m| {
            ids(m, "offered").contains(&chat.to_string())
        })
        .await;
    assert!(
        ids(&chats, "offered").contains(&chat.to_string()),
        "{}: offered to the agent: {chats}",
        app.backend
    );
    chats
}

/// The events of one type in the log, as (aggregate id, payload).
async fn logged(app: &TestApp, event_type: &str) -> Vec<(String, Value)> {
    let log = app.app.state.live.log().clone();
    samtale_eventlog::read_to_head(log.as_ref())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == event_type)
        .map(|e| {
            let payload: Value = serde_json::from_str(e.payload.get()).unwrap();
            (e.aggregate_id, payload[event_type].clone())
        })
        .collect()
}

#[tokio::test]
async fn a_routed_chat_is_offered_and_becomes_the_agents_when_they_accept() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        offer_for(&app, &centre.support, 30).await;
        log_in(&app, &centre.kari).await;
        let (chat, customer) = app.start_chat(&centre.billing, "Tilbud").await;

        let chats = offered_to(&app, &centre.kari, &chat).await;
        assert!(chats["offered"][0]["offer_expires_at"].is_string());
        // Offered is still waiting: the customer keeps their place, nobody has the chat yet.
        let seen = app
            .get_ok(&format!("/customer/chats/{chat}"), &customer)
            .await;
        assert_eq!(seen["status"], "waiting", "{}", app.backend);

        let accepted = app
            .post_ok(
                &format!("/chats/{chat}/accept"),
                &centre.kari.token,
                json!({}),
            )
            .await;
        assert_eq!(accepted["status"], "assigned", "{}", app.backend);
        assert_eq!(accepted["agent_id"], centre.kari.user_id.as_str());
        let chats = app.get_ok("/me/chats", &centre.kari.token).await;
        assert_eq!(ids(&chats, "active"), vec![chat.clone()]);
        assert!(ids(&chats, "offered").is_empty());
        // A retried accept is answered as the first was.
        let again = app
            .post_ok(
                &format!("/chats/{chat}/accept"),
                &centre.kari.token,
                json!({}),
            )
            .await;
        assert_eq!(again["status"], "assigned");
        let offers = logged(&app, "ChatOffered").await;
        assert_eq!(offers.len(), 1, "{}: one offer", app.backend);
        assert_eq!(offers[0].1["agent_id"], centre.kari.user_id.as_str());
        app.finish().await;
    }
}

#[tokio::test]
async fn answering_an_offered_chat_accepts_it() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        offer_for(&app, &centre.support, 30).await;
        log_in(&app, &centre.kari).await;
        let (chat, _) = app.start_chat(&centre.billing, "Svar").await;
        offered_to(&app, &centre.kari, &chat).await;
        app.post_ok(
            &format!("/chats/{chat}/messages"),
            &centre.kari.token,
            json!({"text": "Hei, jeg hjelper deg."}),
        )
        .await;
        let detail = app
            .get_ok(&format!("/chats/{chat}"), &centre.kari.token)
            .await;
        assert_eq!(detail["status"], "assigned", "{}", app.backend);
        assert_eq!(detail["agent_id"], centre.kari.user_id.as_str());
        app.finish().await;
    }
}

#[tokio::test]
async fn a_declined_offer_goes_to_the_next_agent_and_keeps_its_place() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let per = app.create_staff("per", "agent", &[&centre.support]).await;
        offer_for(&app, &centre.support, 30).await;
        log_in(&app, &centre.kari).await;
        let (first, _) = app.start_chat(&centre.billing, "Først").await;
        offered_to(&app, &centre.kari, &first).await;
        log_in(&app, &per).await;
        let (second, _) = app.start_chat(&centre.billing, "Andre").await;
        offered_to(&app, &per, &second).await;

        // Per takes the one offered to him; Kari turns hers down: it goes to Per, ahead of
        // any chat that came after it.
        app.post_ok(&format!("/chats/{second}/accept"), &per.token, json!({}))
            .await;
        let declined = app
            .post(
                &format!("/chats/{first}/decline"),
                &centre.kari.token,
                json!({}),
            )
            .await;
        assert_eq!(declined.status(), 204, "{}", app.backend);
        offered_to(&app, &per, &first).await;
        let kari = app.get_ok("/me/chats", &centre.kari.token).await;
        assert!(ids(&kari, "offered").is_empty(), "{}: {kari}", app.backend);
        // Declining is not letting it run out: Kari is not paused.
        let presence = app.get_ok("/me/presence", &centre.kari.token).await;
        assert_eq!(presence["paused_reason"], Value::Null, "{}", app.backend);

        // Only the agent it is offered to may accept or decline it.
        for action in ["accept", "decline"] {
            let refused = app
                .post(
                    &format!("/chats/{first}/{action}"),
                    &centre.kari.token,
                    json!({}),
                )
                .await;
            assert_eq!(refused.status(), 409, "{}: {action}", app.backend);
            let problem: Value = refused.json().await.unwrap();
            assert_eq!(
                problem["type"],
                "https://samtale.dev/problems/chat-not-offered"
            );
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn an_offer_left_unanswered_runs_out_pauses_the_agent_and_goes_to_the_next() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let per = app.create_staff("per", "agent", &[&centre.support]).await;
        offer_for(&app, &centre.support, 5).await;
        log_in(&app, &centre.kari).await;
        let (chat, _) = app.start_chat(&centre.billing, "Ubesvart").await;
        offered_to(&app, &centre.kari, &chat).await;
        log_in(&app, &per).await;

        // Nobody at Kari's desk: after five seconds the chat is Per's to take, and Kari is
        // paused for not answering.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut chats = Value::Null;
        while tokio::time::Instant::now() < deadline {
            chats = app.get_ok("/me/chats", &per.token).await;
            if ids(&chats, "offered").contains(&chat) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        assert!(
            ids(&chats, "offered").contains(&chat),
            "{}: offered to the next agent: {chats}",
            app.backend
        );
        let kari = app.get_ok("/me/presence", &centre.kari.token).await;
        assert_eq!(kari["paused_reason"], "no_answer", "{}", app.backend);
        assert!(kari["paused_since"].is_string());
        let expiries = logged(&app, "OfferExpired").await;
        assert_eq!(expiries.len(), 1, "{}: the offer ran out once", app.backend);
        assert_eq!(expiries[0].0, chat);

        // The supervisor's roster shows it; Kari resumes and is routed to again.
        let roster = app
            .get_ok(
                &format!("/queues/{}/agents", centre.support),
                &centre.siri.token,
            )
            .await;
        let kari_row = roster
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["user_id"] == centre.kari.user_id.as_str())
            .cloned()
            .unwrap();
        assert_eq!(kari_row["paused_reason"], "no_answer");
        let resumed = app
            .post_ok("/me/pause", &centre.kari.token, json!({"paused": false}))
            .await;
        assert_eq!(resumed["paused_reason"], Value::Null);
        let (next, _) = app.start_chat(&centre.billing, "Neste").await;
        offered_to(&app, &centre.kari, &next).await;
        app.finish().await;
    }
}

#[tokio::test]
async fn an_agent_is_offered_one_chat_at_a_time() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        offer_for(&app, &centre.support, 30).await;
        let mut chats = Vec::new();
        for name in ["En", "To", "Tre"] {
            chats.push(app.start_chat(&centre.billing, name).await.0);
        }
        // A backlog of three and room for three: offered the oldest, and only that one.
        log_in(&app, &centre.kari).await;
        offered_to(&app, &centre.kari, &chats[0]).await;
        samtale_service::dispatcher::dispatch_round(&app.app.state)
            .await
            .unwrap();
        let mine = app.get_ok("/me/chats", &centre.kari.token).await;
        assert_eq!(
            ids(&mine, "offered"),
            vec![chats[0].clone()],
            "{}",
            app.backend
        );
        app.post_ok(
            &format!("/chats/{}/accept", chats[0]),
            &centre.kari.token,
            json!({}),
        )
        .await;
        offered_to(&app, &centre.kari, &chats[1]).await;
        app.finish().await;
    }
}

#[tokio::test]
async fn a_paused_agent_is_offered_nothing_until_they_resume() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        offer_for(&app, &centre.support, 30).await;
        log_in(&app, &centre.kari).await;
        let paused = app
            .post_ok("/me/pause", &centre.kari.token, json!({"paused": true}))
            .await;
        assert_eq!(paused["paused_reason"], "away", "{}", app.backend);
        let (chat, _) = app.start_chat(&centre.billing, "Pause").await;
        samtale_service::dispatcher::dispatch_round(&app.app.state)
            .await
            .unwrap();
        let mine = app.get_ok("/me/chats", &centre.kari.token).await;
        assert!(ids(&mine, "offered").is_empty(), "{}: {mine}", app.backend);
        // A supervisor resumes her.
        let resumed = app
            .post_ok(
                &format!("/agents/{}/pause", centre.kari.user_id),
                &centre.siri.token,
                json!({"paused": false}),
            )
            .await;
        assert_eq!(resumed["paused_reason"], Value::Null);
        offered_to(&app, &centre.kari, &chat).await;
        app.finish().await;
    }
}

#[tokio::test]
async fn offers_pauses_and_their_settings_refuse_what_is_not_allowed() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        for seconds in [json!(4), json!(601), json!("soon")] {
            let refused = app
                .patch(
                    &format!("/queues/{}", centre.support),
                    &app.admin,
                    json!({"offer_timeout_seconds": seconds}),
                )
                .await;
            let status = refused.status();
            assert!(status == 422 || status == 400, "{}: {seconds}", app.backend);
        }
        let refused = app
            .patch(
                &format!("/queues/{}", centre.support),
                &app.admin,
                json!({"offer_timeout_seconds": 4}),
            )
            .await;
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["key"], "offer_timeout_seconds");
        let queue = app.get_ok("/queues", &app.admin).await;
        let support = queue
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["queue_id"] == centre.support.as_str())
            .cloned()
            .unwrap();
        assert_eq!(support["offer_timeout_seconds"], Value::Null, "unchanged");

        // Not logged in: nothing to pause. Another agent: not theirs to pause.
        let refused = app
            .post("/me/pause", &centre.kari.token, json!({"paused": true}))
            .await;
        assert_eq!(refused.status(), 409, "{}", app.backend);
        log_in(&app, &centre.kari).await;
        let refused = app
            .post(
                &format!("/agents/{}/pause", centre.kari.user_id),
                &centre.ola.token,
                json!({"paused": true}),
            )
            .await;
        assert_eq!(refused.status(), 403, "{}", app.backend);

        // A chat nobody offered cannot be accepted, even by an agent of its queue. (Logged
        // out, so that routing does not assign it to her first.)
        app.post_ok(
            "/me/presence",
            &centre.kari.token,
            json!({"logged_in": false}),
        )
        .await;
        let (chat, _) = app.start_chat(&centre.billing, "Ingen").await;
        let refused = app
            .post(
                &format!("/chats/{chat}/accept"),
                &centre.kari.token,
                json!({}),
            )
            .await;
        assert_eq!(refused.status(), 409, "{}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_new_queue_offers_for_thirty_seconds_unless_the_installation_says_otherwise() {
    let installations = [
        (RoutingConfig::default(), json!(30)),
        (
            RoutingConfig {
                offer_timeout_seconds: samtale_api::config::OfferTimeout(Some(45)),
                ..RoutingConfig::default()
            },
            json!(45),
        ),
    ];
    for (routing, expected) in installations {
        for app in TestApp::each_backend_with(|c| c.routing = routing.clone()).await {
            let queue = app
                .post_ok("/queues", &app.admin, json!({"name": "Ny"}))
                .await;
            assert_eq!(queue["offer_timeout_seconds"], expected, "{}", app.backend);
            // Other settings change; the offer timeout stays.
            let id = queue["queue_id"].as_str().unwrap();
            let changed = app
                .patch(
                    &format!("/queues/{id}"),
                    &app.admin,
                    json!({"service_level_seconds": 20}),
                )
                .await;
            let changed: Value = changed.json().await.unwrap();
            assert_eq!(changed["offer_timeout_seconds"], expected);
            app.finish().await;
        }
    }
}

/// Runs the dispatcher's sweep for chats whose agent is gone now; how many it put back.
async fn sweep(app: &TestApp) -> usize {
    samtale_service::dispatcher::requeue_left_behind(&app.app.state)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_agent_who_signs_out_leaves_their_chats_to_the_queue_in_their_place() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (held, customer) = app
            .picked_up_chat(&centre.billing, "Forlatt", &centre.kari.token)
            .await;
        log_in(&app, &centre.kari).await;
        let (later, _) = app.start_chat(&centre.billing, "Senere").await;
        // Routing gives Kari the later chat too (she has room); it goes back with the first.
        app.eventually(&format!("/chats/{later}"), &centre.siri.token, |c| {
            c["status"] == "assigned"
        })
        .await;
        // Signed in elsewhere too, she has not left: nothing moves.
        let other_tab = app.login("kari", "a long enough password").await;
        app.post_ok("/auth/logout", &centre.kari.token, json!({}))
            .await;
        assert_eq!(sweep(&app).await, 0, "{}", app.backend);

        app.post_ok("/auth/logout", &other_tab, json!({})).await;
        // The dispatcher's own sweep may get there first; either way it happens once.
        sweep(&app).await;
        assert_eq!(sweep(&app).await, 0, "{}", app.backend);
        assert_eq!(
            logged(&app, "ChatRequeued").await.len(),
            2,
            "{}: once each",
            app.backend
        );
        // Gone, she is logged out of her queues, so routing does not hand them back to her.
        samtale_service::dispatcher::dispatch_round(&app.app.state)
            .await
            .unwrap();
        let roster = app
            .get_ok(
                &format!("/queues/{}/agents", centre.support),
                &centre.siri.token,
            )
            .await;
        let kari = roster
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["user_id"] == centre.kari.user_id.as_str())
            .cloned()
            .unwrap();
        assert_eq!(kari["logged_in"], 0, "{}", app.backend);
        let seen = app
            .get_ok(&format!("/customer/chats/{held}"), &customer)
            .await;
        assert_eq!(seen["status"], "waiting", "{}", app.backend);
        // It arrived first, so it is first in line again, ahead of the chat that came later.
        let waiting = app.get_ok("/chats/waiting", &centre.siri.token).await;
        let order: Vec<&str> = waiting
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["chat_id"].as_str())
            .collect();
        assert_eq!(
            order,
            vec![held.as_str(), later.as_str()],
            "{}",
            app.backend
        );
        let requeued = logged(&app, "ChatRequeued").await;
        assert_eq!(requeued[0].1["from_agent"], centre.kari.user_id.as_str());
        assert_eq!(requeued[0].1["by"]["kind"], "system");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_deactivated_agents_chats_go_back_to_the_queue() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (held, _) = app
            .picked_up_chat(&centre.billing, "Deaktivert", &centre.kari.token)
            .await;
        let deactivated = app
            .patch(
                &format!("/users/{}", centre.kari.user_id),
                &app.admin,
                json!({"active": false}),
            )
            .await;
        assert_eq!(deactivated.status(), 200);
        sweep(&app).await;
        assert_eq!(
            logged(&app, "ChatRequeued").await.len(),
            1,
            "{}",
            app.backend
        );
        let chat = app
            .get_ok(&format!("/chats/{held}"), &centre.siri.token)
            .await;
        assert_eq!(chat["status"], "waiting", "{}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn an_agent_puts_a_chat_back_in_its_queue_and_only_theirs() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let per = app.create_staff("per", "agent", &[&centre.support]).await;
        let (chat, _) = app
            .picked_up_chat(&centre.billing, "Tilbake", &centre.kari.token)
            .await;
        let refused = app
            .post(&format!("/chats/{chat}/requeue"), &per.token, json!({}))
            .await;
        assert_eq!(refused.status(), 403, "{}", app.backend);
        let back = app
            .post_ok(
                &format!("/chats/{chat}/requeue"),
                &centre.kari.token,
                json!({}),
            )
            .await;
        assert_eq!(back["status"], "waiting", "{}", app.backend);
        assert_eq!(back["agent_id"], Value::Null);
        let mine = app.get_ok("/me/chats", &centre.kari.token).await;
        assert!(ids(&mine, "active").is_empty(), "{}: {mine}", app.backend);
        // Nobody has it now: there is nothing to put back.
        let again = app
            .post(
                &format!("/chats/{chat}/requeue"),
                &centre.kari.token,
                json!({}),
            )
            .await;
        assert_eq!(again.status(), 409, "{}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_agents_report_counts_their_offers_and_how_long_they_were_paused() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        offer_for(&app, &centre.support, 5).await;
        let from = chrono::Utc::now() - chrono::Duration::hours(1);
        log_in(&app, &centre.kari).await;
        let (chat, customer) = app.start_chat(&centre.billing, "Rapport").await;
        offered_to(&app, &centre.kari, &chat).await;
        // Declined, then (nobody else there) offered again and left to run out.
        app.post_ok(
            &format!("/chats/{chat}/decline"),
            &centre.kari.token,
            json!({}),
        )
        .await;
        let paused = app
            .eventually("/me/presence", &centre.kari.token, |p| {
                p["paused_reason"] == "no_answer"
            })
            .await;
        assert_eq!(paused["paused_reason"], "no_answer", "{}", app.backend);
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        // The customer leaves first, so that resuming brings no third offer.
        app.post_ok(
            &format!("/customer/chats/{chat}/close"),
            &customer,
            json!({}),
        )
        .await;
        app.post_ok("/me/pause", &centre.kari.token, json!({"paused": false}))
            .await;

        let to = chrono::Utc::now() + chrono::Duration::hours(1);
        let period = format!(
            "from={}&to={}",
            from.format("%Y-%m-%dT%H:%M:%SZ"),
            to.format("%Y-%m-%dT%H:%M:%SZ")
        );
        let report = app
            .eventually(
                &format!("/reports/agents?{period}"),
                &centre.siri.token,
                |r| {
                    r.as_array().is_some_and(|rows| {
                        rows.iter()
                            .any(|row| row["paused_seconds"].as_f64().unwrap_or_default() > 0.0)
                    })
                },
            )
            .await;
        let kari: Vec<&Value> = report
            .as_array()
            .unwrap()
            .iter()
            .filter(|row| row["agent_id"] == centre.kari.user_id.as_str())
            .collect();
        let sum = |field: &str| -> f64 { kari.iter().filter_map(|r| r[field].as_f64()).sum() };
        assert!(sum("offers") >= 2.0, "{}: {kari:?}", app.backend);
        assert_eq!(sum("offers_declined"), 1.0, "{}", app.backend);
        assert_eq!(sum("offers_expired"), 1.0, "{}", app.backend);
        assert!(sum("paused_seconds") >= 1.0, "{}: {kari:?}", app.backend);
        assert_eq!(sum("paused_no_answer_seconds"), sum("paused_seconds"));
        // Her activity says what happened, in order.
        let activity = app
            .get_ok(
                &format!("/agents/{}/activity?{period}", centre.kari.user_id),
                &centre.siri.token,
            )
            .await;
        let kinds: Vec<&str> = activity
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|line| line["kind"].as_str())
            .collect();
        assert_eq!(
            kinds,
            vec![
                "logged_in",
                "offered",
                "offer_declined",
                "offered",
                "offer_expired",
                "paused_no_answer",
                "resumed"
            ],
            "{}",
            app.backend
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn routing_records_why_it_chose_the_agent() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let per = app.create_staff("per", "agent", &[&centre.support]).await;
        app.picked_up_chat(&centre.billing, "Opptatt", &centre.kari.token)
            .await;
        log_in(&app, &centre.kari).await;
        log_in(&app, &per).await;
        // Assigned straight away (no offers): to Per, who has fewer chats than Kari.
        let (direct, _) = app.start_chat(&centre.billing, "Direkte").await;
        let assigned = app
            .eventually(&format!("/chats/{direct}"), &centre.siri.token, |c| {
                c["status"] == "assigned"
            })
            .await;
        assert_eq!(
            assigned["agent_id"],
            per.user_id.as_str(),
            "{}",
            app.backend
        );
        let (_, event) = logged(&app, "ChatAssigned")
            .await
            .into_iter()
            .find(|(chat, _)| *chat == direct)
            .unwrap();
        let choice = &event["choice"];
        assert_eq!(
            choice["rule"], "fewest_chats_then_idle_longest",
            "{}",
            app.backend
        );
        let candidates: Vec<(&str, i64)> = choice["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["agent_id"].as_str().unwrap(),
                    c["chats"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            candidates,
            vec![(per.user_id.as_str(), 0), (centre.kari.user_id.as_str(), 1)],
            "{}",
            app.backend
        );
        // A pickup is the agent's own choice: it records none.
        let (_, picked) = logged(&app, "ChatAssigned").await.remove(0);
        assert!(picked.get("choice").is_none(), "{}: {picked}", app.backend);

        // An offer records it too.
        offer_for(&app, &centre.support, 30).await;
        let (offered, _) = app.start_chat(&centre.billing, "Tilbudt").await;
        offered_to(&app, &centre.kari, &offered).await;
        let (_, offer) = logged(&app, "ChatOffered").await.remove(0);
        assert_eq!(
            offer["choice"]["candidates"][0]["agent_id"],
            centre.kari.user_id.as_str()
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn an_offer_to_an_agent_who_pauses_is_withdrawn_at_once_and_nobody_is_blamed() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        offer_for(&app, &centre.support, 600).await;
        log_in(&app, &centre.kari).await;
        let (chat, customer) = app.start_chat(&centre.billing, "Trukket").await;
        let mut stream = app
            .stream(&format!("/customer/chats/{chat}/events"), &customer, None)
            .await;
        offered_to(&app, &centre.kari, &chat).await;
        app.post_ok("/me/pause", &centre.kari.token, json!({"paused": true}))
            .await;
        samtale_service::dispatcher::expire_offers(&app.app.state)
            .await
            .unwrap();
        let withdrawn = logged(&app, "OfferWithdrawn").await;
        assert_eq!(withdrawn.len(), 1, "{}", app.backend);
        assert!(logged(&app, "OfferExpired").await.is_empty());
        let mine = app.get_ok("/me/chats", &centre.kari.token).await;
        assert!(ids(&mine, "offered").is_empty(), "{}: {mine}", app.backend);
        let presence = app.get_ok("/me/presence", &centre.kari.token).await;
        assert_eq!(presence["paused_reason"], "away", "{}", app.backend);
        // The customer's stream, open all along, says nothing of offers.
        let mut kinds = Vec::new();
        while let Some(event) = stream.next(std::time::Duration::from_millis(1500)).await {
            kinds.push(event.event);
        }
        assert!(
            kinds.contains(&"queue".to_string()),
            "{}: {kinds:?}",
            app.backend
        );
        assert!(
            kinds.iter().all(|k| !k.contains("Offer")),
            "{}: {kinds:?}",
            app.backend
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn customers_of_a_queue_whose_agents_are_all_paused_are_told_so() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        app.patch(
            &format!("/queues/{}", centre.support),
            &app.admin,
            json!({"no_agent_notice_after_seconds": 1}),
        )
        .await;
        log_in(&app, &centre.kari).await;
        app.post_ok("/me/pause", &centre.kari.token, json!({"paused": true}))
            .await;
        let (chat, customer) = app.start_chat(&centre.billing, "Alene").await;
        let told = |c: &Value| {
            c["transcript"]
                .as_array()
                .is_some_and(|t| t.iter().any(|m| m["notice"] == "no_agents_available"))
        };
        let seen = app
            .eventually(&format!("/customer/chats/{chat}"), &customer, told)
            .await;
        assert!(told(&seen), "{}: {seen}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_customer_is_not_told_whom_else_routing_considered() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app.start_chat(&centre.billing, "Nysgjerrig").await;
        let mut stream = app
            .stream(&format!("/customer/chats/{chat}/events"), &customer, None)
            .await;
        log_in(&app, &centre.kari).await;
        let seen = stream
            .until("ChatAssigned", std::time::Duration::from_secs(10))
            .await
            .expect("the customer hears of the assignment");
        let assigned = &seen.last().unwrap().data["event"]["ChatAssigned"];
        assert_eq!(
            assigned["agent_id"],
            centre.kari.user_id.as_str(),
            "{}",
            app.backend
        );
        assert!(
            assigned.get("choice").is_none(),
            "{}: {assigned}",
            app.backend
        );
        // The log, and so the staff's audit, keeps it.
        let (_, logged_assignment) = logged(&app, "ChatAssigned").await.remove(0);
        assert!(logged_assignment["choice"].is_object(), "{}", app.backend);
        app.finish().await;
    }
}
