//! How much of something is open at once, counted per key and capped: connections per node
//! and per address, live streams per token and per address.
//!
//! A [`Seat`] is one open thing; it counts under every key it was taken for until it is
//! dropped, so a connection or stream that ends in any way (closed, failed, aborted) gives its
//! place back. The counts are this node's: nothing here must survive a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Default)]
pub struct Occupancy {
    counts: Mutex<HashMap<String, usize>>,
}

/// One place taken under each of its keys; given back on drop.
pub struct Seat {
    occupancy: Arc<Occupancy>,
    keys: Vec<String>,
}

impl Occupancy {
    /// A seat under every `(key, cap)`, or `None` (and nothing taken) if any key is at its cap.
    pub fn take(self: &Arc<Self>, wanted: Vec<(String, usize)>) -> Option<Seat> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if wanted
            .iter()
            .any(|(key, cap)| counts.get(key).copied().unwrap_or(0) >= *cap)
        {
            return None;
        }
        let keys: Vec<String> = wanted.into_iter().map(|(key, _)| key).collect();
        for key in &keys {
            *counts.entry(key.clone()).or_insert(0) += 1;
        }
        Some(Seat {
            occupancy: self.clone(),
            keys,
        })
    }

    /// How many seats are taken under `key`.
    pub fn count(&self, key: &str) -> usize {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.get(key).copied().unwrap_or(0)
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut counts = self
            .occupancy
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for key in &self.keys {
            if let Some(count) = counts.get_mut(key) {
                *count -= 1;
                // Only keys with something open are kept: memory follows what is open now.
                if *count == 0 {
                    counts.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(pairs: &[(&str, usize)]) -> Vec<(String, usize)> {
        pairs.iter().map(|(k, c)| (k.to_string(), *c)).collect()
    }

    #[test]
    fn a_key_at_its_cap_refuses_and_takes_nothing_under_the_others() {
        let open = Arc::new(Occupancy::default());
        let first = open.take(caps(&[("all", 10), ("10.0.0.1", 1)]));
        assert!(first.is_some());
        assert!(open.take(caps(&[("all", 10), ("10.0.0.1", 1)])).is_none());
        assert_eq!(open.count("all"), 1, "the refused seat counted nowhere");
        assert!(open.take(caps(&[("all", 10), ("10.0.0.2", 1)])).is_some());
    }

    #[test]
    fn a_dropped_seat_gives_its_places_back_and_empty_keys_are_forgotten() {
        let open = Arc::new(Occupancy::default());
        let seat = open.take(caps(&[("all", 1), ("token", 1)]));
        drop(seat);
        assert_eq!(open.count("all"), 0);
        assert!(open.counts.lock().unwrap().is_empty());
        assert!(open.take(caps(&[("all", 1), ("token", 1)])).is_some());
    }
}
