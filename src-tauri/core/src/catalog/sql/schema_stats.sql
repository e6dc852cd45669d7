-- One schema's relations counted exactly, with their size and estimated rows.
-- $1 schema name, $2 the most relations whose size is measured on disk
-- Up to $2 relations, the size is pg_total_relation_size summed (what each relation's row in
-- the tree shows); beyond, it is estimated from relpages (as fresh as the last VACUUM or
-- ANALYZE), since measuring a million relations means a million file lookups.
-- The relations are found as in schemas.sql, through pg_depend's index, when the schema holds
-- at most $2 of them; a bigger schema, or a system one (pinned: no dependencies recorded), is
-- read from pg_class in one pass, which is cheaper than a lookup per relation.
-- ns and rels are schema_rels.sql; where the server has revoked SELECT on pg_depend from PUBLIC,
-- schema_rels_pg_class.sql, which always reads pg_class.
WITH
-- {rels}
, n AS (
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
