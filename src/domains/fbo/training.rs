//! `/api/v1/fbo/training-records`, `/api/v1/fbo/fuelers` and `/api/v1/fbo/rules`: the line
//! staff's training (fuel safety, fire safety, marshalling, towing, each with its expiry), who
//! may fuel today, and the organisation's mode of the rule fuel dispatch checks them by
//! (`block`, `warn`, `off`). The rule itself is the compliance engine's
//! (`compliance::line::fueler_training`, 14 CFR 139.321(e)).

use chrono::NaiveDate;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    FboRule, FboRuleList, FboRuleMode, FboRuleSet, Fueler, FuelerList, FuelerTrainingState,
    TrainingKind, TrainingRecord, TrainingRecordCreate, TrainingRecordPage,
};
use super::{FBO_MANAGE, FBO_READ};
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::compliance::line::{self, Course};
use crate::compliance::{Finding, State};
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::kernel::units::wire;
use crate::timezone::TenantClock;

pub struct TrainingApi;

#[derive(ApiResponse)]
enum Created {
    /// The training record as stored.
    #[oai(status = 201)]
    Created(Json<TrainingRecord>),
}

/// The rule fuel dispatch applies when it assigns a fueler.
pub(super) const FUELER_TRAINING: &str = "fueler_training";
/// Every FBO rule with the regulation it applies.
const RULES: &[(&str, &str)] = &[(FUELER_TRAINING, "14 CFR 139.321(e)")];
/// Days ahead a fueler's training shows as expiring.
const WARN_DAYS: u32 = 30;

/// The organisation's mode of `rule` (`block` without a row).
pub(super) async fn mode(conn: &mut PgConnection, rule: &str) -> Result<FboRuleMode> {
    let m: Option<String> = sqlx::query_scalar("select mode from fbo_rules where rule = $1")
        .bind(rule)
        .fetch_optional(conn)
        .await?;
    Ok(m.and_then(|m| FboRuleMode::try_from(m).ok())
        .unwrap_or(FboRuleMode::Block))
}

/// Whether `user` is an active user whose roles grant `fbo.fuel`.
pub(super) async fn is_line_staff(conn: &mut PgConnection, user: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists (select 1 from users u where u.id = $1 and u.is_active
            and exists (select 1 from user_roles ur join roles r on r.id = ur.role_id
                         where ur.user_id = u.id and $2 = any(r.permissions)))",
    )
    .bind(user)
    .bind(super::FBO_FUEL.name)
    .fetch_one(conn)
    .await?)
}

async fn courses(conn: &mut PgConnection, users: &[Uuid]) -> Result<Vec<(Uuid, Course)>> {
    let rows: Vec<(Uuid, String, NaiveDate, Option<NaiveDate>)> = sqlx::query_as(
        "select user_id, kind, completed_on, expires_on from fbo_training_records
          where user_id = any($1)",
    )
    .bind(users)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(u, kind, completed_on, expires_on)| {
            (
                u,
                Course {
                    kind,
                    completed_on,
                    expires_on,
                },
            )
        })
        .collect())
}

/// The compliance engine's finding on `user`'s fueler training on `day`.
pub(super) async fn fueler_finding(
    conn: &mut PgConnection,
    user: Uuid,
    day: NaiveDate,
) -> Result<Finding> {
    let c: Vec<Course> = courses(conn, &[user])
        .await?
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    Ok(line::fueler_training(&c, day, WARN_DAYS))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    user_id: Uuid,
    #[sqlx(try_from = "String")]
    kind: TrainingKind,
    completed_on: NaiveDate,
    expires_on: Option<NaiveDate>,
    provider: Option<String>,
    notes: Option<String>,
    recorded_by: Option<Uuid>,
    created_at: chrono::DateTime<chrono::Utc>,
}

fn record(r: Row, today: NaiveDate) -> TrainingRecord {
    let course = Course {
        kind: wire(&r.kind),
        completed_on: r.completed_on,
        expires_on: r.expires_on,
    };
    // Fuel and fire safety recur every 24 calendar months (139.321(e)); the others run to
    // their own expiry, if they have one.
    let valid_until = match r.kind {
        TrainingKind::FuelSafety | TrainingKind::FireSafety => line::valid_until(&course),
        _ => r.expires_on.unwrap_or(NaiveDate::MAX),
    };
    TrainingRecord {
        id: r.id,
        user_id: r.user_id,
        kind: r.kind,
        completed_on: r.completed_on,
        expires_on: r.expires_on,
        valid_until,
        current: valid_until >= today,
        provider: r.provider,
        notes: r.notes,
        recorded_by: r.recorded_by,
        created_at: r.created_at,
    }
}

