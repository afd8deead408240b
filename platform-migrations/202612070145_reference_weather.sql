-- Weather reports (docs/airports.md, "Weather"): METAR and TAF of the stations someone asked
-- about, one row per station, shared by every tenant (the weather at an airport is the same
-- for all of them). Written only by the airports domain's shared job outside any tenant's
-- transaction (`Manifest::shared_jobs`); requests read it. Under Citus it is a reference table
-- like the airports (docs/operations.md).
create table reference.weather (
    -- The reporting station: an ICAO location indicator.
    station text primary key,
    -- Fetched while this is in the future (the latest of every request for it).
    wanted_until timestamptz not null,
    -- The last fetch started (claimed by one replica), finished without an answer, answered.
    attempted_at timestamptz,
    failed_at timestamptz,
    -- Why the last attempt failed (no secret, no provider body): shown to nobody verbatim.
    failure text,
    fetched_at timestamptz,
    -- The latest METAR: raw text, observation time, flight category, decoded fields.
    metar_raw text,
    metar_observed_at timestamptz,
    metar_category text,
    metar jsonb,
    -- The latest TAF: raw text, issue time, validity, the worst category of its periods and
    -- the periods as decoded.
    taf_raw text,
    taf_issued_at timestamptz,
    taf_valid_from timestamptz,
    taf_valid_to timestamptz,
    taf_category text,
    taf_periods jsonb,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint weather_station_check check (station ~ '^[A-Z][A-Z0-9]{3}$'),
    constraint weather_metar_category_check
        check (metar_category in ('VFR', 'MVFR', 'IFR', 'LIFR')),
    constraint weather_taf_category_check check (taf_category in ('VFR', 'MVFR', 'IFR', 'LIFR')),
    constraint weather_metar_check check ((metar_raw is null) = (metar_observed_at is null)),
    constraint weather_taf_check
        check ((taf_raw is null) = (taf_issued_at is null)
               and (taf_raw is null) = (taf_valid_from is null)
               and (taf_raw is null) = (taf_valid_to is null))
);

create trigger weather_updated_at before update on reference.weather
    for each row execute function platform.set_updated_at();

-- The job's claim: the stations still wanted, longest without an attempt first.
create index weather_due_idx on reference.weather (attempted_at nulls first, station);
