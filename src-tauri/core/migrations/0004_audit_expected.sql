-- For a run whose outcome was lost (the process killed, the connection cut during COMMIT): the
-- server's transaction id, recorded before COMMIT, so the next connection asks the server
-- (pg_xact_status) what became of it; what the apply promised and the state it was planned
-- against, for servers that no longer know the transaction; and the process that runs it, so
-- a run left "started" by a process that is gone is known at once.
ALTER TABLE audit_log ADD COLUMN expected TEXT;
ALTER TABLE audit_log ADD COLUMN pid INTEGER;
ALTER TABLE audit_log ADD COLUMN xid INTEGER;
