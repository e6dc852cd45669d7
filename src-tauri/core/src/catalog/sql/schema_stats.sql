-- One schema's relations counted exactly, with their size and estimated rows.
-- $1 schema name, $2 the most relations whose size is measured on disk
-- Up to $2 relations, the size is pg_total_relation_size summed (what each relation's row in
-- the tree shows); beyond, it is estimated from relpages (as fresh as the last VACUUM or
-- ANALYZE), since measuring a million relations means a million file lookups.
-- The relations are found as in schemas.sql, through pg_depend's index, when the schema holds
-- at most $2 of them; a bigger schema, or a system one (pinned: no dependencies recorded), is
-- read from pg_class in one pass, which is cheaper than a lookup per relation.
WITH ns AS (
    SELECT n.oid,
           (n.nspname LIKE 'pg\_%' OR n.nspname = 'information_schema')
           OR (SELECT count(*)
                 FROM (SELECT 1
                         FROM pg_depend d
                        WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = n.oid
                          AND d.refobjsubid = 0 AND d.classid = 'pg_class'::regclass AND d.deptype = 'n'
                        LIMIT $2 + 1) s) > $2 AS by_pass
      FROM pg_namespace n
     WHERE n.nspname = $1
), rels AS (
    SELECT c.oid, c.relkind, c.relpages, c.reltuples
      FROM ns
      JOIN pg_depend d ON d.refclassid = 'pg_namespace'::regclass AND d.refobjid = ns.oid
                      AND d.refobjsubid = 0 AND d.classid = 'pg_class'::regclass AND d.deptype = 'n'
      JOIN pg_class c ON c.oid = d.objid
     WHERE NOT ns.by_pass
    UNION ALL
    SELECT c.oid, c.relkind, c.relpages, c.reltuples
      FROM ns
      JOIN pg_class c ON c.relnamespace = ns.oid
     WHERE ns.by_pass
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
), n AS (
    SELECT count(*) AS relation_count FROM rels
)
SELECT n.relation_count                                  AS relation_count,
       n.relation_count > $2                             AS size_estimated,
       CASE WHEN n.relation_count > $2
            THEN (SELECT coalesce(sum(r.relpages), 0)::bigint * current_setting('block_size')::bigint
                    FROM rels r)
            ELSE (SELECT coalesce(sum(pg_total_relation_size(r.oid)), 0)::bigint
                    FROM rels r WHERE r.relkind IN ('r', 'm', 'S', 'f'))
       END                                               AS size_bytes,
       (SELECT coalesce(sum(greatest(r.reltuples, 0)), 0)::bigint
          FROM rels r WHERE r.relkind IN ('r', 'p', 'm', 'f')) AS estimated_rows
  FROM n
 WHERE EXISTS (SELECT 1 FROM ns);  -- no row: no such schema
