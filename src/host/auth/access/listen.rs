//! The listeners that apply invalidations from every replica: PostgreSQL LISTEN, or Redis
//! pub/sub when Redis is configured.

use std::sync::Arc;
use std::time::Duration;

use super::{AccessCache, CHANNEL, Invalidation, REDIS_CHANNEL, Redis};

impl AccessCache {
    /// Applies invalidations from every replica until the process ends: from Redis pub/sub when
    /// Redis is configured, else from PostgreSQL LISTEN.
    pub fn spawn_listener(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        if let Some(redis) = self.redis.clone() {
            return self.spawn_redis_listener(redis);
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(200);
            loop {
                match this.db.listener().await {
                    Ok(mut listener) => {
                        if listener.listen(CHANNEL).await.is_ok() {
                            this.set_listening(true);
                            backoff = Duration::from_millis(200);
                            while let Ok(n) = listener.recv().await {
                                match Invalidation::parse(n.payload()) {
                                    Some(what) => this.invalidate_local(what),
                                    None => this.clear(),
                                }
                            }
                            tracing::warn!("access listener lost its connection");
                            this.set_listening(false);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "access listener cannot connect"),
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        })
    }

    fn spawn_redis_listener(self: &Arc<Self>, redis: Redis) -> tokio::task::JoinHandle<()> {
        use futures_util::StreamExt;
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(200);
            loop {
                match redis.client.get_async_pubsub().await {
                    Ok(mut pubsub) => {
                        if pubsub.subscribe(REDIS_CHANNEL).await.is_ok() {
                            this.set_listening(true);
                            backoff = Duration::from_millis(200);
                            let mut messages = pubsub.on_message();
                            while let Some(msg) = messages.next().await {
                                match msg
                                    .get_payload::<String>()
                                    .ok()
                                    .as_deref()
                                    .and_then(Invalidation::parse)
                                {
                                    Some(what) => this.invalidate_local(what),
                                    None => this.clear(),
                                }
                            }
                            tracing::warn!("access listener lost its Redis connection");
                            this.set_listening(false);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "access listener cannot connect to Redis"),
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        })
    }
}
