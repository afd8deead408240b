//! SQL of the training domain. Every function runs inside the caller's tenant transaction; rows
//! come back through `sqlx::FromRow` and become DTOs here.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{
    EnrollmentStatus, GradingScale, ItemBody, ItemGrade, ItemKind, LessonBody, LessonKind,
    LessonRecord, LessonResult, RequirementBody, StageBody, Syllabus, VersionContent,
    VersionStatus, VersionSummary,
};
use crate::kernel::UserId;

text_enum!(
    GradingScale,
    VersionStatus,
    LessonKind,
    ItemKind,
    EnrollmentStatus,
    LessonResult
);

#[derive(sqlx::FromRow)]
struct SyllabusRow {
    id: Uuid,
    code: String,
    title: String,
    description: Option<String>,
    #[sqlx(try_from = "String")]
    grading_scale: GradingScale,
    created_by: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    versions: sqlx::types::Json<Vec<VersionJson>>,
    stage_check_instructors: Vec<Uuid>,
}

#[derive(serde::Deserialize)]
struct VersionJson {
    number: i32,
    status: String,
    lessons_per_week: i16,
    published_at: Option<DateTime<Utc>>,
}

macro_rules! syllabus_select {
    () => {
        "select s.id, s.code, s.title, s.description, s.grading_scale, s.created_by, s.version,
                s.created_at, s.updated_at,
                coalesce((select jsonb_agg(jsonb_build_object('number', v.number, 'status', v.status,
                              'lessons_per_week', v.lessons_per_week, 'published_at', v.published_at)
                              order by v.number)
                          from syllabus_versions v where v.syllabus_id = s.id), '[]') as versions,
                array(select user_id from syllabus_stage_check_instructors i
                       where i.syllabus_id = s.id order by user_id) as stage_check_instructors
           from syllabi s "
    };
}

impl From<SyllabusRow> for Syllabus {
    fn from(r: SyllabusRow) -> Self {
        Syllabus {
            id: r.id,
            code: r.code,
            title: r.title,
            description: r.description,
            grading_scale: r.grading_scale,
            created_by: r.created_by.map(UserId),
            versions: r
                .versions
                .0
                .into_iter()
                .map(|v| VersionSummary {
                    number: v.number,
                    status: if v.status == "published" {
                        VersionStatus::Published
                    } else {
                        VersionStatus::Draft
                    },
                    lessons_per_week: v.lessons_per_week,
                    published_at: v.published_at,
                })
                .collect(),
            stage_check_instructors: r.stage_check_instructors.into_iter().map(UserId).collect(),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub async fn list_syllabi(
    conn: &mut PgConnection,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Syllabus>, sqlx::Error> {
    let rows: Vec<SyllabusRow> = sqlx::query_as(concat!(
        syllabus_select!(),
        "where s.id < $1 order by s.id desc limit $2"
    ))
    .bind(after.unwrap_or(Uuid::max()))
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Syllabus::from).collect())
}

pub async fn get_syllabus(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<Syllabus>, sqlx::Error> {
    let sql = if lock {
        concat!(syllabus_select!(), "where s.id = $1 for update of s")
    } else {
        concat!(syllabus_select!(), "where s.id = $1")
    };
    let row: Option<SyllabusRow> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(Syllabus::from))
}

/// A new syllabus with an empty draft version 1. `None` when the code is taken.
pub async fn insert_syllabus(
    conn: &mut PgConnection,
    code: &str,
    title: &str,
    description: Option<&str>,
    scale: GradingScale,
    by: UserId,
) -> Result<Option<Uuid>, sqlx::Error> {
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "insert into syllabi (id, code, title, description, grading_scale, created_by)
         values ($1, $2, $3, $4, $5, $6) on conflict on constraint syllabi_code_key do nothing",
    )
    .bind(id)
    .bind(code)
    .bind(title)
    .bind(description)
    .bind(scale_text(scale))
    .bind(by)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(None);
    }
    sqlx::query("insert into syllabus_versions (id, syllabus_id, number) values ($1, $2, 1)")
        .bind(Uuid::now_v7())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(Some(id))
}

fn scale_text(s: GradingScale) -> &'static str {
    match s {
        GradingScale::FivePoint => "five_point",
        GradingScale::Satisfactory => "satisfactory",
    }
}

