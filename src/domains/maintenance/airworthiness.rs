//! "Unairworthy", computed in one place: an aircraft is unairworthy while an inspection is
//! overdue, a grounding squawk is open or an open MEL deferral has expired. The aircraft
//! responses (fleet), the maintenance lists and the dispatch rules (scheduling) all ask here.

use std::collections::HashMap;

use chrono::NaiveDate;
use poem_openapi::{Enum, Object};
use sqlx::PgConnection;

use uuid::Uuid;

use super::due::{self, DueStatus, Programme, Tenths, Window};

/// What grounds an aircraft.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum GroundingKind {
    InspectionOverdue,
    GroundingSquawk,
    MelExpired,
}

/// Why an aircraft is unairworthy.
#[derive(Object, Clone, Debug, PartialEq, serde::Serialize)]
pub struct Grounding {
    pub kind: GroundingKind,
    /// The inspection item, squawk or MEL deferral.
    pub id: Uuid,
    pub detail: String,
}

/// An aircraft's airworthiness, as shown on the aircraft.
#[derive(Object, Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Airworthiness {
    pub airworthy: bool,
    /// Empty when airworthy.
    pub reasons: Vec<Grounding>,
}

/// An inspection item with the aircraft's current reading of the meter it counts on.
#[derive(Debug, Clone)]
pub struct ItemFacts {
    pub id: Uuid,
    pub name: String,
    pub programme: Programme,
    pub current_tenths: Tenths,
}

/// Everything airworthiness depends on, for one aircraft.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub items: Vec<ItemFacts>,
    /// Open grounding squawks: (id, title).
    pub grounding_squawks: Vec<(Uuid, String)>,
    /// Open MEL deferrals: (id, item, last valid day).
    pub deferrals: Vec<(Uuid, String, NaiveDate)>,
}

/// The rule itself (pure).
pub fn assess(facts: &Facts, today: NaiveDate) -> Airworthiness {
    let mut reasons = Vec::new();
    for item in &facts.items {
        let due = item.programme.due();
        if due::status(&due, today, item.current_tenths, Window::default()) == DueStatus::Overdue {
            reasons.push(Grounding {
                kind: GroundingKind::InspectionOverdue,
                id: item.id,
                detail: if due.never_done {
                    format!("{}: no completion recorded", item.name)
                } else {
                    format!("{} is overdue", item.name)
                },
            });
        }
    }
    for (id, title) in &facts.grounding_squawks {
        reasons.push(Grounding {
            kind: GroundingKind::GroundingSquawk,
            id: *id,
            detail: format!("open grounding squawk: {title}"),
        });
    }
    for (id, item, expires_on) in &facts.deferrals {
        if due::mel_expired(*expires_on, today) {
            reasons.push(Grounding {
                kind: GroundingKind::MelExpired,
                id: *id,
                detail: format!("MEL item {item} expired after {expires_on}"),
            });
        }
    }
    Airworthiness {
        airworthy: reasons.is_empty(),
        reasons,
    }
}

/// The facts of the aircraft in `param` (an SQL expression of type `uuid[]`) as one `jsonb`
/// array, for embedding in another statement (the dispatch rules load them together with the
/// rest of their facts, in one round trip). Parse it with [`from_json`].
pub fn facts_json_sql(param: &str) -> String {
    format!(
        "(select coalesce(jsonb_agg(f), '[]') from (
             select 'item' as src, i.aircraft_id, i.id, i.name as label, i.interval_months,
                    i.interval_tenths, i.interval_days, i.overrun_tenths, i.last_done_on, i.basis_tenths,
                    case i.meter when 'hobbs' then a.hobbs_tenths else a.tach_tenths end as current_tenths,
                    null::date as expires_on
               from inspection_items i join aircraft a on a.id = i.aircraft_id
              where i.aircraft_id = any({param})
             union all
             select 'squawk', aircraft_id, id, title, null, null, null, null, null, null, null, null
               from squawks
              where aircraft_id = any({param}) and severity = 'grounding' and status in ('open', 'in_progress')
             union all
             select 'mel', aircraft_id, id, item, null, null, null, null, null, null, null, expires_on
               from mel_deferrals where aircraft_id = any({param}) and status = 'open') f)"
    )
}

/// One element of [`facts_json_sql`].
#[derive(serde::Deserialize)]
struct FactRow {
    src: String,
    aircraft_id: Uuid,
    id: Uuid,
    label: String,
    interval_months: Option<u32>,
    interval_tenths: Option<Tenths>,
    interval_days: Option<u32>,
    overrun_tenths: Option<Tenths>,
    last_done_on: Option<NaiveDate>,
    basis_tenths: Option<Tenths>,
    current_tenths: Option<Tenths>,
    expires_on: Option<NaiveDate>,
}

