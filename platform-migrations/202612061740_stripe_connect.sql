-- Stripe Connect: each tenant may take card payments through a Stripe account of its own (an
-- Express connected account of the platform). Stripe's Connect webhooks name the connected
-- account, never our tenant: this table is how an event finds its tenant, and the only place
-- the account's onboarding flags are kept.
create table platform.stripe_connected_accounts (
    -- Stripe's account id (`acct_...`).
    account_id text primary key,
    tenant_id uuid not null references platform.tenants (id) on delete cascade,
    -- Stripe's `charges_enabled` and `details_submitted`, refreshed from `account.updated`
    -- events and from reads of the account.
    charges_enabled boolean not null default false,
    details_submitted boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    -- One connected account per tenant.
    constraint stripe_connected_accounts_tenant_key unique (tenant_id),
    constraint stripe_connected_accounts_id_check check (account_id ~ '^acct_[A-Za-z0-9]{1,64}$')
);
create trigger stripe_connected_accounts_updated_at before update on platform.stripe_connected_accounts
    for each row execute function platform.set_updated_at();

-- Connect events share the event log with the platform's own (Stripe's event ids are unique
-- across both); `connect_account` is the connected account a Connect event came from.
alter table platform.stripe_events
    add column if not exists connect_account text;
