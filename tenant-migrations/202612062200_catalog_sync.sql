-- The catalogue sync (docs/identity.md, "Seeded roles and the catalogue sync"): which system
-- roles and permission names of the catalogue in code this organisation has already been
-- offered. A role or permission declared after the tenant was provisioned is missing here, so
-- the sync creates the role or grants the permission to the system roles its manifest names
-- (and to admin) exactly once; one an administrator removed afterwards is here and stays
-- removed. Empty in a tenant provisioned before this table: the first sync records a baseline
-- (the permissions its admin role holds, the system roles it has). Unqualified names: this
-- runs inside every tenant schema.

create table catalog_offers (
    id uuid primary key,
    -- 'role': a system role name; 'permission': a permission name.
    item text not null,
    name text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint catalog_offers_item_check check (item in ('role', 'permission')),
    constraint catalog_offers_name_check check (char_length(name) between 1 and 100),
    constraint catalog_offers_item_name_key unique (item, name)
);
create trigger catalog_offers_updated_at before update on catalog_offers
    for each row execute function set_updated_at();
