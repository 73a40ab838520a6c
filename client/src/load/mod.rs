//! `samtale load`: simulated customers and agents over real HTTP + SSE against a running
//! server, with latency percentiles, throughput, errors and server memory; `load surge`, a
//! queue of thousands following their places while agents pick up. The database's own
//! ceiling, which these figures are read against, is measured by the binary: it needs a
//! database connection, and this crate speaks only to the server.

mod arrivals;
mod process;
mod progress;
mod run;
mod stats;
mod surge;

pub use arrivals::{arrivals, ArrivalsConfig};
pub use run::{run, LoadConfig, LoadReport};
pub use surge::{surge, SurgeConfig, SurgeReport};
