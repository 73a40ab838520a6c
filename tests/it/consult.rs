//! A colleague in the conversation: invited (by the chat's agent, only someone who may see the
//! chat), joining or declining, writing beside the agent while the customer sees them, then
//! taking the chat over; a supervisor joins uninvited and leaves.

use samtale_testkit::app::{slug, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

fn ids(chats: &Value, list: &str) -> Vec<String> {
    chats[list]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|c| c["chat_id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn names(view: &Value) -> Vec<&str> {
    view["participants"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|p| p["display_name"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_invited_colleague_joins_writes_beside_the_agent_and_takes_the_chat_over() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let per = app.create_staff("per", "agent", &[&centre.support]).await;
        let (kari, siri) = (&centre.kari.token, &centre.siri.token);
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Kunde", kari).await;
        let mut customer_stream = app
            .stream(&format!("/customer/chats/{chat}/events"), &customer, None)
            .await;
        let invite = format!("/chats/{chat}/invite");

        // Ola works Sales and cannot see the chat; Kari is in it; nobody by that id.
        for (user, expected) in [
            (centre.ola.user_id.as_str(), (403, "not-a-queue-member")),
            (centre.kari.user_id.as_str(), (422, "invalid-input")),
            (
                "00000000-0000-4000-8000-000000000000",
                (422, "invalid-input"),
            ),
        ] {
            let response = app.post(&invite, kari, json!({"user_id": user})).await;
            let status = response.status().as_u16();
            let problem: Value = response.json().await.unwrap_or_default();
            assert_eq!(
                (status, slug(&problem)),
                expected,
                "{}: {user}: {problem}",
                app.backend
            );
        }
        app.post_ok(&invite, kari, json!({"user_id": per.user_id}))
            .await;
        assert_eq!(
            ids(&app.get_ok("/me/chats", &per.token).await, "invited"),
            std::slice::from_ref(&chat)
        );
        let wrong = app
            .post(
                &format!("/chats/{chat}/invitation"),
                siri,
                json!({"accept": true}),
            )
            .await;
        assert_eq!(wrong.status(), 403, "{}: Siri was not invited", app.backend);

        let joined = app
            .post_ok(
                &format!("/chats/{chat}/invitation"),
                &per.token,
                json!({"accept": true}),
            )
            .await;
        assert_eq!(names(&joined), ["per"], "{joined}");
        assert_eq!(
            ids(&app.get_ok("/me/chats", &per.token).await, "active"),
            std::slice::from_ref(&chat)
        );
        app.post_ok(
            &format!("/chats/{chat}/messages"),
            &per.token,
            json!({"text": "Per her, jeg hjelper."}),
        )
        .await;
        app.post_ok(
            &format!("/chats/{chat}/messages"),
            kari,
            json!({"text": "Og Kari er her fortsatt."}),
        )
        .await;
        let seen = app
            .get_ok(&format!("/customer/chats/{chat}"), &customer)
            .await;
        assert_eq!(
            names(&seen),
            ["per"],
            "{}: the customer sees him: {seen}",
            app.backend
        );
        assert_eq!(
            seen["transcript"].as_array().map(Vec::len),
            Some(2),
            "{seen}"
        );
        let mut frames = Vec::new();
        while let Some(event) = customer_stream.next(Duration::from_millis(1200)).await {
            frames.push((event.event.clone(), event.data["event"].clone()));
        }
        let joined_frame = frames
            .iter()
            .find(|(kind, _)| kind == "ParticipantJoined")
            .map(|(_, data)| data["ParticipantJoined"].clone())
            .expect("the customer hears he joined");
        assert!(joined_frame.get("by").is_none(), "{joined_frame}");
        assert!(
            frames.iter().all(|(kind, _)| kind != "ColleagueInvited"),
            "{frames:?}"
        );

        // Kari leaves him the chat.
        app.post_ok("/me/presence", &per.token, json!({"logged_in": true}))
            .await;
        let handed = app
            .post_ok(
                &format!("/chats/{chat}/hand-over"),
                kari,
                json!({"agent_id": per.user_id}),
            )
            .await;
        assert_eq!(handed["agent_id"], per.user_id.as_str(), "{handed}");
        assert!(names(&handed).is_empty(), "{handed}");
        assert!(ids(&app.get_ok("/me/chats", kari).await, "active").is_empty());

        // Siri joins uninvited, and leaves; an agent may not join uninvited.
        let ola_joins = app
            .post(&format!("/chats/{chat}/join"), kari, json!({}))
            .await;
        assert_eq!(ola_joins.status(), 403, "{}", app.backend);
        let with_siri = app
            .post_ok(&format!("/chats/{chat}/join"), siri, json!({}))
            .await;
        assert_eq!(names(&with_siri), ["siri"], "{with_siri}");
        let without = app
            .post_ok(&format!("/chats/{chat}/leave"), siri, json!({}))
            .await;
        assert!(names(&without).is_empty(), "{without}");
        app.finish().await;
    }
}
