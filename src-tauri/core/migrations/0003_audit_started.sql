-- A run is recorded as 'started' before its transaction begins and completed when it ends, so a
-- run cut off midway is visible ('started'), and one whose connection failed before its outcome
-- was known says so ('unknown'). SQLite cannot change a CHECK constraint: the table is rebuilt.
CREATE TABLE audit_log_v3 (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at               TEXT NOT NULL,
    os_user          TEXT NOT NULL,
    database_user    TEXT NOT NULL,
    integration_id   TEXT NOT NULL,
    integration_name TEXT NOT NULL,
    database_name    TEXT NOT NULL,
    action           TEXT NOT NULL CHECK (action IN ('dry_run', 'apply')),
    sql              TEXT NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('started', 'committed', 'rolled_back', 'failed', 'refused', 'unknown')),
    error            TEXT,
    duration_ms      INTEGER NOT NULL,
    statements       INTEGER NOT NULL
);

INSERT INTO audit_log_v3 SELECT * FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_v3 RENAME TO audit_log;
CREATE INDEX audit_log_at ON audit_log (at);
