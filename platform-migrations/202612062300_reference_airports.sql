-- Shared, read-only reference data (docs/airports.md): one copy for every tenant, loaded from
-- data the binary ships (`Manifest::reference`, `crate::db::load_reference`), never written by
-- a request. Under Citus these are reference tables, copied to every node (docs/operations.md).
create schema if not exists reference;

-- What is loaded, at which version.
create table reference.datasets (
    name text primary key,
    version text not null,
    rows integer not null,
    loaded_at timestamptz not null default now()
);

-- The world's airports (reference-data/airports: airportsdata, MIT).
create table reference.airports (
    icao text primary key,
    iata text,
    local_id text,
    name text not null,
    city text,
    subdivision text,
    country text not null,
    elevation_ft integer,
    latitude double precision not null,
    longitude double precision not null,
    time_zone text not null,
    -- Not in the shipped dataset: null until a source that has it is loaded.
    longest_runway_ft integer,
    -- A handful of places without an ICAO code carry a pseudo-code starting with `_`.
    constraint airports_icao_check check (icao ~ '^[A-Z0-9_]{4}$'),
    constraint airports_latitude_check check (latitude between -90 and 90),
    constraint airports_longitude_check check (longitude between -180 and 180)
);
create index airports_iata_idx on reference.airports (iata) where iata is not null;
create index airports_local_id_idx on reference.airports (local_id) where local_id is not null;
-- Lookups by code (the primary key serves ICAO). Search by name runs in memory over the same
-- shipped data (src/domains/airports/index.rs: trigram search here missed its 5 ms target).
