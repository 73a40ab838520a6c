//! Handing a chat to a named colleague: on routing's terms (logged in to the chat's queue,
//! ready, with room), at once, and the colleague's from then on.

use samtale_testkit::app::{slug, Staff, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

async fn hand(app: &TestApp, chat: &str, by: &Staff, to: &str) -> (u16, Value) {
    let response = app
        .post(
            &format!("/chats/{chat}/hand-over"),
            &by.token,
            json!({"agent_id": to}),
        )
        .await;
    (
        response.status().as_u16(),
        response.json().await.unwrap_or_default(),
    )
}

fn holds(chats: &Value, chat: &str) -> bool {
    chats["active"]
        .as_array()
        .is_some_and(|a| a.iter().any(|c| c["chat_id"] == chat))
}

#[tokio::test]
async fn an_agent_hands_a_chat_to_a_ready_colleague_with_room_and_to_no_one_else() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let per = app.create_staff("per", "agent", &[&centre.support]).await;
        let (chat, customer) = app
            .picked_up_chat(&centre.billing, "Kunde", &centre.kari.token)
            .await;
        let mut customer_stream = app
            .stream(&format!("/customer/chats/{chat}/events"), &customer, None)
            .await;
        let events = app.event_count().await;

        // Per is not logged in; Ola works another queue; nobody by that id; not to herself.
        for (to, expected) in [
            (per.user_id.as_str(), (409, "colleague-unavailable")),
            (centre.ola.user_id.as_str(), (409, "colleague-unavailable")),
            (
                "00000000-0000-4000-8000-000000000000",
                (422, "invalid-input"),
            ),
            ("not an id", (422, "invalid-input")),
            (centre.kari.user_id.as_str(), (422, "invalid-input")),
        ] {
            let (status, problem) = hand(&app, &chat, &centre.kari, to).await;
            assert_eq!(
                (status, slug(&problem)),
                expected,
                "{}: {to}: {problem}",
                app.backend
            );
        }
        app.post_ok("/me/presence", &per.token, json!({"logged_in": true}))
            .await;
        app.post_ok("/me/pause", &per.token, json!({"paused": true}))
            .await;
        let (status, problem) = hand(&app, &chat, &centre.kari, &per.user_id).await;
        assert_eq!(
            (status, slug(&problem)),
            (409, "colleague-unavailable"),
            "paused"
        );
        app.post_ok("/me/pause", &per.token, json!({"paused": false}))
            .await;
        // Per has room for one chat, and has one.
        app.patch(
            &format!("/users/{}", per.user_id),
            &app.admin,
            json!({"max_concurrent_chats": 1}),
        )
        .await;
        let (other, _) = app
            .picked_up_chat(&centre.billing, "Annen", &per.token)
            .await;
        // Routing may have given it to Per first (he is ready), making the pickup a no-op that
        // waits for nothing: wait until his list shows it.
        app.eventually("/me/chats", &per.token, |m| holds(m, &other))
            .await;
        let (status, problem) = hand(&app, &chat, &centre.kari, &per.user_id).await;
        assert_eq!(
            (status, slug(&problem)),
            (409, "colleague-has-no-room"),
            "{problem}"
        );
        // Ola, of another queue, cannot hand Kari's chat anywhere: to him it does not exist.
        let (status, _) = hand(&app, &chat, &centre.ola, &per.user_id).await;
        assert_eq!(status, 404, "{}", app.backend);
        assert_eq!(
            app.event_count().await,
            events + 6,
            "{}: only the set-up changed anything (login, pause, resume, capacity, the other chat)",
            app.backend
        );

        app.post_ok(&format!("/chats/{other}/end"), &per.token, json!({}))
            .await;
        let (status, view) = hand(&app, &chat, &centre.kari, &per.user_id).await;
        assert_eq!(status, 200, "{}: {view}", app.backend);
        assert_eq!(view["agent_id"], per.user_id.as_str(), "{view}");
        assert!(holds(&app.get_ok("/me/chats", &per.token).await, &chat));
        assert!(!holds(
            &app.get_ok("/me/chats", &centre.kari.token).await,
            &chat
        ));
        // The customer hears whom she talks to now, not who had her or who moved her.
        let mut handed = None;
        while let Some(event) = customer_stream.next(Duration::from_millis(1500)).await {
            if event.event == "ChatHandedOver" {
                handed = Some(event.data["event"]["ChatHandedOver"].clone());
            }
        }
        let handed = handed.expect("the customer hears of the hand-over");
        assert_eq!(handed["to_agent"], per.user_id.as_str(), "{handed}");
        assert!(
            handed.get("from_agent").is_none() && handed.get("by").is_none(),
            "{handed}"
        );
        // The customer talks to Per now; Kari can no longer write.
        let seen = app
            .get_ok(&format!("/customer/chats/{chat}"), &customer)
            .await;
        assert_eq!(seen["status"], "assigned", "{seen}");
        app.post_ok(
            &format!("/chats/{chat}/messages"),
            &per.token,
            json!({"text": "Hei, Per her."}),
        )
        .await;
        let kari_writes = app
            .post(
                &format!("/chats/{chat}/messages"),
                &centre.kari.token,
                json!({"text": "Meg igjen"}),
            )
            .await;
        assert_eq!(kari_writes.status(), 403, "{}", app.backend);
        let audit = app
            .get_ok(&format!("/chats/{chat}/audit"), &centre.siri.token)
            .await;
        assert!(audit.to_string().contains("ChatHandedOver"), "{audit}");
        app.finish().await;
    }
}
