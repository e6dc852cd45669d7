-- Whether this session uses SSL, and how.
SELECT s.ssl, s.version, s.cipher
  FROM pg_stat_ssl s
 WHERE s.pid = pg_backend_pid();
