-- The tenant's data keys (src/host/crypto.rs): made on first use, kept only wrapped by the
-- master key of the configuration (AES-256-GCM, the tenant and key id as associated data).
-- Unqualified names: this runs inside every tenant schema.
create table data_keys (
    -- What the key protects: `personal` (health data of patients).
    purpose text primary key,
    id uuid not null unique,
    wrapped bytea not null,
    created_at timestamptz not null default now(),
    constraint data_keys_purpose_check check (purpose in ('personal'))
);
