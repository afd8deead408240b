-- Finance: customer accounts, tax rates and the price list, invoices and credit notes, payments,
-- refunds and the double-entry ledger (docs/finance.md). Money is bigint minor units of an ISO
-- 4217 currency; quantities are thousandths (1.3 hours = 1300). Every balance the API shows is a
-- sum of ledger lines; ledger rows are never updated or deleted.

-- Anyone the tenant bills: a person (linked to a user or not) or an organisation.
create table finance_accounts (
    id uuid primary key,
    kind text not null,
    name text not null,
    email text,
    user_id uuid unique references users (id) on delete restrict,
    currency text not null,
    -- How far the balance may go below zero before dispatch's balance rule speaks.
    credit_limit_minor bigint not null default 0,
    -- Days from issue to due date for this account's invoices (0: due on receipt).
    payment_terms_days integer not null default 0,
    -- A price tier (for example `member`): price items of that tier win over untiered ones.
    price_tier text,
    notes text,
    archived_at timestamptz,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint finance_accounts_kind_check check (kind in ('person', 'organization')),
    constraint finance_accounts_name_check check (char_length(name) between 1 and 200),
    constraint finance_accounts_email_check check (char_length(email) <= 254),
    constraint finance_accounts_currency_check check (currency ~ '^[A-Z]{3}$'),
    constraint finance_accounts_credit_check check (credit_limit_minor between 0 and 100000000000),
    constraint finance_accounts_terms_check check (payment_terms_days between 0 and 365),
    constraint finance_accounts_tier_check check (price_tier ~ '^[a-z][a-z0-9_-]{0,39}$'),
    constraint finance_accounts_notes_check check (char_length(notes) <= 10000)
);
create index finance_accounts_name on finance_accounts (lower(name), id);
create trigger finance_accounts_updated_at before update on finance_accounts
    for each row execute function set_updated_at();

-- Tax rates in parts per million (7.5 % = 75000), inclusive (the price contains the tax) or
-- exclusive (added on top).
create table tax_rates (
    id uuid primary key,
    name text not null unique,
    rate_ppm integer not null,
    inclusive boolean not null default false,
    active boolean not null default true,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint tax_rates_name_check check (char_length(name) between 1 and 100),
    constraint tax_rates_rate_check check (rate_ppm between 0 and 1000000)
);
create trigger tax_rates_updated_at before update on tax_rates
    for each row execute function set_updated_at();

-- The price list. `category` is the revenue category a sale books to; `unit` what a quantity
-- counts. An aircraft price names its aircraft (and whether it is wet); an instructor price may
-- name one instructor (none: the default rate). `applies_at` adds the item by itself to the
-- invoice drafted at check-in, or to a late cancellation.
create table price_items (
    id uuid primary key,
    code text not null unique,
    name text not null,
    category text not null,
    unit text not null,
    unit_price_minor bigint not null,
    currency text not null,
    aircraft_id uuid references aircraft (id) on delete restrict,
    instructor_id uuid references users (id) on delete restrict,
    wet boolean,
    price_tier text,
    applies_at text,
    tax_rate_ids uuid[] not null default '{}',
    active boolean not null default true,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint price_items_code_check check (code ~ '^[a-z0-9][a-z0-9_.-]{0,39}$'),
    constraint price_items_name_check check (char_length(name) between 1 and 200),
    constraint price_items_category_check check (category in
        ('aircraft', 'instructor', 'simulator', 'fee', 'fuel', 'charter', 'handling', 'membership',
         'discount', 'other')),
    constraint price_items_unit_check check (unit in
        ('hobbs_hour', 'tach_hour', 'block_hour', 'hour', 'each', 'gallon', 'liter', 'day')),
    constraint price_items_price_check check (
        unit_price_minor between -100000000000 and 100000000000
        and (unit_price_minor >= 0) = (category <> 'discount')),
    constraint price_items_currency_check check (currency ~ '^[A-Z]{3}$'),
    constraint price_items_wet_check check ((wet is null) or category = 'aircraft'),
    constraint price_items_tier_check check (price_tier ~ '^[a-z][a-z0-9_-]{0,39}$'),
    constraint price_items_applies_check check (applies_at in ('check_in', 'late_cancellation')),
    constraint price_items_taxes_check check (cardinality(tax_rate_ids) <= 5)
);
create index price_items_aircraft on price_items (aircraft_id) where aircraft_id is not null;
create trigger price_items_updated_at before update on price_items
    for each row execute function set_updated_at();

