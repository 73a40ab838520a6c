//! Internal notes: staff write to each other inside a chat; a note never reaches the customer
//! on any surface, reaches the colleagues it names, and is erased with the chat.

use samtale_testkit::app::TestApp;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn a_note_reaches_the_colleague_it_names_and_never_the_customer() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (kari, siri) = (&centre.kari.token, &centre.siri.token);
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Kunde", kari).await;
        let mut customer_stream = app
            .stream(&format!("/customer/chats/{chat}/events"), &customer, None)
            .await;
        let mut siri_stream = app.stream("/events", siri, None).await;
        let notes = format!("/chats/{chat}/notes");

        // Bad input, an outsider, and a colleague named who cannot see the chat: refused,
        // and nothing is written.
        let events = app.event_count().await;
        for (token, body, status) in [
            (kari, json!({"text": "   "}), 422),
            (kari, json!({"text": "Spør @ola"}), 422),
            (kari, json!({"note": "feil felt"}), 422),
            (&centre.ola.token, json!({"text": "Hei"}), 404),
            (&customer, json!({"text": "Hei"}), 401),
        ] {
            let response = app.post(&notes, token, body.clone()).await;
            assert_eq!(response.status(), status, "{}: {body}", app.backend);
        }
        assert_eq!(app.event_count().await, events, "{}", app.backend);

        let text = "Kunden har to kontoer — @siri, kan du se på den gamle?";
        let write = || {
            app.request(reqwest::Method::POST, &notes, kari)
                .header("Idempotency-Key", "notat-1")
                .json(&json!({"text": text}))
                .send()
        };
        let first: Value = write().await.unwrap().json().await.unwrap();
        assert_eq!(first["text"], text, "{}: {first}", app.backend);
        assert_eq!(first["author_id"], centre.kari.user_id.as_str());
        assert!(first["mentions"]
            .as_str()
            .unwrap()
            .contains(&centre.siri.user_id));
        let again: Value = write().await.unwrap().json().await.unwrap();
        assert_eq!(
            again["note_id"], first["note_id"],
            "a retry is the same note"
        );
        let view = app.get_ok(&format!("/chats/{chat}"), kari).await;
        assert_eq!(view["notes"].as_array().map(Vec::len), Some(1), "{view}");

        // Siri, named, hears of it live.
        let mut heard = false;
        while let Some(event) = siri_stream.next(Duration::from_millis(1500)).await {
            heard |= event.event == "NoteAdded" && event.data.to_string().contains("kontoer");
        }
        assert!(
            heard,
            "{}: the named colleague hears of the note",
            app.backend
        );

        // The customer: not in their view, not on their stream, not in what follows.
        app.post_ok(
            &format!("/chats/{chat}/messages"),
            kari,
            json!({"text": "Et øyeblikk"}),
        )
        .await;
        let seen = app
            .get(&format!("/customer/chats/{chat}"), &customer)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !seen.contains("kontoer") && !seen.contains("notes"),
            "{seen}"
        );
        let mut frames = Vec::new();
        while let Some(event) = customer_stream.next(Duration::from_millis(1500)).await {
            frames.push(format!("{} {}", event.event, event.data));
        }
        assert!(
            frames.iter().any(|f| f.contains("Et øyeblikk")),
            "{frames:?}"
        );
        assert!(
            frames
                .iter()
                .all(|f| !f.contains("NoteAdded") && !f.contains("kontoer")),
            "{}: {frames:?}",
            app.backend
        );

        // Erased with the chat: the note is there, its words are not.
        app.post_ok(&format!("/chats/{chat}/end"), kari, json!({}))
            .await;
        let erase = app
            .post(&format!("/chats/{chat}/erase"), &app.admin, json!({}))
            .await;
        assert!(erase.status().is_success(), "{}", erase.status());
        let erased = app.get_ok(&format!("/chats/{chat}"), siri).await;
        assert_eq!(erased["notes"][0]["text"], "", "{erased}");
        let audit = app.get_ok(&format!("/chats/{chat}/audit"), siri).await;
        assert!(!audit.to_string().contains("kontoer"), "{audit}");
        app.finish().await;
    }
}
