//! `/api/v1/__name__/items`: list, create, get, update, delete. Every mutation writes its audit
//! row in the same transaction; every operation names its permission in its description.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{Item, ItemCreate, ItemPage, ItemUpdate};
use super::{__NAME___MANAGE, __NAME___READ, repo};
use crate::audit;
use crate::auth::TenantCtx;
use crate::record::Record;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;

/// Items: the plain get and delete (`crate::record`), audited as `__name___item.deleted`.
const ITEM: Record = Record {
    table: "__name___items",
    kind: "__name___item",
    noun: "item",
};

pub struct ItemsApi;

#[derive(ApiResponse)]
enum ItemCreated {
    /// The item as stored.
    #[oai(status = 201)]
    Created(Json<Item>),
}

#[OpenApi(prefix_path = "/api/v1/__name__/items", tag = "super::Tag::__Name__")]
impl ItemsApi {
    /// List items, newest first, with keyset pagination.
    ///
    /// Permission: `__name__.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<ItemPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(__NAME___READ)?;
        let mut tx = ctx.begin().await?;
        let rows = repo::list(&mut tx, after, limit).await?;
        tx.end_read();
        let (items, next_cursor) = page::finish(rows, limit, |i| i.id);
        Ok(Json(ItemPage { items, next_cursor }))
    }

    /// Create an item.
    ///
    /// Permission: `__name__.manage`. Audited as `__name___item.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<ItemCreate>,
    ) -> Result<ItemCreated> {
        if body.name.trim().is_empty() {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(__NAME___MANAGE)?;
        let mut tx = ctx.begin().await?;
        let item = repo::insert(&mut tx, body.name.trim(), body.notes.as_deref()).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "__name___item.created",
            "__name___item",
            item.id,
            &item,
        )
        .await?;
        tx.commit().await?;
        Ok(ItemCreated::Created(Json(item)))
    }

    /// Get one item. Permission: `__name__.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Item>> {
        ITEM.get(&ctx, __NAME___READ, async |c| repo::get(c, id.0, false).await)
            .await
    }

    /// Update an item partially. With `version`, a concurrent change answers `409`.
    ///
    /// Permission: `__name__.manage`. Audited as `__name___item.updated` with before and after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<ItemUpdate>,
    ) -> Result<Json<Item>> {
        if body.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(__NAME___MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = repo::get(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("item"))?;
        AppError::check_version("item", body.version, before.version)?;
        let mut next = before.clone();
        if let Some(name) = &body.name {
            next.name = name.trim().to_owned();
        }
        match &body.notes {
            MaybeUndefined::Value(n) => next.notes = Some(n.clone()),
            MaybeUndefined::Null => next.notes = None,
            MaybeUndefined::Undefined => {}
        }
        let after = repo::update(&mut tx, &next).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "__name___item.updated",
            "__name___item",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete an item.
    ///
    /// Permission: `__name__.manage`. Audited as `__name___item.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        ITEM.delete(&ctx, __NAME___MANAGE, id.0, async |c| {
            repo::get(c, id.0, true).await
        })
        .await
    }
}
