-- The hr database: personal data with column grants and row-level security.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

CREATE SCHEMA people;
COMMENT ON SCHEMA people IS 'Employees and their departments';
CREATE TABLE people.departments (id serial PRIMARY KEY, name text NOT NULL UNIQUE, manager text);
CREATE TABLE people.employees (
    id            serial PRIMARY KEY,
    full_name     text NOT NULL,
    department_id int REFERENCES people.departments (id),
    salary        numeric(10, 2) NOT NULL,
    manager_login text
);
COMMENT ON COLUMN people.employees.salary IS 'Confidential';
INSERT INTO people.departments (name, manager) VALUES ('Sales', 'alice'), ('Finance', 'carol'), ('Engineering', 'dave');
INSERT INTO people.employees (full_name, department_id, salary, manager_login)
SELECT 'Employee ' || g, 1 + g % 3, 3000 + g % 4000, (ARRAY['alice', 'carol', 'dave'])[1 + g % 3]
  FROM generate_series(1, 300) g;
ALTER TABLE people.employees ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_reports ON people.employees FOR SELECT USING (manager_login = current_user);

REVOKE ALL ON DATABASE hr FROM PUBLIC;
GRANT CONNECT ON DATABASE hr TO finance, analysts, auditor;
GRANT USAGE ON SCHEMA people TO finance, analysts;
GRANT SELECT ON people.departments TO analysts, finance;
GRANT SELECT (id, full_name, department_id) ON people.employees TO analysts;
GRANT SELECT ON people.employees TO finance;

ANALYZE;
