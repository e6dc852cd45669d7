-- The databases of the server, for the connector's setup: those that take connections, and
-- whether the administrator running the setup may connect to each (template0 takes none).
SELECT datname::text                              AS name,
       has_database_privilege(oid, 'CONNECT')     AS can_connect
  FROM pg_database
 WHERE datallowconn
 ORDER BY datname
