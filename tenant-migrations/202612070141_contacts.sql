-- Contacts (docs/contacts.md): the organisation's customers, vendors, FBOs, ground handlers,
-- caterers, ambulance services and hospitals, people and organisations; an FBO's services,
-- hours, fuel prices and fees (charter quotes price landing and handling from them); and the
-- communication history (calls, e-mails, meetings, notes) of each contact.
-- Unqualified names: this runs inside every tenant schema.
create table contacts (
    id uuid primary key,
    kind text not null,
    name text not null,
    roles text[] not null default '{}',
    -- A person's organisation (itself a contact of kind `organization`).
    organization_id uuid references contacts (id) on delete restrict,
    email text,
    phone text,
    address text,
    country text,
    -- Where it works: an FBO, handler or caterer at an airport (ICAO or landing-site code).
    airport_code text,
    -- The customer's account in finance (invoices, statements).
    finance_account_id uuid references finance_accounts (id) on delete restrict,
    notes text,
    active boolean not null default true,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint contacts_kind_check check (kind in ('person', 'organization')),
    constraint contacts_name_check check (char_length(name) between 1 and 200),
    constraint contacts_roles_check check (
        roles <@ array['customer', 'vendor', 'fbo', 'ground_handler', 'caterer',
                       'ambulance_service', 'hospital', 'broker', 'other']::text[]),
    constraint contacts_email_check check (char_length(email) <= 254),
    constraint contacts_phone_check check (char_length(phone) <= 40),
    constraint contacts_address_check check (char_length(address) <= 1000),
    constraint contacts_country_check check (country ~ '^[A-Z]{2}$'),
    constraint contacts_airport_check check (airport_code ~ '^[A-Z0-9][A-Z0-9-]{1,9}$'),
    constraint contacts_notes_check check (char_length(notes) <= 10000),
    constraint contacts_not_own_organization check (organization_id <> id)
);
create index contacts_airport on contacts (airport_code) where airport_code is not null;
create index contacts_roles on contacts using gin (roles);
create index contacts_organization on contacts (organization_id)
    where organization_id is not null;
create index contacts_finance_account on contacts (finance_account_id)
    where finance_account_id is not null;
create trigger contacts_updated_at before update on contacts
    for each row execute function set_updated_at();

-- What an FBO or ground handler offers: one row per contact, replaced as a whole.
create table contact_fbo_profiles (
    contact_id uuid primary key references contacts (id) on delete cascade,
    services text[] not null default '{}',
    open_24h boolean not null default false,
    -- Opening hours as people write them ("06:00-22:00 local, PPR after hours").
    hours text,
    -- UNICOM / handling frequency.
    frequency text,
    currency text not null,
    version integer not null default 1,
    updated_at timestamptz not null default now(),
    constraint contact_fbo_services_check check (
        services <@ array['fuel_jet_a', 'fuel_100ll', 'fuel_saf', 'gpu', 'lavatory',
                          'potable_water', 'catering', 'hangar', 'crew_car', 'customs',
                          'de_icing', 'oxygen', 'crew_lounge', 'passenger_lounge']::text[]),
    constraint contact_fbo_hours_check check (char_length(hours) <= 500),
    constraint contact_fbo_frequency_check check (char_length(frequency) <= 20),
    constraint contact_fbo_currency_check check (currency ~ '^[A-Z]{3}$')
);
create trigger contact_fbo_profiles_updated_at before update on contact_fbo_profiles
    for each row execute function set_updated_at();

-- Posted fuel prices, per product, in the profile's currency, per US gallon or litre.
create table contact_fuel_prices (
    contact_id uuid not null references contact_fbo_profiles (contact_id) on delete cascade,
    product text not null,
    unit text not null,
    price_minor bigint not null,
    effective_on date not null,
    primary key (contact_id, product),
    constraint contact_fuel_product_check check (product in ('jet_a', 'avgas_100ll', 'saf', 'mogas')),
    constraint contact_fuel_unit_check check (unit in ('usg', 'l')),
    constraint contact_fuel_price_check check (price_minor between 0 and 100000000)
);

-- Fees, in the profile's currency: a fee for one aircraft type wins over the general one.
create table contact_fees (
    contact_id uuid not null references contact_fbo_profiles (contact_id) on delete cascade,
    kind text not null,
    -- ICAO type designator (`C25A`); '' is every type.
    aircraft_type text not null default '',
    amount_minor bigint not null,
    primary key (contact_id, kind, aircraft_type),
    constraint contact_fees_kind_check check (
        kind in ('landing', 'handling', 'parking_night', 'ramp', 'catering_delivery',
                 'after_hours_callout')),
    constraint contact_fees_type_check check (aircraft_type ~ '^([A-Z][A-Z0-9]{1,3})?$'),
    constraint contact_fees_amount_check check (amount_minor between 0 and 10000000000)
);

-- The communication history: calls, e-mails, meetings and notes, newest first.
create table contact_communications (
    id uuid primary key,
    contact_id uuid not null references contacts (id) on delete restrict,
    kind text not null,
    direction text,
    occurred_at timestamptz not null,
    subject text not null,
    body text,
    duration_minutes integer,
    author_id uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    constraint contact_comm_kind_check check (kind in ('call', 'email', 'meeting', 'note')),
    constraint contact_comm_direction_check check (direction in ('inbound', 'outbound')),
    constraint contact_comm_subject_check check (char_length(subject) between 1 and 200),
    constraint contact_comm_body_check check (char_length(body) <= 20000),
    constraint contact_comm_duration_check check (duration_minutes between 0 and 1440)
);
create index contact_communications_by_contact
    on contact_communications (contact_id, occurred_at desc, id desc);
