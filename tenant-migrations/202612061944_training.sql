-- Training (issue 17, first part): syllabi with versions, enrollments, graded lesson records
-- (docs/training.md). A syllabus is authored as a draft version (stages, lessons, graded items,
-- hour requirements) and frozen when published; an enrollment stays on the version it started
-- with until it is moved on purpose. Lesson records are training records a school keeps (14 CFR
-- 141.101, 61.189): never edited, only acknowledged by the student; corrections are new
-- records. Unqualified names: this runs inside every tenant schema.

create table syllabi (
    id uuid primary key,
    -- Short code, unique in the organisation (PPL-A, IR-A).
    code text not null,
    title text not null,
    description text,
    -- five_point: grades 1-5 (3 or better is satisfactory); satisfactory: S or U.
    grading_scale text not null,
    created_by uuid references users (id) on delete set null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint syllabi_code_key unique (code),
    constraint syllabi_code_check check (code ~ '^[A-Z0-9][A-Z0-9-]{0,19}$'),
    constraint syllabi_title_check check (char_length(title) between 1 and 200),
    constraint syllabi_description_check check (char_length(description) <= 10000),
    constraint syllabi_grading_scale_check check (grading_scale in ('five_point', 'satisfactory'))
);
create trigger syllabi_updated_at before update on syllabi
    for each row execute function set_updated_at();

create table syllabus_versions (
    id uuid primary key,
    syllabus_id uuid not null references syllabi (id) on delete cascade,
    number integer not null,
    -- draft (editable) or published (frozen).
    status text not null default 'draft',
    -- The planned pace: lessons a week.
    lessons_per_week smallint not null default 2,
    published_at timestamptz,
    published_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    constraint syllabus_versions_number_key unique (syllabus_id, number),
    constraint syllabus_versions_status_check check (status in ('draft', 'published')),
    constraint syllabus_versions_published_check check ((status = 'published') = (published_at is not null)),
    constraint syllabus_versions_lessons_per_week_check check (lessons_per_week between 1 and 14)
);
-- At most one draft per syllabus.
create unique index syllabus_versions_one_draft on syllabus_versions (syllabus_id) where status = 'draft';

create table syllabus_stages (
    id uuid primary key,
    version_id uuid not null references syllabus_versions (id) on delete cascade,
    position integer not null,
    title text not null,
    constraint syllabus_stages_position_key unique (version_id, position),
    constraint syllabus_stages_title_check check (char_length(title) between 1 and 200)
);

