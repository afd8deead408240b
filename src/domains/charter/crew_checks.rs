//! The crew rules a trip's assignments and its release are checked against, each in the
//! organisation's mode (`block`, `warn`, `off`; a rule without a row blocks):
//!
//! - `qualification`: each pilot may act as PIC (with passengers when the leg carries some) or
//!   SIC in the leg's aircraft at its departure, by the certificates domain's engine (pilot
//!   certificate and ratings, type rating, medical for commercial privileges, 14 CFR 61.3,
//!   61.23, 61.31, 61.55, 61.57);
//! - the flight time, duty and rest rules of 14 CFR 135.267 for unscheduled one- and two-pilot
//!   crews, by `compliance::duty` over the pilot's duty periods.
//!
//! **Duty periods from trips.** A pilot's duty is built from the legs they are assigned as PIC
//! or SIC on trips that are scheduled, released, en route or completed (and the trip being
//! checked): report 60 minutes before block off, release 30 minutes after block on, and legs
//! less than 10 hours apart (the rest 135.267(d) requires) are one duty period. A leg flown with
//! a PIC and an SIC is a two-pilot segment (135.267(b)(2)); a positioning leg is counted as
//! other commercial flying (it counts toward every limit, sets none).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{AssignmentRole, ReleaseCheck, RuleMode, Trip};
use crate::compliance::duty::{self, DutyPeriod, Flying, Pilots, Segment};
use crate::domains::certificates::service::{self as certificates, State};
use crate::error::Result;
use crate::kernel::units::wire;
use crate::kernel::{AircraftId, UserId};
use crate::timezone::TenantClock;

/// Minutes on duty before the first block off and after the last block on.
const REPORT_BEFORE: i64 = 60;
const RELEASE_AFTER: i64 = 30;
/// Legs closer than this are one duty period (135.267(d): 10 consecutive hours of rest).
const REST_MINUTES: i64 = 600;

/// Every crew rule with the regulation it applies.
pub(super) const RULES: &[(&str, &str)] = &[
    (
        "qualification",
        "14 CFR 61.3, 61.23, 61.31, 61.55, 61.57 (certificates domain)",
    ),
    ("faa.135.267.b", "14 CFR 135.267(b), (c)"),
    ("faa.135.267.duty", "14 CFR 135.267(c), (d)"),
    ("faa.135.267.d", "14 CFR 135.267(d)"),
    ("faa.135.267.e", "14 CFR 135.267(e)"),
    ("faa.135.267.a.1", "14 CFR 135.267(a)(1)"),
    ("faa.135.267.a.2", "14 CFR 135.267(a)(2)"),
    ("faa.135.267.a.3", "14 CFR 135.267(a)(3)"),
    ("faa.135.267.f", "14 CFR 135.267(f)"),
];

/// The organisation's mode of every rule (block where none is set).
pub(super) async fn modes(conn: &mut PgConnection) -> Result<HashMap<String, RuleMode>> {
    let rows: Vec<(String, String)> = sqlx::query_as("select rule, mode from charter_crew_rules")
        .fetch_all(conn)
        .await?;
    let mut out: HashMap<String, RuleMode> = RULES
        .iter()
        .map(|(r, _)| ((*r).to_owned(), RuleMode::Block))
        .collect();
    for (rule, mode) in rows {
        if let Ok(m) = RuleMode::try_from(mode) {
            out.insert(rule, m);
        }
    }
    Ok(out)
}

/// One proposed assignment, with what the checks need of its crew member.
#[derive(Debug, Clone)]
pub(super) struct Proposed {
    pub seq: i32,
    pub crew_member_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub role: AssignmentRole,
}

fn outcome(mode: RuleMode, failed: bool) -> Option<&'static str> {
    match (mode, failed) {
        (RuleMode::Off, _) => None,
        (_, false) => Some("pass"),
        (RuleMode::Block, true) => Some("block"),
        (RuleMode::Warn, true) => Some("warn"),
    }
}

