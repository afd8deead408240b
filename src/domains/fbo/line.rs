//! `/api/v1/fbo/line-tasks`: the line schedule. A task is a service for a visiting flight
//! (a tow, ground power, lavatory, potable water, a hangar move) at a spot or gate, with the
//! equipment that does it and the member of the line who does it, from scheduled through in
//! progress to done. Equipment must suit the task and be available (in service, maintenance not
//! due); one piece serves one task at a time (a partial unique index, `409 equipment-busy`).

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    EquipmentKind, LineTask, LineTaskCancel, LineTaskCreate, LineTaskKind, LineTaskPage,
    LineTaskProgress, LineTaskStatus, LineTaskStep, LineTaskSummary, LineTaskUpdate, VisitStatus,
};
use super::{FBO_FLIGHTS, FBO_FUEL, FBO_MANAGE, FBO_READ, equipment, fuel, training};
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::kernel::units::{merge, wire};

pub struct LineApi;

#[derive(ApiResponse)]
enum Created {
    /// The task as stored.
    #[oai(status = 201)]
    Created(Json<LineTask>),
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    flight_id: Uuid,
    tail_number: String,
    airport_code: String,
    #[sqlx(try_from = "String")]
    kind: LineTaskKind,
    scheduled_for: DateTime<Utc>,
    location_id: Option<Uuid>,
    location_code: Option<String>,
    equipment_id: Option<Uuid>,
    equipment_name: Option<String>,
    assignee_id: Option<Uuid>,
    assignee_name: Option<String>,
    #[sqlx(try_from = "String")]
    status: LineTaskStatus,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    notes: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for LineTask {
    fn from(r: Row) -> Self {
        LineTask {
            id: r.id,
            flight_id: r.flight_id,
            tail_number: r.tail_number,
            airport_code: r.airport_code,
            kind: r.kind,
            scheduled_for: r.scheduled_for,
            location_id: r.location_id,
            location_code: r.location_code,
            equipment_id: r.equipment_id,
            equipment_name: r.equipment_name,
            assignee_id: r.assignee_id,
            assignee_name: r.assignee_name,
            status: r.status,
            started_at: r.started_at,
            completed_at: r.completed_at,
            cancelled_at: r.cancelled_at,
            cancel_reason: r.cancel_reason,
            notes: r.notes,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const SELECT: &str = "select t.id, t.flight_id, f.tail_number, f.airport_code, t.kind,
        t.scheduled_for, t.location_id, l.location_code, t.equipment_id,
        e.name as equipment_name, t.assignee_id, u.name as assignee_name, t.status,
        t.started_at, t.completed_at, t.cancelled_at, t.cancel_reason, t.notes, t.version,
        t.created_at, t.updated_at
   from fbo_line_tasks t join fbo_flights f on f.id = t.flight_id
   left join fbo_parking_locations l on l.id = t.location_id
   left join fbo_equipment e on e.id = t.equipment_id
   left join users u on u.id = t.assignee_id";

async fn load(conn: &mut PgConnection, id: Uuid) -> Result<LineTask> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} where t.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(Into::into).ok_or(AppError::NotFound("line task"))
}

async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<LineTask> {
    let found: Option<Uuid> =
        sqlx::query_scalar("select id from fbo_line_tasks where id = $1 for update")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    found.ok_or(AppError::NotFound("line task"))?;
    load(conn, id).await
}

struct SummaryRow {
    id: Uuid,
    flight_id: Uuid,
    kind: LineTaskKind,
    scheduled_for: DateTime<Utc>,
    status: LineTaskStatus,
    location_code: Option<String>,
    equipment_id: Option<Uuid>,
    equipment_name: Option<String>,
    assignee_id: Option<Uuid>,
    assignee_name: Option<String>,
}

from_row_by_position!(SummaryRow {
    id, flight_id, kind as String, scheduled_for, status as String, location_code,
    equipment_id, equipment_name, assignee_id, assignee_name,
});

/// The line tasks of `flights` at a glance, by scheduled time, each with its flight's id: for
/// the board and the flight (one statement).
pub(super) async fn of_flights(
    conn: &mut PgConnection,
    flights: &[Uuid],
) -> Result<Vec<(Uuid, LineTaskSummary)>> {
    if flights.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "select t.id, t.flight_id, t.kind, t.scheduled_for, t.status, l.location_code,
                t.equipment_id, e.name as equipment_name, t.assignee_id, u.name as assignee_name
           from fbo_line_tasks t
           left join fbo_parking_locations l on l.id = t.location_id
           left join fbo_equipment e on e.id = t.equipment_id
           left join users u on u.id = t.assignee_id
          where t.flight_id = any($1) order by t.scheduled_for, t.id",
    )
    .bind(flights)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.flight_id,
                LineTaskSummary {
                    id: r.id,
                    kind: r.kind,
                    scheduled_for: r.scheduled_for,
                    status: r.status,
                    location_code: r.location_code,
                    equipment_id: r.equipment_id,
                    equipment_name: r.equipment_name,
                    assignee_id: r.assignee_id,
                    assignee_name: r.assignee_name,
                },
            )
        })
        .collect())
}

