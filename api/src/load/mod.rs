//! `samtale load`: simulated customers and agents over real HTTP + SSE against a running
//! server, with latency percentiles, throughput, errors, server memory, and — in the same run —
//! the database's own ceiling for durable single-event inserts, so Samtale's figures are read
//! as ratios of what the machine can do.

pub mod api;
mod arrivals;
mod ceiling;
mod run;
mod stats;

pub use arrivals::{arrivals, ArrivalsConfig};
pub use run::{run, LoadConfig, LoadReport};
