-- FBO fuel farm (docs/fbo.md, "Fuel farm"): storage tanks and refueller trucks with their own
-- inventory, every movement of fuel (level readings, deliveries with lot and quality records,
-- dispensing, transfers from a tank to a truck) and the daily quality checks. Volumes are kept
-- in litres; the API speaks the tenant's fuel unit. The computed inventory of a tank is its last
-- reading plus what came in minus what went out since (docs/fbo.md). Unqualified names: this
-- runs inside every tenant schema.
create table fbo_fuel_tanks (
    id uuid primary key,
    airport_code text not null check (airport_code ~ '^[A-Z0-9-]{2,10}$'),
    name text not null check (length(name) between 1 and 100),
    kind text not null check (kind in ('storage', 'truck')),
    product text not null check (product in ('jet_a', 'avgas_100ll', 'saf', 'mogas')),
    capacity_l numeric(12, 1) not null check (capacity_l > 0),
    low_level_l numeric(12, 1) not null default 0 check (low_level_l >= 0),
    active boolean not null default true,
    notes text check (length(notes) <= 2000),
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (airport_code, name),
    check (low_level_l <= capacity_l)
);
create trigger fbo_fuel_tanks_updated_at before update on fbo_fuel_tanks
    for each row execute function set_updated_at();

create table fbo_fuel_movements (
    id uuid primary key,
    tank_id uuid not null references fbo_fuel_tanks (id),
    -- reading: the level measured; receipt, transfer_in: in; dispense, transfer_out: out.
    kind text not null
        check (kind in ('reading', 'receipt', 'dispense', 'transfer_in', 'transfer_out')),
    at timestamptz not null,
    quantity_l numeric(12, 1) not null check (quantity_l >= 0),
    method text check (method in ('dip', 'gauge')),
    lot_number text check (length(lot_number) between 1 and 50),
    supplier text check (length(supplier) between 1 and 200),
    density_kg_m3 integer check (density_kg_m3 between 600 and 900),
    -- The two halves of a transfer share it; each names the other tank.
    transfer_id uuid,
    other_tank_id uuid references fbo_fuel_tanks (id),
    flight_id uuid references fbo_flights (id) on delete set null,
    notes text check (length(notes) <= 2000),
    recorded_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    check ((kind = 'reading') = (method is not null)),
    check ((kind = 'receipt') = (lot_number is not null)),
    check ((kind in ('transfer_in', 'transfer_out')) = (transfer_id is not null))
);
create index fbo_fuel_movements_tank_at on fbo_fuel_movements (tank_id, at, id);

create table fbo_fuel_quality_checks (
    id uuid primary key,
    tank_id uuid not null references fbo_fuel_tanks (id),
    kind text not null check (kind in ('sump', 'water', 'visual', 'filter')),
    result text not null check (result in ('pass', 'fail')),
    at timestamptz not null,
    notes text check (length(notes) <= 2000),
    recorded_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now()
);
create index fbo_fuel_quality_checks_tank_at on fbo_fuel_quality_checks (tank_id, at desc, id desc);
