-- Private landing sites (docs/airports.md): hospital helipads, farm strips, seaplane bases an
-- organisation flies to that the shared airport list (reference.airports) does not have.
-- Unqualified names: this runs inside every tenant schema.
create table landing_sites (
    id uuid primary key,
    code text not null,
    name text not null,
    kind text not null,
    latitude double precision not null,
    longitude double precision not null,
    elevation_ft integer,
    time_zone text not null,
    country text,
    notes text,
    active boolean not null default true,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint landing_sites_code_key unique (code),
    constraint landing_sites_code_check check (code ~ '^[A-Z0-9][A-Z0-9-]{1,9}$'),
    constraint landing_sites_name_check check (char_length(name) between 1 and 200),
    constraint landing_sites_kind_check check (kind in ('airstrip', 'heliport', 'hospital_helipad', 'seaplane', 'other')),
    constraint landing_sites_latitude_check check (latitude between -90 and 90),
    constraint landing_sites_longitude_check check (longitude between -180 and 180),
    constraint landing_sites_elevation_ft_check check (elevation_ft between -1500 and 30000),
    constraint landing_sites_country_check check (country ~ '^[A-Z]{2}$'),
    constraint landing_sites_notes_check check (char_length(notes) <= 2000)
);
create index landing_sites_search_idx on landing_sites (lower(name)) where active;
create trigger landing_sites_updated_at before update on landing_sites
    for each row execute function set_updated_at();
