-- btree_gist in `public`, once per database: the exclusion constraints of the scheduling domain
-- (tenant migration 0009) combine `uuid with =` and `tstzrange with &&` in one GiST index.
-- Created here and not in the tenant migration because tenants migrate in parallel, and two
-- concurrent `create extension if not exists` race (the second fails on pg_extension's unique
-- name). The extension is trusted (PostgreSQL 13+), so a role with CREATE on the database may
-- create it; tenant schemas reach its operator classes through `search_path = <schema>, public`.
create extension if not exists btree_gist with schema public;
