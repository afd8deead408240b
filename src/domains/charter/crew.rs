//! `/api/v1/charter/crew`: crew members (users of the organisation with crew roles), their
//! record under 14 CFR 135.267, the organisation's mode of each crew rule, and a trip's crew
//! (`/api/v1/charter/trips/{id}/crew`), checked by `crew_checks` before it is kept.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::crew_checks::{self, Proposed, RULES};
use super::dto::{
    AssignmentRole, CrewAssignment, CrewLegality, CrewMember, CrewMemberCreate, CrewMemberPage,
    CrewMemberUpdate, CrewRole, CrewRule, CrewRuleList, CrewRulePut, TripCrew, TripCrewWrite,
};
use super::{CHARTER_MANAGE, CHARTER_READ, trips};
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::page;
use crate::kernel::units::{merge, wire};

pub struct CrewApi;

#[derive(ApiResponse)]
enum Created {
    /// The crew member.
    #[oai(status = 201)]
    Created(Json<CrewMember>),
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    user_id: Uuid,
    name: String,
    roles: Vec<String>,
    home_base: Option<String>,
    active: bool,
    notes: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for CrewMember {
    fn from(r: Row) -> Self {
        CrewMember {
            id: r.id,
            user_id: r.user_id,
            name: r.name,
            roles: r
                .roles
                .into_iter()
                .filter_map(|x| CrewRole::try_from(x).ok())
                .collect(),
            home_base: r.home_base,
            active: r.active,
            notes: r.notes,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const SELECT: &str = "select m.id, m.user_id, u.name, m.roles, m.home_base, m.active, m.notes, \
     m.version, m.created_at, m.updated_at from charter_crew_members m join users u on u.id = m.user_id";

async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<CrewMember> {
    let lock = if lock { " for update of m" } else { "" };
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where m.id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.ok_or(AppError::NotFound("crew member"))?.into())
}

fn roles_wire(roles: &[CrewRole]) -> Vec<String> {
    roles.iter().map(wire).collect()
}

/// The crew roles an assignment role needs (any one of them).
fn fits(role: AssignmentRole) -> &'static [CrewRole] {
    match role {
        AssignmentRole::Pic | AssignmentRole::Sic => &[CrewRole::Pilot],
        AssignmentRole::Medical => &[
            CrewRole::FlightNurse,
            CrewRole::Paramedic,
            CrewRole::Physician,
        ],
        AssignmentRole::FlightAttendant => &[CrewRole::FlightAttendant],
    }
}

/// The assignments of `trip`, by leg.
pub(super) async fn assignments(
    conn: &mut PgConnection,
    trips: &[Uuid],
) -> Result<Vec<(Uuid, CrewAssignment)>> {
    let rows: Vec<(Uuid, i32, Uuid, String, String)> = sqlx::query_as(
        "select a.trip_id, a.seq, a.crew_member_id, a.role, u.name
           from charter_crew_assignments a
           join charter_crew_members m on m.id = a.crew_member_id
           join users u on u.id = m.user_id
          where a.trip_id = any($1)
          order by a.trip_id, a.seq, a.role, u.name",
    )
    .bind(trips)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(trip, seq, crew_member_id, role, name)| {
            Some((
                trip,
                CrewAssignment {
                    seq,
                    crew_member_id,
                    role: AssignmentRole::try_from(role).ok()?,
                    name,
                },
            ))
        })
        .collect())
}

/// The proposals of the trip's current crew, for the release checks.
pub(super) async fn proposed_of(conn: &mut PgConnection, trip: Uuid) -> Result<Vec<Proposed>> {
    let rows: Vec<(i32, Uuid, Uuid, String, String)> = sqlx::query_as(
        "select a.seq, a.crew_member_id, m.user_id, u.name, a.role
           from charter_crew_assignments a
           join charter_crew_members m on m.id = a.crew_member_id
           join users u on u.id = m.user_id
          where a.trip_id = $1 order by a.seq",
    )
    .bind(trip)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(seq, crew_member_id, user_id, name, role)| {
            Some(Proposed {
                seq,
                crew_member_id,
                user_id,
                name,
                role: AssignmentRole::try_from(role).ok()?,
            })
        })
        .collect())
}

