-- pg_stat_statements: installed in this database, and available to install.
SELECT (SELECT extversion::text FROM pg_extension
         WHERE extname = 'pg_stat_statements')               AS installed,
       EXISTS (SELECT 1 FROM pg_available_extensions
                WHERE name = 'pg_stat_statements')           AS available;
