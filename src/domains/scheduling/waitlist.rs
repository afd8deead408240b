//! `/api/v1/scheduling/waitlist`: waiting for a taken slot of one resource. When a booking that
//! held it is cancelled or moved away and the slot is free, the entry becomes `notified` and an
//! e-mail is queued in the same transaction ([`notify`]).

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{WaitlistCreate, WaitlistEntry, WaitlistPage, WaitlistStatus};
use crate::audit;
use crate::auth::TenantCtx;
use crate::domains::scheduling::dto::Booking;
use crate::error::{AppError, Checks, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::mail::{self, Email};
use crate::tenancy::TenantTx;
use crate::timezone::TenantClock;
use chrono::{DateTime, Utc};

const COLUMNS: &str = "id, user_id, aircraft_id, instructor_id, simulator_id, starts_at, ends_at, status, notified_at,
     note, created_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    user_id: Uuid,
    aircraft_id: Option<Uuid>,
    instructor_id: Option<Uuid>,
    simulator_id: Option<Uuid>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    status: WaitlistStatus,
    notified_at: Option<DateTime<Utc>>,
    note: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<Row> for WaitlistEntry {
    fn from(r: Row) -> Self {
        WaitlistEntry {
            id: r.id,
            user_id: r.user_id,
            aircraft_id: r.aircraft_id,
            instructor_id: r.instructor_id,
            simulator_id: r.simulator_id,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            status: r.status,
            notified_at: r.notified_at,
            note: r.note,
            created_at: r.created_at,
        }
    }
}

#[derive(ApiResponse)]
enum WaitlistCreated {
    #[oai(status = 201)]
    Created(Json<WaitlistEntry>),
}

pub struct WaitlistApi;

#[OpenApi(
    prefix_path = "/api/v1/scheduling/waitlist",
    tag = "super::Tag::Scheduling"
)]
impl WaitlistApi {
    /// Waitlist entries, newest first: the caller's own, or everyone's with
    /// `scheduling.manage`. Filter: `status`.
    ///
    /// Permission: `scheduling.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        status: Query<Option<String>>,
    ) -> Result<Json<WaitlistPage>> {
        let p = &ctx;
        p.require(super::SCHEDULING_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = p.begin().await?;
        let sql = format!(
            "select {COLUMNS} from waitlist_entries
              where ($1::uuid is null or id < $1) and ($2::uuid is null or user_id = $2)
                and ($3::text is null or status = $3)
              order by id desc limit $4"
        );
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind((!p.has(super::SCHEDULING_MANAGE)).then_some(p.user_id))
            .bind(status.0)
            .bind(limit + 1)
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let list = rows
            .into_iter()
            .map(WaitlistEntry::from)
            .collect::<Vec<_>>();
        let (items, next_cursor) = page::finish(list, limit, |e| e.id);
        Ok(Json(WaitlistPage { items, next_cursor }))
    }

    /// Wait for a slot of one aircraft, instructor or simulator.
    ///
    /// Permission: `scheduling.book`. Audited as `waitlist.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<WaitlistCreate>,
    ) -> Result<WaitlistCreated> {
        let p = &ctx;
        p.require(super::SCHEDULING_BOOK)?;
        let mut c = Checks::new();
        c.check(
            body.ends_at > body.starts_at,
            "ends_at",
            "must be after starts_at",
        );
        let n = [body.aircraft_id, body.instructor_id, body.simulator_id]
            .iter()
            .filter(|r| r.is_some())
            .count();
        c.check(
            n == 1,
            "aircraft_id",
            "exactly one of aircraft_id, instructor_id, simulator_id",
        );
        c.done()?;
        let mut tx = p.begin().await?;
        let sql = format!(
            "insert into waitlist_entries (id, user_id, aircraft_id, instructor_id, simulator_id, starts_at, ends_at, note)
             values ($1, $2, $3, $4, $5, $6, $7, $8) returning {COLUMNS}"
        );
        let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(p.user_id)
            .bind(body.aircraft_id)
            .bind(body.instructor_id)
            .bind(body.simulator_id)
            .bind(body.starts_at)
            .bind(body.ends_at)
            .bind(&body.note)
            .fetch_one(&mut *tx)
            .await?;
        let e = WaitlistEntry::from(row);
        audit::created(
            &mut tx,
            p.into(),
            "waitlist.created",
            "waitlist_entry",
            e.id,
            &e,
        )
        .await?;
        tx.commit().await?;
        Ok(WaitlistCreated::Created(Json(e)))
    }

    /// Leave the waitlist.
    ///
    /// Permission: `scheduling.book` for one's own entries, `scheduling.manage` for any.
    /// Audited as `waitlist.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        let p = &ctx;
        p.require(super::SCHEDULING_BOOK)?;
        let mut tx = p.begin().await?;
        let sql = format!(
            "select {COLUMNS} from waitlist_entries where id = $1 and ($2::uuid is null or user_id = $2) for update"
        );
        let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .bind((!p.has(super::SCHEDULING_MANAGE)).then_some(p.user_id))
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound("waitlist entry"))?;
        let before = WaitlistEntry::from(row);
        audit::delete_recorded(
            &mut tx,
            p.into(),
            "waitlist_entries",
            "waitlist.deleted",
            "waitlist_entry",
            before.id,
            &before,
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A waiting entry that [`notify`] marked notified, with whom to tell and about what.
#[derive(sqlx::FromRow)]
struct NotifyRow {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    email: Option<String>,
    name: Option<String>,
    resource: Option<String>,
}

/// After `freed` gave up its slot (cancelled or moved): every waiting entry for one of its
/// resources that overlaps the old slot and is now entirely free is marked notified, and its
/// e-mail is queued in the same transaction (sent if and only if the change commits).
#[tracing::instrument(skip_all, fields(booking.id = %freed.id))]
pub async fn notify(tx: &mut TenantTx, freed: &Booking) -> Result<usize> {
    let rows = sqlx::query_as::<_, NotifyRow>(
        "update waitlist_entries w set status = 'notified', notified_at = now()
          where w.status = 'waiting' and w.ends_at > now()
            and tstzrange(w.starts_at, w.ends_at) && tstzrange($1, $2)
            and (w.aircraft_id = $3 or w.instructor_id = $4 or w.simulator_id = $5)
            and not exists (
                select 1 from bookings b
                 where b.status <> 'cancelled' and tstzrange(b.starts_at, b.ends_at) && tstzrange(w.starts_at, w.ends_at)
                   and (b.aircraft_id = w.aircraft_id or b.instructor_id = w.instructor_id
                        or b.simulator_id = w.simulator_id))
          returning w.starts_at, w.ends_at,
                    (select email from users u where u.id = w.user_id) as email,
                    (select name from users u where u.id = w.user_id) as name,
                    coalesce((select registration from aircraft a where a.id = w.aircraft_id),
                             (select name from users u where u.id = w.instructor_id),
                             (select name from simulators s where s.id = w.simulator_id)) as resource",
    )
    .bind(freed.starts_at)
    .bind(freed.ends_at)
    .bind(freed.aircraft_id)
    .bind(freed.instructor_id)
    .bind(freed.simulator_id)
    .fetch_all(&mut **tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let clock = TenantClock::load(tx).await?;
    let fmt = |t: DateTime<Utc>| {
        t.with_timezone(&clock.tz)
            .format("%a %-d %b %Y %H:%M")
            .to_string()
    };
    let mut sent = 0;
    for row in rows {
        let (Some(to), Some(name)) = (row.email, row.name) else {
            continue;
        };
        let resource: String = row.resource.unwrap_or_default();
        let (from, until) = (fmt(row.starts_at), fmt(row.ends_at));
        let text = format!(
            "Hello {name},\n\nThe slot you are waiting for is free: {resource}, {from} to {until} ({}).\n\
             Book it before someone else does.\n\n-- Flightline\n",
            clock.name()
        );
        let html = format!(
            "<!doctype html><html><body style=\"font-family:sans-serif\"><p>Hello {},</p>\
             <p>The slot you are waiting for is free: <b>{}</b>, {} to {} ({}).</p>\
             <p>Book it before someone else does.</p><p>&mdash; Flightline</p></body></html>",
            escape(&name),
            escape(&resource),
            escape(&from),
            escape(&until),
            clock.name()
        );
        mail::enqueue(
            tx,
            &Email {
                to,
                subject: format!("A slot is free: {resource}, {from}"),
                text,
                html,
            },
        )
        .await?;
        sent += 1;
    }
    Ok(sent)
}
