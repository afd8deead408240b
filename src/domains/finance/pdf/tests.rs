//! Tests of the PDF renderer and the number formatting.

use super::*;
use crate::kernel::pdf::{fallback_pdf, pdf_text};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

const LINES: &[PdfLine<'static>] = &[
    PdfLine {
        description: "Dual instruction C172 — HB-CQK",
        quantity_milli: 1_300,
        unit_price_minor: 29_500,
        amount_minor: 38_350,
    },
    PdfLine {
        description: "Landing fee Łódź (EPLL)",
        quantity_milli: 1_000,
        unit_price_minor: 2_500,
        amount_minor: 2_500,
    },
];
const TAXES: &[PdfTax<'static>] = &[PdfTax {
    name: "VAT",
    rate_ppm: 81_000,
    inclusive: true,
    amount_minor: 3_056,
}];

fn sample() -> PdfInvoice<'static> {
    PdfInvoice {
        title: "Invoice",
        number: Some("INV-2026-0042"),
        issuer: "Ørsted Aviation ApS",
        customer_name: "Zürich Flugschule",
        customer_email: Some("büro@zürich-flug.example"),
        issued_on: Some(date(2026, 11, 30)),
        due_on: Some(date(2026, 12, 30)),
        currency: "CHF",
        lines: LINES,
        taxes: TAXES,
        subtotal_minor: 40_850,
        tax_minor: 3_056,
        total_minor: 40_850,
        paid_minor: 10_000,
        due_minor: 30_850,
        notes: Some("Thank you for flying with us.\nPayable within 30 days."),
        pay_url: Some("https://pay.example/i/abc123"),
    }
}

#[test]
fn money_formats() {
    assert_eq!(format_money(123_456, "USD"), "1,234.56 USD");
    assert_eq!(format_money(1_234, "JPY"), "1,234 JPY");
    assert_eq!(format_money(1_234, "jpy"), "1,234 JPY");
    assert_eq!(format_money(1_234_567, "KWD"), "1,234.567 KWD");
    for code in ["BHD", "JOD", "OMR", "TND", "IQD", "LYD"] {
        assert_eq!(format_money(1_005, code), format!("1.005 {code}"));
    }
    assert_eq!(format_money(-1_250, "USD"), "-12.50 USD");
    assert_eq!(format_money(-5, "USD"), "-0.05 USD");
    assert_eq!(format_money(0, "USD"), "0.00 USD");
    assert_eq!(format_money(100, "CHF"), "1.00 CHF");
    assert_eq!(format_money(99_999, "EUR"), "999.99 EUR");
    assert_eq!(format_money(100_000, "EUR"), "1,000.00 EUR");
    assert_eq!(format_money(123_456, "XYZ"), "1,234.56 XYZ");
    assert_eq!(format_money(123_456, ""), "1,234.56");
    assert_eq!(format_money(-1_000_000, "KRW"), "-1,000,000 KRW");
    assert_eq!(
        format_money(i64::MIN, "USD"),
        "-92,233,720,368,547,758.08 USD"
    );
    assert_eq!(
        format_money(i64::MAX, "JPY"),
        "9,223,372,036,854,775,807 JPY"
    );
    assert_eq!(
        format_money(i64::MIN, "KWD"),
        "-9,223,372,036,854,775.808 KWD"
    );
}

#[test]
fn quantity_formats() {
    assert_eq!(format_quantity(1_300), "1.3");
    assert_eq!(format_quantity(1_000), "1");
    assert_eq!(format_quantity(1_250), "1.25");
    assert_eq!(format_quantity(1), "0.001");
    assert_eq!(format_quantity(0), "0");
    assert_eq!(format_quantity(-500), "-0.5");
    assert_eq!(format_quantity(1_234_500), "1,234.5");
    assert_eq!(format_quantity(i64::MIN), "-9,223,372,036,854,775.808");
}

#[test]
fn rate_formats() {
    assert_eq!(format_rate(75_000), "7.5 %");
    assert_eq!(format_rate(81_000), "8.1 %");
    assert_eq!(format_rate(200_000), "20 %");
    assert_eq!(format_rate(77_000), "7.7 %");
    assert_eq!(format_rate(0), "0 %");
    assert_eq!(format_rate(1), "0.0001 %");
    assert_eq!(format_rate(1_000_000), "100 %");
    assert_eq!(format_rate(-25_000), "-2.5 %");
    assert_eq!(format_rate(i64::MIN), "-922,337,203,685,477.5808 %");
}

