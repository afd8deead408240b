-- A restored tenant comes back with the status it had when it was archived (a tenant suspended
-- by an operator or for non-payment must not come back active). The archive step records it
-- here; restore reads and clears it.
alter table platform.tenants
    add column if not exists archived_from_status text,
    add column if not exists archived_from_reason text;
