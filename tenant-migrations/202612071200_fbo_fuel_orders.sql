-- FBO fuel dispatch, line staff training and the live feed (docs/fbo.md, "Fuel orders",
-- "Line staff training", "Live progress"). Unqualified names: this runs inside every tenant
-- schema.

-- A fuel price item may name the product it prices (finance's price list, docs/finance.md):
-- fuel orders are billed at the customer's tier of their product.
alter table price_items add column fuel_product text
    check (fuel_product in ('jet_a', 'avgas_100ll', 'saf', 'mogas'));
alter table price_items add constraint price_items_fuel_product_scope_check
    check (fuel_product is null or (category = 'fuel' and unit in ('gallon', 'liter')));
create index price_items_fuel_product on price_items (fuel_product) where fuel_product is not null;

create table fbo_fuel_orders (
    id uuid primary key,
    flight_id uuid not null references fbo_flights (id),
    product text not null check (product in ('jet_a', 'avgas_100ll', 'saf', 'mogas')),
    -- Litres asked for; none for a top-off.
    requested_l numeric(12, 1) check (requested_l > 0),
    top_off boolean not null default false,
    requested_for timestamptz not null,
    status text not null default 'requested'
        check (status in ('requested', 'assigned', 'en_route', 'fueling', 'completed', 'cancelled')),
    fueler_id uuid references users (id),
    truck_id uuid references fbo_fuel_tanks (id),
    -- The compliance outcome when the fueler was assigned over a warning (docs/fbo.md).
    assignment_warnings text[] not null default '{}',
    meter_start numeric(12, 1) check (meter_start >= 0),
    meter_stop numeric(12, 1) check (meter_stop >= 0),
    delivered_l numeric(12, 1) check (delivered_l > 0),
    movement_id uuid references fbo_fuel_movements (id),
    invoice_id uuid,
    unbilled_reason text check (unbilled_reason in ('no_customer', 'no_account', 'no_price')),
    assigned_at timestamptz,
    started_at timestamptz,
    completed_at timestamptz,
    cancelled_at timestamptz,
    cancel_reason text check (length(cancel_reason) between 1 and 500),
    notes text check (length(notes) <= 2000),
    version integer not null default 1,
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (top_off = (requested_l is null)),
    check (meter_stop >= meter_start),
    check ((status = 'completed') = (completed_at is not null)),
    check (status <> 'completed' or (delivered_l is not null and truck_id is not null)),
    check ((status = 'cancelled') = (cancel_reason is not null)),
    check (status in ('requested', 'cancelled') or fueler_id is not null)
);
create trigger fbo_fuel_orders_updated_at before update on fbo_fuel_orders
    for each row execute function set_updated_at();
create index fbo_fuel_orders_flight on fbo_fuel_orders (flight_id, requested_for, id);
create index fbo_fuel_orders_open on fbo_fuel_orders (requested_for, id)
    where status not in ('completed', 'cancelled');

-- The live feed of the FBO's board: every change of a fuel order, numbered, kept a day for
-- clients that reconnect with Last-Event-ID (older ones are pruned by the fbo job).
create table fbo_events (
    id bigint generated always as identity primary key,
    kind text not null,
    at timestamptz not null default now(),
    flight_id uuid,
    fuel_order_id uuid,
    data jsonb not null
);
create index fbo_events_at on fbo_events (at);

-- Training records of the line staff (fuel safety, fire safety, marshalling, towing).
create table fbo_training_records (
    id uuid primary key,
    user_id uuid not null references users (id),
    kind text not null check (kind in ('fuel_safety', 'fire_safety', 'marshalling', 'towing')),
    completed_on date not null,
    expires_on date,
    provider text check (length(provider) between 1 and 200),
    notes text check (length(notes) <= 2000),
    recorded_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    check (expires_on >= completed_on)
);
create index fbo_training_records_user on fbo_training_records (user_id, kind, completed_on desc);

-- The organisation's mode of each FBO rule (block, warn, off); a rule without a row blocks.
create table fbo_rules (
    rule text primary key,
    mode text not null check (mode in ('block', 'warn', 'off')),
    updated_at timestamptz not null default now()
);
