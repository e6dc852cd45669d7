-- ALTER DEFAULT PRIVILEGES rules: for whom (FOR ROLE), where (IN SCHEMA, or everywhere), which
-- kind of object (r tables, S sequences, f functions, T types, n schemas, L large objects from 18) and the ACL they give.
-- A global rule (no schema) replaces the built-in default; a schema rule adds to it.
SELECT d.oid::bigint AS oid, d.defaclrole::bigint AS role, n.nspname::text AS schema,
       d.defaclobjtype::text AS objtype,
       a.grantor::bigint AS grantor, a.grantee::bigint AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM pg_default_acl d
  LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
  LEFT JOIN LATERAL aclexplode(d.defaclacl) a ON true;
