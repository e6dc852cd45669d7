-- How many schemas match (same filter as schemas.sql).
SELECT count(*)
  FROM pg_namespace n
 WHERE ($2 OR NOT (n.nspname LIKE 'pg\_%' OR n.nspname = 'information_schema'))
   AND ($1::text IS NULL OR n.nspname ~ $1);
