//! `/api/v1/tools/tasks`: tasks with status, priority, due date and assignee.

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::record::Record;

/// Tasks: plain get and delete.
const TASK: Record = Record {
    table: "tasks",
    kind: "task",
    noun: "task",
};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    InProgress,
    Done,
    Cancelled,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TaskPriority {
    Low,
    Normal,
    High,
    Urgent,
}

text_enum!(TaskStatus, TaskPriority);

fn status_str(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Open => "open",
        TaskStatus::InProgress => "in_progress",
        TaskStatus::Done => "done",
        TaskStatus::Cancelled => "cancelled",
    }
}

fn priority_str(p: TaskPriority) -> &'static str {
    match p {
        TaskPriority::Low => "low",
        TaskPriority::Normal => "normal",
        TaskPriority::High => "high",
        TaskPriority::Urgent => "urgent",
    }
}

/// A task.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Task {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    pub priority: TaskPriority,
    pub due_at: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    /// Set when the status becomes `done`.
    pub completed_at: Option<DateTime<Utc>>,
    /// True when due and still open or in progress.
    pub overdue: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct TaskCreate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(validator(max_length = 10000))]
    pub description: Option<String>,
    /// Default `open`.
    pub status: Option<TaskStatus>,
    /// Default `normal`.
    pub priority: Option<TaskPriority>,
    pub due_at: Option<DateTime<Utc>>,
    /// A user of this organisation.
    pub assignee_id: Option<Uuid>,
}

