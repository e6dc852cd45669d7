-- The schemas that hold routines of an extension (dblink's dblink_connect_u, adminpack's
-- pg_file_write, ...), with each of their other functions (aggregates and window functions
-- too; NULL for a schema with none): there the connector's EXECUTE is granted function by
-- function, never as ALL FUNCTIONS IN SCHEMA, which would undo an extension's REVOKE ... FROM
-- PUBLIC on its dangerous functions.
WITH member AS (
    SELECT objid FROM pg_depend
     WHERE classid = 'pg_proc'::regclass AND deptype = 'e'
),
ext_schema AS (
    SELECT DISTINCT p.pronamespace AS oid
      FROM pg_proc p JOIN member m ON m.objid = p.oid
)
SELECT n.nspname::text                                     AS schema,
       p.proname::text                                     AS name,
       oidvectortypes(p.proargtypes)                       AS args
  FROM ext_schema e
  JOIN pg_namespace n ON n.oid = e.oid
  LEFT JOIN pg_proc p
         ON p.pronamespace = n.oid
        AND p.prokind IN ('f', 'a', 'w')
        AND p.oid NOT IN (SELECT objid FROM member)
 WHERE n.nspname <> 'information_schema'
   AND n.nspname NOT LIKE 'pg\_%'
 ORDER BY 1, 2, 3