pub async fn update_syllabus(
    conn: &mut PgConnection,
    id: Uuid,
    title: &str,
    description: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update syllabi set title = $2, description = $3, version = version + 1 where id = $1",
    )
    .bind(id)
    .bind(title)
    .bind(description)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_stage_check_instructors(
    conn: &mut PgConnection,
    syllabus: Uuid,
    users: &[UserId],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from syllabus_stage_check_instructors where syllabus_id = $1")
        .bind(syllabus)
        .execute(&mut *conn)
        .await?;
    let ids: Vec<Uuid> = users.iter().map(|u| u.0).collect();
    sqlx::query(
        "insert into syllabus_stage_check_instructors (syllabus_id, user_id)
         select $1, unnest($2::uuid[])",
    )
    .bind(syllabus)
    .bind(&ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// A version's row.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct VersionRow {
    pub id: Uuid,
    pub number: i32,
    #[sqlx(try_from = "String")]
    pub status: VersionStatus,
    pub lessons_per_week: i16,
    pub published_at: Option<DateTime<Utc>>,
}

pub async fn version(
    conn: &mut PgConnection,
    syllabus: Uuid,
    number: i32,
    lock: bool,
) -> Result<Option<VersionRow>, sqlx::Error> {
    let sql = if lock {
        "select id, number, status, lessons_per_week, published_at from syllabus_versions
          where syllabus_id = $1 and number = $2 for update"
    } else {
        "select id, number, status, lessons_per_week, published_at from syllabus_versions
          where syllabus_id = $1 and number = $2"
    };
    sqlx::query_as(sql)
        .bind(syllabus)
        .bind(number)
        .fetch_optional(conn)
        .await
}

/// The latest published version of `syllabus`.
pub async fn latest_published(
    conn: &mut PgConnection,
    syllabus: Uuid,
) -> Result<Option<VersionRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, number, status, lessons_per_week, published_at from syllabus_versions
          where syllabus_id = $1 and status = 'published' order by number desc limit 1",
    )
    .bind(syllabus)
    .fetch_optional(conn)
    .await
}

#[derive(sqlx::FromRow)]
struct LessonRow {
    id: Uuid,
    stage_title: String,
    code: String,
    title: String,
    #[sqlx(try_from = "String")]
    kind: LessonKind,
    planned_minutes: i32,
    objectives: Option<String>,
    standards: Option<String>,
    stage_check: bool,
    prerequisites: Vec<String>,
    items: sqlx::types::Json<Vec<ItemBody>>,
}

#[derive(sqlx::FromRow)]
struct RequirementRow {
    description: String,
    regulation: Option<String>,
    column: sqlx::types::Json<super::dto::LogColumn>,
    with_column: Option<sqlx::types::Json<super::dto::LogColumn>>,
    minimum: i32,
}

/// A version's stages (in order, with their lessons and items in order) and requirements.
pub async fn content(
    conn: &mut PgConnection,
    version: Uuid,
) -> Result<(Vec<StageBody>, Vec<RequirementBody>), sqlx::Error> {
    let stage_titles: Vec<String> = sqlx::query_scalar(
        "select title from syllabus_stages where version_id = $1 order by position",
    )
    .bind(version)
    .fetch_all(&mut *conn)
    .await?;
    let lessons: Vec<LessonRow> = sqlx::query_as(
        "select l.id, s.title as stage_title, l.code, l.title, l.kind, l.planned_minutes,
                l.objectives, l.standards, l.stage_check, l.prerequisites,
                coalesce((select jsonb_agg(jsonb_build_object('id', i.id, 'name', i.name, 'kind', i.kind)
                              order by i.position)
                          from syllabus_items i where i.lesson_id = l.id), '[]') as items
           from syllabus_lessons l join syllabus_stages s on s.id = l.stage_id
          where l.version_id = $1
          order by s.position, l.position",
    )
    .bind(version)
    .fetch_all(&mut *conn)
    .await?;
    let mut stages: Vec<StageBody> = stage_titles
        .into_iter()
        .map(|title| StageBody {
            title,
            lessons: Vec::new(),
        })
        .collect();
    // Stages are in position order and lessons in (stage position, lesson position) order, so
    // each lesson belongs to the first stage from the current one with its title.
    let mut at = 0;
    for l in lessons {
        while at < stages.len() && stages[at].title != l.stage_title {
            at += 1;
        }
        if let Some(stage) = stages.get_mut(at) {
            stage.lessons.push(LessonBody {
                id: Some(l.id),
                code: l.code,
                title: l.title,
                kind: l.kind,
                planned_minutes: l.planned_minutes,
                objectives: l.objectives,
                standards: l.standards,
                stage_check: l.stage_check,
                prerequisites: l.prerequisites,
                items: l.items.0,
            });
        }
    }
    let requirements: Vec<RequirementRow> = sqlx::query_as(
        r#"select description, regulation, to_jsonb("column") as column,
                  to_jsonb(with_column) as with_column, minimum
             from syllabus_requirements where version_id = $1 order by position"#,
    )
    .bind(version)
    .fetch_all(conn)
    .await?;
    Ok((
        stages,
        requirements
            .into_iter()
            .map(|r| RequirementBody {
                description: r.description,
                regulation: r.regulation,
                column: r.column.0,
                with_column: r.with_column.map(|c| c.0),
                minimum: r.minimum,
            })
            .collect(),
    ))
}

