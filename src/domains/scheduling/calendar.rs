//! `/api/v1/scheduling/calendar`: calendar views by resource (aircraft, instructors,
//! simulators) or by user, over local days of the tenant's time zone (a day or a week).
//! Two statements: the resources, then every booking of the period.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, OpenApi};
use uuid::Uuid;

use super::api::owner_scope;
use super::dto::{
    BookingKind, BookingStatus, Calendar, CalendarEntry, CalendarResource, CalendarRow,
};
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::timezone::TenantClock;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum ResourceType {
    Aircraft,
    Instructor,
    Simulator,
}

/// A resource of the calendar (one row each).
#[derive(sqlx::FromRow)]
struct ResourceRow {
    #[sqlx(try_from = "String")]
    kind: CalendarResource,
    id: Uuid,
    label: String,
}

/// A booking of the period, as the calendar shows it.
#[derive(sqlx::FromRow)]
struct EntryRow {
    id: Uuid,
    #[sqlx(try_from = "String")]
    kind: BookingKind,
    #[sqlx(try_from = "String")]
    status: BookingStatus,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    aircraft_id: Option<Uuid>,
    instructor_id: Option<Uuid>,
    simulator_id: Option<Uuid>,
    pilot_id: Option<Uuid>,
    title: Option<String>,
}

impl From<EntryRow> for CalendarEntry {
    fn from(r: EntryRow) -> Self {
        CalendarEntry {
            id: r.id,
            kind: r.kind,
            status: r.status,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            aircraft_id: r.aircraft_id,
            instructor_id: r.instructor_id,
            simulator_id: r.simulator_id,
            pilot_id: r.pilot_id,
            title: r.title,
        }
    }
}

pub struct CalendarApi;

#[OpenApi(
    prefix_path = "/api/v1/scheduling/calendar",
    tag = "super::Tag::Scheduling"
)]
impl CalendarApi {
    /// A calendar of `days` local days (1..=31, default 7) from `start` (default today, tenant
    /// time zone). By resource: one row per active aircraft (by registration), instructor (a
    /// user with the `instructor` role) and simulator, or only `resource_type` (and
    /// `resource_id`). By user: `user_id` gives one row with the bookings that user flies or
    /// teaches. Cancelled bookings are left out.
    ///
    /// Permission: `scheduling.read`; without `scheduling.manage` (and with
    /// `own_bookings_only` on) other people's bookings show as busy time only.
    #[oai(path = "/", method = "get")]
    async fn get(
        &self,
        ctx: TenantCtx,
        start: Query<Option<NaiveDate>>,
        /// 1..=31 (default 7).
        #[oai(validator(minimum(value = "1"), maximum(value = "31")))]
        days: Query<Option<i32>>,
        resource_type: Query<Option<ResourceType>>,
        resource_id: Query<Option<Uuid>>,
        user_id: Query<Option<Uuid>>,
    ) -> Result<Json<Calendar>> {
        let p = &ctx;
        p.require(super::SCHEDULING_READ)?;
        let days = days.0.unwrap_or(7);
        if !(1..=31).contains(&days) {
            return Err(AppError::validation("days", "must be between 1 and 31"));
        }
        let mut tx = p.begin().await?;
        let clock = TenantClock::load(&mut tx).await?;
        let start = start.0.unwrap_or_else(|| clock.today());
        let (from, to) = clock.days(start, days.unsigned_abs().into());
        let owner = owner_scope(&mut tx, p).await?;
        let mut rows: Vec<CalendarRow> = Vec::new();
        if let Some(user) = user_id.0 {
            let name: Option<String> = sqlx::query_scalar("select name from users where id = $1")
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?;
            rows.push(CalendarRow {
                resource_type: CalendarResource::User,
                resource_id: user,
                label: name.ok_or(AppError::NotFound("user"))?,
                bookings: Vec::new(),
            });
        } else {
            let kind = resource_type.0.map(|r| match r {
                ResourceType::Aircraft => "aircraft",
                ResourceType::Instructor => "instructor",
                ResourceType::Simulator => "simulator",
            });
            let resources = sqlx::query_as::<_, ResourceRow>(
                "select * from (
                     select 'aircraft' as kind, id, registration as label, 1 as ord from aircraft where status = 'active'
                     union all
                     select 'instructor', u.id, u.name, 2 from users u
                      where u.is_active and exists(select 1 from user_roles ur join roles r on r.id = ur.role_id
                                                    where ur.user_id = u.id and lower(r.name) = 'instructor')
                     union all
                     select 'simulator', id, name, 3 from simulators where status = 'active') r
                  where ($1::text is null or kind = $1) and ($2::uuid is null or id = $2)
                  order by ord, label",
            )
            .bind(kind)
            .bind(resource_id.0)
            .fetch_all(&mut *tx)
            .await?;
            for r in resources {
                rows.push(CalendarRow {
                    resource_type: r.kind,
                    resource_id: r.id,
                    label: r.label,
                    bookings: Vec::new(),
                });
            }
        }
        let bookings = sqlx::query_as::<_, EntryRow>(
            "select id, kind, status, starts_at, ends_at, aircraft_id, instructor_id, simulator_id,
                    case when $3::uuid is null or pilot_id = $3 or instructor_id = $3 then pilot_id end as pilot_id,
                    case when $3::uuid is null or pilot_id = $3 or instructor_id = $3 then title end as title
               from bookings
              where status <> 'cancelled' and starts_at < $2 and ends_at > $1
                and ($4::uuid is null or pilot_id = $4 or instructor_id = $4)
              order by starts_at, id",
        )
        .bind(from)
        .bind(to)
        .bind(owner)
        .bind(user_id.0)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let index: HashMap<(CalendarResource, Uuid), usize> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.resource_type, r.resource_id), i))
            .collect();
        for b in bookings {
            let entry = CalendarEntry::from(b);
            if user_id.0.is_some() {
                rows[0].bookings.push(entry);
                continue;
            }
            for (kind, id) in [
                (CalendarResource::Aircraft, entry.aircraft_id),
                (CalendarResource::Instructor, entry.instructor_id),
                (CalendarResource::Simulator, entry.simulator_id),
            ] {
                if let Some(i) = id.and_then(|id| index.get(&(kind, id))) {
                    rows[*i].bookings.push(entry.clone());
                }
            }
        }
        Ok(Json(Calendar {
            timezone: clock.name().to_owned(),
            start,
            days,
            from,
            to,
            rows,
        }))
    }
}
