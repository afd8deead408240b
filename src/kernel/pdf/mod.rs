//! A small PDF toolkit for documents a domain prints (invoices, completion certificates): an
//! A4 page of positioned text, rules, bands and links, drawn with `krilla` (default features
//! off, so no shaping engine and no image codecs) using DejaVu Sans, embedded in the binary
//! and subset into each PDF. Layout is the caller's, in integer millipoints ("mpt", y growing
//! downwards from the top of the page); conversion to `f32` happens only at the PDF crate.
//! Everything here is pure: no I/O, no clock. [`render`] never panics and always returns a PDF.

pub mod font;

use krilla::Document;
use krilla::action::LinkAction;
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
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

#[cfg(test)]
mod tests {
    use super::*;

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
