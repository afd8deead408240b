-- Tools: customer reviews (feedback with a 1-5 rating, moderated by status).

create table reviews (
    id uuid primary key,
    subject text not null,
    rating integer not null,
    comment text,
    reviewer_name text,
    reviewer_email text,
    status text not null default 'new',
    recorded_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint reviews_subject_check check (char_length(subject) between 1 and 200),
    constraint reviews_rating_check check (rating between 1 and 5),
    constraint reviews_comment_check check (char_length(comment) <= 10000),
    constraint reviews_reviewer_name_check check (char_length(reviewer_name) <= 200),
    constraint reviews_reviewer_email_check check (char_length(reviewer_email) <= 254),
    constraint reviews_status_check check (status in ('new', 'published', 'hidden', 'resolved'))
);
create index reviews_status_idx on reviews (status);
create trigger reviews_updated_at before update on reviews
    for each row execute function set_updated_at();
