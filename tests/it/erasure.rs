//! Personal data forgotten: an administrator erases a chat, a person's erasure request finds
//! their chats by e-mail or phone, the customer deletes their own conversation, legal holds
//! keep a chat, and retention erases what its queue no longer keeps.

use reqwest::{Method, StatusCode};
use samtale_testkit::app::{slug, Centre, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

const SECRET_NAME: &str = "Hemmelig Navnesen";
const SECRET_TEXT: &str = "kontonummer 1234.56.78903";
const SECRET_EMAIL: &str = "hemmelig@example.no";

/// An ended chat whose customer wrote a secret and got an answer; (chat, customer token).
async fn ended_chat(app: &TestApp, centre: &Centre, email: &str) -> (String, String) {
    let chat = app
        .post_ok(
            "/customer/chats",
            "",
            json!({"category_id": centre.billing, "name": SECRET_NAME, "fields": {"email": email}}),
        )
        .await;
    let (chat, customer) = (
        chat["chat_id"].as_str().unwrap().to_string(),
        chat["customer_token"].as_str().unwrap().to_string(),
    );
    app.post_ok(
        &format!("/chats/{chat}/pickup"),
        &centre.kari.token,
        json!({}),
    )
    .await;
    app.post_ok(
        &format!("/customer/chats/{chat}/messages"),
        &customer,
        json!({"text": SECRET_TEXT}),
    )
    .await;
    app.post_ok(
        &format!("/chats/{chat}/messages"),
        &centre.kari.token,
        json!({"text": format!("Takk, {SECRET_NAME}")}),
    )
    .await;
    // The agent's wrap-up note about her is hers too, and goes with the chat.
    app.post_ok(
        &format!("/chats/{chat}/end"),
        &centre.kari.token,
        json!({"note": format!("{SECRET_NAME} ringer tilbake")}),
    )
    .await;
    (chat, customer)
}

async fn status_and_body(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn holds_no_secret(what: &str, text: &str) {
    for secret in [SECRET_NAME, SECRET_TEXT, SECRET_EMAIL] {
        assert!(!text.contains(secret), "{what} still shows {secret:?}");
    }
}

#[tokio::test]
async fn an_erased_chat_keeps_its_facts_and_shows_its_personal_data_nowhere() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = ended_chat(&app, &centre, SECRET_EMAIL).await;
        let audit_before = app
            .get_ok(&format!("/chats/{chat}/audit"), &centre.siri.token)
            .await;
        assert!(
            audit_before.to_string().contains(SECRET_TEXT),
            "{}: the audit trail shows what was written, decrypted",
            app.backend
        );
        let before = app.get_ok(&format!("/chats/{chat}"), &app.admin).await;
        assert!(before["wrap_up"]["note"].to_string().contains(SECRET_NAME));

        for staff in [&centre.kari.token, &centre.siri.token] {
            let (status, _) = status_and_body(
                app.post(&format!("/chats/{chat}/erase"), staff, json!({}))
                    .await,
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "administrators only");
        }
        let erased = app
            .post_ok(&format!("/chats/{chat}/erase"), &app.admin, json!({}))
            .await;
        assert_eq!(erased["chat_id"], chat.as_str());
        assert_eq!(erased["messages"], 2, "{}", app.backend);
        assert!(erased["erased_at"].is_string());
        let again = app
            .post_ok(&format!("/chats/{chat}/erase"), &app.admin, json!({}))
            .await;
        assert_eq!(again, erased, "a retried erasure answers as the first did");
        let (status, _) = status_and_body(
            app.post(
                &format!("/chats/{chat}/erase"),
                &centre.siri.token,
                json!({}),
            )
            .await,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "erased or not, administrators only"
        );

        let view = app.get_ok(&format!("/chats/{chat}"), &app.admin).await;
        assert_eq!(view["erased"], true);
        assert_eq!(view["status"], "ended", "the facts stay");
        assert_eq!(view["agent_id"], centre.kari.user_id.as_str());
        assert_eq!(view["transcript"].as_array().unwrap().len(), 2);
        holds_no_secret("the chat", &view.to_string());

        let audit = app
            .get_ok(&format!("/chats/{chat}/audit"), &centre.siri.token)
            .await;
        let types: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(types.last(), Some(&"ChatErased"));
        assert_eq!(types.len(), audit_before.as_array().unwrap().len() + 1);
        assert!(audit[0]["payload"]["ChatRequested"]["customer_name"].is_null());
        holds_no_secret("the audit trail", &audit.to_string());

        let history = app
            .get_ok(
                &format!("/chats/history?customer={SECRET_EMAIL}"),
                &app.admin,
            )
            .await;
        assert_eq!(history, json!([]), "the history no longer finds it");

        let (status, _) =
            status_and_body(app.get(&format!("/customer/chats/{chat}"), &customer).await).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "the customer's token opens nothing"
        );

        // A supervisor's stream replayed from the log's start.
        let mut replay = app.stream("/events", &app.admin, Some("0")).await;
        let mut frames = String::new();
        while let Some(frame) = replay.next_frame(Duration::from_millis(500)).await {
            frames.push_str(&frame.data);
        }
        let mut agent = app.stream("/events", &centre.kari.token, Some("0")).await;
        assert_eq!(
            agent.next(Duration::from_secs(5)).await.unwrap().event,
            "resync",
            "only those who see every queue replay the whole log"
        );
        assert!(
            frames.contains("ChatErased"),
            "{}: the replay reached it",
            app.backend
        );
        holds_no_secret("an SSE replay", &frames);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_chat_is_erased_only_once_it_has_ended_and_while_no_legal_hold_keeps_it() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (open, _) = app
            .picked_up_chat(&centre.billing, "Pågår", &centre.kari.token)
            .await;
        let (status, body) = status_and_body(
            app.post(&format!("/chats/{open}/erase"), &app.admin, json!({}))
                .await,
        )
        .await;
        assert_eq!(
            (status, slug(&body)),
            (StatusCode::CONFLICT, "chat-not-ended")
        );

        let (chat, _) = ended_chat(&app, &centre, SECRET_EMAIL).await;
        let path = format!("/chats/{chat}/legal-hold");
        let (status, _) =
            status_and_body(app.post(&path, &centre.kari.token, json!({})).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "agents place no holds");
        let held = app.post_ok(&path, &centre.siri.token, json!({})).await;
        assert_eq!(held, json!({"legal_hold": true}));
        let view = app.get_ok(&format!("/chats/{chat}"), &app.admin).await;
        assert_eq!(view["legal_hold"], true);
        let (status, body) = status_and_body(
            app.post(&format!("/chats/{chat}/erase"), &app.admin, json!({}))
                .await,
        )
        .await;
        assert_eq!((status, slug(&body)), (StatusCode::CONFLICT, "legal-hold"));
        assert!(
            app.get_ok(&format!("/chats/{chat}"), &app.admin)
                .await
                .to_string()
                .contains(SECRET_TEXT),
            "a held chat keeps its transcript"
        );

        let lifted = app
            .request(Method::DELETE, &path, &centre.siri.token)
            .send()
            .await
            .unwrap();
        assert_eq!(lifted.status(), StatusCode::OK);
        assert_eq!(
            lifted.json::<Value>().await.unwrap(),
            json!({"legal_hold": false})
        );
        app.post_ok(&format!("/chats/{chat}/erase"), &app.admin, json!({}))
            .await;
        let (status, body) =
            status_and_body(app.post(&path, &centre.siri.token, json!({})).await).await;
        assert_eq!(
            (status, slug(&body)),
            (StatusCode::CONFLICT, "chat-erased"),
            "an erased chat takes no further command"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn an_erasure_request_erases_every_ended_chat_of_the_person_and_names_those_left() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        app.post_ok(
            "/form-fields",
            &app.admin,
            json!({"key": "phone", "label": "Phone", "kind": "phone", "required": false, "max_length": 30}),
        )
        .await;
        let (first, _) = ended_chat(&app, &centre, "Hemmelig@Example.NO").await;
        let (other_person, _) = ended_chat(&app, &centre, "annen@example.no").await;
        let open = app
            .post_ok(
                "/customer/chats",
                "",
                json!({"category_id": centre.billing, "name": SECRET_NAME,
                       "fields": {"email": SECRET_EMAIL, "phone": "+47 912 34 567"}}),
            )
            .await["chat_id"]
            .as_str()
            .unwrap()
            .to_string();

        let report = app
            .post_ok(
                "/erasure-requests",
                &app.admin,
                json!({"email": " HEMMELIG@example.no "}),
            )
            .await;
        let erased: Vec<&str> = report["erased"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["chat_id"].as_str().unwrap())
            .collect();
        assert_eq!(erased, [first.as_str()], "{}", app.backend);
        assert_eq!(report["erased"][0]["messages"], 2);
        assert_eq!(
            report["skipped"],
            json!([{"chat_id": open, "reason": "not-ended"}]),
            "the chat still waiting is named, not erased"
        );
        assert!(
            app.get_ok(&format!("/chats/{other_person}"), &app.admin)
                .await
                .to_string()
                .contains(SECRET_TEXT),
            "another person's chat is untouched"
        );

        let by_phone = app
            .post_ok(
                "/erasure-requests",
                &app.admin,
                json!({"phone": "0047 91234567"}),
            )
            .await;
        assert_eq!(
            by_phone,
            json!({"erased": [], "skipped": [{"chat_id": open, "reason": "not-ended"}]}),
            "the same number typed another way finds the same chat"
        );
        let again = app
            .post_ok(
                "/erasure-requests",
                &app.admin,
                json!({"email": SECRET_EMAIL}),
            )
            .await;
        assert_eq!(
            again["erased"],
            json!([]),
            "an erased chat cannot be found by its e-mail any more"
        );
        let by_id = app
            .post_ok(
                "/erasure-requests",
                &app.admin,
                json!({"chat_id": other_person}),
            )
            .await;
        assert_eq!(by_id["erased"][0]["chat_id"], other_person.as_str());

        for (body, field) in [
            (json!({}), "email"),
            (json!({"email": SECRET_EMAIL, "phone": "91234567"}), "email"),
            (json!({"email": "not an address"}), "email"),
            (json!({"phone": "12"}), "phone"),
            (json!({"chat_id": "nope"}), "chat_id"),
        ] {
            let (status, problem) = status_and_body(
                app.post("/erasure-requests", &app.admin, body.clone())
                    .await,
            )
            .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(problem["errors"][0]["key"], field, "{body}");
        }
        let (status, _) = status_and_body(
            app.post(
                "/erasure-requests",
                &centre.siri.token,
                json!({"email": SECRET_EMAIL}),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "administrators only");
        app.finish().await;
    }
}

#[tokio::test]
async fn the_customer_deletes_their_own_conversation_once_it_has_ended() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app.start_chat(&centre.billing, SECRET_NAME).await;
        let (other, _) = app.start_chat(&centre.billing, "Andre").await;
        let erase = |id: &str| format!("/customer/chats/{id}/erase");
        let (status, _) =
            status_and_body(app.post(&erase(&other), &customer, json!({})).await).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "another chat is not this token's"
        );
        let (status, body) =
            status_and_body(app.post(&erase(&chat), &customer, json!({})).await).await;
        assert_eq!(
            (status, slug(&body)),
            (StatusCode::CONFLICT, "chat-not-ended")
        );
        app.post_ok(
            &format!("/customer/chats/{chat}/close"),
            &customer,
            json!({}),
        )
        .await;
        let response = app.post(&erase(&chat), &customer, json!({})).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let (status, _) =
            status_and_body(app.get(&format!("/customer/chats/{chat}"), &customer).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let trail = app
            .get_ok(&format!("/chats/{chat}/audit"), &centre.siri.token)
            .await;
        let last = trail.as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["payload"]["ChatErased"]["reason"], "customer");
        assert_eq!(last["actor"]["kind"], "customer");
        app.finish().await;
    }
}

