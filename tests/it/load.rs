//! The load tool against a real server: everything it sends is acknowledged and counted as
//! delivered on the other side's stream, so its figures measure what they claim to.

use samtale_client::load::{run, surge, LoadConfig, SurgeConfig, SurgeReport};
use samtale_testkit::app::{TestApp, ADMIN_PASSWORD};

#[tokio::test]
async fn a_short_load_delivers_every_acknowledged_message_to_the_other_side() {
    for app in TestApp::each_backend().await {
        let config = LoadConfig {
            url: format!("http://{}", app.app.address),
            admin_password: ADMIN_PASSWORD.into(),
            agents: 2,
            chats: 4,
            // Below the default per-address limit on customer messages (120 a minute).
            rate: 40.0,
            concurrency: 8,
            seconds: 2,
            idle_streams: 0,
            server_pid: None,
            // One signal from each chat's customer and agent a second: all of them arrive.
            typing_rate: 4.0,
        };
        let report = run(config).await.expect("the load runs");
        assert!(report.acknowledged >= 60, "{}: {report:?}", app.backend);
        assert!(report.typing_arrived >= 6, "{}: {report:?}", app.backend);
        assert_eq!(report.errors, 0, "{}: {report:?}", app.backend);
        assert_eq!(report.undelivered, 0, "{}: {report:?}", app.backend);
        app.finish().await;
    }
}

/// A short surge on each backend: `waiting` customers, 20 chats a second leave for a second.
async fn short_surges(
    waiting: usize,
    agents: usize,
    routing: bool,
) -> Vec<(&'static str, SurgeReport)> {
    let mut reports = Vec::new();
    for app in TestApp::each_backend_with(|config| {
        config.rate_limits.chat_starts_per_minute = 10_000;
    })
    .await
    {
        let config = SurgeConfig {
            url: format!("http://{}", app.app.address),
            admin_password: ADMIN_PASSWORD.into(),
            waiting,
            pickups_per_second: 20.0,
            agents,
            seconds: 1,
            concurrency: 8,
            server_pid: None,
            routing,
        };
        let report = surge(config).await.expect("the surge runs");
        reports.push((app.backend, report));
        app.finish().await;
    }
    reports
}

#[tokio::test]
async fn a_short_surge_leaves_no_customer_with_a_stale_place() {
    for (backend, report) in short_surges(40, 2, false).await {
        assert_eq!(report.asked, 20, "{backend}: {report:?}");
        assert_eq!(report.acknowledged, 20, "{backend}: {report:?}");
        assert_eq!(report.errors, 0, "{backend}: {report:?}");
        assert_eq!(report.misplaced, 0, "{backend}: {report:?}");
        assert_eq!(report.stale, 0, "{backend}: {report:?}");
    }
}

#[tokio::test]
async fn a_short_surge_through_routing_keeps_the_agent_full_and_every_place_true() {
    // One agent holds 20 at once; 10 more are assigned as the first 10 end.
    for (backend, report) in short_surges(60, 1, true).await {
        assert_eq!(report.asked, 10, "{backend}: {report:?}");
        assert_eq!(report.acknowledged, 10, "{backend}: {report:?}");
        assert_eq!(report.errors, 0, "{backend}: {report:?}");
        assert_eq!(report.misplaced, 0, "{backend}: {report:?}");
        assert_eq!(report.stale, 0, "{backend}: {report:?}");
        assert_eq!(report.at_capacity, Some(1), "{backend}: {report:?}");
    }
}