fn wire<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Replaces a draft version's content (the caller checked it is a draft and valid).
pub async fn replace_content(
    conn: &mut PgConnection,
    version: Uuid,
    c: &VersionContent,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from syllabus_stages where version_id = $1")
        .bind(version)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from syllabus_requirements where version_id = $1")
        .bind(version)
        .execute(&mut *conn)
        .await?;
    if let Some(n) = c.lessons_per_week {
        sqlx::query("update syllabus_versions set lessons_per_week = $2 where id = $1")
            .bind(version)
            .bind(n)
            .execute(&mut *conn)
            .await?;
    }
    for (sp, stage) in c.stages.iter().enumerate() {
        let stage_id = Uuid::now_v7();
        sqlx::query(
            "insert into syllabus_stages (id, version_id, position, title) values ($1, $2, $3, $4)",
        )
        .bind(stage_id)
        .bind(version)
        .bind(i32::try_from(sp).unwrap_or(i32::MAX))
        .bind(&stage.title)
        .execute(&mut *conn)
        .await?;
        for (lp, l) in stage.lessons.iter().enumerate() {
            let lesson_id = Uuid::now_v7();
            sqlx::query(
                "insert into syllabus_lessons (id, version_id, stage_id, position, code, title, kind,
                     planned_minutes, objectives, standards, stage_check, prerequisites)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(lesson_id)
            .bind(version)
            .bind(stage_id)
            .bind(i32::try_from(lp).unwrap_or(i32::MAX))
            .bind(&l.code)
            .bind(&l.title)
            .bind(wire(&l.kind))
            .bind(l.planned_minutes)
            .bind(&l.objectives)
            .bind(&l.standards)
            .bind(l.stage_check)
            .bind(&l.prerequisites)
            .execute(&mut *conn)
            .await?;
            let names: Vec<&str> = l.items.iter().map(|i| i.name.as_str()).collect();
            let kinds: Vec<String> = l.items.iter().map(|i| wire(&i.kind)).collect();
            sqlx::query(
                "insert into syllabus_items (id, lesson_id, position, name, kind)
                 select gen_random_uuid(), $1, (p - 1)::int, n, k
                   from unnest($2::text[], $3::text[]) with ordinality as u(n, k, p)",
            )
            .bind(lesson_id)
            .bind(&names)
            .bind(&kinds)
            .execute(&mut *conn)
            .await?;
        }
    }
    for (rp, r) in c.requirements.iter().enumerate() {
        sqlx::query(
            r#"insert into syllabus_requirements (id, version_id, position, description, regulation,
                   "column", with_column, minimum)
               values ($1, $2, $3, $4, $5, $6, $7, $8)"#,
        )
        .bind(Uuid::now_v7())
        .bind(version)
        .bind(i32::try_from(rp).unwrap_or(i32::MAX))
        .bind(&r.description)
        .bind(&r.regulation)
        .bind(wire(&r.column))
        .bind(r.with_column.as_ref().map(wire))
        .bind(r.minimum)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn publish(
    conn: &mut PgConnection,
    version: Uuid,
    by: UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update syllabus_versions set status = 'published', published_at = now(), published_by = $2
          where id = $1",
    )
    .bind(version)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// A new draft numbered after the last version. `None` when a draft exists already.
pub async fn new_draft(
    conn: &mut PgConnection,
    syllabus: Uuid,
) -> Result<Option<(Uuid, i32)>, sqlx::Error> {
    let row: Option<(Uuid, i32)> = sqlx::query_as(
        "insert into syllabus_versions (id, syllabus_id, number, lessons_per_week)
         select $1, $2, coalesce(max(number), 0) + 1,
                coalesce((select lessons_per_week from syllabus_versions
                           where syllabus_id = $2 order by number desc limit 1), 2)
           from syllabus_versions where syllabus_id = $2
         on conflict do nothing
         returning id, number",
    )
    .bind(Uuid::now_v7())
    .bind(syllabus)
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

/// An enrollment's row, with its syllabus code, version number and scale.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct EnrollmentRow {
    pub id: Uuid,
    pub student_id: Uuid,
    pub syllabus_id: Uuid,
    pub syllabus_code: String,
    pub version_id: Uuid,
    pub version_number: i32,
    #[sqlx(try_from = "String")]
    pub grading_scale: GradingScale,
    #[sqlx(try_from = "String")]
    pub status: EnrollmentStatus,
    pub started_on: NaiveDate,
    pub lessons_per_week: i16,
    pub instructor_ids: Vec<Uuid>,
    pub completed_on: Option<NaiveDate>,
    pub held_days: i32,
    pub on_hold_since: Option<NaiveDate>,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EnrollmentRow {
    /// Days on hold up to `today`: the earlier stretches and the current one.
    pub fn held(&self, today: NaiveDate) -> i64 {
        i64::from(self.held_days)
            + self
                .on_hold_since
                .map_or(0, |since| (today - since).num_days().max(0))
    }
}

macro_rules! enrollment_select {
    () => {
        "select e.id, e.student_id, e.syllabus_id, s.code as syllabus_code, e.version_id,
                v.number as version_number, s.grading_scale, e.status, e.started_on,
                e.lessons_per_week, e.instructor_ids, e.completed_on, e.held_days, e.on_hold_since,
                e.notes, e.version,
                e.created_at, e.updated_at
           from training_enrollments e
           join syllabi s on s.id = e.syllabus_id
           join syllabus_versions v on v.id = e.version_id "
    };
}

pub async fn get_enrollment(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<EnrollmentRow>, sqlx::Error> {
    let sql = if lock {
        concat!(enrollment_select!(), "where e.id = $1 for update of e")
    } else {
        concat!(enrollment_select!(), "where e.id = $1")
    };
    sqlx::query_as(sql).bind(id).fetch_optional(conn).await
}

/// Enrollments, newest first: everyone's, or `student`'s only.
pub async fn list_enrollments(
    conn: &mut PgConnection,
    student: Option<UserId>,
    status: Option<&str>,
) -> Result<Vec<EnrollmentRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        enrollment_select!(),
        "where ($1::uuid is null or e.student_id = $1) and ($2::text is null or e.status = $2)
          order by e.id desc limit 5000"
    ))
    .bind(student)
    .bind(status)
    .fetch_all(conn)
    .await
}

