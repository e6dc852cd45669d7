-- The databases of the server, for the connector's setup: whether each takes connections
-- (template0 takes none) and whether the administrator running the setup may connect to it.
SELECT datname::text                              AS name,
       datallowconn                               AS allows_connections,
       has_database_privilege(oid, 'CONNECT')     AS can_connect
  FROM pg_database
 ORDER BY datname
