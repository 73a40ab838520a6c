//! A client's retry is "this same request again": it never duplicates, and it never answers
//! with someone else's data.

use reqwest::{Method, StatusCode};
use samtale_testkit::app::TestApp;
use serde_json::{json, Value};

/// POSTs `body` with an `Idempotency-Key`; returns the status and the JSON body.
async fn post_keyed(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = app
        .request(Method::POST, path, token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The texts of a chat's transcript, as its agent or a supervisor sees it.
async fn transcript(app: &TestApp, chat: &str, token: &str) -> Vec<String> {
    app.get_ok(&format!("/chats/{chat}"), token).await["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn two_customers_with_the_same_idempotency_key_each_send_their_own_message() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat_a, customer_a) = app.start_chat(&centre.billing, "Anne").await;
        let (chat_b, customer_b) = app.start_chat(&centre.billing, "Bjørn").await;
        let send = |chat: &str| format!("/customer/chats/{chat}/messages");

        let (status, a) = post_keyed(
            &app,
            &send(&chat_a),
            &customer_a,
            "1",
            json!({"text": "my card number is 4242"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, b) = post_keyed(
            &app,
            &send(&chat_b),
            &customer_b,
            "1",
            json!({"text": "hello"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}", app.backend);
        assert_eq!(
            b["text"], "hello",
            "{}: B gets B's message, not A's",
            app.backend
        );
        assert_ne!(a["message_id"], b["message_id"]);

        let siri = &centre.siri.token;
        assert_eq!(
            transcript(&app, &chat_a, siri).await,
            ["my card number is 4242"]
        );
        assert_eq!(
            transcript(&app, &chat_b, siri).await,
            ["hello"],
            "B's message is stored"
        );

        // A's own retry is still A's first message, once.
        let (_, again) = post_keyed(
            &app,
            &send(&chat_a),
            &customer_a,
            "1",
            json!({"text": "my card number is 4242"}),
        )
        .await;
        assert_eq!(again["message_id"], a["message_id"]);
        assert_eq!(transcript(&app, &chat_a, siri).await.len(), 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn two_customers_with_the_same_client_message_id_each_send_their_own_message() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat_a, customer_a) = app.start_chat(&centre.billing, "Anne").await;
        let (chat_b, customer_b) = app.start_chat(&centre.billing, "Bjørn").await;
        let body = |text: &str| json!({"text": text, "client_message_id": "c-1"});
        let a = app
            .post_ok(
                &format!("/customer/chats/{chat_a}/messages"),
                &customer_a,
                body("secret"),
            )
            .await;
        let b = app
            .post_ok(
                &format!("/customer/chats/{chat_b}/messages"),
                &customer_b,
                body("hello"),
            )
            .await;
        assert_eq!(b["text"], "hello", "{}", app.backend);
        assert_ne!(a["message_id"], b["message_id"]);
        app.finish().await;
    }
}

#[tokio::test]
async fn one_agent_with_one_key_in_two_chats_sends_both_messages() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let (first, _) = app.picked_up_chat(&centre.billing, "Anne", kari).await;
        let (second, _) = app.picked_up_chat(&centre.billing, "Bjørn", kari).await;
        for (header_key, body_id) in [(Some("k-1"), None), (None, Some("c-1"))] {
            let mut replies = Vec::new();
            for (chat, text) in [(&first, "to Anne"), (&second, "to Bjørn")] {
                let mut body = json!({"text": text});
                if let Some(id) = body_id {
                    body["client_message_id"] = json!(id);
                }
                let mut request =
                    app.request(Method::POST, &format!("/chats/{chat}/messages"), kari);
                if let Some(key) = header_key {
                    request = request.header("Idempotency-Key", key);
                }
                let response = request.json(&body).send().await.unwrap();
                assert_eq!(response.status(), StatusCode::CREATED, "{}", app.backend);
                replies.push(response.json::<Value>().await.unwrap());
            }
            assert_eq!(replies[0]["text"], "to Anne");
            assert_eq!(
                replies[1]["text"], "to Bjørn",
                "{}: the second chat's own message",
                app.backend
            );
        }
        assert_eq!(transcript(&app, &first, kari).await, ["to Anne", "to Anne"]);
        assert_eq!(
            transcript(&app, &second, kari).await,
            ["to Bjørn", "to Bjørn"]
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn the_customer_and_the_agent_of_one_chat_with_the_same_key_are_two_senders() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Anne", kari).await;
        let body = |text: &str| json!({"text": text, "client_message_id": "1"});
        app.post_ok(
            &format!("/customer/chats/{chat}/messages"),
            &customer,
            body("Hei"),
        )
        .await;
        let reply = app
            .post_ok(&format!("/chats/{chat}/messages"), kari, body("Hei, Anne"))
            .await;
        assert_eq!(reply["text"], "Hei, Anne", "{}", app.backend);
        assert_eq!(transcript(&app, &chat, kari).await, ["Hei", "Hei, Anne"]);
        app.finish().await;
    }
}

#[tokio::test]
async fn retried_creates_answer_the_first_attempts_resource() {
    for app in TestApp::each_backend().await {
        let admin = app.admin.clone();
        let (status, queue) =
            post_keyed(&app, "/queues", &admin, "q-1", json!({"name": "Support"})).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, again) =
            post_keyed(&app, "/queues", &admin, "q-1", json!({"name": "Support"})).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {again}", app.backend);
        assert_eq!(again, queue);

        let category = json!({"name": "Billing", "queue_id": queue["queue_id"]});
        let (_, first) = post_keyed(&app, "/categories", &admin, "c-1", category.clone()).await;
        let (status, again) = post_keyed(&app, "/categories", &admin, "c-1", category).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {again}", app.backend);
        assert_eq!(again, first);

        let user = json!({"username": "kari", "display_name": "Kari", "password": "a long enough password",
                          "role": "agent"});
        let (_, first) = post_keyed(&app, "/users", &admin, "u-1", user.clone()).await;
        let (status, again) = post_keyed(&app, "/users", &admin, "u-1", user).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {again}", app.backend);
        assert_eq!(again, first);
        let users = app.get_ok("/users", &admin).await;
        assert_eq!(users.as_array().unwrap().len(), 2, "admin and kari, once");
        app.login("kari", "a long enough password").await;
        app.finish().await;
    }
}

#[tokio::test]
async fn credentials_are_never_left_without_their_user() {
    for app in TestApp::each_backend().await {
        let user = |username: &str| {
            json!({"username": username, "display_name": "Kari", "password": "a long enough password",
                   "role": "agent"})
        };
        for key in ["u-1", "u-1", "u-2"] {
            post_keyed(&app, "/users", &app.admin, key, user("kari")).await;
        }
        // A refused creation (the name is taken) and a retry leave one credential per user.
        let (status, _) = post_keyed(&app, "/users", &app.admin, "u-3", user("kari")).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let orphans: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM credentials WHERE user_id NOT IN (SELECT user_id FROM users)",
        )
        .fetch_one(app.app.state.db.any())
        .await
        .unwrap();
        assert_eq!(orphans, 0, "{}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_retried_chat_start_answers_the_same_chat_and_token() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let key = uuid::Uuid::new_v4().to_string();
        let start = json!({"category_id": centre.billing, "name": "Nora", "fields": {"email": "nora@example.no"}});
        let (status, first) = post_keyed(&app, "/customer/chats", "", &key, start.clone()).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, again) = post_keyed(&app, "/customer/chats", "", &key, start.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {again}", app.backend);
        assert_eq!(again, first);
        let token = first["customer_token"].as_str().unwrap();
        app.get_ok(
            &format!("/customer/chats/{}", first["chat_id"].as_str().unwrap()),
            token,
        )
        .await;
        let waiting = app.get_ok("/chats/waiting", &centre.siri.token).await;
        assert_eq!(waiting.as_array().unwrap().len(), 1, "queued once");

        // A guessable key could hand one customer another's chat: it is refused.
        let (status, problem) = post_keyed(&app, "/customer/chats", "", "1", start).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        app.finish().await;
    }
}

#[tokio::test]
async fn one_key_for_changes_to_two_users_changes_both() {
    for app in TestApp::each_backend().await {
        let anne = app.create_staff("anne", "agent", &[]).await;
        let bjorn = app.create_staff("bjorn", "agent", &[]).await;
        for user in [&anne, &bjorn] {
            let response = app
                .request(
                    Method::PATCH,
                    &format!("/users/{}", user.user_id),
                    &app.admin,
                )
                .header("Idempotency-Key", "same")
                .json(&json!({"max_concurrent_chats": 7}))
                .send()
                .await
                .unwrap();
            let changed: Value = response.json().await.unwrap();
            assert_eq!(
                changed["max_concurrent_chats"], 7,
                "{}: {changed}",
                app.backend
            );
        }
        app.finish().await;
    }
}
