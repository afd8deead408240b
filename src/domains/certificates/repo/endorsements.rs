//! SQL of endorsements: never updated but to revoke them.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domains::certificates::dto::{Endorsement, EndorsementKind};
use crate::domains::certificates::facts;
use crate::kernel::UserId;

macro_rules! endorsement_columns {
    () => {
        "id, person_id, kind, type_code, given_on, recency_days, instructor_id, instructor_name, \
         instructor_certificate_number, instructor_certificate_expires_on, text, revoked_at, \
         revoked_by, revoke_reason, created_at"
    };
}

#[derive(sqlx::FromRow)]
struct EndorsementRow {
    id: Uuid,
    person_id: UserId,
    #[sqlx(try_from = "String")]
    kind: EndorsementKind,
    type_code: Option<String>,
    given_on: NaiveDate,
    recency_days: Option<i32>,
    instructor_id: Option<UserId>,
    instructor_name: String,
    instructor_certificate_number: String,
    instructor_certificate_expires_on: Option<NaiveDate>,
    text: Option<String>,
    revoked_at: Option<DateTime<Utc>>,
    revoked_by: Option<UserId>,
    revoke_reason: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<EndorsementRow> for Endorsement {
    fn from(r: EndorsementRow) -> Self {
        Endorsement {
            valid_until: facts::endorsement_valid_until(r.kind, r.given_on, r.recency_days),
            id: r.id,
            person_id: r.person_id,
            kind: r.kind,
            type_code: r.type_code,
            given_on: r.given_on,
            recency_days: r.recency_days,
            instructor_id: r.instructor_id,
            instructor_name: r.instructor_name,
            instructor_certificate_number: r.instructor_certificate_number,
            instructor_certificate_expires_on: r.instructor_certificate_expires_on,
            text: r.text,
            revoked_at: r.revoked_at,
            revoked_by: r.revoked_by,
            revoke_reason: r.revoke_reason,
            created_at: r.created_at,
        }
    }
}

/// Newest first, optionally one person's and only those not revoked; `limit + 1` rows.
pub async fn endorsements(
    conn: &mut PgConnection,
    person: Option<UserId>,
    include_revoked: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Endorsement>, sqlx::Error> {
    let rows: Vec<EndorsementRow> = sqlx::query_as(concat!(
        "select ",
        endorsement_columns!(),
        " from endorsements
          where id < $1 and ($2::uuid is null or person_id = $2) and ($3 or revoked_at is null)
          order by id desc limit $4"
    ))
    .bind(after.unwrap_or(Uuid::max()))
    .bind(person)
    .bind(include_revoked)
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn endorsement(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<Endorsement>, sqlx::Error> {
    let sql = if lock {
        concat!(
            "select ",
            endorsement_columns!(),
            " from endorsements where id = $1 for update"
        )
    } else {
        concat!(
            "select ",
            endorsement_columns!(),
            " from endorsements where id = $1"
        )
    };
    let row: Option<EndorsementRow> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(Into::into))
}

/// Inserts `e`; the instructor's name is read from the users table in the same statement.
pub async fn insert_endorsement(
    conn: &mut PgConnection,
    e: &Endorsement,
) -> Result<Endorsement, sqlx::Error> {
    let row: EndorsementRow = sqlx::query_as(concat!(
        "insert into endorsements (id, person_id, kind, type_code, given_on, recency_days,
             instructor_id, instructor_name, instructor_certificate_number,
             instructor_certificate_expires_on, text)
         select $1, $2, $3, $4, $5, $6, u.id, u.name, $8, $9, $10
         from users u where u.id = $7
         returning ",
        endorsement_columns!()
    ))
    .bind(e.id)
    .bind(e.person_id)
    .bind(crate::kernel::units::wire(&e.kind))
    .bind(&e.type_code)
    .bind(e.given_on)
    .bind(e.recency_days)
    .bind(e.instructor_id)
    .bind(&e.instructor_certificate_number)
    .bind(e.instructor_certificate_expires_on)
    .bind(&e.text)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

pub async fn revoke_endorsement(
    conn: &mut PgConnection,
    id: Uuid,
    by: UserId,
    reason: &str,
) -> Result<Endorsement, sqlx::Error> {
    let row: EndorsementRow = sqlx::query_as(concat!(
        "update endorsements set revoked_at = now(), revoked_by = $2, revoke_reason = $3
         where id = $1 returning ",
        endorsement_columns!()
    ))
    .bind(id)
    .bind(by)
    .bind(reason)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}
