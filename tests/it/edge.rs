//! The node as the internet meets it: the client's address behind a trusted proxy (and not
//! otherwise), and the headers every answer carries.

use samtale_api::client_addr::parse_network;
use samtale_testkit::app::TestApp;
use samtale_testkit::sqlite_test_database;
use serde_json::json;

/// Starts a chat as a customer whose request came through `forwarded_for`; its status.
async fn start_from(app: &TestApp, category: &str, forwarded_for: &str) -> u16 {
    app.request(reqwest::Method::POST, "/customer/chats", "")
        .header("x-forwarded-for", forwarded_for)
        .json(
            &json!({"category_id": category, "name": "Kunde", "fields": {"email": "k@example.no"}}),
        )
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_customer_has_a_chat_start_limit_of_their_own() {
    let app = TestApp::start_with(sqlite_test_database().await, |config| {
        config.rate_limits.chat_starts_per_minute = 2;
        config.edge.trusted_proxies = vec![parse_network("127.0.0.1").unwrap()];
    })
    .await;
    let centre = app.centre().await;
    let starts = [
        start_from(&app, &centre.billing, "203.0.113.1").await,
        start_from(&app, &centre.billing, "203.0.113.1").await,
        start_from(&app, &centre.billing, "203.0.113.1").await,
    ];
    assert_eq!(starts, [201, 201, 429]);
    // Another customer behind the same proxy is not held back by the first.
    assert_eq!(start_from(&app, &centre.billing, "203.0.113.2").await, 201);
    // A customer who writes an address of their own before the proxy's is still themselves.
    assert_eq!(
        start_from(&app, &centre.billing, "198.51.100.50, 203.0.113.1").await,
        429
    );
    app.finish().await;
}

#[tokio::test]
async fn a_forwarded_address_from_a_peer_nobody_trusts_is_ignored() {
    let app = TestApp::start_with(sqlite_test_database().await, |config| {
        config.rate_limits.chat_starts_per_minute = 2;
    })
    .await;
    let centre = app.centre().await;
    let starts = [
        start_from(&app, &centre.billing, "203.0.113.1").await,
        start_from(&app, &centre.billing, "203.0.113.2").await,
        start_from(&app, &centre.billing, "203.0.113.3").await,
    ];
    assert_eq!(
        starts,
        [201, 201, 429],
        "a new header each time escapes nothing"
    );
    app.finish().await;
}

#[tokio::test]
async fn the_widget_may_be_framed_only_by_the_listed_sites_and_tls_is_remembered() {
    let app = TestApp::start_with(sqlite_test_database().await, |config| {
        config.edge.hsts_max_age_seconds = Some(31_536_000);
        config.widget_origins = vec![
            "https://shop.example".into(),
            "https://evil.example; script-src *".into(),
        ];
    })
    .await;
    let root = app.base.trim_end_matches("/api/v1").to_string();
    let widget = reqwest::get(format!("{root}/widget")).await.unwrap();
    let policy = widget.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        policy.contains("frame-ancestors 'self' https://shop.example"),
        "{policy}"
    );
    assert!(
        !policy.contains("evil"),
        "an entry that is not an origin is left out: {policy}"
    );
    let console = reqwest::get(format!("{root}/agent")).await.unwrap();
    assert!(console.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let missing = reqwest::get(format!("{root}/no/such/thing")).await.unwrap();
    let health = reqwest::get(format!("{root}/healthz")).await.unwrap();
    let script = reqwest::get(format!("{root}/widget.js")).await.unwrap();
    for (what, answer) in [
        ("widget", &widget),
        ("console", &console),
        ("a 404", &missing),
        ("health", &health),
        ("a script", &script),
    ] {
        let headers = answer.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(
            headers["strict-transport-security"], "max-age=31536000",
            "{what}"
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn no_transport_security_is_claimed_unless_the_operator_says_so() {
    let app = TestApp::start(sqlite_test_database().await).await;
    let answer = app.get("/widget/config", "").await;
    assert!(answer.headers().get("strict-transport-security").is_none());
    app.finish().await;
}
