//! `POST /register`: self-registration where the tenant allows it (`auth.self_registration`;
//! docs/identity.md, "Self-registration"). The new user gets the tenant's registration role
//! (`auth.self_registration_role`, default `student`) and an unverified address, and cannot log
//! in until the mailed link confirms it. The answer never says whether the address already had
//! an account.

use std::sync::Arc;

use poem::Request;
use poem::http::StatusCode;
use poem::web::Data;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{RegisterRequest, Registered, send_verification};
use crate::audit::{self, Actor, Change};
use crate::auth::RequestMeta;
use crate::auth::password::check_policy;
use crate::auth::tokens::{self, Purpose};
use crate::error::{AppError, FieldError, Result};
use crate::http::JsonBody;
use crate::kernel::registration::{self, SelfRegistration};
use crate::mail::{self, Link, LinkKind};
use crate::state::AppState;
use crate::tenancy::{CurrentTenant, limits};

fn closed() -> AppError {
    AppError::status(
        StatusCode::FORBIDDEN,
        "registration-closed",
        "this organisation does not take self-registration; ask an administrator for an account",
    )
}

/// The user an address already names.
#[derive(sqlx::FromRow)]
struct Existing {
    id: Uuid,
    email: String,
    name: String,
    is_active: bool,
    /// Registered themselves and never confirmed the address.
    unverified_registration: bool,
}

pub(super) async fn register(
    state: Data<&Arc<AppState>>,
    tenant: Data<&CurrentTenant>,
    req: &Request,
    body: JsonBody<RegisterRequest>,
) -> Result<Registered> {
    let meta = RequestMeta::from_request(req);
    let tenant = &tenant.0.0;

    // Whether and for whom registration is open: answered before anything about the body.
    let mut tx = tenant.begin(&state.db).await?;
    let (mode, role_setting): (Option<Value>, Option<Value>) = sqlx::query_as(
        "select (select value from settings where key = $1),
                (select value from settings where key = $2)",
    )
    .bind(registration::SETTING)
    .bind(registration::ROLE_SETTING)
    .fetch_one(&mut *tx)
    .await?;
    tx.end_read();
    // A stored value the current rules refuse (written before them) closes registration.
    let mode = SelfRegistration::parse(mode.as_ref()).unwrap_or(SelfRegistration::Off);
    if mode == SelfRegistration::Off {
        return Err(closed());
    }

    // The identity rules every user is held to: the same e-mail rule, name and password policy
    // as `POST /api/v1/users`, and the address as typed, trimmed (compared case-insensitively).
    let email = body.email.trim().to_owned();
    let name = body.name.trim().to_owned();
    let mut errors = Vec::new();
    if !crate::kernel::email::is_email(&email) {
        errors.push(FieldError::new("email", "must be an e-mail address"));
    } else if !mode.admits(&email) {
        errors.push(FieldError::new(
            "email",
            "must be an address in one of this organisation's domains",
        ));
    }
    if name.is_empty() {
        errors.push(FieldError::new("name", "must not be blank"));
    }
    if let Err(m) = check_policy(&body.password) {
        errors.push(FieldError::new("password", m));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    // Hashed whatever the address turns out to be, so a known address costs the same time.
    let hash = state.passwords.hash(&body.password).await?;

    let mut tx = tenant.begin(&state.db).await?;
    let role_name = match &role_setting {
        Some(v) => registration::parse_role(v).unwrap_or(registration::DEFAULT_ROLE),
        None => registration::DEFAULT_ROLE,
    };
    // Never the system admin role, whatever the setting says.
    let role: Option<Uuid> = sqlx::query_scalar(
        "select id from roles where lower(name) = lower($1) and not (is_system and name = 'admin')",
    )
    .bind(role_name)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(role) = role else {
        return Err(AppError::Conflict {
            code: "registration-role-missing",
            detail: format!(
                "self-registration gives new users the role `{role_name}`, which this \
                 organisation does not have; an administrator sets `auth.self_registration_role`"
            ),
            field: None,
        });
    };
    // Before looking at the address, so a full organisation answers every address alike.
    if let Some(limit) = state.registry.catalog().limit("users") {
        limits::guard(&mut tx, tenant, limit).await?;
    }
    let existing: Option<Existing> = sqlx::query_as(
        "select id, email, name, is_active,
                self_registered_at is not null and email_verified_at is null
                    as unverified_registration
         from users where lower(email) = lower($1) for update",
    )
    .bind(&email)
    .fetch_optional(&mut *tx)
    .await?;
    match existing {
        None => {
            let id = Uuid::now_v7();
            // A concurrent registration of the same address wins the unique index: this one
            // then answers like any known address, without a second mail.
            let inserted = sqlx::query(
                "insert into users (id, email, name, password_hash, self_registered_at)
                 values ($1, $2, $3, $4, now())
                 on conflict do nothing",
            )
            .bind(id)
            .bind(&email)
            .bind(&name)
            .bind(&hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 {
                sqlx::query("insert into user_roles (user_id, role_id) values ($1, $2)")
                    .bind(id)
                    .bind(role)
                    .execute(&mut *tx)
                    .await?;
                send_verification(&state, &mut tx, tenant, id, &email, &name).await?;
                audit::record(
                    &mut tx,
                    Actor {
                        id: Some(id),
                        kind: "user",
                        meta: &meta,
                    },
                    Change {
                        action: "user.registered",
                        resource_type: "user",
                        resource_id: Some(id.to_string()),
                        before: None,
                        after: Some(json!({
                            "id": id, "email": email, "name": name, "role": role_name,
                            "email_verified": false,
                        })),
                    },
                )
                .await?;
            }
        }
        // Registered before and lost the mail: a fresh link (the old one stops working).
        Some(u) if u.is_active && u.unverified_registration => {
            send_verification(&state, &mut tx, tenant, u.id, &u.email, &u.name).await?;
            repeated(&mut tx, &meta, u.id).await?;
        }
        // An account: its owner is told, with a way back in should they have forgotten.
        Some(u) if u.is_active => {
            let token = tokens::issue_one_time(&mut tx, u.id, Purpose::PasswordReset).await?;
            let link = Link {
                kind: LinkKind::AccountExists,
                public_url: &state.settings.server.public_url,
                tenant_slug: &tenant.slug,
                tenant_name: &tenant.name,
                token: &token,
            };
            mail::enqueue(&mut tx, &link.email(&u.email, &u.name)).await?;
            repeated(&mut tx, &meta, u.id).await?;
        }
        // A deactivated account hears nothing, as with a password reset.
        Some(u) => repeated(&mut tx, &meta, u.id).await?,
    }
    tx.commit().await?;
    state.mail.nudge();
    Ok(Registered::Accepted)
}

/// The audit row of a registration naming an address that already has an account.
async fn repeated(tx: &mut crate::db::TenantTx, meta: &RequestMeta, user: Uuid) -> Result<()> {
    audit::record(
        tx,
        // Whoever asked is not known (anyone may type an address): no actor id.
        Actor {
            id: None,
            kind: "user",
            meta,
        },
        Change {
            action: "auth.registration_existing",
            resource_type: "user",
            resource_id: Some(user.to_string()),
            before: None,
            after: None,
        },
    )
    .await?;
    Ok(())
}
