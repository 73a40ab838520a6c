//! Staff sessions are remembered by each node, and forgotten wherever they are revoked.

use reqwest::StatusCode;
use samtale_testkit::app::{TestApp, ADMIN_PASSWORD};
use serde_json::json;
use std::time::Duration;

/// Far less than the minute a node trusts a remembered session without reading it again, so
/// only the revocation watch can make these tests pass.
const NOTICED_WITHIN: Duration = Duration::from_secs(5);

/// The status of `base`/me asked with `token`.
async fn me(app: &TestApp, base: &str, token: &str) -> StatusCode {
    app.client
        .get(format!("{base}/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// Asks `base`/me with `token` until it is refused; whether that happened in time.
async fn refused_in_time(app: &TestApp, base: &str, token: &str) -> bool {
    let deadline = tokio::time::Instant::now() + NOTICED_WITHIN;
    while tokio::time::Instant::now() < deadline {
        if me(app, base, token).await == StatusCode::UNAUTHORIZED {
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

/// The staff session tokens stored, by hash.
async fn stored_sessions(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(app.app.state.db.any())
        .await
        .unwrap()
}

async fn stored_customer_tokens(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT token_hash FROM customer_tokens")
        .fetch_all(app.app.state.db.any())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_session_in_use_stays_and_one_left_idle_is_refused_on_every_node() {
    const IDLE_SECONDS: u64 = 5;
    let idle = Duration::from_secs(IDLE_SECONDS);
    for app in
        TestApp::each_backend_with(|config| config.sessions.idle_seconds = IDLE_SECONDS).await
    {
        // Several nodes share PostgreSQL; SQLite is one process.
        let second = match app.backend {
            "postgres" => Some(app.second_node().await),
            _ => None,
        };
        // A new session, after the slow setup (starting a node, hashing passwords for new
        // users) that could outlast so short an idle time.
        let token = &app.login("admin", ADMIN_PASSWORD).await;
        let mut bases = vec![app.base.clone()];
        bases.extend(second.iter().map(|(_, base)| base.clone()));

        // Used, on one node then the other, for longer than the idle time: never refused.
        let busy_until = tokio::time::Instant::now() + idle + Duration::from_secs(2);
        for base in bases.iter().cycle() {
            if tokio::time::Instant::now() > busy_until {
                break;
            }
            assert_eq!(
                me(&app, base, token).await,
                StatusCode::OK,
                "in use on {}",
                app.backend
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        // Left alone until its recorded use is longer ago than the idle time (asking the API
        // meanwhile would be a use), then refused by every node.
        let hash = samtale_service::credentials::token_hash(token);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let last_seen: String =
                sqlx::query_scalar("SELECT last_seen_at FROM sessions WHERE token_hash = $1")
                    .bind(&hash)
                    .fetch_one(app.app.state.db.any())
                    .await
                    .unwrap();
            let last_seen = chrono::DateTime::parse_from_rfc3339(&last_seen).unwrap();
            let idle_for = chrono::Utc::now().signed_duration_since(last_seen);
            if idle_for > chrono::Duration::from_std(idle).unwrap() {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the recorded use keeps moving"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for base in &bases {
            assert_eq!(
                me(&app, base, token).await,
                StatusCode::UNAUTHORIZED,
                "idle, refused by {base} on {}",
                app.backend
            );
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn pruning_removes_idle_and_long_revoked_sessions_and_the_tokens_of_chats_long_over() {
    use samtale_service::credentials::token_hash;
    use samtale_service::pruning::prune;
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let (over, over_token) = app.start_chat(&centre.billing, "Ferdig").await;
        app.post_ok(
            &format!("/customer/chats/{over}/close"),
            &over_token,
            json!({}),
        )
        .await;
        let (open, open_token) = app.start_chat(&centre.billing, "Venter").await;
        app.post_ok("/auth/logout", &centre.ola.token, json!({}))
            .await;
        let state = &app.app.state;
        let now = chrono::Utc::now();
        let later = |duration: chrono::Duration| now + duration;

        // Eleven minutes on: only the revoked session is gone; the others were in use.
        prune(state, later(chrono::Duration::minutes(11)))
            .await
            .unwrap()
            .expect("no other node prunes");
        let sessions = stored_sessions(&app).await;
        assert!(!sessions.contains(&token_hash(&centre.ola.token)));
        assert!(sessions.contains(&token_hash(&centre.kari.token)));

        // Thirteen hours on: every session is past the 12-hour idle time, and refused at once.
        prune(state, later(chrono::Duration::hours(13)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored_sessions(&app).await, Vec::<String>::new());
        assert_eq!(
            app.get("/me", &centre.kari.token).await.status(),
            StatusCode::UNAUTHORIZED,
            "on {}",
            app.backend
        );
        assert_eq!(
            stored_customer_tokens(&app).await.len(),
            2,
            "a chat over 13 h ago keeps its token"
        );

        // Twenty-five hours on: the token of the chat over for more than a day is gone, and
        // refused at once; the waiting chat keeps its token.
        let pruned = prune(state, later(chrono::Duration::hours(25)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(pruned.customer_tokens, 1);
        assert_eq!(
            stored_customer_tokens(&app).await,
            vec![token_hash(&open_token)]
        );
        assert_eq!(
            app.get(&format!("/customer/chats/{over}"), &over_token)
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.get(&format!("/customer/chats/{open}"), &open_token)
                .await
                .status(),
            StatusCode::OK
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_refused_login_does_not_say_whether_the_user_exists_or_is_active() {
    for app in TestApp::each_backend().await {
        let password = "a long enough password";
        app.create_staff("aktiv", "agent", &[]).await;
        let gone = app.create_staff("sluttet", "agent", &[]).await;
        let deactivated = app
            .patch(
                &format!("/users/{}", gone.user_id),
                &app.admin,
                json!({"active": false}),
            )
            .await;
        assert_eq!(deactivated.status(), StatusCode::OK);

        let mut answers = Vec::new();
        for (username, password) in [
            ("finnes-ikke", password),
            ("sluttet", password),
            ("aktiv", "the wrong password"),
        ] {
            let response = app
                .post(
                    "/auth/login",
                    "",
                    json!({"username": username, "password": password}),
                )
                .await;
            let status = response.status();
            let content_type = response.headers()["content-type"].clone();
            answers.push((
                username,
                status,
                content_type,
                response.text().await.unwrap(),
            ));
        }
        let (_, status, content_type, body) = &answers[0];
        assert_eq!(*status, StatusCode::UNAUTHORIZED, "{}", app.backend);
        for (username, other_status, other_type, other_body) in &answers[1..] {
            assert_eq!(
                (other_status, other_type, other_body),
                (status, content_type, body),
                "{username} on {}",
                app.backend
            );
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn no_cache_keeps_an_api_answer_and_no_browser_sniffs_one() {
    let app = TestApp::start(samtale_testkit::sqlite_test_database().await).await;
    let login = app
        .post(
            "/auth/login",
            "",
            json!({"username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    let config = app.get("/widget/config", "").await;
    let refused = app.get("/me", "not a token").await;
    for (what, response) in [
        ("login", &login),
        ("widget config", &config),
        ("a 401", &refused),
    ] {
        let headers = response.headers();
        assert_eq!(headers["cache-control"], "no-store", "{what}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    }
    app.finish().await;
}

#[tokio::test]
async fn guessing_one_accounts_password_is_held_back_whoever_guesses() {
    let app = TestApp::start(samtale_testkit::sqlite_test_database().await).await;
    // Kari, an agent with the centre's standard password, to log in as afterwards.
    app.centre().await;
    let attempt = |username: &'static str, password: &'static str| {
        app.post(
            "/auth/login",
            "",
            json!({"username": username, "password": password}),
        )
    };
    // Ten attempts a minute, the harness's own login among them.
    let mut refused = Vec::new();
    for _ in 0..10 {
        refused.push(attempt("admin", "wrong guess").await.status().as_u16());
    }
    assert_eq!(
        refused.iter().filter(|s| **s == 401).count(),
        9,
        "{refused:?}"
    );
    assert_eq!(refused.last(), Some(&429), "{refused:?}");
    // The right password too, now: the account's attempts are used up for the minute.
    assert_eq!(
        attempt("admin", ADMIN_PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another account from the same address is not held back by it.
    let kari = attempt("kari", "a long enough password").await;
    assert_eq!(kari.status(), StatusCode::OK);
    app.finish().await;
}
