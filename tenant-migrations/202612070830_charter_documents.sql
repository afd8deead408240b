-- Trip documents (docs/charter.md, "Trip documents"): each generated PDF kept as a version
-- (the quote, the itinerary, the General Declaration, the passenger manifest), with an access
-- log of who downloaded which. Unqualified names: this runs inside every tenant schema.
create table charter_trip_documents (
    id uuid primary key,
    trip_id uuid not null references charter_trips (id) on delete cascade,
    kind text not null,
    -- 1, 2, ... per trip and kind.
    version integer not null,
    pdf bytea not null,
    sha256 bytea not null,
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    unique (trip_id, kind, version),
    constraint charter_trip_documents_kind_check check (kind in
        ('quote', 'itinerary', 'general_declaration', 'passenger_manifest')),
    constraint charter_trip_documents_size_check check (octet_length(pdf) <= 10485760)
);

create table charter_document_access (
    id uuid primary key,
    document_id uuid not null references charter_trip_documents (id) on delete cascade,
    user_id uuid references users (id) on delete set null,
    action text not null,
    at timestamptz not null default now(),
    ip text,
    constraint charter_document_access_action_check check (action in ('generated', 'downloaded'))
);
create index charter_document_access_document on charter_document_access (document_id, at);