-- Invoices and credit notes. A draft has no number; issuing gives it the next number of the
-- year, gapless (invoice_sequences), and freezes it. `source_type`/`source_id` name what it
-- charges for (a booking, a flight, a trip, a fuel order): one live invoice per source.
create table invoices (
    id uuid primary key,
    kind text not null default 'invoice',
    account_id uuid not null references finance_accounts (id) on delete restrict,
    credited_invoice_id uuid references invoices (id) on delete restrict,
    status text not null default 'draft',
    number text unique,
    currency text not null,
    subtotal_minor bigint not null default 0,
    tax_minor bigint not null default 0,
    total_minor bigint not null default 0,
    source_type text,
    source_id uuid,
    issue_date date,
    due_date date,
    issued_at timestamptz,
    voided_at timestamptz,
    void_reason text,
    notes text,
    public_token_hash bytea unique,
    created_by uuid references users (id) on delete set null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint invoices_kind_check check (kind in ('invoice', 'credit_note')),
    constraint invoices_credit_check check ((kind = 'credit_note') = (credited_invoice_id is not null)),
    constraint invoices_status_check check (status in ('draft', 'issued', 'partly_paid', 'paid', 'void')),
    constraint invoices_number_check check (
        (status = 'draft' and number is null and issued_at is null)
        or (status in ('issued', 'partly_paid', 'paid') and number is not null and issued_at is not null)
        or status = 'void'),
    constraint invoices_currency_check check (currency ~ '^[A-Z]{3}$'),
    constraint invoices_totals_check check (total_minor = subtotal_minor + tax_minor),
    constraint invoices_source_check check ((source_type is null) = (source_id is null)),
    constraint invoices_source_type_check check (source_type ~ '^[a-z][a-z_]{0,39}$'),
    constraint invoices_notes_check check (char_length(notes) <= 10000),
    constraint invoices_void_reason_check check (char_length(void_reason) <= 1000)
);
create unique index invoices_one_per_source on invoices (source_type, source_id)
    where kind = 'invoice' and status <> 'void';
create index invoices_account on invoices (account_id, created_at desc);
create index invoices_open on invoices (due_date) where status in ('issued', 'partly_paid');
create index invoices_credited on invoices (credited_invoice_id) where credited_invoice_id is not null;
create trigger invoices_updated_at before update on invoices
    for each row execute function set_updated_at();

-- An issued invoice is frozen: only its status (as payments arrive or it is voided), its public
-- link and the void fields may change.
create function invoices_frozen() returns trigger language plpgsql as $$
begin
    if old.status <> 'draft' and (
        new.account_id, new.kind, new.number, new.currency, new.subtotal_minor, new.tax_minor,
        new.total_minor, new.issue_date, new.due_date, new.issued_at, new.source_type,
        new.source_id, new.credited_invoice_id, new.notes
    ) is distinct from (
        old.account_id, old.kind, old.number, old.currency, old.subtotal_minor, old.tax_minor,
        old.total_minor, old.issue_date, old.due_date, old.issued_at, old.source_type,
        old.source_id, old.credited_invoice_id, old.notes
    ) then
        raise exception 'invoice % is issued and cannot change', old.id using errcode = '55000';
    end if;
    if old.status = 'void' and new.status <> 'void' then
        raise exception 'invoice % is void', old.id using errcode = '55000';
    end if;
    return new;
end $$;
create trigger invoices_frozen before update on invoices
    for each row execute function invoices_frozen();

