-- Tools: tasks and call logs.

create table tasks (
    id uuid primary key,
    title text not null,
    description text,
    status text not null default 'open',
    priority text not null default 'normal',
    due_at timestamptz,
    assignee_id uuid references users (id) on delete set null,
    created_by uuid references users (id) on delete set null,
    completed_at timestamptz,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint tasks_title_check check (char_length(title) between 1 and 200),
    constraint tasks_description_check check (char_length(description) <= 10000),
    constraint tasks_status_check check (status in ('open', 'in_progress', 'done', 'cancelled')),
    constraint tasks_priority_check check (priority in ('low', 'normal', 'high', 'urgent'))
);
create index tasks_status_idx on tasks (status);
create index tasks_assignee_idx on tasks (assignee_id);
create index tasks_due_idx on tasks (due_at) where status in ('open', 'in_progress');
create trigger tasks_updated_at before update on tasks
    for each row execute function set_updated_at();

create table call_logs (
    id uuid primary key,
    contact_name text not null,
    phone text,
    direction text not null,
    occurred_at timestamptz not null,
    duration_seconds integer,
    summary text,
    logged_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint call_logs_contact_name_check check (char_length(contact_name) between 1 and 200),
    constraint call_logs_phone_check check (char_length(phone) <= 50),
    constraint call_logs_direction_check check (direction in ('inbound', 'outbound')),
    constraint call_logs_duration_seconds_check check (duration_seconds between 0 and 86400),
    constraint call_logs_summary_check check (char_length(summary) <= 10000)
);
create index call_logs_occurred_idx on call_logs (occurred_at);
create trigger call_logs_updated_at before update on call_logs
    for each row execute function set_updated_at();
