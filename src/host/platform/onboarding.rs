//! What follows a new tenant: the admin's verification and welcome e-mails (or an invitation
//! when an operator created the tenant without a password), the trial, and the checks shared by
//! signup and operator creation.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::plans;
use crate::auth::tokens::{self, Purpose};
use crate::error::{AppError, FieldError, Result};
use crate::mail::{self, Email, Link, LinkKind};
use crate::state::AppState;
use crate::tenancy::{self, NewTenant, Tenant, is_valid_slug};

/// Field errors of a new organisation (slug, admin e-mail, names, plan).
pub fn validate(slug: &str, email: &str, org: &str, admin: &str, plan: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !is_valid_slug(slug) {
        let reserved = tenancy::RESERVED_LABELS.contains(&slug);
        errors.push(FieldError::new(
            "slug",
            if reserved {
                "is reserved"
            } else {
                "must match ^[a-z][a-z0-9-]{2,39}$"
            },
        ));
    }
    let email = email.trim();
    if !crate::kernel::email::is_email(email) {
        errors.push(FieldError::new("admin_email", "must be an e-mail address"));
    }
    if org.trim().is_empty() {
        errors.push(FieldError::new("organization_name", "must not be blank"));
    }
    if admin.trim().is_empty() {
        errors.push(FieldError::new("admin_name", "must not be blank"));
    }
    if !plans::is_known(plan) {
        errors.push(FieldError::new(
            "plan",
            format!("must be one of: {}", plans::PLANS.join(", ")),
        ));
    }
    errors
}

/// Every new organisation starts with a trial (the `trial` plan's length, or a paid plan's
/// Checkout trial).
pub fn trial_end(_plan: &str) -> Option<DateTime<Utc>> {
    Some(Utc::now() + Duration::days(plans::TRIAL_DAYS))
}

/// `429 signup-limit-reached` when `email` already has the allowed number of signups within a
/// day whose administrator has not confirmed the address.
pub async fn check_pending(state: &AppState, email: &str) -> Result<()> {
    let max = i64::from(state.settings.platform.max_pending_signups_per_email);
    let pending: i64 = sqlx::query_scalar(
        "select count(*) from platform.tenants
         where lower(admin_email) = lower($1) and admin_verified_at is null
           and created_at > now() - interval '1 day' and status <> 'archived'",
    )
    .bind(email.trim())
    .fetch_one(state.db.platform())
    .await?;
    if pending >= max {
        return Err(AppError::Status {
            status: poem::http::StatusCode::TOO_MANY_REQUESTS,
            code: "signup-limit-reached",
            detail: "this address already has organisations waiting for confirmation; confirm them first".into(),
            retry_after: Some(3600),
        });
    }
    Ok(())
}

fn welcome_email(state: &AppState, tenant: &Tenant, to: &str, name: &str) -> Email {
    let url = &state.settings.server.public_url;
    let login = format!("{url}/login?tenant={}", tenant.slug);
    let text = format!(
        "Hello {name},\n\n{org} is ready on Flightline. Sign in at {login} (organisation: {slug}).\n\n\
         Next steps: add your aircraft, invite your team and set your time zone under Settings.\n\n-- Flightline\n",
        org = tenant.name,
        slug = tenant.slug,
    );
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>Hello {name},</p>\
         <p>{org} is ready on Flightline.</p><p><a href=\"{login}\">Sign in</a> (organisation: {slug})</p>\
         <p>Next steps: add your aircraft, invite your team and set your time zone under Settings.</p>\
         <p>&mdash; Flightline</p></body></html>",
        name = esc(name),
        org = esc(&tenant.name),
        login = esc(&login),
        slug = esc(&tenant.slug),
    );
    Email {
        to: to.to_owned(),
        subject: format!("Welcome to Flightline, {}", tenant.name),
        text,
        html,
    }
}

/// Queues, in one transaction of the new tenant, the admin's verification and welcome e-mails,
/// or (`invited`: no password was given) the invitation to set one.
pub async fn welcome(
    state: &AppState,
    tenant: &Tenant,
    new: &NewTenant,
    invited: bool,
) -> Result<()> {
    let mut tx = tenant.begin(&state.db).await?;
    let (user, email, name) = sqlx::query_as::<_, (Uuid, String, String)>(
        "select id, email, name from users where lower(email) = lower($1)",
    )
    .bind(&new.admin_email)
    .fetch_one(&mut *tx)
    .await?;
    let link = |kind, token: &str| {
        Link {
            kind,
            public_url: &state.settings.server.public_url,
            tenant_slug: &tenant.slug,
            tenant_name: &tenant.name,
            token,
        }
        .email(&email, &name)
    };
    if invited {
        let token = tokens::issue_one_time(&mut tx, user, Purpose::Invitation).await?;
        mail::enqueue(&mut tx, &link(LinkKind::Invitation, &token)).await?;
    } else {
        let token = tokens::issue_one_time(&mut tx, user, Purpose::EmailVerify).await?;
        mail::enqueue(&mut tx, &link(LinkKind::VerifyEmail, &token)).await?;
    }
    mail::enqueue(&mut tx, &welcome_email(state, tenant, &email, &name)).await?;
    tx.commit().await?;
    state.mail.nudge();
    Ok(())
}
