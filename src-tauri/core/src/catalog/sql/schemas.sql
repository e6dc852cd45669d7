-- Schemas of the connected database, one page, by name, with how many relations each holds.
-- $1 name pattern: a regular expression for ~ (TreeQuery::pattern) (NULL: all), $2 include system schemas, $3 limit, $4 offset
--
-- Relations are counted up to 1,000 (SCHEMA_COUNT_CAP): the tree shows "1,000+" beyond, and
-- schema_stats.sql counts exactly when a schema is opened. pg_class has no index on the schema,
-- so counting there reads all of pg_class; pg_depend has one: each relation a schema holds
-- (table, partitioned table, view, materialized view, foreign table, sequence) depends on it,
-- and nothing else of pg_class does (indexes and TOAST tables depend on their table, a composite
-- type's dependency is its pg_type row's). System schemas are pinned, so nothing records its
-- dependency on them: they are counted in pg_class, which only happens when they are shown.
-- The count is relation_count.sql; where the server has revoked SELECT on pg_depend from PUBLIC,
-- relation_count_pg_class.sql, which counts in pg_class for every schema.
WITH page AS (
    SELECT n.oid, n.nspname, n.nspowner,
           (n.nspname LIKE 'pg\_%' OR n.nspname = 'information_schema') AS is_system
      FROM pg_namespace n
     WHERE ($2 OR NOT (n.nspname LIKE 'pg\_%' OR n.nspname = 'information_schema'))
       AND ($1::text IS NULL OR n.nspname ~ $1)
     ORDER BY n.nspname
     LIMIT $3 OFFSET $4
)
SELECT p.nspname::text                                   AS name,
       pg_get_userbyid(p.nspowner)::text                 AS owner,
       -- NULL where a hardened server revoked SELECT on the comments' catalog.
       CASE WHEN has_table_privilege('pg_catalog.pg_description', 'SELECT')
            THEN obj_description(p.oid, 'pg_namespace') END AS comment,
       p.is_system                                       AS is_system,
       -- {relation_count}
                                                         AS relation_count
  FROM page p
 ORDER BY p.nspname;
