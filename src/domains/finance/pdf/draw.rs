//! Drawing the laid-out pages with krilla, and the fallback document.

use super::*;

// ---------------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------------

/// mpt to PDF points, at the boundary to the PDF crate.
pub(super) fn pt(mpt: i64) -> f32 {
    mpt as f32 / 1000.0
}

pub(super) fn solid(r: u8, g: u8, b: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

pub(super) fn draw(
    fm: &FontMetrics,
    font: &Font,
    pages: Vec<Vec<Op>>,
    title: String,
) -> Option<Vec<u8>> {
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
                Op::Link { x, y, w, h, uri } => {
                    if let Some(rect) = Rect::from_xywh(pt(x), pt(y), pt(w), pt(h)) {
                        links.push((rect, uri));
                    }
                }
            }
        }
        surface.finish();
        for (rect, uri) in links {
            let target = Target::Action(LinkAction::new(uri).into());
            let link = LinkAnnotation::new(rect, target);
            page.add_annotation(Annotation::new_link(link, Some("Pay online".into())));
        }
        page.finish();
    }
    doc.finish().ok()
}

/// A minimal valid PDF for the (not expected) case that the real renderer fails.
pub(super) fn fallback_pdf() -> Vec<u8> {
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

/// Renders an invoice or credit note as an A4 PDF. Never panics: overlong text is wrapped or
/// truncated with "…", many lines continue on further pages (header repeated, "Page i of n").
pub fn render(inv: &PdfInvoice<'_>) -> Vec<u8> {
    let rendered = FontMetrics::parse(FONT_DATA).and_then(|fm| {
        let font = Font::new(FONT_DATA.into(), 0)?;
        let pages = layout(&fm, inv);
        let number = inv.number.unwrap_or("DRAFT");
        let title = clean(&format!("{} {}", inv.title, number), 300, false);
        draw(&fm, &font, pages, title)
    });
    rendered.unwrap_or_else(fallback_pdf)
}
