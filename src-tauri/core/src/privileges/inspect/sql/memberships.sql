-- Role memberships, one row per (role, member, grantor). PostgreSQL 16+ stores the ADMIN, INHERIT
-- and SET options per grant; older servers only ADMIN (INHERIT then follows the member's
-- rolinherit, and SET is always allowed). {{options}} is replaced by the columns the server has.
SELECT m.roleid::bigint  AS role,
       m.member::bigint  AS member,
       m.grantor::bigint AS grantor,
       m.admin_option    AS admin,
       {{options}}
  FROM pg_auth_members m;
