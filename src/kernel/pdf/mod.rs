//! A small PDF toolkit for documents a domain prints (invoices, completion certificates): an
//! A4 page of positioned text, rules, bands, links and pictures (an organisation's logo, PNG
//! or JPEG), drawn with `krilla` (no shaping engine) using DejaVu Sans, embedded in the binary
//! and subset into each PDF. Layout is the caller's, in integer millipoints ("mpt", y growing
//! downwards from the top of the page); conversion to `f32` happens only at the PDF crate.
//! Everything here is pure: no I/O, no clock. [`render`] never panics and always returns a PDF.

pub mod font;

use krilla::Document;
use krilla::action::LinkAction;
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::Font;

pub use font::{FontMetrics, clean};

/// DejaVu Sans (Bitstream Vera licence, DejaVu changes public domain; see
/// `DejaVuSans.LICENSE.txt` next to this file).
const FONT_DATA: &[u8] = include_bytes!("DejaVuSans.ttf");

/// One point in mpt.
pub const PT: i64 = 1000;
/// A4 in mpt.
pub const PAGE_W: i64 = 595_276;
pub const PAGE_H: i64 = 841_890;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Normal,
    Bold,
    Muted,
    Alert,
    Link,
}

/// One drawing operation on a page; coordinates and sizes in mpt, y downwards.
pub enum Op {
    Text {
        x: i64,
        /// The baseline.
        y: i64,
        size: i64,
        text: String,
        style: Style,
    },
    Rule {
        x1: i64,
        x2: i64,
        y: i64,
        width: i64,
        gray: u8,
    },
    Band {
        x: i64,
        y: i64,
        w: i64,
        h: i64,
        gray: u8,
    },
    /// `picture` scaled to fit a `w` × `h` box whose top left corner is at `x`, `y`, keeping
    /// its proportions, against the box's right edge.
    Picture {
        x: i64,
        y: i64,
        w: i64,
        h: i64,
        picture: Picture,
    },
    /// A clickable area opening `uri`; `label` is what assistive technology reads.
    Link {
        x: i64,
        y: i64,
        w: i64,
        h: i64,
        uri: String,
        label: String,
    },
}

/// The largest side of a picture, in pixels.
pub const PICTURE_MAX_SIDE: u32 = 4096;

/// A PNG or JPEG image, checked by [`Picture::new`] (decoded in full once, so it draws).
#[derive(Clone)]
pub struct Picture {
    png: bool,
    data: std::sync::Arc<Vec<u8>>,
    width: u32,
    height: u32,
}