create table syllabus_lessons (
    id uuid primary key,
    version_id uuid not null references syllabus_versions (id) on delete cascade,
    stage_id uuid not null references syllabus_stages (id) on delete cascade,
    position integer not null,
    -- Unique in the version; what prerequisites and a moved enrollment match on.
    code text not null,
    title text not null,
    kind text not null,
    planned_minutes integer not null,
    objectives text,
    standards text,
    -- Graded only by the instructors designated for the syllabus's stage checks.
    stage_check boolean not null default false,
    -- Codes of lessons of the same version to complete first.
    prerequisites text[] not null default '{}',
    constraint syllabus_lessons_code_key unique (version_id, code),
    constraint syllabus_lessons_position_key unique (stage_id, position),
    constraint syllabus_lessons_code_check check (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$'),
    constraint syllabus_lessons_title_check check (char_length(title) between 1 and 200),
    constraint syllabus_lessons_kind_check check (kind in ('flight', 'ground', 'simulator')),
    constraint syllabus_lessons_planned_minutes_check check (planned_minutes between 1 and 1440),
    constraint syllabus_lessons_objectives_check check (char_length(objectives) <= 10000),
    constraint syllabus_lessons_standards_check check (char_length(standards) <= 10000),
    constraint syllabus_lessons_prerequisites_check check (cardinality(prerequisites) <= 50)
);
create index syllabus_lessons_version_idx on syllabus_lessons (version_id);

create table syllabus_items (
    id uuid primary key,
    lesson_id uuid not null references syllabus_lessons (id) on delete cascade,
    position integer not null,
    name text not null,
    -- maneuver (flown) or topic (discussed).
    kind text not null,
    constraint syllabus_items_position_key unique (lesson_id, position),
    constraint syllabus_items_name_check check (char_length(name) between 1 and 200),
    constraint syllabus_items_kind_check check (kind in ('maneuver', 'topic'))
);

-- Hour requirements as data (for example 14 CFR 61.109(a)), counted from the student's logbook:
-- the sum of `column` (minutes, or a count for landings), or with `with_column` the sum over the
-- entries of the smaller of the two (dual received at night).
create table syllabus_requirements (
    id uuid primary key,
    version_id uuid not null references syllabus_versions (id) on delete cascade,
    position integer not null,
    description text not null,
    regulation text,
    "column" text not null,
    with_column text,
    minimum integer not null,
    constraint syllabus_requirements_position_key unique (version_id, position),
    constraint syllabus_requirements_description_check check (char_length(description) between 1 and 200),
    constraint syllabus_requirements_regulation_check check (char_length(regulation) <= 100),
    constraint syllabus_requirements_minimum_check check (minimum between 1 and 1000000)
);

-- A published version's content is frozen (the API says 409; this says it for everyone).
create function syllabus_content_frozen() returns trigger
    language plpgsql as $$
declare
    v uuid;
begin
    if tg_table_name = 'syllabus_items' then
        select l.version_id into v from syllabus_lessons l
         where l.id = coalesce(new.lesson_id, old.lesson_id);
    elsif tg_op = 'DELETE' then
        v := old.version_id;
    else
        v := new.version_id;
    end if;
    if exists (select 1 from syllabus_versions where id = v and status = 'published') then
        raise exception 'a published syllabus version is frozen' using errcode = 'check_violation',
            constraint = 'syllabus_versions_frozen';
    end if;
    return coalesce(new, old);
end $$;
create trigger syllabus_stages_frozen before insert or update or delete on syllabus_stages
    for each row execute function syllabus_content_frozen();
create trigger syllabus_lessons_frozen before insert or update or delete on syllabus_lessons
    for each row execute function syllabus_content_frozen();
create trigger syllabus_items_frozen before insert or update or delete on syllabus_items
    for each row execute function syllabus_content_frozen();
create trigger syllabus_requirements_frozen before insert or update or delete on syllabus_requirements
    for each row execute function syllabus_content_frozen();

-- Who may grade a syllabus's stage checks.
create table syllabus_stage_check_instructors (
    syllabus_id uuid not null references syllabi (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    primary key (syllabus_id, user_id)
);

create table training_enrollments (
    id uuid primary key,
    student_id uuid not null references users (id) on delete restrict,
    syllabus_id uuid not null references syllabi (id) on delete restrict,
    version_id uuid not null references syllabus_versions (id) on delete restrict,
    status text not null default 'active',
    started_on date not null,
    lessons_per_week smallint not null,
    instructor_ids uuid[] not null default '{}',
    completed_on date,
    -- Days spent on hold before the current stretch, and the day the current hold began: the
    -- pace does not count them.
    held_days integer not null default 0,
    on_hold_since date,
    notes text,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint training_enrollments_held_check
        check (held_days >= 0 and (status = 'on_hold') = (on_hold_since is not null)),
    constraint training_enrollments_status_check
        check (status in ('active', 'on_hold', 'completed', 'withdrawn')),
    constraint training_enrollments_completed_check
        check ((status = 'completed') = (completed_on is not null)),
    constraint training_enrollments_lessons_per_week_check check (lessons_per_week between 1 and 14),
    constraint training_enrollments_instructors_check check (cardinality(instructor_ids) <= 10),
    constraint training_enrollments_notes_check check (char_length(notes) <= 10000)
);
-- One open enrollment per student and syllabus.
create unique index training_enrollments_open on training_enrollments (student_id, syllabus_id)
    where status in ('active', 'on_hold');
create index training_enrollments_student_idx on training_enrollments (student_id, id desc);
create trigger training_enrollments_updated_at before update on training_enrollments
    for each row execute function set_updated_at();

create table training_lesson_records (
    id uuid primary key,
    enrollment_id uuid not null references training_enrollments (id) on delete restrict,
    lesson_id uuid not null references syllabus_lessons (id) on delete restrict,
    -- The local date the lesson was flown or taught.
    date date not null,
    instructor_id uuid not null references users (id) on delete restrict,
    booking_id uuid references bookings (id) on delete set null,
    flight_id uuid,
    -- completed (the lesson's standards met) or incomplete (to repeat).
    result text not null,
    comments text,
    next_lesson_id uuid references syllabus_lessons (id) on delete restrict,
    acknowledged_at timestamptz,
    created_at timestamptz not null default now(),
    constraint training_lesson_records_result_check check (result in ('completed', 'incomplete')),
    constraint training_lesson_records_comments_check check (char_length(comments) <= 10000)
);
create index training_lesson_records_enrollment_idx on training_lesson_records (enrollment_id, date desc, id desc);

create table training_item_grades (
    record_id uuid not null references training_lesson_records (id) on delete cascade,
    item_id uuid not null references syllabus_items (id) on delete restrict,
    -- 1-5 or S / U, by the syllabus's scale.
    grade text not null,
    comment text,
    primary key (record_id, item_id),
    constraint training_item_grades_grade_check check (grade in ('1', '2', '3', '4', '5', 'S', 'U')),
    constraint training_item_grades_comment_check check (char_length(comment) <= 2000)
);

-- A lesson record is kept as written: only its acknowledgement may be set, once.
create function training_lesson_records_kept() returns trigger
    language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'lesson records are kept' using errcode = 'check_violation',
            constraint = 'training_lesson_records_kept';
    end if;
    if old.acknowledged_at is not null
       or (to_jsonb(new) - 'acknowledged_at') <> (to_jsonb(old) - 'acknowledged_at') then
        raise exception 'a lesson record is not edited' using errcode = 'check_violation',
            constraint = 'training_lesson_records_kept';
    end if;
    return new;
end $$;
create trigger training_lesson_records_kept before update or delete on training_lesson_records
    for each row execute function training_lesson_records_kept();
