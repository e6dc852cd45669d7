-- The fast page of relations.sql (see there): three name ranges around the TOAST names, read
-- through pg_class, pg_type and pg_sequence. Parameters as in relations.sql. A search also
-- counts its matches (`matches`, the same scan): no second pass over a million names.
SELECT r.oid, r.relname, r.relkind, r.relowner, r.reltuples, r.relispartition, r.matches
  FROM (
        (SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition,
                NULL::bigint AS matches
           FROM pg_class c
          WHERE $2::text IS NULL
            AND c.relnamespace = to_regnamespace(quote_ident($1))::oid
            AND c.relname < 'pg_toast_'
            AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
          ORDER BY c.relname
          LIMIT $3 + $4)
        UNION ALL
        (SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition,
                NULL::bigint AS matches
           FROM pg_class c
          WHERE $2::text IS NULL
            AND $1 = 'pg_toast'
            AND c.relnamespace = to_regnamespace(quote_ident($1))::oid
            AND c.relname >= 'pg_toast_' AND c.relname < 'pg_toast`'
            AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
          ORDER BY c.relname
          LIMIT $3 + $4)
        UNION ALL
        (SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition,
                NULL::bigint AS matches
           FROM pg_type t
           JOIN pg_class c ON c.oid = t.typrelid
          WHERE $2::text IS NULL
            AND $1 <> 'pg_toast'
            AND t.typnamespace = to_regnamespace(quote_ident($1))::oid
            AND t.typname >= 'pg_toast_' AND t.typname < 'pg_toast`'
            AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          ORDER BY c.relname
          LIMIT $3 + $4)
        UNION ALL
        (SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition,
                NULL::bigint AS matches
           FROM pg_sequence s
           JOIN pg_class c ON c.oid = s.seqrelid
          WHERE $2::text IS NULL
            AND $1 <> 'pg_toast'
            AND c.relnamespace = to_regnamespace(quote_ident($1))::oid
            AND c.relname >= 'pg_toast_' AND c.relname < 'pg_toast`'
          ORDER BY c.relname
          LIMIT $3 + $4)
        UNION ALL
        (SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition,
                NULL::bigint AS matches
           FROM pg_class c
          WHERE $2::text IS NULL
            AND c.relnamespace = to_regnamespace(quote_ident($1))::oid
            AND c.relname >= 'pg_toast`'
            AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
          ORDER BY c.relname
          LIMIT $3 + $4)
        UNION ALL
        (SELECT c.oid, c.relname, c.relkind, c.relowner, c.reltuples, c.relispartition,
                count(*) OVER () AS matches
           FROM (SELECT i.relname, i.relnamespace
                   FROM pg_class i
                  WHERE $2::text IS NOT NULL
                    AND i.relnamespace = to_regnamespace(quote_ident($1))::oid
                    AND CASE WHEN $5::text IS NULL THEN i.relname ~ $2 ELSE i.relname ILIKE $5 END
                 OFFSET 0) m
           JOIN pg_class c ON c.relname = m.relname AND c.relnamespace = m.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
          ORDER BY c.relname
          LIMIT $3 + $4)
       ) r
 ORDER BY r.relname
 LIMIT $3 OFFSET $4
