//! The one encryption codec of personal data in events.
//!
//! The domain marks every personal value as `{"$personal": value}` when an event is
//! serialised (`samtale_domain::Personal`). On the way into the log the codec replaces each
//! with `{"$encrypted": "<base64 of nonce ‖ ciphertext>"}` under the aggregate's data key; on
//! the way out ([`crate::Decoder`]) it puts the value back, or `null` — erased — when the key
//! is gone. The associated data binds each ciphertext to its aggregate, event and field, so
//! no ciphertext can be moved elsewhere and still open.

use crate::keys::{joined, DataKey};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use samtale_domain::personal::PERSONAL_MARKER;
use serde_json::{Map, Value};

/// The key an encrypted value is stored under.
pub const ENCRYPTED_MARKER: &str = "$encrypted";

/// The markers as JSON object keys, quoted: what a payload's text is searched for, on every
/// event read.
const PERSONAL_KEY: &str = "\"$personal\"";
const ENCRYPTED_KEY: &str = "\"$encrypted\"";

/// Which event a payload is: what each of its ciphertexts is bound to.
#[derive(Debug, Clone, Copy)]
pub struct EventIdentity<'a> {
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub sequence: i64,
    pub event_type: &'a str,
}

impl EventIdentity<'_> {
    fn associated_data(&self, field: &str) -> Vec<u8> {
        joined(&[
            self.aggregate_type.as_bytes(),
            self.aggregate_id.as_bytes(),
            &self.sequence.to_be_bytes(),
            self.event_type.as_bytes(),
            field.as_bytes(),
        ])
    }
}

/// The JSON text holds a personal value still to be encrypted. A marker inside a string
/// (typed by someone) is escaped (`\"$personal\"`), so this finds only real ones.
pub fn marks_personal(json: &str) -> bool {
    json.contains(PERSONAL_KEY)
}

/// The JSON text holds an encrypted value.
pub fn holds_encrypted(json: &str) -> bool {
    json.contains(ENCRYPTED_KEY)
}

fn only_key<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    (map.len() == 1).then(|| map.get(key)).flatten()
}

/// Encrypts every personal value in `payload` under `key`.
pub fn encrypt(payload: &mut Value, key: &DataKey, event: EventIdentity<'_>) {
    walk(payload, &mut String::new(), &mut |value, path| {
        let Value::Object(map) = value else {
            return false;
        };
        let Some(plain) = only_key(map, PERSONAL_MARKER) else {
            return false;
        };
        let sealed = key.seal(plain.to_string().as_bytes(), &event.associated_data(path));
        *value = Value::Object(Map::from_iter([(
            ENCRYPTED_MARKER.to_string(),
            Value::String(BASE64.encode(sealed)),
        )]));
        true
    });
}

/// Why a stored value could not be decrypted although its key is there: the stored bytes or
/// the key were altered.
#[derive(Debug, PartialEq, Eq)]
pub struct Undecryptable {
    pub field: String,
}

/// Puts every encrypted value in `payload` back as it was, or as `null` where `key` is `None`
/// (its aggregate erased).
pub fn decrypt(
    payload: &mut Value,
    key: Option<&DataKey>,
    event: EventIdentity<'_>,
) -> Result<(), Undecryptable> {
    let mut failed = None;
    walk(payload, &mut String::new(), &mut |value, path| {
        let Value::Object(map) = value else {
            return false;
        };
        let Some(Value::String(sealed)) = only_key(map, ENCRYPTED_MARKER) else {
            return false;
        };
        let Some(key) = key else {
            *value = Value::Null;
            return true;
        };
        let plain = BASE64
            .decode(sealed)
            .ok()
            .and_then(|sealed| key.open(&sealed, &event.associated_data(path)))
            .and_then(|plain| serde_json::from_slice(&plain).ok());
        match plain {
            Some(plain) => *value = plain,
            None => {
                failed.get_or_insert_with(|| Undecryptable {
                    field: path.to_string(),
                });
            }
        }
        true
    });
    failed.map_or(Ok(()), Err)
}

