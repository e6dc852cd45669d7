-- Relations of one schema, one page, by name.
-- $1 schema name, $2 name pattern: a regular expression for ~ (TreeQuery::pattern) (NULL: all), $3 limit, $4 offset,
-- $5 the same search as an ILIKE pattern when that finds the same names (TreeQuery::like_pattern; cheaper), else NULL
-- `matches` is how many relations match a search, counted in the scan that finds them (one pass
-- over a million names, not two); NULL without a search (relations_count.sql counts).
--
-- pg_class has no index that starts with the schema, only (relname, relnamespace). So the page is
-- cut from an index scan in name order that stops once it has enough rows, and sizes and comments
-- are looked up for the page's rows only. Two things would make that scan read far more than a
-- page; both are avoided here:
-- * Every table with a TOAST table adds two names to the index, pg_toast_<oid> and
--   pg_toast_<oid>_index, all between 'pg_toast_' and 'pg_toast`'. With a million tables that is
--   two million names a scan for 'table_1' would step over. So the schema's relations are read
--   in three name ranges, merged in order: below that range, inside it, above it. Inside it, a
--   schema other than pg_toast can only hold relations named pg_toast_..., which are found
--   through pg_type (whose name index has no TOAST rows: a relation's row type has its name
--   and schema) and, for sequences (which have no row type), through pg_sequence.
-- * A name search reads every name of the index. It reads them from the index alone (the
--   name and the schema are both in it) and visits pg_class only for the names that match.
-- The page is relations_page.sql. A server may have revoked SELECT on pg_type or pg_sequence from
-- PUBLIC; then relations_page_pg_class.sql takes its place, which reads pg_class alone (slower at
-- a million tables, the same rows).
-- The schema is named as to_regnamespace(quote_ident($1)): the planner evaluates that while
-- estimating, so it knows how many relations the schema holds and picks the scan in name order
-- for a big one (a subquery for the oid left it guessing, and it sorted 100,000 rows instead).
WITH page AS (
    -- {page}
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
       -- NULL where a hardened server revoked SELECT on the comments' catalog.
       CASE WHEN has_table_privilege('pg_catalog.pg_description', 'SELECT')
            THEN obj_description(p.oid, 'pg_class') END AS comment,
       p.relispartition                                   AS is_partition,
       p.matches                                          AS matches
  FROM page p
 ORDER BY p.relname;
