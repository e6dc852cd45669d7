-- PostgreSQL 15+: privileges on configuration parameters (GRANT SET / ALTER SYSTEM ON PARAMETER).
-- Only parameters with an ACL entry exist in pg_parameter_acl; their owner is the bootstrap superuser.
SELECT p.oid::bigint AS oid, p.parname::text AS name,
       a.grantor::bigint AS grantor, a.grantee::bigint AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM pg_parameter_acl p
  LEFT JOIN LATERAL aclexplode(coalesce(p.paracl, acldefault('p', 10))) a ON true;
