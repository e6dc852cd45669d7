-- How many relations schema p holds, up to 1,001, from pg_class alone (see schemas.sql).
(SELECT count(*)
   FROM (SELECT 1
           FROM pg_class c
          WHERE c.relnamespace = p.oid
            AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
          LIMIT 1001) s)
