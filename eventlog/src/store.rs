//! A cqrs-es [`EventStore`] that keeps recently used aggregates in memory.
//!
//! cqrs-es 0.5's snapshot and aggregate stores apply each new event twice when they build the
//! snapshot, so Samtale does not persist snapshots. Instead this store caches the aggregate
//! state with its sequence and, on every load, asks the repository only for the events after
//! that sequence. The cache is an optimisation, never a source of truth: another node may
//! have appended in the meantime, and those events are read and applied before the command
//! runs; a stale cache can at worst cost the optimistic-lock conflict it would cost anyway.

use crate::repository::EventRepository;
use cqrs_es::persist::{PersistedEventRepository, PersistenceError, SerializedEvent};
use cqrs_es::{
    Aggregate, AggregateContext, AggregateError, DomainEvent, EventEnvelope, EventStore,
};
use lru::LruCache;
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

    fn remember(&self, aggregate_id: String, aggregate: A, version: usize) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.put(aggregate_id, (aggregate, version));
        }
    }
}

/// The aggregate as loaded, with the sequence of the last event applied to it.
pub struct CachedContext<A: Aggregate> {
    aggregate_id: String,
    aggregate: A,
    version: usize,
}

impl<A: Aggregate> AggregateContext<A> for CachedContext<A> {
    fn aggregate(&mut self) -> &mut A {
        &mut self.aggregate
    }
}

fn deserialize<A: Aggregate>(event: SerializedEvent) -> Result<EventEnvelope<A>, PersistenceError> {
    let payload: A::Event = serde_json::from_value(event.payload)?;
    let metadata: HashMap<String, String> = serde_json::from_value(event.metadata)?;
    Ok(EventEnvelope {
        aggregate_id: event.aggregate_id,
        sequence: event.sequence,
        payload,
        metadata,
    })
}

impl<A: Aggregate + Clone> EventStore<A> for CachingEventStore<A> {
    type AC = CachedContext<A>;

    async fn load_events(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let events = self.repo.get_events::<A>(aggregate_id).await?;
        Ok(events
            .into_iter()
            .map(deserialize::<A>)
            .collect::<Result<_, _>>()?)
    }

    async fn load_aggregate(
        &self,
        aggregate_id: &str,
    ) -> Result<Self::AC, AggregateError<A::Error>> {
        let (mut aggregate, mut version) = self.cached(aggregate_id).unwrap_or_default();
        for event in self
            .repo
            .get_last_events::<A>(aggregate_id, version)
            .await?
        {
            let envelope = deserialize::<A>(event)?;
            version = envelope.sequence;
            aggregate.apply(envelope.payload);
        }
        Ok(CachedContext {
            aggregate_id: aggregate_id.to_string(),
            aggregate,
            version,
        })
    }

    /// Writes the events the command produced. The aggregate in `context` has already had them
    /// applied (cqrs-es's `EventSink` does that as the command writes them), so it is cached
    /// as it is: applying them again here is exactly the bug we are avoiding.
    async fn commit(
        &self,
        events: Vec<A::Event>,
        context: Self::AC,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        if events.is_empty() {
            return Ok(vec![]);
        }
        let mut envelopes = Vec::with_capacity(events.len());
        let mut serialized = Vec::with_capacity(events.len());
        for (index, event) in events.into_iter().enumerate() {
            let mut metadata = metadata.clone();
            metadata.insert(EVENT_ID.into(), Uuid::now_v7().to_string());
            metadata.insert(COMMAND_INDEX.into(), index.to_string());
            let sequence = context.version + index + 1;
            serialized.push(SerializedEvent::new(
                context.aggregate_id.clone(),
                sequence,
                A::TYPE.to_string(),
                event.event_type(),
                event.event_version(),
                serde_json::to_value(&event).map_err(PersistenceError::from)?,
                serde_json::to_value(&metadata).map_err(PersistenceError::from)?,
            ));
            envelopes.push(EventEnvelope {
                aggregate_id: context.aggregate_id.clone(),
                sequence,
                payload: event,
                metadata,
            });
        }
        self.repo.persist::<A>(&serialized, None).await?;
        let version = context.version + envelopes.len();
        self.remember(context.aggregate_id, context.aggregate, version);
        Ok(envelopes)
    }
}
