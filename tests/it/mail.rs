//! Transcripts by e-mail, through a real SMTP server the test starts (Python's `aiosmtpd`,
//! named by `SAMTALE_TEST_SMTP`): asked for during the chat, sent once it has ended, once.

use samtale_testkit::app::{slug, TestApp};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

/// An SMTP server delivering into a Maildir; stopped when dropped.
pub(crate) struct SmtpServer {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    pub(crate) async fn start() -> Self {
        let python = std::env::var("SAMTALE_TEST_SMTP").expect("SAMTALE_TEST_SMTP names a Python");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .spawn()
            .expect("aiosmtpd starts");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            child,
            port,
            maildir,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every mail delivered so far, as text.
    pub(crate) fn delivered(&self) -> Vec<String> {
        let new = self.maildir.path().join("mail").join("new");
        read_all(&new)
    }
}

fn read_all(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
#[cfg_attr(
    not(samtale_test_smtp),
    ignore = "needs aiosmtpd: set SAMTALE_TEST_SMTP to a Python that has it"
)]
async fn a_transcript_asked_for_is_mailed_once_the_chat_has_ended_and_only_once() {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    for app in TestApp::each_backend_with(|c| c.mail.smtp_url = Some(url.clone())).await {
        let before = smtp.delivered().len();
        let centre = app.centre().await;
        let config = app.get_ok("/widget/config", "").await;
        assert_eq!(config["transcripts_by_email"], true, "{}", app.backend);
        let kari = &centre.kari.token;
        let (chat, customer) = app.picked_up_chat(&centre.billing, "Kopi", kari).await;
        let customer_line = format!("Fakturaen min, {}", app.backend);
        app.post_ok(
            &format!("/customer/chats/{chat}/messages"),
            &customer,
            json!({"text": customer_line}),
        )
        .await;
        app.post_ok(
            &format!("/chats/{chat}/messages"),
            kari,
            json!({"text": "Den er rettet nå"}),
        )
        .await;
        let ask = format!("/customer/chats/{chat}/transcript");
        let bad = app
            .post(&ask, &customer, json!({"email": "not an address"}))
            .await;
        assert_eq!(bad.status(), 422, "{}", app.backend);
        let asked = app
            .post_ok(&ask, &customer, json!({"email": "Kunde@Example.no"}))
            .await;
        assert_eq!(
            asked["transcript_mail"]["to"], "kunde@example.no",
            "{asked}"
        );
        assert!(asked["transcript_mail"]["sent_at"].is_null());
        // The worker looks every 2 s: while the chat goes on, nothing is sent.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(
            smtp.delivered().len(),
            before,
            "{}: not before the end",
            app.backend
        );

        app.post_ok(&format!("/chats/{chat}/end"), kari, json!({}))
            .await;
        let sent = |c: &Value| c["transcript_mail"]["sent_at"].is_string();
        let view = app
            .eventually(&format!("/customer/chats/{chat}"), &customer, sent)
            .await;
        assert!(sent(&view), "{}: {view}", app.backend);
        // Two more turns of the worker: still the one mail.
        tokio::time::sleep(Duration::from_millis(4500)).await;
        let mails = smtp.delivered();
        assert_eq!(mails.len(), before + 1, "{}: {mails:?}", app.backend);
        let mail = mails
            .iter()
            .find(|m| m.contains(&customer_line))
            .expect("the mail holds the conversation");
        assert!(mail.contains("To: kunde@example.no"), "{mail}");
        assert!(mail.contains("Den er rettet"), "{mail}");
        assert!(mail.contains("Message-ID: <transcript."), "{mail}");
        assert!(mail.contains(&chat), "{mail}");

        let (status, again) = {
            let response = app
                .post(&ask, &customer, json!({"email": "ny@example.no"}))
                .await;
            (response.status(), response.json::<Value>().await.unwrap())
        };
        assert_eq!(
            (status.as_u16(), slug(&again)),
            (409, "transcript-sent"),
            "{again}"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn without_an_smtp_server_no_transcript_is_offered() {
    for app in TestApp::each_backend().await {
        let centre = app.centre().await;
        let config = app.get_ok("/widget/config", "").await;
        assert_eq!(config["transcripts_by_email"], false, "{}", app.backend);
        let (chat, customer) = app.start_chat(&centre.billing, "Ingen post").await;
        let response = app
            .post(
                &format!("/customer/chats/{chat}/transcript"),
                &customer,
                json!({"email": "kunde@example.no"}),
            )
            .await;
        assert_eq!(response.status(), 409, "{}", app.backend);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(slug(&problem), "transcripts-off");
        app.finish().await;
    }
}
