//! The shared job that keeps `reference.weather` current: each pass records the wanted
//! stations, claims those due (`for update skip locked`, so replicas share the work), commits,
//! asks the provider for their METARs and TAFs with no transaction open, then stores what came
//! back in a second short transaction. A failed request keeps the reports already stored and
//! marks the stations (`failed_at`), tried again after min(refresh, 60 s).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use tokio::sync::Notify;

use super::provider::{MetarRecord, Provider, ProviderError, TafRecord};
use super::{metar, taf, wants};
use crate::config::Settings;
use crate::kernel::manifest::{SharedJob, SharedJobCtx, SharedPass};

/// Wakes the job (a station wanted for the first time).
pub static WAKE: Notify = Notify::const_new();

/// The job, declared in the airports manifest.
pub const WEATHER_REFRESH: SharedJob = SharedJob {
    name: "weather_refresh",
    run,
    wake: &WAKE,
    retry: Duration::from_secs(30),
};

/// Stations fetched in one pass (a pass that claims this many runs again at once).
const MAX_PER_PASS: i64 = 400;
/// Stations named in one request to the provider.
const BATCH: usize = 100;
/// A station nobody wanted for this long is forgotten, reports and all.
const FORGET_AFTER_DAYS: i32 = 7;

fn run<'a>(ctx: &'a SharedJobCtx<'a>) -> BoxFuture<'a, anyhow::Result<SharedPass>> {
    Box::pin(pass(ctx))
}

async fn pass(ctx: &SharedJobCtx<'_>) -> anyhow::Result<SharedPass> {
    let settings: &Settings = ctx
        .settings
        .downcast_ref()
        .context("the host hands shared jobs its Settings")?;
    let w = &settings.weather;
    let Some(base) = &w.provider_url else {
        // Offline: nothing is fetched (and nothing was recorded as wanted).
        return Ok(SharedPass {
            done: 0,
            next: Duration::from_secs(3_600),
        });
    };
    let idle = SharedPass {
        done: 0,
        next: Duration::from_secs(w.refresh_seconds.min(60)),
    };
    let due = claim(ctx, settings).await?;
    if due.is_empty() {
        return Ok(idle);
    }
    let provider = Provider::new(base, Duration::from_secs(w.timeout_seconds))?;
    let mut outcomes = Vec::new();
    for batch in due.chunks(BATCH) {
        let outcome = match provider.metars(batch).await {
            Ok(metars) => provider.tafs(batch).await.map(|tafs| (metars, tafs)),
            Err(e) => Err(e),
        };
        if let Err(e) = &outcome {
            tracing::warn!(stations = batch.len(), error = %e, "weather fetch failed");
        }
        outcomes.push((batch, outcome));
    }
    let done = store(ctx, outcomes).await?;
    Ok(SharedPass {
        done,
        next: if i64::try_from(due.len()).unwrap_or(i64::MAX) >= MAX_PER_PASS {
            Duration::ZERO
        } else {
            idle.next
        },
    })
}

/// Writes the wants, forgets stations long unwanted, and claims the stations due: never
/// attempted, last attempted a refresh period ago, or failed a minute ago.
async fn claim(ctx: &SharedJobCtx<'_>, settings: &Settings) -> anyhow::Result<Vec<String>> {
    let w = &settings.weather;
    let taken = wants::take(settings);
    let claimed = async {
        let mut tx = ctx.db.begin().await?;
        if !taken.is_empty() {
            let (stations, until): (Vec<String>, Vec<DateTime<Utc>>) =
                taken.iter().cloned().unzip();
            sqlx::query(
                "insert into reference.weather (station, wanted_until)
                 select * from unnest($1::text[], $2::timestamptz[])
                 on conflict (station) do update
                    set wanted_until = greatest(reference.weather.wanted_until, excluded.wanted_until)",
            )
            .bind(&stations)
            .bind(&until)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "delete from reference.weather
              where wanted_until < now() - make_interval(days => $1)",
        )
        .bind(FORGET_AFTER_DAYS)
        .execute(&mut *tx)
        .await?;
        // 0.9: a pass that starts a moment early still finds the station due.
        let refresh = w.refresh_seconds as f64 * 0.9;
        let retry = w.refresh_seconds.min(60) as f64 * 0.9;
        let due: Vec<String> = sqlx::query_scalar(
            "with due as (
                 select station from reference.weather
                  where wanted_until > now()
                    and (attempted_at is null
                         or attempted_at <= now() - make_interval(secs => $1)
                         or (failed_at is not null and failed_at >= attempted_at
                             and attempted_at <= now() - make_interval(secs => $2)))
                  order by attempted_at nulls first, station
                  limit $3
                  for update skip locked)
             update reference.weather w set attempted_at = now()
               from due where w.station = due.station
             returning w.station",
        )
        .bind(refresh)
        .bind(retry)
        .bind(MAX_PER_PASS)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(due)
    }
    .await;
    match claimed {
        Ok(mut due) => {
            due.sort();
            Ok(due)
        }
        Err(e) => {
            wants::restore(settings, taken);
            Err(e.into())
        }
    }
}

type Outcome = Result<(Vec<MetarRecord>, Vec<TafRecord>), ProviderError>;

