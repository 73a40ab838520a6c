//! The pre-chat form: the fields an administrator defines, and the validation of a customer's
//! answers against them.

use crate::text::{Name, TextError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Email,
    Phone,
    Select,
}

/// One field of the pre-chat form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormField {
    /// Stable machine key, e.g. `customer_number`: lowercase ASCII letters, digits and `_`.
    pub key: String,
    pub label: String,
    /// The label an English widget shows; `None`: the Norwegian one. (Absent in older events.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    pub kind: FieldKind,
    pub required: bool,
    /// The allowed values of a `select` field; empty for the other kinds.
    pub options: Vec<String>,
    /// What an English widget shows for each of `options`, in the same order; empty: the
    /// Norwegian ones. The answer stored is always the Norwegian value. (Absent in older
    /// events.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options_en: Vec<String>,
    pub max_length: usize,
}

/// A validated answer, stored with the label the customer saw when they answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormAnswer {
    pub key: String,
    pub label: String,
    pub value: String,
    /// The kind of field answered: how an e-mail or phone answer is found again for an erasure
    /// request. (Absent in answers written before it existed.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<FieldKind>,
}

impl FormAnswer {
    /// The answer as an identifier of the person who gave it, normalised so that the same
    /// address or number typed another way matches: e-mail addresses case-insensitively,
    /// phone numbers by their last eight digits (a Norwegian number with or without +47/0047).
    pub fn identifier(&self) -> Option<(&'static str, String)> {
        match self.kind? {
            FieldKind::Email => normalised_email(&self.value).map(|e| ("email", e)),
            FieldKind::Phone => normalised_phone(&self.value).map(|p| ("phone", p)),
            FieldKind::Text | FieldKind::Select => None,
        }
    }
}

/// `value` as an e-mail identifier, if it is one.
pub fn normalised_email(value: &str) -> Option<String> {
    let value = value.trim();
    looks_like_email(value).then(|| value.to_lowercase())
}

