//! Money arithmetic, in integers only: amounts are `i64` minor units of one currency,
//! quantities thousandths of a unit, tax rates parts per million. Products are formed in `i128`
//! and every division rounds half away from zero (commercial rounding), once per line: the
//! line's amount, then its net, then each tax. docs/finance.md states each rounding.

use uuid::Uuid;

/// One million: the denominator of a rate in parts per million (7.5 % = 75,000 ppm).
pub const PPM: i128 = 1_000_000;
/// The denominator of a quantity in thousandths (1.3 h = 1,300).
pub const MILLI: i128 = 1_000;

/// `a / b` rounded half away from zero; `b` must be positive.
pub fn div_round(a: i128, b: i128) -> i128 {
    let (q, r) = (a / b, a % b);
    if 2 * r.abs() >= b { q + a.signum() } else { q }
}

/// A tax rate as a line applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub id: Uuid,
    pub name: String,
    pub rate_ppm: i64,
    /// The price contains the tax (VAT-style) rather than having it added on top.
    pub inclusive: bool,
}

/// One tax of a priced line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTax {
    pub rate: Rate,
    pub amount_minor: i64,
}

/// A priced line: `amount` is quantity × unit price; `net` is the amount without its inclusive
/// taxes; `tax` is every tax. What the customer owes for it is `net + tax` (= `amount` plus the
/// exclusive taxes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub amount_minor: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub taxes: Vec<LineTax>,
}

impl Priced {
    pub fn total_minor(&self) -> i64 {
        self.net_minor + self.tax_minor
    }
}

/// A result too large for the ledger (beyond ±10^15 minor units on one line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

const LIMIT: i128 = 1_000_000_000_000_000;

fn fit(v: i128) -> Result<i64, TooLarge> {
    if v.abs() > LIMIT {
        Err(TooLarge)
    } else {
        i64::try_from(v).map_err(|_| TooLarge)
    }
}

/// Prices a line. `amount = round(quantity × unit price / 1000)`. Inclusive rates come out of
/// the amount: `net = round(amount × 10^6 / (10^6 + Σ inclusive rates))`, each inclusive tax is
/// `round(net × rate / 10^6)` and the last one takes the rounding remainder, so that net plus the
/// inclusive taxes is exactly the amount. Exclusive rates are added on top of the net, each
/// `round(net × rate / 10^6)`.
pub fn price(
    quantity_milli: i64,
    unit_price_minor: i64,
    rates: &[Rate],
) -> Result<Priced, TooLarge> {
    let amount = div_round(
        i128::from(quantity_milli) * i128::from(unit_price_minor),
        MILLI,
    );
    let inclusive: i128 = rates
        .iter()
        .filter(|r| r.inclusive)
        .map(|r| i128::from(r.rate_ppm))
        .sum();
    let net = div_round(amount * PPM, PPM + inclusive);
    let mut taxes = Vec::with_capacity(rates.len());
    let last_inclusive = rates.iter().rposition(|r| r.inclusive);
    let mut inclusive_sum = 0i128;
    for (i, r) in rates.iter().enumerate() {
        let t = if Some(i) == last_inclusive {
            amount - net - inclusive_sum
        } else {
            div_round(net * i128::from(r.rate_ppm), PPM)
        };
        if r.inclusive {
            inclusive_sum += t;
        }
        taxes.push(LineTax {
            rate: r.clone(),
            amount_minor: fit(t)?,
        });
    }
    let tax: i128 = taxes.iter().map(|t| i128::from(t.amount_minor)).sum();
    Ok(Priced {
        amount_minor: fit(amount)?,
        net_minor: fit(net)?,
        tax_minor: fit(tax)?,
        taxes,
    })
}

/// The part of an already priced line that a credit for `quantity_milli` of its
/// `line_quantity_milli` takes back, given what earlier credits took (`credited`). Crediting the
/// whole remainder takes back exactly what is left, to the minor unit, so a line credited in
/// parts ends at zero; a part is priced afresh with the line's own rates and unit price.
pub fn credit_part(
    line: &Priced,
    unit_price_minor: i64,
    line_quantity_milli: i64,
    credited_quantity_milli: i64,
    credited: &Priced,
    quantity_milli: i64,
) -> Result<Priced, TooLarge> {
    let rates: Vec<Rate> = line.taxes.iter().map(|t| t.rate.clone()).collect();
    if credited_quantity_milli + quantity_milli < line_quantity_milli {
        return price(quantity_milli, unit_price_minor, &rates);
    }
    let taxes = line
        .taxes
        .iter()
        .map(|t| {
            let before = credited
                .taxes
                .iter()
                .find(|c| c.rate.id == t.rate.id)
                .map_or(0, |c| c.amount_minor);
            LineTax {
                rate: t.rate.clone(),
                amount_minor: t.amount_minor - before,
            }
        })
        .collect();
    Ok(Priced {
        amount_minor: line.amount_minor - credited.amount_minor,
        net_minor: line.net_minor - credited.net_minor,
        tax_minor: line.tax_minor - credited.tax_minor,
        taxes,
    })
}