/// Stores each batch's reports (a newer METAR or TAF replaces the stored one; none keeps it),
/// or marks the batch failed. Returns the stations the provider answered for.
async fn store(ctx: &SharedJobCtx<'_>, outcomes: Vec<(&[String], Outcome)>) -> anyhow::Result<u64> {
    let now = Utc::now();
    let mut answered: Vec<String> = Vec::new();
    let mut failed: Vec<(String, String)> = Vec::new();
    let mut metars: HashMap<String, MetarRecord> = HashMap::new();
    let mut tafs: HashMap<String, TafRecord> = HashMap::new();
    for (batch, outcome) in outcomes {
        match outcome {
            Ok((m, t)) => {
                answered.extend(batch.iter().cloned());
                // The newest of each station's records.
                for r in m.into_iter().filter(|r| batch.contains(&r.station)) {
                    let keep = metars
                        .get(&r.station)
                        .is_some_and(|old| old.observed_at >= r.observed_at);
                    if !keep {
                        metars.insert(r.station.clone(), r);
                    }
                }
                for r in t.into_iter().filter(|r| batch.contains(&r.station)) {
                    let keep = tafs
                        .get(&r.station)
                        .is_some_and(|old| old.issued_at >= r.issued_at);
                    if !keep {
                        tafs.insert(r.station.clone(), r);
                    }
                }
            }
            Err(e) => failed.extend(batch.iter().map(|s| (s.clone(), e.to_string()))),
        }
    }
    let metar_rows = MetarRows::of(metars.into_values(), now);
    let taf_rows = TafRows::of(tafs.into_values(), now);
    let mut tx = ctx.db.begin().await?;
    sqlx::query(
        "update reference.weather w
            set metar_raw = n.raw, metar_observed_at = n.observed_at,
                metar_category = n.category, metar = n.fields
           from unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::jsonb[])
                as n(station, raw, observed_at, category, fields)
          where w.station = n.station
            and (w.metar_observed_at is null or w.metar_observed_at <= n.observed_at)",
    )
    .bind(&metar_rows.station)
    .bind(&metar_rows.raw)
    .bind(&metar_rows.observed_at)
    .bind(&metar_rows.category)
    .bind(&metar_rows.fields)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "update reference.weather w
            set taf_raw = n.raw, taf_issued_at = n.issued_at, taf_valid_from = n.valid_from,
                taf_valid_to = n.valid_to, taf_category = n.category, taf_periods = n.periods
           from unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[],
                       $5::timestamptz[], $6::text[], $7::jsonb[])
                as n(station, raw, issued_at, valid_from, valid_to, category, periods)
          where w.station = n.station
            and (w.taf_issued_at is null or w.taf_issued_at <= n.issued_at)",
    )
    .bind(&taf_rows.station)
    .bind(&taf_rows.raw)
    .bind(&taf_rows.issued_at)
    .bind(&taf_rows.valid_from)
    .bind(&taf_rows.valid_to)
    .bind(&taf_rows.category)
    .bind(&taf_rows.periods)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "update reference.weather set fetched_at = now(), failed_at = null, failure = null
          where station = any($1)",
    )
    .bind(&answered)
    .execute(&mut *tx)
    .await?;
    let (stations, reasons): (Vec<String>, Vec<String>) = failed.into_iter().unzip();
    sqlx::query(
        "update reference.weather w set failed_at = now(), failure = n.reason
           from unnest($1::text[], $2::text[]) as n(station, reason)
          where w.station = n.station",
    )
    .bind(&stations)
    .bind(&reasons)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(answered.len() as u64)
}

/// Decoded METARs as the columns of one statement.
#[derive(Default)]
struct MetarRows {
    station: Vec<String>,
    raw: Vec<String>,
    observed_at: Vec<DateTime<Utc>>,
    category: Vec<Option<String>>,
    fields: Vec<serde_json::Value>,
}

impl MetarRows {
    fn of(records: impl Iterator<Item = MetarRecord>, now: DateTime<Utc>) -> Self {
        let mut rows = Self::default();
        for r in records {
            let Some(decoded) = metar::decode(&r.raw, r.observed_at.unwrap_or(now)) else {
                continue;
            };
            let Some(observed_at) = r.observed_at.or(decoded.observed_at) else {
                continue;
            };
            rows.station.push(r.station);
            rows.raw.push(r.raw);
            rows.observed_at.push(observed_at);
            rows.category
                .push(decoded.fields.category.map(|c| c.as_str().to_owned()));
            rows.fields
                .push(serde_json::to_value(&decoded.fields).unwrap_or_default());
        }
        rows
    }
}

/// Decoded TAFs as the columns of one statement.
#[derive(Default)]
struct TafRows {
    station: Vec<String>,
    raw: Vec<String>,
    issued_at: Vec<DateTime<Utc>>,
    valid_from: Vec<DateTime<Utc>>,
    valid_to: Vec<DateTime<Utc>>,
    category: Vec<Option<String>>,
    periods: Vec<serde_json::Value>,
}

impl TafRows {
    fn of(records: impl Iterator<Item = TafRecord>, now: DateTime<Utc>) -> Self {
        let mut rows = Self::default();
        for r in records {
            let known = taf::Known {
                issued_at: r.issued_at,
                valid_from: r.valid_from,
                valid_to: r.valid_to,
            };
            let Some(d) = taf::decode(&r.raw, known, now) else {
                continue;
            };
            rows.station.push(r.station);
            rows.raw.push(r.raw);
            rows.issued_at.push(d.issued_at);
            rows.valid_from.push(d.valid_from);
            rows.valid_to.push(d.valid_to);
            rows.category.push(d.worst.map(|c| c.as_str().to_owned()));
            rows.periods
                .push(serde_json::to_value(&d.periods).unwrap_or_default());
        }
        rows
    }
}
