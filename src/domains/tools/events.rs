//! `/api/v1/tools/events`: calendar events (timed or all-day) with attendees, and each user's
//! secret iCal feed of the events they organise or attend (`/api/v1/tools/events/feed`).

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::auth::Auth;
use crate::calendar::{self, Feed, IssuedFeed, ical};
use futures_util::future::BoxFuture;
use crate::domains::settings::service as values;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent, page};
use crate::state::AppState;

/// The longest event: a year and a day.
const MAX_SPAN_DAYS: i64 = 366;

/// A calendar event.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Event {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub all_day: bool,
    /// The start; for all-day events the start of `start_date` in the tenant's time zone.
    pub starts_at: DateTime<Utc>,
    /// The end (exclusive); for all-day events the end of `end_date` in the tenant's time zone.
    pub ends_at: DateTime<Utc>,
    /// All-day events: the first day.
    pub start_date: Option<NaiveDate>,
    /// All-day events: the last day (inclusive).
    pub end_date: Option<NaiveDate>,
    /// The user who created it (null once that user is deleted).
    pub organizer_id: Option<Uuid>,
    /// Users of this tenant invited to it.
    pub attendee_ids: Vec<Uuid>,
    /// Incremented by every change; send it back in a PATCH to detect concurrent edits.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new event: timed (`starts_at` and `ends_at`) or all-day (`all_day: true`, `start_date`
/// and optionally `end_date`, which defaults to `start_date`).
#[derive(Object)]
#[oai(example)]
pub struct EventCreate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(validator(max_length = 10000))]
    pub description: Option<String>,
    #[oai(validator(max_length = 200))]
    pub location: Option<String>,
    /// Defaults to false.
    pub all_day: Option<bool>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// Users of this tenant to invite (at most 200).
    #[oai(validator(max_items = 200))]
    pub attendee_ids: Option<Vec<Uuid>>,
}

impl poem_openapi::types::Example for EventCreate {
    fn example() -> Self {
        let start = DateTime::parse_from_rfc3339("2026-12-12T08:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        Self {
            title: "Winter operations briefing".into(),
            description: Some(
                "De-icing, cold starts, short days. Mandatory for all instructors.".into(),
            ),
            location: Some("Briefing room 2".into()),
            all_day: Some(false),
            starts_at: Some(start),
            ends_at: Some(start + Duration::hours(2)),
            start_date: None,
            end_date: None,
            attendee_ids: Some(vec![]),
        }
    }
}

/// A partial update; absent fields are kept. Changing `all_day` needs the fields of the new
/// kind (`starts_at`/`ends_at`, or `start_date`).
#[derive(Object)]
pub struct EventUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 10000))]
    pub description: MaybeUndefined<String>,
    #[oai(validator(max_length = 200))]
    pub location: MaybeUndefined<String>,
    pub all_day: Option<bool>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// Replaces the attendees.
    #[oai(validator(max_items = 200))]
    pub attendee_ids: Option<Vec<Uuid>>,
    /// When given, the update applies only if the event still has this version (else `409`).
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct EventPage {
    pub items: Vec<Event>,
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum EventCreated {
    #[oai(status = 201)]
    Created(Json<Event>),
}

#[derive(ApiResponse)]
enum FeedIssued {
    #[oai(status = 201)]
    Created(Json<IssuedFeed>),
}

/// When an event happens, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timing {
    Timed(DateTime<Utc>, DateTime<Utc>),
    AllDay(NaiveDate, NaiveDate),
}

