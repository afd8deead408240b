//! SQL of the tools module. Every function runs inside the caller's `TenantTx`.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::Note;
use crate::tenancy::{TenantRead, TenantTx};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    title: String,
    body: Option<String>,
    pinned: bool,
    author_id: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Note {
    fn from(r: Row) -> Self {
        Note {
            id: r.id,
            title: r.title,
            body: r.body,
            pinned: r.pinned,
            author_id: r.author_id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The unfiltered list, newest first, `limit + 1` rows: the hottest read, one statement in one
/// round trip ([`TenantRead`]). Its columns are read by position, in the order selected.
pub async fn latest_notes(
    read: TenantRead<'_>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Note>, sqlx::Error> {
    let sql = read.sql(
        "select id, title, body, pinned, author_id, version, created_at, updated_at
           from {tenant}.notes where id < $1 order by id desc limit $2",
    );
    let rows = read
        .fetch_all(
            sqlx::query_as::<_, ByPosition>(sql)
                .bind(after.unwrap_or(Uuid::max()))
                .bind(limit + 1),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.0.into()).collect())
}

/// A [`Row`] decoded by column position instead of name (no lookup per column and row).
struct ByPosition(Row);

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for ByPosition {
    fn from_row(r: &'r sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row as _;
        Ok(Self(Row {
            id: r.try_get(0)?,
            title: r.try_get(1)?,
            body: r.try_get(2)?,
            pinned: r.try_get(3)?,
            author_id: r.try_get(4)?,
            version: r.try_get(5)?,
            created_at: r.try_get(6)?,
            updated_at: r.try_get(7)?,
        }))
    }
}

/// A filtered list, newest first; `limit + 1` rows so the caller can tell whether another page
/// exists. (The unfiltered one is [`latest_notes`].)
pub async fn list_notes(
    tx: &mut TenantTx,
    after: Option<Uuid>,
    pinned: Option<bool>,
    search: Option<&str>,
    limit: i64,
) -> Result<Vec<Note>, sqlx::Error> {
    // One plain statement per filter shape rather than `($1 is null or ...)`: with many tenants
    // almost every execution is re-planned (another tenant ran it last), and a plain predicate is
    // cheaper to plan. The first page starts above every UUID.
    let after = after.unwrap_or(Uuid::max());
    let rows = match (pinned, search) {
        (None, None) => sqlx::query_as::<_, Row>(
            "select id, title, body, pinned, author_id, version, created_at, updated_at from notes
                 where id < $1 order by id desc limit $2",
        )
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&mut **tx)
        .await?,
        (_, Some(search)) => sqlx::query_as::<_, Row>(
            "select id, title, body, pinned, author_id, version, created_at, updated_at from notes
                 where id < $1 and ($2::boolean is null or pinned = $2) and (title ilike $3 or body ilike $3)
                 order by id desc limit $4",
        )
        .bind(after)
        .bind(pinned)
        .bind(crate::kernel::page::contains_pattern(search))
        .bind(limit + 1)
        .fetch_all(&mut **tx)
        .await?,
        (Some(pinned), None) => sqlx::query_as::<_, Row>(
            "select id, title, body, pinned, author_id, version, created_at, updated_at from notes
                 where id < $1 and pinned = $2 order by id desc limit $3",
        )
        .bind(after)
        .bind(pinned)
        .bind(limit + 1)
        .fetch_all(&mut **tx)
        .await?,
    };
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get_note(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<Note>, sqlx::Error> {
    let sql = if lock {
        "select id, title, body, pinned, author_id, version, created_at, updated_at from notes where id = $1 for update"
    } else {
        "select id, title, body, pinned, author_id, version, created_at, updated_at from notes where id = $1"
    };
    sqlx::query_as::<_, Row>(sql)
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(|r| r.map(Into::into))
}

pub async fn insert_note(
    conn: &mut PgConnection,
    title: &str,
    body: Option<&str>,
    pinned: bool,
    author: crate::kernel::UserId,
) -> Result<Note, sqlx::Error> {
    let row = sqlx::query_as::<_, Row>(
        "insert into notes (id, title, body, pinned, author_id) values ($1, $2, $3, $4, $5)
         returning id, title, body, pinned, author_id, version, created_at, updated_at",
    )
    .bind(Uuid::now_v7())
    .bind(title)
    .bind(body)
    .bind(pinned)
    .bind(author)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

pub async fn update_note(conn: &mut PgConnection, n: &Note) -> Result<Note, sqlx::Error> {
    let row = sqlx::query_as::<_, Row>(
        "update notes set title = $2, body = $3, pinned = $4, version = version + 1 where id = $1
         returning id, title, body, pinned, author_id, version, created_at, updated_at",
    )
    .bind(n.id)
    .bind(&n.title)
    .bind(&n.body)
    .bind(n.pinned)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}
