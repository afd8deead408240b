-- Platform operators (the people who run Flightline; never tenant users), their audit log,
-- plan limits per tenant, Stripe billing state, tenant archives, signup abuse limits, and a
-- small job queue for work that retries (Stripe calls).

create table platform.operators (
    id uuid primary key,
    email text not null,
    name text not null,
    -- argon2id PHC string.
    password_hash text not null,
    -- owner: everything; support: read-only.
    role text not null,
    is_active boolean not null default true,
    failed_logins integer not null default 0,
    locked_until timestamptz,
    last_login_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint operators_email_check check (email ~ '^[^@\s]+@[^@\s]+$' and char_length(email) <= 254),
    constraint operators_name_check check (char_length(name) between 1 and 200),
    constraint operators_role_check check (role in ('owner', 'support'))
);
create unique index operators_email_key on platform.operators (lower(email));
create trigger operators_updated_at before update on platform.operators
    for each row execute function platform.set_updated_at();

-- An operator's login: access tokens name it (`sid`), logout or deactivation revokes it.
create table platform.operator_sessions (
    id uuid primary key,
    operator_id uuid not null references platform.operators (id) on delete cascade,
    expires_at timestamptz not null,
    revoked_at timestamptz,
    created_at timestamptz not null default now()
);
create index operator_sessions_operator_idx on platform.operator_sessions (operator_id);

-- Every operator action, written in the same transaction as the action where there is one.
create table platform.audit_logs (
    id uuid primary key,
    operator_id uuid references platform.operators (id) on delete set null,
    -- operator, stripe (webhooks), system (jobs)
    actor_type text not null,
    action text not null,
    tenant_id uuid,
    resource_type text not null,
    resource_id text,
    before jsonb,
    after jsonb,
    request_id text,
    ip text,
    user_agent text,
    created_at timestamptz not null default now()
);
create index platform_audit_logs_tenant_idx on platform.audit_logs (tenant_id, id);
create index platform_audit_logs_operator_idx on platform.audit_logs (operator_id, id);

-- Plan limits the operator set for one tenant over its plan's ({"users": 25, "aircraft": 10}),
-- and why a tenant is suspended (operator or billing), so paying again resumes only a tenant
-- that billing suspended.
alter table platform.tenants
    add column limits jsonb not null default '{}',
    add column status_reason text,
    -- The first administrator's e-mail and when they confirmed it (signup abuse limits).
    add column admin_email text,
    add column admin_verified_at timestamptz,
    add constraint tenants_status_reason_check
        check (status_reason is null or status_reason in ('operator', 'billing', 'trial_ended'));

-- Stripe state per tenant.
create table platform.billing (
    tenant_id uuid primary key references platform.tenants (id) on delete cascade,
    customer_id text,
    subscription_id text,
    price_id text,
    -- Stripe's subscription status (trialing, active, past_due, canceled, ...) or `none`.
    subscription_status text not null default 'none',
    current_period_end timestamptz,
    -- past_due until this time, then suspended.
    grace_until timestamptz,
    -- `created` of the newest event applied: older events arriving late change nothing.
    last_event_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint billing_customer_id_key unique (customer_id),
    constraint billing_subscription_id_key unique (subscription_id)
);
create trigger billing_updated_at before update on platform.billing
    for each row execute function platform.set_updated_at();

-- Each Stripe event id is handled once, however often Stripe delivers it.
create table platform.stripe_events (
    id text primary key,
    type text not null,
    tenant_id uuid,
    -- applied, ignored (nothing to do or older than the state), unknown_tenant
    outcome text not null,
    created_at timestamptz not null,
    received_at timestamptz not null default now()
);

-- Jobs that call out and retry with backoff (Stripe customer creation), each with a stable
-- idempotency key so a retry never does the work twice at the far end.
create table platform.jobs (
    id uuid primary key,
    tenant_id uuid,
    kind text not null,
    payload jsonb not null default '{}',
    idempotency_key text not null,
    attempts integer not null default 0,
    run_at timestamptz not null default now(),
    done_at timestamptz,
    last_error text,
    created_at timestamptz not null default now(),
    constraint jobs_idempotency_key_key unique (idempotency_key)
);
create index jobs_pending_idx on platform.jobs (run_at) where done_at is null;

-- Archives of tenant schemas (pg_dump, custom format) kept in object storage.
create table platform.tenant_archives (
    id uuid primary key,
    tenant_id uuid not null references platform.tenants (id) on delete cascade,
    object_key text not null,
    size_bytes bigint not null,
    sha256 text not null,
    schema_version integer not null,
    restored_at timestamptz,
    created_at timestamptz not null default now()
);
create index tenant_archives_tenant_idx on platform.tenant_archives (tenant_id, created_at);
