-- Scheduling: bookings, instructor availability, opening hours, dispatch rule modes, waitlist
-- and idempotency keys. Double booking is impossible by construction: one exclusion constraint
-- per resource over the booking's time range (btree_gist, created in `public` by platform
-- migration 0005), so two concurrent inserts cannot both commit.

do $$
begin
    if not exists (select 1 from pg_extension where extname = 'btree_gist') then
        raise exception 'btree_gist is missing: apply the platform migrations first';
    end if;
end
$$;

create table bookings (
    id uuid primary key,
    kind text not null,
    status text not null default 'scheduled',
    -- Half-open [starts_at, ends_at), UTC.
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    aircraft_id uuid references aircraft (id) on delete restrict,
    instructor_id uuid references users (id) on delete restrict,
    simulator_id uuid references simulators (id) on delete restrict,
    -- The student, renter or pilot the booking is for.
    pilot_id uuid references users (id) on delete set null,
    title text,
    notes text,
    created_by uuid references users (id) on delete set null,
    -- What the dispatch rules said at booking and check-out: [{rule, mode, outcome, message}].
    dispatch jsonb not null default '[]',
    cancelled_at timestamptz,
    cancelled_by uuid references users (id) on delete set null,
    cancel_reason text,
    late_cancellation boolean not null default false,
    checked_out_at timestamptz,
    checked_out_by uuid references users (id) on delete set null,
    checked_in_at timestamptz,
    hobbs_out_tenths bigint,
    tach_out_tenths bigint,
    hobbs_in_tenths bigint,
    tach_in_tenths bigint,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint bookings_kind_check
        check (kind in ('dual', 'solo', 'rental', 'checkride', 'maintenance', 'ground', 'simulator')),
    constraint bookings_status_check
        check (status in ('scheduled', 'checked_out', 'completed', 'cancelled')),
    constraint bookings_ends_at_check check (ends_at > starts_at and ends_at - starts_at <= interval '31 days'),
    constraint bookings_resource_check
        check (aircraft_id is not null or instructor_id is not null or simulator_id is not null),
    constraint bookings_title_check check (char_length(title) <= 200),
    constraint bookings_notes_check check (char_length(notes) <= 10000),
    constraint bookings_cancel_reason_check
        check (char_length(cancel_reason) <= 2000 and (status <> 'cancelled' or char_length(cancel_reason) >= 1)),
    -- One booking per resource at a time; cancelled bookings free their slot.
    constraint bookings_aircraft_excl exclude using gist
        (aircraft_id with =, tstzrange(starts_at, ends_at) with &&)
        where (status <> 'cancelled' and aircraft_id is not null),
    constraint bookings_instructor_excl exclude using gist
        (instructor_id with =, tstzrange(starts_at, ends_at) with &&)
        where (status <> 'cancelled' and instructor_id is not null),
    constraint bookings_simulator_excl exclude using gist
        (simulator_id with =, tstzrange(starts_at, ends_at) with &&)
        where (status <> 'cancelled' and simulator_id is not null)
);
create index bookings_pilot_idx on bookings (pilot_id, starts_at);
create index bookings_starts_idx on bookings (starts_at);
create trigger bookings_updated_at before update on bookings
    for each row execute function set_updated_at();

-- Windows in which an instructor is (available = true) or is not (false) available. An
-- instructor who publishes no available window is available whenever not blocked.
create table instructor_availability (
    id uuid primary key,
    instructor_id uuid not null references users (id) on delete cascade,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    available boolean not null,
    note text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint instructor_availability_ends_at_check check (ends_at > starts_at),
    constraint instructor_availability_note_check check (char_length(note) <= 500)
);
create index instructor_availability_instructor_idx
    on instructor_availability using gist (instructor_id, tstzrange(starts_at, ends_at));
create trigger instructor_availability_updated_at before update on instructor_availability
    for each row execute function set_updated_at();

-- Opening hours per ISO weekday (1 = Monday), local times of the tenant's time zone. A weekday
-- without a row is closed; no rows at all: open around the clock.
create table opening_hours (
    weekday integer primary key,
    opens time not null,
    closes time not null,
    updated_at timestamptz not null default now(),
    constraint opening_hours_weekday_check check (weekday between 1 and 7),
    constraint opening_hours_closes_check check (closes > opens)
);

-- The tenant's mode of each dispatch rule; a rule without a row has its default mode (code).
create table dispatch_rules (
    rule text primary key,
    mode text not null,
    updated_at timestamptz not null default now(),
    constraint dispatch_rules_rule_check check (rule ~ '^[a-z][a-z0-9_]{0,63}$'),
    constraint dispatch_rules_mode_check check (mode in ('block', 'warn', 'off'))
);
create trigger dispatch_rules_updated_at before update on dispatch_rules
    for each row execute function set_updated_at();

-- Someone waiting for a resource's slot; notified by e-mail (outbox) when a booking that
-- overlapped the slot is cancelled or moved away and the slot is free.
create table waitlist_entries (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    aircraft_id uuid references aircraft (id) on delete cascade,
    instructor_id uuid references users (id) on delete cascade,
    simulator_id uuid references simulators (id) on delete cascade,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    status text not null default 'waiting',
    notified_at timestamptz,
    note text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint waitlist_entries_ends_at_check check (ends_at > starts_at),
    constraint waitlist_entries_resource_check
        check (num_nonnulls(aircraft_id, instructor_id, simulator_id) = 1),
    constraint waitlist_entries_status_check check (status in ('waiting', 'notified', 'cancelled')),
    constraint waitlist_entries_note_check check (char_length(note) <= 500)
);
create index waitlist_entries_waiting_idx on waitlist_entries (starts_at) where status = 'waiting';
create trigger waitlist_entries_updated_at before update on waitlist_entries
    for each row execute function set_updated_at();

-- Idempotency-Key of booking creation (API.md §1): a retry with the same key and body returns
-- the first result; the same key with another body answers 422.
create table booking_idempotency (
    user_id uuid not null references users (id) on delete cascade,
    key text not null,
    body_hash bytea not null,
    booking_id uuid not null references bookings (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (user_id, key),
    constraint booking_idempotency_key_check check (char_length(key) between 1 and 200)
);
