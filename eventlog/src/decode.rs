//! The one place where stored events become domain events again: personal values are
//! decrypted (or read as erased, see [`crate::codec`]), then events of an older shape are
//! upcast to the current one.
//!
//! Stored events are never rewritten: when an event's shape changes incompatibly, its
//! `event_version` goes up and an upcaster (cqrs-es's [`EventUpcaster`]) that turns the old
//! payload into the new one is added to [`UPCASTERS`]. Every reader — the command side's
//! [`crate::CachingEventStore`], a retried command's [`crate::Commands`] and the read side's
//! folds, live feed and replay, all through [`LoggedEvent::decode`] — decodes here, so none
//! of them ever meets an old shape.

use crate::codec::{self, EventIdentity};
use crate::log::{LogError, LoggedEvent};
use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;

/// The upcasters every stored event passes through, in order (an upcaster of version 1 → 2
/// before one of 2 → 3). Empty: no event has changed its shape yet.
pub static UPCASTERS: &[&dyn EventUpcaster] = &[];

/// Decodes stored events through a list of upcasters; [`Decoder::CURRENT`] is the one every
/// reader uses. Other lists exist only to test the mechanism.
pub struct Decoder<'a> {
    upcasters: &'a [&'a dyn EventUpcaster],
}

impl Decoder<'static> {
    pub const CURRENT: Decoder<'static> = Decoder {
        upcasters: UPCASTERS,
    };
}

impl<'a> Decoder<'a> {
    pub const fn new(upcasters: &'a [&'a dyn EventUpcaster]) -> Self {
        Self { upcasters }
    }

    fn upcasts(&self, event_type: &str, event_version: &str) -> bool {
        self.upcasters
            .iter()
            .any(|u| u.can_upcast(event_type, event_version))
    }

    /// `event` in the current shape: each upcaster that accepts its type and version (as left
    /// by the upcasters before it) rewrites it in turn.
    pub fn upcast(&self, event: SerializedEvent) -> SerializedEvent {
        self.upcasters.iter().fold(event, |event, upcaster| {
            if upcaster.can_upcast(&event.event_type, &event.event_version) {
                upcaster.upcast(event)
            } else {
                event
            }
        })
    }

    /// A cqrs-es serialized event, as the event repositories load an aggregate's events to
    /// decide a command on. Its personal values read as erased: the command side never
    /// decrypts, because no rule depends on a name, an answer or a message's text.
    pub fn decode_serialized<E: DeserializeOwned>(
        &self,
        mut event: SerializedEvent,
    ) -> Result<E, serde_json::Error> {
        let identity = EventIdentity {
            aggregate_type: &event.aggregate_type,
            aggregate_id: &event.aggregate_id,
            sequence: i64::try_from(event.sequence).unwrap_or_default(),
            event_type: &event.event_type,
        };
        let mut payload = std::mem::take(&mut event.payload);
        // Without a key nothing is decrypted, so nothing can fail to decrypt.
        let _ = codec::decrypt(&mut payload, None, identity);
        event.payload = payload;
        serde_json::from_value(self.upcast(event).payload)
    }

    /// The current-shape payload of an event as the log reads it, its personal values
    /// decrypted with the key read beside it (or erased). An event with neither personal
    /// values nor an upcaster that accepts it is its stored text as it is, read without
    /// building a JSON value first (that cost a rebuild most of its time in allocation).
    pub fn payload<'e>(&self, logged: &'e LoggedEvent) -> Result<Cow<'e, RawValue>, LogError> {
        Ok(match self.rewritten(logged)? {
            None => Cow::Borrowed(&logged.payload),
            Some(current) => Cow::Owned(raw(logged, &current)?),
        })
    }

    /// The payload in its current shape as a JSON value, where that is not the stored text:
    /// decrypted, upcast, or both.
    fn rewritten(&self, logged: &LoggedEvent) -> Result<Option<Value>, LogError> {
        let encrypted = codec::holds_encrypted(logged.payload.get());
        let upcasts = self.upcasts(&logged.event_type, &logged.event_version);
        if !encrypted && !upcasts {
            return Ok(None);
        }
        let mut payload: Value =
            serde_json::from_str(logged.payload.get()).map_err(|e| failed(logged, e))?;
        if encrypted {
            let identity = EventIdentity {
                aggregate_type: &logged.aggregate_type,
                aggregate_id: &logged.aggregate_id,
                sequence: logged.sequence,
                event_type: &logged.event_type,
            };
            codec::decrypt(&mut payload, logged.key.as_deref(), identity).map_err(|e| {
                failed(
                    logged,
                    format!("{} does not decrypt with its chat's key", e.field),
                )
            })?;
        }
        if upcasts {
            payload = self.upcast(serialized(logged, payload)).payload;
        }
        Ok(Some(payload))
    }

    /// An event as the log reads it, in the current shape of `E`.
    pub fn decode_logged<E: DeserializeOwned>(&self, logged: &LoggedEvent) -> Result<E, LogError> {
        match self.rewritten(logged)? {
            None => serde_json::from_str(logged.payload.get()),
            Some(current) => E::deserialize(&current),
        }
        .map_err(|e| failed(logged, e))
    }

    /// The event in the current shape of `E`, and the current payload's text if it is not the
    /// stored text (decrypted or upcast): decoded once, for readers that also send it on.
    pub fn decode_with_payload<E: DeserializeOwned>(
        &self,
        logged: &LoggedEvent,
    ) -> Result<(E, Option<Box<RawValue>>), LogError> {
        Ok(match self.rewritten(logged)? {
            None => (
                serde_json::from_str(logged.payload.get()).map_err(|e| failed(logged, e))?,
                None,
            ),
            Some(current) => (
                E::deserialize(&current).map_err(|e| failed(logged, e))?,
                Some(raw(logged, &current)?),
            ),
        })
    }
}

