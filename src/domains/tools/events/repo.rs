//! The SQL of events: the row and its columns, attendees, the timing columns, the feed.

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::future::BoxFuture;
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::Event;
use super::timing::Timing;
use crate::calendar::ical;
use crate::domains::settings::service as values;
use crate::error::{AppError, Result};

pub(super) const SELECT: &str = "select e.id, e.title, e.description, e.location, e.all_day, e.starts_at, e.ends_at,
        e.start_date, e.end_date, e.organizer_id, e.version, e.created_at, e.updated_at,
        coalesce((select array_agg(a.user_id order by a.user_id) from event_attendees a where a.event_id = e.id), '{}') as attendee_ids
     from events e";

#[derive(sqlx::FromRow)]
pub(super) struct Row {
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

pub(super) async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<Event>, sqlx::Error> {
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!("{SELECT} where e.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(|r| r.map(Into::into))
}

/// `422` unless every id is a user of this tenant. Returns them without duplicates.
pub(super) async fn check_attendees(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Uuid>> {
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

pub(super) async fn set_attendees(
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
pub(super) async fn write_timing(
    conn: &mut PgConnection,
    id: Uuid,
    t: Timing,
) -> Result<(), sqlx::Error> {
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
