//! Check-out and check-in of a booking: the check-out dispatch rules and the meters out; the
//! meters in (the aircraft's new meters) and the squawks found during the flight.

use serde_json::json;
use uuid::Uuid;

use super::dto::{Booking, BookingKind, BookingStatus, CheckIn, CheckOut};
use super::repo;
use super::rules::{self, Candidate, Stage};
use super::service::{blocked, load_for, state_conflict};
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::domains::finance::service as finance;
use crate::domains::fleet::service::{self as fleet, NewReading};
use crate::domains::flights::service::{self as flights, BookingFlown};
use crate::domains::maintenance::service::{self as maintenance, NewSquawk};
use crate::error::{AppError, Checks, Result};
use crate::kernel::units::{hours, tenths, wire};
use crate::tenancy::TenantTx;

/// Checks the aircraft out: the check-out rules run (airworthiness again, maintenance due)
/// and the meters out are recorded.
#[tracing::instrument(skip_all, fields(booking.id = %id))]
pub async fn check_out(
    p: &TenantCtx,
    id: crate::kernel::BookingId,
    body: &CheckOut,
) -> Result<Booking> {
    let mut tx = p.begin().await?;
    let before = load_for(&mut tx, p, id, true).await?;
    if before.status != BookingStatus::Scheduled {
        return Err(state_conflict(&before, "scheduled"));
    }
    let c = Candidate {
        kind: wire(&before.kind),
        starts_at: before.starts_at,
        ends_at: before.ends_at,
        aircraft_id: before.aircraft_id,
        instructor_id: before.instructor_id,
        simulator_id: before.simulator_id,
        pilot_id: before.pilot_id,
        ifr: before.flight_rules == super::dto::FlightRules::Ifr,
        night: before.night,
        actor: p.user_id,
        actor_manages: p.has(super::SCHEDULING_MANAGE),
    };
    let facts = repo::facts(&mut tx, &c).await?;
    let recorded = rules::evaluate(
        Stage::CheckOut,
        &c,
        &facts,
        &body.override_rules.clone().unwrap_or_default(),
        p.has(super::SCHEDULING_OVERRIDE),
    )
    .map_err(blocked)?;
    let meters = match before.aircraft_id {
        Some(a) => fleet::get_aircraft(&mut tx, a, false)
            .await?
            .map(|a| (tenths(a.hobbs), tenths(a.tach))),
        None => None,
    };
    let mut dispatch = before.dispatch.clone();
    dispatch.extend(recorded);
    sqlx::query(
        "update bookings set status = 'checked_out', checked_out_at = now(), checked_out_by = $2,
             hobbs_out_tenths = $3, tach_out_tenths = $4, dispatch = $5, version = version + 1
         where id = $1",
    )
    .bind(before.id)
    .bind(p.user_id)
    .bind(meters.map(|m| body.hobbs_out.map(tenths).unwrap_or(m.0)))
    .bind(meters.map(|m| body.tach_out.map(tenths).unwrap_or(m.1)))
    .bind(json!(dispatch))
    .execute(&mut *tx)
    .await?;
    let after = repo::get(&mut tx, before.id, None, false)
        .await?
        .ok_or(AppError::NotFound("booking"))?;
    audit::updated(
        &mut tx,
        p.into(),
        "booking.checked_out",
        "booking",
        before.id,
        &before,
        &after,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Checks in: meters in (not below the meters out) become the aircraft's meters, and the
/// squawks found are reported against the aircraft.
#[tracing::instrument(skip_all, fields(booking.id = %id))]
pub async fn check_in(
    p: &TenantCtx,
    id: crate::kernel::BookingId,
    body: &CheckIn,
) -> Result<(Booking, Vec<Uuid>)> {
    let mut tx = p.begin().await?;
    let before = load_for(&mut tx, p, id, true).await?;
    if before.status != BookingStatus::CheckedOut {
        return Err(state_conflict(&before, "checked_out"));
    }
    let mut v = Checks::new();
    let squawk_list = body.squawks.as_deref().unwrap_or_default();
    if let Some(aircraft_id) = before.aircraft_id {
        let (hobbs_in, tach_in) = (body.hobbs_in.map(tenths), body.tach_in.map(tenths));
        v.check(
            hobbs_in.is_some(),
            "hobbs_in",
            "is required for a booking with an aircraft",
        );
        v.check(
            tach_in.is_some(),
            "tach_in",
            "is required for a booking with an aircraft",
        );
        let out_h = before.hobbs_out.map(tenths).unwrap_or(0);
        let out_t = before.tach_out.map(tenths).unwrap_or(0);
        v.check(
            hobbs_in.is_none_or(|h| h >= out_h),
            "hobbs_in",
            "is below the Hobbs meter out",
        );
        v.check(
            tach_in.is_none_or(|t| t >= out_t),
            "tach_in",
            "is below the tach meter out",
        );
        for (i, s) in squawk_list.iter().enumerate() {
            v.check(
                !s.title.trim().is_empty(),
                &format!("squawks[{i}].title"),
                "must not be blank",
            );
        }
        v.done()?;
        let (h, t) = (hobbs_in.unwrap_or(out_h), tach_in.unwrap_or(out_t));
        sqlx::query(
            "update bookings set status = 'completed', checked_in_at = now(), hobbs_in_tenths = $2,
                 tach_in_tenths = $3, version = version + 1 where id = $1",
        )
        .bind(before.id)
        .bind(h)
        .bind(t)
        .execute(&mut *tx)
        .await?;
        let reading = fleet::record_reading(
            &mut tx,
            &NewReading {
                aircraft_id,
                hobbs_tenths: h,
                tach_tenths: t,
                source: "check_in",
                booking_id: Some(before.id),
                corrects_id: None,
                reason: None,
                recorded_by: Some(p.user_id),
            },
        )
        .await?;
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "aircraft.meters_recorded",
                resource_type: "aircraft",
                resource_id: Some(aircraft_id.to_string()),
                before: Some(json!({"hobbs": hours(out_h), "tach": hours(out_t)})),
                after: audit::snapshot(&reading),
            },
        )
        .await?;
    } else {
        v.check(
            squawk_list.is_empty(),
            "squawks",
            "a booking without an aircraft reports no squawks",
        );
        v.done()?;
        sqlx::query(
            "update bookings set status = 'completed', checked_in_at = now(), version = version + 1 where id = $1",
        )
        .bind(before.id)
        .execute(&mut *tx)
        .await?;
    }
    let mut ids = Vec::new();
    for s in squawk_list {
        let Some(aircraft_id) = before.aircraft_id else {
            break;
        };
        let sq = maintenance::insert_squawk(
            &mut tx,
            &NewSquawk {
                aircraft_id,
                title: s.title.trim(),
                description: s.description.as_deref(),
                severity: &wire(&s.severity),
                reported_by: p.user_id,
                booking_id: Some(before.id),
            },
        )
        .await?;
        audit::created(&mut tx, p.into(), "squawk.created", "squawk", sq.id, &sq).await?;
        ids.push(sq.id);
    }
    let after = repo::get(&mut tx, before.id, None, false)
        .await?
        .ok_or(AppError::NotFound("booking"))?;
    draft_flight(&mut tx, p, &after).await?;
    draft_invoice(&mut tx, p, &after).await?;
    audit::updated(
        &mut tx,
        p.into(),
        "booking.checked_in",
        "booking",
        before.id,
        &before,
        &after,
    )
    .await?;
    tx.commit().await?;
    Ok((after, ids))
}