/// The equipment a task of `kind` needs.
fn suits(kind: LineTaskKind) -> EquipmentKind {
    match kind {
        LineTaskKind::Tow | LineTaskKind::HangarMove => EquipmentKind::Tug,
        LineTaskKind::Gpu => EquipmentKind::Gpu,
        LineTaskKind::Lavatory => EquipmentKind::LavatoryCart,
        LineTaskKind::PotableWater => EquipmentKind::WaterCart,
    }
}

/// The flight's airport, refusing a closed flight (`409 flight-closed`) or an unknown one.
async fn open_flight(conn: &mut PgConnection, id: Uuid) -> Result<String> {
    let row: Option<(String, String)> =
        sqlx::query_as("select airport_code, status from fbo_flights where id = $1 for share")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    let (airport, status) = row.ok_or_else(|| {
        AppError::validation("flight_id", "names no visiting flight of this organisation")
    })?;
    let status =
        VisitStatus::try_from(status).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    if matches!(status, VisitStatus::Departed | VisitStatus::Cancelled) {
        return Err(AppError::Conflict {
            code: "flight-closed",
            detail: format!("the flight is {}", wire(&status)),
            field: Some("flight_id".into()),
        });
    }
    Ok(airport)
}

/// Checks what a task names: an active spot of the airport, equipment of the airport that suits
/// the task and is available, a member of the line.
async fn check_refs(
    conn: &mut PgConnection,
    airport: &str,
    kind: LineTaskKind,
    location: Option<Uuid>,
    equipment_id: Option<Uuid>,
    assignee: Option<Uuid>,
) -> Result<()> {
    if let Some(l) = location {
        let ok: bool = sqlx::query_scalar(
            "select exists (select 1 from fbo_parking_locations
                             where id = $1 and airport_code = $2 and active)",
        )
        .bind(l)
        .bind(airport)
        .fetch_one(&mut *conn)
        .await?;
        if !ok {
            return Err(AppError::validation(
                "location_id",
                "names no active parking location of the flight's airport",
            ));
        }
    }
    if let Some(e) = equipment_id {
        let found = match equipment::load(conn, e, false).await {
            Err(AppError::NotFound(_)) => {
                return Err(AppError::validation(
                    "equipment_id",
                    "names no equipment of this organisation",
                ));
            }
            other => other?,
        };
        let needed = suits(kind);
        let problem = if found.airport_code != airport {
            Some(format!(
                "is at {}, not at the flight's airport {airport}",
                found.airport_code
            ))
        } else if found.kind != needed {
            Some(format!(
                "is a {}, and a {} task needs a {}",
                wire(&found.kind),
                wire(&kind),
                wire(&needed)
            ))
        } else if !found.in_service {
            Some("is out of service".to_owned())
        } else if found.maintenance_due {
            Some("is due for maintenance".to_owned())
        } else {
            None
        };
        if let Some(p) = problem {
            return Err(AppError::validation("equipment_id", p));
        }
    }
    if let Some(a) = assignee
        && !training::is_line_staff(conn, a).await?
    {
        return Err(AppError::validation(
            "assignee_id",
            "names no active user whose roles grant fbo.fuel",
        ));
    }
    Ok(())
}

