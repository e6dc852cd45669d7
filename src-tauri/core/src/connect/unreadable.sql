-- Which of the catalogs an inspection reads the connector may not SELECT: a hardened server
-- revokes some from PUBLIC. to_regclass and has_table_privilege read no catalog table
-- themselves, so this works whatever was revoked. $1: catalog names (schema pg_catalog); a
-- catalog the server does not have (pg_parameter_acl before 15) is not listed.
SELECT current_user::text AS login,
       array(SELECT c::text
               FROM unnest($1::text[]) c
              WHERE to_regclass('pg_catalog.' || c) IS NOT NULL
                AND NOT has_table_privilege(to_regclass('pg_catalog.' || c), 'SELECT')) AS catalogs;
