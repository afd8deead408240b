//! [`Redis`]: the optional Redis deployment that carries invalidations between replicas.

/// A Redis deployment: a pool for commands and a client for pub/sub connections.
#[derive(Clone)]
pub struct Redis {
    pub pool: deadpool_redis::Pool,
    pub(super) client: deadpool_redis::redis::Client,
}

impl Redis {
    pub fn connect(url: &str) -> anyhow::Result<Self> {
        let pool = deadpool_redis::Config::from_url(url)
            .create_pool(Some(deadpool_redis::Runtime::Tokio1))
            .map_err(|e| anyhow::anyhow!("redis.url: {e}"))?;
        let client = deadpool_redis::redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("redis.url: {e}"))?;
        Ok(Self { pool, client })
    }

    /// `PING`, for readiness.
    pub async fn ping(&self) -> bool {
        let Ok(mut conn) = self.pool.get().await else {
            return false;
        };
        deadpool_redis::redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .is_ok()
    }
}