#[test]
fn renders_invoice_text() {
    let inv = sample();
    let pdf = render(&inv);
    assert!(pdf.starts_with(b"%PDF"));
    let text = pdf_text(&pdf);
    for needle in [
        "INV-2026-0042",
        "Zürich Flugschule",
        "Ørsted Aviation ApS",
        "büro@zürich-flug.example",
        "Landing fee Łódź (EPLL)",
        "Dual instruction C172 — HB-CQK",
        "2026-11-30",
        "2026-12-30",
        "VAT 8.1 % (incl.)",
        "Amount due",
        "Thank you for flying with us.",
        "https://pay.example/i/abc123",
        "Page 1 of 1",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    for amount in [38_350, 2_500, 40_850, 10_000, 30_850, 3_056] {
        let m = format_money(amount, "CHF");
        assert!(text.contains(&m), "missing {m:?} in:\n{text}");
    }
    assert!(!text.contains("DRAFT"));
}

#[test]
fn wrapped_description_keeps_every_word() {
    let desc = "Type rating simulator session with examiner briefing, debriefing, \
                landing fees at Zürich, Łódź and Ørland, and catering for the crew";
    let lines = [PdfLine {
        description: desc,
        quantity_milli: 2_000,
        unit_price_minor: 150_000,
        amount_minor: 300_000,
    }];
    let text = pdf_text(&render(&PdfInvoice {
        lines: &lines,
        ..sample()
    }));
    for word in desc.split_whitespace() {
        assert!(text.contains(word), "missing {word:?} in:\n{text}");
    }
}

#[test]
fn draft_and_credit_note() {
    let inv = PdfInvoice {
        title: "Credit note",
        number: None,
        total_minor: -40_850,
        ..sample()
    };
    let text = pdf_text(&render(&inv));
    assert!(text.contains("DRAFT"), "{text}");
    assert!(text.contains("Credit note"), "{text}");
    assert!(text.contains("-408.50 CHF"), "{text}");
}

#[test]
fn many_lines_paginate() {
    let descriptions: Vec<String> = (1..=120)
        .map(|i| format!("Item {i:03} Cessna 172 rental Łódź"))
        .collect();
    let lines: Vec<PdfLine<'_>> = descriptions
        .iter()
        .map(|d| PdfLine {
            description: d,
            quantity_milli: 1_500,
            unit_price_minor: 12_345,
            amount_minor: 18_518,
        })
        .collect();
    let inv = PdfInvoice {
        lines: &lines,
        ..sample()
    };
    let pdf = render(&inv);
    assert!(pdf.starts_with(b"%PDF"));
    let text = pdf_text(&pdf);
    for d in &descriptions {
        assert!(text.contains(d.as_str()), "missing {d:?}");
    }
    let pages = text.matches('\u{c}').count();
    assert!(pages >= 3, "expected several pages, got {pages}");
    assert!(text.contains(&format!("Page 1 of {pages}")), "{text}");
    assert!(text.contains(&format!("Page {pages} of {pages}")), "{text}");
    // The header is repeated on every page.
    assert_eq!(text.matches("No. INV-2026-0042").count(), pages);
    // The table header too, on every page that has rows (the last may hold totals only).
    assert!(text.matches("Unit price").count() >= pages - 1, "{text}");
}

#[test]
fn long_text_does_not_panic() {
    let long_words = "Zürich ".repeat(715); // ~5,000 characters
    let one_word = "Ł".repeat(5_000);
    let lines = [
        PdfLine {
            description: &long_words,
            quantity_milli: i64::MAX,
            unit_price_minor: i64::MIN,
            amount_minor: i64::MIN,
        },
        PdfLine {
            description: &one_word,
            quantity_milli: i64::MIN,
            unit_price_minor: 0,
            amount_minor: 0,
        },
        PdfLine {
            description: "",
            quantity_milli: 0,
            unit_price_minor: 0,
            amount_minor: 0,
        },
    ];
    let taxes: Vec<PdfTax<'_>> = (0..80)
        .map(|_| PdfTax {
            name: "Extremely long tax name that goes on and on \u{0}\t\r\n",
            rate_ppm: i64::MIN,
            inclusive: false,
            amount_minor: i64::MAX,
        })
        .collect();
    let notes = "Line\n".repeat(2_000) + &"x".repeat(5_000);
    let huge = "W".repeat(5_000);
    let inv = PdfInvoice {
        title: &huge,
        number: Some(&huge),
        issuer: &huge,
        customer_name: &one_word,
        customer_email: Some(&huge),
        currency: &huge,
        lines: &lines,
        taxes: &taxes,
        subtotal_minor: i64::MIN,
        tax_minor: i64::MAX,
        total_minor: i64::MIN,
        paid_minor: i64::MAX,
        due_minor: i64::MIN,
        notes: Some(&notes),
        pay_url: Some(&huge),
        issued_on: Some(NaiveDate::MIN),
        due_on: Some(NaiveDate::MAX),
    };
    let pdf = render(&inv);
    assert!(pdf.starts_with(b"%PDF"));
    let text = pdf_text(&pdf);
    assert!(text.contains('…'), "long text should be truncated with …");

    let empty = PdfInvoice {
        title: "",
        number: Some(""),
        issuer: "",
        customer_name: "",
        customer_email: None,
        issued_on: None,
        due_on: None,
        currency: "",
        lines: &[],
        taxes: &[],
        subtotal_minor: 0,
        tax_minor: 0,
        total_minor: 0,
        paid_minor: 0,
        due_minor: 0,
        notes: Some("   "),
        pay_url: Some(""),
    };
    let pdf = render(&empty);
    assert!(pdf.starts_with(b"%PDF"));
    assert!(pdf_text(&pdf).contains("DRAFT"));
}

#[test]
fn glyphs_missing_from_the_font_do_not_panic() {
    let lines = [PdfLine {
        description: "東京 charter 😀 Zu\u{308}rich",
        quantity_milli: 1_000,
        unit_price_minor: 100,
        amount_minor: 100,
    }];
    let inv = PdfInvoice {
        customer_name: "Αθήνα Москва",
        lines: &lines,
        ..sample()
    };
    let pdf = render(&inv);
    assert!(pdf.starts_with(b"%PDF"));
    let text = pdf_text(&pdf);
    assert!(text.contains("Αθήνα Москва"), "{text}");
    assert!(text.contains("charter"), "{text}");
}

#[test]
fn fallback_is_a_pdf() {
    let pdf = fallback_pdf();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(pdf_text(&pdf).contains("could not be rendered"));
}
