-- Flights (issue 14), first part: the pilot logbook. One row per logbook entry of one person,
-- with the times and counts of 14 CFR 61.51 (docs/flights.md). Times are integer minutes (exact
-- sums; the API also speaks minutes), counts are integers. Every invariant the API checks is
-- also a CHECK here. Unqualified names: this runs inside every tenant schema.
create table logbook_entries (
    id uuid primary key,
    -- Whose logbook it is.
    person_id uuid not null references users (id) on delete cascade,
    -- The flight it was generated from (set by signing a flight; `source` = 'flight').
    flight_id uuid,
    -- The local date of the flight (the tenant's time zone).
    date date not null,
    aircraft_id uuid references aircraft (id) on delete set null,
    -- Kept as written even when the aircraft leaves the fleet.
    registration text,
    -- ICAO type designator, e.g. C172.
    type_code text,
    category text,
    class text,
    tailwheel boolean not null default false,
    type_rating_required boolean not null default false,
    -- ICAO, IATA or local identifiers (2-7 upper-case letters or digits).
    departure text,
    destination text,
    stops text[] not null default '{}',
    total_minutes integer not null default 0,
    pic_minutes integer not null default 0,
    sic_minutes integer not null default 0,
    dual_received_minutes integer not null default 0,
    dual_given_minutes integer not null default 0,
    solo_minutes integer not null default 0,
    cross_country_minutes integer not null default 0,
    night_minutes integer not null default 0,
    actual_instrument_minutes integer not null default 0,
    simulated_instrument_minutes integer not null default 0,
    -- Time in a flight simulator, flight training device or aviation training device.
    simulator_minutes integer not null default 0,
    simulator_kind text,
    ground_training_minutes integer not null default 0,
    -- Takeoffs and landings by day (full stop or not), of those to a full stop, and at night to
    -- a full stop (61.57(a), (b)).
    day_landings integer not null default 0,
    day_full_stop_landings integer not null default 0,
    night_full_stop_landings integer not null default 0,
    approaches integer not null default 0,
    -- [{type, runway, airport, count}]
    approach_details jsonb not null default '[]',
    holds integer not null default 0,
    intercept_track boolean not null default false,
    ipc boolean not null default false,
    flight_review boolean not null default false,
    instructor_id uuid references users (id) on delete set null,
    instructor_certificate_number text,
    signed_at timestamptz,
    signed_by uuid references users (id) on delete set null,
    remarks text,
    source text not null default 'manual',
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint logbook_entries_registration_check check (registration ~ '^[A-Z0-9][A-Z0-9-]{1,9}$'),
    constraint logbook_entries_type_code_check check (type_code ~ '^[A-Z0-9]{2,4}$'),
    constraint logbook_entries_category_check
        check (category in ('airplane', 'rotorcraft', 'glider', 'lighter_than_air', 'powered_lift')),
    constraint logbook_entries_class_check
        check (class in ('single_engine_land', 'multi_engine_land', 'single_engine_sea',
                         'multi_engine_sea', 'helicopter', 'gyroplane')),
    constraint logbook_entries_departure_check check (departure ~ '^[A-Z0-9]{2,7}$'),
    constraint logbook_entries_destination_check check (destination ~ '^[A-Z0-9]{2,7}$'),
    constraint logbook_entries_stops_check
        check (cardinality(stops) <= 20
               and array_to_string(stops, ',') ~ '^([A-Z0-9]{2,7}(,[A-Z0-9]{2,7})*)?$'),
    -- No time is negative, and no entry holds more than 100,000 hours.
    constraint logbook_entries_minutes_check check (
        least(total_minutes, pic_minutes, sic_minutes, dual_received_minutes, dual_given_minutes,
              solo_minutes, cross_country_minutes, night_minutes, actual_instrument_minutes,
              simulated_instrument_minutes, simulator_minutes, ground_training_minutes) >= 0
        and greatest(total_minutes, simulator_minutes, ground_training_minutes) <= 6000000),
    -- Times within the flight: never more than the total flight time.
    constraint logbook_entries_pic_minutes_check check (pic_minutes <= total_minutes),
    constraint logbook_entries_sic_minutes_check check (sic_minutes <= total_minutes),
    constraint logbook_entries_solo_minutes_check check (solo_minutes <= total_minutes),
    constraint logbook_entries_cross_country_minutes_check check (cross_country_minutes <= total_minutes),
    constraint logbook_entries_night_minutes_check check (night_minutes <= total_minutes),
    constraint logbook_entries_actual_instrument_minutes_check
        check (actual_instrument_minutes <= total_minutes),
    -- Training and simulated instrument time may be flown in a training device too.
    constraint logbook_entries_dual_received_minutes_check
        check (dual_received_minutes <= total_minutes + simulator_minutes),
    constraint logbook_entries_dual_given_minutes_check
        check (dual_given_minutes <= total_minutes + simulator_minutes),
    constraint logbook_entries_simulated_instrument_minutes_check
        check (simulated_instrument_minutes + actual_instrument_minutes <= total_minutes + simulator_minutes),
    -- Solo is flown alone: it never overlaps instruction received.
    constraint logbook_entries_solo_dual_check
        check (solo_minutes + dual_received_minutes <= total_minutes + simulator_minutes),
    constraint logbook_entries_simulator_kind_check
        check (simulator_kind in ('ffs', 'ftd', 'atd')
               and simulator_minutes > 0 or simulator_kind is null and simulator_minutes = 0),
    constraint logbook_entries_landings_check
        check (least(day_landings, day_full_stop_landings, night_full_stop_landings, approaches, holds) >= 0
               and greatest(day_landings, night_full_stop_landings, approaches, holds) <= 100000),
    constraint logbook_entries_day_full_stop_landings_check
        check (day_full_stop_landings <= day_landings),
    constraint logbook_entries_approach_details_check
        check (jsonb_typeof(approach_details) = 'array' and jsonb_array_length(approach_details) <= 20),
    constraint logbook_entries_instructor_certificate_number_check
        check (char_length(instructor_certificate_number) between 1 and 50),
    -- Signed: by whom and when together, by the entry's instructor, with a certificate number,
    -- and never by the person whose logbook it is.
    constraint logbook_entries_signed_check
        check ((signed_at is null) = (signed_by is null)
               and (signed_at is null or (signed_by = instructor_id
                                          and instructor_certificate_number is not null
                                          and signed_by <> person_id))),
    constraint logbook_entries_remarks_check check (char_length(remarks) <= 10000),
    constraint logbook_entries_source_check check (source in ('manual', 'flight', 'import')),
    constraint logbook_entries_flight_check check ((flight_id is not null) = (source = 'flight'))
);
-- A person's logbook, newest first: the list, the totals and the currency rules read it.
create index logbook_entries_person_date_idx on logbook_entries (person_id, date desc, id desc);
create index logbook_entries_flight_idx on logbook_entries (flight_id) where flight_id is not null;
create trigger logbook_entries_updated_at before update on logbook_entries
    for each row execute function set_updated_at();