/// The decimal places of an ISO 4217 currency's minor unit (2 unless listed).
pub fn exponent(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// Hours in tenths (as meters count) to a quantity in thousandths.
pub fn tenths_to_milli(tenths: i64) -> i64 {
    tenths * 100
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(ppm: i64, inclusive: bool) -> Rate {
        Rate {
            id: Uuid::now_v7(),
            name: format!("{ppm}"),
            rate_ppm: ppm,
            inclusive,
        }
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(4, 10), 0);
        assert_eq!(div_round(-5, 10), -1);
        assert_eq!(div_round(-4, 10), 0);
        assert_eq!(div_round(15, 10), 2);
        assert_eq!(div_round(25, 10), 3);
        assert_eq!(div_round(0, 7), 0);
    }

    #[test]
    fn a_line_without_tax() {
        // 1.3 hobbs hours at 185.00 = 240.50
        let p = price(1_300, 18_500, &[]).expect("fits");
        assert_eq!(
            (p.amount_minor, p.net_minor, p.tax_minor),
            (24_050, 24_050, 0)
        );
        // 0.333 h at 1.00: 0.333 -> 0 minor units; 0.5 cent rounds up
        assert_eq!(price(333, 100, &[]).expect("fits").amount_minor, 33);
        assert_eq!(price(5, 100, &[]).expect("fits").amount_minor, 1);
        assert_eq!(price(4, 100, &[]).expect("fits").amount_minor, 0);
    }

    #[test]
    fn exclusive_tax_is_added_on_top() {
        // US federal excise tax on charter, 7.5 %, on 10,000.00
        let p = price(1_000, 1_000_000, &[rate(75_000, false)]).expect("fits");
        assert_eq!(
            (p.net_minor, p.tax_minor, p.total_minor()),
            (1_000_000, 75_000, 1_075_000)
        );
        // half a cent rounds away from zero: 7.5 % of 0.10 = 0.0075 -> 0.01
        let p = price(1_000, 10, &[rate(75_000, false)]).expect("fits");
        assert_eq!(p.tax_minor, 1);
    }

    #[test]
    fn inclusive_tax_comes_out_of_the_price() {
        // Swiss VAT 8.1 % included in 100.00: net 92.51, tax 7.49
        let p = price(1_000, 10_000, &[rate(81_000, true)]).expect("fits");
        assert_eq!(
            (p.amount_minor, p.net_minor, p.tax_minor),
            (10_000, 9_251, 749)
        );
        assert_eq!(p.total_minor(), 10_000);
    }

    #[test]
    fn several_taxes_on_one_line_sum_exactly() {
        // two inclusive rates (a state and a city tax) and one exclusive fee
        let rates = [rate(60_000, true), rate(25_000, true), rate(75_000, false)];
        for price_minor in [1, 7, 99, 12_345, 999_999] {
            let p = price(1_000, price_minor, &rates).expect("fits");
            let inclusive: i64 = p.taxes[..2].iter().map(|t| t.amount_minor).sum();
            assert_eq!(p.net_minor + inclusive, p.amount_minor, "{price_minor}");
            assert_eq!(
                p.total_minor(),
                p.amount_minor + p.taxes[2].amount_minor,
                "{price_minor}"
            );
        }
    }

    #[test]
    fn discounts_are_negative_and_round_symmetrically() {
        let p = price(1_000, -1_005, &[rate(75_000, false)]).expect("fits");
        assert_eq!((p.net_minor, p.tax_minor), (-1_005, -75));
        let q = price(1_000, 1_005, &[rate(75_000, false)]).expect("fits");
        assert_eq!(p.tax_minor, -q.tax_minor);
    }

    #[test]
    fn credits_in_parts_end_at_zero() {
        let rates = [rate(81_000, true), rate(75_000, false)];
        let line = price(2_700, 18_333, &rates).expect("fits");
        let first = credit_part(&line, 18_333, 2_700, 0, &zero(&rates), 1_000).expect("fits");
        assert_eq!(first, price(1_000, 18_333, &rates).expect("fits"));
        let rest = credit_part(&line, 18_333, 2_700, 1_000, &first, 1_700).expect("fits");
        assert_eq!(first.net_minor + rest.net_minor, line.net_minor);
        assert_eq!(first.tax_minor + rest.tax_minor, line.tax_minor);
        for (i, t) in line.taxes.iter().enumerate() {
            assert_eq!(
                first.taxes[i].amount_minor + rest.taxes[i].amount_minor,
                t.amount_minor
            );
        }
    }

    fn zero(rates: &[Rate]) -> Priced {
        Priced {
            amount_minor: 0,
            net_minor: 0,
            tax_minor: 0,
            taxes: rates
                .iter()
                .map(|r| LineTax {
                    rate: r.clone(),
                    amount_minor: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn the_largest_lines_are_refused_not_wrapped() {
        assert_eq!(price(1_000_000_000, 100_000_000_000, &[]), Err(TooLarge));
        assert!(price(1_000_000, 100_000_000_000, &[]).is_ok());
    }

    #[test]
    fn exponents() {
        assert_eq!(exponent("USD"), 2);
        assert_eq!(exponent("JPY"), 0);
        assert_eq!(exponent("KWD"), 3);
        assert_eq!(tenths_to_milli(13), 1_300);
    }
}
