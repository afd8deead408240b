//! [`TenantTx`]: the only way domain code reaches a tenant's tables.

use std::fmt;
use std::ops::{Deref, DerefMut};

use sqlx::pool::MaybePoolConnection;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::QueryAs;
use sqlx::{AssertSqlSafe, Connection, FromRow, PgConnection, Postgres, SqlSafeStr, Transaction};
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
}

impl TenantTx {
    pub(in crate::host) async fn begin(
        db: &Db,
        tenant_id: Uuid,
        schema: &SchemaName,
    ) -> Result<Self, sqlx::Error> {
        let (conn, _home) = db.tenant_connection(tenant_id).await?;
        // `Transaction::begin` with our own BEGIN statement on an already acquired connection:
        // what `Pool::begin_with` does, minus the choice of pool (public, doc-hidden in sqlx 0.9).
        let tx = Transaction::begin(
            MaybePoolConnection::PoolConnection(conn),
            Some(AssertSqlSafe(begin_sql(schema)).into_sql_str()),
        )
        .await?;
        Ok(Self { tx, tenant_id })
    }

    /// The tenant this transaction belongs to.
    pub fn tenant_id(&self) -> Uuid {
        self.tenant_id
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

/// What a one-statement read writes where the tenant's schema goes: `from {tenant}.notes`.
pub const TENANT_SCHEMA: &str = "{tenant}";

/// A read that is one statement, sent in one round trip: no `BEGIN`, no `SET LOCAL`, no
/// `ROLLBACK`. The statement names its tables with the tenant's schema ([`Self::sql`] puts the
/// server-made, quoted name where the SQL says `{tenant}`), so it needs no search_path: the
/// connection's stays the empty schema and an unqualified name still fails closed. One
/// statement is one implicit transaction, so it reads one snapshot. Because the text names the
/// tenant, the connection caches it as that tenant's own statement and PostgreSQL keeps its plan
/// (bounded: only at the tenant's home shard, and only while the connection's statement
/// cache has room beyond the reserve kept for shared statements). Behind PgBouncer, or with
/// `database.one_round_trip_reads` off, it runs inside a [`TenantTx`]-shaped transaction
/// instead, so a statement's parse and its execution always meet the same server connection.
/// docs/tenancy.md, "One-statement reads", says why this is as safe as a [`TenantTx`].
pub struct TenantRead<'a> {
    db: &'a Db,
    tenant_id: Uuid,
    schema: &'a SchemaName,
}

impl<'a> TenantRead<'a> {
    pub(in crate::host) fn new(db: &'a Db, tenant_id: Uuid, schema: &'a SchemaName) -> Self {
        Self {
            db,
            tenant_id,
            schema,
        }
    }

    /// `sql` (written in the code, never from a request) with every `{tenant}` replaced by the
    /// tenant's quoted schema name, `"t_<hex>"`.
    pub fn sql(&self, sql: &'static str) -> AssertSqlSafe<String> {
        debug_assert!(
            sql.contains(TENANT_SCHEMA),
            "a tenant read names its schema"
        );
        AssertSqlSafe(sql.replace(TENANT_SCHEMA, &self.schema.quoted()))
    }

    /// Runs the statement built from [`Self::sql`] and returns its rows.
    pub async fn fetch_all<O>(
        self,
        query: QueryAs<'_, Postgres, O, PgArguments>,
    ) -> Result<Vec<O>, sqlx::Error>
    where
        O: for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let (conn, home) = self.db.tenant_connection(self.tenant_id).await?;
        let own = home && self.db.own_plan_room(conn.cached_statements_size());
        let query = query.persistent(own);
        if self.db.one_round_trip_reads() {
            let mut conn = conn;
            return query.fetch_all(&mut *conn).await;
        }
        // Dropped without commit: the ROLLBACK travels with the pool's release ping.
        let mut tx = Transaction::begin(
            MaybePoolConnection::PoolConnection(conn),
            Some(AssertSqlSafe(begin_sql(self.schema)).into_sql_str()),
        )
        .await?;
        query.fetch_all(&mut *tx).await
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
