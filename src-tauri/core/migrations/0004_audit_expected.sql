-- What an apply promised and the state it was planned against, so a run whose outcome was lost
-- (the process killed, the connection cut during COMMIT) is resolved by looking at the database
-- again; and the process that runs it, so a run left "started" by a process that is gone is
-- known at once.
ALTER TABLE audit_log ADD COLUMN expected TEXT;
ALTER TABLE audit_log ADD COLUMN pid INTEGER;
