-- FBO ground equipment and the line schedule (docs/fbo.md, "Ground equipment", "Line
-- schedule"). Unqualified names: this runs inside every tenant schema.
create table fbo_equipment (
    id uuid primary key,
    airport_code text not null check (airport_code ~ '^[A-Z0-9-]{2,10}$'),
    name text not null check (length(name) between 1 and 100),
    kind text not null check (kind in ('tug', 'gpu', 'fuel_truck', 'lavatory_cart',
        'water_cart', 'air_stairs', 'deicer', 'other')),
    serial_number text check (length(serial_number) between 1 and 100),
    in_service boolean not null default true,
    out_of_service_reason text check (length(out_of_service_reason) between 1 and 500),
    -- The hour meter, a tenth of an hour.
    hours numeric(10, 1) check (hours >= 0),
    maintenance_due_on date,
    maintenance_due_hours numeric(10, 1) check (maintenance_due_hours >= 0),
    notes text check (length(notes) <= 2000),
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (airport_code, name),
    check (in_service = (out_of_service_reason is null))
);
create trigger fbo_equipment_updated_at before update on fbo_equipment
    for each row execute function set_updated_at();

create table fbo_equipment_maintenance (
    id uuid primary key,
    equipment_id uuid not null references fbo_equipment (id),
    done_on date not null,
    hours numeric(10, 1) check (hours >= 0),
    description text not null check (length(description) between 1 and 2000),
    recorded_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now()
);
create index fbo_equipment_maintenance_equipment
    on fbo_equipment_maintenance (equipment_id, done_on desc, id desc);

create table fbo_line_tasks (
    id uuid primary key,
    flight_id uuid not null references fbo_flights (id),
    kind text not null check (kind in ('tow', 'gpu', 'lavatory', 'potable_water', 'hangar_move')),
    scheduled_for timestamptz not null,
    location_id uuid references fbo_parking_locations (id),
    equipment_id uuid references fbo_equipment (id),
    assignee_id uuid references users (id),
    status text not null default 'scheduled'
        check (status in ('scheduled', 'in_progress', 'done', 'cancelled')),
    started_at timestamptz,
    completed_at timestamptz,
    cancelled_at timestamptz,
    cancel_reason text check (length(cancel_reason) between 1 and 500),
    notes text check (length(notes) <= 2000),
    version integer not null default 1,
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check ((status = 'cancelled') = (cancel_reason is not null)),
    check (status not in ('in_progress', 'done') or started_at is not null),
    check ((status = 'done') = (completed_at is not null)),
    check (completed_at >= started_at)
);
create trigger fbo_line_tasks_updated_at before update on fbo_line_tasks
    for each row execute function set_updated_at();
create index fbo_line_tasks_flight on fbo_line_tasks (flight_id, scheduled_for, id);
create index fbo_line_tasks_scheduled on fbo_line_tasks (scheduled_for, id);
-- One piece of equipment serves one task at a time (409 equipment-busy).
create unique index fbo_line_tasks_equipment_busy on fbo_line_tasks (equipment_id)
    where status = 'in_progress';
