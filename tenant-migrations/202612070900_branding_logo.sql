-- The organisation's logo (docs/settings.md, "Branding"): at most one, printed on the documents
-- the organisation issues (charter quotes, itineraries, General Declarations, manifests).
-- Unqualified names: this runs inside every tenant schema.
create table branding_logo (
    singleton boolean primary key default true check (singleton),
    content_type text not null check (content_type in ('image/png', 'image/jpeg')),
    data bytea not null check (octet_length(data) between 1 and 524288),
    sha256 bytea not null check (octet_length(sha256) = 32),
    width integer not null check (width between 1 and 4096),
    height integer not null check (height between 1 and 4096),
    updated_by uuid references users (id) on delete set null,
    updated_at timestamptz not null default now()
);
