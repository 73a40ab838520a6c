//! Each request has one id, returned to the client and recorded with the events it wrote; a
//! token in the URL is accepted only where EventSource needs it.

use reqwest::StatusCode;
use samtale_testkit::app::TestApp;
use serde_json::{json, Value};

fn request_id(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .expect("every response carries x-request-id")
        .to_str()
        .unwrap()
        .to_string()
}

/// The request id the audit trail records for the chat's event of `kind`.
async fn audited_request_id(app: &TestApp, chat: &str, token: &str, kind: &str) -> Value {
    let trail = app.get_ok(&format!("/chats/{chat}/audit"), token).await;
    trail
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["type"] == kind)
        .unwrap_or_else(|| panic!("{kind} in the audit trail"))["request_id"]
        .clone()
}

#[tokio::test]
async fn the_request_id_returned_to_the_client_is_the_one_its_events_record() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, _) = app.start_chat(&centre.billing, "Spor").await;

        let pickup = app
            .post(
                &format!("/chats/{chat}/pickup"),
                &centre.kari.token,
                json!({}),
            )
            .await;
        assert!(pickup.status().is_success(), "{}", app.backend);
        let ours = request_id(&pickup);
        assert!(uuid::Uuid::parse_str(&ours).is_ok(), "a UUID: {ours}");
        assert_eq!(
            audited_request_id(&app, &chat, &centre.siri.token, "ChatAssigned").await,
            ours.as_str(),
            "on {}",
            app.backend
        );

        let sent = app
            .request(
                reqwest::Method::POST,
                &format!("/chats/{chat}/messages"),
                &centre.kari.token,
            )
            .header("x-request-id", "client-trace-42")
            .json(&json!({"text": "Hei"}))
            .send()
            .await
            .unwrap();
        assert!(sent.status().is_success());
        assert_eq!(
            request_id(&sent),
            "client-trace-42",
            "the client's id is echoed"
        );
        assert_eq!(
            audited_request_id(&app, &chat, &centre.siri.token, "MessageSent").await,
            "client-trace-42"
        );

        let too_long = "x".repeat(129);
        let refused = app
            .request(reqwest::Method::GET, "/no-such-thing", "")
            .header("x-request-id", too_long.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        let replaced = request_id(&refused);
        assert!(
            uuid::Uuid::parse_str(&replaced).is_ok(),
            "an over-long id is replaced, even on an error: {replaced}"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_token_in_the_url_is_accepted_on_the_two_streams_and_nowhere_else() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app.start_chat(&centre.billing, "Lenke").await;
        let url = |path: &str, token: &str| format!("{}{path}?access_token={token}", app.base);
        let get = |url: String| {
            let client = app.client.clone();
            async move { client.get(url).send().await.unwrap() }
        };

        for (path, token) in [
            ("/me".to_string(), &centre.kari.token),
            ("/chats/waiting".to_string(), &centre.kari.token),
            (format!("/customer/chats/{chat}"), &customer),
        ] {
            assert_eq!(
                get(url(&path, token)).await.status(),
                StatusCode::UNAUTHORIZED,
                "{path} on {}",
                app.backend
            );
        }

        for (path, token) in [
            ("/events".to_string(), &centre.kari.token),
            (format!("/customer/chats/{chat}/events"), &customer),
        ] {
            let stream = get(url(&path, token)).await;
            assert_eq!(stream.status(), StatusCode::OK, "{path} on {}", app.backend);
            assert_eq!(
                stream.headers()["content-type"],
                "text/event-stream",
                "{path}"
            );
        }
        app.finish().await;
    }
}
