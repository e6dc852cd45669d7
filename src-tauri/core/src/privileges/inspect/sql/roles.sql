-- Every role with its attributes. pg_roles, never pg_authid: managed services refuse the latter.
-- Named columns only, so columns added by newer servers change nothing here. {{comment}} is
-- shobj_description(r.oid, 'pg_authid'), or NULL where pg_shdescription is not readable.
SELECT r.oid::bigint                 AS oid,
       r.rolname::text               AS name,
       r.rolsuper                    AS superuser,
       r.rolinherit                  AS inherit,
       r.rolcreaterole               AS createrole,
       r.rolcreatedb                 AS createdb,
       r.rolcanlogin                 AS login,
       r.rolreplication              AS replication,
       r.rolbypassrls                AS bypassrls,
       r.rolconnlimit                AS connection_limit,
       r.rolvaliduntil::text         AS valid_until,
       {{comment}} AS comment
  FROM pg_roles r
 ORDER BY r.rolname;