/// Visits every value of `value` depth-first with its JSON pointer; a visit that returns true
/// has handled the value, and what it holds is not visited.
fn walk(value: &mut Value, path: &mut String, visit: &mut impl FnMut(&mut Value, &str) -> bool) {
    if visit(value, path) {
        return;
    }
    let len = path.len();
    match value {
        Value::Object(map) => {
            for (name, inner) in map.iter_mut() {
                path.push('/');
                path.push_str(name);
                walk(inner, path, visit);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter_mut().enumerate() {
                path.push('/');
                path.push_str(&index.to_string());
                walk(inner, path, visit);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    #[test]
    fn the_searched_keys_are_the_markers_quoted() {
        assert_eq!(PERSONAL_KEY, format!("\"{PERSONAL_MARKER}\""));
        assert_eq!(ENCRYPTED_KEY, format!("\"{ENCRYPTED_MARKER}\""));
    }

    const EVENT: EventIdentity<'static> = EventIdentity {
        aggregate_type: "chat",
        aggregate_id: "c-1",
        sequence: 1,
        event_type: "ChatRequested",
    };

    fn requested() -> Value {
        json!({"ChatRequested": {
            "queue_id": "q-1",
            "customer_name": {"$personal": "Kari Nordmann"},
            "answers": {"$personal": [{"key": "email", "value": "kari@example.no"}]},
        }})
    }

    #[test]
    fn personal_values_are_stored_encrypted_and_read_back_with_the_key() {
        let key = DataKey::generate();
        let mut stored = requested();
        encrypt(&mut stored, &key, EVENT);
        let text = stored.to_string();
        assert!(!text.contains("Kari") && !text.contains("kari@"), "{text}");
        assert_eq!(
            stored["ChatRequested"]["queue_id"], "q-1",
            "facts stay plain"
        );
        assert!(holds_encrypted(&text) && !marks_personal(&text));

        decrypt(&mut stored, Some(&key), EVENT).unwrap();
        assert_eq!(stored["ChatRequested"]["customer_name"], "Kari Nordmann");
        assert_eq!(
            stored["ChatRequested"]["answers"][0]["value"],
            "kari@example.no"
        );
    }

    #[test]
    fn without_the_key_personal_values_read_as_erased() {
        let mut stored = requested();
        encrypt(&mut stored, &DataKey::generate(), EVENT);
        decrypt(&mut stored, None, EVENT).unwrap();
        assert_eq!(stored["ChatRequested"]["customer_name"], Value::Null);
        assert_eq!(stored["ChatRequested"]["answers"], Value::Null);
        assert_eq!(stored["ChatRequested"]["queue_id"], "q-1");
    }

    #[test]
    fn a_ciphertext_moved_to_another_event_or_field_does_not_open() {
        let key = DataKey::generate();
        let mut stored = requested();
        encrypt(&mut stored, &key, EVENT);
        let name = stored["ChatRequested"]["customer_name"].clone();

        let mut moved = stored.clone();
        moved["ChatRequested"]["answers"] = name.clone();
        assert_eq!(
            decrypt(&mut moved, Some(&key), EVENT),
            Err(Undecryptable {
                field: "/ChatRequested/answers".into()
            })
        );
        let later = EventIdentity {
            sequence: 2,
            ..EVENT
        };
        assert!(decrypt(&mut stored.clone(), Some(&key), later).is_err());
    }

    #[test]
    fn a_marker_typed_inside_a_message_is_text_not_a_marker() {
        let typed = json!({"MessageSent": {"text": {"$personal": "{\"$personal\": 1}"}}});
        let key = DataKey::generate();
        let mut stored = typed.clone();
        encrypt(&mut stored, &key, EVENT);
        assert!(!marks_personal(&stored.to_string()));
        decrypt(&mut stored, Some(&key), EVENT).unwrap();
        assert_eq!(stored["MessageSent"]["text"], "{\"$personal\": 1}");
    }
}
