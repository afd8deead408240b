-- Skills and achievements (issue 17, part 6; docs/skills.md): a catalogue of skills with level
-- criteria, people's assessed levels with their evidence, skills a syllabus, one of its lessons
-- or a ground-school course requires, achievements awarded by rules, and completion
-- certificates anyone can verify. Unqualified names: this runs inside every tenant schema.

create table skills (
    id uuid primary key,
    name text not null,
    category text not null,
    description text,
    -- What each level means: level n is element n (1-based); the highest level is its length.
    level_criteria text[] not null,
    created_by uuid references users (id) on delete set null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint skills_name_check check (char_length(name) between 1 and 100),
    constraint skills_category_check check (char_length(category) between 1 and 50),
    constraint skills_description_check check (char_length(description) <= 2000),
    constraint skills_level_criteria_check check (cardinality(level_criteria) between 1 and 10)
);
-- `name` is unique whatever its case.
create unique index skills_name_key on skills (lower(name));
create trigger skills_updated_at before update on skills
    for each row execute function set_updated_at();

-- Each assessment of a person's level in a skill, kept (the latest is the current level), with
-- its evidence: a graded lesson, an exam attempt, or an instructor's observation.
create table skill_assessments (
    id uuid primary key,
    user_id uuid not null references users (id) on delete restrict,
    skill_id uuid not null references skills (id) on delete restrict,
    level smallint not null,
    evidence text not null,
    lesson_record_id uuid references training_lesson_records (id) on delete restrict,
    attempt_id uuid references theory_attempts (id) on delete restrict,
    note text,
    assessed_by uuid references users (id) on delete set null,
    assessed_at timestamptz not null default now(),
    constraint skill_assessments_level_check check (level between 1 and 10),
    constraint skill_assessments_evidence_check check (
        (evidence = 'lesson_record' and lesson_record_id is not null and attempt_id is null)
        or (evidence = 'exam_attempt' and attempt_id is not null and lesson_record_id is null)
        or (evidence = 'observation' and lesson_record_id is null and attempt_id is null)),
    constraint skill_assessments_note_check check (char_length(note) <= 2000)
);
create index skill_assessments_user_idx on skill_assessments (user_id, skill_id, assessed_at desc, id desc);
create index skill_assessments_skill_idx on skill_assessments (skill_id);

