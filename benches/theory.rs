//! Theory exams at volume (issue 17's targets), in the server: the domain's own functions called
//! in a tenant transaction against a real PostgreSQL (no HTTP), a tenant provisioned like any
//! other.
//!
//! - submitting a 100-question exam (answers checked, graded, 100 answer rows written, the
//!   attempt closed, its audit row, the graded attempt read back): target at most 20 ms;
//! - 1,000 concurrent attempts in one tenant: 1,000 students start at once (each draw of 100
//!   questions from a bank of 400), all 1,000 are in progress together, then all submit; target
//!   0 errors.
//!
//! A report, not a timed test: `cargo bench --bench theory`; the database is
//! `BENCH_DATABASE_URL` (default `flightline_bench_theory`, recreated).

use std::sync::Arc;
use std::time::Instant;

use flightline::audit::Actor;
use flightline::db::{self, Db};
use flightline::domains::theory::grading::QuestionKind;
use flightline::domains::theory::service::{self as theory, AnswerInput, Attempt, Submitted};
use flightline::kernel::UserId;
use flightline::tenancy::TenantKind;
use serde_json::json;
use tokio::sync::Barrier;
use uuid::Uuid;

mod common;
use common::{cpu, recreate_database, summary};

/// An answer to every question of `a`, of the right kind (right or wrong does not matter here).
fn answers(a: &Attempt) -> Vec<AnswerInput> {
    a.questions
        .iter()
        .map(|q| {
            let mut answer = AnswerInput {
                position: q.position,
                selected: None,
                true_false: None,
                number: None,
            };
            match q.kind {
                QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
                    answer.selected = Some(vec![i32::from(q.position % 2 == 0)]);
                }
                QuestionKind::TrueFalse => answer.true_false = Some(q.position % 3 == 0),
                QuestionKind::Numeric => answer.number = Some(f64::from(q.position)),
            }
            answer
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let db_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/flightline_bench_theory".into());
    recreate_database(&db_url).await;
    let settings = common::settings(&db_url);
    let db = Db::connect_lazy(&settings).expect("db");
    db::migrate_platform(&db)
        .await
        .expect("platform migrations");
    let tenant = common::provision(
        &db,
        "theory-bench",
        "Theory bench",
        TenantKind::FlightSchool,
    )
    .await;

    // 1,250 students, a bank of 400 questions (a hundred of each kind, eight subjects) and an
    // exam of 100 questions, 60 minutes, unlimited attempts.
    let mut tx = tenant.begin(&db).await.expect("tx");
    let students: Vec<Uuid> = sqlx::query_scalar(
        "insert into users (id, email, name)
         select gen_random_uuid(), 's' || g || '@bench.example', 'Student ' || g
         from generate_series(1, 1250) g returning id",
    )
    .fetch_all(&mut *tx)
    .await
    .expect("users");
    let exam: Uuid = sqlx::query_scalar(
        "with b as (insert into theory_question_banks (id, name) values (gen_random_uuid(), 'PPL')
                    returning id),
              q as (insert into theory_questions (id, bank_id, kind, prompt, options, correct_options,
                        correct_bool, correct_number, tolerance, subject, points)
                    select gen_random_uuid(), b.id, k.kind, 'Question ' || g || ' (' || k.kind || ')',
                        case when k.kind in ('single_choice', 'multiple_choice')
                             then array['Alpha', 'Bravo', 'Charlie', 'Delta'] else '{}' end,
                        case k.kind when 'single_choice' then array[g % 4]
                                    when 'multiple_choice' then array[0, 1 + g % 3] else '{}' end,
                        case when k.kind = 'true_false' then g % 2 = 0 end,
                        case when k.kind = 'numeric' then g end,
                        case when k.kind = 'numeric' then 0.5 end,
                        'subject-' || g % 8, 1 + g % 3
                    from b, generate_series(1, 100) g,
                         (values ('single_choice'), ('multiple_choice'), ('true_false'), ('numeric'))
                             as k(kind)
                    returning bank_id),
              x as (insert into theory_exams (id, title, question_count, time_limit_minutes,
                        pass_mark_percent, published)
                    values (gen_random_uuid(), 'PPL theory', 100, 60, 75, true) returning id),
              xb as (insert into theory_exam_banks (exam_id, bank_id) select x.id, b.id from x, b)
         select id from x",
    )
    .fetch_one(&mut *tx)
    .await
    .expect("bank and exam");
    tx.commit().await.expect("commit");

    // 1. Submitting a 100-question exam: 250 students start and submit, the first 50 warm-up.
    let mut times = Vec::new();
    for (i, student) in students[1000..].iter().enumerate() {
        let student = UserId(*student);
        let mut tx = tenant.begin(&db).await.expect("tx");
        let a = theory::start_attempt(&mut tx, Actor::system(), exam, student, false, None)
            .await
            .expect("start");
        tx.commit().await.expect("commit");
        assert_eq!(a.questions.len(), 100);
        let given = answers(&a);
        let mut tx = tenant.begin(&db).await.expect("tx");
        let t = Instant::now();
        let out = theory::submit_attempt(&mut tx, Actor::system(), a.id, student, false, &given)
            .await
            .expect("submit");
        let took = t.elapsed();
        tx.commit().await.expect("commit");
        assert!(matches!(out, Submitted::Graded(_)));
        if i >= 50 {
            times.push(took);
        }
    }
    let submit_report = summary(times);

    // 2. 1,000 concurrent attempts: every student starts at once, waits until all 1,000 are in
    // progress, then submits.
    let tenant = Arc::new(tenant);
    let barrier = Arc::new(Barrier::new(1000));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for student in students[..1000].iter().copied() {
        let (tenant, db, barrier) = (tenant.clone(), db.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let student = UserId(student);
            let t = Instant::now();
            let begun = async {
                let mut tx = tenant.begin(&db).await?;
                let a = theory::start_attempt(&mut tx, Actor::system(), exam, student, false, None)
                    .await?;
                tx.commit().await?;
                Ok::<_, flightline::error::AppError>(a)
            }
            .await;
            let start_took = t.elapsed();
            barrier.wait().await;
            let a = begun.map_err(|e| format!("start: {e}"))?;
            let given = answers(&a);
            let t = Instant::now();
            let submitted = async {
                let mut tx = tenant.begin(&db).await?;
                let out =
                    theory::submit_attempt(&mut tx, Actor::system(), a.id, student, false, &given)
                        .await?;
                tx.commit().await?;
                Ok::<_, flightline::error::AppError>(out)
            }
            .await
            .map_err(|e| format!("submit: {e}"))?;
            if !matches!(submitted, Submitted::Graded(_)) {
                return Err("submit: expired".to_owned());
            }
            Ok::<_, String>((start_took, t.elapsed()))
        }));
    }
    let (mut starts, mut submits, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    for t in tasks {
        match t.await.expect("task") {
            Ok((s, u)) => {
                starts.push(s);
                submits.push(u);
            }
            Err(e) => errors.push(e),
        }
    }
    let elapsed = started.elapsed();
    let in_progress: i64 = {
        let mut tx = tenant.begin(&db).await.expect("tx");
        sqlx::query_scalar("select count(*) from theory_attempts where status = 'in_progress'")
            .fetch_one(&mut *tx)
            .await
            .expect("count")
    };

    let report = json!({
        "host": {"cpu": cpu(), "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)},
        "submit_100_questions": {"target_ms": 20, "timing": submit_report},
        "concurrent_attempts": {
            "attempts": 1000, "errors": errors.len(), "first_errors": errors.iter().take(5).collect::<Vec<_>>(),
            "left_in_progress": in_progress,
            "seconds": (elapsed.as_secs_f64() * 100.0).round() / 100.0,
            "start": if starts.is_empty() { json!(null) } else { summary(starts) },
            "submit": if submits.is_empty() { json!(null) } else { summary(submits) },
        },
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
}
