//! Invoice and credit-note PDFs, plus money / quantity / rate formatting.
//!
//! Everything here is pure: no I/O, no network, no clock. The pages are drawn by the kernel's
//! PDF toolkit (`crate::kernel::pdf`: krilla, DejaVu Sans embedded and subset, glyph lookup
//! and advance widths from a tiny reader of the font's `cmap`/`hmtx` tables).
//!
//! Money never touches floating point. Layout is computed in integers (thousandths of a point,
//! "mpt", y growing downwards from the top of the page); conversion to `f32` happens only when
//! coordinates are handed to the PDF crate.

use chrono::{Datelike, NaiveDate};

use crate::kernel::pdf::{self, FontMetrics, Op, PAGE_H, PAGE_W, PT, Style, clean};

/// One invoice line.
#[derive(Debug, Clone, Copy)]
pub struct PdfLine<'a> {
    pub description: &'a str,
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    pub amount_minor: i64,
}

/// One tax, summed per rate.
#[derive(Debug, Clone, Copy)]
pub struct PdfTax<'a> {
    pub name: &'a str,
    pub rate_ppm: i64,
    pub inclusive: bool,
    pub amount_minor: i64,
}

/// Everything printed on an invoice or credit note.
#[derive(Debug, Clone, Copy)]
pub struct PdfInvoice<'a> {
    /// "Invoice" or "Credit note".
    pub title: &'a str,
    /// `None` for a draft: "DRAFT" is printed instead.
    pub number: Option<&'a str>,
    /// The tenant's name.
    pub issuer: &'a str,
    pub customer_name: &'a str,
    pub customer_email: Option<&'a str>,
    pub issued_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    /// ISO 4217 code, e.g. "USD", "CHF", "JPY", "KWD".
    pub currency: &'a str,
    pub lines: &'a [PdfLine<'a>],
    pub taxes: &'a [PdfTax<'a>],
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub due_minor: i64,
    pub notes: Option<&'a str>,
    /// Printed as text (and made clickable when it is an http(s) URL).
    pub pay_url: Option<&'a str>,
}

mod draw;
mod layout;
mod text;

pub use draw::render;
use layout::*;
use text::*;
pub use text::{format_money, format_quantity, format_rate};

#[cfg(test)]
mod tests;
