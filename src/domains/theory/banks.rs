//! `/api/v1/theory/question-banks` and `/questions`: banks of questions with their answer keys.
//! Authors only (`theory.manage`), reads included: the keys are here.

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::THEORY_MANAGE;
use super::exam_dto::{
    Question, QuestionBank, QuestionBankCreate, QuestionBankPage, QuestionCreate, QuestionKind,
    QuestionPage, QuestionUpdate,
};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Checks, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::units::{merge, wire};
use crate::kernel::{UserId, page};
use crate::record::Record;

pub struct BanksApi;

#[derive(ApiResponse)]
enum BankCreated {
    /// The bank as stored.
    #[oai(status = 201)]
    Created(Json<QuestionBank>),
}

#[derive(ApiResponse)]
enum QuestionCreated {
    /// The question as stored.
    #[oai(status = 201)]
    Created(Json<Question>),
}

const BANK: Record = Record {
    table: "theory_question_banks",
    kind: "theory_question_bank",
    noun: "question bank",
};

const QUESTION: Record = Record {
    table: "theory_questions",
    kind: "theory_question",
    noun: "question",
};

#[derive(sqlx::FromRow)]
struct BankRow {
    id: Uuid,
    name: String,
    description: Option<String>,
    active_questions: i64,
    created_by: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<BankRow> for QuestionBank {
    fn from(r: BankRow) -> Self {
        QuestionBank {
            id: r.id,
            name: r.name,
            description: r.description,
            active_questions: r.active_questions,
            created_by: r.created_by.map(UserId),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

macro_rules! bank_columns {
    () => {
        "b.id, b.name, b.description, (select count(*) from theory_questions q \
         where q.bank_id = b.id and q.active) as active_questions, b.created_by, b.version, \
         b.created_at, b.updated_at"
    };
}

async fn bank(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<QuestionBank>> {
    let sql = if lock {
        concat!(
            "select ",
            bank_columns!(),
            " from theory_question_banks b where b.id = $1 for update"
        )
    } else {
        concat!(
            "select ",
            bank_columns!(),
            " from theory_question_banks b where b.id = $1"
        )
    };
    let row: Option<BankRow> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(QuestionBank::from))
}

#[derive(sqlx::FromRow)]
struct QuestionRow {
    id: Uuid,
    bank_id: Uuid,
    #[sqlx(try_from = "String")]
    kind: QuestionKind,
    prompt: String,
    options: Vec<String>,
    correct_options: Vec<i32>,
    correct_bool: Option<bool>,
    correct_number: Option<f64>,
    tolerance: Option<f64>,
    subject: String,
    points: i32,
    explanation: Option<String>,
    active: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<QuestionRow> for Question {
    fn from(r: QuestionRow) -> Self {
        Question {
            id: r.id,
            bank_id: r.bank_id,
            kind: r.kind,
            prompt: r.prompt,
            options: r.options,
            correct_options: r.correct_options,
            correct_bool: r.correct_bool,
            correct_number: r.correct_number,
            tolerance: r.tolerance,
            subject: r.subject,
            points: r.points,
            explanation: r.explanation,
            active: r.active,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

macro_rules! question_columns {
    () => {
        "id, bank_id, kind, prompt, options, correct_options, correct_bool, correct_number, \
         tolerance, subject, points, explanation, active, version, created_at, updated_at"
    };
}

async fn question(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Question>> {
    let sql = if lock {
        concat!(
            "select ",
            question_columns!(),
            " from theory_questions where id = $1 for update"
        )
    } else {
        concat!(
            "select ",
            question_columns!(),
            " from theory_questions where id = $1"
        )
    };
    let row: Option<QuestionRow> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(Question::from))
}

/// The key of a question fits its kind (the same rules as the table's CHECK constraints, as
/// field errors).
fn check_key(q: &Question) -> Result<()> {
    let mut c = Checks::new();
    let choice = matches!(
        q.kind,
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice
    );
    if choice {
        c.check(
            (2..=10).contains(&q.options.len()),
            "options",
            "a choice question has 2 to 10 options",
        );
        c.check(
            q.options
                .iter()
                .all(|o| !o.trim().is_empty() && o.chars().count() <= 1000),
            "options",
            "an option is 1 to 1000 characters, not blank",
        );
        let n = i32::try_from(q.options.len()).unwrap_or(0);
        c.check(
            q.correct_options.iter().all(|i| (0..n).contains(i)),
            "correct_options",
            "each is the 0-based index of an option",
        );
        let want_one = q.kind == QuestionKind::SingleChoice;
        c.check(
            if want_one {
                q.correct_options.len() == 1
            } else {
                !q.correct_options.is_empty()
            },
            "correct_options",
            if want_one {
                "a single-choice question has exactly one right option"
            } else {
                "a multiple-choice question has at least one right option"
            },
        );
    } else {
        c.check(q.options.is_empty(), "options", "only for choice questions");
        c.check(
            q.correct_options.is_empty(),
            "correct_options",
            "only for choice questions",
        );
    }
    let tf = q.kind == QuestionKind::TrueFalse;
    c.check(
        tf == q.correct_bool.is_some(),
        "correct_bool",
        "is required for a true/false question and only there",
    );
    let num = q.kind == QuestionKind::Numeric;
    c.check(
        num == q.correct_number.is_some(),
        "correct_number",
        "is required for a numeric question and only there",
    );
    c.check(
        num == q.tolerance.is_some(),
        "tolerance",
        "is required for a numeric question and only there",
    );
    c.check(!q.prompt.trim().is_empty(), "prompt", "must not be blank");
    c.done()
}

async fn store_question(conn: &mut PgConnection, q: &Question, insert: bool) -> Result<()> {
    let sql = if insert {
        "insert into theory_questions (id, bank_id, kind, prompt, options, correct_options,
             correct_bool, correct_number, tolerance, subject, points, explanation, active)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    } else {
        "update theory_questions set bank_id = $2, kind = $3, prompt = $4, options = $5,
             correct_options = $6, correct_bool = $7, correct_number = $8, tolerance = $9,
             subject = $10, points = $11, explanation = $12, active = $13, version = version + 1
         where id = $1"
    };
    sqlx::query(sql)
        .bind(q.id)
        .bind(q.bank_id)
        .bind(wire(&q.kind))
        .bind(&q.prompt)
        .bind(&q.options)
        .bind(&q.correct_options)
        .bind(q.correct_bool)
        .bind(q.correct_number)
        .bind(q.tolerance)
        .bind(&q.subject)
        .bind(q.points)
        .bind(&q.explanation)
        .bind(q.active)
        .execute(conn)
        .await?;
    Ok(())
}

#[OpenApi(
    prefix_path = "/api/v1/theory",
    tag = "crate::domains::theory::Tag::TheoryQuestionBanks"
)]
impl BanksApi {
    /// List question banks, newest first.
    ///
    /// Permission: `theory.manage`.
    #[oai(path = "/question-banks", method = "get")]
    async fn list_banks(
        &self,
        ctx: TenantCtx,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<QuestionBankPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(THEORY_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let rows: Vec<BankRow> = sqlx::query_as(concat!(
            "select ",
            bank_columns!(),
            " from theory_question_banks b where b.id < $1 order by b.id desc limit $2"
        ))
        .bind(after.unwrap_or(Uuid::max()))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows.into_iter().map(QuestionBank::from).collect();
        let (items, next_cursor) = page::finish(rows, limit, |b: &QuestionBank| b.id);
        Ok(Json(QuestionBankPage { items, next_cursor }))
    }

    /// Create a question bank (a name used already is `409`).
    ///
    /// Permission: `theory.manage`. Audited as `theory_question_bank.created`.
    #[oai(path = "/question-banks", method = "post")]
    async fn create_bank(
        &self,
        ctx: TenantCtx,
        body: JsonBody<QuestionBankCreate>,
    ) -> Result<BankCreated> {
        if body.name.trim().is_empty() {
            return Err(AppError::validation("name", "must not be blank"));
        }
        ctx.require(THEORY_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into theory_question_banks (id, name, description, created_by) values ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(body.name.trim())
        .bind(&body.description)
        .bind(ctx.user_id)
        .execute(&mut *tx)
        .await?;
        let b = bank(&mut tx, id, false)
            .await?
            .ok_or(AppError::NotFound("question bank"))?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "theory_question_bank.created",
            "theory_question_bank",
            id,
            &b,
        )
        .await?;
        tx.commit().await?;
        Ok(BankCreated::Created(Json(b)))
    }

    /// Get one question bank.
    ///
    /// Permission: `theory.manage`.
    #[oai(path = "/question-banks/:id", method = "get")]
    async fn get_bank(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<QuestionBank>> {
        BANK.get(&ctx, THEORY_MANAGE, async |c| bank(c, id.0, false).await)
            .await
    }

    /// Delete a question bank with its questions; a bank an exam draws from is kept
    /// (`409 bank-in-use`). Attempts keep their copies of the questions.
    ///
    /// Permission: `theory.manage`. Audited as `theory_question_bank.deleted`.
    #[oai(path = "/question-banks/:id", method = "delete")]
    async fn delete_bank(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        BANK.delete(&ctx, THEORY_MANAGE, id.0, async |c| {
            let b = bank(c, id.0, true).await?;
            let used: bool = sqlx::query_scalar(
                "select exists (select 1 from theory_exam_banks where bank_id = $1)",
            )
            .bind(id.0)
            .fetch_one(&mut *c)
            .await?;
            if b.is_some() && used {
                return Err(AppError::Conflict {
                    code: "bank-in-use",
                    detail: "an exam draws from this bank; remove it from the exam first".into(),
                    field: None,
                });
            }
            Ok(b)
        })
        .await
    }

    /// The questions of a bank with their keys, oldest first.
    ///
    /// Permission: `theory.manage`.
    #[oai(path = "/question-banks/:id/questions", method = "get")]
    async fn list_questions(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<QuestionPage>> {
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(THEORY_MANAGE)?;
        let mut tx = ctx.begin().await?;
        bank(&mut tx, id.0, false)
            .await?
            .ok_or(AppError::NotFound("question bank"))?;
        let rows: Vec<QuestionRow> = sqlx::query_as(concat!(
            "select ",
            question_columns!(),
            " from theory_questions where bank_id = $1 and id > $2 order by id limit $3"
        ))
        .bind(id.0)
        .bind(after.unwrap_or(Uuid::nil()))
        .bind(limit + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let rows = rows.into_iter().map(Question::from).collect();
        let (items, next_cursor) = page::finish(rows, limit, |q: &Question| q.id);
        Ok(Json(QuestionPage { items, next_cursor }))
    }

    /// Add a question with its key to a bank.
    ///
    /// Permission: `theory.manage`. Audited as `theory_question.created`.
    #[oai(path = "/question-banks/:id/questions", method = "post")]
    async fn create_question(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<QuestionCreate>,
    ) -> Result<QuestionCreated> {
        let b = body.0;
        let q = Question {
            id: Uuid::now_v7(),
            bank_id: id.0,
            kind: b.kind,
            prompt: b.prompt.trim().to_owned(),
            options: b
                .options
                .unwrap_or_default()
                .iter()
                .map(|o| o.trim().to_owned())
                .collect(),
            correct_options: b.correct_options.unwrap_or_default(),
            correct_bool: b.correct_bool,
            correct_number: b.correct_number,
            tolerance: b.tolerance,
            subject: b.subject,
            points: b.points.unwrap_or(1),
            explanation: b.explanation,
            active: true,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        ctx.require(THEORY_MANAGE)?;
        check_key(&q)?;
        let mut tx = ctx.begin().await?;
        bank(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("question bank"))?;
        store_question(&mut tx, &q, true).await?;
        let q = question(&mut tx, q.id, false)
            .await?
            .ok_or(AppError::NotFound("question"))?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "theory_question.created",
            "theory_question",
            q.id,
            &q,
        )
        .await?;
        tx.commit().await?;
        Ok(QuestionCreated::Created(Json(q)))
    }

    /// Get one question with its key.
    ///
    /// Permission: `theory.manage`.
    #[oai(path = "/questions/:id", method = "get")]
    async fn get_question(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Question>> {
        QUESTION
            .get(&ctx, THEORY_MANAGE, async |c| {
                question(c, id.0, false).await
            })
            .await
    }

    /// Update a question partially; the key is checked again as a whole. Attempts already
    /// drawn keep their copy. With `version`, a concurrent change answers `409`.
    ///
    /// Permission: `theory.manage`. Audited as `theory_question.updated`.
    #[oai(path = "/questions/:id", method = "patch")]
    async fn update_question(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<QuestionUpdate>,
    ) -> Result<Json<Question>> {
        let b = body.0;
        ctx.require(THEORY_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = question(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("question"))?;
        AppError::check_version("question", b.version, before.version)?;
        let mut next = before.clone();
        if let Some(v) = b.prompt {
            next.prompt = v.trim().to_owned();
        }
        if let Some(v) = b.options {
            next.options = v.iter().map(|o| o.trim().to_owned()).collect();
        }
        next.correct_options = b.correct_options.unwrap_or(next.correct_options);
        next.correct_bool = b.correct_bool.or(next.correct_bool);
        next.correct_number = b.correct_number.or(next.correct_number);
        next.tolerance = b.tolerance.or(next.tolerance);
        next.subject = b.subject.unwrap_or(next.subject);
        next.points = b.points.unwrap_or(next.points);
        merge(&mut next.explanation, &b.explanation);
        next.active = b.active.unwrap_or(next.active);
        check_key(&next)?;
        store_question(&mut tx, &next, false).await?;
        let after = question(&mut tx, next.id, false)
            .await?
            .ok_or(AppError::NotFound("question"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "theory_question.updated",
            "theory_question",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a question (attempts keep their copy of it).
    ///
    /// Permission: `theory.manage`. Audited as `theory_question.deleted`.
    #[oai(path = "/questions/:id", method = "delete")]
    async fn delete_question(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        QUESTION
            .delete(&ctx, THEORY_MANAGE, id.0, async |c| {
                question(c, id.0, true).await
            })
            .await
    }
}
