//! The log in/out button, and supervisors logging others in and out.

use reqwest::StatusCode;
use samtale_testkit::app::TestApp;
use serde_json::json;

#[tokio::test]
async fn the_agent_button_logs_in_to_every_queue_they_belong_to() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let both = app
            .create_staff("begge", "agent", &[&centre.support, &centre.sales])
            .await;
        let state = app
            .post_ok("/me/presence", &both.token, json!({"logged_in": true}))
            .await;
        assert_eq!(state["logged_in_queues"].as_array().unwrap().len(), 2);
        let board = app.get_ok("/queues", &both.token).await;
        assert!(board
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["logged_in_agents"] == 1));
        let state = app
            .post_ok("/me/presence", &both.token, json!({"logged_in": false}))
            .await;
        assert_eq!(state["logged_in_queues"], json!([]));
        app.finish().await;
    }
}

#[tokio::test]
async fn only_supervisors_log_other_agents_in_and_out() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let path = format!(
            "/queues/{}/agents/{}/presence",
            centre.support, centre.kari.user_id
        );
        let by_agent = app
            .post(&path, &centre.ola.token, json!({"logged_in": true}))
            .await;
        assert_eq!(by_agent.status(), StatusCode::FORBIDDEN);
        let by_supervisor = app
            .post_ok(&path, &centre.siri.token, json!({"logged_in": true}))
            .await;
        assert_eq!(by_supervisor["logged_in_queues"], json!([centre.support]));
        let not_member = format!(
            "/queues/{}/agents/{}/presence",
            centre.sales, centre.kari.user_id
        );
        let refused = app
            .post(&not_member, &centre.siri.token, json!({"logged_in": true}))
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "not a member");
        app.finish().await;
    }
}

#[tokio::test]
async fn the_board_says_per_queue_who_is_logged_in_and_who_is_signed_in_at_all() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let both = app
            .create_staff("begge", "agent", &[&centre.support, &centre.sales])
            .await;
        let siri = &centre.siri.token;
        app.post_ok(
            &format!("/queues/{}/agents/{}/presence", centre.sales, both.user_id),
            siri,
            json!({"logged_in": true}),
        )
        .await;
        app.post_ok(
            &format!("/agents/{}/pause", both.user_id),
            siri,
            json!({"paused": true, "reason": "away"}),
        )
        .await;
        app.post_ok("/auth/logout", &centre.ola.token, json!({}))
            .await;

        let board = app.get_ok("/agents", siri).await;
        let row = |user: &str| {
            board
                .as_array()
                .unwrap()
                .iter()
                .find(|row| row["user_id"] == user)
                .unwrap()
                .clone()
        };
        let begge = row(&both.user_id);
        assert_eq!(begge["signed_in"], true);
        assert_eq!(begge["state"], "paused");
        assert_eq!(begge["paused_reason"], "away");
        let mut queues = begge["queues"].as_array().unwrap().clone();
        queues.sort_by_key(|q| q["queue_id"].as_str().unwrap().to_string());
        let mut expected = vec![
            json!({"queue_id": centre.sales, "logged_in": 1}),
            json!({"queue_id": centre.support, "logged_in": 0}),
        ];
        expected.sort_by_key(|q| q["queue_id"].as_str().unwrap().to_string());
        assert_eq!(queues, expected, "logged in to sales, not to support");

        let kari = row(&centre.kari.user_id);
        assert_eq!(kari["signed_in"], true);
        assert_eq!(kari["state"], "offline");
        assert_eq!(
            kari["queues"],
            json!([{"queue_id": centre.support, "logged_in": 0}])
        );
        assert_eq!(
            row(&centre.ola.user_id)["signed_in"],
            false,
            "Ola signed out"
        );
        app.finish().await;
    }
}
