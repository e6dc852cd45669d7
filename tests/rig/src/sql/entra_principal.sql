-- The Entra object id and principal type ('user', 'group', 'service') of the role $1, or no row
-- when it is not an Entra principal (or does not exist).
SELECT p.object_id, p.principal_type
FROM rig_pgaadauth.principals p JOIN pg_roles r ON r.oid = p.role_oid
WHERE r.rolname = $1
