-- Every object that carries privileges in the connected database (plus the server's databases),
-- one row each, with its owner and whether its ACL is still the built-in default (NULL).
-- class: d database, n schema, r relation, c column, f function/procedure, T type/domain,
-- l language, F foreign-data wrapper, S foreign server. Objects of pg_catalog,
-- information_schema and pg_toast are left out unless $1 (include system) is true.
-- $2: only objects with these oids (NULL: all), for re-checking what a plan touches.
WITH sys AS (
    SELECT oid FROM pg_namespace
     WHERE nspname IN ('pg_catalog', 'information_schema', 'pg_toast')
        OR nspname LIKE 'pg\_temp\_%' OR nspname LIKE 'pg\_toast\_temp\_%'
)
SELECT 'd'::text AS class, d.oid::bigint AS oid, 0 AS subid, NULL::text AS schema, d.datname::text AS name,
       NULL::text AS detail, d.datdba::bigint AS owner, d.datacl IS NULL AS default_acl
  FROM pg_database d
 WHERE ($2::oid[] IS NULL OR d.oid = ANY($2::oid[]))
UNION ALL
SELECT 'n', n.oid::bigint, 0, NULL, n.nspname, NULL, n.nspowner::bigint, n.nspacl IS NULL
  FROM pg_namespace n
 WHERE ($1 OR n.oid NOT IN (SELECT oid FROM sys))
   AND ($2::oid[] IS NULL OR n.oid = ANY($2::oid[]))
UNION ALL
SELECT 'r', c.oid::bigint, 0, n.nspname, c.relname, c.relkind::text, c.relowner::bigint, c.relacl IS NULL
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE (c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
        AND ($1 OR c.relnamespace NOT IN (SELECT oid FROM sys)))
   AND ($2::oid[] IS NULL OR c.oid = ANY($2::oid[]))
UNION ALL
SELECT 'c', a.attrelid::bigint, a.attnum, n.nspname, c.relname, a.attname::text, c.relowner::bigint, false
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE (a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
        AND ($1 OR c.relnamespace NOT IN (SELECT oid FROM sys)))
   AND ($2::oid[] IS NULL OR a.attrelid = ANY($2::oid[]))
UNION ALL
SELECT 'f', p.oid::bigint, 0, n.nspname, p.proname,
       p.prokind::text || ':' || oidvectortypes(p.proargtypes), p.proowner::bigint, p.proacl IS NULL
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE ($1 OR p.pronamespace NOT IN (SELECT oid FROM sys))
   AND ($2::oid[] IS NULL OR p.oid = ANY($2::oid[]))
UNION ALL
SELECT 'T', t.oid::bigint, 0, n.nspname, t.typname, t.typtype::text, t.typowner::bigint, t.typacl IS NULL
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE ((t.typtype IN ('b', 'd', 'e', 'r', 'm')
         -- a composite type made by CREATE TYPE AS (not a table's row type)
         OR (t.typtype = 'c' AND (SELECT r.relkind FROM pg_class r WHERE r.oid = t.typrelid) = 'c'))
        AND NOT (t.typcategory = 'A' AND t.typelem <> 0)
        AND ($1 OR t.typnamespace NOT IN (SELECT oid FROM sys)))
   AND ($2::oid[] IS NULL OR t.oid = ANY($2::oid[]))
UNION ALL
-- An untrusted language (c, internal, plpython3u) is usable by superusers only, whatever its ACL.
SELECT 'l', l.oid::bigint, 0, NULL, l.lanname, CASE WHEN l.lanpltrusted THEN NULL ELSE 'untrusted' END, l.lanowner::bigint, l.lanacl IS NULL
  FROM pg_language l
 WHERE ($2::oid[] IS NULL OR l.oid = ANY($2::oid[]))
UNION ALL
SELECT 'F', w.oid::bigint, 0, NULL, w.fdwname, NULL, w.fdwowner::bigint, w.fdwacl IS NULL
  FROM pg_foreign_data_wrapper w
 WHERE ($2::oid[] IS NULL OR w.oid = ANY($2::oid[]))
UNION ALL
SELECT 'S', s.oid::bigint, 0, NULL, s.srvname, NULL, s.srvowner::bigint, s.srvacl IS NULL
  FROM pg_foreign_server s
 WHERE ($2::oid[] IS NULL OR s.oid = ANY($2::oid[]))
UNION ALL
-- Large objects (named by their oid). A database may hold millions: beyond 10,000 only those
-- with an ACL of their own are read.
SELECT 'L', l.oid::bigint, 0, NULL, l.oid::text, NULL, l.lomowner::bigint, l.lomacl IS NULL
  FROM pg_largeobject_metadata l
 WHERE ($2::oid[] IS NULL OR l.oid = ANY($2::oid[]))
   AND (l.lomacl IS NOT NULL OR (SELECT count(*) FROM pg_largeobject_metadata) <= 10000);
