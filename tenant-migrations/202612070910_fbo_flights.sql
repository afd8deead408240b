-- FBO visiting flights, parking locations and gates, and who holds which spot when
-- (docs/fbo.md). Never two aircraft on one spot at the same time: the exclusion constraint
-- `fbo_parking_assignments_location_excl` refuses an overlap however requests race (SQLSTATE
-- 23P01, answered `409 parking-conflict`). Unqualified names: this runs inside every tenant
-- schema.
create table fbo_parking_locations (
    id uuid primary key,
    airport_code text not null check (airport_code ~ '^[A-Z0-9-]{2,10}$'),
    location_code text not null check (location_code ~ '^[A-Z0-9][A-Z0-9-]{0,15}$'),
    name text not null check (length(name) between 1 and 100),
    kind text not null check (kind in ('ramp', 'hangar', 'tie_down', 'gate')),
    -- 0 once deactivated (the seed's soft delete), else 1..10000; kept for history.
    display_order integer not null default 100 check (display_order between 0 and 10000),
    active boolean not null default true,
    notes text check (length(notes) <= 2000),
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (airport_code, location_code),
    check (active = (display_order > 0))
);
create trigger fbo_parking_locations_updated_at before update on fbo_parking_locations
    for each row execute function set_updated_at();

create table fbo_flights (
    id uuid primary key,
    airport_code text not null check (airport_code ~ '^[A-Z0-9-]{2,10}$'),
    tail_number text not null check (tail_number ~ '^[A-Z0-9][A-Z0-9-]{1,9}$'),
    aircraft_type text check (aircraft_type ~ '^[A-Z0-9]{2,4}$'),
    operator_name text check (length(operator_name) between 1 and 200),
    customer_id uuid references contacts (id) on delete set null,
    eta timestamptz,
    etd timestamptz,
    arrived_at timestamptz,
    departed_at timestamptz,
    passengers integer check (passengers between 0 and 999),
    services text[] not null default '{}'
        check (services <@ array['fuel', 'gpu', 'lavatory', 'catering', 'hangar', 'crew_car']),
    status text not null default 'expected'
        check (status in ('expected', 'arrived', 'serviced', 'departed', 'cancelled')),
    cancel_reason text check (length(cancel_reason) <= 500),
    tags text[] not null default '{}' check (cardinality(tags) <= 10),
    notes text check (length(notes) <= 2000),
    version integer not null default 1,
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (eta is not null or etd is not null),
    check (etd > eta),
    check (departed_at >= arrived_at)
);
create trigger fbo_flights_updated_at before update on fbo_flights
    for each row execute function set_updated_at();
-- The board: one airport's arrivals and departures of a day.
create index fbo_flights_airport_eta on fbo_flights (airport_code, coalesce(arrived_at, eta));
create index fbo_flights_airport_etd on fbo_flights (airport_code, coalesce(departed_at, etd));
create index fbo_flights_tags on fbo_flights using gin (tags);

create table fbo_parking_assignments (
    id uuid primary key,
    flight_id uuid not null references fbo_flights (id) on delete cascade,
    location_id uuid not null references fbo_parking_locations (id),
    starts_at timestamptz not null,
    -- Null: held until the flight leaves or the spot is released.
    ends_at timestamptz,
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    check (ends_at > starts_at),
    constraint fbo_parking_assignments_location_excl exclude using gist
        (location_id with =, tstzrange(starts_at, ends_at) with &&)
);
create index fbo_parking_assignments_flight on fbo_parking_assignments (flight_id, starts_at desc);
