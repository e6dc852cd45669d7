-- What server this is and what the connected role may do. Reads only pg_roles (never
-- pg_authid, so it works on managed services), which inspecting needs anyway; what else the
-- report tells (SSL, pg_stat_statements) is read apart, so that a catalog revoked on a hardened
-- server leaves a gap in the report instead of failing it.
SELECT current_setting('server_version')                     AS server_version,
       current_setting('server_version_num')::int            AS server_version_num,
       current_user::text                                    AS current_user,
       current_database()::text                              AS current_database,
       r.rolsuper                                            AS superuser,
       r.rolcreaterole                                       AS createrole,
       r.rolcreatedb                                         AS createdb,
       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS read_all_stats,
       -- The managed platforms' admin roles: NULL where the role does not exist.
       (SELECT pg_has_role(current_user, x.oid, 'USAGE') FROM pg_roles x
         WHERE x.rolname = 'rds_superuser')                  AS rds_superuser,
       (SELECT pg_has_role(current_user, x.oid, 'USAGE') FROM pg_roles x
         WHERE x.rolname = 'azure_pg_admin')                 AS azure_pg_admin,
       pg_is_in_recovery()                                   AS in_recovery,
       current_setting('default_transaction_read_only')::bool AS read_only_default
  FROM pg_roles r
 WHERE r.rolname = current_user;
