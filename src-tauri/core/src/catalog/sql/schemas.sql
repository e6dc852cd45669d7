-- Schemas of the connected database, one page, by name, with how many relations each holds.
-- $1 name pattern: a regular expression for ~ (TreeQuery::pattern) (NULL: all), $2 include system schemas, $3 limit, $4 offset
-- Relations are counted for the page's schemas only, in one pass over pg_class.
WITH page AS (
    SELECT n.oid, n.nspname, n.nspowner,
           (n.nspname LIKE 'pg\_%' OR n.nspname = 'information_schema') AS is_system
      FROM pg_namespace n
     WHERE ($2 OR NOT (n.nspname LIKE 'pg\_%' OR n.nspname = 'information_schema'))
       AND ($1::text IS NULL OR n.nspname ~ $1)
     ORDER BY n.nspname
     LIMIT $3 OFFSET $4
), counts AS (
    SELECT c.relnamespace,
           count(*)                                      AS relation_count,
           sum(c.relpages)::bigint                       AS pages,
           sum(greatest(c.reltuples, 0))::bigint         AS estimated_rows
      FROM pg_class c
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       AND c.relnamespace IN (SELECT oid FROM page)
     GROUP BY c.relnamespace
)
SELECT p.nspname::text                                   AS name,
       pg_get_userbyid(p.nspowner)::text                 AS owner,
       obj_description(p.oid, 'pg_namespace')            AS comment,
       p.is_system                                       AS is_system,
       coalesce(c.relation_count, 0)                     AS relation_count,
       -- From relpages: an estimate as fresh as the last VACUUM/ANALYZE.
       coalesce(c.pages, 0) * current_setting('block_size')::bigint AS size_bytes,
       coalesce(c.estimated_rows, 0)                     AS estimated_rows
  FROM page p
  LEFT JOIN counts c ON c.relnamespace = p.oid
 ORDER BY p.nspname;
