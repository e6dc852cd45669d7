-- The rig's stand-in for Azure Database for PostgreSQL's pgaadauth (database `postgres`): which
-- roles are Microsoft Entra principals, and of which object id and type. Azure keeps this in
-- security labels of its own provider; the rig keeps it in a table keyed by the role's oid (so a
-- renamed role stays mapped and a dropped one is no longer a principal) and offers Azure's SQL
-- functions by the same names and arguments. Idempotent.
CREATE SCHEMA IF NOT EXISTS rig_pgaadauth;

CREATE TABLE IF NOT EXISTS rig_pgaadauth.principals (
    role_oid oid PRIMARY KEY,
    object_id text NOT NULL,
    principal_type text NOT NULL CHECK (principal_type IN ('user', 'group', 'service')),
    is_admin boolean NOT NULL DEFAULT false,
    is_mfa boolean NOT NULL DEFAULT false
);

-- The server's tenant (one row), as pgaadauth_list_principals reports it.
CREATE TABLE IF NOT EXISTS rig_pgaadauth.server (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    tenant_id text
);

DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'azure_pg_admin') THEN
        CREATE ROLE azure_pg_admin;
    END IF;
END $$;

-- Azure: pgaadauth_create_principal_with_oid(roleName, objectId, objectType, isAdmin, isMfa).
-- Creates a LOGIN role mapped to the Entra object; an admin is a member of azure_pg_admin with
-- CREATEROLE and CREATEDB.
CREATE OR REPLACE FUNCTION public.pgaadauth_create_principal_with_oid(
    roleName text, objectId text, objectType text, isAdmin boolean, isMfa boolean)
RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
    IF objectType NOT IN ('user', 'group', 'service') THEN
        RAISE EXCEPTION 'objectType must be user, group or service, not %', objectType;
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN', roleName);
    IF isAdmin THEN
        EXECUTE format('GRANT azure_pg_admin TO %I', roleName);
        EXECUTE format('ALTER ROLE %I CREATEROLE CREATEDB', roleName);
    END IF;
    INSERT INTO rig_pgaadauth.principals
        VALUES ((SELECT oid FROM pg_roles WHERE rolname = roleName), objectId, objectType, isAdmin, isMfa);
    RETURN format('Created role for "%s"', roleName);
END
$fn$;

-- Azure: pgaadauth_list_principals(isAdminValue): the Entra principals (true: admins only).
CREATE OR REPLACE FUNCTION public.pgaadauth_list_principals(isAdminValue boolean)
RETURNS TABLE (rolname name, principaltype text, objectid text, tenantid text, ismfa integer, isadmin integer)
LANGUAGE sql STABLE AS $fn$
    SELECT r.rolname, p.principal_type, p.object_id, (SELECT tenant_id FROM rig_pgaadauth.server),
           p.is_mfa::integer, p.is_admin::integer
    FROM rig_pgaadauth.principals p JOIN pg_roles r ON r.oid = p.role_oid
    WHERE NOT isAdminValue OR p.is_admin
    ORDER BY 1
$fn$;
