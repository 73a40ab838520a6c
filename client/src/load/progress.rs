//! Progress while a load runs: a bar on a terminal, a plain line a second otherwise (a log or
//! a pipe would fill with a bar's redraws).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Shows `done` (a counter the work bumps) against `total` until finished.
pub struct Progress {
    done: Arc<AtomicU64>,
    ticker: tokio::task::JoinHandle<()>,
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn start(label: &str, total: u64) -> Self {
        let done = Arc::new(AtomicU64::new(0));
        let bar = std::io::stdout().is_terminal().then(|| {
            let bar = ProgressBar::new(total).with_message(label.to_string());
            if let Ok(style) =
                ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} ({per_sec})")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        let ticker = {
            let (done, bar, label) = (done.clone(), bar.clone(), label.to_string());
            tokio::spawn(async move {
                let every = if bar.is_some() { 100 } else { 1000 };
                let mut tick = tokio::time::interval(Duration::from_millis(every));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let now = done.load(Ordering::Relaxed);
                    match &bar {
                        Some(bar) => bar.set_position(now),
                        None => println!("{label}: {now}/{total}"),
                    }
                }
            })
        };
        Self { done, ticker, bar }
    }

    /// The counter to bump as work completes.
    pub fn counter(&self) -> Arc<AtomicU64> {
        self.done.clone()
    }

    pub fn finish(self) {
        self.ticker.abort();
        if let Some(bar) = &self.bar {
            bar.set_position(self.done.load(Ordering::Relaxed));
            bar.finish();
        }
    }
}
