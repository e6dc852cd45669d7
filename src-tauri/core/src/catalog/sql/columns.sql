-- Columns of one relation, in order. $1 relation oid.
SELECT a.attname::text                              AS name,
       format_type(a.atttypid, a.atttypmod)         AS data_type,
       a.attnotnull                                 AS not_null,
       pg_get_expr(d.adbin, d.adrelid)              AS default_value,
       -- NULL where a hardened server revoked SELECT on the comments' catalog.
       CASE WHEN has_table_privilege('pg_catalog.pg_description', 'SELECT')
            THEN col_description(a.attrelid, a.attnum) END AS comment
  FROM pg_attribute a
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = $1::bigint::oid
   AND a.attnum > 0
   AND NOT a.attisdropped
 ORDER BY a.attnum;
