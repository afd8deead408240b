//! Training at volume (issue 17's target), in the server: a student's progress view (the
//! enrollment as `GET /api/v1/training/enrollments/{id}` answers it) for a syllabus of 60
//! lessons with 200 graded items and five hour requirements, after 200 graded lesson records and
//! 300 logbook entries: target at most 10 ms. The domain's own function in a tenant
//! transaction against a real PostgreSQL (no HTTP).
//!
//! A report, not a timed test: `cargo bench --bench training`; the database is
//! `BENCH_DATABASE_URL` (default `flightline_bench_training`, recreated).

use std::time::Instant;

use flightline::db::{self, Db};
use flightline::domains::training::service as training;
use flightline::tenancy::TenantKind;
use serde_json::json;
use sqlx::Connection;
use uuid::Uuid;

mod common;
use common::{cpu, recreate_database, summary};

#[tokio::main]
async fn main() {
    let db_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/flightline_bench_training".into());
    recreate_database(&db_url).await;
    let settings = common::settings(&db_url);
    let db = Db::connect_lazy(&settings).expect("db");
    db::migrate_platform(&db)
        .await
        .expect("platform migrations");
    let tenant = common::provision(
        &db,
        "training-bench",
        "Training bench",
        TenantKind::FlightSchool,
    )
    .await;

    // A student and an instructor; a syllabus of 4 stages x 15 lessons (each after the one
    // before), 200 items (3 or 4 a lesson), 5 requirements; published; the student enrolled
    // 120 days ago; 200 graded records (four for each of the first 50 lessons, the first of each
    // incomplete) and 300 logbook
    // entries.
    let mut tx = tenant.begin(&db).await.expect("tx");
    let people: Vec<Uuid> = sqlx::query_scalar(
        "insert into users (id, email, name) select gen_random_uuid(), 'p' || g || '@bench.example', 'Person ' || g
           from generate_series(1, 2) g returning id",
    )
    .fetch_all(&mut *tx)
    .await
    .expect("users");
    let (student, instructor) = (people[0], people[1]);
    let setup = [
        "insert into syllabi (id, code, title, grading_scale) values ('00000000-0000-7000-8000-000000000001', 'PPL-A', 'Private pilot', 'five_point')",
        "insert into syllabus_versions (id, syllabus_id, number, lessons_per_week) values ('00000000-0000-7000-8000-000000000002', '00000000-0000-7000-8000-000000000001', 1, 3)",
        "insert into syllabus_stages (id, version_id, position, title)
         select gen_random_uuid(), '00000000-0000-7000-8000-000000000002', s, 'Stage ' || s from generate_series(0, 3) s",
        "insert into syllabus_lessons (id, version_id, stage_id, position, code, title, kind, planned_minutes, prerequisites)
         select gen_random_uuid(), '00000000-0000-7000-8000-000000000002', st.id, l, 'L' || (st.position * 15 + l),
                'Lesson ' || (st.position * 15 + l), 'flight', 90,
                case when st.position * 15 + l = 0 then '{}'::text[] else array['L' || (st.position * 15 + l - 1)] end
           from syllabus_stages st, generate_series(0, 14) l",
        "insert into syllabus_items (id, lesson_id, position, name, kind)
         select gen_random_uuid(), l.id, i, 'Item ' || i, 'maneuver'
           from syllabus_lessons l, generate_series(0, 3) i
          where i < 3 or (substr(l.code, 2)::int % 3) <> 0",
        "insert into syllabus_requirements (id, version_id, position, description, \"column\", with_column, minimum)
         values (gen_random_uuid(), '00000000-0000-7000-8000-000000000002', 0, '40 hours', 'total', null, 2400),
                (gen_random_uuid(), '00000000-0000-7000-8000-000000000002', 1, '20 hours dual', 'dual_received', null, 1200),
                (gen_random_uuid(), '00000000-0000-7000-8000-000000000002', 2, '10 hours solo', 'solo', null, 600),
                (gen_random_uuid(), '00000000-0000-7000-8000-000000000002', 3, '3 hours night dual', 'dual_received', 'night', 180),
                (gen_random_uuid(), '00000000-0000-7000-8000-000000000002', 4, '3 hours instrument', 'simulated_instrument', null, 180)",
        "update syllabus_versions set status = 'published', published_at = now() where id = '00000000-0000-7000-8000-000000000002'",
    ];
    for sql in setup {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .expect("syllabus");
    }
    let enrollment: Uuid = sqlx::query_scalar(
        "insert into training_enrollments (id, student_id, syllabus_id, version_id, started_on, lessons_per_week, instructor_ids)
         values (gen_random_uuid(), $1, '00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000002',
                 current_date - 120, 3, array[$2]) returning id",
    )
    .bind(student)
    .bind(instructor)
    .fetch_one(&mut *tx)
    .await
    .expect("enrollment");
    sqlx::query(
        "insert into training_lesson_records (id, enrollment_id, lesson_id, date, instructor_id, result)
         select gen_random_uuid(), $1, l.id, current_date - 120 + g / 2, $2,
                case when g % 4 = 0 then 'incomplete' else 'completed' end
           from generate_series(0, 199) g
           join syllabus_lessons l on l.code = 'L' || (g / 4)
                                   and l.version_id = '00000000-0000-7000-8000-000000000002'",
    )
    .bind(enrollment)
    .bind(instructor)
    .execute(&mut *tx)
    .await
    .expect("records");
    sqlx::query(
        "insert into training_item_grades (record_id, item_id, grade)
         select r.id, i.id, '4' from training_lesson_records r join syllabus_items i on i.lesson_id = r.lesson_id",
    )
    .execute(&mut *tx)
    .await
    .expect("grades");
    sqlx::query(
        "insert into logbook_entries (id, person_id, date, registration, type_code, category, class,
             total_minutes, dual_received_minutes, solo_minutes, night_minutes, simulated_instrument_minutes, day_landings)
         select gen_random_uuid(), $1, current_date - 150 + g / 2, 'N172SP', 'C172', 'airplane', 'single_engine_land',
                70, case when g % 3 = 0 then 0 else 70 end, case when g % 3 = 0 then 70 else 0 end,
                case when g % 5 = 0 then 30 else 0 end, case when g % 7 = 0 then 20 else 0 end, 2
           from generate_series(1, 300) g",
    )
    .bind(student)
    .execute(&mut *tx)
    .await
    .expect("logbook");
    let records: i64 = sqlx::query_scalar("select count(*) from training_lesson_records")
        .fetch_one(&mut *tx)
        .await
        .expect("count");
    let items: i64 = sqlx::query_scalar("select count(*) from syllabus_items")
        .fetch_one(&mut *tx)
        .await
        .expect("count");
    tx.commit().await.expect("commit");
    sqlx::raw_sql("vacuum (analyze)")
        .execute(&mut sqlx::PgConnection::connect(&db_url).await.expect("conn"))
        .await
        .expect("vacuum");

    let mut times = Vec::new();
    let mut view = None;
    for i in 0..250 {
        let mut tx = tenant.begin(&db).await.expect("tx");
        let t = Instant::now();
        let e = training::enrollment(&mut tx, enrollment)
            .await
            .expect("view")
            .expect("enrollment");
        if i >= 50 {
            times.push(t.elapsed());
        }
        view = Some(e);
    }
    let view = view.expect("a view");
    assert_eq!(view.progress.lessons_total, 60);
    let report = json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "cpu": cpu(),
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "profile": if cfg!(debug_assertions) { "dev (unoptimised)" } else { "release" },
        "syllabus": {"lessons": 60, "items": items, "requirements": 5},
        "records": records,
        "lessons_completed": view.progress.lessons_completed,
        "progress_view": summary(times),
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
}
