-- One relation in detail. $1 schema name, $2 relation name.
SELECT c.oid::bigint                                          AS oid,
       c.relname::text                                        AS name,
       n.nspname::text                                        AS schema,
       c.relkind::text                                        AS kind,
       pg_get_userbyid(c.relowner)::text                      AS owner,
       CASE WHEN c.relkind IN ('r', 'm', 'S', 'f', 't') THEN pg_table_size(c.oid) END   AS table_bytes,
       CASE WHEN c.relkind IN ('r', 'm', 'p') THEN pg_indexes_size(c.oid) END           AS index_bytes,
       CASE WHEN c.relkind IN ('r', 'm', 'S', 'f') THEN pg_total_relation_size(c.oid) END AS total_bytes,
       CASE WHEN c.relkind IN ('r', 'p', 'm', 'f') AND c.reltuples >= 0
            THEN c.reltuples::bigint END                      AS estimated_rows,
       -- NULL where a hardened server revoked SELECT on the comments' catalog.
       CASE WHEN has_table_privilege('pg_catalog.pg_description', 'SELECT')
            THEN obj_description(c.oid, 'pg_class') END AS comment,
       c.relacl::text[]                                       AS acl,
       c.relrowsecurity                                       AS row_security,
       c.relispartition                                       AS is_partition,
       (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) AS index_count,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS definition,
       s.last_vacuum::text                                    AS last_vacuum,
       s.last_autovacuum::text                                AS last_autovacuum,
       s.last_analyze::text                                   AS last_analyze,
       s.last_autoanalyze::text                               AS last_autoanalyze,
       s.seq_scan                                             AS seq_scan,
       s.idx_scan                                             AS idx_scan
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
 WHERE n.nspname = $1 AND c.relname = $2;
