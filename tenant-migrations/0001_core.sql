-- Core tables of every tenant schema: identity, audit and notes.
-- Unqualified names: the runner sets a transaction-local search_path to the tenant schema.
-- No custom types (DESIGN §3): text + check constraints only.

create function set_updated_at() returns trigger
language plpgsql as $$
begin
    new.updated_at = now();
    return new;
end
$$;

create table users (
    id uuid primary key,
    email text not null,
    name text not null,
    -- argon2id PHC string; null until an invited user sets a password.
    password_hash text,
    is_active boolean not null default true,
    email_verified_at timestamptz,
    failed_logins integer not null default 0,
    locked_until timestamptz,
    last_login_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint users_email_check check (email ~ '^[^@\s]+@[^@\s]+$' and char_length(email) <= 254),
    constraint users_name_check check (char_length(name) between 1 and 200)
);
create unique index users_email_key on users (lower(email));
create trigger users_updated_at before update on users
    for each row execute function set_updated_at();

create table roles (
    id uuid primary key,
    name text not null,
    description text,
    -- Permission names from the catalogue in code (src/auth/permissions.rs).
    permissions text[] not null default '{}',
    -- Seeded for the tenant kind; cannot be deleted.
    is_system boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint roles_name_check check (char_length(name) between 1 and 100)
);
create unique index roles_name_key on roles (lower(name));
create trigger roles_updated_at before update on roles
    for each row execute function set_updated_at();

create table user_roles (
    user_id uuid not null references users (id) on delete cascade,
    role_id uuid not null references roles (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (user_id, role_id)
);
create index user_roles_role_idx on user_roles (role_id);

create table sessions (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    -- SHA-256 of the opaque refresh token; the token itself is never stored.
    refresh_token_hash bytea not null,
    ip text,
    user_agent text,
    expires_at timestamptz not null,
    revoked_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index sessions_user_idx on sessions (user_id);
create trigger sessions_updated_at before update on sessions
    for each row execute function set_updated_at();

create table audit_logs (
    -- UUIDv7: time-ordered, so id order is creation order (keyset pagination).
    id uuid primary key,
    actor_id uuid,
    actor_type text not null,
    action text not null,
    resource_type text not null,
    resource_id text,
    before jsonb,
    after jsonb,
    request_id text,
    ip text,
    user_agent text,
    created_at timestamptz not null default now(),
    constraint audit_logs_actor_type_check
        check (actor_type in ('user', 'api_key', 'platform', 'system'))
);
create index audit_logs_resource_idx on audit_logs (resource_type, resource_id);
create index audit_logs_created_idx on audit_logs (created_at);

create table notes (
    -- UUIDv7, newest first by id.
    id uuid primary key,
    title text not null,
    body text,
    pinned boolean not null default false,
    author_id uuid references users (id) on delete set null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint notes_title_check check (char_length(title) between 1 and 200),
    constraint notes_body_check check (char_length(body) <= 100000)
);
create index notes_author_idx on notes (author_id);
create trigger notes_updated_at before update on notes
    for each row execute function set_updated_at();
