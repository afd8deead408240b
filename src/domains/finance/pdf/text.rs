//! Numbers as printed: money, quantities, rates and dates (integer arithmetic only).

use super::*;

// ---------------------------------------------------------------------------------------------
// Number formatting (integer arithmetic only)
// ---------------------------------------------------------------------------------------------

/// Number of minor-unit digits of an ISO 4217 currency; unknown codes get 2.
pub(super) fn currency_decimals(code: &str) -> u32 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// `1234567` -> `"1,234,567"`.
pub(super) fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Fixed-point integer `value / 10^decimals` as text, with thousands separators.
/// `trim` drops trailing fractional zeros (and the point when nothing is left).
pub(super) fn format_fixed(value: i64, decimals: u32, trim: bool) -> String {
    let abs = value.unsigned_abs(); // i64::MIN safe
    let scale = 10u64.checked_pow(decimals).unwrap_or(1);
    let (int, frac) = (abs / scale, abs % scale);
    let mut out = String::new();
    if value < 0 {
        out.push('-');
    }
    out.push_str(&group_thousands(int));
    if decimals > 0 && scale > 1 {
        let mut f = format!("{frac:0width$}", width = decimals as usize);
        if trim {
            while f.ends_with('0') {
                f.pop();
            }
        }
        if !f.is_empty() {
            out.push('.');
            out.push_str(&f);
        }
    }
    out
}

/// Formats an amount in minor units: `("USD", 123456)` -> `"1,234.56 USD"`,
/// `("JPY", 1234)` -> `"1,234 JPY"`, `("KWD", 1234)` -> `"1.234 KWD"`, `-1250 USD` ->
/// `"-12.50 USD"`. Unknown currencies get 2 decimals. Never panics.
pub fn format_money(minor: i64, currency: &str) -> String {
    let code: String = currency
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(16)
        .collect::<String>()
        .to_uppercase();
    let number = format_fixed(minor, currency_decimals(&code), false);
    if code.is_empty() {
        number
    } else {
        format!("{number} {code}")
    }
}

/// Thousandths to text: 1300 -> "1.3", 1000 -> "1", 1250 -> "1.25", 1 -> "0.001".
pub fn format_quantity(milli: i64) -> String {
    format_fixed(milli, 3, true)
}

/// Parts per million to a percentage: 75000 -> "7.5 %", 81000 -> "8.1 %", 200000 -> "20 %".
pub fn format_rate(ppm: i64) -> String {
    format!("{} %", format_fixed(ppm, 4, true))
}

pub(super) fn format_date(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}
