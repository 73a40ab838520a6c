//! The rules the server holds text to, said in the OpenAPI document as JSON Schema: a client
//! (or a contract tester) can tell before it sends whether a value will be taken. Each schema
//! is the rule the domain checks (`samtale_domain::text`, `code`, `directory::Username`),
//! written once here; the tests below hold the two to each other.
//!
//! Patterns are ECMA-262 with only `\xHH` and `\uHHHH` escapes in character classes, which
//! every JSON Schema validator and every regex dialect reads the same way.

use samtale_domain::text::{Name, MAX_MESSAGE_CHARS};
use samtale_domain::Code;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

/// Control characters (Unicode `Cc`): never in a name.
const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";
/// Control characters a message may not hold: all but tab, line feed and carriage return.
const MESSAGE_CONTROL: &str = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f";
/// Bidirectional embeddings, overrides and isolates (`text::is_bidi_control`).
const BIDI: &str = r"\u202a-\u202e\u2066-\u2069";
/// What shows nothing (`text::is_invisible`): white space and the invisible formatting
/// characters; a text of only these is blank.
const INVISIBLE: &str = r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff";

/// Free text of at most `max` characters with one visible character somewhere, none of the
/// `refused` characters anywhere.
fn visible_text(max: usize, refused: &str, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(format!("^{}$", visible(refused))))
        .description(Some(description))
}

/// The body of a visible text's pattern: any of the allowed characters around one that shows.
fn visible(refused: &str) -> String {
    format!("[^{refused}{BIDI}]*[^{CONTROL}{BIDI}{INVISIBLE}][^{refused}{BIDI}]*")
}

fn name_builder() -> ObjectBuilder {
    visible_text(
        Name::MAX_CHARS,
        CONTROL,
        "A single-line name: not blank, at most 200 characters, no control or bidirectional \
         override characters; leading and trailing spaces are trimmed.",
    )
}

fn message_builder() -> ObjectBuilder {
    visible_text(
        MAX_MESSAGE_CHARS,
        MESSAGE_CONTROL,
        "Text of at most 4,000 characters with something visible in it: line breaks and tabs \
         are kept, other control and bidirectional override characters are refused.",
    )
}

fn code_builder() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!(
            "^[a-z][a-z0-9_]{{0,{}}}$",
            Code::MAX_CHARS - 1
        )))
        .description(Some(
            "A key: 1-40 lowercase letters, digits or `_`, starting with a letter.",
        ))
}

/// `type: [string, null]`: the field may be left out or `null`.
fn nullable(builder: ObjectBuilder) -> Object {
    builder
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .build()
}

/// A name ([`samtale_domain::Name`]).
pub fn name() -> Object {
    name_builder().build()
}

/// A name, or `null`.
pub fn optional_name() -> Object {
    nullable(name_builder())
}

/// A message, a note, an answer ([`samtale_domain::MessageText`]).
pub fn message() -> Object {
    message_builder().build()
}

/// A message, or `null`.
pub fn optional_message() -> Object {
    nullable(message_builder())
}

/// The customer's unsent text for a sneak peek: a message, or empty (all deleted), or `null`.
pub fn typed_text() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(MAX_MESSAGE_CHARS))
        .pattern(Some(format!("^(?:{})?$", visible(MESSAGE_CONTROL))))
        .build()
}

/// A key for a pause reason or a wrap-up code ([`samtale_domain::Code`]).
pub fn code() -> Object {
    code_builder().build()
}

/// A code, or `null`.
pub fn optional_code() -> Object {
    nullable(code_builder())
}

/// A list of codes.
pub fn codes() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(code_builder())
        .build()
}

/// A login name ([`samtale_domain::directory::Username`], which also lowercases it).
pub fn username() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^[A-Za-z0-9._-]{2,64}$"))
        .description(Some(
            "2-64 letters, digits, `.`, `-` or `_`; stored in lower case.",
        ))
        .build()
}

/// White space as Rust's `char::is_whitespace` has it.
const WHITE_SPACE: &str = r"\x09-\x0d \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// An e-mail address as the server reads one (`samtale_domain::form::normalised_email`):
/// something, `@`, and a domain with a dot inside it, no white space anywhere.
pub fn email() -> Object {
    email_builder().build()
}

