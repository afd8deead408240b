//! The SQL of inspection items: the row (with the aircraft's current meter), its conversion
//! into an item with what is due, and the default names of the kinds.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::super::airworthiness::ProgrammeRow;
use super::super::dto::{Inspection, InspectionKind, Meter};
use super::super::due::{self, Programme, Window};
use crate::error::{AppError, Result};
use crate::kernel::units::hours;

pub(super) const COLUMNS: &str = "i.id, i.aircraft_id, a.registration, i.kind, i.name, i.interval_months, i.interval_tenths,
     i.interval_days, i.meter, i.overrun_tenths, i.last_done_on, i.last_done_tenths, i.basis_tenths, i.notes,
     i.version, i.created_at, i.updated_at,
     case i.meter when 'hobbs' then a.hobbs_tenths else a.tach_tenths end as current_tenths";

#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: Uuid,
    aircraft_id: Uuid,
    registration: String,
    #[sqlx(try_from = "String")]
    kind: InspectionKind,
    name: String,
    interval_months: Option<i32>,
    interval_tenths: Option<i64>,
    interval_days: Option<i32>,
    #[sqlx(try_from = "String")]
    meter: Meter,
    last_done_tenths: Option<i64>,
    notes: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    current_tenths: i64,
    #[sqlx(flatten)]
    programme: ProgrammeRow,
}

pub(super) fn inspection(row: Row, today: NaiveDate) -> Inspection {
    let programme = Programme::from(row.programme);
    let current = row.current_tenths;
    let due = programme.due();
    let status = due::status(&due, today, current, Window::default());
    Inspection {
        id: row.id,
        aircraft_id: row.aircraft_id,
        registration: row.registration,
        kind: row.kind,
        name: row.name,
        interval_months: row.interval_months,
        interval_hours: row.interval_tenths.map(hours),
        interval_days: row.interval_days,
        meter: row.meter,
        overrun_hours: hours(programme.overrun_tenths),
        last_done_on: programme.last_done_on,
        last_done_hours: row.last_done_tenths.map(hours),
        basis_hours: programme.basis_tenths.map(hours),
        next_due_on: due.date,
        next_due_hours: due.tenths.map(hours),
        hours_limit: due.limit_tenths.map(hours),
        current_hours: hours(current),
        days_remaining: due.date.map(|d| (d - today).num_days()),
        hours_remaining: due.tenths.map(|t| hours(t - current)),
        status,
        notes: row.notes,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

pub(super) async fn load(
    conn: &mut PgConnection,
    id: Uuid,
    today: NaiveDate,
    lock: bool,
) -> Result<Inspection> {
    let sql = format!(
        "select {COLUMNS} from inspection_items i join aircraft a on a.id = i.aircraft_id where i.id = $1{}",
        if lock { " for update of i" } else { "" }
    );
    let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(AppError::NotFound("inspection"))?;
    Ok(inspection(row, today))
}

pub(super) fn kind_name(kind: InspectionKind) -> &'static str {
    match kind {
        InspectionKind::Annual => "Annual inspection",
        InspectionKind::HundredHour => "100-hour inspection",
        InspectionKind::PitotStatic => "Pitot-static system check",
        InspectionKind::Transponder => "Transponder check",
        InspectionKind::Elt => "ELT inspection",
        InspectionKind::Custom => "Inspection",
    }
}
