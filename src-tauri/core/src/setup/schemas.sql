-- The schemas of this database the connector must be able to manage: all but the system's
-- (pg_catalog, pg_toast, the temporary schemas, information_schema).
SELECT nspname::text AS name
  FROM pg_namespace
 WHERE nspname <> 'information_schema'
   AND nspname NOT LIKE 'pg\_%'
 ORDER BY nspname