#[OpenApi(prefix_path = "/api/v1/charter", tag = "super::Tag::CharterCrew")]
impl CrewApi {
    /// Crew members in the order they were added, narrowed by role or active state.
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/crew", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Only crew members with this role.
        role: Query<Option<CrewRole>>,
        /// Only active (`true`) or inactive (`false`) crew members.
        active: Query<Option<bool>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<CrewMemberPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} where ($1::uuid is null or m.id > $1)
                and ($2::text is null or $2 = any(m.roles))
                and ($3::bool is null or m.active = $3)
              order by m.id limit $4"
        )))
        .bind(after)
        .bind(role.0.as_ref().map(wire))
        .bind(active.0)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows: Vec<CrewMember> = rows.into_iter().map(Into::into).collect();
        let (items, next_cursor) = page::finish(rows, limit, |m: &CrewMember| m.id);
        Ok(Json(CrewMemberPage { items, next_cursor }))
    }

    /// Make a user of the organisation a crew member (one crew member per user; a second is
    /// `409 conflict`).
    ///
    /// Permission: `charter.manage`. Audited as `charter_crew_member.created`.
    #[oai(path = "/crew", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<CrewMemberCreate>) -> Result<Created> {
        let b = body.0;
        ctx.require(CHARTER_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let exists: bool = sqlx::query_scalar("select exists (select 1 from users where id = $1)")
            .bind(b.user_id)
            .fetch_one(&mut *tx)
            .await?;
        if !exists {
            return Err(AppError::validation(
                "user_id",
                "names no user of this organisation",
            ));
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into charter_crew_members (id, user_id, roles, home_base, notes)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(b.user_id)
        .bind(roles_wire(&b.roles))
        .bind(&b.home_base)
        .bind(&b.notes)
        .execute(&mut *tx)
        .await?;
        let member = load(&mut tx, id, false).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "charter_crew_member.created",
            "charter_crew_member",
            id,
            &member,
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(member)))
    }

    /// One crew member.
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/crew/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<CrewMember>> {
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        let m = load(&mut tx, id.0, false).await?;
        tx.end_read();
        Ok(Json(m))
    }

    /// Change a crew member's roles, base, notes or active state.
    ///
    /// Permission: `charter.manage`. Audited as `charter_crew_member.updated`.
    #[oai(path = "/crew/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<CrewMemberUpdate>,
    ) -> Result<Json<CrewMember>> {
        let b = body.0;
        ctx.require(CHARTER_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load(&mut tx, id.0, true).await?;
        AppError::check_version("crew member", b.version, before.version)?;
        let mut after = before.clone();
        if let Some(r) = &b.roles {
            after.roles = r.clone();
        }
        if let Some(a) = b.active {
            after.active = a;
        }
        merge(&mut after.home_base, &b.home_base);
        merge(&mut after.notes, &b.notes);
        sqlx::query(
            "update charter_crew_members set roles = $2, home_base = $3, notes = $4, active = $5,
                 version = version + 1
             where id = $1",
        )
        .bind(id.0)
        .bind(roles_wire(&after.roles))
        .bind(&after.home_base)
        .bind(&after.notes)
        .bind(after.active)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, id.0, false).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "charter_crew_member.updated",
            "charter_crew_member",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// A pilot's record under 14 CFR 135.267: every rule over the duty periods of the legs they
    /// are assigned (from the start of the previous calendar quarter or year, whichever is
    /// earlier, to a year ahead), on the organisation's calendar. For a crew member who is not
    /// a pilot the record is empty (135.267 limits flight crewmembers).
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/crew/:id/legality", method = "get")]
    async fn legality(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<CrewLegality>> {
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        let m = load(&mut tx, id.0, false).await?;
        let (state, findings) = if m.roles.contains(&CrewRole::Pilot) {
            let (state, findings) = crew_checks::audit_record(&mut tx, m.id, &m.name).await?;
            (
                if state == crate::compliance::State::Failed {
                    "failed"
                } else {
                    "met"
                }
                .to_owned(),
                findings,
            )
        } else {
            ("met".to_owned(), Vec::new())
        };
        tx.end_read();
        Ok(Json(CrewLegality {
            crew_member_id: m.id,
            state,
            findings,
        }))
    }

    /// Every crew rule with its regulation and the organisation's mode (`block` unless set).
    ///
    /// Permission: `charter.read`.
    #[oai(path = "/crew-rules", method = "get")]
    async fn rules(&self, ctx: TenantCtx) -> Result<Json<CrewRuleList>> {
        ctx.require(CHARTER_READ)?;
        let mut tx = ctx.begin().await?;
        let modes = crew_checks::modes(&mut tx).await?;
        tx.end_read();
        Ok(Json(CrewRuleList {
            items: RULES
                .iter()
                .map(|(rule, regulation)| CrewRule {
                    rule: (*rule).to_owned(),
                    regulation: (*regulation).to_owned(),
                    mode: modes
                        .get(*rule)
                        .copied()
                        .unwrap_or(super::dto::RuleMode::Block),
                })
                .collect(),
        }))
    }

    /// Set a crew rule's mode: `block` refuses an assignment or a release that fails it,
    /// `warn` keeps the failure with the trip, `off` does not check it. An unknown rule is
    /// `404`.
    ///
    /// Permission: `charter.manage`. Audited as `charter_crew_rule.updated`.
    #[oai(path = "/crew-rules/:rule", method = "put")]
    async fn put_rule(
        &self,
        ctx: TenantCtx,
        rule: Path<String>,
        body: JsonBody<CrewRulePut>,
    ) -> Result<Json<CrewRule>> {
        ctx.require(CHARTER_MANAGE)?;
        let (key, regulation) = RULES
            .iter()
            .find(|(r, _)| *r == rule.0)
            .ok_or(AppError::NotFound("crew rule"))?;
        let mut tx = ctx.begin().await?;
        let before = crew_checks::modes(&mut tx).await?.get(*key).copied();
        sqlx::query(
            "insert into charter_crew_rules (rule, mode) values ($1, $2)
             on conflict (rule) do update set mode = excluded.mode",
        )
        .bind(key)
        .bind(wire(&body.0.mode))
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "charter_crew_rule.updated",
                resource_type: "charter_crew_rule",
                resource_id: Some((*key).to_owned()),
                before: before.map(|m| serde_json::json!({"mode": m})),
                after: Some(serde_json::json!({"mode": body.0.mode})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Json(CrewRule {
            rule: (*key).to_owned(),
            regulation: (*regulation).to_owned(),
            mode: body.0.mode,
        }))
    }

    /// Assign a trip's crew, replacing its assignments: each crew member with a role on some
    /// legs (default all). PIC and SIC need the crew role `pilot`, medical crew a medical role,
    /// a flight attendant that role; one PIC and one SIC per leg; inactive crew members are
    /// refused (`422`). A crew member already on another trip at the same time is
    /// `409 crew-conflict`. Then the crew rules run (qualification by the certificates domain,
    /// 14 CFR 135.267 flight time, duty and rest by the compliance engine, docs/charter.md):
    /// a failure of a `block` rule is `409 crew-not-legal` naming it and nothing changes; `warn`
    /// failures come back in `checks`. While the trip is quoted or scheduled
    /// (`409 trip-released`, `409 trip-closed`).
    ///
    /// Permission: `charter.manage`. Audited as `charter_trip.crew_assigned`.
    #[oai(path = "/trips/:id/crew", method = "put")]
    async fn assign(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<TripCrewWrite>,
    ) -> Result<Json<TripCrew>> {
        let b = body.0;
        ctx.require(CHARTER_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let trip = trips::load(&mut tx, id.0, true).await?;
        AppError::check_version("trip", b.version, trip.version)?;
        trips::require_open(&trip)?;
        let seqs: Vec<i32> = trip.legs.iter().map(|l| l.seq).collect();
        let mut proposed: Vec<Proposed> = Vec::new();
        let mut members: HashMap<Uuid, CrewMember> = HashMap::new();
        for (i, a) in b.assignments.iter().enumerate() {
            let field = |f: &str| format!("assignments[{i}].{f}");
            let m = match members.get(&a.crew_member_id) {
                Some(m) => m.clone(),
                None => {
                    let m = match load(&mut tx, a.crew_member_id, false).await {
                        Err(AppError::NotFound(_)) => {
                            return Err(AppError::validation(
                                field("crew_member_id"),
                                "names no crew member of this organisation",
                            ));
                        }
                        other => other?,
                    };
                    members.insert(m.id, m.clone());
                    m
                }
            };
            if !m.active {
                return Err(AppError::validation(
                    field("crew_member_id"),
                    "is an inactive crew member",
                ));
            }
            if !fits(a.role).iter().any(|r| m.roles.contains(r)) {
                return Err(AppError::validation(
                    field("role"),
                    format!("needs a crew member with the role {}", {
                        let names: Vec<String> = fits(a.role).iter().map(wire).collect();
                        names.join(" or ")
                    }),
                ));
            }
            let legs = a.legs.clone().unwrap_or_else(|| seqs.clone());
            for seq in legs {
                if !seqs.contains(&seq) {
                    return Err(AppError::validation(
                        field("legs"),
                        "names a leg the trip does not have",
                    ));
                }
                if proposed
                    .iter()
                    .any(|p| p.seq == seq && p.crew_member_id == m.id)
                {
                    return Err(AppError::validation(
                        field("legs"),
                        "puts a crew member on a leg twice",
                    ));
                }
                if matches!(a.role, AssignmentRole::Pic | AssignmentRole::Sic)
                    && proposed.iter().any(|p| p.seq == seq && p.role == a.role)
                {
                    return Err(AppError::validation(
                        field("role"),
                        "has at most one pic and one sic per leg",
                    ));
                }
                proposed.push(Proposed {
                    seq,
                    crew_member_id: m.id,
                    user_id: m.user_id,
                    name: m.name.clone(),
                    role: a.role,
                });
            }
        }
        if let Some((name, seq)) = crew_checks::double_booked(&mut tx, &trip, &proposed).await? {
            return Err(AppError::Conflict {
                code: "crew-conflict",
                detail: format!("{name} is on another trip during leg {seq}"),
                field: Some("assignments".into()),
            });
        }
        let checks = crew_checks::check(&mut tx, &trip, &proposed).await?;
        let blocking: Vec<&str> = checks
            .iter()
            .filter(|c| c.outcome == "block")
            .map(|c| c.message.as_str())
            .collect();
        if !blocking.is_empty() {
            return Err(AppError::Conflict {
                code: "crew-not-legal",
                detail: blocking.join("; "),
                field: Some("assignments".into()),
            });
        }
        let before: Vec<CrewAssignment> = trip.crew.clone();
        sqlx::query("delete from charter_crew_assignments where trip_id = $1")
            .bind(trip.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "insert into charter_crew_assignments (trip_id, seq, crew_member_id, role)
             select $1, * from unnest($2::int[], $3::uuid[], $4::text[])",
        )
        .bind(trip.id)
        .bind(proposed.iter().map(|p| p.seq).collect::<Vec<_>>())
        .bind(
            proposed
                .iter()
                .map(|p| p.crew_member_id)
                .collect::<Vec<_>>(),
        )
        .bind(proposed.iter().map(|p| wire(&p.role)).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        let version: i32 = sqlx::query_scalar(
            "update charter_trips set version = version + 1 where id = $1 returning version",
        )
        .bind(trip.id)
        .fetch_one(&mut *tx)
        .await?;
        let after: Vec<CrewAssignment> = assignments(&mut tx, &[trip.id])
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "charter_trip.crew_assigned",
            "charter_trip",
            trip.id,
            &before,
            &serde_json::json!({"crew": after, "checks": checks}),
        )
        .await?;
        tx.commit().await?;
        Ok(Json(TripCrew {
            trip_id: trip.id,
            assignments: after,
            checks,
            version,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_roles_need_the_matching_crew_role() {
        assert_eq!(fits(AssignmentRole::Pic), &[CrewRole::Pilot]);
        assert!(fits(AssignmentRole::Medical).contains(&CrewRole::Paramedic));
        assert!(!fits(AssignmentRole::Medical).contains(&CrewRole::Pilot));
        assert_eq!(
            fits(AssignmentRole::FlightAttendant),
            &[CrewRole::FlightAttendant]
        );
    }
}
