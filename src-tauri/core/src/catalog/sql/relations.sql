-- Relations of one schema, one page, by name.
-- $1 schema name, $2 name pattern: a regular expression for ~ (TreeQuery::pattern) (NULL: all), $3 limit, $4 offset,
-- $5 the same search as an ILIKE pattern when that finds the same names (TreeQuery::like_pattern; cheaper), else NULL
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
-- The schema is named as to_regnamespace(quote_ident($1)): the planner evaluates that while
-- estimating, so it knows how many relations the schema holds and picks the scan in name order
-- for a big one (a subquery for the oid left it guessing, and it sorted 100,000 rows instead).
WITH page AS (
    SELECT r.oid, r.relname, r.relkind, r.relowner, r.reltuples, r.relispartition
      FROM (
            (SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition
               FROM pg_class c
              WHERE $2::text IS NULL
                AND c.relnamespace = to_regnamespace(quote_ident($1))::oid
                AND c.relname < 'pg_toast_'
                AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
              ORDER BY c.relname
              LIMIT $3 + $4)
            UNION ALL
            (SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition
               FROM pg_class c
              WHERE $2::text IS NULL
                AND $1 = 'pg_toast'
                AND c.relnamespace = to_regnamespace(quote_ident($1))::oid
                AND c.relname >= 'pg_toast_' AND c.relname < 'pg_toast`'
                AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
              ORDER BY c.relname
              LIMIT $3 + $4)
            UNION ALL
            (SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition
               FROM pg_type t
               JOIN pg_class c ON c.oid = t.typrelid
              WHERE $2::text IS NULL
                AND $1 <> 'pg_toast'
                AND t.typnamespace = to_regnamespace(quote_ident($1))::oid
                AND t.typname >= 'pg_toast_' AND t.typname < 'pg_toast`'
                AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              ORDER BY c.relname
              LIMIT $3 + $4)
            UNION ALL
            (SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition
               FROM pg_sequence s
               JOIN pg_class c ON c.oid = s.seqrelid
              WHERE $2::text IS NULL
                AND $1 <> 'pg_toast'
                AND c.relnamespace = to_regnamespace(quote_ident($1))::oid
                AND c.relname >= 'pg_toast_' AND c.relname < 'pg_toast`'
              ORDER BY c.relname
              LIMIT $3 + $4)
            UNION ALL
            (SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition
               FROM pg_class c
              WHERE $2::text IS NULL
                AND c.relnamespace = to_regnamespace(quote_ident($1))::oid
                AND c.relname >= 'pg_toast`'
                AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
              ORDER BY c.relname
              LIMIT $3 + $4)
            UNION ALL
            (SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition
               FROM (SELECT i.relname, i.relnamespace
                       FROM pg_class i
                      WHERE $2::text IS NOT NULL
                        AND i.relnamespace = to_regnamespace(quote_ident($1))::oid
                        AND CASE WHEN $5::text IS NULL THEN i.relname ~ $2 ELSE i.relname ILIKE $5 END
                     OFFSET 0) m
               JOIN pg_class c ON c.relname = m.relname AND c.relnamespace = m.relnamespace
              WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
              ORDER BY c.relname
              LIMIT $3 + $4)
           ) r
     ORDER BY r.relname
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
