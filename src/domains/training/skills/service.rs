//! What the training and theory domains call: the skills a student lacks for a syllabus, a
//! lesson or a course ([`shortfalls`], [`check_enrolment`]), and the achievement rules run for
//! one person after something they did ([`award`]).

use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::SkillShortfall;
use crate::audit::{self, Actor, Change};
use crate::error::{AppError, Result};
use crate::kernel::UserId;

/// What requires skills.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A syllabus as a whole, plus the lesson `next` (by code) when one is named.
    Syllabus { id: Uuid, lesson: Option<&'a str> },
    /// Only the lesson `code` of a syllabus.
    Lesson { syllabus: Uuid, code: &'a str },
    /// A ground-school course.
    Course(Uuid),
}

#[derive(sqlx::FromRow)]
struct ShortRow {
    skill_id: Uuid,
    skill_name: String,
    min_level: i16,
    level: Option<i16>,
    lesson_code: Option<String>,
}

/// The required skills `user` lacks or holds below the level asked, by skill name.
pub async fn shortfalls(
    conn: &mut PgConnection,
    user: UserId,
    target: Target<'_>,
) -> Result<Vec<SkillShortfall>> {
    // $2 syllabus, $3 lesson, $4 whether the syllabus's own requirements count, $5 course.
    let (syllabus, lesson, whole, course) = match target {
        Target::Syllabus { id, lesson } => (Some(id), lesson, true, None),
        Target::Lesson { syllabus, code } => (Some(syllabus), Some(code), false, None),
        Target::Course(id) => (None, None, false, Some(id)),
    };
    let rows: Vec<ShortRow> = sqlx::query_as(
        "select r.skill_id, s.name as skill_name, r.min_level, cur.level, r.lesson_code
           from skill_requirements r
           join skills s on s.id = r.skill_id
           left join lateral (
               select a.level from skill_assessments a
                where a.user_id = $1 and a.skill_id = r.skill_id
                order by a.assessed_at desc, a.id desc limit 1) cur on true
          where ((r.syllabus_id = $2
                  and ((r.lesson_code is null and $4) or r.lesson_code = $3))
                 or r.course_id = $5)
            and coalesce(cur.level, 0) < r.min_level
          order by lower(s.name), r.lesson_code nulls first",
    )
    .bind(user.0)
    .bind(syllabus)
    .bind(lesson)
    .bind(whole)
    .bind(course)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SkillShortfall {
            skill_id: r.skill_id,
            skill_name: r.skill_name,
            min_level: r.min_level.into(),
            level: r.level.map(i32::from),
            lesson_code: r.lesson_code,
        })
        .collect())
}

/// Enrolling `user` (or booking them for a lesson): under the `training.required_skills`
/// setting `refuse`, a shortfall is `409 skills-missing` naming the skills; under `warn` (the
/// default) the shortfalls are returned for the caller to show.
pub async fn check_enrolment(
    conn: &mut PgConnection,
    user: UserId,
    target: Target<'_>,
) -> Result<Vec<SkillShortfall>> {
    let missing = shortfalls(&mut *conn, user, target).await?;
    if missing.is_empty() {
        return Ok(missing);
    }
    let refuse = crate::domains::settings::service::read(&mut *conn, "training.required_skills")
        .await?
        .is_some_and(|v| v.as_str() == Some("refuse"));
    if refuse {
        let names: Vec<String> = missing
            .iter()
            .map(|m| match m.level {
                Some(l) => format!("{} (level {} of {} required)", m.skill_name, l, m.min_level),
                None => format!("{} (level {} required)", m.skill_name, m.min_level),
            })
            .collect();
        return Err(AppError::Conflict {
            code: "skills-missing",
            detail: format!(
                "the student lacks required skills: {}; the organisation refuses such \
                 enrolments (setting training.required_skills)",
                names.join(", ")
            ),
            field: None,
        });
    }
    Ok(missing)
}

#[derive(sqlx::FromRow)]
struct Awarded {
    id: Uuid,
    rule_code: String,
    user_id: Uuid,
    evidence: serde_json::Value,
}

