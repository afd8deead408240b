-- The platform schema: the tenant registry and what provisioning and migration need.
-- Platform SQL is always schema-qualified (DESIGN §3).

create schema if not exists platform;

-- The application's default search_path names this schema, which stays empty: a query that
-- forgot its tenant fails with "relation does not exist" instead of reading anything.
create schema if not exists fl_none;
revoke all on schema fl_none from public;

create or replace function platform.set_updated_at() returns trigger
language plpgsql as $$
begin
    new.updated_at = now();
    return new;
end
$$;

create table platform.tenants (
    id uuid primary key,
    slug text not null,
    name text not null,
    kind text not null,
    -- provisioning -> active <-> past_due / suspended -> archived
    status text not null default 'provisioning',
    plan text not null,
    -- Made by the server from the id (t_<hex>), never from a request; never renamed.
    schema_name text not null,
    -- Highest tenant migration applied inside the schema (0 while provisioning).
    schema_version integer not null default 0,
    trial_ends_at timestamptz,
    -- What a retried provisioning needs (admin e-mail, name, password hash); null once active.
    provisioning jsonb,
    provisioning_error text,
    last_migration_error text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint tenants_slug_key unique (slug),
    constraint tenants_schema_name_key unique (schema_name),
    constraint tenants_slug_check check (slug ~ '^[a-z][a-z0-9-]{2,39}$'),
    constraint tenants_name_check check (char_length(name) between 1 and 200),
    constraint tenants_kind_check check (kind in ('flight_school', 'charter_operator', 'fbo')),
    constraint tenants_status_check
        check (status in ('provisioning', 'active', 'past_due', 'suspended', 'archived')),
    constraint tenants_schema_name_check check (schema_name ~ '^t_[0-9a-f]{32}$')
);

create index tenants_status_idx on platform.tenants (status, schema_version);

create trigger tenants_updated_at before update on platform.tenants
    for each row execute function platform.set_updated_at();

-- Every replica LISTENs on this channel and drops its cached copy of the tenant, so status,
-- plan and slug changes take effect everywhere within a second, whoever made them.
create or replace function platform.notify_tenant_change() returns trigger
language plpgsql as $$
begin
    perform pg_notify('flightline_tenants', coalesce(new.id, old.id)::text);
    return null;
end
$$;

create trigger tenants_notify after update or delete on platform.tenants
    for each row execute function platform.notify_tenant_change();

-- Ready-made schemas at a known tenant migration version; signup claims one by renaming it.
create table platform.warm_schemas (
    schema_name text primary key,
    schema_version integer not null,
    created_at timestamptz not null default now(),
    constraint warm_schemas_schema_name_check check (schema_name ~ '^w_[0-9a-f]{32}$')
);