const SELECT: &str = "select id, user_id, kind, completed_on, expires_on, provider, notes,
        recorded_by, created_at from fbo_training_records";

async fn today(conn: &mut PgConnection) -> Result<NaiveDate> {
    Ok(TenantClock::load(conn).await?.today())
}

#[OpenApi(prefix_path = "/api/v1/fbo", tag = "super::Tag::FboLineStaff")]
impl TrainingApi {
    /// Training records of the line staff, latest completion first. Filters: `user_id`,
    /// `kind`, `current` (valid on the organisation's today, or not).
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/training-records", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        user_id: Query<Option<Uuid>>,
        kind: Query<Option<TrainingKind>>,
        current: Query<Option<bool>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<TrainingRecordPage>> {
        ctx.require(FBO_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let today = today(&mut tx).await?;
        // Newest first by id (v7 ids are time-ordered). `current` in SQL is the same rule as
        // `record`: the expiry, capped for fuel and fire safety at the end of the 24th
        // calendar month after completion.
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} where ($1::uuid is null or user_id = $1)
                        and ($2::text is null or kind = $2)
                        and ($3::bool is null or $3 = (least(
                              coalesce(expires_on, 'infinity'::date),
                              case when kind in ('fuel_safety', 'fire_safety')
                                   then (date_trunc('month', completed_on)
                                         + make_interval(months => $6 + 1)
                                         - interval '1 day')::date
                                   else 'infinity'::date end) >= $4))
                        and ($5::uuid is null or id < $5)
              order by id desc limit $7"
        )))
        .bind(user_id.0)
        .bind(kind.0.map(|k| wire(&k)))
        .bind(current.0)
        .bind(today)
        .bind(after)
        .bind(line::RECURRENT_MONTHS as i32)
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let items: Vec<TrainingRecord> = rows.into_iter().map(|r| record(r, today)).collect();
        let (items, next_cursor) = page::finish(items, limit, |r| r.id);
        Ok(Json(TrainingRecordPage { items, next_cursor }))
    }

    /// Record a course a member of the line staff completed: an active user, a completion
    /// date not after the organisation's today, an expiry (if the course has one) on or after
    /// it. Fuel and fire safety count for at most 24 calendar months (14 CFR 139.321(e)).
    ///
    /// Permission: `fbo.manage`. Audited as `fbo_training.created`.
    #[oai(path = "/training-records", method = "post")]
    async fn create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<TrainingRecordCreate>,
    ) -> Result<Created> {
        let b = body.0;
        if b.expires_on.is_some_and(|e| e < b.completed_on) {
            return Err(AppError::validation(
                "expires_on",
                "must not be before completed_on",
            ));
        }
        if b.provider.as_deref().is_some_and(|p| p.trim().is_empty()) {
            return Err(AppError::validation("provider", "must not be blank"));
        }
        ctx.require(FBO_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let today = today(&mut tx).await?;
        if b.completed_on > today {
            return Err(AppError::validation(
                "completed_on",
                "must not be in the future",
            ));
        }
        let active: bool =
            sqlx::query_scalar("select exists (select 1 from users where id = $1 and is_active)")
                .bind(b.user_id)
                .fetch_one(&mut *tx)
                .await?;
        if !active {
            return Err(AppError::validation(
                "user_id",
                "names no active user of this organisation",
            ));
        }
        let row: Row = sqlx::query_as(
            "insert into fbo_training_records (id, user_id, kind, completed_on, expires_on,
                 provider, notes, recorded_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8)
             returning id, user_id, kind, completed_on, expires_on, provider, notes, recorded_by,
                 created_at",
        )
        .bind(Uuid::now_v7())
        .bind(b.user_id)
        .bind(wire(&b.kind))
        .bind(b.completed_on)
        .bind(b.expires_on)
        .bind(b.provider.as_deref().map(str::trim))
        .bind(&b.notes)
        .bind(ctx.user_id.0)
        .fetch_one(&mut *tx)
        .await?;
        let r = record(row, today);
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "fbo_training.created",
                resource_type: "fbo_training_record",
                resource_id: Some(r.id.to_string()),
                before: None,
                after: audit::snapshot(&r),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Created::Created(Json(r)))
    }

    /// Remove a training record entered by mistake (a lapsed course stays on record: it is
    /// history, and the rule looks at the latest one).
    ///
    /// Permission: `fbo.manage`. Audited as `fbo_training.deleted` with the record.
    #[oai(path = "/training-records/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        ctx.require(FBO_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let today = today(&mut tx).await?;
        let row: Option<Row> = sqlx::query_as(
            "delete from fbo_training_records where id = $1
             returning id, user_id, kind, completed_on, expires_on, provider, notes, recorded_by,
                 created_at",
        )
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let r = record(row.ok_or(AppError::NotFound("training record"))?, today);
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "fbo_training.deleted",
                resource_type: "fbo_training_record",
                resource_id: Some(r.id.to_string()),
                before: audit::snapshot(&r),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }

    /// The line staff who may be assigned fuel orders (active users whose roles grant
    /// `fbo.fuel`), by name, each with whether their fueler training (fire safety and fuel
    /// handling, 14 CFR 139.321(e)) is current on the organisation's today: `met`, `expiring`
    /// within 30 days, or `failed` with what is missing or lapsed. At most 500.
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/fuelers", method = "get")]
    async fn fuelers(&self, ctx: TenantCtx) -> Result<Json<FuelerList>> {
        ctx.require(FBO_READ)?;
        let mut tx = ctx.begin().await?;
        let today = today(&mut tx).await?;
        let staff: Vec<(Uuid, String)> = sqlx::query_as(
            "select u.id, u.name from users u
              where u.is_active and exists (select 1 from user_roles ur
                      join roles r on r.id = ur.role_id
                     where ur.user_id = u.id and $1 = any(r.permissions))
              order by u.name, u.id limit 500",
        )
        .bind(super::FBO_FUEL.name)
        .fetch_all(&mut *tx)
        .await?;
        let ids: Vec<Uuid> = staff.iter().map(|(id, _)| *id).collect();
        let all = courses(&mut tx, &ids).await?;
        tx.end_read();
        let items = staff
            .into_iter()
            .map(|(user_id, name)| {
                let mine: Vec<Course> = all
                    .iter()
                    .filter(|(u, _)| *u == user_id)
                    .map(|(_, c)| c.clone())
                    .collect();
                let f = line::fueler_training(&mine, today, WARN_DAYS);
                Fueler {
                    user_id,
                    name,
                    training: match f.state {
                        State::Met => FuelerTrainingState::Met,
                        State::Expiring => FuelerTrainingState::Expiring,
                        State::Failed => FuelerTrainingState::Failed,
                    },
                    valid_until: f.valid_until,
                    detail: f.detail,
                }
            })
            .collect();
        Ok(Json(FuelerList { items }))
    }

    /// The FBO's rules with their regulation and the organisation's mode (`block` where none
    /// was set).
    ///
    /// Permission: `fbo.read`.
    #[oai(path = "/rules", method = "get")]
    async fn rules(&self, ctx: TenantCtx) -> Result<Json<FboRuleList>> {
        ctx.require(FBO_READ)?;
        let mut tx = ctx.begin().await?;
        let mut items = Vec::new();
        for (rule, regulation) in RULES {
            items.push(FboRule {
                rule: (*rule).to_owned(),
                regulation: (*regulation).to_owned(),
                mode: mode(&mut tx, rule).await?,
            });
        }
        tx.end_read();
        Ok(Json(FboRuleList { items }))
    }

    /// Set a rule's mode: `block` refuses, `warn` records the finding and goes on, `off` does
    /// not check. `404` for a rule that does not exist.
    ///
    /// Permission: `fbo.manage`. Audited as `fbo_rule.updated` with before and after.
    #[oai(path = "/rules/:rule", method = "put")]
    async fn set_rule(
        &self,
        ctx: TenantCtx,
        #[oai(validator(max_length = 64))] rule: Path<String>,
        body: JsonBody<FboRuleSet>,
    ) -> Result<Json<FboRule>> {
        ctx.require(FBO_MANAGE)?;
        let Some((rule, regulation)) = RULES.iter().find(|(r, _)| *r == rule.0) else {
            return Err(AppError::NotFound("rule"));
        };
        let mut tx = ctx.begin().await?;
        let before = mode(&mut tx, rule).await?;
        sqlx::query(
            "insert into fbo_rules (rule, mode) values ($1, $2)
             on conflict (rule) do update set mode = excluded.mode, updated_at = now()",
        )
        .bind(rule)
        .bind(wire(&body.0.mode))
        .execute(&mut *tx)
        .await?;
        let after = FboRule {
            rule: (*rule).to_owned(),
            regulation: (*regulation).to_owned(),
            mode: body.0.mode,
        };
        audit::record(
            &mut tx,
            (&ctx).into(),
            Change {
                action: "fbo_rule.updated",
                resource_type: "fbo_rule",
                resource_id: Some((*rule).to_owned()),
                before: audit::snapshot(&FboRule {
                    mode: before,
                    ..after.clone()
                }),
                after: audit::snapshot(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
