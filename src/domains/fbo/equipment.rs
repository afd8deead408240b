//! `/api/v1/fbo/equipment`: the FBO's ground equipment (tugs, GPUs, fuel trucks, lavatory and
//! water carts, stairs, de-icers) per airport: in or out of service, the hour meter, and
//! maintenance due by date or by hours, whichever comes first, with the maintenance done.
//! Equipment is never deleted: out of service keeps its history and the tasks that used it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    Equipment, EquipmentCreate, EquipmentKind, EquipmentMaintenance, EquipmentMaintenanceCreate,
    EquipmentMaintenancePage, EquipmentPage, EquipmentUpdate,
};
use super::{FBO_MANAGE, FBO_READ, parking};
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::domains::airports::service as airports;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::kernel::units::{merge, wire};

pub struct EquipmentApi;

#[derive(ApiResponse)]
enum Created {
    /// The equipment as stored.
    #[oai(status = 201)]
    Created(Json<Equipment>),
}

#[derive(ApiResponse)]
enum MaintenanceCreated {
    /// The maintenance as recorded.
    #[oai(status = 201)]
    Created(Json<EquipmentMaintenance>),
}

/// Days and hours ahead of which maintenance shows as due soon.
const SOON_DAYS: i64 = 14;
const SOON_HOURS: f64 = 10.0;

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    airport_code: String,
    name: String,
    #[sqlx(try_from = "String")]
    kind: EquipmentKind,
    serial_number: Option<String>,
    in_service: bool,
    out_of_service_reason: Option<String>,
    hours: Option<f64>,
    maintenance_due_on: Option<NaiveDate>,
    maintenance_due_hours: Option<f64>,
    in_use_by_task_id: Option<Uuid>,
    notes: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const SELECT: &str = "select e.id, e.airport_code, e.name, e.kind, e.serial_number,
        e.in_service, e.out_of_service_reason, e.hours::float8 as hours, e.maintenance_due_on,
        e.maintenance_due_hours::float8 as maintenance_due_hours,
        (select t.id from fbo_line_tasks t where t.equipment_id = e.id
            and t.status = 'in_progress') as in_use_by_task_id,
        e.notes, e.version, e.created_at, e.updated_at
   from fbo_equipment e";

/// Whether maintenance is due on `today` (and due within the warning window).
pub(super) fn due(
    today: NaiveDate,
    hours: Option<f64>,
    due_on: Option<NaiveDate>,
    due_hours: Option<f64>,
) -> (bool, bool) {
    let by_date = due_on.map(|d| (d <= today, d <= today + chrono::Days::new(SOON_DAYS as u64)));
    let by_hours = match (hours, due_hours) {
        (Some(h), Some(d)) => Some((h >= d, h + SOON_HOURS >= d)),
        _ => None,
    };
    let now = by_date.is_some_and(|d| d.0) || by_hours.is_some_and(|h| h.0);
    let soon = by_date.is_some_and(|d| d.1) || by_hours.is_some_and(|h| h.1);
    (now, soon)
}

/// Today at each airport of `rows` (UTC for a code the airports domain does not know).
async fn todays(conn: &mut PgConnection, codes: &[&str]) -> Result<HashMap<String, NaiveDate>> {
    let found = airports::by_codes(conn, codes).await?;
    let now = Utc::now();
    Ok(codes
        .iter()
        .map(|c| {
            let tz = found
                .get(*c)
                .and_then(|a| a.time_zone.parse::<Tz>().ok())
                .unwrap_or(Tz::UTC);
            ((*c).to_owned(), now.with_timezone(&tz).date_naive())
        })
        .collect())
}

async fn equipment(conn: &mut PgConnection, rows: Vec<Row>) -> Result<Vec<Equipment>> {
    let mut codes: Vec<&str> = rows.iter().map(|r| r.airport_code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let today = todays(conn, &codes).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let on = today
                .get(&r.airport_code)
                .copied()
                .unwrap_or_else(|| Utc::now().date_naive());
            let (now, soon) = due(on, r.hours, r.maintenance_due_on, r.maintenance_due_hours);
            Equipment {
                id: r.id,
                airport_code: r.airport_code,
                name: r.name,
                kind: r.kind,
                serial_number: r.serial_number,
                in_service: r.in_service,
                out_of_service_reason: r.out_of_service_reason,
                hours: r.hours,
                maintenance_due_on: r.maintenance_due_on,
                maintenance_due_hours: r.maintenance_due_hours,
                maintenance_due: now,
                maintenance_due_soon: soon,
                available: r.in_service && !now,
                in_use_by_task_id: r.in_use_by_task_id,
                notes: r.notes,
                version: r.version,
                created_at: r.created_at,
                updated_at: r.updated_at,
            }
        })
        .collect())
}

