//! First start: the administrator; and with `--demo`, a small contact centre to try.
//!
//! Both are idempotent and safe to run from several nodes at once: ids and command ids are
//! derived from fixed names, so a second run (or a second node) finds the work done.

use crate::credentials::{check_password, initial_password, new_token};
use crate::origin::{keyed_context, Origin};
use crate::{Node, ServiceError};
use samtale_domain::directory::{Username, DIRECTORY_ID};
use samtale_domain::form::{FieldKind, FormField};
use samtale_domain::text::Name;
use samtale_domain::{Actor, CategoryId, Code, DirectoryCommand, QueueId, Role, UserId};
use samtale_projections::read;
use std::time::Duration;
use uuid::Uuid;

const BOOTSTRAP_NAMESPACE: Uuid = Uuid::from_u128(0x2c6b_9e04_17f3_4d5a_8b20_c4e1_f39a_6d07);

/// The password every demo user gets. Demo data is for trying Samtale out, never production.
pub const DEMO_PASSWORD: &str = "samtale-demo";

fn fixed_id(name: &str) -> Uuid {
    Uuid::new_v5(&BOOTSTRAP_NAMESPACE, name.as_bytes())
}

async fn run(state: &Node, key: &str, command: DirectoryCommand) -> Result<(), ServiceError> {
    let origin = Origin::service("bootstrap");
    let context = keyed_context(&Actor::System, &origin, "bootstrap", key.to_string());
    state
        .execute(&state.directory, DIRECTORY_ID, command, &context)
        .await
        .map_err(|e| ServiceError::Internal(format!("bootstrap step {key}: {e}")))?;
    Ok(())
}

/// Waits for the directory (users, queues, categories, form fields: all that bootstrapping
/// reads) to show everything already in the log, so that "does the admin exist?" is answered
/// from the whole history, not a half-caught-up table. The other read models catch up in the
/// background while the server already serves.
async fn directory_current(state: &Node) -> Result<(), ServiceError> {
    let head = state.live.log().head().await?;
    if !state
        .projections
        .wait_for_one("directory", head, Duration::from_secs(120))
        .await
    {
        return Err(ServiceError::Internal(
            "the directory did not catch up with the log within two minutes".into(),
        ));
    }
    Ok(())
}