/// The facts per aircraft of a [`facts_json_sql`] value; every aircraft of `aircraft` has an
/// entry (empty facts: airworthy).
pub fn from_json(
    aircraft: &[Uuid],
    value: serde_json::Value,
) -> Result<HashMap<Uuid, Facts>, sqlx::Error> {
    let rows: Vec<FactRow> =
        serde_json::from_value(value).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let mut out: HashMap<Uuid, Facts> = aircraft.iter().map(|id| (*id, Facts::default())).collect();
    for r in rows {
        let facts = out.entry(r.aircraft_id).or_default();
        match r.src.as_str() {
            "item" => facts.items.push(ItemFacts {
                id: r.id,
                name: r.label,
                programme: Programme {
                    interval_months: r.interval_months,
                    interval_tenths: r.interval_tenths,
                    interval_days: r.interval_days,
                    overrun_tenths: r.overrun_tenths.unwrap_or(0),
                    last_done_on: r.last_done_on,
                    basis_tenths: r.basis_tenths,
                },
                current_tenths: r.current_tenths.unwrap_or(0),
            }),
            "squawk" => facts.grounding_squawks.push((r.id, r.label)),
            _ => {
                if let Some(expires) = r.expires_on {
                    facts.deferrals.push((r.id, r.label, expires));
                }
            }
        }
    }
    Ok(out)
}

/// Loads the facts of `aircraft` in one statement.
pub async fn load(
    conn: &mut PgConnection,
    aircraft: &[Uuid],
) -> Result<HashMap<Uuid, Facts>, sqlx::Error> {
    let value: serde_json::Value = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select {}",
        facts_json_sql("$1")
    )))
    .bind(aircraft)
    .fetch_one(conn)
    .await?;
    from_json(aircraft, value)
}

/// The programme columns of an inspection item row; `#[sqlx(flatten)]` it into a larger row.
#[derive(sqlx::FromRow)]
pub(super) struct ProgrammeRow {
    interval_months: Option<i32>,
    interval_tenths: Option<i64>,
    interval_days: Option<i32>,
    overrun_tenths: Option<i64>,
    last_done_on: Option<NaiveDate>,
    basis_tenths: Option<i64>,
}

impl From<ProgrammeRow> for Programme {
    fn from(r: ProgrammeRow) -> Self {
        Programme {
            interval_months: r.interval_months.and_then(|m| u32::try_from(m).ok()),
            interval_tenths: r.interval_tenths,
            interval_days: r.interval_days.and_then(|d| u32::try_from(d).ok()),
            overrun_tenths: r.overrun_tenths.unwrap_or(0),
            last_done_on: r.last_done_on,
            basis_tenths: r.basis_tenths,
        }
    }
}

/// The airworthiness of each of `aircraft` on local day `today`.
pub async fn of(
    conn: &mut PgConnection,
    aircraft: &[Uuid],
    today: NaiveDate,
) -> Result<HashMap<Uuid, Airworthiness>, sqlx::Error> {
    Ok(load(conn, aircraft)
        .await?
        .into_iter()
        .map(|(id, facts)| (id, assess(&facts, today)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn each_cause_makes_an_aircraft_unairworthy() {
        let today = d(2026, 6, 10);
        assert!(assess(&Facts::default(), today).airworthy);
        let annual = ItemFacts {
            id: Uuid::nil(),
            name: "Annual".into(),
            programme: Programme {
                interval_months: Some(12),
                last_done_on: Some(d(2025, 5, 20)),
                ..Programme::default()
            },
            current_tenths: 0,
        };
        let a = assess(
            &Facts {
                items: vec![annual.clone()],
                ..Facts::default()
            },
            today,
        );
        assert_eq!(
            (a.airworthy, a.reasons[0].kind),
            (false, GroundingKind::InspectionOverdue)
        );
        // Valid through 31 May 2026, so on 31 May it is still airworthy.
        assert!(
            assess(
                &Facts {
                    items: vec![annual],
                    ..Facts::default()
                },
                d(2026, 5, 31)
            )
            .airworthy
        );
        let squawk = Facts {
            grounding_squawks: vec![(Uuid::nil(), "Flat tyre".into())],
            ..Facts::default()
        };
        assert_eq!(
            assess(&squawk, today).reasons[0].kind,
            GroundingKind::GroundingSquawk
        );
        let mel = Facts {
            deferrals: vec![(Uuid::nil(), "34-11-01".into(), d(2026, 6, 9))],
            ..Facts::default()
        };
        assert_eq!(
            assess(&mel, today).reasons[0].kind,
            GroundingKind::MelExpired
        );
        assert!(assess(&mel, d(2026, 6, 9)).airworthy);
    }
}
