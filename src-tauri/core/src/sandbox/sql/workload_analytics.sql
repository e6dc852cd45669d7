--@ alice
SELECT * FROM marts.top_users;
SELECT day, sessions FROM marts.daily_sessions ORDER BY day DESC LIMIT 7;
--@ etl_loader
SELECT count(*) FROM staging.sessions WHERE seconds > 600;
