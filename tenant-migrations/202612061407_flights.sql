-- Flights (issue 14), second part: flight records, their crew and the superseded versions of
-- signed flights. Signing a flight writes one logbook entry per crew member
-- (logbook_entries.flight_id, source 'flight'); docs/flights.md. Meters in tenths of an hour,
-- times in whole minutes. Unqualified names: this runs inside every tenant schema.
create table flights (
    id uuid primary key,
    -- The booking it was flown under: one flight per booking (a draft made at check-in).
    booking_id uuid references bookings (id) on delete set null,
    aircraft_id uuid not null references aircraft (id) on delete restrict,
    -- The local date of the flight.
    date date not null,
    departure text,
    destination text,
    stops text[] not null default '{}',
    -- Block out, takeoff, landing, block in (UTC), each optional, in this order.
    out_at timestamptz,
    off_at timestamptz,
    on_at timestamptz,
    in_at timestamptz,
    hobbs_out_tenths bigint,
    hobbs_in_tenths bigint,
    tach_out_tenths bigint,
    tach_in_tenths bigint,
    day_landings integer not null default 0,
    day_full_stop_landings integer not null default 0,
    night_full_stop_landings integer not null default 0,
    -- [{type, runway, airport, count}]
    approaches jsonb not null default '[]',
    holds integer not null default 0,
    intercept_track boolean not null default false,
    night_minutes integer not null default 0,
    cross_country_minutes integer not null default 0,
    actual_instrument_minutes integer not null default 0,
    simulated_instrument_minutes integer not null default 0,
    -- Fuel taken on, in tenths of `fuel_uplift_unit`.
    fuel_uplift_tenths integer,
    fuel_uplift_unit text,
    remarks text,
    status text not null default 'draft',
    signed_at timestamptz,
    signed_by uuid references users (id) on delete set null,
    created_by uuid references users (id) on delete set null,
    version integer not null default 1,
    -- Corrections of the signed flight so far (flight_revisions holds each superseded version).
    revision integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint flights_booking_id_key unique (booking_id),
    constraint flights_departure_check check (departure ~ '^[A-Z0-9]{2,7}$'),
    constraint flights_destination_check check (destination ~ '^[A-Z0-9]{2,7}$'),
    constraint flights_stops_check
        check (cardinality(stops) <= 20
               and array_to_string(stops, ',') ~ '^([A-Z0-9]{2,7}(,[A-Z0-9]{2,7})*)?$'),
    constraint flights_times_check check (
        (out_at is null or off_at is null or out_at <= off_at)
        and (out_at is null or on_at is null or out_at <= on_at)
        and (out_at is null or in_at is null or (out_at <= in_at and in_at - out_at < interval '48 hours'))
        and (off_at is null or on_at is null or off_at <= on_at)
        and (off_at is null or in_at is null or off_at <= in_at)
        and (on_at is null or in_at is null or on_at <= in_at)),
    constraint flights_hobbs_in_check check (hobbs_out_tenths >= 0 and hobbs_in_tenths >= hobbs_out_tenths),
    constraint flights_tach_in_check check (tach_out_tenths >= 0 and tach_in_tenths >= tach_out_tenths),
    constraint flights_landings_check
        check (least(day_landings, day_full_stop_landings, night_full_stop_landings, holds) >= 0
               and greatest(day_landings, night_full_stop_landings, holds) <= 1000),
    constraint flights_day_full_stop_landings_check check (day_full_stop_landings <= day_landings),
    constraint flights_approaches_check
        check (jsonb_typeof(approaches) = 'array' and jsonb_array_length(approaches) <= 20),
    constraint flights_minutes_check
        check (least(night_minutes, cross_country_minutes, actual_instrument_minutes,
                     simulated_instrument_minutes) >= 0
               and greatest(night_minutes, cross_country_minutes,
                            actual_instrument_minutes + simulated_instrument_minutes) <= 2880),
    constraint flights_fuel_uplift_check
        check ((fuel_uplift_tenths is null) = (fuel_uplift_unit is null)
               and fuel_uplift_tenths between 0 and 1000000
               and fuel_uplift_unit in ('us_gallon', 'liter', 'pound', 'kilogram')),
    constraint flights_remarks_check check (char_length(remarks) <= 10000),
    constraint flights_status_check check (status in ('draft', 'signed')),
    constraint flights_signed_check
        check ((status = 'signed') = (signed_at is not null) and (signed_at is null) = (signed_by is null)),
    constraint flights_revision_check check (revision >= 0 and (revision = 0 or status = 'signed'))
);
create index flights_date_idx on flights (date desc, id desc);
create index flights_aircraft_idx on flights (aircraft_id, date desc, id desc);
create trigger flights_updated_at before update on flights
    for each row execute function set_updated_at();

-- Who was on board and as what. Replaced as a whole when a draft's crew changes.
create table flight_crew (
    id uuid primary key,
    flight_id uuid not null references flights (id) on delete cascade,
    person_id uuid not null references users (id) on delete restrict,
    role text not null,
    created_at timestamptz not null default now(),
    constraint flight_crew_person_key unique (flight_id, person_id),
    constraint flight_crew_role_check
        check (role in ('pic', 'sic', 'student', 'instructor', 'safety_pilot'))
);
create index flight_crew_person_idx on flight_crew (person_id, flight_id);

-- Each superseded version of a signed flight, as it was (append only).
create table flight_revisions (
    id uuid primary key,
    flight_id uuid not null references flights (id) on delete cascade,
    revision integer not null,
    snapshot jsonb not null,
    reason text not null,
    revised_by uuid references users (id) on delete set null,
    revised_at timestamptz not null default now(),
    constraint flight_revisions_revision_key unique (flight_id, revision),
    constraint flight_revisions_reason_check check (char_length(reason) between 1 and 2000)
);

-- The logbook entries a signed flight generated: one per person and flight.
alter table logbook_entries
    add constraint logbook_entries_flight_id_fkey foreign key (flight_id) references flights (id) on delete restrict;
create unique index logbook_entries_flight_person_key on logbook_entries (flight_id, person_id)
    where flight_id is not null;
