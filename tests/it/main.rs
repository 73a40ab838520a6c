//! The black-box suite: every test drives a real server over HTTP, on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod bad_input;
mod chats;
mod erasure;
mod fuzz;
mod hand_over;
mod hours;
mod left_messages;
mod live;
mod load;
mod mail;
mod notes;
mod offers;
mod openapi;
mod presence;
mod ratings;
mod requests;
mod retries;
mod returning;
mod routing;
mod rules;
mod sessions;
mod slow_reader;
mod surge;
mod wrap_up;
