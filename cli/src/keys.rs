//! The key and old-log tools: `samtale keys rotate` and `samtale log encrypt`. Both are run
//! with every node stopped; the work is done by the event log (`samtale_eventlog::rekey`).

use samtale_api::config::DatabaseConfig;
use samtale_domain::Chat;
use samtale_eventlog::Database;
use samtale_projections::seals::{self, Reseal, Verdict};
use samtale_projections::Projections;

/// Rotates the key file's key-encryption key and rewraps every data key with the new one.
pub async fn rotate(database: &DatabaseConfig) -> anyhow::Result<()> {
    let key_file = database.key_file();
    let db = database.connect().await?;
    let rotation = samtale_eventlog::rotate_keys(&db, &key_file).await?;
    println!(
        "rotated: {} data keys rewrapped by kek {}; {} now holds only that key-encryption key \
         (back it up, apart from the database)",
        rotation.rewrapped,
        rotation.kek_id,
        key_file.display()
    );
    Ok(())
}

/// Copies a log written in plaintext by an older version into an encrypted one that replaces
/// it, resealed, after checking the old one against its seals.
pub async fn encrypt_log(database: &DatabaseConfig) -> anyhow::Result<()> {
    let key_file = database.key_file();
    let db = Database::connect_to_encrypt(&database.database_url, &key_file).await?;
    let projections = Projections::standard(db.clone());
    projections.install().await?;
    // Seal what the old version had not sealed yet, so every event is judged.
    projections.catch_up().await?;
    match seals::verify(db.event_log().as_ref(), db.any()).await? {
        Verdict::Intact { .. } => {}
        // Resealing an altered log would launder the alteration.
        Verdict::Altered { position } => {
            anyhow::bail!("the event at position {position} was altered: the log was not encrypted")
        }
        Verdict::Missing { position } => {
            anyhow::bail!("the event at position {position} is missing: the log was not encrypted")
        }
    }
    let done = samtale_eventlog::encrypt_log::<Chat>(&db, &Reseal::default()).await?;
    drop(projections);
    drop(db);
    // As a server will open it: the key file against the checks just recorded.
    Database::connect(&database.database_url, &key_file).await?;
    println!(
        "encrypted the log: {} events copied, {} chats encrypted; keys in {} (back it up, apart \
         from the database)",
        done.events,
        done.encrypted,
        key_file.display()
    );
    Ok(())
}
