//! What the connecting role can do, predicted at plan time, against what the server then does,
//! on every supported major. The connector is not a superuser: CREATEROLE, owner of one table,
//! grant option on another, grant option through a group it is a member of, a plain privilege on
//! a third, nothing on a fourth. Each plan either has no blocking step, applies whole and every
//! promised change is seen by has_table_privilege / pg_has_role, or it lists blocking steps and a
//! dry run shows the server refusing or ignoring them (nothing changes).
//!
//! Then revokes of grants another grantor made: a superuser connector revokes them as their
//! grantor (SET ROLE for objects, GRANTED BY for memberships on 16+); a connector without that
//! power gets a blocking step.

mod common;

use common::{changes, grantry_with, input_on, login_input, revoke, table};
use grantry_core::integrations::model::{IntegrationInput, SslMode};
use grantry_core::privileges::apply::RunOutcome;
use grantry_core::privileges::parse::parse_change;
use grantry_testrig::{version_matrix, Cluster};

fn start(bindir: &std::path::Path) -> Cluster {
    let c = Cluster::start_with(bindir);
    c.psql(
        "postgres",
        "CREATE ROLE connector LOGIN PASSWORD 'connector-pw' CREATEROLE; \
         CREATE ROLE other NOLOGIN; CREATE ROLE r NOLOGIN; CREATE ROLE grp NOLOGIN; \
         CREATE ROLE u NOLOGIN; CREATE ROLE bob NOLOGIN; GRANT grp TO connector; \
         CREATE DATABASE app;",
    );
    c.psql(
        "app",
        "CREATE SCHEMA s; GRANT USAGE ON SCHEMA s TO connector, bob; \
         CREATE TABLE s.mine (x int); ALTER TABLE s.mine OWNER TO connector; \
         CREATE TABLE s.opt (x int); GRANT SELECT ON s.opt TO connector WITH GRANT OPTION; \
         CREATE TABLE s.via_group (x int); GRANT SELECT ON s.via_group TO grp WITH GRANT OPTION; \
         CREATE TABLE s.plain (x int); GRANT SELECT ON s.plain TO connector; \
         CREATE TABLE s.none (x int); \
         CREATE TABLE s.bobs (x int); GRANT SELECT ON s.bobs TO bob WITH GRANT OPTION; \
         SET ROLE bob; GRANT SELECT ON s.bobs TO r; RESET ROLE; \
         DO $$ BEGIN EXECUTE format('ALTER TABLE s.opt OWNER TO other'); \
           EXECUTE format('ALTER TABLE s.via_group OWNER TO other'); \
           EXECUTE format('ALTER TABLE s.plain OWNER TO other'); \
           EXECUTE format('ALTER TABLE s.none OWNER TO other'); \
           EXECUTE format('ALTER TABLE s.bobs OWNER TO other'); END $$;",
    );
    c
}

/// The integration `app`: database app as the connector.
fn connector(c: &Cluster) -> IntegrationInput {
    login_input(c, "app", "connector", "connector-pw", "app")
}

/// The server's answer for `change`'s subject, as `t` or `f`.
fn truth(c: &Cluster, sql: &str) -> String {
    c.psql("app", &format!("SELECT {sql}"))
}

/// Plans `changes` on `integration` and holds the plan to the server: blocking exactly when
/// `blocking`; a blocking plan fails in a dry run (when it has statements to try) and is
/// refused by an apply; any other plan commits and every `check` is then true.
async fn holds(
    env: &common::Env,
    c: &Cluster,
    integration: &str,
    changes: &[grantry_core::privileges::plan::Change],
    blocking: bool,
    checks: &[&str],
    what: &str,
) {
    let pv = env
        .try_plan(integration, changes)
        .await
        .unwrap_or_else(|e| panic!("{what}: {}", e.message));
    assert_eq!(
        !pv.plan.blocking.is_empty(),
        blocking,
        "{what}: {:?}\n{}",
        pv.plan.blocking,
        pv.plan.script
    );
    if blocking {
        if !pv.plan.statements.is_empty() {
            let dry = env.run(&pv.id, true).await;
            assert_eq!(
                dry.report.outcome,
                RunOutcome::Failed,
                "{what}: {}",
                dry.report.message
            );
        }
        let e = env.try_run(&pv.id, false).await.unwrap_err();
        assert!(
            e.message.contains("cannot carry out"),
            "{what}: {}",
            e.message
        );
        return;
    }
    let r = env.run(&pv.id, false).await;
    assert_eq!(
        r.report.outcome,
        RunOutcome::Committed,
        "{what}: {}\n{}",
        r.report.message,
        pv.plan.script
    );
    for check in checks {
        assert_eq!(truth(c, check), "t", "{what}: {check}\n{}", pv.plan.script);
    }
}

