//! What a file is, decided from its bytes alone: the name and the type the client gave are
//! never believed (an HTML page renamed `.png` is still a page). Text must be UTF-8 from the
//! first byte to the last and must not open as markup, so no upload a browser could render as
//! a document is ever taken for plain text.

use samtale_domain::FileKind;

/// The bytes the signatures need before a file can be told.
pub const HEAD: usize = 16;

/// The kind the first bytes of a file declare, or `None` for anything else. `Text` is only
/// the kind the head allows: [`TextCheck`] decides it over the whole file.
pub fn sniff(head: &[u8]) -> Option<FileKind> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileKind::Png)
    } else if head.starts_with(b"\xff\xd8\xff") {
        Some(FileKind::Jpeg)
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(FileKind::Gif)
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        Some(FileKind::Webp)
    } else if head.starts_with(b"%PDF-") {
        Some(FileKind::Pdf)
    } else if plain_text_head(head) {
        Some(FileKind::Text)
    } else {
        None
    }
}

/// Text that does not open with markup (`<html>`, `<svg>`, `<?xml`), after an optional byte
/// order mark and white space, and whose head is text so far; white space alone is not a file.
fn plain_text_head(head: &[u8]) -> bool {
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    first.is_some_and(|b| *b != b'<') && TextCheck::default().feed(head)
}

/// Plain text, fed in pieces: UTF-8 throughout, with no control characters but tabs, line
/// breaks and form feeds. A character split between two pieces is carried over.
#[derive(Debug, Default)]
pub struct TextCheck {
    carried: Vec<u8>,
}

impl TextCheck {
    /// Is everything so far text (allowing a character cut off at the end of `piece`)?
    pub fn feed(&mut self, piece: &[u8]) -> bool {
        let mut bytes = std::mem::take(&mut self.carried);
        bytes.extend_from_slice(piece);
        let valid = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            // Cut off in the middle of a character: keep its start for the next piece.
            Err(error) if error.error_len().is_none() => {
                let (text, rest) = bytes.split_at(error.valid_up_to());
                self.carried = rest.to_vec();
                match std::str::from_utf8(text) {
                    Ok(text) => text,
                    Err(_) => return false,
                }
            }
            Err(_) => return false,
        };
        !valid
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
    }

    /// Did the file end on a whole character?
    pub fn finish(self) -> bool {
        self.carried.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_documents_are_told_by_their_signatures() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(FileKind::Png));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF"), Some(FileKind::Jpeg));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), Some(FileKind::Gif));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(FileKind::Webp));
        assert_eq!(sniff(b"%PDF-1.7\n%\xe2\xe3"), Some(FileKind::Pdf));
        assert_eq!(sniff("Hei på deg\n".as_bytes()), Some(FileKind::Text));
    }

    #[test]
    fn markup_and_archives_are_nothing_a_chat_carries() {
        assert_eq!(sniff(b"<svg xmlns=\"http"), None);
        assert_eq!(sniff(b"\xef\xbb\xbf  <!DOCTYPE html>"), None);
        assert_eq!(sniff(b"<?xml version=\"1"), None);
        assert_eq!(sniff(b"PK\x03\x04\x14\0\0\0\x08\0"), None);
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn text_is_utf8_throughout_even_across_pieces() {
        let mut check = TextCheck::default();
        let text = "blåbær".as_bytes();
        // "å" is two bytes: split it between the pieces.
        assert!(check.feed(&text[..3]));
        assert!(check.feed(&text[3..]));
        assert!(check.finish());

        let mut binary = TextCheck::default();
        assert!(binary.feed(b"plain so far"));
        assert!(!binary.feed(b"\0\x01\x02"));

        let mut cut = TextCheck::default();
        assert!(cut.feed(&"å".as_bytes()[..1]));
        assert!(!cut.finish());
    }
}
