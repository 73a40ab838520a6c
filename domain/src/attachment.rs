//! A file sent in a chat, as the rules know it: what kind of file its content is, the name it
//! is shown under, its size and hash. Its bytes are never in an event: they are stored beside
//! the log, encrypted with the chat's key, and go when the chat is erased.

use crate::text::{self, TextError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a file is, decided from its content: the kinds a chat can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FileKind {
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/gif")]
    Gif,
    #[serde(rename = "image/webp")]
    Webp,
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "text/plain")]
    Text,
}

impl FileKind {
    pub const ALL: [FileKind; 6] = [
        FileKind::Png,
        FileKind::Jpeg,
        FileKind::Gif,
        FileKind::Webp,
        FileKind::Pdf,
        FileKind::Text,
    ];

    /// Its media type: what a download is served as.
    pub fn media_type(self) -> &'static str {
        match self {
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Gif => "image/gif",
            FileKind::Webp => "image/webp",
            FileKind::Pdf => "application/pdf",
            FileKind::Text => "text/plain",
        }
    }

    pub fn from_media_type(media_type: &str) -> Option<FileKind> {
        FileKind::ALL
            .into_iter()
            .find(|kind| kind.media_type().eq_ignore_ascii_case(media_type))
    }

    /// A picture made of pixels: one a thumbnail can be drawn from.
    pub fn is_raster_image(self) -> bool {
        matches!(
            self,
            FileKind::Png | FileKind::Jpeg | FileKind::Gif | FileKind::Webp
        )
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.media_type())
    }
}

/// The name a file is shown and downloaded under: the last part of what the sender's device
/// called it (never a path: `../../etc/passwd` is `passwd`), a name's rules otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileName(String);

impl FileName {
    pub const MAX_CHARS: usize = 255;

    pub fn parse(name: &str) -> Result<Self, TextError> {
        let last = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
        // `.` and `..` name directories, not files.
        let last = last.trim_start_matches('.');
        text::check(last, Self::MAX_CHARS, |_| false)?;
        Ok(Self(last.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an upload was, once its bytes are stored: the facts the chat announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    pub name: FileName,
    pub kind: FileKind,
    /// Bytes; never 0.
    pub size: u64,
    /// The SHA-256 of the bytes, as 64 lowercase hex digits.
    pub sha256: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_is_its_last_path_component() {
        assert_eq!(
            FileName::parse("../../etc/passwd").unwrap().as_str(),
            "passwd"
        );
        assert_eq!(
            FileName::parse("C:\\Users\\nora\\faktura.pdf")
                .unwrap()
                .as_str(),
            "faktura.pdf"
        );
        assert_eq!(FileName::parse("..").unwrap_err(), TextError::Empty);
        assert_eq!(FileName::parse("dir/").unwrap_err(), TextError::Empty);
    }

    #[test]
    fn a_file_name_follows_the_rules_for_names() {
        assert_eq!(
            FileName::parse("abc\u{202E}gnp.exe").unwrap_err(),
            TextError::BidiControl
        );
        assert_eq!(
            FileName::parse("a\u{0}.png").unwrap_err(),
            TextError::ControlCharacter
        );
        assert!(FileName::parse(&"x".repeat(255)).is_ok());
        assert_eq!(
            FileName::parse(&"x".repeat(256)).unwrap_err(),
            TextError::TooLong { max: 255 }
        );
    }

    #[test]
    fn kinds_read_back_from_their_media_types() {
        for kind in FileKind::ALL {
            assert_eq!(FileKind::from_media_type(kind.media_type()), Some(kind));
        }
        assert_eq!(FileKind::from_media_type("image/svg+xml"), None);
    }
}
