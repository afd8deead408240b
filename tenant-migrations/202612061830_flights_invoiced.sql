-- A flight locks when it is invoiced (issue 14): the finance domain marks the flight of a
-- booking whose invoice it issues, and clears the mark when that invoice is voided. While
-- marked, neither an edit nor a correction changes the flight: a credit note corrects what was
-- billed. `invoice_id` names the invoice without a foreign key, so flights does not depend on
-- finance's tables.
alter table flights
    add column invoiced_at timestamptz,
    add column invoice_id uuid,
    add constraint flights_invoiced_check check ((invoiced_at is null) = (invoice_id is null));
