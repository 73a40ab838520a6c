//! Text that users type, parsed once at the edge: past a constructor it is known to be valid.

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control characters")]
    ControlCharacter,
    /// Right-to-left overrides and isolates can make `exe.gnp` read as `png.exe`.
    #[error("must not contain bidirectional override or isolate characters")]
    BidiControl,
}

/// The explicit embeddings, overrides and isolates of the bidirectional algorithm (not the
/// marks, U+200E and U+200F, which right-to-left writers do use).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing: a text made of these and spaces is blank.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
        )
}

/// The longest message a customer or agent can send: a generous chat message, and short
/// enough that a stream of them cannot swamp an SSE buffer.
pub const MAX_MESSAGE_CHARS: usize = 4_000;

/// A chat message's text: not blank, at most [`MAX_MESSAGE_CHARS`], and free of control
/// characters other than line breaks and tabs. NUL in particular is refused because
/// PostgreSQL cannot store it in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageText(String);

impl MessageText {
    pub fn parse(text: impl Into<String>) -> Result<Self, TextError> {
        let text = text.into();
        check(&text, MAX_MESSAGE_CHARS, |c| {
            matches!(c, '\n' | '\r' | '\t')
        })?;
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short single-line name: a customer's, a queue's, a category's, a user's display name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(text: impl Into<String>) -> Result<Self, TextError> {
        let text = text.into().trim().to_string();
        check(&text, Self::MAX_CHARS, |_| false)?;
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub(crate) fn check(
    text: &str,
    max: usize,
    allowed_control: impl Fn(char) -> bool,
) -> Result<(), TextError> {
    if text.chars().all(is_invisible) {
        return Err(TextError::Empty);
    }
    if text.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    if text.chars().any(|c| c.is_control() && !allowed_control(c)) {
        return Err(TextError::ControlCharacter);
    }
    if text.chars().any(is_bidi_control) {
        return Err(TextError::BidiControl);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_keeps_line_breaks_but_refuses_nul() {
        assert!(MessageText::parse("line one\r\nline two\tend").is_ok());
        assert_eq!(MessageText::parse("a\0b"), Err(TextError::ControlCharacter));
    }

    #[test]
    fn blank_message_is_refused() {
        assert_eq!(MessageText::parse("  \n "), Err(TextError::Empty));
    }

    #[test]
    fn a_message_of_only_invisible_characters_is_blank() {
        assert_eq!(
            MessageText::parse("\u{200B}\u{200D} \u{FEFF}\u{2060}"),
            Err(TextError::Empty)
        );
        // Joiners inside real text stay: emoji sequences are made of them.
        assert!(MessageText::parse("👩\u{200D}💻 her").is_ok());
    }

    #[test]
    fn overrides_that_reverse_text_are_refused_but_right_to_left_text_is_not() {
        assert_eq!(
            Name::parse("abc\u{202E}gnp.exe"),
            Err(TextError::BidiControl)
        );
        assert_eq!(
            MessageText::parse("se \u{2067}fil\u{2069}"),
            Err(TextError::BidiControl)
        );
        assert!(MessageText::parse("שלום \u{200F}עולם").is_ok());
    }

    #[test]
    fn message_length_is_bounded_in_characters() {
        assert!(MessageText::parse("ø".repeat(MAX_MESSAGE_CHARS)).is_ok());
        assert_eq!(
            MessageText::parse("x".repeat(MAX_MESSAGE_CHARS + 1)),
            Err(TextError::TooLong {
                max: MAX_MESSAGE_CHARS
            })
        );
    }

    #[test]
    fn names_are_trimmed_single_lines() {
        assert_eq!(
            Name::parse("  Kari Nordmann ").unwrap().as_str(),
            "Kari Nordmann"
        );
        assert_eq!(Name::parse("a\nb"), Err(TextError::ControlCharacter));
    }
}