#[tokio::test]
async fn a_plan_is_blocking_exactly_where_the_server_would_refuse_or_ignore_it() {
    for bin in version_matrix() {
        let v = bin.major;
        let c = start(&bin.bindir);
        let env = grantry_with(connector(&c)).await;
        // (change, blocking expected on this major, the server's check of its effect).
        let cases: Vec<(&str, bool, &str)> = vec![
            (
                "grant SELECT on table:s.mine to r",
                false,
                "has_table_privilege('r', 's.mine', 'SELECT')",
            ),
            (
                "grant SELECT on table:s.opt to r",
                false,
                "has_table_privilege('r', 's.opt', 'SELECT')",
            ),
            (
                "grant SELECT on table:s.via_group to r",
                false,
                "has_table_privilege('r', 's.via_group', 'SELECT')",
            ),
            (
                "grant SELECT on table:s.plain to r",
                true,
                "has_table_privilege('r', 's.plain', 'SELECT')",
            ),
            (
                "grant SELECT on table:s.none to r",
                true,
                "has_table_privilege('r', 's.none', 'SELECT')",
            ),
            (
                "grant UPDATE on table:s.opt to r",
                true,
                "has_table_privilege('r', 's.opt', 'UPDATE')",
            ),
            // Before 16 CREATEROLE may change any non-superuser's memberships; from 16 on it
            // needs ADMIN OPTION on the role, which the creator of a role gets.
            (
                "grant-role grp to u",
                v >= 16,
                "pg_has_role('u', 'grp', 'MEMBER')",
            ),
            (
                "create-role newbie",
                false,
                "exists (select from pg_roles where rolname = 'newbie')",
            ),
            // bob granted r SELECT on s.bobs; the connector can neither become bob nor has any
            // privilege there.
            (
                "revoke SELECT on table:s.bobs from r",
                true,
                "not has_table_privilege('r', 's.bobs', 'SELECT')",
            ),
        ];
        for (line, blocking, check) in cases {
            let change = parse_change(line).unwrap();
            let before = truth(&c, check);
            let pv = env
                .try_plan("app", std::slice::from_ref(&change))
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL {v}, {line}: {}", e.message));
            assert_eq!(
                !pv.plan.blocking.is_empty(),
                blocking,
                "PostgreSQL {v}, {line}: blocking {:?}",
                pv.plan.blocking
            );
            // The dry run runs the statements whatever the plan says and rolls back: it shows
            // what the server does with them. A plan of blocking steps only has nothing the
            // connector could even try: refused like an apply.
            if blocking && pv.plan.statements.is_empty() {
                let e = env.try_run(&pv.id, true).await.unwrap_err();
                assert!(e.message.contains("cannot carry out"), "{}", e.message);
                continue;
            }
            let dry = env.run(&pv.id, true).await;
            if blocking {
                assert_eq!(
                    dry.report.outcome,
                    RunOutcome::Failed,
                    "PostgreSQL {v}, {line}: {}",
                    dry.report.message
                );
            } else {
                assert_eq!(
                    dry.report.outcome,
                    RunOutcome::RolledBack,
                    "PostgreSQL {v}, {line}: {}",
                    dry.report.message
                );
            }
            assert_eq!(truth(&c, check), before, "PostgreSQL {v}, {line}: dry run");
            if blocking {
                // Apply refuses it before anything runs.
                let e = env.try_run(&pv.id, false).await.unwrap_err();
                assert!(e.message.contains("cannot carry out"), "{}", e.message);
                assert_eq!(truth(&c, check), before, "PostgreSQL {v}, {line}");
            } else {
                common::applied(&env, &pv.id).await;
                assert_eq!(truth(&c, check), "t", "PostgreSQL {v}, {line}");
            }
        }
        env.g.close().await;
    }
}

