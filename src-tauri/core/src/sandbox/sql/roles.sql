-- Sandbox roles: a realistic hierarchy with group roles, login users, NOINHERIT, an expiry,
-- predefined roles and a connection limit. None has a password: the sandbox is reached by its
-- superuser over a private socket.
CREATE ROLE app_readonly   NOLOGIN;
CREATE ROLE app_readwrite  NOLOGIN IN ROLE app_readonly;
CREATE ROLE analysts       NOLOGIN;
CREATE ROLE finance        NOLOGIN;
CREATE ROLE data_engineers NOLOGIN IN ROLE app_readwrite;
CREATE ROLE dba_team       NOLOGIN CREATEROLE CREATEDB;
CREATE ROLE alice          LOGIN IN ROLE analysts;
CREATE ROLE bob            LOGIN IN ROLE app_readwrite;
CREATE ROLE carol          LOGIN IN ROLE finance, analysts;
CREATE ROLE dave           LOGIN NOINHERIT IN ROLE data_engineers;
CREATE ROLE erin           LOGIN VALID UNTIL '2027-06-30' IN ROLE analysts;
CREATE ROLE etl_loader     LOGIN IN ROLE data_engineers;
CREATE ROLE reporting_svc  LOGIN CONNECTION LIMIT 10 IN ROLE app_readonly;
CREATE ROLE monitoring     LOGIN IN ROLE pg_monitor;
CREATE ROLE auditor        LOGIN IN ROLE pg_read_all_data;
CREATE ROLE legacy_app     LOGIN;
CREATE ROLE frank          LOGIN IN ROLE dba_team;

COMMENT ON ROLE app_readonly   IS 'Read access to application schemas';
COMMENT ON ROLE app_readwrite  IS 'Read and write access to application schemas';
COMMENT ON ROLE analysts       IS 'Analytics team';
COMMENT ON ROLE finance        IS 'Finance team: billing data';
COMMENT ON ROLE legacy_app     IS 'Old integration, column-level access only';

CREATE DATABASE shop;
CREATE DATABASE analytics;
CREATE DATABASE hr;
COMMENT ON DATABASE shop IS 'Web shop: sales, inventory, billing';
COMMENT ON DATABASE analytics IS 'Warehouse: raw events, staging, marts';
COMMENT ON DATABASE hr IS 'People data, row-level security';
