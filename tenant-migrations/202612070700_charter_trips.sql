-- Charter trips (docs/charter.md) and the one availability constraint of an aircraft.
--
-- An aircraft is never on two things at once. School bookings (maintenance blocks included)
-- and charter trips each write what they hold into `aircraft_occupancy` from triggers, and its
-- one exclusion constraint refuses any overlap, whichever domain wrote first and however many
-- requests race. It replaces `bookings_aircraft_excl`, which only saw bookings. A conflict is
-- SQLSTATE 23P01 on `aircraft_occupancy_aircraft_excl`, answered `409 booking-conflict`.
-- Unqualified names: this runs inside every tenant schema.
create table aircraft_occupancy (
    -- What holds the aircraft: `booking` (bookings.id) or `trip` (charter_trips.id).
    source text not null,
    source_id uuid not null,
    aircraft_id uuid not null references aircraft (id) on delete cascade,
    -- Half-open [starts_at, ends_at), UTC.
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    primary key (source, source_id, aircraft_id),
    constraint aircraft_occupancy_source_check check (source in ('booking', 'trip')),
    constraint aircraft_occupancy_range_check check (ends_at > starts_at),
    constraint aircraft_occupancy_aircraft_excl exclude using gist
        (aircraft_id with =, tstzrange(starts_at, ends_at) with &&)
);

-- A booking holds its aircraft from start to end unless cancelled.
create function bookings_occupancy() returns trigger language plpgsql as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        delete from aircraft_occupancy where source = 'booking' and source_id = old.id;
    end if;
    if tg_op in ('INSERT', 'UPDATE') and new.aircraft_id is not null
       and new.status <> 'cancelled' then
        insert into aircraft_occupancy (source, source_id, aircraft_id, starts_at, ends_at)
        values ('booking', new.id, new.aircraft_id, new.starts_at, new.ends_at);
    end if;
    return null;
end
$$;

insert into aircraft_occupancy (source, source_id, aircraft_id, starts_at, ends_at)
select 'booking', id, aircraft_id, starts_at, ends_at
  from bookings where aircraft_id is not null and status <> 'cancelled';
alter table bookings drop constraint bookings_aircraft_excl;
create trigger bookings_occupancy after insert or delete
    or update of aircraft_id, starts_at, ends_at, status on bookings
    for each row execute function bookings_occupancy();

-- A quote sent to its customer carries a secret link (its SHA-256 is kept); accepting it
-- online records when, from which address and which version.
alter table charter_quotes
    add column public_token_hash bytea,
    add column sent_at timestamptz,
    add column sent_to text,
    add column accepted_at timestamptz,
    add column accepted_from text,
    add column accepted_name text,
    add column accepted_version integer,
    add constraint charter_quotes_accepted_name_check check (char_length(accepted_name) <= 200);
create unique index charter_quotes_public_token on charter_quotes (public_token_hash)
    where public_token_hash is not null;

create table charter_trips (
    id uuid primary key,
    -- T-<year>-<n>, numbered per organisation and year.
    number text not null unique,
    -- The accepted quote it was made from: one trip per quote, however often it is accepted.
    quote_id uuid unique references charter_quotes (id) on delete restrict,
    customer_id uuid references contacts (id) on delete restrict,
    status text not null default 'scheduled',
    -- First departure and last arrival of its legs (kept by the service with the legs).
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    notes text,
    -- What the release checks said: [{rule, mode, outcome, message}].
    release_checks jsonb not null default '[]',
    released_at timestamptz,
    released_by uuid references users (id) on delete set null,
    cancelled_at timestamptz,
    cancel_reason text,
    created_by uuid references users (id) on delete set null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint charter_trips_status_check check (status in
        ('quoted', 'scheduled', 'released', 'en_route', 'completed', 'cancelled')),
    constraint charter_trips_range_check check (ends_at > starts_at),
    constraint charter_trips_notes_check check (char_length(notes) <= 10000),
    constraint charter_trips_cancel_reason_check check (char_length(cancel_reason) <= 2000)
);
create index charter_trips_starts on charter_trips (starts_at);
create index charter_trips_customer on charter_trips (customer_id) where customer_id is not null;
create trigger charter_trips_updated_at before update on charter_trips
    for each row execute function set_updated_at();

create table charter_trip_legs (
    trip_id uuid not null references charter_trips (id) on delete cascade,
    -- 1, 2, ... in departure order.
    seq integer not null,
    aircraft_id uuid not null references aircraft (id) on delete restrict,
    from_code text not null,
    to_code text not null,
    -- IANA time zones of the two airports, kept for local times.
    from_tz text not null,
    to_tz text not null,
    -- An empty leg: positioning from base or back to it.
    positioning boolean not null default false,
    departs_at timestamptz not null,
    arrives_at timestamptz not null,
    -- The FBO or handler at each end (contacts).
    from_fbo_id uuid references contacts (id) on delete restrict,
    to_fbo_id uuid references contacts (id) on delete restrict,
    passengers integer not null default 0,
    -- Fuel to take on before the leg, kilograms.
    fuel_uplift_kg integer,
    notes text,
    primary key (trip_id, seq),
    constraint charter_trip_legs_range_check check (arrives_at > departs_at),
    constraint charter_trip_legs_passengers_check check (passengers between 0 and 100),
    constraint charter_trip_legs_fuel_check check (fuel_uplift_kg between 0 and 500000),
    constraint charter_trip_legs_notes_check check (char_length(notes) <= 2000)
);
create index charter_trip_legs_aircraft on charter_trip_legs (aircraft_id, departs_at);

-- A trip holds each of its aircraft from that aircraft's first departure to its last arrival
-- (away from base in between) while it is scheduled, released, en route or completed; a
-- quoted (tentative) or cancelled trip holds nothing.
create function charter_trip_occupancy(trip uuid) returns void language plpgsql as $$
begin
    delete from aircraft_occupancy where source = 'trip' and source_id = trip;
    insert into aircraft_occupancy (source, source_id, aircraft_id, starts_at, ends_at)
    select 'trip', l.trip_id, l.aircraft_id, min(l.departs_at), max(l.arrives_at)
      from charter_trip_legs l join charter_trips t on t.id = l.trip_id
     where l.trip_id = trip and t.status in ('scheduled', 'released', 'en_route', 'completed')
     group by l.trip_id, l.aircraft_id;
end
$$;

create function charter_trips_occupancy() returns trigger language plpgsql as $$
begin
    perform charter_trip_occupancy(coalesce(new.id, old.id));
    return null;
end
$$;
create trigger charter_trips_occupancy after update of status on charter_trips
    for each row execute function charter_trips_occupancy();

create function charter_trip_legs_occupancy() returns trigger language plpgsql as $$
begin
    perform charter_trip_occupancy(coalesce(new.trip_id, old.trip_id));
    return null;
end
$$;
create trigger charter_trip_legs_occupancy after insert or delete or update on charter_trip_legs
    for each row execute function charter_trip_legs_occupancy();

-- Trip numbers per year: upserted and incremented in the creating transaction.
create table charter_trip_sequences (
    year integer primary key,
    next_number integer not null
);
