//! Supervisors with chats in progress: an agent raises a hand and the board shows it; the
//! supervisor finds the chat among the ongoing ones, whispers to the agent (the customer never
//! sees it) and takes the chat over.

use samtale_testkit::app::TestApp;
use serde_json::{json, Value};

fn hands_raised(board: &Value, queue: &str) -> i64 {
    board
        .as_array()
        .and_then(|b| b.iter().find(|q| q["queue_id"] == queue))
        .and_then(|q| q["hands_raised"].as_i64())
        .unwrap_or(-1)
}

fn names(view: &Value) -> Vec<(String, String)> {
    view["authors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            (
                a["user_id"].as_str().unwrap_or_default().to_string(),
                a["display_name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_raised_hand_brings_a_supervisor_who_whispers_and_takes_the_chat_over() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (kari, siri) = (&centre.kari.token, &centre.siri.token);
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Kunde", kari).await;

        // Only the chat's agent raises a hand; the board shows it.
        let ola = app
            .post(
                &format!("/chats/{chat}/hand"),
                &centre.ola.token,
                json!({"raised": true}),
            )
            .await;
        assert_eq!(ola.status(), 404, "{}", app.backend);
        app.post_ok(
            &format!("/chats/{chat}/hand"),
            kari,
            json!({"raised": true}),
        )
        .await;
        let board = app.get_ok("/queues", siri).await;
        assert_eq!(
            hands_raised(&board, &centre.support),
            1,
            "{}: {board}",
            app.backend
        );
        let ongoing = app.get_ok("/chats/ongoing", siri).await;
        assert_eq!(ongoing[0]["chat_id"], chat.as_str(), "{ongoing}");
        assert_eq!(ongoing[0]["hand_raised"], 1);
        // A reload shows the hand still up.
        let raised = app.get_ok(&format!("/chats/{chat}"), kari).await;
        assert_eq!(raised["hand_raised"], true, "{raised}");
        assert_eq!(app.get("/chats/ongoing", kari).await.status(), 403);

        // A whisper is the supervisor's; the agent sees it, the customer does not.
        let kari_whispers = app
            .post(
                &format!("/chats/{chat}/notes"),
                kari,
                json!({"text": "Hei", "whisper": true}),
            )
            .await;
        assert_eq!(kari_whispers.status(), 403, "{}", app.backend);
        let whisper = app
            .post_ok(
                &format!("/chats/{chat}/notes"),
                siri,
                json!({"text": "Tilby ham rabatt", "whisper": true}),
            )
            .await;
        assert_eq!(whisper["whisper"], 1, "{whisper}");
        let agent_view = app.get_ok(&format!("/chats/{chat}"), kari).await;
        assert_eq!(agent_view["notes"][0]["text"], "Tilby ham rabatt");
        // The agent reads the whisper as Siri's; the customer is told of neither.
        assert_eq!(
            names(&agent_view),
            [(centre.siri.user_id.clone(), "siri".to_string())],
            "{agent_view}"
        );
        let seen = app
            .get(&format!("/customer/chats/{chat}"), &customer)
            .await
            .text()
            .await
            .unwrap();
        assert!(!seen.contains("rabatt"), "{seen}");
        assert!(!seen.contains(&centre.siri.user_id), "{seen}");
        app.post_ok(
            &format!("/chats/{chat}/messages"),
            kari,
            json!({"text": "Et øyeblikk."}),
        )
        .await;

        // Siri takes it over: hers, the hand down, gone from Kari's list.
        let taken = app
            .post_ok(&format!("/chats/{chat}/take-over"), siri, json!({}))
            .await;
        assert_eq!(taken["agent_id"], centre.siri.user_id.as_str(), "{taken}");
        let board = app.get_ok("/queues", siri).await;
        assert_eq!(hands_raised(&board, &centre.support), 0, "{board}");
        let kari_chats = app.get_ok("/me/chats", kari).await;
        assert!(
            !kari_chats["active"].to_string().contains(&chat),
            "{kari_chats}"
        );
        app.post_ok(
            &format!("/chats/{chat}/messages"),
            siri,
            json!({"text": "Hei, jeg tar over."}),
        )
        .await;
        let taken_over = app
            .get_ok(&format!("/customer/chats/{chat}"), &customer)
            .await;
        assert_eq!(taken_over["agent_name"], "siri", "{taken_over}");
        // Kari's earlier line is still hers to the customer, whoever has the chat now.
        let mut expected = vec![
            (centre.kari.user_id.clone(), "kari".to_string()),
            (centre.siri.user_id.clone(), "siri".to_string()),
        ];
        expected.sort();
        assert_eq!(names(&taken_over), expected, "{taken_over}");
        let kari_takes = app
            .post(&format!("/chats/{chat}/take-over"), kari, json!({}))
            .await;
        assert_eq!(kari_takes.status(), 403, "an agent takes nothing over");
        app.finish().await;
    }
}
