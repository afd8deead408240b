-- Feature flags live on the tenant row, so the registry cache carries them and the existing
-- NOTIFY trigger makes a change reach every replica within a second.
alter table platform.tenants
    add column flags jsonb not null default '{}',
    add column forced_flags jsonb not null default '{}';