pub struct NewEnrollment<'a> {
    pub student: UserId,
    pub syllabus: Uuid,
    pub version: Uuid,
    pub started_on: NaiveDate,
    pub lessons_per_week: i16,
    pub instructors: &'a [Uuid],
    pub notes: Option<&'a str>,
}

/// `None` when the student has an open enrollment in the syllabus already.
pub async fn insert_enrollment(
    conn: &mut PgConnection,
    e: &NewEnrollment<'_>,
) -> Result<Option<Uuid>, sqlx::Error> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "insert into training_enrollments (id, student_id, syllabus_id, version_id, started_on,
             lessons_per_week, instructor_ids, notes)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (student_id, syllabus_id) where status in ('active', 'on_hold') do nothing
         returning id",
    )
    .bind(Uuid::now_v7())
    .bind(e.student)
    .bind(e.syllabus)
    .bind(e.version)
    .bind(e.started_on)
    .bind(e.lessons_per_week)
    .bind(e.instructors)
    .bind(e.notes)
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

pub async fn update_enrollment(
    conn: &mut PgConnection,
    e: &EnrollmentRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update training_enrollments set status = $2, lessons_per_week = $3, instructor_ids = $4,
             notes = $5, completed_on = $6, version_id = $7, held_days = $8, on_hold_since = $9,
             version = version + 1
          where id = $1",
    )
    .bind(e.id)
    .bind(wire(&e.status))
    .bind(e.lessons_per_week)
    .bind(&e.instructor_ids)
    .bind(&e.notes)
    .bind(e.completed_on)
    .bind(e.version_id)
    .bind(e.held_days)
    .bind(e.on_hold_since)
    .execute(conn)
    .await?;
    Ok(())
}