/// Runs every active achievement rule for `user` (every person when `None`), awarding what is
/// earned and not yet awarded, each award audited as `achievement.awarded` by the system.
/// Returns how many were awarded. One statement: each rule kind reads its candidates
/// (docs/skills.md), the unique (rule, person) key keeps an award single.
pub async fn award(conn: &mut PgConnection, user: Option<Uuid>) -> Result<u64> {
    let awarded: Vec<Awarded> = sqlx::query_as(
        "with candidates as (
             -- first_solo: the first logbook entry with solo time (14 CFR 61.87).
             select r.id as rule_id, c.user_id, c.evidence, c.at
               from achievement_rules r
               cross join lateral (
                   select distinct on (e.person_id) e.person_id as user_id,
                          jsonb_build_object('kind', 'logbook_entry', 'id', e.id, 'date', e.date) as evidence,
                          e.date as at
                     from logbook_entries e
                    where e.solo_minutes > 0 and ($1::uuid is null or e.person_id = $1)
                    order by e.person_id, e.date, e.id) c
              where r.active and r.kind = 'first_solo'
             union all
             -- hours_total: total time logged.
             select r.id, c.user_id, c.evidence, null
               from achievement_rules r
               cross join lateral (
                   select e.person_id as user_id,
                          jsonb_build_object('kind', 'logbook', 'id', null, 'date', max(e.date)) as evidence
                     from logbook_entries e
                    where $1::uuid is null or e.person_id = $1
                    group by e.person_id
                   having sum(e.total_minutes) >= r.hours::bigint * 60) c
              where r.active and r.kind = 'hours_total'
             union all
             -- stage checks; checkride: the stage check of the version's last stage.
             select r.id, c.user_id, c.evidence, c.at
               from achievement_rules r
               cross join lateral (
                   select distinct on (en.student_id) en.student_id as user_id,
                          jsonb_build_object('kind', 'lesson_record', 'id', rec.id, 'date', rec.date) as evidence,
                          rec.date as at
                     from training_lesson_records rec
                     join training_enrollments en on en.id = rec.enrollment_id
                     join syllabus_lessons l on l.id = rec.lesson_id
                     join syllabus_stages st on st.id = l.stage_id
                    where rec.result = 'completed' and l.stage_check
                      and ($1::uuid is null or en.student_id = $1)
                      and (r.syllabus_id is null or en.syllabus_id = r.syllabus_id)
                      and (r.kind = 'stage_check_passed'
                           or st.position = (select max(s2.position) from syllabus_stages s2
                                              where s2.version_id = l.version_id))
                    order by en.student_id, rec.date, rec.id) c
              where r.active and r.kind in ('stage_check_passed', 'checkride_passed')
             union all
             -- course_completed: a syllabus enrollment or a ground-school course.
             select r.id, c.user_id, c.evidence, c.at
               from achievement_rules r
               cross join lateral (
                   select en.student_id as user_id,
                          jsonb_build_object('kind', 'training_enrollment', 'id', en.id, 'date', en.completed_on) as evidence,
                          en.completed_on as at
                     from training_enrollments en
                    where en.status = 'completed' and r.course_id is null
                      and ($1::uuid is null or en.student_id = $1)
                      and (r.syllabus_id is null or en.syllabus_id = r.syllabus_id)
                   union all
                   select te.student_id,
                          jsonb_build_object('kind', 'theory_enrollment', 'id', te.id, 'date', te.completed_at::date),
                          te.completed_at::date
                     from theory_enrollments te
                    where te.completed_at is not null and r.syllabus_id is null
                      and ($1::uuid is null or te.student_id = $1)
                      and (r.course_id is null or te.course_id = r.course_id)) c
              where r.active and r.kind = 'course_completed'
             union all
             -- exam_passed.
             select r.id, c.user_id, c.evidence, c.at
               from achievement_rules r
               cross join lateral (
                   select distinct on (a.student_id) a.student_id as user_id,
                          jsonb_build_object('kind', 'exam_attempt', 'id', a.id, 'date', a.finished_at::date) as evidence,
                          a.finished_at::date as at
                     from theory_attempts a
                    where a.passed and ($1::uuid is null or a.student_id = $1)
                      and (r.exam_id is null or a.exam_id = r.exam_id)
                    order by a.student_id, a.finished_at, a.id) c
              where r.active and r.kind = 'exam_passed'
         ),
         earliest as (
             select distinct on (rule_id, user_id) rule_id, user_id, evidence
               from candidates order by rule_id, user_id, at nulls last
         ),
         inserted as (
             insert into achievements (id, rule_id, user_id, evidence)
             select gen_random_uuid(), rule_id, user_id, evidence from earliest
             on conflict (rule_id, user_id) do nothing
             returning id, rule_id, user_id, evidence
         )
         select i.id, r.code as rule_code, i.user_id, i.evidence
           from inserted i join achievement_rules r on r.id = i.rule_id",
    )
    .bind(user)
    .fetch_all(&mut *conn)
    .await?;
    for a in &awarded {
        audit::record(
            &mut *conn,
            Actor::system(),
            Change {
                action: "achievement.awarded",
                resource_type: "achievement",
                resource_id: Some(a.id.to_string()),
                before: None,
                after: Some(serde_json::json!({
                    "rule_code": a.rule_code,
                    "user_id": a.user_id,
                    "evidence": a.evidence,
                })),
            },
        )
        .await?;
    }
    Ok(awarded.len() as u64)
}
