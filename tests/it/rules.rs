//! Rules the aggregates keep, seen through the API: each refusal has its own problem type, and
//! an id names one thing however it is spelled.

use reqwest::{Method, StatusCode};
use samtale_testkit::app::TestApp;
use serde_json::{json, Value};

/// The last segment of a problem's `type`.
async fn problem_type(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let problem: Value = response.json().await.unwrap();
    let kind = problem["type"].as_str().unwrap_or_default();
    let slug = kind.rsplit('/').next().unwrap_or_default().to_string();
    (status, slug)
}

#[tokio::test]
async fn the_last_active_administrator_cannot_demote_or_deactivate_themself() {
    for app in TestApp::each_backend().await {
        let me = app.get_ok("/me", &app.admin).await;
        let path = format!("/users/{}", me["user_id"].as_str().unwrap());
        for change in [json!({"active": false}), json!({"role": "supervisor"})] {
            let before = app.event_count().await;
            let response = app.patch(&path, &app.admin, change).await;
            assert_eq!(
                problem_type(response).await,
                (StatusCode::CONFLICT, "last-administrator".into()),
                "{}",
                app.backend
            );
            assert_eq!(app.event_count().await, before, "nothing written");
        }
        // With a second administrator, the first may step down.
        let other = app.create_staff("anne", "administrator", &[]).await;
        let response = app
            .patch(&path, &other.token, json!({"role": "supervisor"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn an_agent_picks_up_only_in_queues_they_are_a_member_of() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        // Kari had the chat, then it moved to Sales, where she is no member: she still sees it.
        let (chat, _) = app.picked_up_chat(&centre.billing, "Nora", kari).await;
        app.post_ok(
            &format!("/chats/{chat}/transfer"),
            kari,
            json!({"queue_id": centre.sales}),
        )
        .await;
        let before = app.event_count().await;
        let response = app
            .post(&format!("/chats/{chat}/pickup"), kari, json!({}))
            .await;
        assert_eq!(
            problem_type(response).await,
            (StatusCode::FORBIDDEN, "not-a-queue-member".into()),
            "{}",
            app.backend
        );
        assert_eq!(app.event_count().await, before, "nothing written");
        // Ola is a member of Sales.
        app.post_ok(
            &format!("/chats/{chat}/pickup"),
            &centre.ola.token,
            json!({}),
        )
        .await;
        app.finish().await;
    }
}

#[tokio::test]
async fn an_agent_is_logged_in_only_to_queues_they_are_a_member_of() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let path = format!(
            "/queues/{}/agents/{}/presence",
            centre.sales, centre.kari.user_id
        );
        let response = app
            .post(&path, &centre.siri.token, json!({"logged_in": true}))
            .await;
        assert_eq!(
            problem_type(response).await,
            (StatusCode::FORBIDDEN, "not-a-queue-member".into()),
            "{}",
            app.backend
        );
        let path = format!(
            "/queues/{}/agents/{}/presence",
            centre.support, centre.kari.user_id
        );
        let presence = app
            .post_ok(&path, &centre.siri.token, json!({"logged_in": true}))
            .await;
        assert_eq!(presence["logged_in_queues"], json!([centre.support]));
        app.finish().await;
    }
}

#[tokio::test]
async fn each_conflict_names_its_cause() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (kari, siri) = (&centre.kari.token, &centre.siri.token);

        // Taken by someone else.
        let (taken, _) = app.picked_up_chat(&centre.billing, "Nora", siri).await;
        let response = app
            .post(&format!("/chats/{taken}/pickup"), kari, json!({}))
            .await;
        assert_eq!(
            problem_type(response).await,
            (StatusCode::CONFLICT, "chat-not-waiting".into()),
            "{}",
            app.backend
        );

        // The customer left: not "someone else took it".
        let (left, customer) = app.start_chat(&centre.billing, "Per").await;
        app.post_ok(
            &format!("/customer/chats/{left}/close"),
            &customer,
            json!({}),
        )
        .await;
        let response = app
            .post(&format!("/chats/{left}/pickup"), kari, json!({}))
            .await;
        assert_eq!(
            problem_type(response).await,
            (StatusCode::CONFLICT, "chat-closed".into())
        );

        // Writing before picking up.
        let (waiting, _) = app.start_chat(&centre.billing, "Liv").await;
        let response = app
            .post(
                &format!("/chats/{waiting}/messages"),
                siri,
                json!({"text": "Hei"}),
            )
            .await;
        assert_eq!(
            problem_type(response).await,
            (StatusCode::CONFLICT, "chat-not-assigned".into())
        );

        // A name that is taken.
        let response = app
            .post("/queues", &app.admin, json!({"name": "Support"}))
            .await;
        assert_eq!(
            problem_type(response).await,
            (StatusCode::CONFLICT, "name-taken".into())
        );

        // Picking up one's own chat again is no conflict at all: it is one's chat.
        let (mine, _) = app.picked_up_chat(&centre.billing, "Eva", kari).await;
        let again = app
            .post_ok(&format!("/chats/{mine}/pickup"), kari, json!({}))
            .await;
        assert_eq!(again["agent_id"], centre.kari.user_id.as_str());
        app.finish().await;
    }
}

