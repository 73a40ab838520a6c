//! A small picture of an image, drawn here and written anew as PNG: only the pixels of the
//! original survive (no EXIF, so no location; no bytes appended after the image), which is
//! what makes it safe to show inline.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use samtale_domain::FileKind;
use std::io::Cursor;

/// The longest side of a thumbnail, in pixels.
pub const EDGE: u32 = 320;

/// What a decoder may take: a picture larger than this is no photo of an invoice but a
/// decompression bomb, and gets no thumbnail (it is still a download).
const MAX_SIDE: u32 = 12_000;
const MAX_ALLOC: u64 = 192 * 1024 * 1024;

/// The thumbnail of an image of `kind`, or `None` if it is no raster image or will not decode
/// within the limits.
pub fn draw(bytes: &[u8], kind: FileKind) -> Option<Vec<u8>> {
    let format = match kind {
        FileKind::Png => ImageFormat::Png,
        FileKind::Jpeg => ImageFormat::Jpeg,
        FileKind::Gif => ImageFormat::Gif,
        FileKind::Webp => ImageFormat::WebP,
        FileKind::Pdf | FileKind::Text => return None,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().ok()?;
    // A phone's photo is stored sideways with a note to turn it: the thumbnail is turned.
    let orientation = decoder.orientation().ok()?;
    let mut picture = DynamicImage::from_decoder(decoder).ok()?;
    picture.apply_orientation(orientation);
    let small = picture.thumbnail(EDGE, EDGE);
    let mut png = Vec::new();
    small
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .ok()?;
    Some(png)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, RgbaImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = RgbaImage::from_pixel(width, height, image::Rgba([200, 30, 30, 255]));
        let mut bytes = Vec::new();
        image::codecs::png::PngEncoder::new(&mut bytes)
            .write_image(&picture, width, height, image::ExtendedColorType::Rgba8)
            .unwrap();
        bytes
    }

    #[test]
    fn a_screenshot_becomes_a_png_no_larger_than_the_edge() {
        let thumbnail = draw(&png(1280, 800), FileKind::Png).unwrap();
        let small = image::load_from_memory(&thumbnail).unwrap();
        assert_eq!((small.width(), small.height()), (320, 200));
        assert!(thumbnail.starts_with(b"\x89PNG"));
    }

    #[test]
    fn what_is_appended_to_an_image_is_not_in_its_thumbnail() {
        let mut polyglot = png(40, 40);
        polyglot.extend_from_slice(b"<html><script>alert(1)</script></html>");
        let thumbnail = draw(&polyglot, FileKind::Png).unwrap();
        assert!(!thumbnail.windows(6).any(|w| w == b"script"));
    }

    #[test]
    fn no_thumbnail_of_what_does_not_decode_or_is_no_picture() {
        assert_eq!(draw(b"\x89PNG\r\n\x1a\n broken", FileKind::Png), None);
        assert_eq!(draw(b"%PDF-1.7", FileKind::Pdf), None);
    }
}
