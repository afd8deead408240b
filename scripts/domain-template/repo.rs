//! SQL of the __title__ domain. Every function runs inside the caller's `TenantTx`; rows come
//! back through `sqlx::FromRow` and become DTOs in one place ([`Row`] → [`Item`]).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::Item;
use crate::tenancy::TenantTx;

/// The statements are literals (prepared once per connection, nothing formatted per request).
macro_rules! columns {
    () => {
        "id, name, notes, version, created_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    notes: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Item {
    fn from(r: Row) -> Self {
        Item {
            id: r.id,
            name: r.name,
            notes: r.notes,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Newest first; `limit + 1` rows so the caller can tell whether another page exists.
pub async fn list(tx: &mut TenantTx, after: Option<Uuid>, limit: i64) -> Result<Vec<Item>, sqlx::Error> {
    // The first page starts above every UUID: a plain predicate, no `($1 is null or ...)`.
    let rows: Vec<Row> = sqlx::query_as(concat!(
        "select ",
        columns!(),
        " from __name___items where id < $1 order by id desc limit $2"
    ))
    .bind(after.unwrap_or(Uuid::max()))
    .bind(limit + 1)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(Item::from).collect())
}

pub async fn get(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Item>, sqlx::Error> {
    let sql = if lock {
        concat!("select ", columns!(), " from __name___items where id = $1 for update")
    } else {
        concat!("select ", columns!(), " from __name___items where id = $1")
    };
    let row: Option<Row> = sqlx::query_as(sql)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Item::from))
}

pub async fn insert(conn: &mut PgConnection, name: &str, notes: Option<&str>) -> Result<Item, sqlx::Error> {
    let row: Row = sqlx::query_as(concat!(
        "insert into __name___items (id, name, notes) values ($1, $2, $3) returning ",
        columns!()
    ))
    .bind(Uuid::now_v7())
    .bind(name)
    .bind(notes)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

pub async fn update(conn: &mut PgConnection, item: &Item) -> Result<Item, sqlx::Error> {
    let row: Row = sqlx::query_as(concat!(
        "update __name___items set name = $2, notes = $3, version = version + 1 where id = $1 \
         returning ",
        columns!()
    ))
    .bind(item.id)
    .bind(&item.name)
    .bind(&item.notes)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}
