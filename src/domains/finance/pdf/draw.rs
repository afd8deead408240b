//! Drawing an invoice: its layout handed to the kernel's PDF toolkit.

use super::*;

/// Renders an invoice or credit note as an A4 PDF. Never panics: overlong text is wrapped or
/// truncated with "…", many lines continue on further pages (header repeated, "Page i of n").
pub fn render(inv: &PdfInvoice<'_>) -> Vec<u8> {
    let number = inv.number.unwrap_or("DRAFT");
    pdf::render(&format!("{} {}", inv.title, number), |fm| layout(fm, inv))
}
