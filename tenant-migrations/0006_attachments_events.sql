-- Tools: attachments (files in object storage, metadata here), calendar events with attendees,
-- and the secret calendar-feed URLs (iCal) users subscribe to.

create table attachments (
    id uuid primary key,
    -- The name as uploaded, cleaned of any path (never used to build a path or a key).
    file_name text not null,
    -- Checked against the bytes at upload: the type served on download.
    content_type text not null,
    size_bytes bigint not null,
    -- Hex SHA-256 of the content.
    sha256 text not null,
    description text,
    -- Optional link to what the file belongs to (a note, a task, an aircraft, ...).
    resource_type text,
    resource_id uuid,
    uploaded_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint attachments_file_name_check check (char_length(file_name) between 1 and 255),
    constraint attachments_content_type_check check (char_length(content_type) <= 127),
    constraint attachments_size_bytes_check check (size_bytes >= 0),
    constraint attachments_sha256_check check (sha256 ~ '^[0-9a-f]{64}$'),
    constraint attachments_description_check check (char_length(description) <= 2000),
    constraint attachments_resource_type_check check (resource_type ~ '^[a-z][a-z_]{0,39}$'),
    constraint attachments_resource_check check ((resource_type is null) = (resource_id is null))
);
create index attachments_resource_idx on attachments (resource_type, resource_id);
create trigger attachments_updated_at before update on attachments
    for each row execute function set_updated_at();

create table events (
    id uuid primary key,
    title text not null,
    description text,
    location text,
    all_day boolean not null default false,
    -- Timed events: the instants. All-day events: the first and last day (inclusive) in
    -- start_date / end_date, and starts_at / ends_at span those days in the tenant's time zone
    -- at the time of writing, so one range query finds both kinds.
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    start_date date,
    end_date date,
    organizer_id uuid references users (id) on delete set null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint events_title_check check (char_length(title) between 1 and 200),
    constraint events_description_check check (char_length(description) <= 10000),
    constraint events_location_check check (char_length(location) <= 200),
    constraint events_ends_at_check check (ends_at > starts_at),
    constraint events_end_date_check check (
        (all_day and start_date is not null and end_date >= start_date)
        or (not all_day and start_date is null and end_date is null))
);
create index events_starts_idx on events (starts_at);
create index events_ends_idx on events (ends_at);
create trigger events_updated_at before update on events
    for each row execute function set_updated_at();

create table event_attendees (
    event_id uuid not null references events (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (event_id, user_id)
);
create index event_attendees_user_idx on event_attendees (user_id);

create table calendar_feeds (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    -- What the feed shows: 'events' (the user's calendar events); later domains add kinds
    -- (bookings of a user, of an aircraft) with their subject in subject_id.
    kind text not null,
    subject_id uuid,
    -- SHA-256 of the secret part of the URL; the URL itself is shown once and never stored.
    token_hash bytea not null,
    last_used_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint calendar_feeds_kind_check check (kind ~ '^[a-z][a-z_]{0,39}$'),
    constraint calendar_feeds_token_hash_key unique (token_hash)
);
-- One live feed per user, kind and subject: issuing a new one revokes the old.
create unique index calendar_feeds_live_key on calendar_feeds
    (user_id, kind, coalesce(subject_id, '00000000-0000-0000-0000-000000000000'))
    where revoked_at is null;
create trigger calendar_feeds_updated_at before update on calendar_feeds
    for each row execute function set_updated_at();
