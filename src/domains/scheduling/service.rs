//! Creating, moving and cancelling bookings (check-out and check-in: `checkin.rs`). Each runs in
//! one transaction that evaluates the dispatch rules, writes the change and its audit row, and
//! queues the waitlist e-mails of a freed slot. Double booking is left to the exclusion
//! constraints: a losing concurrent insert fails with 23P01, answered as `409
//! booking-conflict` naming the booking that holds the resource.

use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use super::dto::{Booking, BookingCreate, BookingKind, FlightRules};
use super::dto::{BookingStatus, BookingUpdate};
use super::repo;
use super::rules::{self, Candidate, RuleOutcome, Stage};
use crate::audit;
use crate::auth::{Principal, TenantCtx};
use crate::error::{AppError, Checks, FieldError, Result};
use crate::kernel::units::wire;
use crate::tenancy::TenantTx;

/// `409 dispatch-blocked`, one entry per blocking rule.
pub(super) fn blocked(outcomes: Vec<RuleOutcome>) -> AppError {
    AppError::Detailed {
        status: poem::http::StatusCode::CONFLICT,
        code: "dispatch-blocked",
        detail: format!(
            "blocked by dispatch rules: {}",
            outcomes
                .iter()
                .map(|o| o.rule.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        errors: outcomes
            .into_iter()
            .map(|o| FieldError::new(format!("rules.{}", o.rule), o.message))
            .collect(),
    }
}

fn check_candidate(c: &Candidate) -> Result<()> {
    let mut v = Checks::new();
    v.check(
        c.ends_at > c.starts_at,
        "ends_at",
        "must be after starts_at",
    );
    v.check(
        c.ends_at - c.starts_at <= chrono::Duration::days(31),
        "ends_at",
        "a booking lasts at most 31 days",
    );
    v.check(
        c.aircraft_id.is_some() || c.instructor_id.is_some() || c.simulator_id.is_some(),
        "aircraft_id",
        "a booking needs an aircraft, an instructor or a simulator",
    );
    v.check(
        c.kind != "maintenance" || c.aircraft_id.is_some(),
        "aircraft_id",
        "a maintenance block needs an aircraft",
    );
    v.check(
        c.kind != "ground" || c.aircraft_id.is_none(),
        "aircraft_id",
        "a ground lesson holds no aircraft",
    );
    v.check(
        c.kind != "simulator" || c.simulator_id.is_some(),
        "simulator_id",
        "a simulator booking needs a simulator",
    );
    v.done()
}

/// Maps an exclusion violation to `409 booking-conflict` naming the booking that holds the
/// resource; it has committed by then (the constraint waited for it), so a fresh transaction
/// sees it.
async fn conflict(
    p: &TenantCtx,
    c: &Candidate,
    except: Option<crate::kernel::BookingId>,
    err: sqlx::Error,
) -> AppError {
    let is_excl =
        matches!(&err, sqlx::Error::Database(db) if db.code().as_deref() == Some("23P01"));
    let mapped = AppError::from(err);
    if !is_excl {
        return mapped;
    }
    let Ok(mut tx) = p.begin().await else {
        return mapped;
    };
    match repo::conflicting(&mut tx, c, except).await {
        Ok(Some((id, resource))) => AppError::Conflict {
            code: "booking-conflict",
            detail: format!("the {resource} is already booked at that time by booking {id}"),
            field: Some(resource.to_owned()),
        },
        _ => mapped,
    }
}

fn body_hash(body: &BookingCreate) -> Vec<u8> {
    Sha256::digest(serde_json::to_vec(body).unwrap_or_default()).to_vec()
}

/// Creates a booking. With an `Idempotency-Key`, a retry with the same body returns the
/// booking the first request made; with another body it answers `422`.
#[tracing::instrument(skip_all, fields(tenant.id = %p.tenant.id, aircraft.id = ?body.aircraft_id))]
pub async fn create(
    p: &TenantCtx,
    body: &BookingCreate,
    idempotency_key: Option<&str>,
) -> Result<Booking> {
    let c = Candidate {
        kind: wire(&body.kind),
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        aircraft_id: body.aircraft_id,
        instructor_id: body.instructor_id,
        simulator_id: body.simulator_id,
        pilot_id: Some(body.pilot_id.unwrap_or(p.user_id)),
        ifr: body.flight_rules == Some(FlightRules::Ifr),
        night: body.night.unwrap_or(false),
        actor: p.user_id,
        actor_manages: p.has(super::SCHEDULING_MANAGE),
    };
    check_candidate(&c)?;
    if let Some(k) = idempotency_key
        && !(1..=200).contains(&k.len())
    {
        return Err(AppError::validation(
            "Idempotency-Key",
            "must be 1 to 200 characters",
        ));
    }
    let mut tx = p.begin().await?;
    let hash = idempotency_key.map(|_| body_hash(body));
    if let Some(key) = idempotency_key {
        // Requests with one key run one after the other; the second finds the first's booking.
        sqlx::query("select pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2, 0))")
            .bind(p.user_id)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        let first = sqlx::query_as::<_, (Uuid, Vec<u8>)>(
            "select booking_id, body_hash from booking_idempotency where user_id = $1 and key = $2",
        )
        .bind(p.user_id)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((id, stored)) = first {
            if Some(stored) != hash {
                return Err(AppError::validation(
                    "Idempotency-Key",
                    "was used before with another body",
                ));
            }
            let b = repo::get(&mut tx, id.into(), None, false)
                .await?
                .ok_or(AppError::NotFound("booking"))?;
            tx.end_read();
            return Ok(b);
        }
    }
    let facts = repo::facts(&mut tx, &c).await?;
    let overrides = body.override_rules.clone().unwrap_or_default();
    let recorded = rules::evaluate(
        Stage::Booking,
        &c,
        &facts,
        &overrides,
        p.has(super::SCHEDULING_OVERRIDE),
    )
    .map_err(blocked)?;
    // Built here so that the response and the audit row are exactly what is stored.
    let now = Utc::now();
    let now = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    let b = Booking {
        id: crate::kernel::BookingId::new(),
        kind: body.kind,
        status: BookingStatus::Scheduled,
        starts_at: c.starts_at,
        ends_at: c.ends_at,
        aircraft_id: c.aircraft_id,
        instructor_id: c.instructor_id,
        simulator_id: c.simulator_id,
        pilot_id: c.pilot_id,
        flight_rules: body.flight_rules.unwrap_or_default(),
        night: c.night,
        title: body.title.clone(),
        notes: body.notes.clone(),
        created_by: Some(p.user_id.into()),
        dispatch: recorded,
        cancelled_at: None,
        cancelled_by: None,
        cancel_reason: None,
        late_cancellation: false,
        checked_out_at: None,
        checked_in_at: None,
        hobbs_out: None,
        tach_out: None,
        hobbs_in: None,
        tach_in: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    if let Err(e) = repo::insert_recorded(&mut tx, &b, &p.into()).await {
        drop(tx);
        return Err(conflict(p, &c, None, e).await);
    }
    if let Some(key) = idempotency_key {
        sqlx::query(
            "insert into booking_idempotency (user_id, key, body_hash, booking_id) values ($1, $2, $3, $4)",
        )
        .bind(p.user_id)
        .bind(key)
        .bind(&hash)
        .bind(b.id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(b)
}

/// The booking for a caller: any with `scheduling.manage`, else only where they are the pilot
/// or the instructor (404 otherwise, like an unknown id).
pub(super) async fn load_for(
    tx: &mut TenantTx,
    p: &Principal,
    id: crate::kernel::BookingId,
    lock: bool,
) -> Result<Booking> {
    let owner = (!p.has(super::SCHEDULING_MANAGE)).then_some(p.user_id);
    repo::get(tx, id, owner, lock)
        .await?
        .ok_or(AppError::NotFound("booking"))
}

pub(super) fn state_conflict(b: &Booking, wanted: &str) -> AppError {
    AppError::Conflict {
        code: "booking-state",
        detail: format!("the booking is {}; it must be {wanted}", wire(&b.status)),
        field: None,
    }
}

/// Moves or edits a scheduled booking; the rules run again and a freed slot notifies the
/// waitlist.
#[tracing::instrument(skip_all, fields(booking.id = %id))]
pub async fn update(
    p: &TenantCtx,
    id: crate::kernel::BookingId,
    body: &BookingUpdate,
) -> Result<Booking> {
    use poem_openapi::types::MaybeUndefined as M;
    let mut tx = p.begin().await?;
    let before = load_for(&mut tx, p, id, true).await?;
    AppError::check_version("booking", body.version, before.version)?;
    if before.status != BookingStatus::Scheduled {
        return Err(state_conflict(&before, "scheduled"));
    }
    fn pick<T: Copy>(v: &M<T>, old: Option<T>) -> Option<T> {
        match v {
            M::Value(x) => Some(*x),
            M::Null => None,
            M::Undefined => old,
        }
    }
    let c = Candidate {
        kind: wire(&body.kind.unwrap_or(before.kind)),
        starts_at: body.starts_at.unwrap_or(before.starts_at),
        ends_at: body.ends_at.unwrap_or(before.ends_at),
        aircraft_id: pick(&body.aircraft_id, before.aircraft_id),
        instructor_id: pick(&body.instructor_id, before.instructor_id),
        simulator_id: pick(&body.simulator_id, before.simulator_id),
        pilot_id: pick(&body.pilot_id, before.pilot_id),
        ifr: body.flight_rules.unwrap_or(before.flight_rules) == FlightRules::Ifr,
        night: body.night.unwrap_or(before.night),
        actor: p.user_id,
        actor_manages: p.has(super::SCHEDULING_MANAGE),
    };
    check_candidate(&c)?;
    let facts = repo::facts(&mut tx, &c).await?;
    let recorded = rules::evaluate(
        Stage::Booking,
        &c,
        &facts,
        &body.override_rules.clone().unwrap_or_default(),
        p.has(super::SCHEDULING_OVERRIDE),
    )
    .map_err(blocked)?;
    let text = |v: &M<String>, old: &Option<String>| match v {
        M::Value(x) => Some(x.clone()),
        M::Null => None,
        M::Undefined => old.clone(),
    };
    let moved = sqlx::query(
        "update bookings set kind = $2, starts_at = $3, ends_at = $4, aircraft_id = $5, instructor_id = $6,
             simulator_id = $7, pilot_id = $8, title = $9, notes = $10, dispatch = $11,
             flight_rules = $12, night = $13, version = version + 1
         where id = $1",
    )
    .bind(before.id)
    .bind(&c.kind)
    .bind(c.starts_at)
    .bind(c.ends_at)
    .bind(c.aircraft_id)
    .bind(c.instructor_id)
    .bind(c.simulator_id)
    .bind(c.pilot_id)
    .bind(text(&body.title, &before.title))
    .bind(text(&body.notes, &before.notes))
    .bind(json!(recorded))
    .bind(if c.ifr { "ifr" } else { "vfr" })
    .bind(c.night)
    .execute(&mut *tx)
    .await;
    if let Err(e) = moved {
        drop(tx);
        return Err(conflict(p, &c, Some(before.id), e).await);
    }
    let after = repo::get(&mut tx, before.id, None, false)
        .await?
        .ok_or(AppError::NotFound("booking"))?;
    super::waitlist::notify(&mut tx, &before).await?;
    audit::updated(
        &mut tx,
        p.into(),
        "booking.updated",
        "booking",
        before.id,
        &before,
        &after,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Cancels a scheduled booking with a reason; late when inside the tenant's
/// `booking_rules.cancellation_notice_hours` (default 24) before the start.
#[tracing::instrument(skip_all, fields(booking.id = %id))]
pub async fn cancel(p: &TenantCtx, id: crate::kernel::BookingId, reason: &str) -> Result<Booking> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::validation("reason", "must not be blank"));
    }
    let mut tx = p.begin().await?;
    let before = load_for(&mut tx, p, id, true).await?;
    if before.status != BookingStatus::Scheduled {
        return Err(state_conflict(&before, "scheduled"));
    }
    let notice: Option<i64> = sqlx::query_scalar(
        "select (value ->> 'cancellation_notice_hours')::bigint from settings where key = 'booking_rules'",
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten();
    sqlx::query(
        "update bookings set status = 'cancelled', cancelled_at = now(), cancelled_by = $2, cancel_reason = $3,
             late_cancellation = starts_at - now() < make_interval(hours => $4::int), version = version + 1
         where id = $1",
    )
    .bind(before.id)
    .bind(p.user_id)
    .bind(reason)
    .bind(notice.unwrap_or(24).clamp(0, 720) as i32)
    .execute(&mut *tx)
    .await?;
    let after = repo::get(&mut tx, before.id, None, false)
        .await?
        .ok_or(AppError::NotFound("booking"))?;
    super::waitlist::notify(&mut tx, &before).await?;
    audit::updated(
        &mut tx,
        p.into(),
        "booking.cancelled",
        "booking",
        before.id,
        &before,
        &after,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
