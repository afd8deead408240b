-- Theory: ground school (courses of modules of lessons with link materials, enrolments and
-- per-lesson progress) and assessments (question banks, exam definitions, attempts drawn from a
-- stored seed and graded by the server). docs/theory.md. Unqualified names: this runs inside
-- every tenant schema.

-- A course. `code` is the school's short name (PPL-TH, ATPL-010); `status` draft → published →
-- archived: students see published courses only and enrol in published courses only.
create table theory_courses (
    id uuid primary key,
    code text not null,
    title text not null,
    description text,
    category text not null,
    difficulty text not null,
    duration_weeks integer not null,
    status text not null default 'draft',
    created_by uuid references users (id) on delete set null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint theory_courses_code_key unique (code),
    constraint theory_courses_code_check check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$'),
    constraint theory_courses_title_check check (char_length(title) between 1 and 200),
    constraint theory_courses_description_check check (char_length(description) <= 10000),
    constraint theory_courses_category_check check (char_length(category) between 1 and 100),
    constraint theory_courses_difficulty_check check (difficulty in ('beginner', 'intermediate', 'advanced')),
    constraint theory_courses_duration_weeks_check check (duration_weeks between 1 and 520),
    constraint theory_courses_status_check check (status in ('draft', 'published', 'archived'))
);
create trigger theory_courses_updated_at before update on theory_courses
    for each row execute function set_updated_at();

-- A course a student must have completed before enrolling in another.
create table theory_course_prerequisites (
    course_id uuid not null references theory_courses (id) on delete cascade,
    prerequisite_id uuid not null references theory_courses (id) on delete restrict,
    primary key (course_id, prerequisite_id),
    constraint theory_course_prerequisites_prerequisite_id_check check (prerequisite_id <> course_id)
);
create index theory_course_prerequisites_prerequisite on theory_course_prerequisites (prerequisite_id);

-- A module of a course, at its position (1, 2, ...); duration in tenths of an hour.
create table theory_modules (
    id uuid primary key,
    course_id uuid not null references theory_courses (id) on delete cascade,
    position integer not null,
    title text not null,
    description text,
    duration_tenths integer not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint theory_modules_position_key unique (course_id, position),
    constraint theory_modules_position_check check (position between 1 and 1000),
    constraint theory_modules_title_check check (char_length(title) between 1 and 200),
    constraint theory_modules_description_check check (char_length(description) <= 10000),
    constraint theory_modules_duration_tenths_check check (duration_tenths between 0 and 100000)
);
create trigger theory_modules_updated_at before update on theory_modules
    for each row execute function set_updated_at();

-- A lesson of a module, at its position; its text (files are attachments of resource type
-- `theory_lesson`, links are materials below).
create table theory_lessons (
    id uuid primary key,
    module_id uuid not null references theory_modules (id) on delete cascade,
    position integer not null,
    title text not null,
    content text not null default '',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint theory_lessons_position_key unique (module_id, position),
    constraint theory_lessons_position_check check (position between 1 and 1000),
    constraint theory_lessons_title_check check (char_length(title) between 1 and 200),
    constraint theory_lessons_content_check check (char_length(content) <= 100000)
);
create trigger theory_lessons_updated_at before update on theory_lessons
    for each row execute function set_updated_at();

-- A link on a lesson (a video, a regulation, an external reading).
create table theory_materials (
    id uuid primary key,
    lesson_id uuid not null references theory_lessons (id) on delete cascade,
    title text not null,
    url text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint theory_materials_title_check check (char_length(title) between 1 and 200),
    constraint theory_materials_url_check check (url ~ '^https?://[^\s/?#]+[^\s]*$' and char_length(url) <= 2000)
);
create index theory_materials_lesson on theory_materials (lesson_id, id);
create trigger theory_materials_updated_at before update on theory_materials
    for each row execute function set_updated_at();

