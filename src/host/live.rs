//! Live events: what a domain's Server-Sent Events stream is told the moment a transaction that
//! changed something commits, on every replica.
//!
//! A domain keeps its own numbered event table (the record a client replays after reconnecting
//! with `Last-Event-ID`) and, in the transaction that writes an event, calls [`publish`]: a
//! `pg_notify` on [`CHANNEL`] carrying the tenant, the topic, the event's number and its JSON.
//! PostgreSQL delivers a notification only when (and if) its transaction commits, so a stream
//! never shows a change that was rolled back, and it reaches every replica's [`LiveHub`] through
//! one `LISTEN` connection each (the direct URL: LISTEN does not survive PgBouncer's transaction
//! mode, NOTIFY inside a transaction does). The hub fans an event out to the subscribers of its
//! tenant and topic only: a subscriber is keyed by the tenant of its authenticated principal,
//! so a stream of one tenant never sees another's events.
//!
//! A notification is at most 8000 bytes: an event too large to carry is sent without its data,
//! and a subscriber reads it from the domain's table instead ([`LiveEvent::data`] is `None`).
//! When the listener loses its connection, or a slow subscriber falls behind the channel's
//! buffer, the subscriber is told to catch up from its table ([`Delivery::Resync`]): nothing is
//! lost, at worst read twice and skipped by number.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::PgConnection;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::db::Db;

/// The PostgreSQL channel every live event travels on.
pub const CHANNEL: &str = "flightline_live";
/// Events buffered per tenant and topic before a slow subscriber must resync.
const BUFFER: usize = 1024;
/// The largest notification payload PostgreSQL takes (8000 bytes), with room to spare.
const MAX_PAYLOAD: usize = 7900;

/// One event as published.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LiveEvent {
    #[serde(rename = "t")]
    pub tenant: Uuid,
    pub topic: String,
    /// The event's number in the domain's table (its SSE `id`).
    pub id: i64,
    pub kind: String,
    /// The event's JSON; `None` when it was too large to carry (read it from the table).
    pub data: Option<serde_json::Value>,
}

/// What a subscriber receives.
#[derive(Debug, Clone)]
pub enum Delivery {
    Event(Arc<LiveEvent>),
    /// Events may have been missed: read the table from the last one seen.
    Resync,
}

/// The subscribers of this process, by tenant and topic.
#[derive(Default)]
pub struct LiveHub {
    channels: Mutex<HashMap<(Uuid, String), broadcast::Sender<Delivery>>>,
}

impl LiveHub {
    /// A receiver of `topic`'s events in `tenant`, from now on.
    pub fn subscribe(&self, tenant: Uuid, topic: &str) -> broadcast::Receiver<Delivery> {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        channels
            .entry((tenant, topic.to_owned()))
            .or_insert_with(|| broadcast::channel(BUFFER).0)
            .subscribe()
    }

    /// Hands `event` to its tenant's and topic's subscribers, and forgets channels nobody
    /// listens to any more.
    fn deliver(&self, event: LiveEvent) {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        let key = (event.tenant, event.topic.clone());
        if let Some(tx) = channels.get(&key)
            && tx.send(Delivery::Event(Arc::new(event))).is_err()
        {
            channels.remove(&key);
        }
    }

    /// Tells every subscriber to catch up (the listener reconnected).
    fn resync_all(&self) {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        channels.retain(|_, tx| tx.send(Delivery::Resync).is_ok());
    }

    /// Listens on [`CHANNEL`] until the process ends, reconnecting with a growing pause.
    pub(in crate::host) fn spawn_listener(self: &Arc<Self>, db: Db) -> tokio::task::JoinHandle<()> {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(200);
            loop {
                match db.listener().await {
                    Ok(mut listener) => {
                        if listener.listen(CHANNEL).await.is_ok() {
                            // Whatever committed while no one listened is in the tables.
                            this.resync_all();
                            backoff = Duration::from_millis(200);
                            while let Ok(n) = listener.recv().await {
                                match serde_json::from_str::<LiveEvent>(n.payload()) {
                                    Ok(event) => this.deliver(event),
                                    Err(e) => tracing::warn!(error = %e, "unreadable live event"),
                                }
                            }
                            tracing::warn!("live event listener lost its connection");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "live event listener cannot connect"),
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        })
    }
}

/// Publishes event `id` of `topic` in `tenant` when the caller's transaction commits.
pub async fn publish(
    conn: &mut PgConnection,
    tenant: Uuid,
    topic: &str,
    id: i64,
    kind: &str,
    data: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    let mut event = LiveEvent {
        tenant,
        topic: topic.to_owned(),
        id,
        kind: kind.to_owned(),
        data: Some(data.clone()),
    };
    let mut payload = serde_json::to_string(&event).unwrap_or_default();
    if payload.len() > MAX_PAYLOAD {
        event.data = None;
        payload = serde_json::to_string(&event).unwrap_or_default();
    }
    sqlx::query("select pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(tenant: Uuid, topic: &str, id: i64) -> LiveEvent {
        LiveEvent {
            tenant,
            topic: topic.into(),
            id,
            kind: "k".into(),
            data: None,
        }
    }

    #[tokio::test]
    async fn an_event_reaches_its_tenant_and_topic_only() {
        let hub = LiveHub::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let mut mine = hub.subscribe(a, "fbo");
        let mut other_tenant = hub.subscribe(b, "fbo");
        let mut other_topic = hub.subscribe(a, "x");
        hub.deliver(event(a, "fbo", 7));
        match mine.recv().await.expect("valid") {
            Delivery::Event(e) => assert_eq!((e.tenant, e.id), (a, 7)),
            Delivery::Resync => panic!("expected the event"),
        }
        assert!(other_tenant.try_recv().is_err());
        assert!(other_topic.try_recv().is_err());
        hub.resync_all();
        assert!(matches!(other_tenant.try_recv(), Ok(Delivery::Resync)));
    }

    #[test]
    fn a_channel_nobody_hears_is_forgotten() {
        let hub = LiveHub::default();
        let a = Uuid::now_v7();
        drop(hub.subscribe(a, "fbo"));
        hub.deliver(event(a, "fbo", 1));
        assert!(hub.channels.lock().expect("valid").is_empty());
    }
}
