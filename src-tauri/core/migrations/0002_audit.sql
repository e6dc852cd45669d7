-- Every dry run and apply: who, where, what SQL, and how it ended. Never a secret: generated
-- passwords reach the SQL only as SCRAM verifiers.
CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at               TEXT NOT NULL,
    os_user          TEXT NOT NULL,
    database_user    TEXT NOT NULL,
    integration_id   TEXT NOT NULL,
    integration_name TEXT NOT NULL,
    database_name    TEXT NOT NULL,
    action           TEXT NOT NULL CHECK (action IN ('dry_run', 'apply')),
    sql              TEXT NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('committed', 'rolled_back', 'failed', 'refused')),
    error            TEXT,
    duration_ms      INTEGER NOT NULL,
    statements       INTEGER NOT NULL
);

CREATE INDEX audit_log_at ON audit_log (at);
