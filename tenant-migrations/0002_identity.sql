-- Identity and access: profiles, teams, one-time tokens, refresh-token rotation, API keys.
-- Expand only: new columns are nullable or defaulted, new tables only.

alter table users
    add column phone text,
    add column department text,
    add column position text,
    add column avatar_url text,
    add column preferences jsonb not null default '{}',
    add constraint users_phone_check check (char_length(phone) <= 50),
    add constraint users_department_check check (char_length(department) <= 100),
    add constraint users_position_check check (char_length(position) <= 100),
    add constraint users_avatar_url_check check (char_length(avatar_url) <= 2000);

create table teams (
    id uuid primary key,
    name text not null,
    description text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint teams_name_check check (char_length(name) between 1 and 100),
    constraint teams_description_check check (char_length(description) <= 2000)
);
create unique index teams_name_key on teams (lower(name));
create trigger teams_updated_at before update on teams
    for each row execute function set_updated_at();

create table team_members (
    team_id uuid not null references teams (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (team_id, user_id)
);
create index team_members_user_idx on team_members (user_id);

-- Password reset, e-mail verification and invitation tokens: single use, expiring, only a
-- SHA-256 of the token is stored.
create table one_time_tokens (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    purpose text not null,
    token_hash bytea not null,
    expires_at timestamptz not null,
    used_at timestamptz,
    created_at timestamptz not null default now(),
    constraint one_time_tokens_purpose_check
        check (purpose in ('password_reset', 'email_verify', 'invitation'))
);
create unique index one_time_tokens_hash_key on one_time_tokens (token_hash);
create index one_time_tokens_user_idx on one_time_tokens (user_id, purpose);

-- Every refresh token ever issued for a session. Presenting a spent one is reuse: the whole
-- session is revoked.
create table refresh_tokens (
    token_hash bytea primary key,
    session_id uuid not null references sessions (id) on delete cascade,
    spent_at timestamptz,
    created_at timestamptz not null default now()
);
create index refresh_tokens_session_idx on refresh_tokens (session_id);

alter table sessions add column revoked_reason text;

create table api_keys (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    name text not null,
    -- Public part of the key (`flk_<prefix>_<secret>`), unique across the tenant.
    prefix text not null,
    -- SHA-256 of the secret part; the key itself is shown once and never stored.
    secret_hash bytea not null,
    -- Null: every permission of the owning user.
    permissions text[],
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint api_keys_name_check check (char_length(name) between 1 and 100)
);
create unique index api_keys_prefix_key on api_keys (prefix);
create index api_keys_user_idx on api_keys (user_id);
create trigger api_keys_updated_at before update on api_keys
    for each row execute function set_updated_at();
