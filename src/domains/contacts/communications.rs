//! `/api/v1/contacts/{id}/communications`: a contact's communication history (calls, e-mails,
//! meetings, notes), newest first. Entries are kept: only their author or a holder of
//! `contacts.manage` removes one, and the removal is audited with what it said.

use chrono::{DateTime, Duration, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    Communication, CommunicationCreate, CommunicationDirection, CommunicationKind,
    CommunicationPage,
};
use super::{CONTACTS_LOG, CONTACTS_MANAGE, CONTACTS_READ, api};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::kernel::units::wire;

pub struct CommunicationsApi;

#[derive(ApiResponse)]
enum Created {
    /// The entry as stored.
    #[oai(status = 201)]
    Created(Json<Communication>),
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    contact_id: Uuid,
    #[sqlx(try_from = "String")]
    kind: CommunicationKind,
    direction: Option<String>,
    occurred_at: DateTime<Utc>,
    subject: String,
    body: Option<String>,
    duration_minutes: Option<i32>,
    author_id: Option<Uuid>,
    created_at: DateTime<Utc>,
}

impl From<Row> for Communication {
    fn from(r: Row) -> Self {
        Communication {
            id: r.id,
            contact_id: r.contact_id,
            kind: r.kind,
            direction: r
                .direction
                .and_then(|d| CommunicationDirection::try_from(d).ok()),
            occurred_at: r.occurred_at,
            subject: r.subject,
            body: r.body,
            duration_minutes: r.duration_minutes,
            author_id: r.author_id,
            created_at: r.created_at,
        }
    }
}

macro_rules! comm_select {
    () => {
        "select id, contact_id, kind, direction, occurred_at, subject, body, duration_minutes, \
         author_id, created_at from contact_communications"
    };
}

async fn load(conn: &mut PgConnection, contact: Uuid, id: Uuid) -> Result<Communication> {
    let row: Option<Row> = sqlx::query_as(concat!(
        comm_select!(),
        " where id = $1 and contact_id = $2 for update"
    ))
    .bind(id)
    .bind(contact)
    .fetch_optional(conn)
    .await?;
    row.map(Communication::from)
        .ok_or(AppError::NotFound("communication"))
}

#[OpenApi(prefix_path = "/api/v1/contacts", tag = "super::Tag::Contacts")]
impl CommunicationsApi {
    /// A contact's communication history, newest first (by when it happened).
    ///
    /// Permission: `contacts.read`.
    #[oai(path = "/:id/communications", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        /// Only entries of this kind.
        kind: Query<Option<CommunicationKind>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<CommunicationPage>> {
        let limit = limit.0.get();
        let after = page::decode_time_cursor(cursor.0.as_deref())?;
        ctx.require(CONTACTS_READ)?;
        let mut tx = ctx.begin().await?;
        api::load(&mut tx, id.0, false).await?;
        let (at, last) = after.unwrap_or((DateTime::<Utc>::MAX_UTC, Uuid::max()));
        let rows: Vec<Row> = sqlx::query_as(concat!(
            comm_select!(),
            " where contact_id = $1 and (occurred_at, id) < ($2, $3)
                and ($4::text is null or kind = $4)
              order by occurred_at desc, id desc limit $5"
        ))
        .bind(id.0)
        .bind(at)
        .bind(last)
        .bind(kind.0.as_ref().map(wire))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows.into_iter().map(Communication::from).collect();
        let (items, next_cursor) =
            page::finish_by_time(rows, limit, |c: &Communication| (c.occurred_at, c.id));
        Ok(Json(CommunicationPage { items, next_cursor }))
    }

    /// Record a call, e-mail, meeting or note with a contact. A note has no direction; a call,
    /// e-mail or meeting may say who started it. `occurred_at` (default now) is at most a day
    /// ahead.
    ///
    /// Permission: `contacts.log` (or `contacts.manage`). Audited as `contact.communication_logged`.
    #[oai(path = "/:id/communications", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<CommunicationCreate>,
    ) -> Result<Created> {
        let b = body.0;
        if b.subject.trim().is_empty() {
            return Err(AppError::validation("subject", "must not be blank"));
        }
        if b.kind == CommunicationKind::Note && b.direction.is_some() {
            return Err(AppError::validation(
                "direction",
                "a note holds no direction",
            ));
        }
        let now = Utc::now();
        let at = b.occurred_at.unwrap_or(now);
        if at > now + Duration::days(1) {
            return Err(AppError::validation(
                "occurred_at",
                "is more than a day ahead",
            ));
        }
        if !ctx.has(CONTACTS_MANAGE) {
            ctx.require(CONTACTS_LOG)?;
        }
        let mut tx = ctx.begin().await?;
        api::load(&mut tx, id.0, true).await?;
        let entry = Uuid::now_v7();
        let row: Row = sqlx::query_as(
            "insert into contact_communications (id, contact_id, kind, direction, occurred_at,
                 subject, body, duration_minutes, author_id)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             returning id, contact_id, kind, direction, occurred_at, subject, body,
                 duration_minutes, author_id, created_at",
        )
        .bind(entry)
        .bind(id.0)
        .bind(wire(&b.kind))
        .bind(b.direction.as_ref().map(wire))
        .bind(at)
        .bind(b.subject.trim())
        .bind(&b.body)
        .bind(b.duration_minutes)
        .bind(ctx.user_id.0)
        .fetch_one(&mut *tx)
        .await?;
        let stored = Communication::from(row);
        audit::created(
            &mut tx,
            (&ctx).into(),
            "contact.communication_logged",
            "contact_communication",
            entry,
            &stored,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(stored)))
    }

    /// Remove an entry: its author may (with `contacts.log`), and anyone with
    /// `contacts.manage`.
    ///
    /// Permission: `contacts.log` for one's own entries, `contacts.manage` for any. Audited as
    /// `contact.communication_deleted` with the entry as it was.
    #[oai(path = "/:id/communications/:entry", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>, entry: Path<Uuid>) -> Result<NoContent> {
        let manage = ctx.has(CONTACTS_MANAGE);
        if !manage {
            ctx.require(CONTACTS_LOG)?;
        }
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, entry.0).await?;
        if !manage && before.author_id != Some(ctx.user_id.0) {
            return Err(AppError::Forbidden(
                "only the author or a holder of contacts.manage removes an entry".into(),
            ));
        }
        audit::delete_recorded(
            &mut tx,
            (&ctx).into(),
            "contact_communications",
            "contact.communication_deleted",
            "contact_communication",
            entry.0,
            &before,
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}
