//! Wrap-up and the agent's day: the codes a chat ends with (required where the queue says
//! so), the staff-only note, the wrap-up time in which routing gives the agent nothing new,
//! extended once or cut short; the reasons agents pause for; the pace at which routing hands
//! an agent their chats; the supervisors' board of every agent's state.

use reqwest::Method;
use samtale_api::config::RoutingConfig;
use samtale_testkit::app::{Staff, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.request(Method::PUT, path, token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Gives `queue` the codes `billing` and `moving`, and `settings`.
async fn wrap_up_rules(app: &TestApp, queue: &str, settings: Value) {
    for (code, label) in [("billing", "Billing question"), ("moving", "Moving house")] {
        let path = format!("/queues/{queue}/wrap-up-codes/{code}");
        let defined = put(app, &path, &app.admin, json!({ "label": label })).await;
        assert_eq!(defined.status(), 200, "{}", app.backend);
    }
    let configured = app
        .patch(&format!("/queues/{queue}"), &app.admin, settings)
        .await;
    assert_eq!(configured.status(), 200, "{}", app.backend);
}

async fn log_in(app: &TestApp, agent: &Staff) {
    app.post_ok("/me/presence", &agent.token, json!({"logged_in": true}))
        .await;
}

async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

fn first_field(problem: &Value) -> &str {
    problem["errors"][0]["key"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_queue_that_requires_a_code_ends_a_chat_only_with_one_of_its_own() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        wrap_up_rules(
            &app,
            &centre.support,
            json!({"wrap_up_code_required": true}),
        )
        .await;
        let kari = &centre.kari.token;
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Kode", kari).await;
        let end = format!("/chats/{chat}/end");
        let mut stream = app
            .stream(&format!("/customer/chats/{chat}/events"), &customer, None)
            .await;

        let (status, without) = problem(app.post(&end, kari, json!({})).await).await;
        assert_eq!((status, first_field(&without)), (422, "codes"), "{without}");
        let bare = app.request(Method::POST, &end, kari).send().await.unwrap();
        assert_eq!(bare.status(), 422, "{}: no body, no code", app.backend);
        let typed_but_empty = app
            .request(Method::POST, &end, kari)
            .header("content-type", "application/json")
            .header("content-length", "0")
            .send()
            .await
            .unwrap();
        assert_eq!(
            typed_but_empty.status(),
            422,
            "{}: an empty body with a type is no body: still no code",
            app.backend
        );
        let (status, foreign) =
            problem(app.post(&end, kari, json!({"codes": ["refund"]})).await).await;
        assert_eq!((status, first_field(&foreign)), (422, "codes"), "{foreign}");
        let open = app.get_ok(&format!("/chats/{chat}"), kari).await;
        assert_eq!(
            open["status"], "assigned",
            "{}: refused, nothing changed",
            app.backend
        );

        let note = "Wants the invoice split in two";
        let ended = app
            .post_ok(&end, kari, json!({"codes": ["billing"], "note": note}))
            .await;
        assert_eq!(ended["status"], "ended", "{}", app.backend);
        assert_eq!(ended["wrap_up"]["codes"], json!(["billing"]));
        assert_eq!(ended["wrap_up"]["note"], note);
        // The customer is never shown the codes or the note, on any of their surfaces.
        let seen = app
            .get(&format!("/customer/chats/{chat}"), &customer)
            .await
            .text()
            .await
            .unwrap();
        assert!(!seen.contains(note) && !seen.contains("billing"), "{seen}");
        let mut frames = Vec::new();
        while let Some(event) = stream.next(Duration::from_millis(1500)).await {
            frames.push(format!("{} {}", event.event, event.data));
        }
        assert!(
            frames.iter().any(|f| f.starts_with("ChatEnded")),
            "{}: {frames:?}",
            app.backend
        );
        assert!(
            frames
                .iter()
                .all(|f| !f.contains("WrapUp") && !f.contains("WrappedUp") && !f.contains(note)),
            "{}: {frames:?}",
            app.backend
        );

        let period = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z";
        let siri = &centre.siri.token;
        let chats = app.get_ok(&format!("/reports/chats?{period}"), siri).await;
        assert_eq!(
            chats[0]["wrap_up_codes"], "billing",
            "{}: {chats}",
            app.backend
        );
        let reasons = app
            .get_ok(&format!("/reports/contact-reasons?{period}"), siri)
            .await;
        assert_eq!(reasons.as_array().map(Vec::len), Some(1), "{reasons}");
        assert_eq!(reasons[0]["code"], "billing");
        assert_eq!(reasons[0]["chats"], 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn routing_gives_an_agent_nothing_while_they_wrap_up_and_again_once_they_are_ready() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        wrap_up_rules(&app, &centre.support, json!({"wrap_up_seconds": 600})).await;
        let kari = &centre.kari.token;
        log_in(&app, &centre.kari).await;
        let (first, _) = app.start_chat(&centre.billing, "Først").await;
        let assigned = |c: &Value| c["status"] == "assigned";
        app.eventually(&format!("/chats/{first}"), kari, assigned)
            .await;
        app.post_ok(&format!("/chats/{first}/end"), kari, json!({}))
            .await;
        let presence = app.get_ok("/me/presence", kari).await;
        assert_eq!(presence["state"], "wrap_up", "{}: {presence}", app.backend);
        let board = app.get_ok("/agents", &centre.siri.token).await;
        let on_board = board
            .as_array()
            .and_then(|agents| {
                agents
                    .iter()
                    .find(|a| a["user_id"] == centre.kari.user_id.as_str())
            })
            .cloned()
            .unwrap_or_default();
        assert_eq!(on_board["state"], "wrap_up", "{}: {board}", app.backend);
        assert_eq!(on_board["logged_in_queues"], 1);
        assert_eq!(on_board["member_queues"], 1);

        let (second, _) = app.start_chat(&centre.billing, "Deretter").await;
        // Rounds run every second and on every event: several pass, and none gives it to her.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let waiting = app.get_ok(&format!("/chats/{second}"), kari).await;
        assert_eq!(waiting["status"], "waiting", "{}: {waiting}", app.backend);

        let until = presence["wrap_up_until"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        app.post_ok(&format!("/chats/{first}/wrap-up/extend"), kari, json!({}))
            .await;
        let extended = app.get_ok("/me/presence", kari).await;
        assert!(
            extended["wrap_up_until"].as_str().unwrap_or_default() > until.as_str(),
            "{}: {extended}",
            app.backend
        );
        let (status, again) = problem(
            app.post(&format!("/chats/{first}/wrap-up/extend"), kari, json!({}))
                .await,
        )
        .await;
        assert_eq!(status, 409, "{}: {again}", app.backend);
        assert!(again["type"]
            .as_str()
            .unwrap_or_default()
            .ends_with("wrap-up-extended"));

        app.post_ok(&format!("/chats/{first}/wrap-up/finish"), kari, json!({}))
            .await;
        let given = app
            .eventually(&format!("/chats/{second}"), kari, assigned)
            .await;
        assert_eq!(
            given["agent_id"],
            centre.kari.user_id.as_str(),
            "{}",
            app.backend
        );
        // Ready is said once; a second time there is nothing left to finish.
        app.post_ok(&format!("/chats/{first}/wrap-up/finish"), kari, json!({}))
            .await;

        let period = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z";
        let agents = app
            .get_ok(&format!("/reports/agents?{period}"), &centre.siri.token)
            .await;
        let wrapped: f64 = agents
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|row| row["wrap_up_seconds"].as_f64())
            .sum();
        assert!(
            wrapped > 0.0 && wrapped < 600.0,
            "{}: wrap-up cut short is counted to its end: {wrapped}",
            app.backend
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_customer_who_closes_leaves_the_agent_the_code_to_give_before_they_are_ready() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        wrap_up_rules(
            &app,
            &centre.support,
            json!({"wrap_up_seconds": 600, "wrap_up_code_required": true}),
        )
        .await;
        let kari = &centre.kari.token;
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Borte", kari).await;
        app.post_ok(
            &format!("/customer/chats/{chat}/close"),
            &customer,
            json!({}),
        )
        .await;
        let mine = app.get_ok("/me/chats", kari).await;
        assert_eq!(
            mine["passive"][0]["code_owed"], 1,
            "{}: {mine}",
            app.backend
        );
        assert!(mine["passive"][0]["wrap_up_until"].is_string());

        let finish = format!("/chats/{chat}/wrap-up/finish");
        let (status, owed) = problem(app.post(&finish, kari, json!({})).await).await;
        assert_eq!((status, first_field(&owed)), (422, "codes"), "{owed}");
        let wrap_up = format!("/chats/{chat}/wrap-up");
        let (status, empty) = problem(app.post(&wrap_up, kari, json!({})).await).await;
        assert_eq!(
            status, 422,
            "{}: neither code nor note: {empty}",
            app.backend
        );
        let recorded = app
            .post_ok(&wrap_up, kari, json!({"codes": ["moving"]}))
            .await;
        assert_eq!(recorded["wrap_up"]["codes"], json!(["moving"]));
        assert_eq!(recorded["wrap_up"]["code_owed"], false);
        // The same request again (no key) would rewrite the chat's contact reasons: refused.
        let (status, twice) = problem(
            app.post(&wrap_up, kari, json!({"codes": ["billing"]}))
                .await,
        )
        .await;
        assert_eq!(status, 409, "{}: {twice}", app.backend);
        assert!(twice["type"]
            .as_str()
            .unwrap_or_default()
            .ends_with("chat-wrapped-up"));
        app.post_ok(&finish, kari, json!({})).await;
        let presence = app.get_ok("/me/presence", kari).await;
        assert_ne!(presence["state"], "wrap_up", "{}: {presence}", app.backend);
        // A colleague in another queue cannot wrap up Kari's chat.
        let (status, _) = problem(app.post(&finish, &centre.ola.token, json!({})).await).await;
        assert_eq!(status, 404, "{}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn agents_pause_for_the_reasons_administrators_define() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let defined = put(
            &app,
            "/pause-reasons/lunch",
            &app.admin,
            json!({"label": "Lunch"}),
        )
        .await;
        assert_eq!(defined.status(), 200, "{}", app.backend);
        let refused = put(
            &app,
            "/pause-reasons/meeting",
            kari,
            json!({"label": "Meeting"}),
        )
        .await;
        assert_eq!(
            refused.status(),
            403,
            "{}: agents do not define reasons",
            app.backend
        );
        let (status, built_in) = problem(
            put(
                &app,
                "/pause-reasons/no_answer",
                &app.admin,
                json!({"label": "Gone"}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, first_field(&built_in)),
            (422, "reason"),
            "{built_in}"
        );
        let (status, bad) = problem(
            put(
                &app,
                "/pause-reasons/Lunch%20break",
                &app.admin,
                json!({"label": "x"}),
            )
            .await,
        )
        .await;
        assert_eq!((status, first_field(&bad)), (422, "code"), "{bad}");
        let reasons = app.get_ok("/pause-reasons", kari).await;
        assert_eq!(reasons, json!([{"code": "lunch", "label": "Lunch"}]));

        log_in(&app, &centre.kari).await;
        for reason in ["training", "no_answer"] {
            let (status, unknown) = problem(
                app.post("/me/pause", kari, json!({"paused": true, "reason": reason}))
                    .await,
            )
            .await;
            assert_eq!(
                (status, first_field(&unknown)),
                (422, "reason"),
                "{reason}: {unknown}"
            );
        }
        let paused = app
            .post_ok(
                "/me/pause",
                kari,
                json!({"paused": true, "reason": "lunch"}),
            )
            .await;
        assert_eq!(paused["state"], "paused", "{}: {paused}", app.backend);
        assert_eq!(paused["paused_reason"], "lunch");
        assert!(paused["since"].is_string());
        // A supervisor changes it.
        let moved = app
            .post_ok(
                &format!("/agents/{}/pause", centre.kari.user_id),
                &centre.siri.token,
                json!({"paused": true}),
            )
            .await;
        assert_eq!(moved["paused_reason"], "away", "{}", app.backend);
        app.post_ok("/me/pause", kari, json!({"paused": false}))
            .await;

        let period = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z";
        let pauses = app
            .get_ok(&format!("/reports/pauses?{period}"), &centre.siri.token)
            .await;
        let reasons: Vec<&str> = pauses
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|row| row["reason"].as_str())
            .collect();
        assert!(
            reasons.contains(&"lunch") && reasons.contains(&"away"),
            "{}: {pauses}",
            app.backend
        );
        let activity = app
            .get_ok(
                &format!("/agents/{}/activity?{period}", centre.kari.user_id),
                &centre.siri.token,
            )
            .await;
        assert!(
            activity
                .as_array()
                .into_iter()
                .flatten()
                .any(|line| line["kind"] == "paused" && line["reason"] == "lunch"),
            "{}: {activity}",
            app.backend
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn an_agent_who_logs_in_to_a_backlog_is_handed_it_at_the_pace() {
    let paced = |config: &mut samtale_api::config::ServeConfig| {
        config.routing = RoutingConfig {
            offer_timeout_seconds: samtale_api::config::OfferTimeout(None),
            assign_pace_seconds: 2,
        }
    };
    for app in TestApp::each_backend_with(paced).await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let mut chats = Vec::new();
        for name in ["En", "To", "Tre"] {
            chats.push(app.start_chat(&centre.billing, name).await.0);
        }
        log_in(&app, &centre.kari).await;
        let all_three = |m: &Value| m["active"].as_array().map(Vec::len) == Some(3);
        let mine = app.eventually("/me/chats", kari, all_three).await;
        assert!(
            all_three(&mine),
            "{}: all three in the end: {mine}",
            app.backend
        );
        // Oldest first, a chat at a time, at least the pace apart.
        let mut since: Vec<chrono::DateTime<chrono::Utc>> = mine["active"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["since"].as_str()?.parse().ok())
            .collect();
        since.sort();
        for pair in since.windows(2) {
            assert!(
                pair[1] - pair[0] >= chrono::Duration::seconds(2),
                "{}: {since:?}",
                app.backend
            );
        }
        app.finish().await;
    }
}
