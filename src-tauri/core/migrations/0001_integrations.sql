-- Saved integrations. `config` holds the kind's connection settings as JSON (see model.rs);
-- secrets are never stored here: they live in the OS keychain, keyed by `id`.
CREATE TABLE integrations (
    id               TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    config           TEXT NOT NULL,
    environment      TEXT NOT NULL,
    read_only        INTEGER NOT NULL DEFAULT 0,
    password_storage TEXT NOT NULL,
    is_sandbox       INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE UNIQUE INDEX integrations_name_key ON integrations (name COLLATE NOCASE);
