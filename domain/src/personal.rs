//! Personal data inside events: what can be forgotten while the facts around it stay.
//!
//! A field of type [`Personal`] is written to the log encrypted under its chat's key (the event
//! log's codec finds it by the marker it serialises with), and once the chat is erased its key
//! is gone: the field then reads as [`Personal::Erased`], never as an error. Ids, queues,
//! agents, numbers and times are the facts reports count; they are never personal here.

use serde::de::{DeserializeOwned, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// The key a personal value is wrapped in when an event is serialised for the log, and so
/// the marker the codec encrypts. `$` cannot begin a Rust field name, so no event field is
/// ever mistaken for it.
pub const PERSONAL_MARKER: &str = "$personal";

/// Personal data, or the place where it was before its chat was erased.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Personal<T> {
    Known(T),
    Erased,
}

impl<T> Personal<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Personal::Known(value) => Some(value),
            Personal::Erased => None,
        }
    }

    pub fn is_erased(&self) -> bool {
        matches!(self, Personal::Erased)
    }
}

impl<T> From<T> for Personal<T> {
    fn from(value: T) -> Self {
        Personal::Known(value)
    }
}

/// `{"$personal": value}`, for the codec to find; an erased value as `null`.
impl<T: Serialize> Serialize for Personal<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Personal::Known(value) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(PERSONAL_MARKER, value)?;
                map.end()
            }
            Personal::Erased => serializer.serialize_none(),
        }
    }
}

/// What readers see once the codec has decoded a stored event: the value itself, or `null`
/// where it was erased. Events written before encryption hold the bare value too; the marked
/// form is what [`Serialize`] writes, read back when an event is copied in memory.
impl<'de, T: DeserializeOwned> Deserialize<'de> for Personal<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let value = match value {
            serde_json::Value::Null => return Ok(Personal::Erased),
            serde_json::Value::Object(mut map)
                if map.len() == 1 && map.contains_key(PERSONAL_MARKER) =>
            {
                map.remove(PERSONAL_MARKER).unwrap_or_default()
            }
            value => value,
        };
        serde_json::from_value(value)
            .map(Personal::Known)
            .map_err(serde::de::Error::custom)
    }
}

/// What the event log must know of an aggregate's events beyond their shape.
pub trait Subject {
    /// This event erases its aggregate's personal data: the log deletes the aggregate's key in
    /// the transaction that appends it, and never creates one for it again.
    fn erases_subject(&self) -> bool {
        false
    }

    /// Normalised identifiers (`("email", "kari@example.no")`) by which a person's data can
    /// be found for an erasure request. The log keeps only keyed hashes of them, outside the
    /// events.
    fn identifiers(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_known_value_is_marked_for_the_codec_and_read_back_in_every_form() {
        let kari = Personal::Known("Kari".to_string());
        let written = serde_json::to_string(&kari).unwrap();
        assert_eq!(written, r#"{"$personal":"Kari"}"#);
        for form in [written.as_str(), r#""Kari""#] {
            assert_eq!(
                serde_json::from_str::<Personal<String>>(form).unwrap(),
                kari
            );
        }
    }

    #[test]
    fn an_erased_value_is_null_both_ways() {
        let erased: Personal<Vec<String>> = Personal::Erased;
        assert_eq!(serde_json::to_string(&erased).unwrap(), "null");
        assert_eq!(
            serde_json::from_str::<Personal<Vec<String>>>("null").unwrap(),
            erased
        );
    }
}
