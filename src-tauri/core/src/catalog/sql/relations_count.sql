-- How many relations of one schema match (same filter as relations.sql).
SELECT count(*)
  FROM pg_class c
 WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
   AND ($2::text IS NULL OR c.relname ~ $2);
