//! Loading and appending aggregates, keeping recently used ones in memory.
//!
//! cqrs-es 0.5's snapshot and aggregate stores apply each new event twice when they build the
//! snapshot, so Samtale does not persist snapshots. Instead this store caches the aggregate
//! state with its sequence. The cache is an optimisation, never a source of truth: another
//! node may have appended in the meantime. A decision taken on cached state is appended at the
//! next sequence, so if the cache was stale the append collides and the command is decided
//! again on the state read from the log (only the events after the cached sequence are read).

use crate::decode::Decoder;
use crate::group_commit::NewEvent;
use crate::log::LogPosition;
use crate::repository::EventRepository;
use cqrs_es::persist::{PersistedEventRepository, PersistenceError, SerializedEvent};
use cqrs_es::{Aggregate, DomainEvent};
use lru::LruCache;
use samtale_domain::Subject;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// The metadata key of each event's unique id (UUID v7: time-ordered).
pub const EVENT_ID: &str = "event_id";
/// The metadata key of the id of the command that produced the event.
pub const COMMAND_ID: &str = "command_id";
/// The metadata key of the event's index among its command's events.
pub const COMMAND_INDEX: &str = "command_index";

pub struct CachingEventStore<A: Aggregate> {
    repo: Arc<EventRepository>,
    cache: Mutex<LruCache<String, (A, usize)>>,
}

impl<A: Aggregate + Clone> CachingEventStore<A> {
    pub fn new(repo: Arc<EventRepository>, capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            repo,
            cache: Mutex::new(LruCache::new(capacity)),
        }
    }

    fn cached(&self, aggregate_id: &str) -> Option<(A, usize)> {
        // A poisoned lock only means another request panicked mid-update of a cache entry;
        // the cache is disposable, so start it afresh rather than propagate the panic.
        let mut cache = self.cache.lock().unwrap_or_else(|poisoned| {
            let mut cache = poisoned.into_inner();
            cache.clear();
            cache
        });
        cache.get(aggregate_id).cloned()
    }

    /// Keeps `aggregate` at `version`, unless the cache already holds a later one: a read that
    /// finished after a commit must not put the older state back.
    fn remember(&self, aggregate_id: String, aggregate: A, version: usize) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache
                .peek(&aggregate_id)
                .is_none_or(|(_, cached)| *cached <= version)
            {
                cache.put(aggregate_id, (aggregate, version));
            }
        }
    }
}

/// An aggregate as loaded, with the sequence of the last event applied to it.
pub struct Loaded<A> {
    pub aggregate: A,
    version: usize,
    /// Read up to the end of the log, rather than taken from the cache as it was.
    pub verified: bool,
}

fn decode<A: Aggregate>(event: SerializedEvent) -> Result<(usize, A::Event), PersistenceError> {
    Ok((event.sequence, Decoder::CURRENT.decode_serialized(event)?))
}

impl<A: Aggregate + Clone> CachingEventStore<A>
where
    A::Event: Subject,
{
    /// The aggregate to decide a command on. Unless `verify` is set, a cached aggregate is
    /// taken as it is, without asking the log for newer events: if another node appended in
    /// the meantime, the append of the decision collides with its sequence and the command is
    /// decided again on verified state. Only decisions that append nothing — a refusal, a
    /// no-op — escape that check, so [`Loaded::verified`] tells the caller to re-verify those.
    pub async fn load(
        &self,
        aggregate_id: &str,
        verify: bool,
    ) -> Result<Loaded<A>, PersistenceError> {
        let (mut aggregate, mut version) = match self.cached(aggregate_id) {
            Some((aggregate, version)) if !verify => {
                return Ok(Loaded {
                    aggregate,
                    version,
                    verified: false,
                })
            }
            cached => cached.unwrap_or_default(),
        };
        for event in self
            .repo
            .get_last_events::<A>(aggregate_id, version)
            .await?
        {
            let (sequence, payload) = decode::<A>(event)?;
            version = sequence;
            aggregate.apply(payload);
        }
        // What the log says now is worth keeping: the next load reads only what follows.
        self.remember(aggregate_id.to_string(), aggregate.clone(), version);
        Ok(Loaded {
            aggregate,
            version,
            verified: true,
        })
    }

    /// Appends the events a command decided on `loaded` and returns the position of the last.
    /// `loaded.aggregate` has already had them applied (cqrs-es's `EventSink` does that as the
    /// command writes them), so it is cached as it is: applying them again here is exactly the
    /// snapshot stores' bug we are avoiding.
    pub async fn commit(
        &self,
        aggregate_id: &str,
        loaded: Loaded<A>,
        events: &[A::Event],
        metadata: &HashMap<String, String>,
    ) -> Result<LogPosition, PersistenceError> {
        let mut new = Vec::with_capacity(events.len());
        let keyring = self.repo.vault().keyring();
        for (index, event) in events.iter().enumerate() {
            let mut metadata = metadata.clone();
            metadata.insert(EVENT_ID.into(), Uuid::now_v7().to_string());
            metadata.insert(COMMAND_INDEX.into(), index.to_string());
            new.push(NewEvent {
                aggregate_type: A::TYPE.to_string(),
                aggregate_id: aggregate_id.to_string(),
                sequence: (loaded.version + index + 1) as i64,
                event_type: event.event_type(),
                event_version: event.event_version(),
                payload: serde_json::to_string(event)?,
                metadata: serde_json::to_string(&metadata)?,
                erases_subject: event.erases_subject(),
                lookups: event
                    .identifiers()
                    .into_iter()
                    .map(|(kind, value)| keyring.lookup_hash(kind, &value))
                    .collect(),
            });
        }
        let position = self.repo.append(new).await?;
        let version = loaded.version + events.len();
        self.remember(aggregate_id.to_string(), loaded.aggregate, version);
        Ok(position)
    }

    /// Drops this node's copies of an erased aggregate: its cached state and its data key.
    pub fn forget(&self, aggregate_id: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.pop(aggregate_id);
        }
        self.repo.vault().forget(A::TYPE, aggregate_id);
    }
}
