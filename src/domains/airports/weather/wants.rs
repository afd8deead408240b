//! Which stations are wanted, until when: recorded in this process by whoever asks (the
//! weather endpoints, other domains through `airports::service::want_weather`), written to
//! `reference.weather.wanted_until` by the next pass of the shared job (so a request never
//! writes the shared table, and every replica's job sees every replica's wants).
//!
//! Wants are kept per deployment (the database and the provider of the settings they were
//! asked under), so several services in one process (the tests) never take each other's; with
//! no provider configured nothing is recorded at all.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{LazyLock, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

use super::refresh::WAKE;
use crate::config::Settings;

/// At most this many stations wait to be recorded (a pass records them within a minute).
const MAX_PENDING: usize = 10_000;
/// An extension shorter than this is not worth a write.
const SLACK: Duration = Duration::minutes(30);

#[derive(Default)]
struct Wants {
    /// Not yet written: station -> wanted until.
    pending: HashMap<String, DateTime<Utc>>,
    /// Written by this process: station -> until (forgotten once past).
    recorded: HashMap<String, DateTime<Utc>>,
}

static WANTS: LazyLock<Mutex<HashMap<u64, Wants>>> = LazyLock::new(Mutex::default);

/// The deployment `settings` fetch for (a hash of the database and the provider); `None`
/// without a provider.
fn deployment(settings: &Settings) -> Option<u64> {
    let provider = settings.weather.provider_url.as_deref()?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    settings.database_url().hash(&mut h);
    provider.hash(&mut h);
    Some(h.finish())
}

/// Records that `stations` are wanted until `until`. A station this process never recorded
/// wakes the job, so its first fetch does not wait for the next period.
pub fn want<'a>(
    settings: &Settings,
    stations: impl IntoIterator<Item = &'a str>,
    until: DateTime<Utc>,
) {
    let Some(key) = deployment(settings) else {
        return;
    };
    let mut wake = false;
    {
        let mut all = WANTS.lock().unwrap_or_else(PoisonError::into_inner);
        let w = all.entry(key).or_default();
        for station in stations {
            let known = w
                .pending
                .get(station)
                .copied()
                .max(w.recorded.get(station).copied());
            if known.is_some_and(|k| until <= k + SLACK) {
                continue;
            }
            if w.pending.len() >= MAX_PENDING && !w.pending.contains_key(station) {
                tracing::warn!(station, "too many weather stations waiting to be recorded");
                continue;
            }
            wake |= !w.recorded.contains_key(station);
            w.pending.insert(station.to_owned(), until);
        }
    }
    if wake {
        WAKE.notify_one();
    }
}

/// The wants not yet written, to write now; they count as recorded from here on
/// ([`restore`] puts them back when the write fails).
pub fn take(settings: &Settings) -> Vec<(String, DateTime<Utc>)> {
    let Some(key) = deployment(settings) else {
        return Vec::new();
    };
    let mut all = WANTS.lock().unwrap_or_else(PoisonError::into_inner);
    let w = all.entry(key).or_default();
    let now = Utc::now();
    w.recorded.retain(|_, until| *until > now);
    let taken: Vec<(String, DateTime<Utc>)> = w.pending.drain().collect();
    for (station, until) in &taken {
        w.recorded.insert(station.clone(), *until);
    }
    taken
}

/// Puts wants back after their write failed.
pub fn restore(settings: &Settings, wants: Vec<(String, DateTime<Utc>)>) {
    let Some(key) = deployment(settings) else {
        return;
    };
    let mut all = WANTS.lock().unwrap_or_else(PoisonError::into_inner);
    let w = all.entry(key).or_default();
    for (station, until) in wants {
        w.recorded.remove(&station);
        let slot = w.pending.entry(station).or_insert(until);
        *slot = (*slot).max(until);
    }
}
