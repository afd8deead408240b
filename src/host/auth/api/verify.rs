//! E-mail verification: `POST /verify-email` confirms an address with a token,
//! `POST /verify-email/request` sends the e-mail (again), and [`send_verification`] queues it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use uuid::Uuid;

use super::{Accepted, VerifyEmail, audit_system, token_invalid};
use crate::audit::Actor;
use crate::auth::tokens::{self, Purpose};
use crate::auth::{Auth, RequestMeta};
use crate::db::TenantTx;
use crate::error::Result;
use crate::http::{JsonBody, NoContent};
use crate::mail::{self, Link, LinkKind};
use crate::state::AppState;
use crate::tenancy::{CurrentTenant, Tenant};

pub(super) async fn verify_email(
    state: Data<&Arc<AppState>>,
    tenant: Data<&CurrentTenant>,
    req: &Request,
    body: JsonBody<VerifyEmail>,
) -> Result<NoContent> {
    let meta = RequestMeta::from_request(req);
    let mut tx = tenant.0.0.begin(&state.db).await?;
    let (user, _) = tokens::spend_one_time(&mut tx, &body.token, &[Purpose::EmailVerify])
        .await?
        .ok_or_else(token_invalid)?;
    sqlx::query("update users set email_verified_at = now() where id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    // The organisation's first administrator confirming: the signup is no longer pending.
    sqlx::query(
        "update platform.tenants set admin_verified_at = coalesce(admin_verified_at, now())
         where id = $1 and lower(admin_email) = (select lower(email) from users where id = $2)",
    )
    .bind(tenant.0.0.id)
    .bind(user)
    .execute(&mut *tx)
    .await?;
    let actor = Actor {
        id: Some(user),
        kind: "user",
        meta: &meta,
    };
    audit_system(&mut tx, actor, "user.email_verified", "user", Some(user)).await?;
    tx.commit().await?;
    Ok(NoContent::NoContent)
}

pub(super) async fn request(state: Data<&Arc<AppState>>, auth: Auth) -> Result<Accepted> {
    let p = &auth.0;
    let mut tx = p.begin(&state).await?;
    let (email, name, verified): (String, String, Option<DateTime<Utc>>) =
        sqlx::query_as("select email, name, email_verified_at from users where id = $1")
            .bind(p.user_id)
            .fetch_one(&mut *tx)
            .await?;
    if verified.is_none() {
        send_verification(&state, &mut tx, &p.tenant, p.user_id.into(), &email, &name).await?;
    }
    tx.commit().await?;
    state.mail.nudge();
    Ok(Accepted::Accepted)
}

/// Queues a verification e-mail for `user` in `tx`.
pub async fn send_verification(
    state: &AppState,
    tx: &mut TenantTx,
    tenant: &Tenant,
    user: Uuid,
    email: &str,
    name: &str,
) -> Result<()> {
    let token = tokens::issue_one_time(tx, user, Purpose::EmailVerify).await?;
    let link = Link {
        kind: LinkKind::VerifyEmail,
        public_url: &state.settings.server.public_url,
        tenant_slug: &tenant.slug,
        tenant_name: &tenant.name,
        token: &token,
    };
    mail::enqueue(tx, &link.email(email, name)).await?;
    Ok(())
}
