//! Supervisors audit and replay conversations from the log.

use reqwest::StatusCode;
use samtale_testkit::app::TestApp;
use serde_json::json;

#[tokio::test]
async fn the_audit_trail_lists_every_event_with_its_actor_and_a_replay_shows_the_past() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app
            .picked_up_chat(&centre.billing, "Revisjon", &centre.kari.token)
            .await;
        app.post_ok(
            &format!("/customer/chats/{chat}/messages"),
            &customer,
            json!({"text": "Hei"}),
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let before_transfer = chrono::Utc::now();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        app.post_ok(
            &format!("/chats/{chat}/transfer"),
            &centre.kari.token,
            json!({"queue_id": centre.sales}),
        )
        .await;

        let trail = app
            .get_ok(&format!("/chats/{chat}/audit"), &centre.siri.token)
            .await;
        let types: Vec<_> = trail
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "ChatRequested",
                "ChatAssigned",
                "MessageSent",
                "ChatTransferred"
            ]
        );
        let pickup = &trail[1];
        assert_eq!(pickup["actor"]["kind"], "staff");
        assert_eq!(pickup["actor"]["user_id"], centre.kari.user_id.as_str());
        assert!(pickup["request_id"].as_str().is_some_and(|r| !r.is_empty()));
        let positions: Vec<_> = trail
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["position"].as_i64().unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "log order");

        let forbidden = app
            .get(&format!("/chats/{chat}/audit"), &centre.kari.token)
            .await;
        assert_eq!(
            forbidden.status(),
            StatusCode::FORBIDDEN,
            "agents do not audit"
        );

        let at = before_transfer.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let then = app
            .get_ok(
                &format!("/chats/{chat}?at={}", at.replace('+', "%2B")),
                &centre.siri.token,
            )
            .await;
        assert_eq!(
            then["queue_id"],
            centre.support.as_str(),
            "{}: the old queue",
            app.backend
        );
        assert_eq!(then["status"], "assigned");
        assert_eq!(then["transcript"].as_array().unwrap().len(), 1);
        let now = app
            .get_ok(&format!("/chats/{chat}"), &centre.siri.token)
            .await;
        assert_eq!(now["queue_id"], centre.sales.as_str());

        // Replaying at an audit entry's own time includes that entry.
        let requested_at = trail[0]["recorded_at"]
            .as_str()
            .unwrap()
            .replace('+', "%2B");
        let first = app
            .get_ok(
                &format!("/chats/{chat}?at={requested_at}"),
                &centre.siri.token,
            )
            .await;
        assert_eq!(first["status"], "waiting", "{}", app.backend);

        // The board then: the chat ongoing in Support; now: waiting in Sales.
        let board_then = app
            .get_ok(
                &format!("/board?at={}", at.replace('+', "%2B")),
                &centre.siri.token,
            )
            .await;
        let support = board_then
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["queue_id"] == centre.support.as_str())
            .unwrap();
        assert_eq!(
            (support["waiting"].as_i64(), support["ongoing"].as_i64()),
            (Some(0), Some(1)),
            "{}",
            app.backend
        );
        let later = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let board_now = app
            .get_ok(
                &format!("/board?at={}", later.replace('+', "%2B")),
                &centre.siri.token,
            )
            .await;
        let sales = board_now
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["queue_id"] == centre.sales.as_str())
            .unwrap();
        assert_eq!(
            (sales["waiting"].as_i64(), sales["ongoing"].as_i64()),
            (Some(1), Some(0))
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn reports_come_as_json_or_csv_for_supervisors_only() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (chat, customer) = app.start_chat(&centre.billing, "Rapport, \"sitat\"").await;
        app.post_ok(
            &format!("/chats/{chat}/pickup"),
            &centre.kari.token,
            json!({}),
        )
        .await;
        app.post_ok(
            &format!("/customer/chats/{chat}/close"),
            &customer,
            json!({}),
        )
        .await;
        let from = (chrono::Utc::now() - chrono::Duration::hours(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let to = (chrono::Utc::now() + chrono::Duration::hours(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let period = format!("from={from}&to={to}");
        let chats = app
            .eventually(
                &format!("/reports/chats?{period}"),
                &centre.siri.token,
                |r| r[0]["outcome"] == "customer",
            )
            .await;
        assert_eq!(chats[0]["outcome"], "customer");
        let queues = app
            .get_ok(&format!("/reports/queues?{period}"), &centre.siri.token)
            .await;
        let support = queues
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["queue_id"] == centre.support.as_str())
            .unwrap();
        assert_eq!(
            (support["offered"].as_i64(), support["answered"].as_i64()),
            (Some(1), Some(1))
        );

        let csv = app
            .get(
                &format!("/reports/chats?{period}&format=csv"),
                &centre.siri.token,
            )
            .await;
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let text = csv.text().await.unwrap();
        assert!(text.starts_with("chat_id,queue_id,category_id,requested_at"));
        assert_eq!(
            text.lines().count(),
            2,
            "{}: header and one chat",
            app.backend
        );

        assert_eq!(
            app.get(&format!("/reports/agents?{period}"), &centre.kari.token)
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get("/reports/queues?from=yesterday", &centre.siri.token)
                .await
                .status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            app.get(&format!("/reports/secrets?{period}"), &centre.siri.token)
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        app.finish().await;
    }
}