/// Equipment `id` as the API shows it; `lock` holds its row for a change.
pub(super) async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Equipment> {
    let sql = if lock {
        // The subquery cannot be locked with the row: lock first, then read.
        sqlx::query("select 1 from fbo_equipment where id = $1 for update")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        format!("{SELECT} where e.id = $1")
    } else {
        format!("{SELECT} where e.id = $1")
    };
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let row = row.ok_or(AppError::NotFound("equipment"))?;
    let mut one = equipment(conn, vec![row]).await?;
    one.pop().ok_or(AppError::NotFound("equipment"))
}

fn audit_change<'a>(
    action: &'a str,
    id: Uuid,
    before: Option<&Equipment>,
    after: &Equipment,
) -> Change<'a> {
    Change {
        action,
        resource_type: "fbo_equipment",
        resource_id: Some(id.to_string()),
        before: before.and_then(audit::snapshot),
        after: audit::snapshot(after),
    }
}

fn unique_violation(e: sqlx::Error) -> AppError {
    match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("23505") => AppError::Conflict {
            code: "conflict",
            detail: "the airport has equipment of that name".into(),
            field: Some("name".into()),
        },
        _ => e.into(),
    }
}

#[OpenApi(prefix_path = "/api/v1/fbo/equipment", tag = "super::Tag::FboLine")]
impl EquipmentApi {
    /// Ground equipment by airport and name, with whether maintenance is due (at the
    /// airport's today, or by the hour meter) and the task using it now. Filters: `airport`,
    /// `kind`, `in_service`, `due=true` (maintenance due or due soon), `available`.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// An airport code as stored (`KTEB`).
        #[oai(validator(max_length = 10))]
        airport: Query<Option<String>>,
        kind: Query<Option<EquipmentKind>>,
        in_service: Query<Option<bool>>,
        due: Query<Option<bool>>,
        available: Query<Option<bool>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<EquipmentPage>> {
        ctx.require(FBO_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        // `due` and `available` depend on each airport's today: decided here, so a page may
        // be shorter than `limit` with a cursor to go on.
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} where ($1::text is null or e.airport_code = upper($1))
                        and ($2::text is null or e.kind = $2)
                        and ($3::bool is null or e.in_service = $3)
                        and ($4::uuid is null or e.id > $4)
              order by e.id limit $5"
        )))
        .bind(&airport.0)
        .bind(kind.0.map(|k| wire(&k)))
        .bind(in_service.0)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        let more = rows.len() as i64 > limit;
        let rows: Vec<Row> = rows.into_iter().take(limit as usize).collect();
        let last = rows.last().map(|r| r.id);
        let items = equipment(&mut tx, rows).await?;
        tx.end_read();
        let next_cursor = more.then(|| last.map(page::encode_id_cursor)).flatten();
        let items = items
            .into_iter()
            .filter(|e| due.0.is_none_or(|d| e.maintenance_due_soon == d))
            .filter(|e| available.0.is_none_or(|a| e.available == a))
            .collect();
        Ok(Json(EquipmentPage { items, next_cursor }))
    }

    /// Add a piece of ground equipment at an airport the FBO serves; its name is unique per
    /// airport (`409 conflict`).
    ///
    /// Permission: `fbo.manage`. Audited as `fbo_equipment.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<EquipmentCreate>) -> Result<Created> {
        let b = body.0;
        if b.name.trim().is_empty() {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(FBO_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let airport = parking::airport_code(&mut tx, "airport_code", &b.airport_code).await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into fbo_equipment (id, airport_code, name, kind, serial_number, hours,
                 maintenance_due_on, maintenance_due_hours, notes)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(&airport)
        .bind(b.name.trim())
        .bind(wire(&b.kind))
        .bind(&b.serial_number)
        .bind(b.hours.map(tenth))
        .bind(b.maintenance_due_on)
        .bind(b.maintenance_due_hours.map(tenth))
        .bind(&b.notes)
        .execute(&mut *tx)
        .await
        .map_err(unique_violation)?;
        let e = load(&mut tx, id, false).await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            audit_change("fbo_equipment.created", id, None, &e),
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(e)))
    }

    /// One piece of equipment.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Equipment>> {
        ctx.require(FBO_READ)?;
        let mut tx = ctx.begin().await?;
        let e = load(&mut tx, id.0, false).await?;
        tx.end_read();
        Ok(Json(e))
    }

    /// Change a piece of equipment: its name, serial number, notes, what is due, a new hour
    /// meter reading (never below the current one: `422`), or take it out of service with a
    /// reason (`409 equipment-in-use` while a task uses it) and bring it back.
    ///
    /// Permission: `fbo.manage`. Audited as `fbo_equipment.updated` with before and after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<EquipmentUpdate>,
    ) -> Result<Json<Equipment>> {
        let b = body.0;
        if b.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(AppError::validation("name", "must not be blank"));
        }
        match (b.in_service, &b.out_of_service_reason) {
            (Some(false), None) => {
                return Err(AppError::validation(
                    "out_of_service_reason",
                    "is required with in_service false",
                ));
            }
            (Some(true) | None, Some(_)) => {
                return Err(AppError::validation(
                    "out_of_service_reason",
                    "is only valid with in_service false",
                ));
            }
            _ => {}
        }
        ctx.require(FBO_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        AppError::check_version("equipment", b.version, before.version)?;
        let mut after = before.clone();
        if let Some(n) = &b.name {
            after.name = n.trim().to_owned();
        }
        merge(&mut after.serial_number, &b.serial_number);
        merge(&mut after.notes, &b.notes);
        merge(&mut after.maintenance_due_on, &b.maintenance_due_on);
        if let MaybeUndefined::Value(h) = b.maintenance_due_hours {
            after.maintenance_due_hours = Some(tenth(h));
        } else if b.maintenance_due_hours.is_null() {
            after.maintenance_due_hours = None;
        }
        if let Some(h) = b.hours {
            let h = tenth(h);
            if before.hours.is_some_and(|now| h < now) {
                return Err(AppError::validation(
                    "hours",
                    format!(
                        "must not be below the current reading ({})",
                        before.hours.unwrap_or_default()
                    ),
                ));
            }
            after.hours = Some(h);
        }
        match b.in_service {
            Some(false) => {
                if let Some(task) = before.in_use_by_task_id {
                    return Err(AppError::Conflict {
                        code: "equipment-in-use",
                        detail: format!("{} is in use by line task {task}", before.name),
                        field: Some("in_service".into()),
                    });
                }
                after.in_service = false;
                after.out_of_service_reason = b.out_of_service_reason.clone();
            }
            Some(true) => {
                after.in_service = true;
                after.out_of_service_reason = None;
            }
            None => {}
        }
        sqlx::query(
            "update fbo_equipment set name = $2, serial_number = $3, notes = $4,
                 maintenance_due_on = $5, maintenance_due_hours = $6, hours = $7,
                 in_service = $8, out_of_service_reason = $9, version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(&after.name)
        .bind(&after.serial_number)
        .bind(&after.notes)
        .bind(after.maintenance_due_on)
        .bind(after.maintenance_due_hours)
        .bind(after.hours)
        .bind(after.in_service)
        .bind(&after.out_of_service_reason)
        .execute(&mut *tx)
        .await
        .map_err(unique_violation)?;
        let after = load(&mut tx, id.0, false).await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            audit_change("fbo_equipment.updated", id.0, Some(&before), &after),
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Record maintenance done (not after the airport's today) and set when it is next due:
    /// `next_due_on` after `done_on`, `next_due_hours` above the hours then; either left out
    /// clears that limit. The hours then become the meter reading if higher.
    ///
    /// Permission: `fbo.manage`. Audited as `fbo_equipment.maintained`.
    #[oai(path = "/:id/maintenance", method = "post")]
    async fn maintain(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<EquipmentMaintenanceCreate>,
    ) -> Result<MaintenanceCreated> {
        let b = body.0;
        if b.description.trim().is_empty() {
            return Err(AppError::validation("description", "must not be blank"));
        }
        if b.next_due_on.is_some_and(|n| n <= b.done_on) {
            return Err(AppError::validation("next_due_on", "must be after done_on"));
        }
        if let (Some(h), Some(n)) = (b.hours, b.next_due_hours)
            && n <= h
        {
            return Err(AppError::validation(
                "next_due_hours",
                "must be after hours",
            ));
        }
        ctx.require(FBO_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        let today = todays(&mut tx, &[before.airport_code.as_str()])
            .await?
            .remove(&before.airport_code)
            .unwrap_or_else(|| Utc::now().date_naive());
        if b.done_on > today {
            return Err(AppError::validation("done_on", "must not be in the future"));
        }
        let row: (Uuid, DateTime<Utc>) = sqlx::query_as(
            "insert into fbo_equipment_maintenance (id, equipment_id, done_on, hours,
                 description, recorded_by)
             values ($1, $2, $3, $4, $5, $6) returning id, created_at",
        )
        .bind(Uuid::now_v7())
        .bind(id.0)
        .bind(b.done_on)
        .bind(b.hours.map(tenth))
        .bind(b.description.trim())
        .bind(ctx.user_id.0)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "update fbo_equipment set maintenance_due_on = $2, maintenance_due_hours = $3,
                 hours = greatest(hours, $4), version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(b.next_due_on)
        .bind(b.next_due_hours.map(tenth))
        .bind(b.hours.map(tenth))
        .execute(&mut *tx)
        .await?;
        let done = EquipmentMaintenance {
            id: row.0,
            equipment_id: id.0,
            done_on: b.done_on,
            hours: b.hours.map(tenth),
            description: b.description.trim().to_owned(),
            recorded_by: Some(ctx.user_id.0),
            created_at: row.1,
        };
        let after = load(&mut tx, id.0, false).await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            audit_change("fbo_equipment.maintained", id.0, Some(&before), &after),
        )
        .await?;
        tx.commit().await?;
        Ok(MaintenanceCreated::Created(Json(done)))
    }

    /// The maintenance done on a piece of equipment, latest first (at most 500).
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/:id/maintenance", method = "get")]
    async fn maintenance(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
    ) -> Result<Json<EquipmentMaintenancePage>> {
        ctx.require(FBO_READ)?;
        let mut tx = ctx.begin().await?;
        load(&mut tx, id.0, false).await?;
        #[derive(sqlx::FromRow)]
        struct Done {
            id: Uuid,
            done_on: NaiveDate,
            hours: Option<f64>,
            description: String,
            recorded_by: Option<Uuid>,
            created_at: DateTime<Utc>,
        }
        let rows: Vec<Done> = sqlx::query_as(
            "select id, done_on, hours::float8 as hours, description, recorded_by, created_at
               from fbo_equipment_maintenance where equipment_id = $1
              order by done_on desc, id desc limit 500",
        )
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        Ok(Json(EquipmentMaintenancePage {
            items: rows
                .into_iter()
                .map(|d| EquipmentMaintenance {
                    id: d.id,
                    equipment_id: id.0,
                    done_on: d.done_on,
                    hours: d.hours,
                    description: d.description,
                    recorded_by: d.recorded_by,
                    created_at: d.created_at,
                })
                .collect(),
        }))
    }
}

/// A figure to a tenth, as stored.
fn tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn maintenance_is_due_by_date_or_hours_whichever_comes_first() {
        let today = d(2026, 12, 7);
        assert_eq!(due(today, None, None, None), (false, false));
        assert_eq!(due(today, None, Some(d(2026, 12, 7)), None), (true, true));
        assert_eq!(due(today, None, Some(d(2026, 12, 8)), None), (false, true));
        assert_eq!(due(today, None, Some(d(2026, 12, 21)), None), (false, true));
        assert_eq!(
            due(today, None, Some(d(2026, 12, 22)), None),
            (false, false)
        );
        assert_eq!(due(today, Some(500.0), None, Some(500.0)), (true, true));
        assert_eq!(due(today, Some(490.0), None, Some(500.0)), (false, true));
        assert_eq!(due(today, Some(489.9), None, Some(500.0)), (false, false));
        // Hours due without a meter reading cannot be judged.
        assert_eq!(due(today, None, None, Some(500.0)), (false, false));
        assert_eq!(
            due(today, Some(100.0), Some(d(2027, 6, 1)), Some(100.0)),
            (true, true)
        );
    }
}
