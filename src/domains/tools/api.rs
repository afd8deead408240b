//! `/api/v1/tools/notes` (API.md §3, §6). Every mutation writes its audit row in the same
//! transaction.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{Note, NoteCreate, NotePage, NoteUpdate};
use super::repo;
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent, SerdeJson};
use crate::kernel::page;
use crate::record::Record;

/// Notes: the plain get and delete.
const NOTE: Record = Record {
    table: "notes",
    kind: "note",
    noun: "note",
};

pub struct NotesApi;

#[derive(ApiResponse)]
enum NoteCreated {
    /// The note as stored.
    #[oai(status = 201)]
    Created(Json<Note>),
}

#[OpenApi(prefix_path = "/api/v1/tools/notes", tag = "super::Tag::Tools")]
impl NotesApi {
    /// List notes, newest first, with keyset pagination.
    ///
    /// Permission: `tools.notes.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Only pinned (true) or unpinned (false) notes.
        pinned: Query<Option<bool>>,
        /// Text the title or body contains (case-insensitive).
        q: Query<Option<String>>,
    ) -> Result<SerdeJson<NotePage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(super::TOOLS_NOTES_READ)?;
        let search = q.0.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if search.is_some_and(|s| s.chars().count() > 200) {
            return Err(AppError::validation("q", "must be at most 200 characters"));
        }
        let rows = if pinned.0.is_none() && search.is_none() {
            repo::latest_notes(ctx.read(), after, limit).await?
        } else {
            let mut tx = ctx.begin().await?;
            let rows = repo::list_notes(&mut tx, after, pinned.0, search, limit).await?;
            tx.end_read();
            rows
        };
        let (items, next_cursor) = page::finish(rows, limit, |n| n.id);
        Ok(SerdeJson(NotePage { items, next_cursor }))
    }

    /// Create a note.
    ///
    /// Permission: `tools.notes.write`. Audited as `note.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<NoteCreate>) -> Result<NoteCreated> {
        if body.title.trim().is_empty() {
            return Err(AppError::validation("title", "must not be blank"));
        }
        ctx.require(super::TOOLS_NOTES_WRITE)?;
        let mut tx = ctx.begin().await?;
        let note = repo::insert_note(
            &mut tx,
            &body.title,
            body.body.as_deref(),
            body.pinned.unwrap_or(false),
            ctx.user_id,
        )
        .await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "note.created",
                resource_type: "note",
                resource_id: Some(note.id.to_string()),
                before: None,
                after: audit::snapshot(&note),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(NoteCreated::Created(Json(note)))
    }

    /// Get one note. Permission: `tools.notes.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Note>> {
        NOTE.get(&ctx, super::TOOLS_NOTES_READ, async |c| {
            repo::get_note(c, id.0, false).await
        })
        .await
    }

    /// Update a note partially. With `version`, a concurrent change answers `409`.
    ///
    /// Permission: `tools.notes.write`. Audited as `note.updated` with before and after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<NoteUpdate>,
    ) -> Result<Json<Note>> {
        if body.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(AppError::validation("title", "must not be blank"));
        }
        ctx.require(super::TOOLS_NOTES_WRITE)?;
        let mut tx = ctx.begin().await?;
        let before = repo::get_note(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("note"))?;
        AppError::check_version("note", body.version, before.version)?;
        let mut next = before.clone();
        if let Some(title) = &body.title {
            next.title = title.clone();
        }
        match &body.body {
            MaybeUndefined::Value(b) => next.body = Some(b.clone()),
            MaybeUndefined::Null => next.body = None,
            MaybeUndefined::Undefined => {}
        }
        if let Some(pinned) = body.pinned {
            next.pinned = pinned;
        }
        let after = repo::update_note(&mut tx, &next).await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "note.updated",
                resource_type: "note",
                resource_id: Some(after.id.to_string()),
                before: audit::snapshot(&before),
                after: audit::snapshot(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a note. Permission: `tools.notes.write`. Audited as `note.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        NOTE.delete(&ctx, super::TOOLS_NOTES_WRITE, id.0, async |c| {
            repo::get_note(c, id.0, true).await
        })
        .await
    }
}
