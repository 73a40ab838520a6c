//! The chat history as a supervisor searches it: by period, queue, agent, customer and status,
//! as JSON and as a CSV file a spreadsheet opens safely.

use samtale_testkit::app::TestApp;
use serde_json::{json, Value};

fn chat_ids(rows: &Value) -> Vec<&str> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| row["chat_id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_history_finds_chats_by_status_and_refuses_a_status_it_does_not_know() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let siri = &centre.siri.token;
        let (waiting, _) = app.start_chat(&centre.billing, "Vera Venter").await;
        let (ongoing, _) = app
            .picked_up_chat(&centre.billing, "Per Prater", &centre.kari.token)
            .await;
        let (ended, _) = app
            .picked_up_chat(&centre.billing, "Eva Ferdig", &centre.kari.token)
            .await;
        app.post_ok(
            &format!("/chats/{ended}/end"),
            &centre.kari.token,
            json!({}),
        )
        .await;

        for (status, chat) in [
            ("waiting", &waiting),
            ("assigned", &ongoing),
            ("ended", &ended),
        ] {
            let rows = app
                .get_ok(&format!("/chats/history?status={status}"), siri)
                .await;
            assert_eq!(chat_ids(&rows), [chat.as_str()], "{status}");
            assert_eq!(rows[0]["status"], status);
        }
        let kari = centre.kari.user_id.clone();
        let rows = app
            .get_ok(
                &format!("/chats/history?status=assigned&agent_id={kari}&customer=prater"),
                siri,
            )
            .await;
        assert_eq!(chat_ids(&rows), [ongoing.as_str()], "filters combine");
        assert_eq!(
            app.get_ok("/chats/history?status=abandoned", siri).await,
            json!([])
        );

        let before = app.event_count().await;
        for bad in ["status=lost", "status=", "status=Ended"] {
            let answer = app.get(&format!("/chats/history?{bad}"), siri).await;
            assert!(
                answer.status().is_client_error(),
                "{bad}: {}",
                answer.status()
            );
            assert_eq!(
                answer.headers()["content-type"],
                "application/problem+json",
                "{bad}"
            );
            let csv = app.get(&format!("/chats/history.csv?{bad}"), siri).await;
            assert!(csv.status().is_client_error(), "{bad}: {}", csv.status());
        }
        assert_eq!(
            app.event_count().await,
            before,
            "a refused search writes nothing"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_period_that_ends_before_it_starts_holds_no_chats() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        app.start_chat(&centre.billing, "Nora").await;
        let (from, to) = ("2030-01-02T00:00:00Z", "2020-01-01T00:00:00Z");
        for path in ["/chats/history", "/chats/history.csv"] {
            let answer = app
                .get(&format!("{path}?from={from}&to={to}"), &centre.siri.token)
                .await;
            assert_eq!(answer.status(), 200, "{path}");
        }
        let rows = app
            .get_ok(
                &format!("/chats/history?from={from}&to={from}"),
                &centre.siri.token,
            )
            .await;
        assert_eq!(rows, json!([]), "an empty period");
        app.finish().await;
    }
}

#[tokio::test]
async fn the_history_exports_as_csv_with_formulas_defused_and_the_agents_scope_kept() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (formula, _) = app
            .start_chat(
                &centre.billing,
                "=HYPERLINK(\"https://evil.example\",\"Klikk\")",
            )
            .await;
        let (plain, _) = app.start_chat(&centre.billing, "Nora \"Nordmann\"").await;
        let (sales, _) = app.start_chat(&centre.offers, "+47 Salg").await;

        let answer = app.get("/chats/history.csv", &centre.siri.token).await;
        assert_eq!(answer.status(), 200);
        let headers = answer.headers().clone();
        assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
        assert_eq!(
            headers["content-disposition"],
            "attachment; filename=\"chat-history.csv\""
        );
        assert_eq!(headers["x-rows-truncated"], "false");
        let text = answer.text().await.unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "chat_id,status,queue_id,customer_name,agent_id,requested_at,ended_at,end_reason,messages,legal_hold,erased_at"
        );
        assert_eq!(
            lines.len(),
            5,
            "a header, three chats, the last line's end: {text}"
        );
        let line = |chat: &str| *lines.iter().find(|l| l.contains(chat)).unwrap();
        assert!(
            line(&formula)
                .contains(",\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"Klikk\"\")\","),
            "{text}"
        );
        assert!(line(&sales).contains(",\"'+47 Salg\","), "{text}");
        assert!(
            line(&plain).contains(",\"Nora \"\"Nordmann\"\"\","),
            "{text}"
        );
        assert!(
            line(&plain).starts_with(&format!("\"{plain}\",\"waiting\",")),
            "{text}"
        );

        // Kari works Support: the sales chat is not hers to export.
        let hers = app
            .get("/chats/history.csv?limit=10", &centre.kari.token)
            .await
            .text()
            .await
            .unwrap();
        assert!(hers.contains(&formula) && hers.contains(&plain), "{hers}");
        assert!(!hers.contains(&sales), "{hers}");

        let capped = app
            .get("/chats/history.csv?limit=2", &centre.siri.token)
            .await;
        assert_eq!(capped.headers()["x-rows-truncated"], "true");
        assert_eq!(capped.text().await.unwrap().matches("\r\n").count(), 3);
        app.finish().await;
    }
}
