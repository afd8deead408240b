-- The digest of the catalogue (system roles and their permissions for the tenant's kind) a
-- tenant was last synced with (docs/identity.md, "Seeded roles and the catalogue sync"). A
-- migration run skips a tenant only when its schema is current and this digest matches the
-- binary's, so a release that adds a role or a permission without a migration still reaches
-- every tenant. Null: never synced (the next run syncs it).
alter table platform.tenants
    add column if not exists catalog_digest text;
