-- Visible only to superusers and pg_read_all_settings: no row otherwise.
SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries';
