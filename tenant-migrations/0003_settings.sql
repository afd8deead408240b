-- Tenant settings: key/value (any JSON), validated in code where the key is known.

create table settings (
    id uuid not null,
    key text primary key,
    value jsonb not null,
    description text,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint settings_id_key unique (id),
    constraint settings_key_check check (key ~ '^[a-z][a-z0-9_.]{0,99}$'),
    constraint settings_description_check check (char_length(description) <= 2000)
);
create trigger settings_updated_at before update on settings
    for each row execute function set_updated_at();