#[tokio::test]
async fn retention_erases_what_a_queue_no_longer_keeps_and_passes_held_chats_by() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let queue = |id: &str| format!("/queues/{id}");
        let fresh = app
            .post_ok("/queues", &app.admin, json!({"name": "Ny"}))
            .await;
        assert_eq!(
            fresh["transcript_retention_days"], 90,
            "the installation's default"
        );

        let configured = app
            .patch(
                &queue(&centre.support),
                &app.admin,
                json!({"transcript_retention_days": 1}),
            )
            .await;
        assert_eq!(configured.status(), StatusCode::OK);
        let kept = app
            .patch(
                &queue(&centre.support),
                &app.admin,
                json!({"service_level_seconds": 30}),
            )
            .await
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(
            kept["transcript_retention_days"], 1,
            "absent leaves it as it is"
        );
        for bad in [json!(0), json!(3651), json!("ten")] {
            let response = app
                .patch(
                    &queue(&centre.support),
                    &app.admin,
                    json!({"transcript_retention_days": bad}),
                )
                .await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
        let never = app
            .patch(
                &queue(&centre.sales),
                &app.admin,
                json!({"transcript_retention_days": null}),
            )
            .await
            .json::<Value>()
            .await
            .unwrap();
        assert!(never["transcript_retention_days"].is_null());

        let (expired, _) = ended_chat(&app, &centre, SECRET_EMAIL).await;
        let (held, _) = ended_chat(&app, &centre, SECRET_EMAIL).await;
        app.post_ok(
            &format!("/chats/{held}/legal-hold"),
            &centre.siri.token,
            json!({}),
        )
        .await;
        let (waiting, _) = app.start_chat(&centre.billing, SECRET_NAME).await;
        let (in_sales, _) = app.start_chat(&centre.offers, SECRET_NAME).await;
        app.post_ok(
            &format!("/chats/{in_sales}/pickup"),
            &centre.ola.token,
            json!({}),
        )
        .await;
        app.post_ok(
            &format!("/chats/{in_sales}/end"),
            &centre.ola.token,
            json!({}),
        )
        .await;

        let node = &app.app.state;
        let today = chrono::Utc::now();
        let erased = samtale_service::transcript_retention::erase_expired(node, today)
            .await
            .unwrap();
        assert_eq!(erased, Some(0), "{}: a day has not passed", app.backend);
        let in_two_days = today + chrono::Duration::days(2);
        let erased = samtale_service::transcript_retention::erase_expired(node, in_two_days)
            .await
            .unwrap();
        assert_eq!(erased, Some(1), "{}", app.backend);
        for (chat, erased, why) in [
            (&expired, true, "past its retention"),
            (&held, false, "held"),
            (&waiting, false, "not ended"),
            (&in_sales, false, "its queue keeps its chats"),
        ] {
            let view = app.get_ok(&format!("/chats/{chat}"), &app.admin).await;
            assert_eq!(view["erased"], erased, "{}: {why}", app.backend);
        }
        let trail = app
            .get_ok(&format!("/chats/{expired}/audit"), &centre.siri.token)
            .await;
        let last = trail.as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["payload"]["ChatErased"]["reason"], "retention");
        assert_eq!(last["actor"]["kind"], "system");
        let again = samtale_service::transcript_retention::erase_expired(node, in_two_days)
            .await
            .unwrap();
        assert_eq!(again, Some(0), "nothing is erased twice");
        app.finish().await;
    }
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn an_erasure_on_one_node_closes_the_customers_token_on_every_node() {
    let app = TestApp::shared_backend().await;
    let centre = app.centre().await;
    let (_node_b, base_b) = app.second_node().await;
    let (chat, customer) = ended_chat(&app, &centre, SECRET_EMAIL).await;
    let on_b = || {
        app.client
            .get(format!("{base_b}/customer/chats/{chat}"))
            .bearer_auth(&customer)
            .send()
    };
    assert_eq!(
        on_b().await.unwrap().status(),
        StatusCode::OK,
        "node B knows the token"
    );
    app.post_ok(&format!("/chats/{chat}/erase"), &app.admin, json!({}))
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let status = on_b().await.unwrap().status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "node B still opens the erased chat for its customer: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.finish().await;
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn two_nodes_running_retention_at_once_erase_each_expired_chat_exactly_once() {
    let app = TestApp::shared_backend().await;
    let centre = app.centre().await;
    let (node_b, _) = app.second_node().await;
    app.patch(
        &format!("/queues/{}", centre.support),
        &app.admin,
        json!({"transcript_retention_days": 1}),
    )
    .await;
    let mut chats = Vec::new();
    for _ in 0..5 {
        chats.push(ended_chat(&app, &centre, SECRET_EMAIL).await.0);
    }
    let later = chrono::Utc::now() + chrono::Duration::days(2);
    let expire = samtale_service::transcript_retention::erase_expired;
    let (a, b) = tokio::join!(expire(&app.app.state, later), expire(&node_b.state, later));
    let (a, b) = (a.unwrap(), b.unwrap());
    // The one without the turn answers None; the other erases all. Run once more each, as
    // the next minute would: nothing is left.
    assert_eq!(a.unwrap_or(0) + b.unwrap_or(0), 5, "{a:?} {b:?}");
    for node in [&app.app.state, &node_b.state] {
        assert_eq!(expire(node, later).await.unwrap(), Some(0));
    }
    for chat in &chats {
        let trail = app
            .get_ok(&format!("/chats/{chat}/audit"), &centre.siri.token)
            .await;
        let erasures = trail
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "ChatErased")
            .count();
        assert_eq!(erasures, 1, "{chat}");
    }
    app.finish().await;
}

#[tokio::test]
async fn a_customer_is_never_told_of_a_legal_hold_on_their_chat() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app
            .picked_up_chat(&centre.billing, "Holdt", &centre.kari.token)
            .await;
        let mut stream = app
            .stream(&format!("/customer/chats/{chat}/events"), &customer, None)
            .await;
        app.post_ok(&format!("/chats/{chat}/end"), &centre.kari.token, json!({}))
            .await;
        app.post_ok(
            &format!("/chats/{chat}/legal-hold"),
            &centre.siri.token,
            json!({}),
        )
        .await;
        let mut kinds = Vec::new();
        while let Some(event) = stream.next(Duration::from_millis(1500)).await {
            kinds.push(event.event);
        }
        assert!(
            kinds.iter().any(|k| k == "ChatEnded"),
            "{}: {kinds:?}",
            app.backend
        );
        assert!(
            kinds.iter().all(|k| !k.contains("LegalHold")),
            "{}: {kinds:?}",
            app.backend
        );
        app.finish().await;
    }
}
