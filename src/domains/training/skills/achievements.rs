//! `/api/v1/training/achievement-rules` and `/achievements`: the rules that award achievements
//! (four seeded: first solo, checkride passed, course completed, 100 hours), and the awards.
//! Rules run for one person right after the training or theory domain records something of
//! theirs (a graded lesson, a completed course, a submitted exam) and for everyone by the
//! `achievements` job, which catches what the logbook earned (`service::award`). Every award and
//! revocation is in the audit log.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    Achievement, AchievementEvidence, AchievementPage, AchievementRule, Revoke, RuleCreate,
    RuleKind, RulePage, RuleUpdate,
};
use super::{TRAINING_MANAGE, TRAINING_READ, service};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::JsonBody;
use crate::kernel::manifest::TenantJob;
use crate::kernel::units::merge;
use crate::kernel::{UserId, page};

/// Runs every active rule for everyone, every ten minutes.
pub const ACHIEVEMENTS: TenantJob = TenantJob {
    name: "achievements",
    every_seconds: 600,
    run,
};

fn run(conn: &mut PgConnection, _tenant: Uuid) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
    Box::pin(async move {
        service::award(conn, None).await.map_err(|e| match e {
            AppError::Db(e) => e,
            other => sqlx::Error::Protocol(other.to_string()),
        })
    })
}

/// Rules an organisation may keep (the list is one page of at most this many).
const MAX_RULES: i64 = 200;

pub struct AchievementsApi;

