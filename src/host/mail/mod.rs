//! E-mail: templates, the outbox (written in the caller's transaction) and the worker that
//! delivers it over SMTP with retries and backoff (`worker.rs`).

mod templates;
mod worker;

use uuid::Uuid;

use crate::db::TenantTx;

pub use templates::{Link, LinkKind, escape as escape_html};
pub use worker::{MailWorker, Transport};

/// A message ready to queue.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Queues `email` in the same transaction as the change that causes it: it is sent if and only
/// if that transaction commits, and an SMTP outage only delays it.
pub async fn enqueue(tx: &mut TenantTx, email: &Email) -> Result<Uuid, sqlx::Error> {
    let tenant = tx.tenant_id();
    enqueue_in(tx, tenant, email).await
}

/// [`enqueue`] for a per-tenant job, which holds its tenant's transaction as a connection and
/// is handed the tenant's id.
pub async fn enqueue_in(
    conn: &mut sqlx::PgConnection,
    tenant: Uuid,
    email: &Email,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into platform.mail_outbox (id, tenant_id, to_address, subject, body_text, body_html)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(tenant)
    .bind(&email.to)
    .bind(&email.subject)
    .bind(&email.text)
    .bind(&email.html)
    .execute(conn)
    .await?;
    Ok(id)
}
