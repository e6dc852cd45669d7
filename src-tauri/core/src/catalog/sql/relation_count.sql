-- How many relations schema p holds, up to 1,001 (see schemas.sql): pg_depend's index for a user
-- schema, pg_class for a system one.
CASE WHEN p.is_system
     THEN (SELECT count(*)
             FROM (SELECT 1
                     FROM pg_class c
                    WHERE c.relnamespace = p.oid
                      AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                    LIMIT 1001) s)
     ELSE (SELECT count(*)
             FROM (SELECT 1
                     FROM pg_depend d
                    WHERE d.refclassid = 'pg_namespace'::regclass
                      AND d.refobjid = p.oid
                      AND d.refobjsubid = 0
                      AND d.classid = 'pg_class'::regclass
                      AND d.deptype = 'n'
                    LIMIT 1001) s)
END