#[derive(ApiResponse)]
enum RuleCreated {
    /// The rule as stored; what it awards already is awarded.
    #[oai(status = 201)]
    Created(Json<AchievementRule>),
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: Uuid,
    code: String,
    name: String,
    description: Option<String>,
    #[sqlx(try_from = "String")]
    kind: RuleKind,
    hours: Option<i32>,
    syllabus_id: Option<Uuid>,
    course_id: Option<Uuid>,
    exam_id: Option<Uuid>,
    active: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<RuleRow> for AchievementRule {
    fn from(r: RuleRow) -> Self {
        AchievementRule {
            id: r.id,
            code: r.code,
            name: r.name,
            description: r.description,
            kind: r.kind,
            hours: r.hours,
            syllabus_id: r.syllabus_id,
            course_id: r.course_id,
            exam_id: r.exam_id,
            active: r.active,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

macro_rules! rule_select {
    () => {
        "select id, code, name, description, kind, hours, syllabus_id, course_id, exam_id, \
         active, version, created_at, updated_at from achievement_rules"
    };
}

async fn load_rule(conn: &mut PgConnection, id: Uuid) -> Result<AchievementRule> {
    let row: Option<RuleRow> = sqlx::query_as(concat!(rule_select!(), " where id = $1 for update"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(AchievementRule::from)
        .ok_or(AppError::NotFound("achievement rule"))
}

#[derive(sqlx::FromRow)]
struct AwardRow {
    id: Uuid,
    rule_id: Uuid,
    rule_code: String,
    name: String,
    user_id: Uuid,
    awarded_at: DateTime<Utc>,
    evidence: sqlx::types::Json<AchievementEvidence>,
    revoked_at: Option<DateTime<Utc>>,
    revoke_reason: Option<String>,
}

impl From<AwardRow> for Achievement {
    fn from(r: AwardRow) -> Self {
        Achievement {
            id: r.id,
            rule_id: r.rule_id,
            rule_code: r.rule_code,
            name: r.name,
            user_id: UserId(r.user_id),
            awarded_at: r.awarded_at,
            evidence: r.evidence.0,
            revoked_at: r.revoked_at,
            revoke_reason: r.revoke_reason,
        }
    }
}

macro_rules! award_select {
    () => {
        "select a.id, a.rule_id, r.code as rule_code, r.name, a.user_id, a.awarded_at, \
         a.evidence, a.revoked_at, a.revoke_reason \
         from achievements a join achievement_rules r on r.id = a.rule_id"
    };
}

/// Checks a new rule's kind against its parameters and that what it narrows to exists.
async fn check_rule(conn: &mut PgConnection, b: &RuleCreate) -> Result<()> {
    if b.name.trim().is_empty() {
        return Err(AppError::validation("name", "must not be blank"));
    }
    match (b.kind, b.hours) {
        (RuleKind::HoursTotal, None) => {
            return Err(AppError::validation(
                "hours",
                "is required with hours_total",
            ));
        }
        (k, Some(_)) if k != RuleKind::HoursTotal => {
            return Err(AppError::validation("hours", "only with hours_total"));
        }
        _ => {}
    }
    let scopes = [b.syllabus_id, b.course_id, b.exam_id]
        .iter()
        .filter(|s| s.is_some())
        .count();
    if scopes > 1 {
        return Err(AppError::validation(
            "syllabus_id",
            "at most one of syllabus_id, course_id and exam_id",
        ));
    }
    let allowed = |field: &'static str, ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(AppError::validation(
                field,
                "does not apply to this kind of rule",
            ))
        }
    };
    use RuleKind::*;
    if b.syllabus_id.is_some() {
        allowed(
            "syllabus_id",
            matches!(b.kind, StageCheckPassed | CheckridePassed | CourseCompleted),
        )?;
    }
    if b.course_id.is_some() {
        allowed("course_id", b.kind == CourseCompleted)?;
    }
    if b.exam_id.is_some() {
        allowed("exam_id", b.kind == ExamPassed)?;
    }
    for (field, id, sql) in [
        (
            "syllabus_id",
            b.syllabus_id,
            "select exists (select 1 from syllabi where id = $1)",
        ),
        (
            "course_id",
            b.course_id,
            "select exists (select 1 from theory_courses where id = $1)",
        ),
        (
            "exam_id",
            b.exam_id,
            "select exists (select 1 from theory_exams where id = $1)",
        ),
    ] {
        if let Some(id) = id {
            let found: bool = sqlx::query_scalar(sql)
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
            if !found {
                return Err(AppError::validation(
                    field,
                    "names nothing of this organisation",
                ));
            }
        }
    }
    Ok(())
}

#[OpenApi(prefix_path = "/api/v1/training", tag = "super::Tag::Achievements")]
impl AchievementsApi {
    /// The achievement rules, by code (one page: an organisation keeps at most 200).
    ///
    /// Permission: `training.read`.
    #[oai(path = "/achievement-rules", method = "get")]
    async fn list_rules(
        &self,
        ctx: TenantCtx,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<RulePage>> {
        ctx.require(TRAINING_READ)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<RuleRow> = sqlx::query_as(concat!(rule_select!(), " order by code"))
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let rules: Vec<AchievementRule> = rows.into_iter().map(AchievementRule::from).collect();
        let (items, next_cursor) =
            page::of_list(rules, limit.0, cursor.0.as_deref(), |r| r.code.as_str())?;
        Ok(Json(RulePage { items, next_cursor }))
    }

    /// Add a rule (`409` for a code in use, `409 too-many-rules` past 200). An active rule
    /// awards at once what was earned already, as well as what is earned later.
    ///
    /// Permission: `training.manage`. Audited as `achievement_rule.created` (and each award
    /// as `achievement.awarded`).
    #[oai(path = "/achievement-rules", method = "post")]
    async fn create_rule(&self, ctx: TenantCtx, body: JsonBody<RuleCreate>) -> Result<RuleCreated> {
        ctx.require(TRAINING_MANAGE)?;
        let b = body.0;
        let mut tx = ctx.begin().await?;
        check_rule(&mut tx, &b).await?;
        let count: i64 = sqlx::query_scalar("select count(*) from achievement_rules")
            .fetch_one(&mut *tx)
            .await?;
        if count >= MAX_RULES {
            return Err(AppError::Conflict {
                code: "too-many-rules",
                detail: format!("an organisation keeps at most {MAX_RULES} achievement rules"),
                field: None,
            });
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into achievement_rules
                 (id, code, name, description, kind, hours, syllabus_id, course_id, exam_id, active)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(&b.code)
        .bind(b.name.trim())
        .bind(&b.description)
        .bind(crate::kernel::units::wire(&b.kind))
        .bind(b.hours)
        .bind(b.syllabus_id)
        .bind(b.course_id)
        .bind(b.exam_id)
        .bind(b.active.unwrap_or(true))
        .execute(&mut *tx)
        .await?;
        let rule = load_rule(&mut tx, id).await?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "achievement_rule.created",
            "achievement_rule",
            id,
            &rule,
        )
        .await?;
        service::award(&mut tx, None).await?;
        tx.commit().await?;
        Ok(RuleCreated::Created(Json(rule)))
    }

    /// Change a rule's name, description, hours (`hours_total` only) or whether it is active.
    /// Awards already made stay. With `version`, a concurrent change answers `409`.
    ///
    /// Permission: `training.manage`. Audited as `achievement_rule.updated`.
    #[oai(path = "/achievement-rules/:id", method = "patch")]
    async fn update_rule(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<RuleUpdate>,
    ) -> Result<Json<AchievementRule>> {
        let b = body.0;
        if b.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = load_rule(&mut tx, id.0).await?;
        AppError::check_version("achievement rule", b.version, before.version)?;
        if b.hours.is_some() && before.kind != RuleKind::HoursTotal {
            return Err(AppError::validation("hours", "only with hours_total"));
        }
        let mut after = before.clone();
        if let Some(n) = &b.name {
            after.name = n.trim().to_owned();
        }
        merge(&mut after.description, &b.description);
        if b.hours.is_some() {
            after.hours = b.hours;
        }
        if let Some(a) = b.active {
            after.active = a;
        }
        sqlx::query(
            "update achievement_rules set name = $2, description = $3, hours = $4, active = $5,
                 version = version + 1 where id = $1",
        )
        .bind(id.0)
        .bind(&after.name)
        .bind(&after.description)
        .bind(after.hours)
        .bind(after.active)
        .execute(&mut *tx)
        .await?;
        let after = load_rule(&mut tx, id.0).await?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "achievement_rule.updated",
            "achievement_rule",
            id.0,
            &before,
            &after,
        )
        .await?;
        service::award(&mut tx, None).await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Achievements, the newest first: a person's (`user_id`), or everyone's with
    /// `training.manage`; without it only the caller's own (another person's is `404`).
    /// Revoked ones are listed with their reason.
    ///
    /// Permission: `training.read`.
    #[oai(path = "/achievements", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        /// Only this person's.
        user_id: Query<Option<UserId>>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<AchievementPage>> {
        let limit = limit.0.get();
        let after = page::decode_time_cursor(cursor.0.as_deref())?;
        ctx.require(TRAINING_READ)?;
        let only = match user_id.0 {
            Some(u) if u != ctx.user_id && !ctx.has(TRAINING_MANAGE) => {
                return Err(AppError::NotFound("user"));
            }
            Some(u) => Some(u),
            None if ctx.has(TRAINING_MANAGE) => None,
            None => Some(ctx.user_id),
        };
        let mut tx = ctx.begin().await?;
        let (at, id) = after.unwrap_or((DateTime::<Utc>::MAX_UTC, Uuid::max()));
        let rows: Vec<AwardRow> = sqlx::query_as(concat!(
            award_select!(),
            " where (a.awarded_at, a.id) < ($1, $2) and ($3::uuid is null or a.user_id = $3)
             order by a.awarded_at desc, a.id desc limit $4"
        ))
        .bind(at)
        .bind(id)
        .bind(only.map(|u| u.0))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows.into_iter().map(Achievement::from).collect();
        let (items, next_cursor) =
            page::finish_by_time(rows, limit, |a: &Achievement| (a.awarded_at, a.id));
        Ok(Json(AchievementPage { items, next_cursor }))
    }

    /// Revoke an achievement awarded in error, with the reason (kept; the rule does not award
    /// it to that person again). Revoking twice is `409 already-revoked`.
    ///
    /// Permission: `training.manage`. Audited as `achievement.revoked`.
    #[oai(path = "/achievements/:id/revoke", method = "post")]
    async fn revoke(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<Revoke>,
    ) -> Result<Json<Achievement>> {
        if body.reason.trim().is_empty() {
            return Err(AppError::validation("reason", "must not be blank"));
        }
        ctx.require(TRAINING_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let row: Option<AwardRow> =
            sqlx::query_as(concat!(award_select!(), " where a.id = $1 for update of a"))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
        let before = Achievement::from(row.ok_or(AppError::NotFound("achievement"))?);
        if before.revoked_at.is_some() {
            return Err(AppError::Conflict {
                code: "already-revoked",
                detail: "the achievement is revoked already".into(),
                field: None,
            });
        }
        sqlx::query(
            "update achievements set revoked_at = now(), revoked_by = $2, revoke_reason = $3
              where id = $1",
        )
        .bind(id.0)
        .bind(ctx.user_id)
        .bind(body.reason.trim())
        .execute(&mut *tx)
        .await?;
        let row: AwardRow = sqlx::query_as(concat!(award_select!(), " where a.id = $1"))
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await?;
        let after = Achievement::from(row);
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "achievement.revoked",
            "achievement",
            id.0,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
