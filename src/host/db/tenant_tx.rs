//! [`TenantTx`]: the only way domain code reaches a tenant's tables.

use std::borrow::Cow;
use std::fmt;
use std::ops::{Deref, DerefMut};

use sqlx::pool::MaybePoolConnection;
use sqlx::{AssertSqlSafe, Connection, PgConnection, Postgres, SqlSafeStr, Transaction};
use uuid::Uuid;

use super::Db;

/// A tenant schema name: `t_<32 hex>` (or `w_<32 hex>` for a warm, unclaimed schema). Made by
/// the server from an id, validated again whenever read back, and always quoted in SQL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaName(String);

impl SchemaName {
    pub fn for_tenant(id: Uuid) -> Self {
        Self(format!("t_{}", id.simple()))
    }

    pub fn new_warm() -> Self {
        Self(format!("w_{}", Uuid::new_v4().simple()))
    }

    /// Accepts only the two server-made shapes.
    pub fn parse(raw: &str) -> Option<Self> {
        let bytes = raw.as_bytes();
        let ok = bytes.len() == 34
            && (bytes[0] == b't' || bytes[0] == b'w')
            && bytes[1] == b'_'
            && bytes[2..]
                .iter()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a quoted SQL identifier. Safe by construction (only [0-9a-f_tw]).
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A transaction whose search_path is the tenant's schema, set `LOCAL` so it cannot outlive the
/// transaction (safe behind PgBouncer in transaction mode). Opened in one round trip.
/// Dropping it without [`commit`](Self::commit) rolls back.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    tenant_id: Uuid,
    /// The connection may cache a per-tenant statement ([`Self::own_plan`]).
    own_plans: bool,
}

impl TenantTx {
    pub(in crate::host) async fn begin(
        db: &Db,
        tenant_id: Uuid,
        schema: &SchemaName,
    ) -> Result<Self, sqlx::Error> {
        let (conn, home) = db.tenant_connection(tenant_id).await?;
        let own_plans = home && db.own_plan_room(conn.cached_statements_size());
        // `Transaction::begin` with our own BEGIN statement on an already acquired connection:
        // what `Pool::begin_with` does, minus the choice of pool (public, doc-hidden in sqlx 0.9).
        let tx = Transaction::begin(
            MaybePoolConnection::PoolConnection(conn),
            Some(AssertSqlSafe(begin_sql(schema)).into_sql_str()),
        )
        .await?;
        Ok(Self {
            tx,
            tenant_id,
            own_plans,
        })
    }

    /// The tenant this transaction belongs to.
    pub fn tenant_id(&self) -> Uuid {
        self.tenant_id
    }

    /// `sql` as the tenant's own statement, for the hottest reads. PostgreSQL re-analyses and
    /// re-plans a cached statement whenever it runs under another search_path than last time,
    /// which on a connection shared by many tenants is nearly every time. The text returned
    /// carries the schema name as a comment, so the connection caches a statement of this
    /// tenant's that only ever runs under this tenant's search_path, and its plan stays valid.
    /// Each costs about 24 KB of backend memory, so they are bounded: only a connection of the
    /// tenant's home shard with room in its statement cache gets one (docs/tenancy.md);
    /// otherwise this is `sql` itself, the statement every tenant shares.
    pub fn own_plan(&self, sql: &'static str) -> AssertSqlSafe<Cow<'static, str>> {
        if !self.own_plans {
            return AssertSqlSafe(Cow::Borrowed(sql));
        }
        AssertSqlSafe(Cow::Owned(format!(
            "{sql} /* {} */",
            SchemaName::for_tenant(self.tenant_id)
        )))
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Ends a transaction that only read. It rolls back, and the ROLLBACK travels with the
    /// pool's release ping instead of costing a round trip of its own before the response.
    pub fn end_read(self) {
        drop(self);
    }
}

pub(in crate::host) fn begin_sql(schema: &SchemaName) -> String {
    format!(
        "BEGIN; SET LOCAL search_path TO {}, public",
        schema.quoted()
    )
}

impl Deref for TenantTx {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.tx
    }
}

impl DerefMut for TenantTx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_strict() {
        let id = Uuid::new_v4();
        let s = SchemaName::for_tenant(id);
        assert_eq!(SchemaName::parse(s.as_str()), Some(s.clone()));
        for bad in [
            "public",
            "platform",
            "pg_catalog",
            "t_XYZ",
            "\"; drop schema public; --",
            "t_0123456789abcdef0123456789abcdeg",
            "",
        ] {
            assert!(SchemaName::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(s.quoted(), format!("\"t_{}\"", id.simple()));
    }
}
