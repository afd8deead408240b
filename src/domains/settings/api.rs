//! `/api/v1/settings` and `/api/v1/settings/{key}`: key/value settings, every change audited
//! with the old and the new value.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::values;
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;

/// A setting.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Setting {
    pub key: String,
    /// Any JSON. Known keys (`timezone`, `locale`, `currency`, `units`, `booking_rules`,
    /// `invoice_numbering`) are validated against their shape.
    pub value: Value,
    pub description: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct SettingCreate {
    /// Lowercase letters, digits, `_` and `.`, starting with a letter.
    #[oai(validator(min_length = 1, max_length = 100, pattern = "^[a-z][a-z0-9_.]{0,99}$"))]
    pub key: String,
    /// Any JSON value but null (known keys check theirs).
    pub value: Value,
    #[oai(validator(max_length = 2000))]
    pub description: Option<String>,
}

#[derive(Object)]
pub struct SettingPut {
    /// Any JSON value but null (known keys check theirs).
    pub value: Value,
    #[oai(validator(max_length = 2000))]
    pub description: Option<String>,
}

#[derive(Object)]
pub struct SettingPage {
    pub items: Vec<Setting>,
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum SettingCreated {
    #[oai(status = 201)]
    Created(Json<Setting>),
}

#[derive(sqlx::FromRow)]
struct Row {
    key: String,
    value: Value,
    description: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Setting {
    fn from(r: Row) -> Self {
        Setting {
            key: r.key,
            value: r.value,
            description: r.description,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

async fn get(conn: &mut PgConnection, key: &str) -> Result<Option<Setting>, sqlx::Error> {
    sqlx::query_as::<_, Row>("select key, value, description, version, created_at, updated_at from settings where key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await
        .map(|r| r.map(Setting::from))
}

fn valid_key(key: &str) -> bool {
    let b = key.as_bytes();
    !b.is_empty()
        && b.len() <= 100
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'.')
}

fn check(key: &str, value: &Value) -> Result<()> {
    if !valid_key(key) {
        return Err(AppError::validation(
            "key",
            "must match ^[a-z][a-z0-9_.]{0,99}$",
        ));
    }
    // poem-openapi reads an absent `value` as JSON null; a setting is never null (DELETE removes
    // one), so both are "required" rather than silently stored as null.
    if value.is_null() {
        return Err(AppError::validation(
            "value",
            "is required (DELETE the setting to remove it)",
        ));
    }
    if !crate::kernel::units::json_numbers_fit(value) {
        return Err(AppError::validation(
            "value",
            "holds a number beyond ±1e300",
        ));
    }
    values::validate(key, value).map_err(AppError::Validation)
}

pub struct SettingsApi;

#[OpenApi(prefix_path = "/api/v1/settings", tag = "super::Tag::Settings")]
impl SettingsApi {
    /// List settings by key. Permission: `settings.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<SettingPage>> {
        ctx.require(super::SETTINGS_READ)?;
        let limit = limit.0.get();
        let after = match cursor.0.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        AppError::validation("cursor", "is not a cursor from this API")
                    })?,
            ),
        };
        let mut tx = ctx.begin().await?;
        let rows = sqlx::query_as::<_, Row>(
            "select key, value, description, version, created_at, updated_at from settings
             where ($1::text is null or key > $1) order by key limit $2",
        )
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let mut items = rows.into_iter().map(Setting::from).collect::<Vec<_>>();
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(usize::try_from(limit).unwrap_or(0));
            items
                .last()
                .map(|s| URL_SAFE_NO_PAD.encode(s.key.as_bytes()))
        } else {
            None
        };
        Ok(Json(SettingPage { items, next_cursor }))
    }

    /// Create a setting (`409` if the key exists). Known keys are validated:
    /// `timezone`, `locale`, `currency`, `units`, `booking_rules`, `invoice_numbering`.
    ///
    /// Permission: `settings.manage`. Audited as `setting.created`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<SettingCreate>,
    ) -> Result<SettingCreated> {
        let p = &ctx;
        p.require(super::SETTINGS_MANAGE)?;
        check(&body.key, &body.value)?;
        let mut tx = p.begin().await?;
        values::validate_in_db(&mut tx, &body.key, &body.value, |perm| p.holds(perm)).await?;
        let inserted = sqlx::query_as::<_, Row>(
            "insert into settings (id, key, value, description) values ($1, $2, $3, $4) on conflict (key) do nothing
             returning key, value, description, version, created_at, updated_at",
        )
        .bind(Uuid::now_v7())
        .bind(&body.key)
        .bind(&body.value)
        .bind(&body.description)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = inserted else {
            return Err(AppError::Conflict {
                code: "conflict",
                detail: "this setting exists; use PUT to change it".into(),
                field: Some("key".into()),
            });
        };
        let s = Setting::from(row);
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "setting.created",
                resource_type: "setting",
                resource_id: Some(s.key.clone()),
                before: None,
                after: audit::snapshot(&s),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(SettingCreated::Created(Json(s)))
    }

    /// Get one setting. Permission: `settings.read`.
    #[oai(path = "/:key", method = "get")]
    async fn get(
        &self,
        ctx: TenantCtx,
        /// `^[a-z][a-z0-9_.]{0,99}$`.
        #[oai(validator(pattern = "^[a-z][a-z0-9_.]{0,99}$"))]
        key: Path<String>,
    ) -> Result<Json<Setting>> {
        ctx.require(super::SETTINGS_READ)?;
        let mut tx = ctx.begin().await?;
        let s = get(&mut tx, &key.0)
            .await?
            .ok_or(AppError::NotFound("setting"))?;
        tx.end_read();
        Ok(Json(s))
    }

    /// Set a setting's value (creating it if needed). Permission: `settings.manage`. Audited as
    /// `setting.updated` with the old and the new value.
    #[oai(path = "/:key", method = "put")]
    async fn put(
        &self,
        ctx: TenantCtx,
        /// `^[a-z][a-z0-9_.]{0,99}$`.
        #[oai(validator(pattern = "^[a-z][a-z0-9_.]{0,99}$"))]
        key: Path<String>,
        body: JsonBody<SettingPut>,
    ) -> Result<Json<Setting>> {
        let p = &ctx;
        p.require(super::SETTINGS_MANAGE)?;
        check(&key.0, &body.value)?;
        let mut tx = p.begin().await?;
        values::validate_in_db(&mut tx, &key.0, &body.value, |perm| p.holds(perm)).await?;
        let before = get(&mut tx, &key.0).await?;
        let row = sqlx::query_as::<_, Row>(
            "insert into settings (id, key, value, description) values ($1, $2, $3, $4)
             on conflict (key) do update set value = excluded.value,
                 description = coalesce(excluded.description, settings.description),
                 version = settings.version + 1
             returning key, value, description, version, created_at, updated_at",
        )
        .bind(Uuid::now_v7())
        .bind(&key.0)
        .bind(&body.value)
        .bind(&body.description)
        .fetch_one(&mut *tx)
        .await?;
        let after = Setting::from(row);
        let action = if before.is_some() {
            "setting.updated"
        } else {
            "setting.created"
        };
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action,
                resource_type: "setting",
                resource_id: Some(after.key.clone()),
                before: before.as_ref().and_then(audit::snapshot),
                after: audit::snapshot(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a setting. Permission: `settings.manage`. Audited as `setting.deleted`.
    #[oai(path = "/:key", method = "delete")]
    async fn delete(
        &self,
        ctx: TenantCtx,
        /// `^[a-z][a-z0-9_.]{0,99}$`.
        #[oai(validator(pattern = "^[a-z][a-z0-9_.]{0,99}$"))]
        key: Path<String>,
    ) -> Result<NoContent> {
        let p = &ctx;
        p.require(super::SETTINGS_MANAGE)?;
        let mut tx = p.begin().await?;
        let before = get(&mut tx, &key.0)
            .await?
            .ok_or(AppError::NotFound("setting"))?;
        sqlx::query("delete from settings where key = $1")
            .bind(&key.0)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "setting.deleted",
                resource_type: "setting",
                resource_id: Some(before.key.clone()),
                before: audit::snapshot(&before),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }
}
