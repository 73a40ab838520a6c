//! The administration module: users, queues and membership, categories, the pre-chat
//! form, pause reasons and wrap-up codes. Administrators only; the Directory aggregate checks that too.

mod choices;
mod form;
mod queues;
mod users;

pub use choices::*;
pub use form::*;
pub use queues::*;
pub use users::*;

use crate::auth::Staff;
use crate::error::{text_error, ApiError};
use crate::extract::Origin;
use crate::state::AppState;
use axum::http::StatusCode;
use axum::Json;
use samtale_domain::directory::DIRECTORY_ID;
use samtale_domain::text::Name;
use samtale_domain::DirectoryEvent;
use samtale_domain::{DirectoryCommand, DirectoryError};
use samtale_eventlog::Executed;
use samtale_service::origin::resource_context;

type Created<T> = (StatusCode, Json<T>);

fn name(field: &str, raw: &str) -> Result<Name, ApiError> {
    Name::parse(raw).map_err(|e| text_error(field, e))
}

/// An English name (`name_en`) under a name's rules; none when not given.
fn english_name(raw: Option<&str>) -> Result<Option<Name>, ApiError> {
    raw.map(|raw| name("name_en", raw)).transpose()
}

/// Runs an administrator's change to `resource` (empty for a create); a retry with the same
/// `Idempotency-Key` gets the events of the first attempt, so creates answer with the resource
/// the first attempt created.
async fn directory(
    state: &AppState,
    staff: &Staff,
    meta: &Origin,
    (operation, resource): (&'static str, &str),
    command: DirectoryCommand,
) -> Result<Executed<DirectoryEvent>, ApiError> {
    staff.require_administrator()?;
    let context = resource_context(&staff.actor(), meta, operation, resource);
    Ok(state
        .execute(&state.directory, DIRECTORY_ID, command, &context)
        .await?)
}

/// A user or queue named in a body that does not exist (`missing`) is a 422 on that field:
/// the resource the path names is there, only the request is wrong.
fn unknown_in(field: &'static str, missing: DirectoryError) -> impl Fn(ApiError) -> ApiError {
    move |error| match error {
        ApiError::NotFound(detail) if detail == missing.to_string() => {
            ApiError::invalid_field(field, detail)
        }
        other => other,
    }
}

/// The id a create command created: this run's, or for a retry the first attempt's.
fn created<T>(
    executed: &Executed<DirectoryEvent>,
    id: impl Fn(&DirectoryEvent) -> Option<T>,
) -> Result<T, ApiError> {
    executed
        .events
        .iter()
        .find_map(id)
        .ok_or_else(|| ApiError::Internal("a create wrote no creation".into()))
}
