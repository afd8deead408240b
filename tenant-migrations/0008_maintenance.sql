-- Maintenance: inspection programmes, squawks, MEL deferrals and the maintenance log.
-- Due dates and expiries are computed in code (src/domains/maintenance/due.rs) from the rows
-- below; calendar dates are days in the tenant's time zone.

-- One inspection item of an aircraft's programme: intervals by calendar months (due at the end
-- of the month), by hours (tenths) and/or by days; the first reached is due.
create table inspection_items (
    id uuid primary key,
    aircraft_id uuid not null references aircraft (id) on delete cascade,
    kind text not null,
    name text not null,
    interval_months integer,
    interval_tenths bigint,
    interval_days integer,
    -- The meter hours intervals are counted on.
    meter text not null default 'tach',
    -- Hours (tenths) that may be flown past the hours due on the way to the inspection; they
    -- count against the next interval (the 100-hour inspection's 10 hours).
    overrun_tenths bigint not null default 0,
    last_done_on date,
    last_done_tenths bigint,
    -- The hours the next interval counts from (the hours due when the overrun was used).
    basis_tenths bigint,
    notes text,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint inspection_items_kind_check
        check (kind in ('annual', 'hundred_hour', 'pitot_static', 'transponder', 'elt', 'custom')),
    constraint inspection_items_name_check check (char_length(name) between 1 and 200),
    constraint inspection_items_interval_months_check check (interval_months between 1 and 240),
    constraint inspection_items_interval_tenths_check check (interval_tenths between 1 and 1000000),
    constraint inspection_items_interval_days_check check (interval_days between 1 and 3650),
    constraint inspection_items_meter_check check (meter in ('hobbs', 'tach')),
    constraint inspection_items_overrun_tenths_check check (overrun_tenths between 0 and 1000),
    constraint inspection_items_interval_check
        check (interval_months is not null or interval_tenths is not null or interval_days is not null),
    constraint inspection_items_notes_check check (char_length(notes) <= 10000)
);
create index inspection_items_aircraft_idx on inspection_items (aircraft_id);
create trigger inspection_items_updated_at before update on inspection_items
    for each row execute function set_updated_at();

create table squawks (
    id uuid primary key,
    aircraft_id uuid not null references aircraft (id) on delete cascade,
    title text not null,
    description text,
    -- grounding: the aircraft is unairworthy while the squawk is open.
    severity text not null,
    status text not null default 'open',
    reported_by uuid references users (id) on delete set null,
    -- The booking at whose check-in it was reported.
    booking_id uuid,
    resolution text,
    resolved_by uuid references users (id) on delete set null,
    resolved_at timestamptz,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint squawks_title_check check (char_length(title) between 1 and 200),
    constraint squawks_description_check check (char_length(description) <= 10000),
    constraint squawks_severity_check check (severity in ('grounding', 'non_grounding')),
    -- deferred: carried under an MEL deferral (no longer grounding while the deferral is valid).
    constraint squawks_status_check check (status in ('open', 'in_progress', 'deferred', 'resolved')),
    constraint squawks_resolution_check
        check (char_length(resolution) <= 10000 and (status <> 'resolved' or char_length(resolution) >= 1))
);
create index squawks_aircraft_idx on squawks (aircraft_id) where status <> 'resolved';
create trigger squawks_updated_at before update on squawks
    for each row execute function set_updated_at();

create table mel_deferrals (
    id uuid primary key,
    aircraft_id uuid not null references aircraft (id) on delete cascade,
    squawk_id uuid references squawks (id) on delete set null,
    -- MEL item number, e.g. "34-11-01".
    item text not null,
    description text not null,
    category text not null,
    -- Category A: the interval the MEL remarks give, in calendar days.
    remarks_days integer,
    discovered_on date not null,
    -- The last day the deferral is valid (computed at creation from category and discovery).
    expires_on date not null,
    status text not null default 'open',
    cleared_by uuid references users (id) on delete set null,
    cleared_at timestamptz,
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint mel_deferrals_item_check check (char_length(item) between 1 and 50),
    constraint mel_deferrals_description_check check (char_length(description) between 1 and 10000),
    constraint mel_deferrals_category_check check (category in ('A', 'B', 'C', 'D')),
    constraint mel_deferrals_remarks_days_check
        check (remarks_days between 1 and 365 and category = 'A' or remarks_days is null and category <> 'A'),
    constraint mel_deferrals_status_check check (status in ('open', 'cleared'))
);
create index mel_deferrals_aircraft_idx on mel_deferrals (aircraft_id) where status = 'open';
create trigger mel_deferrals_updated_at before update on mel_deferrals
    for each row execute function set_updated_at();

-- Work done, signed off by a mechanic (permission maintenance.sign_off). Signed entries are
-- never changed.
create table maintenance_logs (
    id uuid primary key,
    aircraft_id uuid not null references aircraft (id) on delete cascade,
    performed_on date not null,
    hobbs_tenths bigint,
    tach_tenths bigint,
    work_done text not null,
    inspection_item_id uuid references inspection_items (id) on delete set null,
    squawk_id uuid references squawks (id) on delete set null,
    created_by uuid references users (id) on delete set null,
    signed_off_by uuid references users (id) on delete set null,
    signed_off_at timestamptz,
    -- The mechanic's certificate number, as written in the logbook.
    certificate_number text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint maintenance_logs_work_done_check check (char_length(work_done) between 1 and 20000),
    constraint maintenance_logs_hobbs_tenths_check check (hobbs_tenths between 0 and 9999999),
    constraint maintenance_logs_tach_tenths_check check (tach_tenths between 0 and 9999999),
    constraint maintenance_logs_certificate_number_check check (char_length(certificate_number) <= 50)
);
create index maintenance_logs_aircraft_idx on maintenance_logs (aircraft_id, id);
create trigger maintenance_logs_updated_at before update on maintenance_logs
    for each row execute function set_updated_at();