/// A lesson of a version, by code.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct LessonRef {
    pub id: Uuid,
    pub code: String,
    pub stage_check: bool,
    pub prerequisites: Vec<String>,
    /// Its items' ids, in order.
    pub items: Vec<Uuid>,
}

/// Every lesson of a version in syllabus order.
pub async fn lessons(
    conn: &mut PgConnection,
    version: Uuid,
) -> Result<Vec<LessonRef>, sqlx::Error> {
    sqlx::query_as(
        "select l.id, l.code, l.stage_check, l.prerequisites,
                array(select i.id from syllabus_items i where i.lesson_id = l.id order by i.position) as items
           from syllabus_lessons l join syllabus_stages s on s.id = l.stage_id
          where l.version_id = $1 order by s.position, l.position",
    )
    .bind(version)
    .fetch_all(conn)
    .await
}

/// The codes of the lessons whose latest record in the enrollment is `completed` (by code, so
/// that records made on an earlier version count after a move).
pub async fn completed_codes(
    conn: &mut PgConnection,
    enrollment: Uuid,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select code from (
             select distinct on (l.code) l.code, r.result
               from training_lesson_records r join syllabus_lessons l on l.id = r.lesson_id
              where r.enrollment_id = $1
              order by l.code, r.date desc, r.id desc) latest
          where result = 'completed'",
    )
    .bind(enrollment)
    .fetch_all(conn)
    .await
}

/// Whether `user` is designated for the syllabus's stage checks.
pub async fn designated(
    conn: &mut PgConnection,
    syllabus: Uuid,
    user: UserId,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists(select 1 from syllabus_stage_check_instructors
                        where syllabus_id = $1 and user_id = $2)",
    )
    .bind(syllabus)
    .bind(user)
    .fetch_one(conn)
    .await
}

pub struct NewRecord<'a> {
    pub enrollment: Uuid,
    pub lesson: Uuid,
    pub date: NaiveDate,
    pub instructor: UserId,
    pub booking: Option<Uuid>,
    pub flight: Option<Uuid>,
    pub result: LessonResult,
    pub comments: Option<&'a str>,
    pub next_lesson: Option<Uuid>,
    pub grades: &'a [ItemGrade],
}

pub async fn insert_record(
    conn: &mut PgConnection,
    r: &NewRecord<'_>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into training_lesson_records (id, enrollment_id, lesson_id, date, instructor_id,
             booking_id, flight_id, result, comments, next_lesson_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(r.enrollment)
    .bind(r.lesson)
    .bind(r.date)
    .bind(r.instructor)
    .bind(r.booking)
    .bind(r.flight)
    .bind(wire(&r.result))
    .bind(r.comments)
    .bind(r.next_lesson)
    .execute(&mut *conn)
    .await?;
    let items: Vec<Uuid> = r.grades.iter().map(|g| g.item_id).collect();
    let grades: Vec<&str> = r.grades.iter().map(|g| g.grade.as_str()).collect();
    let comments: Vec<Option<&str>> = r.grades.iter().map(|g| g.comment.as_deref()).collect();
    sqlx::query(
        "insert into training_item_grades (record_id, item_id, grade, comment)
         select $1, i, g, c from unnest($2::uuid[], $3::text[], $4::text[]) as u(i, g, c)",
    )
    .bind(id)
    .bind(&items)
    .bind(&grades)
    .bind(&comments)
    .execute(conn)
    .await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: Uuid,
    enrollment_id: Uuid,
    lesson_id: Uuid,
    lesson_code: String,
    date: NaiveDate,
    instructor_id: Uuid,
    booking_id: Option<Uuid>,
    flight_id: Option<Uuid>,
    #[sqlx(try_from = "String")]
    result: LessonResult,
    comments: Option<String>,
    next_lesson_code: Option<String>,
    acknowledged_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    grades: sqlx::types::Json<Vec<GradeJson>>,
}

