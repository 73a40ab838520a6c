//! Canned responses: the answers a contact centre gives again and again, kept by supervisors
//! and administrators for every queue or for one, in bokmål and English, with variables the
//! console fills in for the chat at hand.

use super::DirectoryError;
use crate::code::Code;
use crate::ids::QueueId;
use crate::text::{MessageText, Name};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a canned response may say `{…}` for.
pub const VARIABLES: [&str; 4] = ["customer_name", "agent_name", "queue", "place"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedResponse {
    /// The queue it is for; `None`: every queue.
    pub queue_id: Option<QueueId>,
    pub title: Name,
    /// What the agent types after `/` to find it.
    pub shortcut: Code,
    pub text_nb: MessageText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_en: Option<MessageText>,
}

impl CannedResponse {
    /// Every `{name}` in its texts is one of [`VARIABLES`].
    pub fn check(&self) -> Result<(), DirectoryError> {
        let texts = std::iter::once(&self.text_nb).chain(self.text_en.as_ref());
        for text in texts {
            if let Some(unknown) = variables(text.as_str()).find(|v| !VARIABLES.contains(v)) {
                return Err(DirectoryError::UnknownVariable(unknown.to_string()));
            }
        }
        Ok(())
    }
}

/// The `{name}`s in `text`: a brace, lowercase letters or `_`, a brace. Any other brace is
/// just a brace.
fn variables(text: &str) -> impl Iterator<Item = &str> {
    text.split('{').skip(1).filter_map(|rest| {
        let name = &rest[..rest.find('}')?];
        let is_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        is_name.then_some(name)
    })
}

/// `text` with each known variable replaced by its value (an unknown one, or one without a
/// value, stays as written, for the agent to see and edit before sending).
/// One pass over the text, so a value that itself holds `{queue}` (a customer may be named
/// anything) is inserted as written.
pub fn fill(text: &str, values: &BTreeMap<&str, String>) -> String {
    let mut filled = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        filled.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after
            .find('}')
            .and_then(|close| Some((values.get(&after[..close])?, close)));
        match value {
            Some((value, close)) => {
                filled.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                filled.push('{');
                rest = after;
            }
        }
    }
    filled.push_str(rest);
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    fn greeting(nb: &str) -> CannedResponse {
        CannedResponse {
            queue_id: None,
            title: Name::parse("Hilsen").unwrap(),
            shortcut: Code::parse("hei").unwrap(),
            text_nb: MessageText::parse(nb).unwrap(),
            text_en: None,
        }
    }

    #[test]
    fn only_the_known_variables_may_be_used() {
        assert!(
            greeting("Hei {customer_name}, jeg heter {agent_name} i {queue}.")
                .check()
                .is_ok()
        );
        assert!(greeting("Et sett {} og { ingen }").check().is_ok());
        assert_eq!(
            greeting("Hei {kundenavn}").check(),
            Err(DirectoryError::UnknownVariable("kundenavn".into()))
        );
    }

    #[test]
    fn filling_replaces_each_variable_and_leaves_the_rest_as_written() {
        let values = BTreeMap::from([
            ("customer_name", "Kari".to_string()),
            ("agent_name", "Ola".to_string()),
        ]);
        assert_eq!(
            fill("Hei {customer_name}, {agent_name} her. {place}", &values),
            "Hei Kari, Ola her. {place}"
        );
        let named_like_a_variable = BTreeMap::from([
            ("customer_name", "{agent_name}".to_string()),
            ("agent_name", "Ola".to_string()),
        ]);
        assert_eq!(
            fill(
                "{customer_name} møter {agent_name} {",
                &named_like_a_variable
            ),
            "{agent_name} møter Ola {"
        );
    }
}
