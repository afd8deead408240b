//! A course's content: `/api/v1/theory/courses/{id}/modules`, `/modules/{id}`,
//! `/modules/{id}/lessons`, `/lessons/{id}`, `/lessons/{id}/materials`, `/materials/{id}`.
//! Positions are unique within their parent (`409`); the content of a draft course is seen by
//! authors only (`404`).

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    Lesson, LessonCreate, LessonSummary, LessonUpdate, Material, MaterialCreate, Module,
    ModuleCreate, ModulePage, ModuleUpdate,
};
use super::{THEORY_MANAGE, THEORY_READ, courses};
use crate::audit;
use crate::auth::TenantCtx;
use crate::error::{AppError, Result};
use crate::http::{JsonBody, NoContent};
use crate::kernel::page;
use crate::kernel::units::{hours, merge, tenths};

pub struct LessonsApi;

#[derive(ApiResponse)]
enum ModuleCreated {
    /// The module as stored.
    #[oai(status = 201)]
    Created(Json<Module>),
}

#[derive(ApiResponse)]
enum LessonCreated {
    /// The lesson as stored.
    #[oai(status = 201)]
    Created(Json<Lesson>),
}

#[derive(ApiResponse)]
enum MaterialCreated {
    /// The material as stored.
    #[oai(status = 201)]
    Created(Json<Material>),
}