async fn create_user(
    state: &Node,
    username: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> Result<UserId, ServiceError> {
    let user_id = UserId(fixed_id(&format!("user:{username}")));
    if read::user_by_username(state.db.any(), username)
        .await?
        .is_some()
    {
        return Ok(user_id);
    }
    let command = DirectoryCommand::CreateUser {
        user_id,
        username: Username::parse(username)?,
        display_name: Name::parse(display_name)?,
        role,
        max_concurrent_chats: 3,
        by: Actor::System,
        at: chrono::Utc::now(),
    };
    run(state, &format!("user:{username}"), command).await?;
    initial_password(state.db.any(), user_id, password.to_string()).await?;
    Ok(user_id)
}

/// Creates the administrator `admin` unless it exists.
pub async fn ensure_admin(state: &Node, password: Option<String>) -> Result<(), ServiceError> {
    directory_current(state).await?;
    if read::user_by_username(state.db.any(), "admin")
        .await?
        .is_some()
    {
        return Ok(());
    }
    let (password, generated) = match password {
        Some(password) => (password, false),
        None => (new_token()[..20].to_string(), true),
    };
    check_password(&password)
        .map_err(|e| ServiceError::Config(format!("SAMTALE_ADMIN_PASSWORD {e}")))?;
    create_user(
        state,
        "admin",
        "Administrator",
        Role::Administrator,
        &password,
    )
    .await?;
    if generated {
        println!("Created the administrator: username `admin`, password `{password}` (shown once)");
    } else {
        println!("Created the administrator `admin` with the password from SAMTALE_ADMIN_PASSWORD");
    }
    Ok(())
}

/// Demo queues, categories, form fields, pause reasons, wrap-up codes, two agents and a
/// supervisor.
pub async fn seed_demo(state: &Node) -> Result<(), ServiceError> {
    directory_current(state).await?;
    let queues = [
        (
            ("Privat", "Personal"),
            &[("Mobil", "Mobile"), ("Bredbånd", "Broadband")][..],
        ),
        (
            ("Bedrift", "Business"),
            &[("Faktura", "Invoice"), ("Teknisk hjelp", "Technical help")][..],
        ),
    ];
    // What the directory has ever had: a demo queue or category an administrator removed
    // stays removed.
    let directory = state.directory.current(DIRECTORY_ID).await?;
    let mut queue_ids = Vec::new();
    for ((queue, queue_en), categories) in queues {
        let queue_id = QueueId(fixed_id(&format!("queue:{queue}")));
        queue_ids.push(queue_id);
        if !directory.id_in_use(queue_id.0) {
            let command = DirectoryCommand::CreateQueue {
                queue_id,
                name: Name::parse(queue)?,
                name_en: Some(Name::parse(queue_en)?),
                transcript_retention_days: state.transcript_retention_days,
                offer_timeout_seconds: state.offer_timeout_seconds,
                by: Actor::System,
                at: chrono::Utc::now(),
            };
            run(state, &format!("queue:{queue}"), command).await?;
        }
        for (category, category_en) in categories {
            let category_id = CategoryId(fixed_id(&format!("category:{category}")));
            if !directory.id_in_use(category_id.0) {
                let command = DirectoryCommand::CreateCategory {
                    category_id,
                    name: Name::parse(*category)?,
                    name_en: Some(Name::parse(*category_en)?),
                    queue_id,
                    by: Actor::System,
                    at: chrono::Utc::now(),
                };
                run(state, &format!("category:{category}"), command).await?;
            }
        }
    }
    let fields = [
        (
            "email",
            ("E-post", "E-mail"),
            FieldKind::Email,
            true,
            (vec![], vec![]),
        ),
        (
            "phone",
            ("Telefon", "Phone"),
            FieldKind::Phone,
            false,
            (vec![], vec![]),
        ),
        (
            "customer_number",
            ("Kundenummer", "Customer number"),
            FieldKind::Text,
            false,
            (vec![], vec![]),
        ),
        (
            "language",
            ("Språk", "Language"),
            FieldKind::Select,
            false,
            (
                vec!["Norsk".to_string(), "English".to_string()],
                vec!["Norwegian".to_string(), "English".to_string()],
            ),
        ),
    ];
    let existing = read::form_fields(state.db.any()).await?;
    for (key, (label, label_en), kind, required, (options, options_en)) in fields {
        if existing.iter().any(|f| f.key == key) {
            continue;
        }
        let field = FormField {
            key: key.into(),
            label: label.into(),
            label_en: Some(label_en.into()),
            kind,
            required,
            options,
            options_en,
            max_length: 100,
        };
        let command = DirectoryCommand::DefineFormField {
            field,
            by: Actor::System,
            at: chrono::Utc::now(),
        };
        run(state, &format!("field:{key}"), command).await?;
    }
    let reasons = [
        ("lunch", "Lunsj"),
        ("meeting", "Møte"),
        ("training", "Opplæring"),
    ];
    if read::pause_reasons(state.db.any()).await?.is_empty() {
        for (reason, label) in reasons {
            let command = DirectoryCommand::DefinePauseReason {
                reason: Code::parse(reason).map_err(|e| ServiceError::Config(e.to_string()))?,
                label: Name::parse(label)?,
                by: Actor::System,
                at: chrono::Utc::now(),
            };
            run(state, &format!("pause-reason:{reason}"), command).await?;
        }
    }
    let codes = [
        ("subscription", "Abonnement"),
        ("invoice", "Faktura"),
        ("fault", "Feil og driftsavbrudd"),
        ("order", "Bestilling"),
    ];
    for queue_id in &queue_ids {
        if !read::wrap_up_codes(state.db.any(), &queue_id.to_string())
            .await?
            .is_empty()
        {
            continue;
        }
        for (code, label) in codes {
            let command = DirectoryCommand::DefineWrapUpCode {
                queue_id: *queue_id,
                code: Code::parse(code).map_err(|e| ServiceError::Config(e.to_string()))?,
                label: Name::parse(label)?,
                by: Actor::System,
                at: chrono::Utc::now(),
            };
            run(state, &format!("wrap-up-code:{queue_id}:{code}"), command).await?;
        }
    }
    let people = [
        ("kari", "Kari Nordmann", Role::Agent),
        ("ola", "Ola Hansen", Role::Agent),
        ("siri", "Siri Berg", Role::Supervisor),
    ];
    for (username, display_name, role) in people {
        let user_id = create_user(state, username, display_name, role, DEMO_PASSWORD).await?;
        for queue_id in &queue_ids {
            let command = DirectoryCommand::AddQueueMember {
                queue_id: *queue_id,
                user_id,
                by: Actor::System,
                at: chrono::Utc::now(),
            };
            run(state, &format!("member:{queue_id}:{username}"), command).await?;
        }
    }
    println!("Demo data ready. Log in as kari or ola (agents) or siri (supervisor), password `{DEMO_PASSWORD}`.");
    Ok(())
}