/// Validates the timing fields of one event.
fn timing(
    all_day: bool,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
) -> Result<Timing> {
    let mut errors = Vec::new();
    let err = |f: &str, m: &str| crate::error::FieldError::new(f, m);
    let t = if all_day {
        for (f, v) in [
            ("starts_at", starts_at.is_some()),
            ("ends_at", ends_at.is_some()),
        ] {
            if v {
                errors.push(err(
                    f,
                    "is only for timed events; all-day events take start_date and end_date",
                ));
            }
        }
        match start_date {
            None => {
                errors.push(err("start_date", "is required for an all-day event"));
                None
            }
            Some(first) => {
                let last = end_date.unwrap_or(first);
                if last < first {
                    errors.push(err("end_date", "must not be before start_date"));
                } else if (last - first).num_days() >= MAX_SPAN_DAYS {
                    errors.push(err("end_date", "an event may span at most 366 days"));
                }
                Some(Timing::AllDay(first, last))
            }
        }
    } else {
        for (f, v) in [
            ("start_date", start_date.is_some()),
            ("end_date", end_date.is_some()),
        ] {
            if v {
                errors.push(err(
                    f,
                    "is only for all-day events; timed events take starts_at and ends_at",
                ));
            }
        }
        match (starts_at, ends_at) {
            (Some(s), Some(e)) => {
                if e <= s {
                    errors.push(err("ends_at", "must be after starts_at"));
                } else if e - s > Duration::days(MAX_SPAN_DAYS) {
                    errors.push(err("ends_at", "an event may span at most 366 days"));
                }
                Some(Timing::Timed(s, e))
            }
            (s, e) => {
                if s.is_none() {
                    errors.push(err("starts_at", "is required for a timed event"));
                }
                if e.is_none() {
                    errors.push(err("ends_at", "is required for a timed event"));
                }
                None
            }
        }
    };
    match t {
        Some(t) if errors.is_empty() => Ok(t),
        _ => Err(AppError::Validation(errors)),
    }
}

const SELECT: &str = "select e.id, e.title, e.description, e.location, e.all_day, e.starts_at, e.ends_at,
        e.start_date, e.end_date, e.organizer_id, e.version, e.created_at, e.updated_at,
        coalesce((select array_agg(a.user_id order by a.user_id) from event_attendees a where a.event_id = e.id), '{}') as attendee_ids
     from events e";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    title: String,
    description: Option<String>,
    location: Option<String>,
    all_day: bool,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    organizer_id: Option<Uuid>,
    attendee_ids: Vec<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Event {
    fn from(r: Row) -> Self {
        Event {
            id: r.id,
            title: r.title,
            description: r.description,
            location: r.location,
            all_day: r.all_day,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            start_date: r.start_date,
            end_date: r.end_date,
            organizer_id: r.organizer_id,
            attendee_ids: r.attendee_ids,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<Event>, sqlx::Error> {
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!("{SELECT} where e.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(|r| r.map(Into::into))
}

/// `422` unless every id is a user of this tenant. Returns them without duplicates.
async fn check_attendees(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let found: i64 = sqlx::query_scalar("select count(*) from users where id = any($1)")
        .bind(&ids)
        .fetch_one(&mut *conn)
        .await?;
    if usize::try_from(found).ok() != Some(ids.len()) {
        return Err(AppError::validation(
            "attendee_ids",
            "every attendee must be a user of this organisation",
        ));
    }
    Ok(ids)
}

async fn set_attendees(
    conn: &mut PgConnection,
    event: Uuid,
    ids: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from event_attendees where event_id = $1")
        .bind(event)
        .execute(&mut *conn)
        .await?;
    sqlx::query("insert into event_attendees (event_id, user_id) select $1, unnest($2::uuid[])")
        .bind(event)
        .bind(ids)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Writes the timing columns of `id`: all-day days become instants in the tenant's time zone.
async fn write_timing(conn: &mut PgConnection, id: Uuid, t: Timing) -> Result<(), sqlx::Error> {
    let tz = values::timezone(&mut *conn).await?;
    let (all_day, starts, ends, first, last) = match t {
        Timing::Timed(s, e) => (false, Some(s), Some(e), None, None),
        Timing::AllDay(f, l) => (true, None, None, Some(f), Some(l)),
    };
    sqlx::query(
        "update events set all_day = $2,
             starts_at = case when $2 then ($5::date::timestamp at time zone $6) else $3 end,
             ends_at = case when $2 then (($7::date + 1)::timestamp at time zone $6) else $4 end,
             start_date = $5, end_date = $7
         where id = $1",
    )
    .bind(id)
    .bind(all_day)
    .bind(starts)
    .bind(ends)
    .bind(first)
    .bind(tz)
    .bind(last)
    .execute(conn)
    .await?;
    Ok(())
}

/// The events a user's feed shows: those they organise or attend, from 90 days ago to two
/// years ahead, at most 5,000.
/// [`crate::kernel::FeedKind::render`] of `events`: the events the user organises or attends.
pub fn render_feed<'c>(
    conn: &'c mut PgConnection,
    user: Uuid,
    _subject: Option<Uuid>,
) -> BoxFuture<'c, Result<Option<Vec<ical::Event>>, sqlx::Error>> {
    Box::pin(async move { feed(conn, user).await.map(Some) })
}

pub async fn feed(conn: &mut PgConnection, user: Uuid) -> Result<Vec<ical::Event>, sqlx::Error> {
    let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "{SELECT}
         where (e.organizer_id = $1 or exists(select 1 from event_attendees a where a.event_id = e.id and a.user_id = $1))
           and e.ends_at > now() - interval '90 days' and e.starts_at < now() + interval '2 years'
         order by e.starts_at, e.id limit 5000"
    )))
    .bind(user)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let e = Event::from(r);
            let when = match (e.all_day, e.start_date, e.end_date) {
                (true, Some(first), Some(last)) => ical::When::AllDay { first, last },
                _ => ical::When::Timed {
                    start: e.starts_at,
                    end: e.ends_at,
                },
            };
            ical::Event {
                uid: format!("{}@flightline", e.id),
                when,
                summary: e.title,
                description: e.description,
                location: e.location,
                created: e.created_at,
                last_modified: e.updated_at,
                sequence: e.version - 1,
            }
        })
        .collect())
}

