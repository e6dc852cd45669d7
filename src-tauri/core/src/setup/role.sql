-- The server's version, and the connector's role as it is: whether it exists, has CREATEROLE,
-- may log in (LOGIN; not expired, connections allowed), is a superuser, and whether it is the
-- role running the setup.
SELECT current_setting('server_version_num')::int                               AS version_num,
       r.oid IS NOT NULL                                                        AS role_exists,
       coalesce(r.rolcreaterole, false)                                         AS createrole,
       coalesce(r.rolcanlogin, false)                                           AS can_login,
       coalesce(r.rolsuper, false)                                              AS superuser,
       coalesce(r.rolvaliduntil < now() OR r.rolconnlimit = 0, false)           AS expired,
       coalesce(r.rolname = current_user, false)                                AS is_self
  FROM (SELECT 1) AS one
  LEFT JOIN pg_roles r ON r.rolname = $1
