-- The schema named $1 (ns) and its relations (rels), for schema_stats.sql, from pg_class alone.
ns AS (
    SELECT n.oid FROM pg_namespace n WHERE n.nspname = $1
), rels AS (
    SELECT c.oid, c.relkind, c.relpages, c.reltuples
      FROM ns
      JOIN pg_class c ON c.relnamespace = ns.oid
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
)
