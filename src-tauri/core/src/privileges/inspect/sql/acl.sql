-- Every privilege granted on the objects of objects.sql, with the built-in defaults made visible:
-- aclexplode(coalesce(acl, acldefault(kind, owner))) turns NULL ("owner's defaults") into rows
-- such as PUBLIC's CONNECT and TEMPORARY on databases or EXECUTE on functions.
-- grantee 0 is PUBLIC. $1: include system objects. $2: only these object oids (NULL: all).
WITH sys AS (
    SELECT oid FROM pg_namespace
     WHERE nspname IN ('pg_catalog', 'information_schema', 'pg_toast')
        OR nspname LIKE 'pg\_temp\_%' OR nspname LIKE 'pg\_toast\_temp\_%'
)
SELECT 'd'::text AS class, d.oid::bigint AS oid, 0 AS subid,
       a.grantor::bigint AS grantor, a.grantee::bigint AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
 WHERE ($2::oid[] IS NULL OR d.oid = ANY($2::oid[]))
UNION ALL
SELECT 'n', n.oid::bigint, 0, a.grantor::bigint, a.grantee::bigint, a.privilege_type, a.is_grantable
  FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
 WHERE ($1 OR n.oid NOT IN (SELECT oid FROM sys))
   AND ($2::oid[] IS NULL OR n.oid = ANY($2::oid[]))
UNION ALL
SELECT 'r', c.oid::bigint, 0, a.grantor::bigint, a.grantee::bigint, a.privilege_type, a.is_grantable
  FROM pg_class c,
       aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a
 WHERE (c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
        AND ($1 OR c.relnamespace NOT IN (SELECT oid FROM sys)))
   AND ($2::oid[] IS NULL OR c.oid = ANY($2::oid[]))
UNION ALL
SELECT 'c', at.attrelid::bigint, at.attnum, a.grantor::bigint, a.grantee::bigint, a.privilege_type, a.is_grantable
  FROM pg_attribute at JOIN pg_class c ON c.oid = at.attrelid, aclexplode(at.attacl) a
 WHERE (at.attacl IS NOT NULL AND at.attnum > 0 AND NOT at.attisdropped
        AND ($1 OR c.relnamespace NOT IN (SELECT oid FROM sys)))
   AND ($2::oid[] IS NULL OR at.attrelid = ANY($2::oid[]))
UNION ALL
SELECT 'f', p.oid::bigint, 0, a.grantor::bigint, a.grantee::bigint, a.privilege_type, a.is_grantable
  FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
 WHERE ($1 OR p.pronamespace NOT IN (SELECT oid FROM sys))
   AND ($2::oid[] IS NULL OR p.oid = ANY($2::oid[]))
UNION ALL
SELECT 'T', t.oid::bigint, 0, a.grantor::bigint, a.grantee::bigint, a.privilege_type, a.is_grantable
  FROM pg_type t, aclexplode(coalesce(t.typacl, acldefault('T', t.typowner))) a
 WHERE ((t.typtype IN ('b', 'd', 'e', 'r', 'm')
         -- a composite type made by CREATE TYPE AS (not a table's row type)
         OR (t.typtype = 'c' AND (SELECT r.relkind FROM pg_class r WHERE r.oid = t.typrelid) = 'c'))
        AND NOT (t.typcategory = 'A' AND t.typelem <> 0)
        AND ($1 OR t.typnamespace NOT IN (SELECT oid FROM sys)))
   AND ($2::oid[] IS NULL OR t.oid = ANY($2::oid[]))
UNION ALL
SELECT 'l', l.oid::bigint, 0, a.grantor::bigint, a.grantee::bigint, a.privilege_type, a.is_grantable
  FROM pg_language l, aclexplode(coalesce(l.lanacl, acldefault('l', l.lanowner))) a
 WHERE ($2::oid[] IS NULL OR l.oid = ANY($2::oid[]))
UNION ALL
SELECT 'F', w.oid::bigint, 0, a.grantor::bigint, a.grantee::bigint, a.privilege_type, a.is_grantable
  FROM pg_foreign_data_wrapper w, aclexplode(coalesce(w.fdwacl, acldefault('F', w.fdwowner))) a
 WHERE ($2::oid[] IS NULL OR w.oid = ANY($2::oid[]))
UNION ALL
SELECT 'S', s.oid::bigint, 0, a.grantor::bigint, a.grantee::bigint, a.privilege_type, a.is_grantable
  FROM pg_foreign_server s, aclexplode(coalesce(s.srvacl, acldefault('S', s.srvowner))) a
 WHERE ($2::oid[] IS NULL OR s.oid = ANY($2::oid[]))
UNION ALL
SELECT 'L', l.oid::bigint, 0, a.grantor::bigint, a.grantee::bigint, a.privilege_type, a.is_grantable
  FROM pg_largeobject_metadata l, aclexplode(coalesce(l.lomacl, acldefault('L', l.lomowner))) a
 WHERE ($2::oid[] IS NULL OR l.oid = ANY($2::oid[]))
   AND (l.lomacl IS NOT NULL OR (SELECT count(*) FROM pg_largeobject_metadata) <= 10000);