/// An e-mail address, or `null`.
pub fn optional_email() -> Object {
    nullable(email_builder())
}

fn email_builder() -> ObjectBuilder {
    let ws = WHITE_SPACE;
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!(
            "^[^@{ws}]+@[^.{ws}][^{ws}]*\\.[^{ws}]*[^.{ws}]$"
        )))
}

/// An address a transcript or an answer can be mailed to: stricter than [`email`], as the
/// mail system takes only plain ASCII addresses (`samtale_service::mail::deliverable`).
pub fn deliverable_email() -> Object {
    let atom = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
    let label = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(254))
        .pattern(Some(format!(
            "^{atom}(?:\\.{atom})*@{label}(?:\\.{label})+$"
        )))
        .build()
}

/// A phone number as the server reads one (`samtale_domain::form::normalised_phone`): 5-15
/// digits, with spaces, `-` and parentheses between them and `+` in front if you like.
pub fn phone() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^\+?[ ()-]*(?:[0-9][ ()-]*){5,15}$"))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::Regex;
    use samtale_domain::text::MessageText;

    fn pattern(schema: Object) -> Regex {
        Regex::new(schema.pattern.as_deref().expect("a pattern")).expect("a valid pattern")
    }

    /// Characters from every class the rules tell apart, so random strings meet them all.
    fn tricky_text() -> impl Strategy<Value = String> {
        let interesting = prop_oneof![
            Just(' '),
            Just('\n'),
            Just('\t'),
            Just('\u{0}'),
            Just('\u{7}'),
            Just('\u{85}'),
            Just('\u{a0}'),
            Just('\u{ad}'),
            Just('\u{200b}'),
            Just('\u{200d}'),
            Just('\u{200e}'),
            Just('\u{202e}'),
            Just('\u{2067}'),
            Just('\u{3000}'),
            Just('\u{feff}'),
            Just('a'),
            Just('Ø'),
            Just('👩'),
            any::<char>(),
        ];
        proptest::collection::vec(interesting, 0..8).prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn the_name_pattern_takes_exactly_what_the_domain_takes(text in tricky_text()) {
            // The domain trims before it checks; a client sending spaces around a name is
            // told the same either way.
            let trimmed = text.trim();
            prop_assert_eq!(pattern(name()).is_match(trimmed), Name::parse(trimmed).is_ok());
        }

        #[test]
        fn the_message_pattern_takes_exactly_what_the_domain_takes(text in tricky_text()) {
            prop_assert_eq!(pattern(message()).is_match(&text), MessageText::parse(text.clone()).is_ok());
        }

        #[test]
        fn the_code_pattern_takes_exactly_what_the_domain_takes(text in "[a-z0-9_A-Z-]{0,42}") {
            prop_assert_eq!(pattern(code()).is_match(&text), Code::parse(&text).is_ok());
        }
    }

    proptest! {
        #[test]
        fn the_email_pattern_takes_exactly_what_the_domain_takes(text in "[a@. \t.Ø\u{3000}-]{0,9}") {
            let trimmed = text.trim();
            prop_assert_eq!(
                pattern(email()).is_match(trimmed),
                samtale_domain::form::normalised_email(trimmed).is_some()
            );
        }

        #[test]
        fn the_phone_pattern_takes_exactly_what_the_domain_takes(text in "[+0-9 ()a-]{0,20}") {
            let trimmed = text.trim();
            prop_assert_eq!(
                pattern(phone()).is_match(trimmed),
                samtale_domain::form::normalised_phone(trimmed).is_some()
            );
        }

        #[test]
        fn a_deliverable_address_is_one_the_mail_system_takes(text in "[a-z0-9.@+_-]{1,12}") {
            if pattern(deliverable_email()).is_match(&text) {
                prop_assert!(samtale_service::mail::deliverable(&text), "{}", text);
                prop_assert!(samtale_domain::form::normalised_email(&text).is_some(), "{}", text);
            }
        }
    }

    #[test]
    fn lengths_are_the_domains() {
        assert_eq!(name().max_length, Some(Name::MAX_CHARS));
        assert_eq!(message().max_length, Some(MAX_MESSAGE_CHARS));
    }
}
