-- Issue 20 (Citus, docs/operations.md §7): moving a tenant schema to another node online
-- (`citus_schema_move`, logical replication) needs every table to identify its rows to
-- replication: a primary key or a replica identity. currency_days has neither (its key is a
-- unique constraint over nullable columns, `nulls not distinct`, which cannot be a primary key
-- or a replica-identity index), so its rows are identified by all their columns.
alter table currency_days replica identity full;