#[derive(serde::Deserialize)]
struct GradeJson {
    item_id: Uuid,
    grade: String,
    comment: Option<String>,
}

macro_rules! record_select {
    () => {
        "select r.id, r.enrollment_id, r.lesson_id, l.code as lesson_code, r.date, r.instructor_id,
                r.booking_id, r.flight_id, r.result, r.comments, n.code as next_lesson_code,
                r.acknowledged_at, r.created_at,
                coalesce((select jsonb_agg(jsonb_build_object('item_id', g.item_id, 'grade', g.grade,
                              'comment', g.comment) order by i.position)
                          from training_item_grades g join syllabus_items i on i.id = g.item_id
                          where g.record_id = r.id), '[]') as grades
           from training_lesson_records r
           join syllabus_lessons l on l.id = r.lesson_id
           left join syllabus_lessons n on n.id = r.next_lesson_id "
    };
}

impl From<RecordRow> for LessonRecord {
    fn from(r: RecordRow) -> Self {
        LessonRecord {
            id: r.id,
            enrollment_id: r.enrollment_id,
            lesson_id: r.lesson_id,
            lesson_code: r.lesson_code,
            date: r.date,
            instructor_id: UserId(r.instructor_id),
            booking_id: r.booking_id,
            flight_id: r.flight_id,
            result: r.result,
            grades: r
                .grades
                .0
                .into_iter()
                .map(|g| ItemGrade {
                    item_id: g.item_id,
                    grade: g.grade,
                    comment: g.comment,
                })
                .collect(),
            comments: r.comments,
            next_lesson_code: r.next_lesson_code,
            acknowledged_at: r.acknowledged_at,
            created_at: r.created_at,
        }
    }
}

pub async fn get_record(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<LessonRecord>, sqlx::Error> {
    let row: Option<RecordRow> = sqlx::query_as(concat!(record_select!(), "where r.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(LessonRecord::from))
}

/// An enrollment's records, newest first, with keyset pagination on the id.
pub async fn list_records(
    conn: &mut PgConnection,
    enrollment: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<LessonRecord>, sqlx::Error> {
    let rows: Vec<RecordRow> = sqlx::query_as(concat!(
        record_select!(),
        "where r.enrollment_id = $1 and r.id < $2 order by r.id desc limit $3"
    ))
    .bind(enrollment)
    .bind(after.unwrap_or(Uuid::max()))
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(LessonRecord::from).collect())
}

/// Sets the acknowledgement once; `false` when it was set already.
pub async fn acknowledge(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "update training_lesson_records set acknowledged_at = now()
          where id = $1 and acknowledged_at is null",
    )
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Whether `id` is a booking of the organisation.
pub async fn booking_exists(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists(select 1 from bookings where id = $1)")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// Whether `id` is a user of the organisation.
pub async fn user_exists(conn: &mut PgConnection, id: UserId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists(select 1 from users where id = $1)")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// A lesson of a version, for booking it.
#[derive(sqlx::FromRow)]
pub struct LessonForBooking {
    pub code: String,
    pub title: String,
    #[sqlx(try_from = "String")]
    pub kind: LessonKind,
    pub planned_minutes: i32,
}

pub async fn lesson_by_code(
    conn: &mut PgConnection,
    version: Uuid,
    code: &str,
) -> Result<Option<LessonForBooking>, sqlx::Error> {
    sqlx::query_as(
        "select code, title, kind, planned_minutes from syllabus_lessons
          where version_id = $1 and code = $2",
    )
    .bind(version)
    .bind(code)
    .fetch_optional(conn)
    .await
}
