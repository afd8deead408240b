//! `GET /me`: the current user, with roles and effective permissions.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::{Me, TenantRef};
use crate::auth::{Auth, RoleRef};
use crate::error::{AppError, Result};
use crate::state::AppState;

/// The current user as `GET /me` reads it.
#[derive(sqlx::FromRow)]
struct MeRow {
    id: Uuid,
    email: String,
    name: String,
    is_active: bool,
    email_verified_at: Option<DateTime<Utc>>,
    last_login_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

pub(super) async fn me(state: Data<&Arc<AppState>>, auth: Auth) -> Result<Json<Me>> {
    let p = &auth.0;
    let mut tx = p.begin(&state).await?;
    let row = sqlx::query_as::<_, MeRow>(
        "select id, email, name, is_active, email_verified_at, last_login_at, created_at from users where id = $1",
    )
    .bind(p.user_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::Unauthorized("the user no longer exists"))?;
    let roles = sqlx::query_as::<_, (Uuid, String)>(
        "select r.id, r.name from roles r join user_roles ur on ur.role_id = r.id where ur.user_id = $1 order by r.name",
    )
    .bind(p.user_id)
    .fetch_all(&mut *tx)
    .await?;
    tx.end_read();
    let mut permissions: Vec<String> = p.permissions.iter().cloned().collect();
    permissions.sort();
    Ok(Json(Me {
        id: row.id,
        email: row.email,
        name: row.name,
        is_active: row.is_active,
        email_verified: row.email_verified_at.is_some(),
        roles: roles
            .into_iter()
            .map(|(id, name)| RoleRef { id, name })
            .collect(),
        permissions,
        tenant: TenantRef {
            id: p.tenant.id,
            slug: p.tenant.slug.clone(),
            name: p.tenant.name.clone(),
            kind: p.tenant.kind,
        },
        last_login_at: row.last_login_at,
        created_at: row.created_at,
    }))
}
