//! The access logs of charter records people must account for: who read, listed, changed or
//! printed a patient's record, who generated or downloaded a trip document, when and from which
//! address. One row per access, written in the transaction of the answer.

use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{AccessEntry, AccessLog};
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};

/// A kind of logged record; its statements are literals of this module.
#[derive(Clone, Copy)]
pub(super) enum Logged {
    Patient,
    Document,
}

impl Logged {
    fn insert(self) -> &'static str {
        match self {
            Logged::Patient => {
                "insert into charter_patient_access (id, patient_id, user_id, action, ip)
                 select i, r, $3, $4, $5 from unnest($1::uuid[], $2::uuid[]) as t(i, r)"
            }
            Logged::Document => {
                "insert into charter_document_access (id, document_id, user_id, action, ip)
                 select i, r, $3, $4, $5 from unnest($1::uuid[], $2::uuid[]) as t(i, r)"
            }
        }
    }

    fn exists(self) -> &'static str {
        match self {
            Logged::Patient => {
                "select exists (select 1 from charter_patients where trip_id = $1 and id = $2)"
            }
            Logged::Document => {
                "select exists (select 1 from charter_trip_documents
                                 where trip_id = $1 and id = $2)"
            }
        }
    }

    fn select(self) -> &'static str {
        match self {
            Logged::Patient => {
                "select user_id, action, at, ip from charter_patient_access
                  where patient_id = $1 order by at desc, id desc limit 1000"
            }
            Logged::Document => {
                "select user_id, action, at, ip from charter_document_access
                  where document_id = $1 order by at desc, id desc limit 1000"
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Logged::Patient => "patient",
            Logged::Document => "document",
        }
    }
}

/// Logs one `action` by the caller on each of `records`.
pub(super) async fn record(
    conn: &mut PgConnection,
    ctx: &TenantCtx,
    what: Logged,
    records: &[Uuid],
    action: &str,
) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = records.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query(what.insert())
        .bind(&ids)
        .bind(records)
        .bind(ctx.user_id.0)
        .bind(action)
        .bind(&ctx.meta.ip)
        .execute(conn)
        .await?;
    Ok(())
}

/// The log of record `id` of `trip`, newest first (at most 1,000); `404` when the trip has no
/// such record.
pub(super) async fn list(
    conn: &mut PgConnection,
    what: Logged,
    trip: Uuid,
    id: Uuid,
) -> Result<AccessLog> {
    let exists: bool = sqlx::query_scalar(what.exists())
        .bind(trip)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Err(AppError::NotFound(what.name()));
    }
    let items: Vec<AccessEntry> = sqlx::query_as(what.select())
        .bind(id)
        .fetch_all(conn)
        .await?;
    Ok(AccessLog { items })
}