impl Picture {
    /// `data` as a PNG (`png`) or a JPEG: its width and height in pixels, at most
    /// [`PICTURE_MAX_SIDE`] each, and it decodes. `Err` says what is wrong.
    pub fn new(png: bool, data: Vec<u8>) -> Result<Self, String> {
        let what = if png { "PNG" } else { "JPEG" };
        let image = image_of(png, std::sync::Arc::new(data.clone()))
            .map_err(|_| format!("is not a readable {what} image"))?;
        let (width, height) = image.size();
        if width == 0 || height == 0 {
            return Err(format!("is not a readable {what} image"));
        }
        if width > PICTURE_MAX_SIDE || height > PICTURE_MAX_SIDE {
            return Err(format!(
                "is {width} × {height} pixels; at most {PICTURE_MAX_SIDE} on each side"
            ));
        }
        // Decode it now (the PDF crate decodes lazily, when a document is written).
        let mut doc = Document::new();
        let settings = PageSettings::from_wh(10.0, 10.0).ok_or("page")?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        let size = Size::from_wh(10.0, 10.0).ok_or("size")?;
        surface.draw_image(image, size);
        surface.finish();
        page.finish();
        doc.finish()
            .map_err(|_| format!("is not a readable {what} image"))?;
        Ok(Self {
            png,
            data: std::sync::Arc::new(data),
            width,
            height,
        })
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
}

fn image_of(png: bool, data: std::sync::Arc<Vec<u8>>) -> Result<Image, String> {
    let data: krilla::Data = data.into();
    if png {
        Image::from_png(data, true)
    } else {
        Image::from_jpeg(data, true)
    }
}

/// Renders the pages `layout` lays out with the embedded font's metrics as a PDF titled
/// `title` (cleaned and capped); falls back to a minimal one-page PDF if drawing fails.
pub fn render(title: &str, layout: impl FnOnce(&FontMetrics) -> Vec<Vec<Op>>) -> Vec<u8> {
    let rendered = FontMetrics::parse(FONT_DATA).and_then(|fm| {
        let font = Font::new(FONT_DATA.into(), 0)?;
        let pages = layout(&fm);
        draw(&fm, &font, pages, clean(title, 300, false))
    });
    rendered.unwrap_or_else(fallback_pdf)
}

/// mpt to PDF points, at the boundary to the PDF crate.
fn pt(mpt: i64) -> f32 {
    mpt as f32 / 1000.0
}

fn solid(r: u8, g: u8, b: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn draw(fm: &FontMetrics, font: &Font, pages: Vec<Vec<Op>>, title: String) -> Option<Vec<u8>> {
    let mut doc = Document::new();
    doc.set_metadata(Metadata::new().title(title).creator("Flightline".into()));
    let settings = PageSettings::from_wh(pt(PAGE_W), pt(PAGE_H))?;
    for ops in pages {
        let mut page = doc.start_page_with(settings.clone());
        let mut links = Vec::new();
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    text,
                    style,
                } => {
                    let (r, g, b) = match style {
                        Style::Normal | Style::Bold => (25, 25, 25),
                        Style::Muted => (105, 105, 105),
                        Style::Alert => (190, 25, 25),
                        Style::Link => (20, 70, 160),
                    };
                    surface.set_fill(Some(solid(r, g, b)));
                    // Bold without a second font file: fill plus a thin stroke.
                    let bold = matches!(style, Style::Bold | Style::Alert);
                    surface.set_stroke(bold.then(|| Stroke {
                        paint: rgb::Color::new(r, g, b).into(),
                        width: pt(size) * 0.035,
                        ..Default::default()
                    }));
                    let glyphs = fm.glyphs(&text);
                    let origin = Point::from_xy(pt(x), pt(y));
                    surface.draw_glyphs(origin, &glyphs, font.clone(), &text, pt(size), false);
                }
                Op::Rule {
                    x1,
                    x2,
                    y,
                    width,
                    gray,
                } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(pt(x1), pt(y));
                    pb.line_to(pt(x2), pt(y));
                    if let Some(path) = pb.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            paint: rgb::Color::new(gray, gray, gray).into(),
                            width: pt(width),
                            ..Default::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
                Op::Band { x, y, w, h, gray } => {
                    let mut pb = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(pt(x), pt(y), pt(w), pt(h)) {
                        pb.push_rect(rect);
                    }
                    if let Some(path) = pb.finish() {
                        surface.set_stroke(None);
                        surface.set_fill(Some(solid(gray, gray, gray)));
                        surface.draw_path(&path);
                    }
                }
                Op::Picture {
                    x,
                    y,
                    w,
                    h,
                    picture,
                } => {
                    let (pw, ph) = (i64::from(picture.width), i64::from(picture.height));
                    // The largest size that fits the box, against its right edge.
                    let (dw, dh) = if pw * h > ph * w {
                        (w, ph * w / pw)
                    } else {
                        (pw * h / ph, h)
                    };
                    let fit = Size::from_wh(pt(dw), pt(dh));
                    if let (Ok(image), Some(fit)) = (image_of(picture.png, picture.data), fit) {
                        surface.push_transform(&Transform::from_translate(pt(x + w - dw), pt(y)));
                        surface.draw_image(image, fit);
                        surface.pop();
                    }
                }
                Op::Link {
                    x,
                    y,
                    w,
                    h,
                    uri,
                    label,
                } => {
                    if let Some(rect) = Rect::from_xywh(pt(x), pt(y), pt(w), pt(h)) {
                        links.push((rect, uri, label));
                    }
                }
            }
        }
        surface.finish();
        for (rect, uri, label) in links {
            let target = Target::Action(LinkAction::new(uri).into());
            let link = LinkAnnotation::new(rect, target);
            page.add_annotation(Annotation::new_link(link, Some(label)));
        }
        page.finish();
    }
    doc.finish().ok()
}

