-- The draft invoice finance made for a trip (docs/charter.md, "Invoicing"): kept on the trip so
-- it shows without asking finance. Unqualified names: this runs inside every tenant schema.
alter table charter_trips
    add column invoice_id uuid references invoices (id) on delete set null;
