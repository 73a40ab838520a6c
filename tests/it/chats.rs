//! A chat's life as the agent view in the seed describes it, plus the races and retries.

use reqwest::{Method, RequestBuilder, StatusCode};
use samtale_testkit::app::TestApp;
use serde_json::{json, Value};

#[tokio::test]
async fn a_chat_from_request_to_end_as_agent_and_customer_see_it() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let (chat, customer) = app.start_chat(&centre.billing, "Nora Kunde").await;

        // Incoming list (seed item 1): who, when, which queue.
        let waiting = app.get_ok("/chats/waiting", kari).await;
        assert_eq!(waiting[0]["chat_id"], chat.as_str());
        assert_eq!(waiting[0]["customer_name"], "Nora Kunde");
        assert_eq!(waiting[0]["queue_name"], "Support");
        let board = app.get_ok("/queues", kari).await;
        assert_eq!(
            board.as_array().unwrap().len(),
            1,
            "an agent sees only their queues"
        );
        assert_eq!(board[0]["waiting"], 1);
        assert_eq!(
            app.get_ok(&format!("/customer/chats/{chat}"), &customer)
                .await["queue_position"],
            1
        );

        // The customer writes before anyone answers; the agent picks up.
        app.post_ok(
            &format!("/customer/chats/{chat}/messages"),
            &customer,
            json!({"text": "Hei!"}),
        )
        .await;
        let picked = app
            .post_ok(&format!("/chats/{chat}/pickup"), kari, json!({}))
            .await;
        assert_eq!(picked["status"], "assigned");
        assert_eq!(
            picked["answers"][0]["value"], "kunde@example.no",
            "customer information"
        );
        assert_eq!(app.get_ok("/queues", kari).await[0]["ongoing"], 1);

        // Unread badge (agent window item 1): customer messages after the agent's last read.
        app.post_ok(
            &format!("/customer/chats/{chat}/messages"),
            &customer,
            json!({"text": "Fakturaen?"}),
        )
        .await;
        let mine = app.get_ok("/me/chats", kari).await;
        assert_eq!(mine["active"][0]["unread"], 2);
        app.post_ok(&format!("/chats/{chat}/read"), kari, json!({"up_to": 2}))
            .await;
        assert_eq!(
            app.get_ok("/me/chats", kari).await["active"][0]["unread"],
            0
        );

        let reply = app
            .post_ok(
                &format!("/chats/{chat}/messages"),
                kari,
                json!({"text": "Jeg ser på det."}),
            )
            .await;
        assert_eq!(reply["author_kind"], "agent");
        let view = app
            .get_ok(&format!("/customer/chats/{chat}"), &customer)
            .await;
        assert_eq!(view["transcript"].as_array().unwrap().len(), 3);
        assert_eq!(view["agent_name"], "kari");

        // End (item 4): the chat becomes passive for the rest of the session (item 2).
        let ended = app
            .post_ok(&format!("/chats/{chat}/end"), kari, json!({}))
            .await;
        assert_eq!(ended["status"], "ended");
        let mine = app.get_ok("/me/chats", kari).await;
        assert_eq!(mine["active"].as_array().unwrap().len(), 0);
        assert_eq!(mine["passive"][0]["chat_id"], chat.as_str());
        let late = app
            .post(
                &format!("/customer/chats/{chat}/messages"),
                &customer,
                json!({"text": "Hallo?"}),
            )
            .await;
        assert_eq!(
            late.status(),
            StatusCode::CONFLICT,
            "nothing can be sent to an ended chat"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_transfer_puts_the_chat_in_the_other_queue_for_its_agents() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, _) = app
            .picked_up_chat(&centre.billing, "Per", &centre.kari.token)
            .await;
        let moved = app
            .post_ok(
                &format!("/chats/{chat}/transfer"),
                &centre.kari.token,
                json!({"category_id": centre.offers}),
            )
            .await;
        assert_eq!(moved["status"], "waiting");
        assert_eq!(moved["queue_id"], centre.sales.as_str());
        assert_eq!(moved["category_id"], centre.offers.as_str());
        assert_eq!(
            app.get_ok("/chats/waiting", &centre.ola.token).await[0]["chat_id"],
            chat.as_str()
        );
        assert_eq!(
            app.get_ok("/me/chats", &centre.kari.token).await["active"],
            json!([])
        );
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
async fn two_agents_picking_up_at_once_get_one_200_and_one_409() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let colleague = app.create_staff("kaja", "agent", &[&centre.support]).await;
        for _ in 0..5 {
            let (chat, _) = app.start_chat(&centre.billing, "Rask").await;
            let path = format!("/chats/{chat}/pickup");
            let (a, b) = tokio::join!(
                app.post(&path, &centre.kari.token, json!({})),
                app.post(&path, &colleague.token, json!({}))
            );
            let mut statuses = [a.status(), b.status()];
            statuses.sort();
            assert_eq!(
                statuses,
                [StatusCode::OK, StatusCode::CONFLICT],
                "{}",
                app.backend
            );
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn an_agent_outside_the_queue_can_neither_see_nor_touch_its_chats() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, _) = app.start_chat(&centre.billing, "Privat").await;
        let ola = &centre.ola.token;
        assert_eq!(app.get_ok("/chats/waiting", ola).await, json!([]));
        assert_eq!(
            app.get(&format!("/chats/{chat}"), ola).await.status(),
            StatusCode::NOT_FOUND
        );
        let before = app.event_count().await;
        let pickup = app
            .post(&format!("/chats/{chat}/pickup"), ola, json!({}))
            .await;
        assert_eq!(pickup.status(), StatusCode::NOT_FOUND);
        app.post_ok(
            &format!("/chats/{chat}/pickup"),
            &centre.kari.token,
            json!({}),
        )
        .await;
        let after_pickup = app.event_count().await;
        let send = app
            .post(
                &format!("/chats/{chat}/messages"),
                ola,
                json!({"text": "hei"}),
            )
            .await;
        assert_eq!(send.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.event_count().await, after_pickup, "nothing written");
        assert!(after_pickup > before);
        // The supervisor sees every queue.
        assert_eq!(
            app.get_ok(&format!("/chats/{chat}"), &centre.siri.token)
                .await["status"],
            "assigned"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_customer_token_opens_its_own_chat_and_no_other() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat_a, token_a) = app.start_chat(&centre.billing, "A").await;
        let (chat_b, _) = app.start_chat(&centre.billing, "B").await;
        assert_eq!(
            app.get(&format!("/customer/chats/{chat_a}"), &token_a)
                .await
                .status(),
            StatusCode::OK
        );
        for path in [
            format!("/customer/chats/{chat_b}"),
            format!("/chats/{chat_b}"),
        ] {
            assert!(app.get(&path, &token_a).await.status().is_client_error());
        }
        let write = app
            .post(
                &format!("/customer/chats/{chat_b}/messages"),
                &token_a,
                json!({"text": "x"}),
            )
            .await;
        assert_eq!(write.status(), StatusCode::NOT_FOUND);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_retried_message_is_stored_once_and_answered_like_the_first() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app.start_chat(&centre.billing, "Retry").await;
        let path = format!("/customer/chats/{chat}/messages");
        // A retry is recognised by the message's client id, or else by the request's
        // Idempotency-Key.
        let by_client_id = || {
            app.request(Method::POST, &path, &customer)
                .json(&json!({"text": "Er dere der?", "client_message_id": "c-42"}))
        };
        let by_key = || {
            app.request(Method::POST, &path, &customer)
                .header("Idempotency-Key", "k-7")
                .json(&json!({"text": "Hallo?"}))
        };
        for send in [&by_client_id as &dyn Fn() -> RequestBuilder, &by_key] {
            let mut answers = Vec::new();
            for _ in 0..2 {
                let response = send().send().await.unwrap();
                assert_eq!(response.status(), StatusCode::CREATED);
                answers.push(response.json::<Value>().await.unwrap());
            }
            assert_eq!(answers[0], answers[1], "the retry is answered as the first");
        }
        let view = app
            .get_ok(&format!("/customer/chats/{chat}"), &customer)
            .await;
        assert_eq!(view["transcript"].as_array().unwrap().len(), 2);
        app.finish().await;
    }
}

#[tokio::test]
async fn closing_the_client_ends_the_chat_for_the_agent() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (waiting_chat, waiting_customer) = app.start_chat(&centre.billing, "Går").await;
        let closed = app
            .post_ok(
                &format!("/customer/chats/{waiting_chat}/close"),
                &waiting_customer,
                json!({}),
            )
            .await;
        assert_eq!(closed["status"], "abandoned");
        assert_eq!(
            app.get_ok("/chats/waiting", &centre.kari.token).await,
            json!([])
        );

        let (chat, customer) = app
            .picked_up_chat(&centre.billing, "Blir", &centre.kari.token)
            .await;
        app.post_ok(
            &format!("/customer/chats/{chat}/close"),
            &customer,
            json!({}),
        )
        .await;
        let mine = app.get_ok("/me/chats", &centre.kari.token).await;
        assert_eq!(mine["passive"][0]["status"], "ended");
        app.finish().await;
    }
}
