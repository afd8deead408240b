-- Charter quotes (docs/charter.md): rates per aircraft type, and quotes with their versions.
-- A quote version keeps the request and the pricing as computed then, so a quote reads the
-- same whatever later rates, fees or airports say. Unqualified names: every tenant schema.
create table charter_rates (
    aircraft_type_id uuid primary key references aircraft_types (id) on delete cascade,
    currency text not null,
    -- Per block hour with passengers, and per block hour positioning (empty legs).
    hourly_minor bigint not null,
    positioning_hourly_minor bigint not null,
    -- Billed hours per day away from base at least this many minutes.
    daily_minimum_minutes integer not null default 0,
    crew_overnight_minor bigint not null default 0,
    catering_per_passenger_minor bigint not null default 0,
    taxi_out_minutes integer not null default 10,
    taxi_in_minutes integer not null default 5,
    -- Minutes on the ground between a positioning leg and the next departure.
    turnaround_minutes integer not null default 60,
    margin_ppm integer not null default 0,
    tax_rate_ids uuid[] not null default '{}',
    version integer not null default 1,
    updated_at timestamptz not null default now(),
    constraint charter_rates_currency_check check (currency ~ '^[A-Z]{3}$'),
    constraint charter_rates_hourly_check check (hourly_minor between 0 and 100000000),
    constraint charter_rates_positioning_check check (positioning_hourly_minor between 0 and 100000000),
    constraint charter_rates_minimum_check check (daily_minimum_minutes between 0 and 1440),
    constraint charter_rates_overnight_check check (crew_overnight_minor between 0 and 100000000),
    constraint charter_rates_catering_check check (catering_per_passenger_minor between 0 and 10000000),
    constraint charter_rates_taxi_check check (taxi_out_minutes between 0 and 120 and taxi_in_minutes between 0 and 120),
    constraint charter_rates_turnaround_check check (turnaround_minutes between 0 and 1440),
    constraint charter_rates_margin_check check (margin_ppm between 0 and 10000000)
);
create trigger charter_rates_updated_at before update on charter_rates
    for each row execute function set_updated_at();

create table charter_quotes (
    id uuid primary key,
    -- Q-<year>-<n>, numbered per organisation and year.
    number text not null unique,
    customer_id uuid not null references contacts (id) on delete restrict,
    aircraft_id uuid not null references aircraft (id) on delete restrict,
    status text not null default 'draft',
    current_version integer not null default 1,
    valid_until date,
    currency text not null,
    total_minor bigint not null,
    notes text,
    created_by uuid references users (id) on delete set null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint charter_quotes_status_check
        check (status in ('draft', 'sent', 'accepted', 'declined', 'expired')),
    constraint charter_quotes_notes_check check (char_length(notes) <= 10000)
);
create index charter_quotes_customer on charter_quotes (customer_id);
create trigger charter_quotes_updated_at before update on charter_quotes
    for each row execute function set_updated_at();

create table charter_quote_versions (
    quote_id uuid not null references charter_quotes (id) on delete cascade,
    version integer not null,
    request jsonb not null,
    pricing jsonb not null,
    total_minor bigint not null,
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    primary key (quote_id, version)
);

-- Quote numbers per year: upserted and incremented in the creating transaction.
create table charter_quote_sequences (
    year integer primary key,
    next_number integer not null
);
