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

#[tokio::test]
async fn one_token_holds_only_so_many_live_streams_at_once() {
    let app = TestApp::start_with(sqlite_test_database().await, |config| {
        config.edge.connections.max_streams_per_token = 2;
    })
    .await;
    let first = app.stream("/events", &app.admin, None).await;
    let _second = app.stream("/events", &app.admin, None).await;
    let third = app.get("/events", &app.admin).await;
    assert_eq!(third.status(), 429);
    assert_eq!(third.headers()["retry-after"], "5");
    let problem: serde_json::Value = third.json().await.unwrap();
    assert_eq!(samtale_testkit::app::slug(&problem), "rate-limited");
    let document = app.get_ok("/openapi.json", "").await;
    for stream in ["/api/v1/events", "/api/v1/customer/chats/{id}/events"] {
        assert!(
            document["paths"][stream]["get"]["responses"]["429"].is_object(),
            "{stream} declares its cap"
        );
    }
    // Another session is not held back by this one's streams.
    let other = app
        .login("admin", samtale_testkit::app::ADMIN_PASSWORD)
        .await;
    assert_eq!(app.get("/events", &other).await.status(), 200);
    // A stream that ends gives its place back.
    drop(first);
    let reopened =
        within_ten_seconds(|| async { app.get("/events", &app.admin).await.status() == 200 }).await;
    assert!(reopened, "a closed stream's place comes back");
    app.finish().await;
}

/// Whether `check` comes true within ten seconds of asking again and again.
async fn within_ten_seconds<F: std::future::Future<Output = bool>>(check: impl Fn() -> F) -> bool {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// A raw connection to the node, to send exactly the bytes a hostile client would.
async fn raw_connection(app: &TestApp) -> tokio::net::TcpStream {
    tokio::net::TcpStream::connect(app.app.address)
        .await
        .unwrap()
}

/// Reads until the node closes the connection (what it answered, if anything); `None` if it
/// is still open after `patience`.
async fn closed_within(
    connection: &mut tokio::net::TcpStream,
    patience: std::time::Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(patience, connection.read_to_end(&mut answer)).await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn a_connection_that_sends_nothing_trickles_its_headers_or_stalls_its_body_is_closed() {
    use std::time::{Duration, Instant};
    use tokio::io::AsyncWriteExt;
    let app = TestApp::start_with(sqlite_test_database().await, |config| {
        config.edge.connections.header_timeout_seconds = 1;
        config.edge.connections.body_timeout_seconds = 1;
    })
    .await;
    let patience = Duration::from_secs(20);

    let opened = Instant::now();
    let mut silent = raw_connection(&app).await;
    assert!(
        closed_within(&mut silent, patience).await.is_some(),
        "silent"
    );
    let silent_for = opened.elapsed();

    // Headers a line at a time, never finished: the timeout counts from the first byte.
    let mut trickling = raw_connection(&app).await;
    trickling
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: samtale\r\n")
        .await
        .unwrap();
    let trickler = tokio::spawn(async move {
        for i in 0..100 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if trickling
                .write_all(format!("X-Trickle-{i}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                return true;
            }
        }
        false
    });
    assert!(
        tokio::time::timeout(patience, trickler)
            .await
            .unwrap()
            .unwrap(),
        "a trickled header's connection is closed"
    );

    // Half a body, then nothing: the request is given up and the connection closed.
    let mut stalled = raw_connection(&app).await;
    stalled
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: samtale\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\":",
        )
        .await
        .unwrap();
    let answer = closed_within(&mut stalled, patience).await;
    let answer = answer.expect("a stalled body's connection is closed");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
    println!("a silent connection was closed after {silent_for:?} (header timeout 1 s)");
    app.finish().await;
}

#[tokio::test]
async fn beyond_its_connections_an_address_is_answered_at_once_and_health_still_answers() {
    let app = TestApp::start_with(sqlite_test_database().await, |config| {
        config.edge.connections.max_connections_per_address = 3;
    })
    .await;
    // The suite's client keeps one connection alive already; these fill the address's cap.
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(raw_connection(&app).await);
    }
    let root = app.base.trim_end_matches("/api/v1").to_string();
    let fresh = || {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    };
    let health = fresh().get(format!("{root}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the node still says it is alive");
    let refused = fresh()
        .get(format!("{root}/api/v1/widget/config"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    // The idle connections gone, the address is served again.
    drop(idle);
    let served = within_ten_seconds(|| async {
        fresh()
            .get(format!("{root}/api/v1/widget/config"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert!(served);
    app.finish().await;
}

#[tokio::test]
async fn the_console_and_widget_files_come_gzipped_and_unchanged_ones_are_not_sent_again() {
    use std::io::Read;
    let app = TestApp::start(sqlite_test_database().await).await;
    let root = app.base.trim_end_matches("/api/v1").to_string();
    let client = reqwest::Client::new();
    for path in [
        "/agent",
        "/agent/app.js",
        "/agent/console.css",
        "/widget",
        "/widget.js",
    ] {
        let url = format!("{root}{path}");
        let plain = client.get(&url).send().await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none(), "{path}");
        let plain_tag = plain.headers()["etag"].clone();
        let plain = plain.bytes().await.unwrap();

        let gzipped = client
            .get(&url)
            .header("accept-encoding", "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        assert_eq!(gzipped.status(), 200, "{path}");
        let headers = gzipped.headers().clone();
        assert_eq!(headers["content-encoding"], "gzip", "{path}");
        assert_eq!(headers["vary"], "accept-encoding", "{path}");
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
        let tag = headers["etag"].clone();
        assert_ne!(
            tag, plain_tag,
            "each encoding has its own strong tag: {path}"
        );
        assert!(!tag.to_str().unwrap().starts_with("W/"), "{path}");
        let compressed = gzipped.bytes().await.unwrap();
        // The page of the widget is half a kilobyte; the scripts shrink to a third or less.
        let most = if plain.len() > 4096 {
            plain.len() / 2
        } else {
            plain.len()
        };
        assert!(
            compressed.len() < most,
            "{path}: {} of {}",
            compressed.len(),
            plain.len()
        );
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, plain, "{path}");

        let again = client
            .get(&url)
            .header("accept-encoding", "gzip")
            .header("if-none-match", tag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"], tag, "{path}");
        assert!(again.bytes().await.unwrap().is_empty(), "{path}");
    }
    let page = client
        .get(format!("{root}/agent"))
        .header("if-none-match", "\"an-older-release\"")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "another release's copy is replaced");
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    app.finish().await;
}
