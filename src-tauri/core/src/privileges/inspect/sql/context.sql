-- The server and database an inspection describes.
SELECT current_setting('server_version_num')::int AS version_num,
       (SELECT oid::bigint FROM pg_roles WHERE rolname = current_user) AS current_user_oid,
       current_database()::text AS database,
       (SELECT datdba::bigint FROM pg_database WHERE datname = current_database()) AS database_owner,
       -- PostgreSQL 16 stores INHERIT and SET per membership grant.
       current_setting('server_version_num')::int >= 160000 AS membership_options;
