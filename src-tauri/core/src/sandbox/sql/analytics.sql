-- The analytics database: raw event tables from many sources, staging and marts.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

CREATE SCHEMA raw AUTHORIZATION etl_loader;
CREATE SCHEMA staging AUTHORIZATION etl_loader;
CREATE SCHEMA marts;
COMMENT ON SCHEMA raw IS 'Landing zone: one table per source and day';
COMMENT ON SCHEMA marts IS 'Curated tables and views for analysts';

SET ROLE etl_loader;
DO $$
DECLARE
    sources text[] := ARRAY['web', 'ios', 'android', 'crm', 'erp', 'ads', 'mail', 'support'];
BEGIN
    FOR s IN 1..8 LOOP
        FOR d IN 1..125 LOOP
            EXECUTE format(
                'CREATE TABLE raw.%I (event_id bigint, received_at timestamptz, body jsonb)',
                format('%s_events_d%s', sources[s], lpad(d::text, 3, '0')));
        END LOOP;
    END LOOP;
END $$;
CREATE TABLE staging.sessions (id bigint PRIMARY KEY, user_ref text, started_at timestamptz, seconds int);
INSERT INTO staging.sessions SELECT g, 'u' || (g % 900), timestamptz '2026-03-01' + g * interval '1 minute', g % 3600
  FROM generate_series(1, 30000) g;
RESET ROLE;

CREATE TABLE marts.daily_sessions AS
    SELECT date_trunc('day', started_at) AS day, count(*) AS sessions, avg(seconds) AS avg_seconds
      FROM staging.sessions GROUP BY 1;
CREATE VIEW marts.top_users AS
    SELECT user_ref, count(*) AS sessions FROM staging.sessions GROUP BY 1 ORDER BY 2 DESC LIMIT 50;
CREATE MATERIALIZED VIEW marts.weekly_sessions AS
    SELECT date_trunc('week', day) AS week, sum(sessions) AS sessions FROM marts.daily_sessions GROUP BY 1;
COMMENT ON VIEW marts.top_users IS 'Fifty most active users';

REVOKE ALL ON DATABASE analytics FROM PUBLIC;
GRANT CONNECT ON DATABASE analytics TO analysts, data_engineers, auditor, monitoring;
GRANT USAGE ON SCHEMA marts TO analysts;
GRANT SELECT ON ALL TABLES IN SCHEMA marts TO analysts;
SET ROLE etl_loader;
GRANT USAGE ON SCHEMA staging TO analysts;
GRANT SELECT ON staging.sessions TO analysts;
RESET ROLE;
ALTER DEFAULT PRIVILEGES FOR ROLE etl_loader IN SCHEMA raw GRANT SELECT ON TABLES TO data_engineers;
ALTER DEFAULT PRIVILEGES IN SCHEMA marts GRANT SELECT ON TABLES TO analysts;

ANALYZE;
