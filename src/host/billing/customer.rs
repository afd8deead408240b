//! The tenant's Stripe customer: created once (idempotently) by a queued job or on first need.

use std::collections::HashMap;

use uuid::Uuid;

use super::idempotent;
use crate::audit::platform::{self as operators, Actor, Change};
use crate::state::AppState;

/// The job kind that creates a tenant's Stripe customer.
pub const CUSTOMER_JOB: &str = "stripe_customer";

/// The queued Stripe-customer job (`crate::jobs::queue`).
pub const CUSTOMER_JOB_KIND: crate::jobs::queue::JobKind = crate::jobs::queue::JobKind {
    kind: CUSTOMER_JOB,
    run: run_customer_job,
};

fn run_customer_job<'a>(
    state: &'a AppState,
    tenant: Uuid,
    key: &'a str,
) -> futures_util::future::BoxFuture<'a, anyhow::Result<()>> {
    Box::pin(async move { ensure_customer(state, tenant, key).await.map(|_| ()) })
}

/// The tenant's Stripe customer id, creating the customer if it has none. `idempotency_key` is
/// stable per tenant (`customer:<tenant id>`), so the job and a signup racing it, or a retry after
/// a timeout, make one customer.
pub async fn ensure_customer(
    state: &AppState,
    tenant_id: Uuid,
    idempotency_key: &str,
) -> anyhow::Result<String> {
    let billing = state
        .billing
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("billing is not configured"))?;
    if let Some(id) = sqlx::query_scalar::<_, Option<String>>(
        "select customer_id from platform.billing where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(state.db.platform())
    .await?
    .flatten()
    {
        return Ok(id);
    }
    let (slug, name, admin_email) = sqlx::query_as::<_, (String, String, Option<String>)>(
        "select slug, name, admin_email from platform.tenants where id = $1",
    )
    .bind(tenant_id)
    .fetch_one(state.db.platform())
    .await?;
    let mut metadata = HashMap::new();
    metadata.insert("tenant_id".to_owned(), tenant_id.to_string());
    metadata.insert("slug".to_owned(), slug);
    let mut request = stripe_core::customer::CreateCustomer::new()
        .name(name)
        .metadata(metadata);
    if let Some(email) = admin_email {
        request = request.email(email);
    }
    let customer = billing.send(request, idempotent(idempotency_key)?).await?;
    // The job and a request may both get here for one tenant (Stripe answered both with the
    // same customer, thanks to the idempotency key): any unique conflict means it is recorded.
    let mut tx = state.db.platform().begin().await?;
    sqlx::query(
        "insert into platform.billing (tenant_id, customer_id) values ($1, $2) on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(&customer.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "update platform.billing set customer_id = $2 where tenant_id = $1 and customer_id is null",
    )
    .bind(tenant_id)
    .bind(&customer.id)
    .execute(&mut *tx)
    .await?;
    operators::record(
        &mut *tx,
        Actor::system(),
        Change {
            action: "billing.customer_created",
            tenant_id: Some(tenant_id),
            resource_type: "stripe_customer",
            resource_id: Some(customer.id.clone()),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(customer.id)
}

/// The idempotency key of a tenant's customer creation.
pub fn customer_key(tenant_id: Uuid) -> String {
    format!("customer:{tenant_id}")
}

/// Queues the creation of the tenant's Stripe customer (billing on only).
pub async fn queue_customer(state: &AppState, tenant_id: Uuid) -> Result<(), sqlx::Error> {
    if state.billing.is_none() {
        return Ok(());
    }
    crate::jobs::enqueue(
        state.db.platform(),
        Some(tenant_id),
        CUSTOMER_JOB,
        &customer_key(tenant_id),
    )
    .await?;
    state.jobs.nudge();
    Ok(())
}
