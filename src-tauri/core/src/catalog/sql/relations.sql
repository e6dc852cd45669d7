-- Relations of one schema, one page, by name.
-- $1 schema name, $2 name pattern: a regular expression for ~ (TreeQuery::pattern) (NULL: all), $3 limit, $4 offset
-- The page is cut first (an index scan on pg_class (relname, relnamespace)); sizes and comments are
-- then looked up for the page's rows only, so a schema of 100,000 tables opens as fast as one of 100.
WITH page AS (
    SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition
      FROM pg_class c
     WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       AND ($2::text IS NULL OR c.relname ~ $2)
     ORDER BY c.relname
     LIMIT $3 OFFSET $4
)
SELECT p.oid::bigint                                      AS oid,
       p.relname::text                                    AS name,
       p.relkind::text                                    AS kind,
       pg_get_userbyid(p.relowner)::text                  AS owner,
       CASE WHEN p.relkind IN ('r', 'm', 'S', 'f') THEN pg_total_relation_size(p.oid)
            WHEN p.relkind = 'p' THEN (SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0)::bigint
                                         FROM pg_partition_tree(p.oid) t WHERE t.isleaf)
       END                                                AS size_bytes,
       -- reltuples is -1 until the first VACUUM/ANALYZE (PostgreSQL 14+).
       CASE WHEN p.relkind IN ('r', 'p', 'm', 'f') AND p.reltuples >= 0
            THEN p.reltuples::bigint END                  AS estimated_rows,
       obj_description(p.oid, 'pg_class')                 AS comment,
       p.relispartition                                   AS is_partition
  FROM page p
 ORDER BY p.relname;
