-- The relations of this database's own schemas the connecting role may not grant SELECT on
-- (counted up to 1,001, so a database of 100,000 tables costs little), and their schemas: what
-- it could not manage. An extension's own relations (pg_stat_statements' views) are the
-- extension's, not the database's, and are left out.
SELECT count(*)::int                                  AS ungrantable,
       coalesce(array_agg(DISTINCT x.nspname), '{}')  AS schemas
  FROM (SELECT n.nspname::text AS nspname
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
           AND n.nspname <> 'information_schema'
           AND n.nspname NOT LIKE 'pg\_%'
           AND NOT has_table_privilege(c.oid, 'SELECT WITH GRANT OPTION')
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                              AND d.deptype = 'e')
         LIMIT 1001) x;