-- A student enrolled in a course; completed when every lesson of the course is.
create table theory_enrollments (
    id uuid primary key,
    course_id uuid not null references theory_courses (id) on delete restrict,
    student_id uuid not null references users (id) on delete restrict,
    enrolled_by uuid references users (id) on delete set null,
    completed_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint theory_enrollments_student_key unique (course_id, student_id)
);
create index theory_enrollments_student on theory_enrollments (student_id, id);
create trigger theory_enrollments_updated_at before update on theory_enrollments
    for each row execute function set_updated_at();

-- A lesson an enrolled student completed.
create table theory_lesson_progress (
    enrollment_id uuid not null references theory_enrollments (id) on delete cascade,
    lesson_id uuid not null references theory_lessons (id) on delete cascade,
    completed_at timestamptz not null default now(),
    primary key (enrollment_id, lesson_id)
);
create index theory_lesson_progress_lesson on theory_lesson_progress (lesson_id);

-- Whether every index in `idx` points into an array of `n` options (0-based).
create function theory_indexes_below(idx integer[], n integer) returns boolean
    language sql immutable
    as $$ select coalesce(bool_and(i >= 0 and i < n), true) from unnest(idx) as i $$;

-- A bank of questions.
create table theory_question_banks (
    id uuid primary key,
    name text not null,
    description text,
    created_by uuid references users (id) on delete set null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint theory_question_banks_name_key unique (name),
    constraint theory_question_banks_name_check check (char_length(name) between 1 and 200),
    constraint theory_question_banks_description_check check (char_length(description) <= 10000)
);
create trigger theory_question_banks_updated_at before update on theory_question_banks
    for each row execute function set_updated_at();

