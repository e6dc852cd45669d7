-- How many relations of one schema match (same filter as relations.sql).
-- $1 schema name, $2 name pattern (NULL: all), $3 its ILIKE form or NULL (see relations.sql)
-- The names are matched in the index on (relname, relnamespace) alone; pg_class is visited only
-- for the names that match, to leave out indexes and TOAST tables.
SELECT count(*)
  FROM (SELECT i.relname, i.relnamespace
          FROM pg_class i
         WHERE i.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
           AND ($2::text IS NULL OR CASE WHEN $3::text IS NULL THEN i.relname ~ $2 ELSE i.relname ILIKE $3 END)
        OFFSET 0) m
  JOIN pg_class c ON c.relname = m.relname AND c.relnamespace = m.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S');