/// A leg flown by a pilot, for their duty periods.
#[derive(Debug, Clone)]
struct Flown {
    trip_id: Uuid,
    off: DateTime<Utc>,
    on: DateTime<Utc>,
    pilots: Pilots,
    positioning: bool,
}

/// A leg as read: trip, block off, block on, pilots on it, positioning.
type FlownRow = (Uuid, DateTime<Utc>, DateTime<Utc>, i64, bool);

/// The legs `member` flies as PIC or SIC on other trips that hold their aircraft, from `from`
/// to `to`.
async fn flown_elsewhere(
    conn: &mut PgConnection,
    member: Uuid,
    trip: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Flown>> {
    let rows: Vec<FlownRow> = sqlx::query_as(
        "select l.trip_id, l.departs_at, l.arrives_at,
                (select count(*) from charter_crew_assignments p
                  where p.trip_id = l.trip_id and p.seq = l.seq and p.role in ('pic', 'sic')),
                l.positioning
           from charter_crew_assignments a
           join charter_trip_legs l on l.trip_id = a.trip_id and l.seq = a.seq
           join charter_trips t on t.id = a.trip_id
          where a.crew_member_id = $1 and a.role in ('pic', 'sic') and a.trip_id <> $2
            and t.status in ('scheduled', 'released', 'en_route', 'completed')
            and l.arrives_at > $3 and l.departs_at < $4
          order by l.departs_at",
    )
    .bind(member)
    .bind(trip)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(trip_id, off, on, pilots, positioning)| Flown {
            trip_id,
            off,
            on,
            pilots: if pilots >= 2 {
                Pilots::Two
            } else {
                Pilots::One
            },
            positioning,
        })
        .collect())
}

/// Duty periods of flights sorted by block off, each with whether it holds a flight of `trip`.
fn duty_periods(flown: &[Flown], trip: Uuid) -> Vec<(DutyPeriod, bool)> {
    let mut out: Vec<(DutyPeriod, bool)> = Vec::new();
    for f in flown {
        let segment = Segment {
            off: f.off,
            on: f.on,
            pilots: f.pilots,
            flying: if f.positioning {
                Flying::OtherCommercial
            } else {
                Flying::Assigned
            },
        };
        let report = f.off - Duration::minutes(REPORT_BEFORE);
        let release = f.on + Duration::minutes(RELEASE_AFTER);
        match out.last_mut() {
            Some((p, ours)) if report - p.release < Duration::minutes(REST_MINUTES) => {
                p.release = p.release.max(release);
                p.segments.push(segment);
                *ours |= f.trip_id == trip;
            }
            _ => out.push((
                DutyPeriod {
                    report,
                    release,
                    regular: false,
                    segments: vec![segment],
                },
                f.trip_id == trip,
            )),
        }
    }
    out
}

/// Another trip's leg this crew member is already on at the same time, if any: (member name,
/// leg seq).
pub(super) async fn double_booked(
    conn: &mut PgConnection,
    trip: &Trip,
    proposed: &[Proposed],
) -> Result<Option<(String, i32)>> {
    for p in proposed {
        let Some(leg) = trip.legs.iter().find(|l| l.seq == p.seq) else {
            continue;
        };
        let taken: bool = sqlx::query_scalar(
            "select exists (select 1 from charter_crew_assignments a
                   join charter_trip_legs l on l.trip_id = a.trip_id and l.seq = a.seq
                   join charter_trips t on t.id = a.trip_id
                  where a.crew_member_id = $1 and a.trip_id <> $2 and t.status <> 'cancelled'
                    and tstzrange(l.departs_at, l.arrives_at) && tstzrange($3, $4))",
        )
        .bind(p.crew_member_id)
        .bind(trip.id)
        .bind(leg.departs_at)
        .bind(leg.arrives_at)
        .fetch_one(&mut *conn)
        .await?;
        if taken {
            return Ok(Some((p.name.clone(), p.seq)));
        }
    }
    Ok(None)
}

