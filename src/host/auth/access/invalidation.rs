//! [`Invalidation`]: what a change asks every replica to drop from the cache, its payload on
//! the PostgreSQL and Redis channels, and [`notify`], which sends it with the transaction.

use uuid::Uuid;

use crate::db::TenantTx;

pub const CHANNEL: &str = "flightline_access";

/// The Redis channel used instead of LISTEN/NOTIFY when `REDIS_URL` is configured.
pub const REDIS_CHANNEL: &str = "flightline:access";

/// What a notification asks to drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalidation {
    /// Everything cached for a tenant (roles or users changed).
    Tenant(Uuid),
    /// One session.
    Session(Uuid, Uuid),
}

impl Invalidation {
    pub fn payload(self) -> String {
        match self {
            Self::Tenant(t) => format!("t:{t}"),
            Self::Session(t, s) => format!("s:{t}:{s}"),
        }
    }

    pub(super) fn parse(payload: &str) -> Option<Self> {
        let mut parts = payload.split(':');
        match (parts.next()?, parts.next(), parts.next()) {
            ("t", Some(t), None) => Some(Self::Tenant(t.parse().ok()?)),
            ("s", Some(t), Some(s)) => Some(Self::Session(t.parse().ok()?, s.parse().ok()?)),
            _ => None,
        }
    }
}

/// Sends the invalidation with the transaction: replicas hear it only if it commits.
pub async fn notify(tx: &mut TenantTx, what: Invalidation) -> Result<(), sqlx::Error> {
    sqlx::query("select pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(what.payload())
        .execute(&mut **tx)
        .await
        .map(|_| ())
}
