//! `GET /metrics` as Prometheus scrapes it: requests by route, commands, streams, the queues,
//! the projections' lag and the dispatcher, from a node that has served a little.

use samtale_testkit::app::TestApp;
use serde_json::json;

/// The value of the series whose line starts with `series` (name and labels as written).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(series))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn a_scrape_shows_requests_commands_streams_queues_projections_and_the_dispatcher() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app.start_chat(&centre.billing, "Kunde").await;
        let _stream = app
            .stream(&format!("/customer/chats/{chat}/events"), &customer, None)
            .await;
        let _ = app.get("/no/such/route/1", "").await;
        let _ = app.get("/no/such/route/2", "").await;
        let root = app.base.trim_end_matches("/api/v1").to_string();
        let scrape = reqwest::get(format!("{root}/metrics")).await.unwrap();
        assert_eq!(scrape.status(), 200, "{}", app.backend);
        assert!(scrape.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"));
        let text = scrape.text().await.unwrap();
        let check = |series: &str, ok: fn(f64) -> bool| {
            let found = value(&text, series);
            assert!(
                found.is_some_and(ok),
                "{}: {series} = {found:?}\n{text}",
                app.backend
            );
        };
        check(
            "samtale_http_requests_total{route=\"/api/v1/customer/chats\",method=\"POST\",status=\"201\"}",
            |v| v >= 1.0,
        );
        // Unknown paths share one series.
        check(
            "samtale_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}",
            |v| v >= 2.0,
        );
        assert!(!text.contains("/no/such/route"), "{text}");
        check(
            "samtale_http_request_duration_seconds_count{route=\"/api/v1/customer/chats\",method=\"POST\"}",
            |v| v >= 1.0,
        );
        check(
            "samtale_chat_commands_total{aggregate=\"chat\",outcome=\"committed\"}",
            |v| v >= 1.0,
        );
        check("samtale_streams_open{kind=\"customer\"}", |v| v == 1.0);
        check("samtale_connections_open", |v| v >= 1.0);
        check("samtale_log_head_position", |v| v >= 1.0);
        check(
            "samtale_projection_lag_events{projection=\"conversations\"}",
            |v| v >= 0.0,
        );
        check(
            &format!(
                "samtale_queue_waiting_chats{{queue_id=\"{}\"",
                centre.support
            ),
            |v| v == 1.0,
        );
        check("samtale_breaker_open", |v| v == 0.0);
        check(
            "samtale_database_pool_connections{pool=\"read_models\",state=\"idle\"}",
            |v| v >= 0.0,
        );
        check("samtale_dispatcher_leading", |v| v == 1.0);
        app.post_ok(
            "/me/presence",
            &centre.kari.token,
            json!({"logged_in": true}),
        )
        .await;
        app.eventually(&format!("/customer/chats/{chat}"), &customer, |v| {
            v["status"] == "assigned"
        })
        .await;
        let text = reqwest::get(format!("{root}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            value(&text, "samtale_assignment_wait_seconds_count").is_some_and(|v| v >= 1.0),
            "{text}"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn metrics_on_a_listener_of_their_own_are_not_on_the_public_one() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::start_with(samtale_testkit::sqlite_test_database().await, |config| {
        config.metrics_listen = Some(format!("127.0.0.1:{port}"));
    })
    .await;
    let root = app.base.trim_end_matches("/api/v1").to_string();
    let public = reqwest::get(format!("{root}/metrics")).await.unwrap();
    assert_eq!(public.status(), 404);
    let private = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(private.status(), 200);
    assert!(private
        .text()
        .await
        .unwrap()
        .contains("samtale_log_head_position"));
    app.finish().await;
}