-- A skill at a minimum level required by a syllabus, by one lesson of a syllabus (by its code, so
-- it holds across versions) or by a ground-school course.
create table skill_requirements (
    id uuid primary key,
    skill_id uuid not null references skills (id) on delete restrict,
    min_level smallint not null,
    syllabus_id uuid references syllabi (id) on delete cascade,
    lesson_code text,
    course_id uuid references theory_courses (id) on delete cascade,
    created_at timestamptz not null default now(),
    constraint skill_requirements_min_level_check check (min_level between 1 and 10),
    constraint skill_requirements_target_check check (num_nonnulls(syllabus_id, course_id) = 1
        and (lesson_code is null or syllabus_id is not null)),
    constraint skill_requirements_lesson_code_check check (lesson_code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$')
);
create unique index skill_requirements_target_key on skill_requirements
    (skill_id, syllabus_id, lesson_code, course_id) nulls not distinct;
create index skill_requirements_syllabus_idx on skill_requirements (syllabus_id) where syllabus_id is not null;
create index skill_requirements_course_idx on skill_requirements (course_id) where course_id is not null;

-- Achievements awarded by rules (docs/skills.md lists the kinds and what each reads).
create table achievement_rules (
    id uuid primary key,
    code text not null,
    name text not null,
    description text,
    kind text not null,
    -- hours_total: the hours of total time logged.
    hours integer,
    -- Optional narrowing: only this syllabus, course or exam.
    syllabus_id uuid references syllabi (id) on delete cascade,
    course_id uuid references theory_courses (id) on delete cascade,
    exam_id uuid references theory_exams (id) on delete cascade,
    active boolean not null default true,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint achievement_rules_code_key unique (code),
    constraint achievement_rules_code_check check (code ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
    constraint achievement_rules_name_check check (char_length(name) between 1 and 100),
    constraint achievement_rules_description_check check (char_length(description) <= 2000),
    constraint achievement_rules_kind_check check (kind in
        ('first_solo', 'stage_check_passed', 'checkride_passed', 'course_completed', 'exam_passed', 'hours_total')),
    constraint achievement_rules_hours_check check ((kind = 'hours_total') = (hours is not null)
        and (hours is null or hours between 1 and 100000)),
    constraint achievement_rules_scope_check check (
        (syllabus_id is null or kind in ('stage_check_passed', 'checkride_passed', 'course_completed'))
        and (course_id is null or kind = 'course_completed')
        and (exam_id is null or kind = 'exam_passed')
        and num_nonnulls(syllabus_id, course_id, exam_id) <= 1)
);
create trigger achievement_rules_updated_at before update on achievement_rules
    for each row execute function set_updated_at();

insert into achievement_rules (id, code, name, description, kind, hours) values
    (gen_random_uuid(), 'first-solo', 'First solo', 'The first logbook entry with solo time', 'first_solo', null),
    (gen_random_uuid(), 'checkride-passed', 'Checkride passed',
     'The end-of-course check (the stage check of a syllabus''s last stage) completed', 'checkride_passed', null),
    (gen_random_uuid(), 'course-completed', 'Course completed',
     'A syllabus or ground-school course completed', 'course_completed', null),
    (gen_random_uuid(), 'hours-100', '100 hours', '100 hours of total time logged', 'hours_total', 100);

-- One award of a rule to a person, at most once; revoking keeps the row.
create table achievements (
    id uuid primary key,
    rule_id uuid not null references achievement_rules (id) on delete restrict,
    user_id uuid not null references users (id) on delete restrict,
    awarded_at timestamptz not null default now(),
    -- What earned it: {"kind": "logbook_entry" | "lesson_record" | "training_enrollment" |
    -- "theory_enrollment" | "exam_attempt", "id": ..., "date": ...}.
    evidence jsonb not null,
    revoked_at timestamptz,
    revoked_by uuid references users (id) on delete set null,
    revoke_reason text,
    constraint achievements_rule_user_key unique (rule_id, user_id),
    constraint achievements_revoked_check check ((revoked_at is null) = (revoke_reason is null)),
    constraint achievements_revoke_reason_check check (char_length(revoke_reason) between 1 and 2000)
);
create index achievements_user_idx on achievements (user_id, awarded_at desc, id desc);

-- A completion certificate of a completed syllabus enrollment or ground-school course. The
-- verification URL is printed on the certificate, so it is kept (it shows only what the
-- certificate says); lookups go by the digest of its secret.
create table completion_certificates (
    id uuid primary key,
    user_id uuid not null references users (id) on delete restrict,
    training_enrollment_id uuid references training_enrollments (id) on delete restrict,
    theory_enrollment_id uuid references theory_enrollments (id) on delete restrict,
    holder_name text not null,
    title text not null,
    completed_on date not null,
    issued_by uuid references users (id) on delete set null,
    issued_at timestamptz not null default now(),
    verification_url text not null,
    token_hash bytea not null,
    revoked_at timestamptz,
    revoke_reason text,
    constraint completion_certificates_subject_check
        check (num_nonnulls(training_enrollment_id, theory_enrollment_id) = 1),
    constraint completion_certificates_token_hash_key unique (token_hash),
    constraint completion_certificates_revoked_check check ((revoked_at is null) = (revoke_reason is null)),
    constraint completion_certificates_revoke_reason_check check (char_length(revoke_reason) between 1 and 2000)
);
-- One certificate in force per completed enrollment.
create unique index completion_certificates_training_key on completion_certificates (training_enrollment_id)
    where revoked_at is null and training_enrollment_id is not null;
create unique index completion_certificates_theory_key on completion_certificates (theory_enrollment_id)
    where revoked_at is null and theory_enrollment_id is not null;
create index completion_certificates_user_idx on completion_certificates (user_id, id desc);
