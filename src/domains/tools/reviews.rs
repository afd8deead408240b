//! `/api/v1/tools/reviews`: customer feedback with a rating from 1 to 5 and a moderation status.

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::record::Record;

/// Reviews: plain get and delete.
const REVIEW: Record = Record {
    table: "reviews",
    kind: "review",
    noun: "review",
};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    New,
    Published,
    Hidden,
    Resolved,
}

text_enum!(ReviewStatus);

fn status_str(s: ReviewStatus) -> &'static str {
    match s {
        ReviewStatus::New => "new",
        ReviewStatus::Published => "published",
        ReviewStatus::Hidden => "hidden",
        ReviewStatus::Resolved => "resolved",
    }
}

/// A customer review.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Review {
    pub id: Uuid,
    /// What was reviewed: a flight, a trip, a lesson, the FBO's service.
    pub subject: String,
    pub rating: i32,
    pub comment: Option<String>,
    pub reviewer_name: Option<String>,
    pub reviewer_email: Option<String>,
    pub status: ReviewStatus,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct ReviewCreate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub subject: String,
    #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
    pub rating: i32,
    #[oai(validator(max_length = 10000))]
    pub comment: Option<String>,
    #[oai(validator(max_length = 200))]
    pub reviewer_name: Option<String>,
    #[oai(validator(max_length = 254))]
    pub reviewer_email: Option<String>,
}

/// Moderation: change the status.
#[derive(Object)]
pub struct ReviewUpdate {
    pub status: ReviewStatus,
}

#[derive(Object)]
pub struct ReviewPage {
    pub items: Vec<Review>,
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum ReviewCreated {
    #[oai(status = 201)]
    Created(Json<Review>),
}

const COLUMNS: &str = "id, subject, rating, comment, reviewer_name, reviewer_email, status, recorded_by, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    subject: String,
    rating: i32,
    comment: Option<String>,
    reviewer_name: Option<String>,
    reviewer_email: Option<String>,
    #[sqlx(try_from = "String")]
    status: ReviewStatus,
    recorded_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Review {
    fn from(r: Row) -> Self {
        Review {
            id: r.id,
            subject: r.subject,
            rating: r.rating,
            comment: r.comment,
            reviewer_name: r.reviewer_name,
            reviewer_email: r.reviewer_email,
            status: r.status,
            recorded_by: r.recorded_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<Review>, sqlx::Error> {
    let sql = format!("select {COLUMNS} from reviews where id = $1");
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(|r| r.map(Into::into))
}

pub struct ReviewsApi;

#[OpenApi(prefix_path = "/api/v1/tools/reviews", tag = "super::Tag::Tools")]
impl ReviewsApi {
    /// List reviews, newest first. Filters: `status`, `min_rating`, `max_rating`.
    ///
    /// Permission: `tools.reviews.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        status: Query<Option<ReviewStatus>>,
        /// 1..=5.
        #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
        min_rating: Query<Option<i32>>,
        /// 1..=5.
        #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
        max_rating: Query<Option<i32>>,
    ) -> Result<Json<ReviewPage>> {
        ctx.require(super::TOOLS_REVIEWS_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        for (field, v) in [("min_rating", min_rating.0), ("max_rating", max_rating.0)] {
            if v.is_some_and(|r| !(1..=5).contains(&r)) {
                return Err(AppError::validation(field, "must be between 1 and 5"));
            }
        }
        let mut tx = ctx.begin().await?;
        let sql = format!(
            "select {COLUMNS} from reviews
             where ($1::uuid is null or id < $1) and ($2::text is null or status = $2)
               and ($3::int is null or rating >= $3) and ($4::int is null or rating <= $4)
             order by id desc limit $5"
        );
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(status.0.map(status_str))
            .bind(min_rating.0)
            .bind(max_rating.0)
            .bind(limit + 1)
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let reviews = rows.into_iter().map(Review::from).collect::<Vec<_>>();
        let (items, next_cursor) = page::finish(reviews, limit, |r| r.id);
        Ok(Json(ReviewPage { items, next_cursor }))
    }

    /// Record a review. Permission: `tools.reviews.write`. Audited as `review.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<ReviewCreate>) -> Result<ReviewCreated> {
        let p = &ctx;
        p.require(super::TOOLS_REVIEWS_WRITE)?;
        if body.subject.trim().is_empty() {
            return Err(AppError::validation("subject", "must not be blank"));
        }
        let mut tx = p.begin().await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into reviews (id, subject, rating, comment, reviewer_name, reviewer_email, recorded_by)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(body.subject.trim())
        .bind(body.rating)
        .bind(&body.comment)
        .bind(&body.reviewer_name)
        .bind(&body.reviewer_email)
        .bind(p.user_id)
        .execute(&mut *tx)
        .await?;
        let r = load(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("review"))?;
        audit::created(&mut tx, p.into(), "review.created", "review", id, &r).await?;
        tx.commit().await?;
        Ok(ReviewCreated::Created(Json(r)))
    }

    /// Get a review. Permission: `tools.reviews.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Review>> {
        REVIEW
            .get(&ctx, super::TOOLS_REVIEWS_READ, async |c| {
                load(c, id.0).await
            })
            .await
    }

    /// Moderate a review (change its status). Permission: `tools.reviews.write`. Audited as
    /// `review.updated`.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<ReviewUpdate>,
    ) -> Result<Json<Review>> {
        let p = &ctx;
        p.require(super::TOOLS_REVIEWS_WRITE)?;
        let mut tx = p.begin().await?;
        let before = load(&mut tx, id.0)
            .await?
            .ok_or(AppError::NotFound("review"))?;
        sqlx::query("update reviews set status = $2 where id = $1")
            .bind(before.id)
            .bind(status_str(body.status))
            .execute(&mut *tx)
            .await?;
        let after = load(&mut tx, before.id)
            .await?
            .ok_or(AppError::NotFound("review"))?;
        audit::updated(
            &mut tx,
            p.into(),
            "review.updated",
            "review",
            before.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a review. Permission: `tools.reviews.write`. Audited as `review.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        REVIEW
            .delete(&ctx, super::TOOLS_REVIEWS_WRITE, id.0, async |c| {
                load(c, id.0).await
            })
            .await
    }
}
