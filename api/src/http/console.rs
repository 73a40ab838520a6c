//! The browser front-ends, embedded in the binary: the agent console at `/agent` and the
//! customer widget at `/widget` (a page of its own) and `/widget.js` (the tag a company puts
//! on its site). Plain files under `api/assets/`, no build step: what is there is what runs.
//!
//! They use only the public API and its SSE streams, like any other client. `no-cache` makes
//! browsers revalidate, so a new release's console is never mixed with an old one's modules.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The console's pages may run only their own scripts and styles and talk only to their own
/// origin; user text is never markup anyway, this is the second line of defence.
const CONSOLE_POLICY: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; \
                              base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The widget page may be framed by the companies' sites the operator lists, and by no
/// other; otherwise as strict as the console.
fn widget_policy(origins: &[String]) -> HeaderValue {
    let ancestors: Vec<&str> = std::iter::once("'self'")
        .chain(origins.iter().map(String::as_str).filter(|o| is_origin(o)))
        .collect();
    let policy = format!(
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
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
    content_type: &'static str,
    body: &'static str,
}

/// The console's files, served under `/agent/`.
const AGENT: &[Asset] = &[
    Asset {
        name: "console.css",
        content_type: CSS,
        body: include_str!("../../assets/agent/console.css"),
    },
    Asset {
        name: "app.js",
        content_type: JS,
        body: include_str!("../../assets/agent/app.js"),
    },
    Asset {
        name: "api.js",
        content_type: JS,
        body: include_str!("../../assets/agent/api.js"),
    },
    Asset {
        name: "dom.js",
        content_type: JS,
        body: include_str!("../../assets/agent/dom.js"),
    },
    Asset {
        name: "i18n.js",
        content_type: JS,
        body: include_str!("../../assets/agent/i18n.js"),
    },
    Asset {
        name: "icons.js",
        content_type: JS,
        body: include_str!("../../assets/agent/icons.js"),
    },
    Asset {
        name: "live.js",
        content_type: JS,
        body: include_str!("../../assets/agent/live.js"),
    },
    Asset {
        name: "presence.js",
        content_type: JS,
        body: include_str!("../../assets/agent/presence.js"),
    },
    Asset {
        name: "incoming.js",
        content_type: JS,
        body: include_str!("../../assets/agent/incoming.js"),
    },
    Asset {
        name: "queues.js",
        content_type: JS,
        body: include_str!("../../assets/agent/queues.js"),
    },
    Asset {
        name: "chat-lists.js",
        content_type: JS,
        body: include_str!("../../assets/agent/chat-lists.js"),
    },
    Asset {
        name: "conversation.js",
        content_type: JS,
        body: include_str!("../../assets/agent/conversation.js"),
    },
    Asset {
        name: "customer-info.js",
        content_type: JS,
        body: include_str!("../../assets/agent/customer-info.js"),
    },
    Asset {
        name: "admin.js",
        content_type: JS,
        body: include_str!("../../assets/agent/admin.js"),
    },
    Asset {
        name: "day-chart.js",
        content_type: JS,
        body: include_str!("../../assets/agent/day-chart.js"),
    },
    Asset {
        name: "audit.js",
        content_type: JS,
        body: include_str!("../../assets/agent/audit.js"),
    },
    Asset {
        name: "erased.js",
        content_type: JS,
        body: include_str!("../../assets/agent/erased.js"),
    },
    Asset {
        name: "confirm.js",
        content_type: JS,
        body: include_str!("../../assets/agent/confirm.js"),
    },
    Asset {
        name: "privacy.js",
        content_type: JS,
        body: include_str!("../../assets/agent/privacy.js"),
    },
    Asset {
        name: "disposition.js",
        content_type: JS,
        body: include_str!("../../assets/agent/disposition.js"),
    },
    Asset {
        name: "wrap-up.js",
        content_type: JS,
        body: include_str!("../../assets/agent/wrap-up.js"),
    },
    Asset {
        name: "agent-board.js",
        content_type: JS,
        body: include_str!("../../assets/agent/agent-board.js"),
    },
    Asset {
        name: "admin-forms.js",
        content_type: JS,
        body: include_str!("../../assets/agent/admin-forms.js"),
    },
    Asset {
        name: "admin-choices.js",
        content_type: JS,
        body: include_str!("../../assets/agent/admin-choices.js"),
    },
    Asset {
        name: "admin-hours.js",
        content_type: JS,
        body: include_str!("../../assets/agent/admin-hours.js"),
    },
    Asset {
        name: "earlier-chats.js",
        content_type: JS,
        body: include_str!("../../assets/agent/earlier-chats.js"),
    },
];

const CONSOLE_PAGE: &str = include_str!("../../assets/agent/index.html");
const WIDGET_PAGE: &str = include_str!("../../assets/widget/index.html");
const WIDGET_SCRIPT: &str = include_str!("../../assets/widget/widget.js");
const WIDGET_STYLES: &str = include_str!("../../assets/widget/widget.css");

pub fn routes(widget_origins: &[String]) -> Router<AppState> {
    let widget = widget_policy(widget_origins);
    Router::new()
        .route(
            "/agent",
            get(|| async { page(CONSOLE_PAGE, HeaderValue::from_static(CONSOLE_POLICY)) }),
        )
        .route("/agent/{file}", get(agent_file))
        .route(
            "/widget",
            get(move || async move { page(WIDGET_PAGE, widget) }),
        )
        .route("/widget.js", get(|| async { file(JS, WIDGET_SCRIPT) }))
        .route("/widget.css", get(|| async { file(CSS, WIDGET_STYLES) }))
}

async fn agent_file(Path(name): Path<String>) -> Result<Response, ApiError> {
    AGENT
        .iter()
        .find(|asset| asset.name == name)
        .map(|asset| file(asset.content_type, asset.body))
        .ok_or_else(|| ApiError::NotFound("no such file".into()))
}

fn file(content_type: &'static str, body: &'static str) -> Response {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        body,
    )
        .into_response()
}

fn page(body: &'static str, policy: HeaderValue) -> Response {
    (
        [
            (CONTENT_SECURITY_POLICY, policy),
            (REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        ],
        file(HTML, body),
    )
        .into_response()
}
