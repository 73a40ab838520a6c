//! The OpenAPI document's word holds both ways: what it declares valid the server takes, and
//! what the server refuses the document says (`tests/contract/` runs a third-party tool on it;
//! these are the cases it found, pinned).

use reqwest::{Method, StatusCode};
use samtale_testkit::app::{slug, TestApp};
use serde_json::{json, Value};

#[tokio::test]
async fn a_whole_number_written_with_a_point_is_that_integer() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let user = app
            .patch(
                &format!("/users/{}", centre.kari.user_id),
                &app.admin,
                json!({"max_concurrent_chats": 5.0}),
            )
            .await;
        assert_eq!(user.status(), StatusCode::OK, "{}", app.backend);
        let user: Value = user.json().await.unwrap();
        assert_eq!(user["max_concurrent_chats"], 5);
        // A fraction is still no integer.
        let fraction = app
            .patch(
                &format!("/users/{}", centre.kari.user_id),
                &app.admin,
                json!({"max_concurrent_chats": 5.5}),
            )
            .await;
        assert_eq!(fraction.status(), StatusCode::UNPROCESSABLE_ENTITY);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_null_body_where_the_body_is_optional_is_no_body() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, _) = app
            .picked_up_chat(&centre.billing, "Nora", &centre.kari.token)
            .await;
        let ended = app
            .request(
                Method::POST,
                &format!("/chats/{chat}/end"),
                &centre.kari.token,
            )
            .header("content-type", "application/json")
            .body("null")
            .send()
            .await
            .unwrap();
        assert_eq!(ended.status(), StatusCode::OK, "{}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_period_that_ends_before_it_starts_holds_nothing() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        app.picked_up_chat(&centre.billing, "Nora", &centre.kari.token)
            .await;
        let reversed = "from=2100-01-01T00:00:00Z&to=2000-01-01T00:00:00Z";
        for path in [
            format!("/reports/chats?{reversed}"),
            format!("/agents/{}/activity?{reversed}", centre.kari.user_id),
        ] {
            assert_eq!(
                app.get_ok(&path, &centre.siri.token).await,
                json!([]),
                "{path}"
            );
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn refusals_the_schema_cannot_tell_name_their_field_and_change_nothing() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, _) = app
            .picked_up_chat(&centre.billing, "Nora", &centre.kari.token)
            .await;
        let before = app.event_count().await;
        let field = |problem: &Value| problem["errors"][0]["key"].clone();

        // A member who does not exist: the queue does, so not a 404.
        let member = app
            .post(
                &format!("/queues/{}/members", centre.support),
                &app.admin,
                json!({"user_id": uuid::Uuid::new_v4()}),
            )
            .await;
        assert_eq!(member.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(field(&member.json().await.unwrap()), "user_id");

        // A reason that is no reason, even where it has no use (resuming).
        let resume = app
            .post(
                "/me/pause",
                &centre.kari.token,
                json!({"paused": false, "reason": ""}),
            )
            .await;
        assert_eq!(resume.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(field(&resume.json().await.unwrap()), "reason");

        // Staff typing says whether, never what: text is not part of its body.
        let typing = app
            .post(
                &format!("/chats/{chat}/typing"),
                &centre.kari.token,
                json!({"typing": true, "text": "draft"}),
            )
            .await;
        assert_eq!(typing.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // A form field's label and options are shown to every customer: names' rules.
        for (label, options) in [("Ordre\u{9b}", json!([])), ("Ordre", json!(["\u{200B}"]))] {
            let kind = if options == json!([]) {
                "text"
            } else {
                "select"
            };
            let defined = app
                .post(
                    "/form-fields",
                    &app.admin,
                    json!({"key": "order", "label": label, "kind": kind, "options": options}),
                )
                .await;
            assert_eq!(
                defined.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{label}"
            );
            let problem: Value = defined.json().await.unwrap();
            assert_eq!(slug(&problem), "invalid-input");
        }

        assert_eq!(app.event_count().await, before, "{}", app.backend);
        app.finish().await;
    }
}