/// A partial update; `null` clears `description`, `due_at` or `assignee_id`.
#[derive(Object)]
pub struct TaskUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 10000))]
    pub description: MaybeUndefined<String>,
    pub status: Option<TaskStatus>,
    pub priority: Option<TaskPriority>,
    pub due_at: MaybeUndefined<DateTime<Utc>>,
    pub assignee_id: MaybeUndefined<Uuid>,
    /// When given, the update applies only to this version (else `409`).
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct TaskPage {
    pub items: Vec<Task>,
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
enum TaskCreated {
    #[oai(status = 201)]
    Created(Json<Task>),
}

const COLUMNS: &str = "id, title, description, status, priority, due_at, assignee_id, created_by, completed_at,
     (due_at < now() and status in ('open', 'in_progress')) as overdue, version, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    title: String,
    description: Option<String>,
    #[sqlx(try_from = "String")]
    status: TaskStatus,
    #[sqlx(try_from = "String")]
    priority: TaskPriority,
    due_at: Option<DateTime<Utc>>,
    assignee_id: Option<Uuid>,
    created_by: Option<Uuid>,
    completed_at: Option<DateTime<Utc>>,
    overdue: Option<bool>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Task {
    fn from(r: Row) -> Self {
        Task {
            id: r.id,
            title: r.title,
            description: r.description,
            status: r.status,
            priority: r.priority,
            due_at: r.due_at,
            assignee_id: r.assignee_id,
            created_by: r.created_by,
            completed_at: r.completed_at,
            overdue: r.overdue.unwrap_or(false),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Task>, sqlx::Error> {
    let sql = format!(
        "select {COLUMNS} from tasks where id = $1{}",
        if lock { " for update" } else { "" }
    );
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(|r| r.map(Into::into))
}

pub struct TasksApi;

#[OpenApi(prefix_path = "/api/v1/tools/tasks", tag = "super::Tag::Tools")]
impl TasksApi {
    /// List tasks, newest first. Filters: `status`, `assignee_id`, `overdue` (due and still open
    /// or in progress).
    ///
    /// Permission: `tools.tasks.read`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        ctx: TenantCtx,
        limit: Query<page::Limit>,
        cursor: Query<Option<String>>,
        status: Query<Option<TaskStatus>>,
        assignee_id: Query<Option<Uuid>>,
        overdue: Query<Option<bool>>,
    ) -> Result<Json<TaskPage>> {
        ctx.require(super::TOOLS_TASKS_READ)?;
        let limit = limit.0.get();
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        let mut tx = ctx.begin().await?;
        let sql = format!(
            "select {COLUMNS} from tasks
             where ($1::uuid is null or id < $1) and ($2::text is null or status = $2)
               and ($3::uuid is null or assignee_id = $3)
               and ($4::boolean is null or (due_at < now() and status in ('open', 'in_progress')) = $4)
             order by id desc limit $5"
        );
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(status.0.map(status_str))
            .bind(assignee_id.0)
            .bind(overdue.0)
            .bind(limit + 1)
            .fetch_all(&mut *tx)
            .await?;
        tx.end_read();
        let tasks = rows.into_iter().map(Task::from).collect();
        let (items, next_cursor) = page::finish(tasks, limit, |t| t.id);
        Ok(Json(TaskPage { items, next_cursor }))
    }

    /// Create a task. Permission: `tools.tasks.write`. Audited as `task.created`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: TenantCtx, body: JsonBody<TaskCreate>) -> Result<TaskCreated> {
        let p = &ctx;
        p.require(super::TOOLS_TASKS_WRITE)?;
        if body.title.trim().is_empty() {
            return Err(AppError::validation("title", "must not be blank"));
        }
        let mut tx = p.begin().await?;
        let status = body.status.unwrap_or(TaskStatus::Open);
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into tasks (id, title, description, status, priority, due_at, assignee_id, created_by, completed_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, case when $4 = 'done' then now() end)",
        )
        .bind(id)
        .bind(body.title.trim())
        .bind(&body.description)
        .bind(status_str(status))
        .bind(priority_str(body.priority.unwrap_or(TaskPriority::Normal)))
        .bind(body.due_at)
        .bind(body.assignee_id)
        .bind(p.user_id)
        .execute(&mut *tx)
        .await?;
        let t = load(&mut tx, id, false)
            .await?
            .ok_or(AppError::NotFound("task"))?;
        audit::created(&mut tx, p.into(), "task.created", "task", id, &t).await?;
        tx.commit().await?;
        Ok(TaskCreated::Created(Json(t)))
    }

    /// Get a task. Permission: `tools.tasks.read`.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Task>> {
        TASK.get(&ctx, super::TOOLS_TASKS_READ, async |c| {
            load(c, id.0, false).await
        })
        .await
    }

    /// Update a task partially; moving it to `done` records `completed_at`.
    ///
    /// Permission: `tools.tasks.write`. Audited as `task.updated` with before and after.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<TaskUpdate>,
    ) -> Result<Json<Task>> {
        let p = &ctx;
        p.require(super::TOOLS_TASKS_WRITE)?;
        if body.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(AppError::validation("title", "must not be blank"));
        }
        let mut tx = p.begin().await?;
        let before = load(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("task"))?;
        AppError::check_version("task", body.version, before.version)?;
        let assignee = match &body.assignee_id {
            MaybeUndefined::Value(a) => Some(*a),
            MaybeUndefined::Null => None,
            MaybeUndefined::Undefined => before.assignee_id,
        };
        let description = match &body.description {
            MaybeUndefined::Value(d) => Some(d.clone()),
            MaybeUndefined::Null => None,
            MaybeUndefined::Undefined => before.description.clone(),
        };
        let due_at = match &body.due_at {
            MaybeUndefined::Value(d) => Some(*d),
            MaybeUndefined::Null => None,
            MaybeUndefined::Undefined => before.due_at,
        };
        let status = status_str(body.status.unwrap_or(before.status));
        sqlx::query(
            "update tasks set title = $2, description = $3, status = $4, priority = $5, due_at = $6, assignee_id = $7,
                 completed_at = case when $4 = 'done' then coalesce(completed_at, now()) else null end,
                 version = version + 1
             where id = $1",
        )
        .bind(before.id)
        .bind(body.title.as_deref().map(str::trim).unwrap_or(&before.title))
        .bind(description)
        .bind(status)
        .bind(priority_str(body.priority.unwrap_or(before.priority)))
        .bind(due_at)
        .bind(assignee)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, before.id, false)
            .await?
            .ok_or(AppError::NotFound("task"))?;
        audit::updated(
            &mut tx,
            p.into(),
            "task.updated",
            "task",
            before.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a task. Permission: `tools.tasks.write`. Audited as `task.deleted`.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        TASK.delete(&ctx, super::TOOLS_TASKS_WRITE, id.0, async |c| {
            load(c, id.0, true).await
        })
        .await
    }
}