fn failed(logged: &LoggedEvent, reason: impl ToString) -> LogError {
    LogError::Decode {
        position: logged.position.position,
        reason: reason.to_string(),
    }
}

fn raw(logged: &LoggedEvent, current: &Value) -> Result<Box<RawValue>, LogError> {
    serde_json::value::to_raw_value(current).map_err(|e| failed(logged, e))
}

/// `logged` with `payload`, as an upcaster takes it.
fn serialized(logged: &LoggedEvent, payload: Value) -> SerializedEvent {
    SerializedEvent {
        aggregate_id: logged.aggregate_id.clone(),
        sequence: usize::try_from(logged.sequence).unwrap_or_default(),
        aggregate_type: logged.aggregate_type.clone(),
        event_type: logged.event_type.clone(),
        event_version: logged.event_version.clone(),
        payload,
        metadata: serde_json::to_value(&logged.metadata).unwrap_or(Value::Null),
    }
}

/// Every reader of stored events decodes them here, through the upcasters.
impl LoggedEvent {
    /// The payload as the aggregate's event type, in its current shape (see [`Decoder`]).
    pub fn decode<E: DeserializeOwned>(&self) -> Result<E, LogError> {
        Decoder::CURRENT.decode_logged(self)
    }

    /// The payload's JSON text in the event's current shape: what clients are sent.
    pub fn current_payload(&self) -> Result<Cow<'_, RawValue>, LogError> {
        Decoder::CURRENT.payload(self)
    }

    /// [`LoggedEvent::decode`], with the current payload's text if it is not the stored one.
    pub fn decode_with_payload<E: DeserializeOwned>(
        &self,
    ) -> Result<(E, Option<Box<RawValue>>), LogError> {
        Decoder::CURRENT.decode_with_payload(self)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::log::LogPosition;
    use serde::Deserialize;
    use std::collections::HashMap;

    /// The current shape of a made-up event; its version 1 called the field `name`.
    #[derive(Debug, Deserialize, PartialEq)]
    enum Greeting {
        Greeted { full_name: String },
    }

    /// Renames `name` to `full_name` in version 1 of `Greeted`.
    struct NameBecameFullName;

    impl EventUpcaster for NameBecameFullName {
        fn can_upcast(&self, event_type: &str, event_version: &str) -> bool {
            event_type == "Greeted" && event_version == "1"
        }

        fn upcast(&self, mut event: SerializedEvent) -> SerializedEvent {
            if let Some(greeted) = event.payload["Greeted"].as_object_mut() {
                if let Some(name) = greeted.remove("name") {
                    greeted.insert("full_name".into(), name);
                }
            }
            event.event_version = "2".into();
            event
        }
    }

    fn logged(version: &str, payload: &str) -> LoggedEvent {
        LoggedEvent {
            position: LogPosition { tx: 1, position: 7 },
            event_id: uuid::Uuid::nil(),
            aggregate_type: "Greeter".into(),
            aggregate_id: "g".into(),
            sequence: 1,
            event_type: "Greeted".into(),
            event_version: version.into(),
            payload: RawValue::from_string(payload.into()).unwrap(),
            metadata: HashMap::new(),
            key: None,
        }
    }

    const OLD: &str = r#"{"Greeted":{"name":"Kari"}}"#;
    const NEW: &str = r#"{"Greeted":{"full_name":"Kari"}}"#;

    fn kari() -> Greeting {
        Greeting::Greeted {
            full_name: "Kari".into(),
        }
    }

    #[test]
    fn an_old_event_is_decoded_through_the_upcaster_in_the_list() {
        let decoder = Decoder::new(&[&NameBecameFullName]);
        assert_eq!(
            decoder
                .decode_logged::<Greeting>(&logged("1", OLD))
                .unwrap(),
            kari()
        );
        let serialized = SerializedEvent {
            aggregate_id: "g".into(),
            sequence: 1,
            aggregate_type: "Greeter".into(),
            event_type: "Greeted".into(),
            event_version: "1".into(),
            payload: serde_json::from_str(OLD).unwrap(),
            metadata: Value::Null,
        };
        assert_eq!(
            decoder.decode_serialized::<Greeting>(serialized).unwrap(),
            kari()
        );
        assert_eq!(
            decoder.payload(&logged("1", OLD)).unwrap().get(),
            NEW,
            "the live feed's frames carry the current shape too"
        );
    }

    #[test]
    fn an_event_no_upcaster_accepts_is_decoded_as_stored() {
        let decoder = Decoder::new(&[&NameBecameFullName]);
        let current = logged("2", NEW);
        assert_eq!(decoder.decode_logged::<Greeting>(&current).unwrap(), kari());
        assert!(matches!(
            decoder.payload(&current).unwrap(),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn without_its_upcaster_an_old_event_does_not_decode() {
        assert!(Decoder::new(&[])
            .decode_logged::<Greeting>(&logged("1", OLD))
            .is_err());
    }
}