pub struct EventsApi;

#[OpenApi(prefix_path = "/api/v1/tools/events", tag = "super::Tag::Tools")]
impl EventsApi {
    /// List events by start time. Filters: `from` and `to` (events overlapping that range),
    /// `attendee_id` (events the user organises or attends), `organizer_id`.
    ///
    /// Permission: `tools.events.read`.
    #[oai(path = "/", method = "get")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per documented filter"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        limit: Query<Option<i64>>,
        cursor: Query<Option<String>>,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        attendee_id: Query<Option<Uuid>>,
        organizer_id: Query<Option<Uuid>>,
    ) -> Result<Json<EventPage>> {
        auth.0.require(super::TOOLS_EVENTS_READ)?;
        let limit = page::limit(limit.0)?;
        let after = page::decode_time_cursor(cursor.0.as_deref())?;
        if let (Some(f), Some(t)) = (from.0, to.0)
            && t <= f
        {
            return Err(AppError::validation("to", "must be after from"));
        }
        let mut tx = auth.0.begin(&state).await?;
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "{SELECT}
             where ($1::timestamptz is null or (e.starts_at, e.id) > ($1, $2))
               and ($3::timestamptz is null or e.ends_at > $3)
               and ($4::timestamptz is null or e.starts_at < $4)
               and ($5::uuid is null or e.organizer_id = $5
                    or exists(select 1 from event_attendees a where a.event_id = e.id and a.user_id = $5))
               and ($6::uuid is null or e.organizer_id = $6)
             order by e.starts_at, e.id limit $7"
        )))
        .bind(after.map(|(t, _)| t))
        .bind(after.map(|(_, id)| id))
        .bind(from.0)
        .bind(to.0)
        .bind(attendee_id.0)
        .bind(organizer_id.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let items = rows.into_iter().map(Event::from).collect::<Vec<_>>();
        let (items, next_cursor) = page::finish_by_time(items, limit, |e| (e.starts_at, e.id));
        Ok(Json(EventPage { items, next_cursor }))
    }

    /// Create an event; the caller is its organizer. All-day days are placed in the tenant's
    /// `timezone` setting (UTC when unset).
    ///
    /// Permission: `tools.events.write`. Audited as `event.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        body: JsonBody<EventCreate>,
    ) -> Result<EventCreated> {
        let p = &auth.0;
        p.require(super::TOOLS_EVENTS_WRITE)?;
        if body.title.trim().is_empty() {
            return Err(AppError::validation("title", "must not be blank"));
        }
        let t = timing(
            body.all_day.unwrap_or(false),
            body.starts_at,
            body.ends_at,
            body.start_date,
            body.end_date,
        )?;
        let mut tx = p.begin(&state).await?;
        let attendees =
            check_attendees(&mut tx, body.attendee_ids.as_deref().unwrap_or_default()).await?;
        let id = Uuid::now_v7();
        // Placeholder instants satisfy the constraints until write_timing sets the real ones.
        let now = Utc::now();
        sqlx::query(
            "insert into events (id, title, description, location, starts_at, ends_at, organizer_id)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(body.title.trim())
        .bind(&body.description)
        .bind(&body.location)
        .bind(now)
        .bind(now + Duration::seconds(1))
        .bind(p.user_id)
        .execute(&mut *tx)
        .await?;
        write_timing(&mut tx, id, t).await?;
        set_attendees(&mut tx, id, &attendees).await?;
        let e = load(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("event"))?;
        audit::created(&mut tx, p.into(), "event.created", "event", id, &e).await?;
        tx.commit().await?;
        Ok(EventCreated::Created(Json(e)))
    }

    /// The caller's calendar feed, if one is live (its URL is shown only when issued).
    ///
    /// Permission: `tools.events.read`.
    #[oai(path = "/feed", method = "get")]
    async fn feed_status(&self, state: Data<&Arc<AppState>>, auth: Auth) -> Result<Json<Feed>> {
        let p = &auth.0;
        p.require(super::TOOLS_EVENTS_READ)?;
        let mut tx = p.begin(&state).await?;
        let f = calendar::live(&mut tx, p.user_id, &super::EVENTS_FEED)
            .await?
            .ok_or(AppError::NotFound("calendar feed"))?;
        tx.end_read();
        Ok(Json(f))
    }

    /// Issue the caller's secret iCal feed URL of the events they organise or attend
    /// (RFC 5545, for calendar applications). A previous feed URL stops working.
    ///
    /// Permission: `tools.events.read`. Audited as `calendar_feed.issued`.
    #[oai(path = "/feed", method = "post")]
    async fn feed_issue(&self, state: Data<&Arc<AppState>>, auth: Auth) -> Result<FeedIssued> {
        let p = &auth.0;
        p.require(super::TOOLS_EVENTS_READ)?;
        let mut tx = p.begin(&state).await?;
        let issued =
            calendar::issue(&mut tx, &state, p.tenant.id, p.user_id, &super::EVENTS_FEED).await?;
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "calendar_feed.issued",
                resource_type: "calendar_feed",
                resource_id: Some(issued.id.to_string()),
                before: None,
                after: Some(serde_json::json!({"kind": issued.kind, "user_id": p.user_id})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(FeedIssued::Created(Json(issued)))
    }

    /// Revoke the caller's feed URL: it answers `404` from now on.
    ///
    /// Permission: `tools.events.read`. Audited as `calendar_feed.revoked`.
    #[oai(path = "/feed", method = "delete")]
    async fn feed_revoke(&self, state: Data<&Arc<AppState>>, auth: Auth) -> Result<NoContent> {
        let p = &auth.0;
        p.require(super::TOOLS_EVENTS_READ)?;
        let mut tx = p.begin(&state).await?;
        let id = calendar::revoke(&mut tx, p.user_id, &super::EVENTS_FEED)
            .await?
            .ok_or(AppError::NotFound("calendar feed"))?;
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "calendar_feed.revoked",
                resource_type: "calendar_feed",
                resource_id: Some(id.to_string()),
                before: Some(serde_json::json!({"kind": "events", "user_id": p.user_id})),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }

    /// Get an event. Permission: `tools.events.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        id: Path<Uuid>,
    ) -> Result<Json<Event>> {
        auth.0.require(super::TOOLS_EVENTS_READ)?;
        let mut tx = auth.0.begin(&state).await?;
        let e = load(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("event"))?;
        tx.end_read();
        Ok(Json(e))
    }

    /// Update an event. Permission: `tools.events.write`. Audited as `event.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        id: Path<Uuid>,
        body: JsonBody<EventUpdate>,
    ) -> Result<Json<Event>> {
        let p = &auth.0;
        p.require(super::TOOLS_EVENTS_WRITE)?;
        if body.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(AppError::validation("title", "must not be blank"));
        }
        let mut tx = p.begin(&state).await?;
        let before = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "{SELECT} where e.id = $1 for update of e"
        )))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .map(|r| r.map(Event::from))?
        .ok_or(AppError::NotFound("event"))?;
        AppError::check_version("event", body.version, before.version)?;
        let all_day = body.all_day.unwrap_or(before.all_day);
        let kind_kept = all_day == before.all_day;
        let t = if all_day {
            let start = body.start_date.or(before.start_date.filter(|_| kind_kept));
            let end = body.end_date.or(before
                .end_date
                .filter(|_| kind_kept && body.start_date.is_none()));
            timing(true, body.starts_at, body.ends_at, start, end)?
        } else {
            let start = body
                .starts_at
                .or(Some(before.starts_at).filter(|_| kind_kept));
            let end = body.ends_at.or(Some(before.ends_at).filter(|_| kind_kept));
            timing(false, start, end, body.start_date, body.end_date)?
        };
        let attendees = match &body.attendee_ids {
            Some(ids) => Some(check_attendees(&mut tx, ids).await?),
            None => None,
        };
        let pick = |new: &MaybeUndefined<String>, old: &Option<String>| match new {
            MaybeUndefined::Undefined => old.clone(),
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(v) => Some(v.clone()),
        };
        sqlx::query(
            "update events set title = $2, description = $3, location = $4, version = version + 1 where id = $1",
        )
        .bind(before.id)
        .bind(body.title.as_deref().map(str::trim).unwrap_or(&before.title))
        .bind(pick(&body.description, &before.description))
        .bind(pick(&body.location, &before.location))
        .execute(&mut *tx)
        .await?;
        write_timing(&mut tx, before.id, t).await?;
        if let Some(ids) = &attendees {
            set_attendees(&mut tx, before.id, ids).await?;
        }
        let after = load(&mut tx, before.id)
            .await?
            .ok_or(AppError::NotFound("event"))?;
        audit::updated(
            &mut tx,
            p.into(),
            "event.updated",
            "event",
            before.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete an event. Permission: `tools.events.write`. Audited as `event.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Auth,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let p = &auth.0;
        p.require(super::TOOLS_EVENTS_WRITE)?;
        let mut tx = p.begin(&state).await?;
        let before = load(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("event"))?;
        audit::delete_recorded(
            &mut tx,
            p.into(),
            "events",
            "event.deleted",
            "event",
            before.id,
            &before,
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    fn day(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    fn fields(r: Result<Timing>) -> Vec<String> {
        match r {
            Err(AppError::Validation(errs)) => errs.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn timings_are_validated() {
        assert!(matches!(
            timing(
                false,
                at("2026-01-01T10:00:00Z"),
                at("2026-01-01T11:00:00Z"),
                None,
                None
            ),
            Ok(Timing::Timed(..))
        ));
        assert_eq!(
            fields(timing(
                false,
                at("2026-01-01T10:00:00Z"),
                at("2026-01-01T10:00:00Z"),
                None,
                None
            )),
            ["ends_at"]
        );
        assert_eq!(
            fields(timing(false, None, None, None, None)),
            ["starts_at", "ends_at"]
        );
        assert_eq!(
            fields(timing(
                false,
                at("2026-01-01T10:00:00Z"),
                at("2027-01-03T10:00:00Z"),
                None,
                None
            )),
            ["ends_at"]
        );
        assert_eq!(
            timing(true, None, None, day("2028-02-29"), None).ok(),
            Some(Timing::AllDay(
                NaiveDate::from_ymd_opt(2028, 2, 29).expect("date"),
                NaiveDate::from_ymd_opt(2028, 2, 29).expect("date")
            ))
        );
        assert_eq!(
            fields(timing(
                true,
                at("2026-01-01T10:00:00Z"),
                None,
                day("2026-01-02"),
                day("2026-01-01")
            )),
            ["starts_at", "end_date"]
        );
        assert_eq!(
            fields(timing(true, None, None, None, day("2026-01-01"))),
            ["start_date"]
        );
        assert_eq!(
            fields(timing(
                false,
                at("2026-01-01T10:00:00Z"),
                at("2026-01-01T11:00:00Z"),
                day("2026-01-01"),
                None
            )),
            ["start_date"]
        );
    }
}
