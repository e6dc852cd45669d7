-- Is the role $1 a member of rds_iam, directly or through other roles? This is what pg_hba.conf's
-- `+rds_iam` means (RDS: `hostssl all +rds_iam all pam`): memberships only, so a superuser is not
-- a member unless granted it. False for a role that does not exist.
WITH RECURSIVE granted (oid) AS (
    SELECT oid FROM pg_roles WHERE rolname = $1
    UNION
    SELECT m.roleid FROM pg_auth_members m JOIN granted g ON m.member = g.oid
)
SELECT EXISTS (
    SELECT 1 FROM granted g JOIN pg_roles r ON r.oid = g.oid WHERE r.rolname = 'rds_iam'
)
