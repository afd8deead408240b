-- The mail outbox: written in the same transaction as the change that causes the mail, drained
-- by a background worker with retries and backoff, so a request never waits on SMTP and an SMTP
-- outage loses nothing. Rows carry their tenant.

create table platform.mail_outbox (
    id uuid primary key,
    tenant_id uuid not null,
    to_address text not null,
    subject text not null,
    body_text text not null,
    body_html text not null,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    sent_at timestamptz,
    last_error text,
    created_at timestamptz not null default now()
);

create index mail_outbox_pending_idx on platform.mail_outbox (next_attempt_at)
    where sent_at is null;
