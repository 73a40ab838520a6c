//! The browser front-ends, embedded in the binary: the agent console at `/agent` and the
//! customer widget at `/widget` (a page of its own) and `/widget.js` (the tag a company puts
//! on its site). Plain files under `api/assets/`, no build step: what is there is what runs.
//!
//! They use only the public API and its SSE streams, like any other client. `no-cache` makes
//! browsers revalidate, so a new release's console is never mixed with an old one's modules;
//! each file is sent gzipped when the browser accepts it and carries an ETag, so revalidating
//! an unchanged file costs a `304` (see `embedded.rs`).

use super::embedded::Embedded;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::Path;
use axum::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The console's pages may run only their own scripts and styles and talk only to their own
/// origin; user text is never markup anyway, this is the second line of defence. Pictures may
/// also come from `blob:` URLs: the thumbnails of files the page fetched with its token.
const CONSOLE_POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; \
                              base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The widget page may be framed by the companies' sites the operator lists, and by no
/// other; otherwise as strict as the console.
fn widget_policy(origins: &[String]) -> HeaderValue {
    let ancestors: Vec<&str> = std::iter::once("'self'")
        .chain(origins.iter().map(String::as_str).filter(|o| is_origin(o)))
        .collect();
    let policy = format!(
        "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; \
         form-action 'none'; frame-ancestors {}",
        ancestors.join(" ")
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(
        "default-src 'self'; frame-ancestors 'self'",
    ))
}

/// `scheme://host[:port]` and nothing that could end or extend a policy directive.
fn is_origin(origin: &str) -> bool {
    let Some((scheme, host)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "https" | "http")
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '*'))
}

struct Asset {
    name: &'static str,
    file: Embedded,
}

/// The console's files, served under `/agent/` (a fixed-size array: a static holding the
/// files' once-made gzip cannot be borrowed out of a temporary slice).
static AGENT: [Asset; 30] = [
    Asset {
        name: "console.css",
        file: Embedded::new(CSS, include_str!("../../assets/agent/console.css")),
    },
    Asset {
        name: "app.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/app.js")),
    },
    Asset {
        name: "api.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/api.js")),
    },
    Asset {
        name: "dom.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/dom.js")),
    },
    Asset {
        name: "i18n.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/i18n.js")),
    },
    Asset {
        name: "icons.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/icons.js")),
    },
    Asset {
        name: "live.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/live.js")),
    },
    Asset {
        name: "presence.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/presence.js")),
    },
    Asset {
        name: "incoming.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/incoming.js")),
    },
    Asset {
        name: "queues.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/queues.js")),
    },
    Asset {
        name: "chat-lists.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/chat-lists.js")),
    },
    Asset {
        name: "conversation.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/conversation.js")),
    },
    Asset {
        name: "customer-info.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/customer-info.js")),
    },
    Asset {
        name: "admin.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/admin.js")),
    },
    Asset {
        name: "day-chart.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/day-chart.js")),
    },
    Asset {
        name: "audit.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/audit.js")),
    },
    Asset {
        name: "erased.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/erased.js")),
    },
    Asset {
        name: "confirm.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/confirm.js")),
    },
    Asset {
        name: "privacy.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/privacy.js")),
    },
    Asset {
        name: "disposition.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/disposition.js")),
    },
    Asset {
        name: "wrap-up.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/wrap-up.js")),
    },
    Asset {
        name: "agent-board.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/agent-board.js")),
    },
    Asset {
        name: "admin-forms.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/admin-forms.js")),
    },
    Asset {
        name: "admin-choices.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/admin-choices.js")),
    },
    Asset {
        name: "admin-hours.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/admin-hours.js")),
    },
    Asset {
        name: "admin-queues.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/admin-queues.js")),
    },
    Asset {
        name: "history.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/history.js")),
    },
    Asset {
        name: "files.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/files.js")),
    },
    Asset {
        name: "earlier-chats.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/earlier-chats.js")),
    },
    Asset {
        name: "admin-prechat.js",
        file: Embedded::new(JS, include_str!("../../assets/agent/admin-prechat.js")),
    },
];

static CONSOLE_PAGE: Embedded = Embedded::new(HTML, include_str!("../../assets/agent/index.html"));
static WIDGET_PAGE: Embedded = Embedded::new(HTML, include_str!("../../assets/widget/index.html"));
static WIDGET_SCRIPT: Embedded = Embedded::new(JS, include_str!("../../assets/widget/widget.js"));
static WIDGET_STYLES: Embedded = Embedded::new(CSS, include_str!("../../assets/widget/widget.css"));

pub fn routes(widget_origins: &[String]) -> Router<AppState> {
    let widget = widget_policy(widget_origins);
    Router::new()
        .route(
            "/agent",
            get(|headers: HeaderMap| async move {
                page(
                    &CONSOLE_PAGE,
                    &headers,
                    HeaderValue::from_static(CONSOLE_POLICY),
                )
            }),
        )
        .route("/agent/{file}", get(agent_file))
        .route(
            "/widget",
            get(move |headers: HeaderMap| async move { page(&WIDGET_PAGE, &headers, widget) }),
        )
        .route(
            "/widget.js",
            get(|headers: HeaderMap| async move { WIDGET_SCRIPT.respond(&headers) }),
        )
        .route(
            "/widget.css",
            get(|headers: HeaderMap| async move { WIDGET_STYLES.respond(&headers) }),
        )
}

async fn agent_file(Path(name): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    AGENT
        .iter()
        .find(|asset| asset.name == name)
        .map(|asset| asset.file.respond(&headers))
        .ok_or_else(|| ApiError::NotFound("no such file".into()))
}

fn page(file: &Embedded, request: &HeaderMap, policy: HeaderValue) -> Response {
    (
        [
            (CONTENT_SECURITY_POLICY, policy),
            (REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        ],
        file.respond(request),
    )
        .into_response()
}
