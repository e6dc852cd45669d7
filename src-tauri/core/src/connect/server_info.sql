-- What server this is, whether this session uses SSL, and what the connected role may do.
-- Uses pg_roles (never pg_authid) so it works on managed services.
SELECT current_setting('server_version')                     AS server_version,
       current_setting('server_version_num')::int            AS server_version_num,
       current_user::text                                    AS current_user,
       current_database()::text                              AS current_database,
       r.rolsuper                                            AS superuser,
       r.rolcreaterole                                       AS createrole,
       r.rolcreatedb                                         AS createdb,
       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS read_all_stats,
       s.ssl                                                 AS ssl,
       s.version                                             AS ssl_version,
       s.cipher                                              AS ssl_cipher,
       e.extversion::text                                    AS pgss_installed,
       EXISTS (SELECT 1 FROM pg_available_extensions
                WHERE name = 'pg_stat_statements')           AS pgss_available,
       -- Visible only to superusers and pg_read_all_settings; NULL otherwise.
       (SELECT setting FROM pg_settings
         WHERE name = 'shared_preload_libraries')            AS shared_preload_libraries
  FROM pg_roles r
  LEFT JOIN pg_stat_ssl s ON s.pid = pg_backend_pid()
  LEFT JOIN pg_extension e ON e.extname = 'pg_stat_statements'
 WHERE r.rolname = current_user;