create table invoice_lines (
    id uuid primary key,
    invoice_id uuid not null references invoices (id) on delete cascade,
    line_no integer not null,
    description text not null,
    category text not null,
    price_item_id uuid references price_items (id) on delete set null,
    aircraft_id uuid references aircraft (id) on delete restrict,
    instructor_id uuid references users (id) on delete restrict,
    unit text not null,
    quantity_milli bigint not null,
    unit_price_minor bigint not null,
    -- quantity x unit price, rounded half away from zero; net + tax = amount + exclusive tax.
    amount_minor bigint not null,
    net_minor bigint not null,
    tax_minor bigint not null,
    -- The line this one credits (credit notes).
    credits_line_id uuid references invoice_lines (id) on delete restrict,
    constraint invoice_lines_description_check check (char_length(description) between 1 and 500),
    constraint invoice_lines_category_check check (category in
        ('aircraft', 'instructor', 'simulator', 'fee', 'fuel', 'charter', 'handling', 'membership',
         'discount', 'other')),
    constraint invoice_lines_unit_check check (unit in
        ('hobbs_hour', 'tach_hour', 'block_hour', 'hour', 'each', 'gallon', 'liter', 'day')),
    constraint invoice_lines_quantity_check check (quantity_milli between 1 and 1000000000),
    constraint invoice_lines_price_check check (unit_price_minor between -100000000000 and 100000000000),
    unique (invoice_id, line_no)
);
create index invoice_lines_aircraft on invoice_lines (aircraft_id) where aircraft_id is not null;
create index invoice_lines_instructor on invoice_lines (instructor_id) where instructor_id is not null;

-- The taxes of a line, as they were when it was written (name and rate copied).
create table invoice_line_taxes (
    line_id uuid not null references invoice_lines (id) on delete cascade,
    tax_rate_id uuid not null references tax_rates (id) on delete restrict,
    name text not null,
    rate_ppm integer not null,
    inclusive boolean not null,
    amount_minor bigint not null,
    primary key (line_id, tax_rate_id)
);

-- Lines of an issued invoice are frozen with it.
create function invoice_lines_frozen() returns trigger language plpgsql as $$
begin
    if exists (select 1 from invoices i
               where i.id in (old.invoice_id, new.invoice_id) and i.status <> 'draft') then
        raise exception 'the lines of an issued invoice cannot change' using errcode = '55000';
    end if;
    return coalesce(new, old);
end $$;
create trigger invoice_lines_frozen before insert or update or delete on invoice_lines
    for each row execute function invoice_lines_frozen();
create function invoice_line_taxes_frozen() returns trigger language plpgsql as $$
begin
    if exists (select 1 from invoice_lines l join invoices i on i.id = l.invoice_id
               where l.id in (old.line_id, new.line_id) and i.status <> 'draft') then
        raise exception 'the lines of an issued invoice cannot change' using errcode = '55000';
    end if;
    return coalesce(new, old);
end $$;
create trigger invoice_line_taxes_frozen before insert or update or delete on invoice_line_taxes
    for each row execute function invoice_line_taxes_frozen();

-- The next number per year: the row is locked by the issuing transaction, so numbers are
-- gapless (a rolled-back issue gives its number back) and never shared.
create table invoice_sequences (
    year integer primary key,
    next_number bigint not null,
    constraint invoice_sequences_next_check check (next_number >= 1)
);