/// What the crew rules say of `proposed` on `trip`, each finding in its rule's mode.
pub(super) async fn check(
    conn: &mut PgConnection,
    trip: &Trip,
    proposed: &[Proposed],
) -> Result<Vec<ReleaseCheck>> {
    let modes = modes(conn).await?;
    let mode = |rule: &str| modes.get(rule).copied().unwrap_or(RuleMode::Block);
    let mut checks = Vec::new();
    let pilots_on = |seq: i32| {
        proposed
            .iter()
            .filter(|p| p.seq == seq && matches!(p.role, AssignmentRole::Pic | AssignmentRole::Sic))
            .count()
    };
    let pilots: Vec<&Proposed> = proposed
        .iter()
        .filter(|p| matches!(p.role, AssignmentRole::Pic | AssignmentRole::Sic))
        .collect();

    if mode("qualification") != RuleMode::Off {
        let mut failed = false;
        for p in &pilots {
            let Some(leg) = trip.legs.iter().find(|l| l.seq == p.seq) else {
                continue;
            };
            let role = match p.role {
                AssignmentRole::Pic if leg.passengers > 0 => certificates::Role::PicWithPassengers,
                AssignmentRole::Pic => certificates::Role::Pic,
                _ => certificates::Role::Sic,
            };
            let ask = certificates::Ask {
                role,
                at: leg.departs_at,
                night: false,
                rules: certificates::FlightRules::Vfr,
                privileges: certificates::FaaPrivileges::Commercial,
                warn_days: 0,
                checkout: false,
            };
            let Some(answer) =
                certificates::assess_in(conn, UserId(p.user_id), AircraftId(leg.aircraft_id), &ask)
                    .await?
            else {
                continue;
            };
            for f in answer.findings.iter().filter(|f| f.state == State::Failed) {
                failed = true;
                if let Some(o) = outcome(mode("qualification"), true) {
                    checks.push(ReleaseCheck {
                        rule: "qualification".into(),
                        outcome: o.into(),
                        message: format!(
                            "{} as {} on leg {} ({} {}): {}",
                            p.name,
                            wire(&p.role).to_uppercase(),
                            p.seq,
                            f.regulation,
                            f.rule,
                            f.detail
                        ),
                    });
                }
            }
        }
        if !failed && !pilots.is_empty() {
            checks.push(ReleaseCheck {
                rule: "qualification".into(),
                outcome: "pass".into(),
                message: "every pilot holds what the legs ask of them".into(),
            });
        }
    }

    let clock = TenantClock::load(conn).await?;
    let mut members: Vec<&Proposed> = Vec::new();
    for p in &pilots {
        if !members.iter().any(|m| m.crew_member_id == p.crew_member_id) {
            members.push(p);
        }
    }
    for m in members {
        let mine: Vec<Flown> = trip
            .legs
            .iter()
            .filter(|l| {
                pilots
                    .iter()
                    .any(|p| p.crew_member_id == m.crew_member_id && p.seq == l.seq)
            })
            .map(|l| Flown {
                trip_id: trip.id,
                off: l.departs_at,
                on: l.arrives_at,
                pilots: if pilots_on(l.seq) >= 2 {
                    Pilots::Two
                } else {
                    Pilots::One
                },
                positioning: l.positioning,
            })
            .collect();
        let (Some(first), Some(last)) = (mine.first(), mine.last()) else {
            continue;
        };
        let from = duty::facts_from(first.off, clock.tz);
        let mut flown = flown_elsewhere(
            conn,
            m.crew_member_id,
            trip.id,
            from,
            last.on + Duration::days(2),
        )
        .await?;
        flown.extend(mine.iter().cloned());
        flown.sort_by_key(|f| f.off);
        let periods = duty_periods(&flown, trip.id);
        let history: Vec<DutyPeriod> = periods
            .iter()
            .filter(|(_, ours)| !ours)
            .map(|(p, _)| p.clone())
            .collect();
        let mut seen = std::collections::HashSet::new();
        for (period, _) in periods.iter().filter(|(_, ours)| *ours) {
            let legality = duty::check(&history, Some(period), clock.tz);
            for f in legality.findings {
                let failed = f.state == State::Failed;
                let Some(o) = outcome(mode(f.rule), failed) else {
                    continue;
                };
                if !failed {
                    continue;
                }
                if seen.insert((f.rule, f.detail.clone())) {
                    checks.push(ReleaseCheck {
                        rule: f.rule.into(),
                        outcome: o.into(),
                        message: format!("{} ({}): {}", m.name, f.regulation, f.detail),
                    });
                }
            }
        }
        if seen.is_empty() {
            checks.push(ReleaseCheck {
                rule: "faa.135.267".into(),
                outcome: "pass".into(),
                message: format!(
                    "{}: flight time, duty and rest within 14 CFR 135.267",
                    m.name
                ),
            });
        }
    }
    Ok(checks)
}