-- A question with its answer key. Choice questions list 2 to 10 options and the 0-based indexes
-- of the right ones (exactly one for single choice); true/false keeps `correct_bool`; numeric
-- keeps `correct_number` and the inclusive `tolerance`. Only the key of its kind is set.
create table theory_questions (
    id uuid primary key,
    bank_id uuid not null references theory_question_banks (id) on delete cascade,
    kind text not null,
    prompt text not null,
    options text[] not null default '{}',
    correct_options integer[] not null default '{}',
    correct_bool boolean,
    correct_number double precision,
    tolerance double precision,
    subject text not null,
    points integer not null default 1,
    explanation text,
    active boolean not null default true,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint theory_questions_kind_check check (kind in ('single_choice', 'multiple_choice', 'true_false', 'numeric')),
    constraint theory_questions_prompt_check check (char_length(prompt) between 1 and 5000),
    constraint theory_questions_options_check check (
        case when kind in ('single_choice', 'multiple_choice')
             then cardinality(options) between 2 and 10
                  and array_position(options, '') is null
             else cardinality(options) = 0 end),
    constraint theory_questions_correct_options_check check (
        theory_indexes_below(correct_options, cardinality(options))
        and case kind when 'single_choice' then cardinality(correct_options) = 1
                      when 'multiple_choice' then cardinality(correct_options) >= 1
                      else cardinality(correct_options) = 0 end),
    constraint theory_questions_correct_bool_check check ((kind = 'true_false') = (correct_bool is not null)),
    constraint theory_questions_correct_number_check check (
        (kind = 'numeric') = (correct_number is not null)
        and correct_number between -1e15 and 1e15),
    constraint theory_questions_tolerance_check check (
        (kind = 'numeric') = (tolerance is not null) and tolerance between 0 and 1e15),
    constraint theory_questions_subject_check check (subject ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
    constraint theory_questions_points_check check (points between 1 and 100),
    constraint theory_questions_explanation_check check (char_length(explanation) <= 5000)
);
create index theory_questions_bank on theory_questions (bank_id, id);
create trigger theory_questions_updated_at before update on theory_questions
    for each row execute function set_updated_at();

-- An exam: `question_count` questions drawn per attempt from the active questions of its banks
-- (of `subjects` only, when given), a time limit, a pass mark, and the retake rules. A student
-- of a course-bound exam must have completed the course first.
create table theory_exams (
    id uuid primary key,
    title text not null,
    description text,
    course_id uuid references theory_courses (id) on delete restrict,
    subjects text[] not null default '{}',
    question_count integer not null,
    time_limit_minutes integer not null,
    pass_mark_percent integer not null,
    max_attempts integer,
    retake_wait_minutes integer not null default 0,
    reveal_answers boolean not null default true,
    published boolean not null default false,
    created_by uuid references users (id) on delete set null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint theory_exams_title_check check (char_length(title) between 1 and 200),
    constraint theory_exams_description_check check (char_length(description) <= 10000),
    constraint theory_exams_subjects_check check (cardinality(subjects) <= 50),
    constraint theory_exams_question_count_check check (question_count between 1 and 500),
    constraint theory_exams_time_limit_minutes_check check (time_limit_minutes between 1 and 600),
    constraint theory_exams_pass_mark_percent_check check (pass_mark_percent between 1 and 100),
    constraint theory_exams_max_attempts_check check (max_attempts between 1 and 100),
    constraint theory_exams_retake_wait_minutes_check check (retake_wait_minutes between 0 and 525600)
);
create trigger theory_exams_updated_at before update on theory_exams
    for each row execute function set_updated_at();

create table theory_exam_banks (
    exam_id uuid not null references theory_exams (id) on delete cascade,
    bank_id uuid not null references theory_question_banks (id) on delete restrict,
    primary key (exam_id, bank_id)
);
create index theory_exam_banks_bank on theory_exam_banks (bank_id);

-- One attempt of a student at an exam: the seed its questions were drawn with, the deadline
-- (started + time limit; docs/theory.md for the grace), and once finished its score (per-subject
-- results are summed from its questions).
-- `expired`: not submitted in time, graded as no answers.
create table theory_attempts (
    id uuid primary key,
    exam_id uuid not null references theory_exams (id) on delete restrict,
    student_id uuid not null references users (id) on delete restrict,
    number integer not null,
    seed bigint not null,
    status text not null default 'in_progress',
    started_at timestamptz not null default now(),
    deadline_at timestamptz not null,
    finished_at timestamptz,
    awarded_points integer,
    max_points integer not null,
    passed boolean,
    pass_mark_percent integer not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint theory_attempts_number_key unique (exam_id, student_id, number),
    constraint theory_attempts_number_check check (number >= 1),
    constraint theory_attempts_status_check check (status in ('in_progress', 'submitted', 'expired')),
    constraint theory_attempts_deadline_at_check check (deadline_at > started_at),
    constraint theory_attempts_finished_at_check check (
        (status = 'in_progress') = (finished_at is null)
        and (status = 'in_progress') = (awarded_points is null)
        and (status = 'in_progress') = (passed is null)),
    constraint theory_attempts_awarded_points_check check (awarded_points between 0 and max_points),
    constraint theory_attempts_max_points_check check (max_points >= 1),
    constraint theory_attempts_pass_mark_percent_check check (pass_mark_percent between 1 and 100)
);
-- At most one attempt in progress per student and exam.
create unique index theory_attempts_in_progress on theory_attempts (exam_id, student_id)
    where status = 'in_progress';
create index theory_attempts_student on theory_attempts (student_id, id);
create index theory_attempts_exam on theory_attempts (exam_id, id);
create trigger theory_attempts_updated_at before update on theory_attempts
    for each row execute function set_updated_at();

-- The questions an attempt drew, in order, copied with their keys when drawn (editing a bank
-- later changes no attempt), with the answer given and its grade once submitted.
create table theory_attempt_questions (
    attempt_id uuid not null references theory_attempts (id) on delete cascade,
    position integer not null,
    question_id uuid references theory_questions (id) on delete set null,
    kind text not null,
    prompt text not null,
    options text[] not null,
    subject text not null,
    points integer not null,
    correct_options integer[] not null,
    correct_bool boolean,
    correct_number double precision,
    tolerance double precision,
    explanation text,
    answer jsonb,
    correct boolean,
    primary key (attempt_id, position),
    constraint theory_attempt_questions_position_check check (position >= 1),
    constraint theory_attempt_questions_kind_check check (kind in ('single_choice', 'multiple_choice', 'true_false', 'numeric')),
    constraint theory_attempt_questions_points_check check (points between 1 and 100)
);
