-- Databases on the server, one page, by name.
-- $1 name pattern: a regular expression for ~ (TreeQuery::pattern) (NULL: all), $2 include templates, $3 limit, $4 offset
SELECT d.datname::text                                AS name,
       pg_get_userbyid(d.datdba)::text                AS owner,
       -- Sizing needs CONNECT on the database; NULL where we may not look.
       CASE WHEN d.datallowconn AND has_database_privilege(d.oid, 'CONNECT')
            THEN pg_database_size(d.oid) END          AS size_bytes,
       -- NULL where a hardened server revoked SELECT on the comments' catalog.
       CASE WHEN has_table_privilege('pg_catalog.pg_shdescription', 'SELECT')
            THEN shobj_description(d.oid, 'pg_database') END AS comment,
       d.datistemplate                                AS is_template,
       d.datallowconn                                 AS allow_connections,
       pg_encoding_to_char(d.encoding)::text          AS encoding
  FROM pg_database d
 WHERE ($2 OR NOT d.datistemplate)
   AND ($1::text IS NULL OR d.datname ~ $1)
 ORDER BY d.datname
 LIMIT $3 OFFSET $4;
