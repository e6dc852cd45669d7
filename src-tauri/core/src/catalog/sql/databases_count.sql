-- How many databases match (same filter as databases.sql).
SELECT count(*)
  FROM pg_database d
 WHERE ($2 OR NOT d.datistemplate)
   AND ($1::text IS NULL OR d.datname ~ $1);