fn closed(t: &LineTask) -> Result<()> {
    if matches!(t.status, LineTaskStatus::Done | LineTaskStatus::Cancelled) {
        return Err(AppError::Conflict {
            code: "line-task-closed",
            detail: format!("the task is {}", wire(&t.status)),
            field: None,
        });
    }
    Ok(())
}

async fn audited(
    conn: &mut PgConnection,
    ctx: &TenantCtx,
    action: &str,
    before: Option<&LineTask>,
    after: &LineTask,
) -> Result<()> {
    audit::record(
        conn,
        ctx.into(),
        Change {
            action,
            resource_type: "fbo_line_task",
            resource_id: Some(after.id.to_string()),
            before: before.and_then(audit::snapshot),
            after: audit::snapshot(after),
        },
    )
    .await?;
    Ok(())
}

#[OpenApi(prefix_path = "/api/v1/fbo/line-tasks", tag = "super::Tag::FboLine")]
impl LineApi {
    /// The line schedule by scheduled time. Filters: `flight_id`, `status`, `active=true`
    /// (scheduled or in progress), `assignee_id`, `equipment_id`, `airport`, and `from`/`to` on
    /// the scheduled time.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        ctx: TenantCtx,
        flight_id: Query<Option<Uuid>>,
        status: Query<Option<LineTaskStatus>>,
        active: Query<Option<bool>>,
        assignee_id: Query<Option<Uuid>>,
        equipment_id: Query<Option<Uuid>>,
        /// An airport code as stored (`KTEB`).
        #[oai(validator(max_length = 10))]
        airport: Query<Option<String>>,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<LineTaskPage>> {
        ctx.require(FBO_READ)?;
        let limit = limit.0.get();
        let after = page::decode_time_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT}
              where ($1::uuid is null or t.flight_id = $1)
                and ($2::text is null or t.status = $2)
                and ($3::bool is null or (t.status in ('scheduled', 'in_progress')) = $3)
                and ($4::uuid is null or t.assignee_id = $4)
                and ($5::uuid is null or t.equipment_id = $5)
                and ($6::text is null or f.airport_code = upper($6))
                and ($7::timestamptz is null or t.scheduled_for >= $7)
                and ($8::timestamptz is null or t.scheduled_for < $8)
                and ($9::timestamptz is null or (t.scheduled_for, t.id) > ($9, $10::uuid))
              order by t.scheduled_for, t.id limit $11"
        )))
        .bind(flight_id.0)
        .bind(status.0.map(|s| wire(&s)))
        .bind(active.0)
        .bind(assignee_id.0)
        .bind(equipment_id.0)
        .bind(&airport.0)
        .bind(from.0)
        .bind(to.0)
        .bind(after.map(|(at, _)| at))
        .bind(after.map(|(_, id)| id))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let items: Vec<LineTask> = rows.into_iter().map(Into::into).collect();
        let (items, next_cursor) =
            page::finish_by_time(items, limit, |t: &LineTask| (t.scheduled_for, t.id));
        Ok(Json(LineTaskPage { items, next_cursor }))
    }

    /// Schedule a task for an open visiting flight, optionally at a spot or gate of its
    /// airport, with equipment that suits it (a tug for a tow or a hangar move, a GPU, a
    /// lavatory cart, a water cart) and is available, and a member of the line (a user whose
    /// roles grant `fbo.fuel`). Each is `422` naming the field when it does not fit.
    ///
    /// Permission: `fbo.flights`. Audited as `fbo_line_task.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<LineTaskCreate>) -> Result<Created> {
        let b = body.0;
        ctx.require(FBO_FLIGHTS)?;
        let mut tx = ctx.begin().await?;
        let airport = open_flight(&mut tx, b.flight_id).await?;
        check_refs(
            &mut tx,
            &airport,
            b.kind,
            b.location_id,
            b.equipment_id,
            b.assignee_id,
        )
        .await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into fbo_line_tasks (id, flight_id, kind, scheduled_for, location_id,
                 equipment_id, assignee_id, notes, created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(b.flight_id)
        .bind(wire(&b.kind))
        .bind(b.scheduled_for.unwrap_or_else(Utc::now))
        .bind(b.location_id)
        .bind(b.equipment_id)
        .bind(b.assignee_id)
        .bind(&b.notes)
        .bind(ctx.user_id.0)
        .execute(&mut *tx)
        .await?;
        let t = load(&mut tx, id).await?;
        audited(&mut tx, &ctx, "fbo_line_task.created", None, &t).await?;
        tx.commit().await?;
        Ok(Created::Created(Json(t)))
    }

    /// One line task.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<LineTask>> {
        ctx.require(FBO_READ)?;
        let mut tx = ctx.begin().await?;
        let t = load(&mut tx, id.0).await?;
        tx.end_read();
        Ok(Json(t))
    }

    /// Reschedule a task or change its spot, equipment, assignee or notes while it is
    /// scheduled (`409 line-task-started` once in progress, `409 line-task-closed` once done
    /// or cancelled); what it names is checked as on creation.
    ///
    /// Permission: `fbo.flights`. Audited as `fbo_line_task.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<LineTaskUpdate>,
    ) -> Result<Json<LineTask>> {
        let b = body.0;
        ctx.require(FBO_FLIGHTS)?;
        let mut tx = ctx.begin().await?;
        let before = lock(&mut tx, id.0).await?;
        AppError::check_version("line task", b.version, before.version)?;
        closed(&before)?;
        if before.status == LineTaskStatus::InProgress {
            return Err(AppError::Conflict {
                code: "line-task-started",
                detail: "the task is in progress".into(),
                field: None,
            });
        }
        let mut after = before.clone();
        if let Some(s) = b.scheduled_for {
            after.scheduled_for = s;
        }
        merge(&mut after.location_id, &b.location_id);
        merge(&mut after.equipment_id, &b.equipment_id);
        merge(&mut after.assignee_id, &b.assignee_id);
        merge(&mut after.notes, &b.notes);
        check_refs(
            &mut tx,
            &before.airport_code,
            before.kind,
            after.location_id.filter(|l| Some(*l) != before.location_id),
            after
                .equipment_id
                .filter(|e| Some(*e) != before.equipment_id),
            after.assignee_id.filter(|a| Some(*a) != before.assignee_id),
        )
        .await?;
        sqlx::query(
            "update fbo_line_tasks set scheduled_for = $2, location_id = $3, equipment_id = $4,
                 assignee_id = $5, notes = $6, version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(after.scheduled_for)
        .bind(after.location_id)
        .bind(after.equipment_id)
        .bind(after.assignee_id)
        .bind(&after.notes)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0).await?;
        audited(
            &mut tx,
            &ctx,
            "fbo_line_task.updated",
            Some(&before),
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Start (`in_progress`) or finish (`done`) a task, forward only (`409
    /// invalid-transition`). Reported by its assignee or a holder of `fbo.manage` (`403`); a
    /// task without an assignee is taken by whoever starts it. Starting needs its equipment
    /// available and free: one piece serves one task at a time (`409 equipment-busy` naming
    /// the task that holds it).
    ///
    /// Permission: `fbo.fuel`. Audited as `fbo_line_task.started` or `fbo_line_task.done`.
    #[oai(path = "/:id/progress", method = "post")]
    async fn progress(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<LineTaskProgress>,
    ) -> Result<Json<LineTask>> {
        let at = fuel::when(body.0.at)?;
        ctx.require(FBO_FUEL)?;
        let mut tx = ctx.begin().await?;
        let before = lock(&mut tx, id.0).await?;
        closed(&before)?;
        if before.assignee_id.is_some_and(|a| a != ctx.user_id.0) && !ctx.has(FBO_MANAGE) {
            return Err(AppError::Forbidden(
                "only the task's assignee, or a user with `fbo.manage`, reports progress".into(),
            ));
        }
        let (next, action) = match (before.status, body.0.status) {
            (LineTaskStatus::Scheduled, LineTaskStep::InProgress) => {
                (LineTaskStatus::InProgress, "fbo_line_task.started")
            }
            (LineTaskStatus::Scheduled | LineTaskStatus::InProgress, LineTaskStep::Done) => {
                (LineTaskStatus::Done, "fbo_line_task.done")
            }
            (from, to) => {
                return Err(AppError::Conflict {
                    code: "invalid-transition",
                    detail: format!("a {} task cannot go to {}", wire(&from), wire(&to)),
                    field: Some("status".into()),
                });
            }
        };
        let started = before.started_at.unwrap_or(at);
        if at < started {
            return Err(AppError::validation("at", "must not be before started_at"));
        }
        if before.status == LineTaskStatus::Scheduled
            && let Some(e) = before.equipment_id
        {
            let eq = equipment::load(&mut tx, e, true).await?;
            if let Some(holder) = eq.in_use_by_task_id.filter(|h| *h != before.id) {
                return Err(AppError::Conflict {
                    code: "equipment-busy",
                    detail: format!("{} is in use by line task {holder}", eq.name),
                    field: Some("equipment_id".into()),
                });
            }
            if !eq.available {
                return Err(AppError::Conflict {
                    code: "equipment-unavailable",
                    detail: format!(
                        "{} is {}",
                        eq.name,
                        if eq.in_service {
                            "due for maintenance"
                        } else {
                            "out of service"
                        }
                    ),
                    field: Some("equipment_id".into()),
                });
            }
        }
        sqlx::query(
            "update fbo_line_tasks set status = $2, started_at = $3,
                 completed_at = case when $2 = 'done' then $4 end,
                 assignee_id = coalesce(assignee_id, $5), version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(wire(&next))
        .bind(started)
        .bind(at)
        .bind(ctx.user_id.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.code().as_deref() == Some("23505") => {
                AppError::Conflict {
                    code: "equipment-busy",
                    detail: "the equipment is in use by another line task".into(),
                    field: Some("equipment_id".into()),
                }
            }
            _ => e.into(),
        })?;
        let after = load(&mut tx, id.0).await?;
        audited(&mut tx, &ctx, action, Some(&before), &after).await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Cancel a task that is not done, with a reason (its equipment is free again).
    ///
    /// Permission: `fbo.flights`. Audited as `fbo_line_task.cancelled`.
    #[oai(path = "/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<LineTaskCancel>,
    ) -> Result<Json<LineTask>> {
        let reason = body.0.reason.trim().to_owned();
        if reason.is_empty() {
            return Err(AppError::validation("reason", "must not be blank"));
        }
        ctx.require(FBO_FLIGHTS)?;
        let mut tx = ctx.begin().await?;
        let before = lock(&mut tx, id.0).await?;
        closed(&before)?;
        sqlx::query(
            "update fbo_line_tasks set status = 'cancelled', cancelled_at = now(),
                 cancel_reason = $2, version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0).await?;
        audited(
            &mut tx,
            &ctx,
            "fbo_line_task.cancelled",
            Some(&before),
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