#[tokio::test]
async fn revokes_of_another_grantors_grants_run_as_that_grantor() {
    for bin in version_matrix() {
        let v = bin.major;
        let c = start(&bin.bindir);
        // u is a member of grp twice on 16+: granted by the superuser and by bob (who has ADMIN).
        c.psql(
            "postgres",
            "GRANT grp TO u; GRANT grp TO bob WITH ADMIN OPTION; SET ROLE bob; GRANT grp TO u; RESET ROLE;",
        );
        let rows = c.psql(
            "postgres",
            "SELECT count(*) FROM pg_auth_members WHERE roleid = 'grp'::regrole AND member = 'u'::regrole",
        );
        assert_eq!(rows, if v >= 16 { "2" } else { "1" }, "PostgreSQL {v}");
        let env = grantry_with(input_on(&c, "app", SslMode::Require, "app")).await;

        // The object grant bob made goes, as bob.
        let pv = env
            .plan("app", &changes(&["revoke SELECT on table:s.bobs from r"]))
            .await;
        let sql: Vec<&str> = pv.plan.statements.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(
            sql,
            [
                r#"SET ROLE "bob""#,
                r#"REVOKE SELECT ON TABLE "s"."bobs" FROM "r""#,
                "RESET ROLE"
            ],
            "PostgreSQL {v}"
        );
        common::applied(&env, &pv.id).await;
        assert_eq!(
            truth(&c, "has_table_privilege('r', 's.bobs', 'SELECT')"),
            "f",
            "PostgreSQL {v}"
        );
        // The connection goes back to the pool as the connector, not as bob.
        let who = env
            .plan("app", &changes(&["grant SELECT on table:s.none to r"]))
            .await;
        assert!(who.plan.blocking.is_empty(), "{:?}", who.plan.blocking);
        common::applied(&env, &who.id).await;
        assert_eq!(
            c.psql(
                "app",
                "SELECT grantor::regrole FROM pg_class, aclexplode(relacl) WHERE oid = 's.none'::regclass AND grantee = 'r'::regrole"
            ),
            "other",
            "PostgreSQL {v}: the owner's grant, made as the superuser, not as bob"
        );

        // The membership goes whole: each grantor's row, as its grantor.
        let pv = env.plan("app", &changes(&["revoke-role grp from u"])).await;
        let sql: Vec<&str> = pv.plan.statements.iter().map(|s| s.sql.as_str()).collect();
        if v >= 16 {
            assert_eq!(
                sql,
                [
                    r#"REVOKE "grp" FROM "u""#,
                    r#"REVOKE "grp" FROM "u" GRANTED BY "bob""#
                ],
                "PostgreSQL {v}"
            );
        } else {
            assert_eq!(sql, [r#"REVOKE "grp" FROM "u""#], "PostgreSQL {v}");
        }
        common::applied(&env, &pv.id).await;
        assert_eq!(
            truth(&c, "pg_has_role('u', 'grp', 'MEMBER')"),
            "f",
            "PostgreSQL {v}"
        );
        // Planned again: nothing to do.
        let again = env
            .try_plan("app", &changes(&["revoke-role grp from u"]))
            .await;
        assert!(
            again.is_err() || again.unwrap().plan.statements.is_empty(),
            "PostgreSQL {v}"
        );

        // A connector with ADMIN on grp but not bob's privileges cannot remove bob's grant.
        if v >= 16 {
            c.psql(
                "postgres",
                "GRANT grp TO connector WITH ADMIN OPTION; SET ROLE bob; GRANT grp TO u; RESET ROLE;",
            );
            let env2 = grantry_with(connector(&c)).await;
            let pv = env2
                .plan("app", &changes(&["revoke-role grp from u"]))
                .await;
            assert_eq!(pv.plan.blocking.len(), 1, "{:?}", pv.plan.blocking);
            assert!(
                pv.plan.blocking[0].contains("granted by bob")
                    && pv.plan.blocking[0].contains(r#"GRANTED BY "bob""#),
                "{}",
                pv.plan.blocking[0]
            );
            // The statement stays in the plan; a dry run shows the server refusing it.
            let dry = env2.run(&pv.id, true).await;
            common::assert_outcome(&dry, RunOutcome::Failed);
            let e = env2.try_run(&pv.id, false).await.unwrap_err();
            assert!(e.message.contains("cannot carry out"), "{}", e.message);
            assert_eq!(truth(&c, "pg_has_role('u', 'grp', 'MEMBER')"), "t");
            env2.g.close().await;
        }
        env.g.close().await;
    }
}

/// The grantor PostgreSQL picks (select_best_grantor: the connector itself first, then the roles
/// it inherits breadth first, the owner holding every option), and objects whose names differ
/// only in quoting, on every major.
#[tokio::test]
async fn the_grantor_is_predicted_as_postgresql_picks_it() {
    for bin in version_matrix() {
        let v = bin.major;
        let c = Cluster::start_with(&bin.bindir);
        c.psql(
            "postgres",
            "CREATE ROLE conn LOGIN PASSWORD 'conn-pw' CREATEROLE; CREATE ROLE towner NOLOGIN; \
             CREATE ROLE r1 NOLOGIN; CREATE ROLE r2 NOLOGIN; CREATE ROLE gtopa NOLOGIN; \
             CREATE ROLE gmid NOLOGIN; CREATE ROLE gdirb NOLOGIN; CREATE ROLE gins NOLOGIN; \
             GRANT towner TO conn; GRANT gtopa TO gmid; GRANT gmid TO conn; GRANT gdirb TO conn; \
             GRANT gins TO conn; CREATE DATABASE app;",
        );
        c.psql(
            "app",
            r#"CREATE SCHEMA s3; CREATE SCHEMA "s3.a"; CREATE SCHEMA s; GRANT USAGE ON SCHEMA s, s3, "s3.a" TO PUBLIC;
               CREATE TABLE s3."a.b" (x int); CREATE TABLE "s3.a".b (x int); CREATE TABLE s.og (x int);
               CREATE TABLE s.bfs (x int); CREATE TABLE s.split (x int);
               ALTER TABLE s3."a.b" OWNER TO towner; ALTER TABLE "s3.a".b OWNER TO towner; ALTER TABLE s.og OWNER TO towner;
               SET ROLE towner;
               GRANT SELECT ON "s3.a".b TO conn WITH GRANT OPTION; GRANT SELECT ON "s3.a".b TO r2;
               GRANT SELECT ON s.og TO conn WITH GRANT OPTION; GRANT SELECT ON s.og TO r2;
               RESET ROLE;
               GRANT SELECT ON s.bfs TO gtopa, gdirb WITH GRANT OPTION;
               SET ROLE gtopa; GRANT SELECT ON s.bfs TO r2; RESET ROLE;
               GRANT SELECT ON s.split TO conn WITH GRANT OPTION; GRANT INSERT ON s.split TO gins WITH GRANT OPTION;"#,
        );
        let env = grantry_with(login_input(&c, "app", "conn", "conn-pw", "app")).await;
        // (changes, blocking expected, checks that must all be true after the apply)
        let cases: Vec<(Vec<&str>, bool, Vec<&str>)> = vec![
            (
                vec![
                    r#"revoke SELECT on table:"s3.a".b from r2"#,
                    r#"grant SELECT on table:s3."a.b" to r1"#,
                ],
                false,
                vec![
                    r#"NOT has_table_privilege('r2', '"s3.a".b', 'SELECT')"#,
                    r#"has_table_privilege('r1', 's3."a.b"', 'SELECT')"#,
                ],
            ),
            (
                vec!["revoke SELECT on table:s.og from r2"],
                false,
                vec!["NOT has_table_privilege('r2', 's.og', 'SELECT')"],
            ),
            (
                vec!["revoke SELECT on table:s.bfs from r2"],
                false,
                vec!["NOT has_table_privilege('r2', 's.bfs', 'SELECT')"],
            ),
            (
                vec!["grant SELECT,INSERT on table:s.split to r1"],
                true,
                vec![],
            ),
            (
                vec![
                    "grant SELECT on table:s.split to r1",
                    "grant INSERT on table:s.split to r1",
                ],
                false,
                vec![
                    "has_table_privilege('r1', 's.split', 'SELECT')",
                    "has_table_privilege('r1', 's.split', 'INSERT')",
                ],
            ),
        ];
        for (lines, blocking, checks) in cases {
            let changes = common::changes(&lines);
            let what = format!("PostgreSQL {v}, {lines:?}");
            holds(&env, &c, "app", &changes, blocking, &checks, &what).await;
        }
        env.g.close().await;
    }
}

/// Revokes across grantors, on every major: several privileges whose grants came from
/// different grantors, grant options held only from other grantors, ADMIN OPTION from several
/// grantors (16+), a grantor that lost USAGE on the schema, default privileges of a role the
/// connector cannot act for, and a REVOKE that needs no CASCADE because the grantee keeps the
/// grant option through a group. Each is either blocking (and a dry run shows the server
/// refusing, or there is nothing to try) or applies whole, as the server's answers confirm.
#[tokio::test]
async fn revokes_across_grantors_do_all_they_say_or_are_blocking() {
    use grantry_core::privileges::plan::Change;
    use grantry_core::privileges::Privilege;
    for bin in version_matrix() {
        let v = bin.major;
        let c = Cluster::start_with(&bin.bindir);
        c.psql(
            "postgres",
            "CREATE ROLE c2 LOGIN PASSWORD 'c2-pw'; CREATE ROLE own2; CREATE ROLE gtopa; CREATE ROLE gmid; \
             CREATE ROLE gdirb; CREATE ROLE r; CREATE ROLE hg; CREATE ROLE ca; CREATE ROLE cb; CREATE ROLE cc; \
             CREATE ROLE xa; CREATE ROLE xg; CREATE ROLE xc; CREATE ROLE g7; CREATE ROLE gadm; CREATE ROLE u7; \
             GRANT gtopa TO gmid; GRANT gmid TO c2; GRANT gdirb TO c2; GRANT xg TO xa; \
             GRANT g7 TO gadm WITH ADMIN OPTION; CREATE DATABASE app;",
        );
        if v >= 16 {
            c.psql(
                "postgres",
                "GRANT g7 TO u7 WITH ADMIN OPTION; SET ROLE gadm; GRANT g7 TO u7 WITH ADMIN OPTION; RESET ROLE;",
            );
        } else {
            c.psql("postgres", "GRANT g7 TO u7 WITH ADMIN OPTION;");
        }
        c.psql(
            "app",
            "CREATE SCHEMA s AUTHORIZATION own2; GRANT USAGE ON SCHEMA s TO PUBLIC; \
             CREATE TABLE s.t (x int); ALTER TABLE s.t OWNER TO own2; \
             CREATE TABLE s.h (x int); CREATE TABLE s.o (x int); CREATE TABLE s.x (x int); \
             CREATE SCHEMA s12; CREATE TABLE s12.t (x int); GRANT USAGE ON SCHEMA s12 TO hg; \
             GRANT SELECT ON s12.t TO hg WITH GRANT OPTION; SET ROLE hg; GRANT SELECT ON s12.t TO r; RESET ROLE; \
             REVOKE USAGE ON SCHEMA s12 FROM hg; \
             SET ROLE own2; GRANT SELECT, INSERT ON s.t TO gtopa WITH GRANT OPTION; \
             GRANT SELECT ON s.t TO gdirb WITH GRANT OPTION; RESET ROLE; \
             SET ROLE gdirb; GRANT SELECT ON s.t TO r; RESET ROLE; SET ROLE gtopa; GRANT INSERT ON s.t TO r; RESET ROLE; \
             GRANT SELECT ON s.o TO ca, cb WITH GRANT OPTION; SET ROLE ca; GRANT SELECT ON s.o TO cc WITH GRANT OPTION; RESET ROLE; \
             SET ROLE cb; GRANT SELECT ON s.o TO cc WITH GRANT OPTION; RESET ROLE; \
             GRANT SELECT ON s.x TO xa, xg WITH GRANT OPTION; SET ROLE xa; GRANT SELECT ON s.x TO xc; RESET ROLE;",
        );
        let su = grantry_with(input_on(&c, "su", SslMode::Require, "app")).await;
        let c2 = grantry_with(login_input(&c, "c2", "c2", "c2-pw", "app")).await;
        // (who, changes, blocking, checks after the apply)
        type Case<'a> = (&'a common::Env, &'a str, Vec<Change>, bool, Vec<&'a str>);
        let cases: Vec<Case> = vec![
            (
                &c2,
                "c2",
                changes(&["revoke SELECT,INSERT on table:s.t from r"]),
                false,
                vec![
                    "NOT has_table_privilege('r', 's.t', 'SELECT')",
                    "NOT has_table_privilege('r', 's.t', 'INSERT')",
                ],
            ),
            (
                &su,
                "su",
                changes(&["revoke SELECT on table:s12.t from r"]),
                true,
                vec![],
            ),
            (
                &su,
                "su",
                changes(&["revoke grant option for SELECT on table:s.o from cc"]),
                false,
                vec![
                    "has_table_privilege('cc', 's.o', 'SELECT')",
                    "NOT has_table_privilege('cc', 's.o', 'SELECT WITH GRANT OPTION')",
                ],
            ),
            (
                &su,
                "su",
                changes(&["revoke-role g7 from u7 admin-option"]),
                false,
                vec![
                    "pg_has_role('u7', 'g7', 'MEMBER')",
                    "NOT EXISTS (SELECT FROM pg_auth_members WHERE roleid = 'g7'::regrole AND member = 'u7'::regrole AND admin_option)",
                ],
            ),
            (
                &c2,
                "c2",
                vec![Change::DefaultPrivileges {
                    grant: true,
                    for_role: Some("own2".into()),
                    in_schema: Some("s".into()),
                    on: grantry_core::privileges::inspect::DefaultObjectType::Tables,
                    privileges: vec![Privilege::Select],
                    roles: vec!["r".into()],
                    with_grant_option: false,
                }],
                true,
                vec![],
            ),
            (
                &su,
                "su",
                vec![revoke(Privilege::Select, table("s", "x"), "xa")],
                false,
                vec![
                    "NOT EXISTS (SELECT FROM pg_class, aclexplode(relacl) a WHERE oid = 's.x'::regclass AND a.grantee = 'xa'::regrole)",
                    "has_table_privilege('xc', 's.x', 'SELECT')",
                ],
            ),
        ];
        for (env, name, changes, blocking, checks) in cases {
            let what = format!("PostgreSQL {v}, {name}: {changes:?}");
            holds(env, &c, name, &changes, blocking, &checks, &what).await;
        }
        su.g.close().await;
        c2.g.close().await;
    }
}

/// A grant the connector cannot make names the statement that would let it, for a schema, a
/// function, a column and a table with names that need quoting; run as the owner, each one works
/// and the same plan then has nothing blocking.
#[tokio::test]
async fn the_fix_for_a_missing_grant_option_is_sql_that_runs() {
    let c = Cluster::start(grantry_testrig::Options::default());
    c.psql(
        "postgres",
        "CREATE ROLE connector LOGIN PASSWORD 'connector-pw'; CREATE ROLE \"Other Owner\" NOLOGIN; \
         CREATE ROLE r NOLOGIN; CREATE DATABASE app;",
    );
    c.psql(
        "app",
        "CREATE SCHEMA \"Hostile */\"; ALTER SCHEMA \"Hostile */\" OWNER TO \"Other Owner\"; \
         GRANT USAGE ON SCHEMA \"Hostile */\" TO connector; \
         CREATE TABLE \"Hostile */\".\"t \"\"q\"\"\" (\"C 1\" int); \
         ALTER TABLE \"Hostile */\".\"t \"\"q\"\"\" OWNER TO \"Other Owner\"; \
         GRANT SELECT (\"C 1\") ON \"Hostile */\".\"t \"\"q\"\"\" TO connector; \
         GRANT UPDATE ON \"Hostile */\".\"t \"\"q\"\"\" TO connector; \
         CREATE FUNCTION \"Hostile */\".f(integer) RETURNS int LANGUAGE sql AS 'SELECT 1'; \
         ALTER FUNCTION \"Hostile */\".f(integer) OWNER TO \"Other Owner\"; \
         REVOKE EXECUTE ON FUNCTION \"Hostile */\".f(integer) FROM PUBLIC; \
         GRANT EXECUTE ON FUNCTION \"Hostile */\".f(integer) TO connector;",
    );
    let env = grantry_with(login_input(&c, "app", "connector", "connector-pw", "app")).await;
    let wanted = changes(&[
        r#"grant USAGE on schema:"Hostile */" to r"#,
        r#"grant EXECUTE on function:"Hostile */".f(integer) to r"#,
        r#"grant SELECT on column:"Hostile */"."t ""q"""."C 1" to r"#,
        r#"grant UPDATE on table:"Hostile */"."t ""q""" to r"#,
    ]);
    let pv = env.plan("app", &wanted).await;
    assert_eq!(pv.plan.blocking.len(), 4, "{:#?}", pv.plan.blocking);
    for b in &pv.plan.blocking {
        let fix = b
            .split_once(" run ")
            .and_then(|(_, rest)| rest.split_once(", or apply this plan"))
            .map(|(sql, _)| sql)
            .unwrap_or_else(|| panic!("no fix statement in {b}"));
        assert!(
            fix.ends_with(r#" TO "connector" WITH GRANT OPTION"#),
            "{fix}"
        );
        c.psql("app", &format!("SET ROLE \"Other Owner\"; {fix}"));
    }
    let pv = env.plan("app", &wanted).await;
    assert!(pv.plan.blocking.is_empty(), "{:#?}", pv.plan.blocking);
    common::applied(&env, &pv.id).await;
    assert_eq!(
        c.psql(
            "app",
            "SELECT has_schema_privilege('r', 'Hostile */', 'USAGE') AND \
             has_function_privilege('r', '\"Hostile */\".f(integer)', 'EXECUTE') AND \
             has_column_privilege('r', '\"Hostile */\".\"t \"\"q\"\"\"', 'C 1', 'SELECT') AND \
             has_table_privilege('r', '\"Hostile */\".\"t \"\"q\"\"\"', 'UPDATE')"
        ),
        "t"
    );
}

/// The connection test checks what the connector needs: each missing power says why, and its
/// fix SQL, run by a superuser, makes the next test pass that check.
#[tokio::test]
async fn prerequisites_name_their_fix_and_the_fix_works() {
    let c = Cluster::start(grantry_testrig::Options::default());
    c.psql(
        "postgres",
        "CREATE ROLE \"Connector Q\" LOGIN PASSWORD 'connector-pw'; CREATE ROLE other NOLOGIN; \
         CREATE DATABASE app;",
    );
    c.psql(
        "app",
        "CREATE SCHEMA \"Sales */\"; CREATE TABLE \"Sales */\".t (x int); \
         GRANT USAGE ON SCHEMA \"Sales */\" TO \"Connector Q\"; \
         GRANT SELECT ON \"Sales */\".t TO \"Connector Q\"; \
         CREATE TABLE public.mine (x int); ALTER TABLE public.mine OWNER TO \"Connector Q\";",
    );
    let env = grantry_with(login_input(&c, "app", "Connector Q", "connector-pw", "app")).await;
    let report = env.g.integrations().test("app").await.unwrap();
    assert!(report.ok, "{report:#?}");
    for id in [
        "createrole",
        "grant_option",
        "read_all_stats",
        "pg_stat_statements_loaded",
        "pg_stat_statements_installed",
    ] {
        let p = common::prerequisite(&report, id);
        assert!(!p.ok, "{p:#?}");
        let sql = p.fix_sql.unwrap_or_else(|| panic!("{id} has no fix SQL"));
        // The fixes quote what they name, as every statement Grantry writes.
        if id != "pg_stat_statements_installed" {
            assert!(sql.contains("\"Connector Q\""), "{sql}");
        }
        c.psql("app", &sql);
    }
    let grant = common::prerequisite(&report, "grant_option");
    assert!(grant.why.contains("on 1 relation"), "{}", grant.why);
    // Unknown before pg_read_all_settings: the fix lets it see the setting (the rig's clusters
    // preload pg_stat_statements, so it is then seen loaded).
    assert!(common::prerequisite(&report, "pg_stat_statements_loaded")
        .why
        .contains("unknown"));
    let again = env.g.integrations().test("app").await.unwrap();
    let failing: Vec<_> = again.prerequisites.iter().filter(|p| !p.ok).collect();
    assert!(failing.is_empty(), "{failing:#?}");
    // Self-hosted: no platform role is checked.
    assert!(again
        .prerequisites
        .iter()
        .all(|p| p.id != "rds_superuser" && p.id != "azure_pg_admin"));
}