/// `value` as a phone identifier, if it is one.
pub fn normalised_phone(value: &str) -> Option<String> {
    let value = value.trim();
    if !looks_like_phone(value) {
        return None;
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    Some(digits[digits.len().saturating_sub(8)..].to_string())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[error("{key}: {problem}")]
pub struct FieldError {
    pub key: String,
    /// Stable for each kind of problem (`required`, `not-an-email`, …): what clients translate.
    pub code: String,
    /// The problem in English, for people reading the API.
    pub problem: String,
}

impl FieldError {
    pub fn new(key: &str, code: &str, problem: impl Into<String>) -> Self {
        Self {
            key: key.to_string(),
            code: code.to_string(),
            problem: problem.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FieldDefinitionError {
    #[error("key must be 1-64 lowercase letters, digits or '_'")]
    BadKey,
    #[error("label {0}")]
    BadLabel(TextError),
    #[error("option {0}")]
    BadOption(TextError),
    #[error("a select field needs at least one option, other kinds none")]
    BadOptions,
    #[error("options_en must be empty or name each option, in the same order")]
    BadEnglishOptions,
    #[error("max_length must be between 1 and 2000")]
    BadMaxLength,
}

impl FormField {
    /// Checks that a definition is usable before it is accepted into the configuration.
    pub fn check(&self) -> Result<(), FieldDefinitionError> {
        let key_ok = !self.key.is_empty()
            && self.key.len() <= 64
            && self
                .key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            return Err(FieldDefinitionError::BadKey);
        }
        // Shown to every customer: names' rules, so no blank, no control or override character.
        Name::parse(self.label.as_str()).map_err(FieldDefinitionError::BadLabel)?;
        if let Some(label) = &self.label_en {
            Name::parse(label.as_str()).map_err(FieldDefinitionError::BadLabel)?;
        }
        for option in self.options.iter().chain(&self.options_en) {
            Name::parse(option.as_str()).map_err(FieldDefinitionError::BadOption)?;
        }
        if !self.options_en.is_empty() && self.options_en.len() != self.options.len() {
            return Err(FieldDefinitionError::BadEnglishOptions);
        }
        if (self.kind == FieldKind::Select) == self.options.is_empty() {
            return Err(FieldDefinitionError::BadOptions);
        }
        if !(1..=2000).contains(&self.max_length) {
            return Err(FieldDefinitionError::BadMaxLength);
        }
        Ok(())
    }

    fn validate(&self, raw: Option<&str>) -> Result<Option<FormAnswer>, FieldError> {
        let value = raw.map(str::trim).unwrap_or_default();
        if value.is_empty() {
            return if self.required {
                Err(FieldError::new(&self.key, "required", "is required"))
            } else {
                Ok(None)
            };
        }
        if value.chars().count() > self.max_length {
            return Err(FieldError::new(
                &self.key,
                "too-long",
                format!("must be at most {} characters", self.max_length),
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldError::new(
                &self.key,
                "not-single-line",
                "must be a single line of text",
            ));
        }
        let well_formed = match self.kind {
            FieldKind::Text => true,
            FieldKind::Email => looks_like_email(value),
            FieldKind::Phone => looks_like_phone(value),
            FieldKind::Select => self.options.iter().any(|o| o == value),
        };
        if !well_formed {
            let (code, problem) = match self.kind {
                FieldKind::Email => ("not-an-email", "must be an e-mail address".to_string()),
                FieldKind::Phone => ("not-a-phone", "must be a phone number".to_string()),
                _ => (
                    "not-an-option",
                    format!("must be one of: {}", self.options.join(", ")),
                ),
            };
            return Err(FieldError::new(&self.key, code, problem));
        }
        Ok(Some(FormAnswer {
            key: self.key.clone(),
            label: self.label.clone(),
            value: value.to_string(),
            kind: Some(self.kind),
        }))
    }
}

/// Validates every answer against the form; on failure names every bad field, not just the
/// first, so the widget can mark them all at once. Keys the form does not define are refused.
pub fn validate_answers(
    form: &[FormField],
    answers: &BTreeMap<String, String>,
) -> Result<Vec<FormAnswer>, Vec<FieldError>> {
    let mut accepted = Vec::new();
    let mut errors: Vec<FieldError> = answers
        .keys()
        .filter(|key| !form.iter().any(|f| &f.key == *key))
        .map(|key| FieldError::new(key, "unknown-field", "is not a field of this form"))
        .collect();
    for field in form {
        match field.validate(answers.get(&field.key).map(String::as_str)) {
            Ok(Some(answer)) => accepted.push(answer),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(accepted)
    } else {
        Err(errors)
    }
}

fn looks_like_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.contains(char::is_whitespace)
}

fn looks_like_phone(value: &str) -> bool {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    (5..=15).contains(&digits)
        && value
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " -()".contains(c) || (c == '+' && i == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_or_number_typed_another_way_is_the_same_identifier() {
        assert_eq!(
            normalised_email(" Kari.Nordmann@Example.NO "),
            normalised_email("kari.nordmann@example.no")
        );
        assert_eq!(normalised_phone("+47 912 34 567"), Some("91234567".into()));
        assert_eq!(normalised_phone("0047-91234567"), Some("91234567".into()));
        assert_eq!(normalised_phone("912 34 567"), Some("91234567".into()));
        assert_eq!(normalised_phone("not a number"), None);
        assert_eq!(normalised_email("kari"), None);
    }

    fn field(key: &str, kind: FieldKind, required: bool) -> FormField {
        FormField {
            key: key.into(),
            label: key.to_uppercase(),
            label_en: None,
            kind,
            required,
            options: if kind == FieldKind::Select {
                vec!["Mobil".into(), "Bredbånd".into()]
            } else {
                vec![]
            },
            options_en: vec![],
            max_length: 40,
        }
    }

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn valid_answers_are_kept_with_their_labels() {
        let form = [
            field("email", FieldKind::Email, true),
            field("phone", FieldKind::Phone, false),
            field("product", FieldKind::Select, true),
        ];
        let got = validate_answers(
            &form,
            &answers(&[("email", "kari@example.no"), ("product", "Mobil")]),
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].label, "EMAIL");
    }

    #[test]
    fn every_bad_field_is_named() {
        let form = [
            field("email", FieldKind::Email, true),
            field("phone", FieldKind::Phone, true),
            field("product", FieldKind::Select, true),
        ];
        let errors = validate_answers(
            &form,
            &answers(&[
                ("email", "not-an-address"),
                ("product", "TV"),
                ("extra", "x"),
            ]),
        )
        .unwrap_err();
        let keys: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["extra", "email", "phone", "product"]);
    }

    #[test]
    fn answers_longer_than_the_field_allows_are_refused() {
        let form = [field("name", FieldKind::Text, true)];
        let errors = validate_answers(&form, &answers(&[("name", &"x".repeat(41))])).unwrap_err();
        assert_eq!(errors[0].problem, "must be at most 40 characters");
    }

    #[test]
    fn phone_numbers_take_the_usual_shapes() {
        assert!(looks_like_phone("+47 22 77 00 00"));
        assert!(looks_like_phone("(555) 123-4567"));
        assert!(!looks_like_phone("12"));
        assert!(!looks_like_phone("call me"));
    }

    #[test]
    fn field_definitions_are_checked() {
        let mut f = field("Bad Key", FieldKind::Text, false);
        assert_eq!(f.check(), Err(FieldDefinitionError::BadKey));
        f.key = "ok".into();
        f.options = vec!["x".into()];
        assert_eq!(f.check(), Err(FieldDefinitionError::BadOptions));
    }

    #[test]
    fn labels_and_options_follow_the_rules_for_names() {
        let mut f = field("order", FieldKind::Text, false);
        f.label = "Ordre\u{202E}fdp.exe".into();
        assert_eq!(
            f.check(),
            Err(FieldDefinitionError::BadLabel(TextError::BidiControl))
        );
        f.label = "\u{200B} ".into();
        assert_eq!(
            f.check(),
            Err(FieldDefinitionError::BadLabel(TextError::Empty))
        );
        f.label = "Ordre".into();
        f.kind = FieldKind::Select;
        f.options = vec!["Faktura".into(), "\u{9b}".into()];
        assert_eq!(
            f.check(),
            Err(FieldDefinitionError::BadOption(TextError::ControlCharacter))
        );
    }
}
