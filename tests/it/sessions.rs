//! Staff sessions are remembered by each node, and forgotten wherever they are revoked.

use reqwest::StatusCode;
use samtale_tests::TestApp;
use serde_json::json;
use std::time::Duration;

/// Far less than the minute a node trusts a remembered session without reading it again, so
/// only the revocation watch can make these tests pass.
const NOTICED_WITHIN: Duration = Duration::from_secs(5);

/// Asks `base`/me with `token` until it is refused; whether that happened in time.
async fn refused_in_time(app: &TestApp, base: &str, token: &str) -> bool {
    let deadline = tokio::time::Instant::now() + NOTICED_WITHIN;
    while tokio::time::Instant::now() < deadline {
        let response = app
            .client
            .get(format!("{base}/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::UNAUTHORIZED {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_postgres),
    ignore = "needs PostgreSQL: set SAMTALE_TEST_POSTGRES_URL"
)]
async fn a_session_ended_on_one_node_is_refused_on_another() {
    let app = TestApp::shared_backend().await;
    let centre = app.centre().await;
    let (_node_b, base_b) = app.second_node().await;
    for staff in [&centre.kari, &centre.siri] {
        let me = app
            .client
            .get(format!("{base_b}/me"))
            .bearer_auth(&staff.token)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::OK, "node B knows the session");
    }

    app.post("/auth/logout", &centre.kari.token, json!({}))
        .await;
    assert!(
        refused_in_time(&app, &base_b, &centre.kari.token).await,
        "a logout through node A ends the session on node B"
    );

    let deactivated = app
        .patch(
            &format!("/users/{}", centre.siri.user_id),
            &app.admin,
            json!({"active": false}),
        )
        .await;
    assert_eq!(deactivated.status(), StatusCode::OK);
    assert!(
        refused_in_time(&app, &base_b, &centre.siri.token).await,
        "deactivation through node A ends the user's sessions on node B"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_revocation_committed_after_the_time_it_records_is_still_noticed() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        assert_eq!(
            app.get("/me", &centre.kari.token).await.status(),
            StatusCode::OK
        );
        // As another node would write it whose transaction took a while to commit, or whose
        // clock runs behind: stamped before anything this node has seen revoked.
        let earlier = chrono::Utc::now() - chrono::Duration::seconds(5);
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2")
            .bind(samtale_projections::timestamp(earlier))
            .bind(&centre.kari.user_id)
            .execute(app.app.state.db.any())
            .await
            .unwrap();
        assert!(refused_in_time(&app, &app.base, &centre.kari.token).await);
        app.finish().await;
    }
}
