-- Certificates (issue 14): pilot certificates with their ratings, medical certificates and
-- instructor endorsements (AC 61-65) including the school's aircraft checkouts. Validity is
-- never stored: it is computed from these facts by src/compliance (docs/compliance.md).

create table pilot_certificates (
    id uuid primary key,
    person_id uuid not null references users (id) on delete cascade,
    -- faa, easa, other (another State's licence).
    authority text not null,
    -- student, sport, recreational, lapl, private, commercial, atp, flight_instructor,
    -- ground_instructor, remote_pilot.
    kind text not null,
    number text,
    issued_on date not null,
    -- Only where the certificate itself carries one (older student pilot certificates, some
    -- instructor certificates, foreign licences).
    expires_on date,
    -- Category and class (airplane_single_engine_land, ...), instrument_airplane,
    -- instrument_helicopter, instrument_powered_lift, type:<designator>; instructor ratings
    -- cfi_airplane_single_engine, cfi_airplane_multi_engine, cfi_instrument, cfi_helicopter.
    ratings text[] not null default '{}',
    limitations text,
    created_by uuid references users (id) on delete set null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint pilot_certificates_authority_check check (authority in ('faa', 'easa', 'other')),
    constraint pilot_certificates_kind_check check (kind in (
        'student', 'sport', 'recreational', 'lapl', 'private', 'commercial', 'atp',
        'flight_instructor', 'ground_instructor', 'remote_pilot')),
    constraint pilot_certificates_number_check check (char_length(number) between 1 and 40),
    constraint pilot_certificates_expires_on_check check (expires_on >= issued_on),
    constraint pilot_certificates_ratings_check check (cardinality(ratings) <= 40),
    constraint pilot_certificates_limitations_check check (char_length(limitations) <= 2000)
);
create index pilot_certificates_person_idx on pilot_certificates (person_id, id desc);
create trigger pilot_certificates_updated_at before update on pilot_certificates
    for each row execute function set_updated_at();

create table medical_certificates (
    id uuid primary key,
    person_id uuid not null references users (id) on delete cascade,
    authority text not null,
    -- FAA: first, second, third, basic_med. EASA: class_1, class_2, lapl.
    class text not null,
    examined_on date not null,
    -- As printed on the certificate: the validity depends on the age at the examination.
    date_of_birth date not null,
    -- BasicMed only: the medical education course (14 CFR 61.23(c)(3)(i)(C)).
    course_on date,
    limitations text,
    created_by uuid references users (id) on delete set null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint medical_certificates_authority_check check (authority in ('faa', 'easa')),
    constraint medical_certificates_class_check check (
        (authority = 'faa' and class in ('first', 'second', 'third', 'basic_med'))
        or (authority = 'easa' and class in ('class_1', 'class_2', 'lapl'))),
    constraint medical_certificates_course_on_check check ((class = 'basic_med') = (course_on is not null)),
    constraint medical_certificates_date_of_birth_check check (date_of_birth < examined_on),
    constraint medical_certificates_limitations_check check (char_length(limitations) <= 2000)
);
create index medical_certificates_person_idx on medical_certificates (person_id, examined_on desc);
create trigger medical_certificates_updated_at before update on medical_certificates
    for each row execute function set_updated_at();

create table endorsements (
    id uuid primary key,
    person_id uuid not null references users (id) on delete cascade,
    -- AC 61-65 endorsements and the school's own checkout (docs/certificates.md).
    kind text not null,
    -- The aircraft type designator (make and model) the endorsement names, where it names one.
    type_code text,
    given_on date not null,
    -- The school's checkout recency: good for this many days after the checkout or after the
    -- last flight in the type.
    recency_days integer,
    instructor_id uuid references users (id) on delete set null,
    instructor_name text not null,
    instructor_certificate_number text not null,
    instructor_certificate_expires_on date,
    -- The endorsement's wording as signed.
    text text,
    revoked_at timestamptz,
    revoked_by uuid references users (id) on delete set null,
    revoke_reason text,
    created_at timestamptz not null default now(),
    constraint endorsements_kind_check check (kind in (
        'pre_solo_knowledge', 'pre_solo_flight', 'solo', 'solo_cross_country', 'solo_night',
        'tailwheel', 'complex', 'high_performance', 'high_altitude', 'knowledge_test',
        'practical_test', 'flight_review', 'ipc', 'checkout')),
    constraint endorsements_type_code_check check (type_code ~ '^[A-Z0-9]{2,4}$'),
    constraint endorsements_type_code_required_check
        check (type_code is not null or kind not in ('pre_solo_flight', 'solo', 'solo_cross_country', 'solo_night', 'checkout')),
    constraint endorsements_recency_days_check
        check ((kind = 'checkout') = (recency_days is not null) and (recency_days is null or recency_days between 1 and 3650)),
    constraint endorsements_instructor_name_check check (char_length(instructor_name) between 1 and 200),
    constraint endorsements_instructor_certificate_number_check
        check (char_length(instructor_certificate_number) between 1 and 40),
    constraint endorsements_text_check check (char_length(text) <= 4000),
    constraint endorsements_revoke_reason_check check (char_length(revoke_reason) between 1 and 1000)
);
create index endorsements_person_idx on endorsements (person_id, id desc);

-- Reminders sent, once per item and threshold (30, 7 and 0 days before it lapses).
create table compliance_reminders (
    person_id uuid not null references users (id) on delete cascade,
    item text not null,
    valid_until date not null,
    threshold_days integer not null,
    sent_at timestamptz not null default now(),
    primary key (person_id, item, valid_until, threshold_days)
);

-- Existing tenants' instructors and organisation admins may give endorsements (the seeded
-- roles of new tenants get it from the manifest).
update roles set permissions = array_append(permissions, 'certificates.endorse')
where name in ('admin', 'organization_admin', 'instructor')
  and is_system and not ('certificates.endorse' = any (permissions));
