//! Samtale's read models: plain SQL tables that screens and reporting jobs read, folded from
//! the event log.
//!
//! Each projection tails the log from its checkpoint and writes its rows and its new
//! checkpoint in **one transaction**, so a crash at any point neither loses nor repeats an
//! event. The folds are deterministic — no clock, no randomness — so a rebuild from position
//! 0 gives the same tables. Tables carry a generation suffix (`chats_g3`) and are read through
//! stable views (`chats`): a rebuild folds a new generation beside the live one and swaps the
//! views in one short transaction, so reads never stop.

mod bulk;
mod checkpoints;
mod columns;
mod conversations;
mod directory;
mod event;
mod presence;
mod projection;
pub mod read;
mod rebuild;
pub mod replay;
pub mod reports;
mod runner;
mod schema;
pub mod seals;
mod time;

pub use columns::Columns;
pub use event::{decode, DomainEvent, SamtaleEvent};
pub use projection::{Projection, ProjectionError};
pub use rebuild::RebuildReport;
pub use runner::{FoldedBatch, Projections};
pub use schema::{Generation, Table};
pub use time::timestamp;
