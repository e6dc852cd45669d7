-- The page of relations.sql from pg_class alone, for a server where pg_type or pg_sequence cannot
-- be read. Parameters as in relations.sql. The same rows as relations_page.sql; only the index
-- scan in name order steps over every TOAST name.
SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition,
       NULL::bigint AS matches
  FROM pg_class c
 WHERE c.relnamespace = to_regnamespace(quote_ident($1))::oid
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
   AND ($2::text IS NULL OR CASE WHEN $5::text IS NULL THEN c.relname ~ $2 ELSE c.relname ILIKE $5 END)
 ORDER BY c.relname
 LIMIT $3 OFFSET $4
