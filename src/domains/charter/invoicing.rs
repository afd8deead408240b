//! A trip's invoice, made through finance (`finance::service::charge`, a draft finance staff
//! review and issue): the accepted quote's price lines for a trip made from a quote, else each
//! leg's block time at the aircraft type's charter rate. Once per trip (finance keys the draft
//! on the source `charter_trip`); a completed trip is invoiced when it completes if its customer
//! has a finance account.

use uuid::Uuid;

use super::dto::{QuoteLine, Trip};
use super::{quotes, rates};
use crate::audit::Actor;
use crate::domains::contacts::service as contacts;
use crate::domains::finance::service::{self as finance, ChargeLine};
use crate::domains::fleet::service as fleet;
use crate::error::{AppError, Result};
use crate::kernel::AircraftId;
use crate::tenancy::TenantTx;

/// The finance category of a quote line.
fn category(kind: &str) -> &'static str {
    match kind {
        "landing" | "handling" => "handling",
        "crew_overnight" => "fee",
        "catering" => "other",
        _ => "charter",
    }
}

fn from_quote(lines: &[QuoteLine], taxes: &[Uuid]) -> Vec<ChargeLine> {
    lines
        .iter()
        .filter(|l| l.kind != "tax")
        .map(|l| ChargeLine {
            description: l.description.clone(),
            category: category(&l.kind),
            unit: "each",
            quantity_milli: 1_000,
            unit_price_minor: l.amount_minor,
            price_item_id: None,
            aircraft_id: None,
            instructor_id: None,
            tax_rate_ids: taxes.to_vec(),
        })
        .collect()
}

/// Invoices `trip` to its customer's finance account: the draft's id. `Ok(None)` when the
/// customer has no finance account and `required` is false (a completion goes on without).
pub(super) async fn invoice(
    tx: &mut TenantTx,
    actor: Actor<'_>,
    trip: &Trip,
    required: bool,
) -> Result<Option<Uuid>> {
    let no_account = || AppError::Conflict {
        code: "no-finance-account",
        detail: "the trip's customer has no finance account: link the contact to one".into(),
        field: None,
    };
    let account = match trip.customer_id {
        Some(c) => contacts::contact(tx, c)
            .await?
            .and_then(|c| c.finance_account_id),
        None => None,
    };
    let Some(account) = account else {
        return if required {
            Err(no_account())
        } else {
            Ok(None)
        };
    };
    let first = trip.legs.first().ok_or(AppError::NotFound("trip leg"))?;
    let facts = fleet::aircraft_facts(tx, first.aircraft_id)
        .await?
        .ok_or(AppError::NotFound("aircraft"))?;
    let rate = match facts.aircraft_type_id {
        Some(t) => rates::load(tx, t).await?,
        None => None,
    };
    let taxes = rate
        .as_ref()
        .map(|r| r.tax_rate_ids.clone())
        .unwrap_or_default();
    let lines = match trip.quote_id {
        Some(q) => {
            let quote = quotes::load(tx, q, false).await?;
            from_quote(&quote.pricing.lines, &taxes)
        }
        None => {
            let rate = rate.ok_or_else(|| AppError::Conflict {
                code: "no-charter-rate",
                detail: format!(
                    "{}'s aircraft type has no charter rate to invoice the trip at",
                    facts.registration
                ),
                field: None,
            })?;
            trip.legs
                .iter()
                .map(|l| {
                    let minutes = (l.arrives_at - l.departs_at).num_minutes();
                    ChargeLine {
                        description: format!(
                            "{} {}-{} ({} block minutes)",
                            if l.positioning {
                                "Positioning"
                            } else {
                                "Flight"
                            },
                            l.from,
                            l.to,
                            minutes
                        ),
                        category: "charter",
                        unit: "block_hour",
                        quantity_milli: minutes * 1_000 / 60,
                        unit_price_minor: if l.positioning {
                            rate.positioning_hourly_minor
                        } else {
                            rate.hourly_minor
                        },
                        price_item_id: None,
                        aircraft_id: Some(AircraftId(l.aircraft_id)),
                        instructor_id: None,
                        tax_rate_ids: taxes.clone(),
                    }
                })
                .collect()
        }
    };
    let id = finance::charge(tx, actor, account, ("charter_trip", trip.id), &lines).await?;
    sqlx::query("update charter_trips set invoice_id = $2 where id = $1")
        .bind(trip.id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(Some(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_lines_become_invoice_lines_without_the_taxes() {
        let line = |kind: &str, amount: i64| QuoteLine {
            kind: kind.into(),
            description: kind.into(),
            amount_minor: amount,
        };
        let tax = Uuid::from_u128(1);
        let lines = from_quote(
            &[
                line("flight", 100),
                line("landing", 20),
                line("crew_overnight", 30),
                line("tax", 11),
            ],
            &[tax],
        );
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines.iter().map(|l| l.category).collect::<Vec<_>>(),
            ["charter", "handling", "fee"]
        );
        assert!(
            lines
                .iter()
                .all(|l| l.tax_rate_ids == [tax] && l.quantity_milli == 1_000)
        );
    }
}