/// The draft flight of a booking flown in an aircraft (not a maintenance block), made in the
/// check-in's transaction by the flights domain while the tenant has its module on. Idempotent:
/// a booking makes one flight.
async fn draft_flight(tx: &mut TenantTx, p: &TenantCtx, b: &Booking) -> Result<()> {
    let Some(aircraft_id) = b.aircraft_id else {
        return Ok(());
    };
    if b.kind == BookingKind::Maintenance
        || !crate::tenancy::flags::effective(&crate::domains::CATALOG, &p.tenant, flights::FLAG).0
    {
        return Ok(());
    }
    let flown = BookingFlown {
        booking_id: b.id,
        aircraft_id,
        pilot_id: b.pilot_id,
        instructor_id: b.instructor_id,
        kind: wire(&b.kind),
        checked_out_at: b.checked_out_at,
        checked_in_at: b.checked_in_at,
        hobbs_out_tenths: b.hobbs_out.map(tenths),
        hobbs_in_tenths: b.hobbs_in.map(tenths),
        tach_out_tenths: b.tach_out.map(tenths),
        tach_in_tenths: b.tach_in.map(tenths),
    };
    flights::draft_from_booking(tx, p.into(), &flown).await?;
    Ok(())
}

/// The draft invoice of a booking flown in an aircraft by a pilot (not a maintenance block),
/// drafted from the price list by the finance domain in the check-in's transaction while the
/// tenant has its module on (docs/finance.md). Idempotent: a booking has one live invoice.
async fn draft_invoice(tx: &mut TenantTx, p: &TenantCtx, b: &Booking) -> Result<()> {
    let (Some(aircraft_id), Some(pilot_id)) = (b.aircraft_id, b.pilot_id) else {
        return Ok(());
    };
    if b.kind == BookingKind::Maintenance
        || !crate::tenancy::flags::effective(&crate::domains::CATALOG, &p.tenant, finance::FLAG).0
    {
        return Ok(());
    }
    let delta = |out: Option<f64>, inn: Option<f64>| match (out, inn) {
        (Some(o), Some(i)) => Some(tenths(i) - tenths(o)),
        _ => None,
    };
    let flown = finance::BookingFlown {
        booking_id: b.id,
        aircraft_id,
        pilot_id,
        instructor_id: b.instructor_id,
        hobbs_tenths: delta(b.hobbs_out, b.hobbs_in),
        tach_tenths: delta(b.tach_out, b.tach_in),
        block_minutes: b
            .checked_out_at
            .zip(b.checked_in_at)
            .map(|(o, i)| (i - o).num_minutes()),
    };
    finance::draft_for_booking(tx, p.into(), &flown).await?;
    Ok(())
}
