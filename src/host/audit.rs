//! The audit log writer: every mutation writes its row in the same transaction (DESIGN §1).

use serde_json::Value;
use uuid::Uuid;

use crate::db::TenantTx;

/// Who made the request and from where; written into audit rows.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Who acted.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub id: Option<Uuid>,
    pub kind: &'static str,
    pub meta: &'a RequestMeta,
}

/// The JSON an audit row records as `before` / `after`.
pub fn snapshot<T: serde::Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).ok()
}

/// One audit row.
pub struct Change<'a> {
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Writes one audit row in the caller's transaction: the one way a tenant's audit row is
/// written ([`created`], [`updated`], [`delete_recorded`] build on it, and [`insert_sql`] is the
/// same row as a statement for a hot path). `conn` is a `TenantTx` (or, while provisioning,
/// the new schema's own transaction).
pub async fn record(
    conn: &mut sqlx::PgConnection,
    actor: Actor<'_>,
    change: Change<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into audit_logs
             (id, actor_id, actor_type, action, resource_type, resource_id, before, after, request_id, ip, user_agent)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(Uuid::now_v7())
    .bind(actor.id)
    .bind(actor.kind)
    .bind(change.action)
    .bind(change.resource_type)
    .bind(change.resource_id)
    .bind(change.before)
    .bind(change.after)
    .bind(&actor.meta.request_id)
    .bind(&actor.meta.ip)
    .bind(&actor.meta.user_agent)
    .execute(conn)
    .await
    .map(|_| ())
}

impl Actor<'static> {
    /// The service itself (provisioning, jobs): no user, no request.
    pub fn system() -> Self {
        static NO_REQUEST: RequestMeta = RequestMeta {
            request_id: None,
            ip: None,
            user_agent: None,
        };
        Self {
            id: None,
            kind: "system",
            meta: &NO_REQUEST,
        }
    }
}

/// The audit row as a statement of its own, to run inside another statement (a data-modifying
/// `with`) on a hot path that writes its change and its audit row in one round trip. Its
/// parameters are `$first` to `$first + 10`, bound by [`bind`]; the columns are [`record`]'s.
pub fn insert_sql(first: usize) -> String {
    let params: Vec<String> = (first..first + 11).map(|i| format!("${i}")).collect();
    format!(
        "insert into audit_logs
             (id, actor_id, actor_type, action, resource_type, resource_id, before, after, request_id, ip, user_agent)
         values ({})",
        params.join(", ")
    )
}

/// Binds the parameters of [`insert_sql`], after those the statement bound before.
pub fn bind<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    actor: &Actor<'q>,
    change: Change<'q>,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    query
        .bind(Uuid::now_v7())
        .bind(actor.id)
        .bind(actor.kind)
        .bind(change.action)
        .bind(change.resource_type)
        .bind(change.resource_id)
        .bind(change.before)
        .bind(change.after)
        .bind(&actor.meta.request_id)
        .bind(&actor.meta.ip)
        .bind(&actor.meta.user_agent)
}

/// Records that `resource_type` `id` was created as `after`.
pub async fn created<T: serde::Serialize>(
    tx: &mut TenantTx,
    actor: Actor<'_>,
    action: &str,
    resource_type: &str,
    id: impl std::fmt::Display,
    after: &T,
) -> Result<(), sqlx::Error> {
    record(
        tx,
        actor,
        Change {
            action,
            resource_type,
            resource_id: Some(id.to_string()),
            before: None,
            after: snapshot(after),
        },
    )
    .await
}

/// Records that `resource_type` `id` changed from `before` to `after`.
pub async fn updated<T: serde::Serialize, U: serde::Serialize>(
    tx: &mut TenantTx,
    actor: Actor<'_>,
    action: &str,
    resource_type: &str,
    id: impl std::fmt::Display,
    before: &T,
    after: &U,
) -> Result<(), sqlx::Error> {
    record(
        tx,
        actor,
        Change {
            action,
            resource_type,
            resource_id: Some(id.to_string()),
            before: snapshot(before),
            after: snapshot(after),
        },
    )
    .await
}

/// Deletes row `id` of `table` and records `action` with the row as it was, in the caller's
/// transaction: the shape every plain delete endpoint shares.
pub async fn delete_recorded<T: serde::Serialize>(
    tx: &mut TenantTx,
    actor: Actor<'_>,
    table: &'static str,
    action: &str,
    resource_type: &str,
    id: impl Into<Uuid>,
    before: &T,
) -> Result<(), sqlx::Error> {
    let id: Uuid = id.into();
    // `table` is a literal of the calling module, never request data.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "delete from {table} where id = $1"
    )))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    record(
        tx,
        actor,
        Change {
            action,
            resource_type,
            resource_id: Some(id.to_string()),
            before: snapshot(before),
            after: None,
        },
    )
    .await
}

/// The platform audit log (`platform.audit_logs`): operator actions, Stripe events applied,
/// system jobs. Below both `platform` and `billing`, which write it, so neither imports the
/// other for it.
pub mod platform {
    use serde_json::Value;
    use sqlx::PgExecutor;
    use uuid::Uuid;

    use super::RequestMeta;

    /// Who acted on the platform.
    #[derive(Debug, Clone)]
    pub struct Actor<'a> {
        pub operator_id: Option<Uuid>,
        /// `operator`, `stripe`, `system` or `cli`.
        pub kind: &'static str,
        pub meta: Option<&'a RequestMeta>,
    }

    impl Actor<'static> {
        pub fn stripe() -> Self {
            Self {
                operator_id: None,
                kind: "stripe",
                meta: None,
            }
        }

        /// The command line (`flightline tenants ...`), run by whoever holds the database.
        pub fn cli() -> Self {
            Self {
                operator_id: None,
                kind: "cli",
                meta: None,
            }
        }

        pub fn system() -> Self {
            Self {
                operator_id: None,
                kind: "system",
                meta: None,
            }
        }
    }

    /// One platform audit row.
    pub struct Change<'a> {
        pub action: &'a str,
        pub tenant_id: Option<Uuid>,
        pub resource_type: &'a str,
        pub resource_id: Option<String>,
        pub before: Option<Value>,
        pub after: Option<Value>,
    }

    /// Writes a platform audit row with `executor` (the action's transaction where it has one).
    pub async fn record<'e>(
        executor: impl PgExecutor<'e>,
        actor: Actor<'_>,
        change: Change<'_>,
    ) -> Result<(), sqlx::Error> {
        let meta = actor.meta.cloned().unwrap_or_default();
        sqlx::query(
            "insert into platform.audit_logs
                 (id, operator_id, actor_type, action, tenant_id, resource_type, resource_id, before, after, request_id, ip, user_agent)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(Uuid::now_v7())
        .bind(actor.operator_id)
        .bind(actor.kind)
        .bind(change.action)
        .bind(change.tenant_id)
        .bind(change.resource_type)
        .bind(change.resource_id)
        .bind(change.before)
        .bind(change.after)
        .bind(meta.request_id.or_else(crate::error::current_request_id))
        .bind(meta.ip)
        .bind(meta.user_agent)
        .execute(executor)
        .await
        .map(|_| ())
    }
}
