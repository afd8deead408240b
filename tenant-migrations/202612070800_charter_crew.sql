-- Charter crew and passengers (docs/charter.md, "Crew", "Passengers"): crew members (users
-- of the organisation with their crew roles), their assignments to trip legs, the
-- organisation's mode of each crew rule (block, warn or off), and the passenger manifest.
-- Unqualified names: this runs inside every tenant schema.
create table charter_crew_members (
    id uuid primary key,
    -- The person: certificates, medicals and logbook are theirs (certificates domain).
    user_id uuid not null unique references users (id) on delete restrict,
    roles text[] not null,
    -- Where they are based (airport or landing-site code).
    home_base text,
    active boolean not null default true,
    notes text,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint charter_crew_members_roles_check check (
        cardinality(roles) between 1 and 5
        and roles <@ array['pilot', 'flight_nurse', 'paramedic', 'physician',
                           'flight_attendant']::text[]),
    constraint charter_crew_members_home_base_check check (home_base ~ '^[A-Z0-9][A-Z0-9-]{1,9}$'),
    constraint charter_crew_members_notes_check check (char_length(notes) <= 2000)
);
create trigger charter_crew_members_updated_at before update on charter_crew_members
    for each row execute function set_updated_at();

-- Who flies a leg, as what. Changing a trip's legs removes its assignments (their legality was
-- checked against the legs they replace).
create table charter_crew_assignments (
    trip_id uuid not null,
    seq integer not null,
    crew_member_id uuid not null references charter_crew_members (id) on delete restrict,
    role text not null,
    primary key (trip_id, seq, crew_member_id),
    foreign key (trip_id, seq) references charter_trip_legs (trip_id, seq) on delete cascade,
    constraint charter_crew_assignments_role_check
        check (role in ('pic', 'sic', 'medical', 'flight_attendant'))
);
-- One pilot in command and one second in command per leg.
create unique index charter_crew_assignments_pilot on charter_crew_assignments (trip_id, seq, role)
    where role in ('pic', 'sic');
create index charter_crew_assignments_member on charter_crew_assignments (crew_member_id);

-- The organisation's mode of a crew rule; a rule without a row blocks.
create table charter_crew_rules (
    rule text primary key,
    mode text not null,
    updated_at timestamptz not null default now(),
    constraint charter_crew_rules_mode_check check (mode in ('block', 'warn', 'off'))
);
create trigger charter_crew_rules_updated_at before update on charter_crew_rules
    for each row execute function set_updated_at();

-- The passenger manifest of a trip: who flies which legs, with the travel document an
-- international leg needs.
create table charter_passengers (
    id uuid primary key,
    trip_id uuid not null references charter_trips (id) on delete cascade,
    name text not null,
    date_of_birth date,
    -- ISO 3166-1 alpha-2.
    nationality text,
    passport_number text,
    passport_expiry date,
    weight_kg integer,
    -- The legs (`seq`) they are on.
    legs integer[] not null,
    notes text,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint charter_passengers_name_check check (char_length(name) between 1 and 200),
    constraint charter_passengers_nationality_check check (nationality ~ '^[A-Z]{2}$'),
    constraint charter_passengers_passport_check check (char_length(passport_number) between 1 and 30),
    constraint charter_passengers_weight_check check (weight_kg between 1 and 500),
    constraint charter_passengers_legs_check check (cardinality(legs) between 1 and 20),
    constraint charter_passengers_notes_check check (char_length(notes) <= 2000)
);
create index charter_passengers_trip on charter_passengers (trip_id);
create trigger charter_passengers_updated_at before update on charter_passengers
    for each row execute function set_updated_at();
