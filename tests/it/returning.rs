//! Returning customers: a company's own site vouches for a logged-in customer with a signed
//! identity, and the agent sees that customer's earlier chats. An identity unsigned, badly
//! signed, or sent where no secret is configured is refused and never trusted.

use hmac::{Hmac, Mac};
use samtale_testkit::app::{Centre, TestApp, IDENTITY_SECRET};
use serde_json::{json, Value};

/// What the site's server computes: the hex HMAC-SHA256 of the id under the shared secret.
fn signed(user_id: &str, secret: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(user_id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

async fn start(app: &TestApp, centre: &Centre, identity: Option<Value>) -> (u16, Value) {
    let mut body = json!({"category_id": centre.billing, "name": "Gjenganger",
        "fields": {"email": "skjema@example.no"}});
    if let Some(identity) = identity {
        body["identity"] = identity;
    }
    let response = app.post("/customer/chats", "", body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

fn ids(chats: &Value) -> Vec<&str> {
    chats
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["chat_id"].as_str())
        .collect()
}

#[tokio::test]
async fn the_agent_sees_a_vouched_for_customers_earlier_chats() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let kari = &centre.kari.token;
        let identity = json!({"user_id": "kunde-42", "email": "Ola@Example.no",
            "signature": signed("kunde-42\nOla@Example.no", IDENTITY_SECRET)});
        let (status, first) = start(&app, &centre, Some(identity.clone())).await;
        assert_eq!(status, 201, "{}: {first}", app.backend);
        let first = first["chat_id"].as_str().unwrap().to_string();
        app.post_ok(&format!("/chats/{first}/pickup"), kari, json!({}))
            .await;
        app.post_ok(&format!("/chats/{first}/end"), kari, json!({}))
            .await;
        let (_, stranger) = start(&app, &centre, None).await;
        let (_, second) = start(&app, &centre, Some(identity)).await;
        let second = second["chat_id"].as_str().unwrap().to_string();

        let earlier = app.get_ok(&format!("/chats/{second}/earlier"), kari).await;
        assert_eq!(
            ids(&earlier),
            vec![first.as_str()],
            "{}: {earlier}",
            app.backend
        );
        let none = app
            .get_ok(
                &format!("/chats/{}/earlier", stranger["chat_id"].as_str().unwrap()),
                kari,
            )
            .await;
        assert_eq!(
            none,
            json!([]),
            "{}: an unknown customer has no past",
            app.backend
        );
        // Ola's queue is another: he may not see these chats, nor their past.
        let hidden = app
            .get(&format!("/chats/{second}/earlier"), &centre.ola.token)
            .await;
        assert_eq!(hidden.status(), 404, "{}", app.backend);

        // The site's e-mail makes the chat findable by an erasure request; erased, it is
        // nobody's past any more.
        let request = app
            .post_ok(
                "/erasure-requests",
                &app.admin,
                json!({"email": "ola@example.no"}),
            )
            .await;
        assert!(
            request["erased"].to_string().contains(&first),
            "{}: {request}",
            app.backend
        );
        let after = app.get_ok(&format!("/chats/{second}/earlier"), kari).await;
        assert_eq!(after, json!([]), "{}: {after}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn an_identity_not_signed_by_the_sites_secret_is_refused() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let before = app.event_count().await;
        for identity in [
            json!({"user_id": "kunde-42", "signature": signed("kunde-43", IDENTITY_SECRET)}),
            json!({"user_id": "kunde-42", "signature": signed("kunde-42", "a guess")}),
            json!({"user_id": "kunde-42", "signature": "zz"}),
            json!({"user_id": "kunde-42"}),
            json!({"user_id": "", "signature": signed("", IDENTITY_SECRET)}),
            // The address is signed with the id: another one does not match.
            json!({"user_id": "kunde-42", "email": "mallory@example.no",
                "signature": signed("kunde-42\nola@example.no", IDENTITY_SECRET)}),
        ] {
            let (status, problem) = start(&app, &centre, Some(identity.clone())).await;
            assert_eq!(status, 422, "{}: {identity} → {problem}", app.backend);
        }
        assert_eq!(
            app.event_count().await,
            before,
            "{}: no chat was started",
            app.backend
        );
        app.finish().await;
    }
    let unconfigured =
        |config: &mut samtale_api::config::ServeConfig| config.identity_secret = None;
    for app in TestApp::each_backend_with(unconfigured).await {
        let centre = app.centre().await;
        let identity =
            json!({"user_id": "kunde-42", "signature": signed("kunde-42", IDENTITY_SECRET)});
        let (status, problem) = start(&app, &centre, Some(identity)).await;
        assert_eq!(status, 422, "{}: {problem}", app.backend);
        assert_eq!(problem["errors"][0]["key"], "identity");
        app.finish().await;
    }
}

#[tokio::test]
async fn an_address_the_site_did_not_sign_is_dropped_and_the_id_still_counts() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let identity = json!({"user_id": "kunde-42", "email": "mallory@example.no",
            "signature": signed("kunde-42", IDENTITY_SECRET)});
        let (status, started) = start(&app, &centre, Some(identity)).await;
        assert_eq!(status, 201, "{}: {started}", app.backend);
        let chat = started["chat_id"].as_str().unwrap();
        let audit = app
            .get_ok(&format!("/chats/{chat}/audit"), &centre.siri.token)
            .await;
        let audit = audit.to_string();
        assert!(
            audit.contains("kunde-42"),
            "{}: the id counts: {audit}",
            app.backend
        );
        assert!(
            !audit.contains("mallory"),
            "{}: the address does not: {audit}",
            app.backend
        );
        app.finish().await;
    }
}
