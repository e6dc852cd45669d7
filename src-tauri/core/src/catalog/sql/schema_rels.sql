-- The schema named $1 (ns) and its relations (rels), for schema_stats.sql (see there).
ns AS (
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
)
