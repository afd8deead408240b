-- Fleet: aircraft types, aircraft, simulators and the meter readings history.
-- Meters are stored in tenths of an hour (integers: exact sums and comparisons); money in minor
-- units with an ISO 4217 currency. No custom types: text + check (DESIGN §3).

create table aircraft_types (
    id uuid primary key,
    -- ICAO type designator, e.g. C172, PA28, DA42.
    designator text not null,
    manufacturer text not null,
    model text not null,
    category text not null,
    class text,
    engine_type text not null,
    engine_count integer not null default 1,
    seats integer,
    cruise_speed_kts integer,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint aircraft_types_designator_check check (designator ~ '^[A-Z0-9]{2,4}$'),
    constraint aircraft_types_manufacturer_check check (char_length(manufacturer) between 1 and 100),
    constraint aircraft_types_model_check check (char_length(model) between 1 and 100),
    constraint aircraft_types_category_check
        check (category in ('airplane', 'rotorcraft', 'glider', 'lighter_than_air', 'powered_lift')),
    constraint aircraft_types_class_check
        check (class in ('single_engine_land', 'multi_engine_land', 'single_engine_sea',
                         'multi_engine_sea', 'helicopter', 'gyroplane')),
    constraint aircraft_types_engine_type_check
        check (engine_type in ('piston', 'turboprop', 'turbojet', 'turbofan', 'turboshaft', 'electric', 'none')),
    constraint aircraft_types_engine_count_check check (engine_count between 0 and 8),
    constraint aircraft_types_seats_check check (seats between 1 and 900),
    constraint aircraft_types_cruise_speed_kts_check check (cruise_speed_kts between 1 and 700)
);
create unique index aircraft_types_designator_key on aircraft_types (designator, lower(model));
create trigger aircraft_types_updated_at before update on aircraft_types
    for each row execute function set_updated_at();

create table aircraft (
    id uuid primary key,
    -- Upper case, e.g. N172SP, HB-KFA, D-EABC; unique in the tenant.
    registration text not null,
    aircraft_type_id uuid references aircraft_types (id) on delete set null,
    make text not null,
    model text not null,
    type_designator text,
    category text not null default 'airplane',
    class text,
    engine_type text not null default 'piston',
    seats integer,
    cruise_speed_kts integer,
    -- Hourly rates in minor units of `currency`: wet (fuel included) and dry.
    wet_rate integer,
    dry_rate integer,
    currency text not null default 'USD',
    -- ICAO location indicator of the home base, e.g. LSZH.
    home_base text,
    status text not null default 'active',
    hobbs_tenths bigint not null default 0,
    tach_tenths bigint not null default 0,
    -- Equipment tags, lower case: ifr, g1000, autopilot, ads_b_out, ...
    equipment text[] not null default '{}',
    -- The photo: an image uploaded through the tools module's attachments.
    photo_attachment_id uuid references attachments (id) on delete set null,
    notes text,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint aircraft_registration_check check (registration ~ '^[A-Z0-9][A-Z0-9-]{1,9}$'),
    constraint aircraft_make_check check (char_length(make) between 1 and 100),
    constraint aircraft_model_check check (char_length(model) between 1 and 100),
    constraint aircraft_type_designator_check check (type_designator ~ '^[A-Z0-9]{2,4}$'),
    constraint aircraft_category_check
        check (category in ('airplane', 'rotorcraft', 'glider', 'lighter_than_air', 'powered_lift')),
    constraint aircraft_class_check
        check (class in ('single_engine_land', 'multi_engine_land', 'single_engine_sea',
                         'multi_engine_sea', 'helicopter', 'gyroplane')),
    constraint aircraft_engine_type_check
        check (engine_type in ('piston', 'turboprop', 'turbojet', 'turbofan', 'turboshaft', 'electric', 'none')),
    constraint aircraft_seats_check check (seats between 1 and 900),
    constraint aircraft_cruise_speed_kts_check check (cruise_speed_kts between 1 and 700),
    constraint aircraft_wet_rate_check check (wet_rate >= 0),
    constraint aircraft_dry_rate_check check (dry_rate >= 0),
    constraint aircraft_currency_check check (currency ~ '^[A-Z]{3}$'),
    constraint aircraft_home_base_check check (home_base ~ '^[A-Z0-9]{3,4}$'),
    constraint aircraft_status_check check (status in ('active', 'inactive', 'retired')),
    constraint aircraft_hobbs_tenths_check check (hobbs_tenths between 0 and 9999999),
    constraint aircraft_tach_tenths_check check (tach_tenths between 0 and 9999999),
    constraint aircraft_equipment_check check (cardinality(equipment) <= 50),
    constraint aircraft_notes_check check (char_length(notes) <= 10000)
);
create unique index aircraft_registration_key on aircraft (registration);
create index aircraft_type_idx on aircraft (aircraft_type_id);
create trigger aircraft_updated_at before update on aircraft
    for each row execute function set_updated_at();

create table simulators (
    id uuid primary key,
    name text not null,
    -- ffs (full flight simulator), ftd, aatd, batd, fnpt (EASA), other.
    device_type text not null,
    -- Qualification level, e.g. "FNPT II MCC", "Level D".
    qualification text,
    aircraft_type_id uuid references aircraft_types (id) on delete set null,
    hourly_rate integer,
    currency text not null default 'USD',
    status text not null default 'active',
    notes text,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint simulators_name_check check (char_length(name) between 1 and 100),
    constraint simulators_device_type_check check (device_type in ('ffs', 'ftd', 'aatd', 'batd', 'fnpt', 'other')),
    constraint simulators_qualification_check check (char_length(qualification) <= 100),
    constraint simulators_hourly_rate_check check (hourly_rate >= 0),
    constraint simulators_currency_check check (currency ~ '^[A-Z]{3}$'),
    constraint simulators_status_check check (status in ('active', 'inactive', 'retired')),
    constraint simulators_notes_check check (char_length(notes) <= 10000)
);
create unique index simulators_name_key on simulators (lower(name));
create trigger simulators_updated_at before update on simulators
    for each row execute function set_updated_at();

-- Every meter value an aircraft has had, append-only. A correction is a new row that names the
-- reading it corrects and why; the aircraft's current meters are the newest reading's values.
create table meter_readings (
    id uuid primary key,
    aircraft_id uuid not null references aircraft (id) on delete cascade,
    hobbs_tenths bigint not null,
    tach_tenths bigint not null,
    source text not null,
    -- The booking whose check-in recorded it (no foreign key: scheduling comes later).
    booking_id uuid,
    corrects_id uuid references meter_readings (id) on delete set null,
    reason text,
    recorded_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    constraint meter_readings_hobbs_tenths_check check (hobbs_tenths between 0 and 9999999),
    constraint meter_readings_tach_tenths_check check (tach_tenths between 0 and 9999999),
    constraint meter_readings_source_check check (source in ('initial', 'manual', 'check_in', 'correction')),
    constraint meter_readings_reason_check
        check (char_length(reason) <= 2000 and (source <> 'correction' or char_length(reason) >= 1))
);
create index meter_readings_aircraft_idx on meter_readings (aircraft_id, id);
