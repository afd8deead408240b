//! The shape every plain record endpoint shares, written once: `GET /:id` (the read
//! permission, one read-only transaction, `404` naming the record) and `DELETE /:id` (the write
//! permission, the row locked and read, deleted, and its `<kind>.deleted` audit row with the
//! record as it was, in one transaction). A domain describes its record with a [`Record`] and
//! passes its own loader; what differs per record (validation, partial updates, rules) stays in
//! the domain's handler.

use poem_openapi::payload::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::NoContent;
use crate::kernel::Permission;

/// A kind of record with plain get and delete endpoints.
#[derive(Debug, Clone, Copy)]
pub struct Record {
    /// Its table in the tenant schema (a literal of the domain, never request data).
    pub table: &'static str,
    /// `resource_type` of its audit rows and the prefix of their actions (`call_log`).
    pub kind: &'static str,
    /// How a `404` names it (`call log`).
    pub noun: &'static str,
}

impl Record {
    /// `GET /:id`: requires `read`, loads with `load`, `404` when it finds nothing.
    pub async fn get<T, E: Into<AppError>>(
        &self,
        ctx: &TenantCtx,
        read: Permission,
        load: impl AsyncFnOnce(&mut PgConnection) -> Result<Option<T>, E>,
    ) -> Result<Json<T>> {
        ctx.require(read)?;
        let mut tx = ctx.begin().await?;
        let found = load(&mut tx)
            .await
            .map_err(Into::into)?
            .ok_or(AppError::NotFound(self.noun))?;
        tx.end_read();
        Ok(Json(found))
    }

    /// `DELETE /:id`: requires `write`; `load` reads the row (locking it); the row is deleted
    /// and `<kind>.deleted` recorded with the row as it was, in one transaction.
    pub async fn delete<T: serde::Serialize, E: Into<AppError>>(
        &self,
        ctx: &TenantCtx,
        write: Permission,
        id: impl Into<Uuid>,
        load: impl AsyncFnOnce(&mut PgConnection) -> Result<Option<T>, E>,
    ) -> Result<NoContent> {
        ctx.require(write)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx)
            .await
            .map_err(Into::into)?
            .ok_or(AppError::NotFound(self.noun))?;
        audit::delete_recorded(
            &mut tx,
            ctx.into(),
            self.table,
            &format!("{}.deleted", self.kind),
            self.kind,
            id,
            &before,
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}
