//! The event log: the single source of truth of Samtale.
//!
//! Commands are decided by cqrs-es aggregates; their events are read through postgres-es's or
//! sqlite-es's event repository and appended by statements that return their positions, in a
//! transaction shared by the commands appending at the same moment (group commit).
//! This crate adds what those crates lack and the rest of Samtale relies on:
//!
//! - a **global position** every event gets at commit, and a reader ([`EventLog`]) that tails
//!   the log in commit order without ever skipping an event that commits late;
//! - **command de-duplication**: each command has an id; its events carry it, a unique index
//!   guards it, and a retried command returns the first attempt's result ([`Commands`]);
//! - an **aggregate cache** ([`CachingEventStore`]) so a chat's ten-thousandth message costs
//!   what its first did, without cqrs-es 0.5's snapshot stores (they apply events twice);
//! - **crypto-shredding**: personal values are encrypted under a data key per aggregate on
//!   the way in and decrypted on the way out ([`codec`]); deleting the key, as the event that
//!   erases the aggregate is appended, erases them from every event at once;
//! - **waking** readers when events are appended: in process, and across nodes with
//!   PostgreSQL's LISTEN/NOTIFY, sent after the commit and coalesced.
//!
//! It knows nothing of chats or queues: it is generic over cqrs-es aggregates.

pub mod codec;
mod commands;
mod database;
mod decode;
mod group_commit;
mod keys;
mod log;
mod rekey;
mod repository;
mod store;
mod turns;
mod vault;
mod wake;

pub use commands::{ClientKey, CommandContext, CommandError, CommandOutcome, Commands, Executed};
pub use database::{is_unreachable, Backend, Database, DatabaseError, POSTGRES_CONNECTIONS};
pub use decode::{Decoder, UPCASTERS};
pub use keys::{DataKey, KeyError, Keyring};
pub use log::{read_to_head, EventLog, LogError, LogPosition, LoggedEvent, Settling, Tail};
pub use rekey::{encrypt_log, rotate_keys, CopyObserver, Encryption, RekeyError, Rotation};
pub use repository::EventRepository;
pub use store::CachingEventStore;
pub use vault::{KeyCheckError, Vault, VaultError};
pub use wake::Wake;
