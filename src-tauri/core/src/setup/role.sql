-- The server's version, whether the connector's role exists already, and whether it has
-- CREATEROLE.
SELECT current_setting('server_version_num')::int                            AS version_num,
       EXISTS (SELECT FROM pg_roles WHERE rolname = $1)                      AS role_exists,
       coalesce((SELECT rolcreaterole FROM pg_roles WHERE rolname = $1), false) AS createrole
