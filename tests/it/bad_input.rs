//! Every public input gets a clear 4xx and changes nothing.

use reqwest::{Method, StatusCode};
use samtale_testkit::app::TestApp;
use serde_json::{json, Value};

#[tokio::test]
async fn invalid_form_answers_name_each_bad_field_and_create_no_chat() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let before = app.event_count().await;
        let response = app
            .post(
                "/customer/chats",
                "",
                json!({"category_id": centre.billing, "name": "Nora", "fields": {"email": "nope", "shoe_size": "42"}}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = response.json().await.unwrap();
        let keys: Vec<_> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["key"].clone())
            .collect();
        assert_eq!(keys, [json!("shoe_size"), json!("email")]);
        assert_eq!(
            app.event_count().await,
            before,
            "{}: nothing written",
            app.backend
        );
        assert_eq!(
            app.get_ok("/chats/waiting", &centre.siri.token).await,
            json!([])
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn malformed_requests_are_refused_without_writing_anything() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app.start_chat(&centre.billing, "Nora").await;
        let before = app.event_count().await;
        let messages = format!("/customer/chats/{chat}/messages");
        let cases: Vec<(reqwest::Response, StatusCode)> = vec![
            (
                app.request(Method::POST, &messages, &customer).body("{not json").header("content-type", "application/json").send().await.unwrap(),
                StatusCode::BAD_REQUEST,
            ),
            (app.post(&messages, &customer, json!({"txt": "typo"})).await, StatusCode::UNPROCESSABLE_ENTITY),
            (app.post(&messages, &customer, json!({"text": {"an": "object"}})).await, StatusCode::UNPROCESSABLE_ENTITY),
            (
                app.request(Method::POST, &messages, &customer).body(vec![b'{', 0xff, 0xfe, b'}']).header("content-type", "application/json").send().await.unwrap(),
                StatusCode::BAD_REQUEST,
            ),
            (
                app.request(Method::POST, &messages, "").header("authorization", "Bearer    ").json(&json!({"text": "x"})).send().await.unwrap(),
                StatusCode::UNAUTHORIZED,
            ),
            (app.post(&messages, &customer, json!({"text": "   "})).await, StatusCode::UNPROCESSABLE_ENTITY),
            (app.post(&messages, &customer, json!({"text": "nul\u{0}byte"})).await, StatusCode::UNPROCESSABLE_ENTITY),
            (app.post(&messages, &customer, json!({"text": "x".repeat(4_001)})).await, StatusCode::UNPROCESSABLE_ENTITY),
            (app.post(&messages, &customer, json!({"text": "x".repeat(100_000)})).await, StatusCode::PAYLOAD_TOO_LARGE),
            (app.post(&messages, "", json!({"text": "who am i"})).await, StatusCode::UNAUTHORIZED),
            (app.post(&messages, "forged-token", json!({"text": "hi"})).await, StatusCode::UNAUTHORIZED),
            (app.post("/customer/chats/not-a-uuid/messages", &customer, json!({"text": "x"})).await, StatusCode::BAD_REQUEST),
            (app.post("/chats/not-a-uuid/pickup", &centre.kari.token, json!({})).await, StatusCode::BAD_REQUEST),
            (app.post(&format!("/chats/{chat}/read"), &centre.kari.token, json!({"up_to": -1})).await, StatusCode::UNPROCESSABLE_ENTITY),
            (app.post("/customer/chats", "", json!({"name": "No target", "fields": {}})).await, StatusCode::UNPROCESSABLE_ENTITY),
            (app.post("/customer/chats", "", json!({"queue_id": uuid::Uuid::new_v4(), "name": "x"})).await, StatusCode::UNPROCESSABLE_ENTITY),
            (app.post("/users", &centre.kari.token, json!({"username": "x1", "display_name": "x", "password": "long enough pw", "role": "administrator"})).await, StatusCode::FORBIDDEN),
            (app.post("/users", &app.admin, json!({"username": "bad name", "display_name": "x", "password": "long enough pw", "role": "agent"})).await, StatusCode::UNPROCESSABLE_ENTITY),
            (app.post("/users", &app.admin, json!({"username": "short", "display_name": "x", "password": "short", "role": "agent"})).await, StatusCode::UNPROCESSABLE_ENTITY),
            (app.post("/queues", &app.admin, json!({"name": "Support"})).await, StatusCode::CONFLICT),
            (app.post("/auth/login", "", json!({"username": "kari", "password": "wrong password"})).await, StatusCode::UNAUTHORIZED),
            (app.get("/no/such/route", "").await, StatusCode::NOT_FOUND),
        ];
        for (index, (response, expected)) in cases.into_iter().enumerate() {
            let status = response.status();
            let content_type = response.headers().get("content-type").cloned();
            assert_eq!(status, expected, "{}: case {index}", app.backend);
            assert_eq!(
                content_type.unwrap().to_str().unwrap(),
                "application/problem+json",
                "case {index}"
            );
        }
        assert_eq!(
            app.event_count().await,
            before,
            "{}: nothing written",
            app.backend
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn logout_revokes_the_token_at_once() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        assert_eq!(
            app.get("/me", &centre.kari.token).await.status(),
            StatusCode::OK
        );
        let out = app
            .post("/auth/logout", &centre.kari.token, json!({}))
            .await;
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            app.get("/me", &centre.kari.token).await.status(),
            StatusCode::UNAUTHORIZED
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn logins_and_chat_starts_from_one_address_are_rate_limited() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let mut statuses = Vec::new();
        for _ in 0..25 {
            let attempt = app
                .post(
                    "/auth/login",
                    "",
                    json!({"username": "kari", "password": "guessing"}),
                )
                .await;
            statuses.push(attempt.status());
        }
        assert_eq!(
            statuses.last(),
            Some(&StatusCode::TOO_MANY_REQUESTS),
            "{}",
            app.backend
        );
        assert!(statuses.contains(&StatusCode::UNAUTHORIZED));

        let before = app.event_count().await;
        let mut refused = 0;
        let started = std::time::Instant::now();
        for i in 0..35 {
            let start = app
                .post(
                    "/customer/chats",
                    "",
                    json!({"category_id": centre.billing, "name": format!("Flom {i}"), "fields": {"email": "a@b.no"}}),
                )
                .await;
            if start.status() == StatusCode::TOO_MANY_REQUESTS {
                refused += 1;
                let problem: Value = start.json().await.unwrap();
                assert_eq!(problem["type"], "https://samtale.dev/problems/rate-limited");
            }
        }
        // 30 a minute is a token every 2 s: a slow run may have earned one or two back.
        let refilled = (started.elapsed().as_secs_f64() / 2.0).ceil() as i64;
        let accepted = 35 - refused;
        assert!(
            (30..=30 + refilled).contains(&accepted),
            "{}: 30 per minute, {accepted} accepted",
            app.backend
        );
        let written = app.event_count().await - before;
        assert_eq!(written, accepted, "refused starts write nothing");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_blank_name_is_refused_with_a_code_the_widget_can_translate() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let response = app
            .post(
                "/customer/chats",
                "",
                json!({"category_id": centre.billing, "name": "   ", "fields": {"email": "a@b.no"}}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["key"], "name", "{}", app.backend);
        assert_eq!(problem["errors"][0]["code"], "required");
        app.finish().await;
    }
}

#[tokio::test]
async fn disguised_names_and_invisible_messages_are_refused_and_change_nothing() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let before = app.event_count().await;
        let disguised = app
            .post(
                "/customer/chats",
                "",
                json!({"category_id": centre.billing, "name": "abc\u{202E}gnp.exe",
                       "fields": {"email": "kunde@example.no"}}),
            )
            .await;
        assert_eq!(disguised.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = disguised.json().await.unwrap();
        assert_eq!(problem["errors"][0]["key"], "name", "{problem}");
        assert_eq!(problem["errors"][0]["code"], "bidi-control", "{problem}");
        assert_eq!(app.event_count().await, before, "{}", app.backend);

        let (chat, customer) = app.start_chat(&centre.billing, "Nora").await;
        let before = app.event_count().await;
        let invisible = app
            .post(
                &format!("/customer/chats/{chat}/messages"),
                &customer,
                json!({"text": "\u{200B}\u{200D}\u{FEFF}"}),
            )
            .await;
        assert_eq!(invisible.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = invisible.json().await.unwrap();
        assert_eq!(problem["errors"][0]["code"], "required", "{problem}");
        assert_eq!(app.event_count().await, before, "{}", app.backend);
        app.finish().await;
    }
}
