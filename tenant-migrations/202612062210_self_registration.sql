-- Self-registration (docs/identity.md, "Self-registration"): when a user registered themselves
-- through POST /api/v1/auth/register. Such a user cannot log in until their address is
-- verified (email_verified_at); everyone else (admins made by signup, users an administrator
-- created or invited) keeps logging in as before, so the column is null for them. Unqualified
-- names: this runs inside every tenant schema.

alter table users
    add column self_registered_at timestamptz;