#[tokio::test]
async fn an_id_in_upper_case_names_the_same_resource() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let upper = centre.support.to_uppercase();
        let response = app
            .patch(
                &format!("/queues/{upper}"),
                &app.admin,
                json!({"service_level_seconds": 30}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{}", app.backend);
        let queue: Value = response.json().await.unwrap();
        assert_eq!(queue["queue_id"], centre.support.as_str());
        assert_eq!(queue["service_level_seconds"], 30);

        let (chat, customer) = app.start_chat(&centre.billing, "Nora").await;
        let upper = chat.to_uppercase();
        let view = app
            .get_ok(&format!("/customer/chats/{upper}"), &customer)
            .await;
        assert_eq!(view["chat_id"], chat.as_str());
        let picked = app
            .post_ok(
                &format!("/chats/{upper}/pickup"),
                &centre.kari.token,
                json!({}),
            )
            .await;
        assert_eq!(picked["chat_id"], chat.as_str());

        let response = app
            .request(Method::POST, "/chats/not-a-uuid/pickup", &centre.kari.token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem_type(response).await,
            (StatusCode::BAD_REQUEST, "bad-request".into())
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_queue_keeps_its_service_level_target_until_the_administrator_changes_it() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let queue = format!("/queues/{}", centre.support);
        let set = app
            .patch(
                &queue,
                &app.admin,
                json!({"service_level_target_percent": 90}),
            )
            .await;
        assert_eq!(set.status(), StatusCode::OK);
        let kept = app
            .patch(&queue, &app.admin, json!({"service_level_seconds": 20}))
            .await;
        let kept: Value = kept.json().await.unwrap();
        assert_eq!(kept["service_level_target_percent"], 90, "left out: kept");
        assert_eq!(kept["service_level_seconds"], 20);
        let read = app.get_ok(&queue, &centre.siri.token).await;
        assert_eq!(
            read["service_level_target_percent"], 90,
            "supervisors read it"
        );

        let before = app.event_count().await;
        for bad in [json!(0), json!(101), json!("high")] {
            let refused = app
                .patch(
                    &queue,
                    &app.admin,
                    json!({"service_level_target_percent": bad}),
                )
                .await;
            assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
        assert_eq!(
            app.event_count().await,
            before,
            "a refused target writes nothing"
        );

        let cleared = app
            .patch(
                &queue,
                &app.admin,
                json!({"service_level_target_percent": null}),
            )
            .await;
        let cleared: Value = cleared.json().await.unwrap();
        assert_eq!(cleared["service_level_target_percent"], Value::Null);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_form_field_has_an_english_label_for_the_english_widget() {
    for app in TestApp::each_backend().await {
        let field = |label_en: Value| json!({"key": "product", "label": "Produkt", "label_en": label_en, "kind": "text"});
        let defined = app
            .post("/form-fields", &app.admin, field(json!("Product")))
            .await;
        assert_eq!(defined.status(), StatusCode::CREATED);
        let product = |config: &Value| {
            config["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["key"] == "product")
                .cloned()
                .unwrap()
        };
        let config = app.get_ok("/widget/config", "").await;
        assert_eq!(product(&config)["label"], "Produkt");
        assert_eq!(product(&config)["label_en"], "Product");

        let before = app.event_count().await;
        for bad in [json!("Pro\u{202e}duct"), json!("  ")] {
            let refused = app
                .post("/form-fields", &app.admin, field(bad.clone()))
                .await;
            assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
        assert_eq!(
            app.event_count().await,
            before,
            "a refused label writes nothing"
        );

        // Defined again without one, the field shows its Norwegian label in English too.
        app.post("/form-fields", &app.admin, field(Value::Null))
            .await;
        let config = app.get_ok("/widget/config", "").await;
        assert!(product(&config).get("label_en").is_none(), "{config}");
        app.finish().await;
    }
}