/// A minimal valid PDF for the (not expected) case that the real renderer fails.
pub fn fallback_pdf() -> Vec<u8> {
    let content = "BT /F1 12 Tf 50 780 Td (This document could not be rendered.) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
         /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{body}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for off in offsets {
        out.push_str(&format!("{off:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

/// For tests: the text of a PDF via `pdftotext -layout` (Debian package `poppler-utils`).
#[cfg(test)]
pub fn pdf_text(pdf: &[u8]) -> String {
    use std::io::Write;
    let mut child = match std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => panic!(
            "cannot run `pdftotext` ({e}); install it with `apt-get install -y poppler-utils`"
        ),
    };
    child
        .stdin
        .take()
        .expect("pdftotext stdin")
        .write_all(pdf)
        .expect("write PDF to pdftotext");
    let out = child.wait_with_output().expect("pdftotext output");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("pdftotext prints UTF-8")
}

/// How many images a PDF draws, by `pdfimages -list` (poppler-utils, as for [`pdf_text`]);
/// a soft mask (a PNG's transparency) counts as its own line there, so only `image` rows count.
/// For the unit tests and the integration tests (feature `test-support`).
#[cfg(any(test, feature = "test-support"))]
pub fn pdf_images(pdf: &[u8]) -> usize {
    let dir = std::env::temp_dir().join(format!("pdfimages-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("doc.pdf");
    std::fs::write(&file, pdf).expect("write PDF");
    let out = std::process::Command::new("pdfimages")
        .arg("-list")
        .arg(&file)
        .output()
        .expect("run `pdfimages` (apt-get install -y poppler-utils)");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "pdfimages failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .filter(|l| l.split_whitespace().nth(2) == Some("image"))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = include_bytes!("../../../tests/api/fixtures/logo.png");
    const JPEG: &[u8] = include_bytes!("../../../tests/api/fixtures/logo.jpg");
    const TOO_WIDE: &[u8] = include_bytes!("../../../tests/api/fixtures/logo-too-wide.png");

    #[test]
    fn pictures_are_checked_in_full_and_drawn_in_their_box() {
        let png = Picture::new(true, PNG.to_vec()).expect("PNG with alpha");
        assert_eq!(png.size(), (240, 80));
        let jpeg = Picture::new(false, JPEG.to_vec()).expect("JPEG");
        assert_eq!(jpeg.size(), (240, 80));
        // Sent as the other type, cut short, not an image, too large.
        assert!(Picture::new(false, PNG.to_vec()).is_err());
        assert!(Picture::new(true, JPEG.to_vec()).is_err());
        assert!(Picture::new(true, PNG[..PNG.len() / 2].to_vec()).is_err());
        assert!(Picture::new(true, b"GIF89a not a png".to_vec()).is_err());
        let wide = Picture::new(true, TOO_WIDE.to_vec())
            .err()
            .expect("5000 px is refused");
        assert!(wide.contains("at most 4096"), "{wide}");

        let pdf = render("Logo", |_| {
            vec![vec![
                Op::Picture {
                    x: 400 * PT,
                    y: 30 * PT,
                    w: 150 * PT,
                    h: 48 * PT,
                    picture: png.clone(),
                },
                Op::Picture {
                    x: 50 * PT,
                    y: 30 * PT,
                    w: 150 * PT,
                    h: 48 * PT,
                    picture: jpeg.clone(),
                },
            ]]
        });
        assert!(pdf.starts_with(b"%PDF"));
        assert_eq!(pdf_images(&pdf), 2);
        assert_eq!(pdf_images(&render("None", |_| Vec::new())), 0);
    }

    #[test]
    fn font_metrics_read() {
        let fm = FontMetrics::parse(FONT_DATA).expect("font parses");
        assert!(fm.width("MM", 10_000) > fm.width("M", 10_000));
        for c in ['A', 'ü', 'Ø', 'Ł', 'ź', '…', '€', '—'] {
            assert_ne!(fm.glyph(c), 0, "missing glyph for {c}");
            assert!(fm.char_units(c) > 0);
        }
        assert_eq!(fm.glyph('\u{10FFFF}'), 0);
        let lines = fm.wrap("aaa bbb ccc", 9_500, 1, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'));
    }

    #[test]
    fn render_falls_back_never_panics() {
        let pdf = render("Empty", |_| Vec::new());
        assert!(pdf.starts_with(b"%PDF"));
        let pdf = render("One line", |_| {
            vec![vec![Op::Text {
                x: 50 * PT,
                y: 80 * PT,
                size: 12 * PT,
                text: "Hello".into(),
                style: Style::Bold,
            }]]
        });
        assert!(pdf.starts_with(b"%PDF"));
    }
}
