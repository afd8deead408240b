//! SQL of the certificates domain, inside the caller's `TenantTx`. Rows come back through
//! `sqlx::FromRow` and become DTOs here; a medical's validity is computed on the way out
//! (`facts::medical_validity`), never stored.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

mod endorsements;

pub use endorsements::{endorsement, endorsements, insert_endorsement, revoke_endorsement};

use super::dto::{
    Authority, CertificateKind, Medical, MedicalAuthority, MedicalClass, PilotCertificate,
};
use super::facts;
use crate::kernel::UserId;

macro_rules! certificate_columns {
    () => {
        "id, person_id, authority, kind, number, issued_on, expires_on, ratings, limitations, \
         version, created_at, updated_at"
    };
}

macro_rules! medical_columns {
    () => {
        "id, person_id, authority, class, examined_on, date_of_birth, course_on, limitations, \
         version, created_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct CertificateRow {
    id: Uuid,
    person_id: UserId,
    #[sqlx(try_from = "String")]
    authority: Authority,
    #[sqlx(try_from = "String")]
    kind: CertificateKind,
    number: Option<String>,
    issued_on: NaiveDate,
    expires_on: Option<NaiveDate>,
    ratings: Vec<String>,
    limitations: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<CertificateRow> for PilotCertificate {
    fn from(r: CertificateRow) -> Self {
        PilotCertificate {
            id: r.id,
            person_id: r.person_id,
            authority: r.authority,
            kind: r.kind,
            number: r.number,
            issued_on: r.issued_on,
            expires_on: r.expires_on,
            ratings: r.ratings,
            limitations: r.limitations,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct MedicalRow {
    id: Uuid,
    person_id: UserId,
    #[sqlx(try_from = "String")]
    authority: MedicalAuthority,
    #[sqlx(try_from = "String")]
    class: MedicalClass,
    examined_on: NaiveDate,
    date_of_birth: NaiveDate,
    course_on: Option<NaiveDate>,
    limitations: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<MedicalRow> for Medical {
    fn from(r: MedicalRow) -> Self {
        Medical {
            validity: facts::medical_validity(r.class, r.examined_on, r.date_of_birth, r.course_on),
            id: r.id,
            person_id: r.person_id,
            authority: r.authority,
            class: r.class,
            examined_on: r.examined_on,
            date_of_birth: r.date_of_birth,
            course_on: r.course_on,
            limitations: r.limitations,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

// Pilot certificates.

/// Newest first, optionally one person's; `limit + 1` rows.
pub async fn certificates(
    conn: &mut PgConnection,
    person: Option<UserId>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<PilotCertificate>, sqlx::Error> {
    let rows: Vec<CertificateRow> = sqlx::query_as(concat!(
        "select ",
        certificate_columns!(),
        " from pilot_certificates where id < $1 and ($2::uuid is null or person_id = $2)
          order by id desc limit $3"
    ))
    .bind(after.unwrap_or(Uuid::max()))
    .bind(person)
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn certificate(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<PilotCertificate>, sqlx::Error> {
    let sql = if lock {
        concat!(
            "select ",
            certificate_columns!(),
            " from pilot_certificates where id = $1 for update"
        )
    } else {
        concat!(
            "select ",
            certificate_columns!(),
            " from pilot_certificates where id = $1"
        )
    };
    let row: Option<CertificateRow> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(Into::into))
}

/// Inserts `c` (its id, person and fields; version and times come from the database).
pub async fn insert_certificate(
    conn: &mut PgConnection,
    c: &PilotCertificate,
    by: UserId,
) -> Result<PilotCertificate, sqlx::Error> {
    let row: CertificateRow = sqlx::query_as(concat!(
        "insert into pilot_certificates (id, person_id, authority, kind, number, issued_on,
             expires_on, ratings, limitations, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning ",
        certificate_columns!()
    ))
    .bind(c.id)
    .bind(c.person_id)
    .bind(crate::kernel::units::wire(&c.authority))
    .bind(crate::kernel::units::wire(&c.kind))
    .bind(&c.number)
    .bind(c.issued_on)
    .bind(c.expires_on)
    .bind(&c.ratings)
    .bind(&c.limitations)
    .bind(by)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

pub async fn update_certificate(
    conn: &mut PgConnection,
    c: &PilotCertificate,
) -> Result<PilotCertificate, sqlx::Error> {
    let row: CertificateRow = sqlx::query_as(concat!(
        "update pilot_certificates set number = $2, issued_on = $3, expires_on = $4, ratings = $5,
             limitations = $6, version = version + 1
         where id = $1 returning ",
        certificate_columns!()
    ))
    .bind(c.id)
    .bind(&c.number)
    .bind(c.issued_on)
    .bind(c.expires_on)
    .bind(&c.ratings)
    .bind(&c.limitations)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

// Medical certificates.

/// Latest examination first (ties by id), optionally one person's; `limit + 1` rows. The
/// cursor is the last row's id: rows are ordered by id within the person's list too, since ids
/// are time-ordered (UUIDv7) and the examination order is shown by `examined_on`.
pub async fn medicals(
    conn: &mut PgConnection,
    person: Option<UserId>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Medical>, sqlx::Error> {
    let rows: Vec<MedicalRow> = sqlx::query_as(concat!(
        "select ",
        medical_columns!(),
        " from medical_certificates where id < $1 and ($2::uuid is null or person_id = $2)
          order by id desc limit $3"
    ))
    .bind(after.unwrap_or(Uuid::max()))
    .bind(person)
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn medical(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<Medical>, sqlx::Error> {
    let sql = if lock {
        concat!(
            "select ",
            medical_columns!(),
            " from medical_certificates where id = $1 for update"
        )
    } else {
        concat!(
            "select ",
            medical_columns!(),
            " from medical_certificates where id = $1"
        )
    };
    let row: Option<MedicalRow> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(Into::into))
}

pub async fn insert_medical(
    conn: &mut PgConnection,
    m: &Medical,
    by: UserId,
) -> Result<Medical, sqlx::Error> {
    let row: MedicalRow = sqlx::query_as(concat!(
        "insert into medical_certificates (id, person_id, authority, class, examined_on,
             date_of_birth, course_on, limitations, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning ",
        medical_columns!()
    ))
    .bind(m.id)
    .bind(m.person_id)
    .bind(crate::kernel::units::wire(&m.authority))
    .bind(crate::kernel::units::wire(&m.class))
    .bind(m.examined_on)
    .bind(m.date_of_birth)
    .bind(m.course_on)
    .bind(&m.limitations)
    .bind(by)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

pub async fn update_medical(conn: &mut PgConnection, m: &Medical) -> Result<Medical, sqlx::Error> {
    let row: MedicalRow = sqlx::query_as(concat!(
        "update medical_certificates set examined_on = $2, date_of_birth = $3, course_on = $4,
             limitations = $5, version = version + 1
         where id = $1 returning ",
        medical_columns!()
    ))
    .bind(m.id)
    .bind(m.examined_on)
    .bind(m.date_of_birth)
    .bind(m.course_on)
    .bind(&m.limitations)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}