#[derive(sqlx::FromRow)]
struct ModuleRow {
    id: Uuid,
    course_id: Uuid,
    position: i32,
    title: String,
    description: Option<String>,
    duration_tenths: i32,
    lessons: sqlx::types::Json<Vec<(Uuid, i32, String)>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ModuleRow> for Module {
    fn from(r: ModuleRow) -> Self {
        Module {
            id: r.id,
            course_id: r.course_id,
            position: r.position,
            title: r.title,
            description: r.description,
            duration_hours: hours(r.duration_tenths.into()),
            lessons: r
                .lessons
                .0
                .into_iter()
                .map(|(id, position, title)| LessonSummary {
                    id,
                    position,
                    title,
                })
                .collect(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

macro_rules! module_columns {
    () => {
        "m.id, m.course_id, m.position, m.title, m.description, m.duration_tenths, \
         coalesce((select json_agg(json_build_array(l.id, l.position, l.title) order by l.position) \
         from theory_lessons l where l.module_id = m.id), '[]') as lessons, m.created_at, m.updated_at"
    };
}

async fn module(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Module>> {
    let sql = if lock {
        concat!(
            "select ",
            module_columns!(),
            " from theory_modules m where m.id = $1 for update"
        )
    } else {
        concat!(
            "select ",
            module_columns!(),
            " from theory_modules m where m.id = $1"
        )
    };
    let row: Option<ModuleRow> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(Module::from))
}

/// A material as the lesson query aggregates it: id, title, url, created.
type MaterialCells = (Uuid, String, String, DateTime<Utc>);

#[derive(sqlx::FromRow)]
struct LessonRow {
    id: Uuid,
    module_id: Uuid,
    course_id: Uuid,
    position: i32,
    title: String,
    content: String,
    materials: sqlx::types::Json<Vec<MaterialCells>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

async fn lesson(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Lesson>> {
    let sql = if lock {
        "select l.id, l.module_id, m.course_id, l.position, l.title, l.content,
             coalesce((select json_agg(json_build_array(x.id, x.title, x.url, x.created_at) order by x.id)
                       from theory_materials x where x.lesson_id = l.id), '[]') as materials,
             l.created_at, l.updated_at
         from theory_lessons l join theory_modules m on m.id = l.module_id where l.id = $1
         for update of l"
    } else {
        "select l.id, l.module_id, m.course_id, l.position, l.title, l.content,
             coalesce((select json_agg(json_build_array(x.id, x.title, x.url, x.created_at) order by x.id)
                       from theory_materials x where x.lesson_id = l.id), '[]') as materials,
             l.created_at, l.updated_at
         from theory_lessons l join theory_modules m on m.id = l.module_id where l.id = $1"
    };
    let row: Option<LessonRow> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(|r| Lesson {
        id: r.id,
        module_id: r.module_id,
        course_id: r.course_id,
        position: r.position,
        title: r.title,
        content: r.content,
        materials: r
            .materials
            .0
            .into_iter()
            .map(|(id, title, url, created_at)| Material {
                id,
                lesson_id: r.id,
                title,
                url,
                created_at,
            })
            .collect(),
        created_at: r.created_at,
        updated_at: r.updated_at,
    }))
}

fn blank(field: &str, v: Option<&str>) -> Result<()> {
    if v.is_some_and(|t| t.trim().is_empty()) {
        return Err(AppError::validation(field, "must not be blank"));
    }
    Ok(())
}

#[OpenApi(
    prefix_path = "/api/v1/theory",
    tag = "crate::domains::theory::Tag::TheoryCourses"
)]
impl LessonsApi {
    /// The modules of a course in order, each with its lessons (a draft course: authors only,
    /// else `404`).
    ///
    /// Permission: `theory.read`.
    #[oai(path = "/courses/:id/modules", method = "get")]
    async fn modules(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        /// Page size, 1..=200 (default 50).
        limit: Query<page::Limit>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<ModulePage>> {
        let limit = usize::try_from(limit.0.get()).unwrap_or(50);
        let after = page::decode_id_cursor(cursor.0.as_deref())?;
        ctx.require(THEORY_READ)?;
        let mut tx = ctx.begin().await?;
        courses::visible(&ctx, &mut tx, id.0).await?;
        let rows: Vec<ModuleRow> = sqlx::query_as(concat!(
            "select ",
            module_columns!(),
            " from theory_modules m where m.course_id = $1 order by m.position"
        ))
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await?;
        tx.end_read();
        let mut all: Vec<Module> = rows.into_iter().map(Module::from).collect();
        if let Some(after) = after {
            let at = all
                .iter()
                .position(|m| m.id == after)
                .ok_or(page::InvalidCursor)?;
            all.drain(..=at);
        }
        let next_cursor = (all.len() > limit)
            .then(|| page::encode_id_cursor(all[limit - 1].id))
            .filter(|_| limit > 0);
        all.truncate(limit);
        Ok(Json(ModulePage {
            items: all,
            next_cursor,
        }))
    }

    /// Add a module to a course at `position` (taken already: `409`).
    ///
    /// Permission: `theory.manage`. Audited as `theory_module.created`.
    #[oai(path = "/courses/:id/modules", method = "post")]
    async fn create_module(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<ModuleCreate>,
    ) -> Result<ModuleCreated> {
        blank("title", Some(&body.title))?;
        ctx.require(THEORY_MANAGE)?;
        let mut tx = ctx.begin().await?;
        courses::load(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("course"))?;
        let mid = Uuid::now_v7();
        sqlx::query(
            "insert into theory_modules (id, course_id, position, title, description, duration_tenths)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(mid)
        .bind(id.0)
        .bind(body.position)
        .bind(body.title.trim())
        .bind(&body.description)
        .bind(tenths(body.duration_hours) as i32)
        .execute(&mut *tx)
        .await?;
        let m = module(&mut tx, mid, false)
            .await?
            .ok_or(AppError::NotFound("module"))?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "theory_module.created",
            "theory_module",
            mid,
            &m,
        )
        .await?;
        tx.commit().await?;
        Ok(ModuleCreated::Created(Json(m)))
    }

    /// Update a module partially (a position taken already: `409`).
    ///
    /// Permission: `theory.manage`. Audited as `theory_module.updated`.
    #[oai(path = "/modules/:id", method = "patch")]
    async fn update_module(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<ModuleUpdate>,
    ) -> Result<Json<Module>> {
        blank("title", body.title.as_deref())?;
        ctx.require(THEORY_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = module(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("module"))?;
        let mut next = before.clone();
        next.position = body.position.unwrap_or(next.position);
        if let Some(t) = &body.title {
            next.title = t.trim().to_owned();
        }
        merge(&mut next.description, &body.description);
        next.duration_hours = body.duration_hours.unwrap_or(next.duration_hours);
        sqlx::query(
            "update theory_modules set position = $2, title = $3, description = $4,
                 duration_tenths = $5 where id = $1",
        )
        .bind(next.id)
        .bind(next.position)
        .bind(&next.title)
        .bind(&next.description)
        .bind(tenths(next.duration_hours) as i32)
        .execute(&mut *tx)
        .await?;
        let after = module(&mut tx, next.id, false)
            .await?
            .ok_or(AppError::NotFound("module"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "theory_module.updated",
            "theory_module",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a module with its lessons (and the progress recorded on them).
    ///
    /// Permission: `theory.manage`. Audited as `theory_module.deleted`.
    #[oai(path = "/modules/:id", method = "delete")]
    async fn delete_module(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        const MODULE: crate::record::Record = crate::record::Record {
            table: "theory_modules",
            kind: "theory_module",
            noun: "module",
        };
        MODULE
            .delete(&ctx, THEORY_MANAGE, id.0, async |c| {
                module(c, id.0, true).await
            })
            .await
    }

    /// Add a lesson to a module at `position` (taken already: `409`).
    ///
    /// Permission: `theory.manage`. Audited as `theory_lesson.created`.
    #[oai(path = "/modules/:id/lessons", method = "post")]
    async fn create_lesson(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<LessonCreate>,
    ) -> Result<LessonCreated> {
        blank("title", Some(&body.title))?;
        ctx.require(THEORY_MANAGE)?;
        let mut tx = ctx.begin().await?;
        module(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("module"))?;
        let lid = Uuid::now_v7();
        sqlx::query(
            "insert into theory_lessons (id, module_id, position, title, content)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(lid)
        .bind(id.0)
        .bind(body.position)
        .bind(body.title.trim())
        .bind(body.content.as_deref().unwrap_or(""))
        .execute(&mut *tx)
        .await?;
        let l = lesson(&mut tx, lid, false)
            .await?
            .ok_or(AppError::NotFound("lesson"))?;
        audit::created(
            &mut tx,
            (&ctx).into(),
            "theory_lesson.created",
            "theory_lesson",
            lid,
            &l,
        )
        .await?;
        tx.commit().await?;
        Ok(LessonCreated::Created(Json(l)))
    }

    /// Get one lesson with its text and link materials (a draft course's: authors only, else
    /// `404`). Its files are attachments of resource type `theory_lesson`.
    ///
    /// Permission: `theory.read`.
    #[oai(path = "/lessons/:id", method = "get")]
    async fn get_lesson(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<Json<Lesson>> {
        ctx.require(THEORY_READ)?;
        let mut tx = ctx.begin().await?;
        let l = lesson(&mut tx, id.0, false)
            .await?
            .ok_or(AppError::NotFound("lesson"))?;
        courses::visible(&ctx, &mut tx, l.course_id)
            .await
            .map_err(|_| AppError::NotFound("lesson"))?;
        tx.end_read();
        Ok(Json(l))
    }

    /// Update a lesson partially (a position taken already: `409`).
    ///
    /// Permission: `theory.manage`. Audited as `theory_lesson.updated`.
    #[oai(path = "/lessons/:id", method = "patch")]
    async fn update_lesson(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<LessonUpdate>,
    ) -> Result<Json<Lesson>> {
        blank("title", body.title.as_deref())?;
        ctx.require(THEORY_MANAGE)?;
        let mut tx = ctx.begin().await?;
        let before = lesson(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("lesson"))?;
        sqlx::query(
            "update theory_lessons set position = $2, title = $3, content = $4 where id = $1",
        )
        .bind(before.id)
        .bind(body.position.unwrap_or(before.position))
        .bind(
            body.title
                .as_deref()
                .map(str::trim)
                .unwrap_or(&before.title),
        )
        .bind(body.content.as_deref().unwrap_or(&before.content))
        .execute(&mut *tx)
        .await?;
        let after = lesson(&mut tx, before.id, false)
            .await?
            .ok_or(AppError::NotFound("lesson"))?;
        audit::updated(
            &mut tx,
            (&ctx).into(),
            "theory_lesson.updated",
            "theory_lesson",
            after.id,
            &before,
            &after,
        )
        .await?;
        tx.commit().await?;
        Ok(Json(after))
    }

    /// Delete a lesson (and the progress recorded on it).
    ///
    /// Permission: `theory.manage`. Audited as `theory_lesson.deleted`.
    #[oai(path = "/lessons/:id", method = "delete")]
    async fn delete_lesson(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        const LESSON: crate::record::Record = crate::record::Record {
            table: "theory_lessons",
            kind: "theory_lesson",
            noun: "lesson",
        };
        LESSON
            .delete(&ctx, THEORY_MANAGE, id.0, async |c| {
                lesson(c, id.0, true).await
            })
            .await
    }

    /// Add a link to a lesson (an absolute `http`/`https` URL).
    ///
    /// Permission: `theory.manage`. Audited as `theory_material.created`.
    #[oai(path = "/lessons/:id/materials", method = "post")]
    async fn create_material(
        &self,
        ctx: TenantCtx,
        id: Path<Uuid>,
        body: JsonBody<MaterialCreate>,
    ) -> Result<MaterialCreated> {
        blank("title", Some(&body.title))?;
        ctx.require(THEORY_MANAGE)?;
        let mut tx = ctx.begin().await?;
        lesson(&mut tx, id.0, true)
            .await?
            .ok_or(AppError::NotFound("lesson"))?;
        let m = Material {
            id: Uuid::now_v7(),
            lesson_id: id.0,
            title: body.title.trim().to_owned(),
            url: body.url.clone(),
            created_at: Utc::now(),
        };
        let created_at: DateTime<Utc> = sqlx::query_scalar(
            "insert into theory_materials (id, lesson_id, title, url) values ($1, $2, $3, $4)
             returning created_at",
        )
        .bind(m.id)
        .bind(m.lesson_id)
        .bind(&m.title)
        .bind(&m.url)
        .fetch_one(&mut *tx)
        .await?;
        let m = Material { created_at, ..m };
        audit::created(
            &mut tx,
            (&ctx).into(),
            "theory_material.created",
            "theory_material",
            m.id,
            &m,
        )
        .await?;
        tx.commit().await?;
        Ok(MaterialCreated::Created(Json(m)))
    }

    /// Delete a link of a lesson.
    ///
    /// Permission: `theory.manage`. Audited as `theory_material.deleted`.
    #[oai(path = "/materials/:id", method = "delete")]
    async fn delete_material(&self, ctx: TenantCtx, id: Path<Uuid>) -> Result<NoContent> {
        const MATERIAL: crate::record::Record = crate::record::Record {
            table: "theory_materials",
            kind: "theory_material",
            noun: "material",
        };
        MATERIAL
            .delete(&ctx, THEORY_MANAGE, id.0, async |c| {
                let row: Option<(Uuid, Uuid, String, String, DateTime<Utc>)> = sqlx::query_as(
                    "select id, lesson_id, title, url, created_at from theory_materials
                     where id = $1 for update",
                )
                .bind(id.0)
                .fetch_optional(c)
                .await?;
                Ok::<_, sqlx::Error>(row.map(|(id, lesson_id, title, url, created_at)| Material {
                    id,
                    lesson_id,
                    title,
                    url,
                    created_at,
                }))
            })
            .await
    }
}