/// The whole record of a pilot under 135.267 (no proposal): from the start of the previous
/// calendar quarter or year to a year ahead.
pub(super) async fn audit_record(
    conn: &mut PgConnection,
    member: Uuid,
    name: &str,
) -> Result<(State, Vec<ReleaseCheck>)> {
    let clock = TenantClock::load(conn).await?;
    let now = Utc::now();
    let from = duty::facts_from(now, clock.tz);
    let flown = flown_elsewhere(conn, member, Uuid::nil(), from, now + Duration::days(366)).await?;
    let history: Vec<DutyPeriod> = duty_periods(&flown, Uuid::nil())
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let legality = duty::check(&history, None, clock.tz);
    let findings = legality
        .findings
        .into_iter()
        .map(|f| ReleaseCheck {
            rule: f.rule.into(),
            outcome: if f.state == State::Failed {
                "block".into()
            } else {
                "pass".into()
            },
            message: format!("{name} ({}): {}", f.regulation, f.detail),
        })
        .collect();
    Ok((legality.state, findings))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 10, h, m, 0)
            .single()
            .expect("time")
    }

    fn flown(trip: Uuid, off: DateTime<Utc>, on: DateTime<Utc>) -> Flown {
        Flown {
            trip_id: trip,
            off,
            on,
            pilots: Pilots::One,
            positioning: false,
        }
    }

    #[test]
    fn legs_less_than_ten_hours_apart_are_one_duty_period() {
        let (ours, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        // 08:00-10:00 (other trip), 19:29-20:00 (ours): report 18:29 is 7 h 59 min after the
        // release at 10:30, so one period; a leg the next day at 08:00 (report 07:00, 10 h 30
        // min after the 20:30 release) starts another.
        let next_day = at(20, 0) + Duration::hours(12);
        let periods = duty_periods(
            &[
                flown(other, at(8, 0), at(10, 0)),
                flown(ours, at(19, 29), at(20, 0)),
                flown(ours, next_day, next_day + Duration::hours(1)),
            ],
            ours,
        );
        assert_eq!(periods.len(), 2);
        assert_eq!(periods[0].0.report, at(7, 0));
        assert_eq!(periods[0].0.release, at(20, 30));
        assert_eq!(periods[0].0.segments.len(), 2);
        assert!(periods[0].1 && periods[1].1);
        assert_eq!(periods[1].0.report, next_day - Duration::hours(1));
    }

    #[test]
    fn rest_of_exactly_ten_hours_separates_duty_periods() {
        let t = Uuid::from_u128(1);
        // Release 10:30, next report exactly 10 h later (20:30): two periods.
        let periods = duty_periods(
            &[
                flown(t, at(8, 0), at(10, 0)),
                flown(t, at(21, 30), at(22, 0)),
            ],
            t,
        );
        assert_eq!(periods.len(), 2);
        // One minute less: one period.
        let periods = duty_periods(
            &[
                flown(t, at(8, 0), at(10, 0)),
                flown(t, at(21, 29), at(22, 0)),
            ],
            t,
        );
        assert_eq!(periods.len(), 1);
    }
}