-- Money received: cash, cheque, bank transfer, or a card through the tenant's Stripe account.
create table payments (
    id uuid primary key,
    account_id uuid not null references finance_accounts (id) on delete restrict,
    method text not null,
    amount_minor bigint not null,
    currency text not null,
    received_on date not null,
    reference text,
    notes text,
    -- The invoice the payer meant to pay (the rest goes to the account's deposit).
    invoice_id uuid references invoices (id) on delete restrict,
    stripe_checkout_session_id text unique,
    stripe_payment_intent_id text unique,
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    constraint payments_method_check check (method in ('cash', 'cheque', 'bank_transfer', 'card', 'other')),
    constraint payments_amount_check check (amount_minor between 1 and 100000000000),
    constraint payments_currency_check check (currency ~ '^[A-Z]{3}$'),
    constraint payments_reference_check check (char_length(reference) <= 200),
    constraint payments_notes_check check (char_length(notes) <= 10000)
);
create index payments_account on payments (account_id, created_at desc);

create table refunds (
    id uuid primary key,
    payment_id uuid not null references payments (id) on delete restrict,
    amount_minor bigint not null,
    reason text,
    stripe_refund_id text unique,
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    constraint refunds_amount_check check (amount_minor between 1 and 100000000000),
    constraint refunds_reason_check check (char_length(reason) <= 1000)
);
create index refunds_payment on refunds (payment_id);

-- The ledger. A transaction is one money movement; its lines sum to zero per currency (checked
-- when it commits). Debits are positive, credits negative. Ledgers: receivables and deposits
-- (per customer account; deposits are a liability, so a customer's credit is negative),
-- revenue (per category), tax_payable (per tax rate), cash, bank, stripe_clearing.
create table ledger_transactions (
    id uuid primary key,
    kind text not null,
    account_id uuid references finance_accounts (id) on delete restrict,
    invoice_id uuid references invoices (id) on delete restrict,
    payment_id uuid references payments (id) on delete restrict,
    refund_id uuid references refunds (id) on delete restrict,
    memo text not null,
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    constraint ledger_transactions_kind_check check (kind in
        ('invoice_issued', 'invoice_voided', 'credit_note_issued', 'payment_received',
         'deposit_applied', 'deposit_unapplied', 'refund_paid')),
    constraint ledger_transactions_memo_check check (char_length(memo) between 1 and 500)
);
create table ledger_lines (
    id bigint generated always as identity primary key,
    transaction_id uuid not null references ledger_transactions (id) on delete restrict,
    ledger text not null,
    category text,
    tax_rate_id uuid references tax_rates (id) on delete restrict,
    customer_account_id uuid references finance_accounts (id) on delete restrict,
    invoice_id uuid references invoices (id) on delete restrict,
    amount_minor bigint not null,
    currency text not null,
    created_at timestamptz not null default now(),
    constraint ledger_lines_ledger_check check (ledger in
        ('receivables', 'deposits', 'revenue', 'tax_payable', 'cash', 'bank', 'stripe_clearing')),
    constraint ledger_lines_amount_check check (amount_minor <> 0),
    constraint ledger_lines_customer_check check (
        (ledger in ('receivables', 'deposits')) = (customer_account_id is not null)),
    constraint ledger_lines_invoice_check check (ledger = 'receivables' or invoice_id is null),
    constraint ledger_lines_category_check check ((ledger = 'revenue') = (category is not null)),
    constraint ledger_lines_tax_check check ((ledger = 'tax_payable') = (tax_rate_id is not null))
);
create index ledger_lines_customer on ledger_lines (customer_account_id, id)
    where customer_account_id is not null;
create index ledger_lines_invoice on ledger_lines (invoice_id) where invoice_id is not null;
create index ledger_lines_transaction on ledger_lines (transaction_id);
create index ledger_lines_revenue on ledger_lines (created_at) where ledger = 'revenue';

create function ledger_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'ledger rows are never changed or deleted' using errcode = '55000';
end $$;
create trigger ledger_transactions_immutable before update or delete on ledger_transactions
    for each row execute function ledger_immutable();
create trigger ledger_lines_immutable before update or delete on ledger_lines
    for each row execute function ledger_immutable();

-- Each transaction balances, per currency, when the writing transaction commits.
create function ledger_balanced() returns trigger language plpgsql as $$
begin
    if exists (
        select 1 from ledger_lines where transaction_id = new.transaction_id
        group by currency having sum(amount_minor) <> 0
    ) then
        raise exception 'ledger transaction % does not balance', new.transaction_id
            using errcode = '23514';
    end if;
    return null;
end $$;
create constraint trigger ledger_lines_balanced after insert on ledger_lines
    deferrable initially deferred for each row execute function ledger_balanced();

-- Idempotency keys of money-creating POSTs (API.md §1): per user, the first result is replayed.
create table finance_idempotency (
    user_id uuid not null references users (id) on delete cascade,
    key text not null,
    body_hash bytea not null,
    resource_id uuid not null,
    created_at timestamptz not null default now(),
    primary key (user_id, key)
);
