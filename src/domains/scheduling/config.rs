//! Scheduling configuration: instructor availability (`/api/v1/scheduling/availability`),
//! opening hours and the tenant's mode of each dispatch rule.

use chrono::{DateTime, NaiveTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{
    Availability, AvailabilityCreate, AvailabilityPage, DispatchRule, DispatchRulePage,
    DispatchRulePut, OpeningDay, OpeningHours, OpeningHoursPut,
};
use super::rules::{self, Mode, Stage};
use crate::audit::{self, Change};
use crate::auth::TenantCtx;
use crate::error::{AppError, Checks, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::timezone::TenantClock;

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    instructor_id: Uuid,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    available: bool,
    note: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<Row> for Availability {
    fn from(r: Row) -> Self {
        Availability {
            id: r.id,
            instructor_id: r.instructor_id,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            available: r.available,
            note: r.note,
            created_at: r.created_at,
        }
    }
}

const AV_COLUMNS: &str = "id, instructor_id, starts_at, ends_at, available, note, created_at";

#[derive(ApiResponse)]
enum AvailabilityCreated {
    #[oai(status = 201)]
    Created(Json<Availability>),
}

async fn opening_hours(tx: &mut crate::tenancy::TenantTx) -> Result<OpeningHours> {
    let clock = TenantClock::load(tx).await?;
    let rows = sqlx::query_as::<_, (i32, NaiveTime, NaiveTime)>(
        "select weekday, opens, closes from opening_hours order by weekday",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut items = Vec::new();
    for (weekday, opens, closes) in rows {
        items.push(OpeningDay {
            weekday,
            opens: opens.format("%H:%M").to_string(),
            closes: closes.format("%H:%M").to_string(),
        });
    }
    Ok(OpeningHours {
        timezone: clock.name().to_owned(),
        items,
    })
}

fn stages(r: &rules::Rule) -> Vec<Stage> {
    r.stages.to_vec()
}

pub struct SchedulingConfigApi;

#[OpenApi(prefix_path = "/api/v1/scheduling", tag = "super::Tag::Scheduling")]
impl SchedulingConfigApi {
    /// Instructor availability windows overlapping `from` .. `to`, by start. Filter:
    /// `instructor_id`.
    ///
    /// Permission: `scheduling.read`.
    #[oai(path = "/availability", method = "get")]
    async fn availability_list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        instructor_id: Query<Option<Uuid>>,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
    ) -> Result<Json<AvailabilityPage>> {
        ctx.require(super::SCHEDULING_READ)?;
        let limit = limit.0.get();
        let after = page::decode_time_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let sql = format!(
            "select {AV_COLUMNS} from instructor_availability
              where ($1::timestamptz is null or (starts_at, id) > ($1, $2))
                and ($3::uuid is null or instructor_id = $3)
                and ($4::timestamptz is null or ends_at > $4) and ($5::timestamptz is null or starts_at < $5)
              order by starts_at, id limit $6"
        );
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(after.map(|a| a.0))
            .bind(after.map(|a| a.1))
            .bind(instructor_id.0)
            .bind(from.0)
            .bind(to.0)
            .bind(limit + 1)
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let list = rows.into_iter().map(Availability::from).collect::<Vec<_>>();
        let (items, next_cursor) = page::finish_by_time(list, limit, |a| (a.starts_at, a.id));
        Ok(Json(AvailabilityPage { items, next_cursor }))
    }

    /// Publish an availability window or time off (`available: false`).
    ///
    /// Permission: `scheduling.book` for oneself, `scheduling.manage` for another instructor.
    /// Audited as `availability.created`.
    #[oai(path = "/availability", method = "post")]
    async fn availability_create(
        &self,
        ctx: TenantCtx,
        body: JsonBody<AvailabilityCreate>,
    ) -> Result<AvailabilityCreated> {
        let p = &ctx;
        p.require(super::SCHEDULING_BOOK)?;
        let instructor = body.instructor_id.unwrap_or(p.user_id.0);
        if instructor != p.user_id.0 {
            p.require(super::SCHEDULING_MANAGE)?;
        }
        let mut c = Checks::new();
        c.check(
            body.ends_at > body.starts_at,
            "ends_at",
            "must be after starts_at",
        );
        c.done()?;
        let mut tx = p.begin().await?;
        let sql = format!(
            "insert into instructor_availability (id, instructor_id, starts_at, ends_at, available, note)
             values ($1, $2, $3, $4, $5, $6) returning {AV_COLUMNS}"
        );
        let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(instructor)
            .bind(body.starts_at)
            .bind(body.ends_at)
            .bind(body.available)
            .bind(&body.note)
            .fetch_one(&mut *tx)
            .await?;
        let a = Availability::from(row);
        audit::created(
            &mut tx,
            p.into(),
            "availability.created",
            "availability",
            a.id,
            &a,
        )
        .await?;
        tx.commit().await?;
        Ok(AvailabilityCreated::Created(Json(a)))
    }

    /// Remove an availability window.
    ///
    /// Permission: `scheduling.book` for one's own, `scheduling.manage` for any. Audited as
    /// `availability.deleted`.
    #[oai(path = "/availability/:id", method = "delete")]
    async fn availability_delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        let p = &ctx;
        p.require(super::SCHEDULING_BOOK)?;
        let mut tx = p.begin().await?;
        let sql = format!(
            "select {AV_COLUMNS} from instructor_availability
              where id = $1 and ($2::uuid is null or instructor_id = $2) for update"
        );
        let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .bind((!p.has(super::SCHEDULING_MANAGE)).then_some(p.user_id))
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound("availability"))?;
        let before = Availability::from(row);
        audit::delete_recorded(
            &mut tx,
            p.into(),
            "instructor_availability",
            "availability.deleted",
            "availability",
            before.id,
            &before,
        )
        .await?;
        tx.commit().await?;
        Ok(NoContent::NoContent)
    }

    /// The opening hours, in the tenant's time zone. Permission: `scheduling.read`.
    #[oai(path = "/opening-hours", method = "get")]
    async fn opening_hours_get(&self, ctx: TenantCtx) -> Result<Json<OpeningHours>> {
        ctx.require(super::SCHEDULING_READ)?;
        let mut tx = ctx.begin().await?;
        let hours = opening_hours(&mut tx).await?;
        tx.end_read();
        Ok(Json(hours))
    }

    /// Replace the opening hours (one entry per open weekday, `HH:MM` local time). An empty
    /// list means open around the clock.
    ///
    /// Permission: `settings.manage`. Audited as `opening_hours.updated`.
    #[oai(path = "/opening-hours", method = "put")]
    async fn opening_hours_put(
        &self,
        ctx: TenantCtx,
        body: JsonBody<OpeningHoursPut>,
    ) -> Result<Json<OpeningHours>> {
        let p = &ctx;
        p.require(crate::domains::settings::SETTINGS_MANAGE)?;
        let mut c = Checks::new();
        let mut parsed = Vec::new();
        for (i, d) in body.items.iter().enumerate() {
            let opens = NaiveTime::parse_from_str(&d.opens, "%H:%M");
            let closes = NaiveTime::parse_from_str(&d.closes, "%H:%M");
            c.check(opens.is_ok(), &format!("items[{i}].opens"), "must be HH:MM");
            c.check(
                closes.is_ok(),
                &format!("items[{i}].closes"),
                "must be HH:MM",
            );
            if let (Ok(o), Ok(cl)) = (opens, closes) {
                c.check(cl > o, &format!("items[{i}].closes"), "must be after opens");
                parsed.push((d.weekday, o, cl));
            }
            c.check(
                body.items.iter().filter(|x| x.weekday == d.weekday).count() == 1,
                &format!("items[{i}].weekday"),
                "appears more than once",
            );
        }
        c.done()?;
        let mut tx = p.begin().await?;
        let before = opening_hours(&mut tx).await?;
        sqlx::query("delete from opening_hours")
            .execute(&mut *tx)
            .await?;
        for (day, o, cl) in parsed {
            sqlx::query("insert into opening_hours (weekday, opens, closes) values ($1, $2, $3)")
                .bind(day)
                .bind(o)
                .bind(cl)
                .execute(&mut *tx)
                .await?;
        }
        let after = opening_hours(&mut tx).await?;
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "opening_hours.updated",
                resource_type: "opening_hours",
                resource_id: None,
                before: audit::snapshot(&before),
                after: audit::snapshot(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Every dispatch rule with the tenant's mode (`block`, `warn`, `off`) and its default.
    ///
    /// Permission: `scheduling.read`.
    #[oai(path = "/dispatch-rules", method = "get")]
    async fn rules_list(&self, ctx: TenantCtx) -> Result<Json<DispatchRulePage>> {
        ctx.require(super::SCHEDULING_READ)?;
        let mut tx = ctx.begin().await?;
        let rows = sqlx::query_as::<_, (String, String)>("select rule, mode from dispatch_rules")
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let mut modes = std::collections::HashMap::new();
        for (rule, mode) in rows {
            if let Some(m) = Mode::parse(&mode) {
                modes.insert(rule, m);
            }
        }
        let items = rules::all()
            .map(|r| DispatchRule {
                rule: r.key.to_owned(),
                description: r.description.to_owned(),
                mode: rules::mode(&modes, r),
                default_mode: r.default,
                stages: stages(r),
            })
            .collect();
        Ok(Json(DispatchRulePage {
            items,
            next_cursor: None,
        }))
    }

    /// Set the tenant's mode of a dispatch rule. An unknown rule answers `404`.
    ///
    /// Permission: `settings.manage`. Audited as `dispatch_rule.updated`.
    #[oai(path = "/dispatch-rules/:rule", method = "put")]
    async fn rules_put(
        &self,
        ctx: TenantCtx,
        rule: Path<String>,
        body: JsonBody<DispatchRulePut>,
    ) -> Result<Json<DispatchRule>> {
        let p = &ctx;
        p.require(crate::domains::settings::SETTINGS_MANAGE)?;
        let r = rules::find(&rule.0).ok_or(AppError::NotFound("dispatch rule"))?;
        let mut tx = p.begin().await?;
        let before: Option<String> =
            sqlx::query_scalar("select mode from dispatch_rules where rule = $1 for update")
                .bind(r.key)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "insert into dispatch_rules (rule, mode) values ($1, $2)
             on conflict (rule) do update set mode = excluded.mode",
        )
        .bind(r.key)
        .bind(body.mode.as_str())
        .execute(&mut *tx)
        .await?;
        let after = DispatchRule {
            rule: r.key.to_owned(),
            description: r.description.to_owned(),
            mode: body.mode,
            default_mode: r.default,
            stages: stages(r),
        };
        audit::record(
            &mut tx,
            p.into(),
            Change {
                action: "dispatch_rule.updated",
                resource_type: "dispatch_rule",
                resource_id: Some(r.key.to_owned()),
                before: Some(serde_json::json!({
                    "mode": before.unwrap_or_else(|| r.default.as_str().to_owned())
                })),
                after: audit::snapshot(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }
}
