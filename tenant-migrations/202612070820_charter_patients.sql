-- Patients of air-ambulance trips (docs/charter.md, "Patients"): health data, sealed with the
-- tenant's data key (src/host/crypto.rs) as one value per patient; only the trip, the legs and
-- the bookkeeping are in the clear. Every read and change is written to the access log.
-- Unqualified names: this runs inside every tenant schema.
create table charter_patients (
    id uuid primary key,
    trip_id uuid not null references charter_trips (id) on delete cascade,
    -- The legs (`seq`) the patient flies.
    legs integer[] not null,
    -- The patient's record as JSON, AES-256-GCM under the tenant's data key.
    sealed bytea not null,
    created_by uuid references users (id) on delete set null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint charter_patients_legs_check check (cardinality(legs) between 1 and 20)
);
create index charter_patients_trip on charter_patients (trip_id);
create trigger charter_patients_updated_at before update on charter_patients
    for each row execute function set_updated_at();

-- Who read or changed which patient's record, when, from where.
create table charter_patient_access (
    id uuid primary key,
    patient_id uuid not null references charter_patients (id) on delete cascade,
    user_id uuid references users (id) on delete set null,
    action text not null,
    at timestamptz not null default now(),
    ip text,
    constraint charter_patient_access_action_check
        check (action in ('created', 'read', 'listed', 'updated', 'printed'))
);
create index charter_patient_access_patient on charter_patient_access (patient_id, at);
