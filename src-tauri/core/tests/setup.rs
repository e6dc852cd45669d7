//! The connector's setup against real servers: the script runs in psql as written (hostile user,
//! database and schema names included), and the setup through the plan pipeline (dry run,
//! apply, one database after another) gives a user that the connection test then finds with
//! every power Grantry needs, on every supported major; has_*_privilege agree.

mod common;

use common::{grantry_with, input_on, login_input};
use grantry_core::connect::prerequisites::Platform;
use grantry_core::privileges::apply::RunOutcome;
use grantry_core::setup::{SetupPlan, SetupRequest};
use grantry_core::ErrorCode;
use grantry_testrig::{version_matrix, Cluster};

const HOSTILE_DB: &str = "d'b\n\\connect postgres";
const HOSTILE_SCHEMA: &str = "s\"c */ ;";
const HOSTILE_USER: &str = "conn\"; DROP ROLE x; -- */";

fn q(name: &str) -> String {
    grantry_core::quote::ident(name)
}

fn lit(s: &str) -> String {
    grantry_core::quote::literal(s)
}

/// A cluster with databases app and the hostile one, each with the hostile schema and a table
/// in it owned by a role that is not the administrator, and pg_stat_statements in app.
fn start(bindir: Option<&std::path::Path>) -> Cluster {
    let c = match bindir {
        Some(b) => Cluster::start_with(b),
        None => Cluster::start(Default::default()),
    };
    c.psql(
        "postgres",
        &format!(
            "CREATE ROLE other NOLOGIN; CREATE DATABASE app; CREATE DATABASE {};",
            q(HOSTILE_DB)
        ),
    );
    for db in ["app", HOSTILE_DB] {
        c.psql(
            db,
            &format!(
                "CREATE SCHEMA {s} AUTHORIZATION other; \
                 CREATE TABLE {s}.t (id serial, x int); ALTER TABLE {s}.t OWNER TO other; \
                 CREATE TABLE public.p (x int); ALTER TABLE public.p OWNER TO other; \
                 CREATE FUNCTION {s}.f() RETURNS int LANGUAGE sql AS 'SELECT 1'; \
                 ALTER FUNCTION {s}.f() OWNER TO other;",
                s = q(HOSTILE_SCHEMA)
            ),
        );
    }
    // An extension's functions beside the database's own in public: these are granted one
    // by one there.
    c.psql(
        "app",
        "CREATE EXTENSION pg_stat_statements; \
         CREATE FUNCTION public.mine(a int, b text) RETURNS int LANGUAGE sql AS 'SELECT a'; \
         ALTER FUNCTION public.mine(int, text) OWNER TO other;",
    );
    c
}

/// The server's answer, in `db`, as `t` or `f`.
fn truth(c: &Cluster, db: &str, sql: &str) -> String {
    c.psql(db, &format!("SELECT {sql}"))
}

/// The user holds everything with the grant option in `db`, as the server says (existing
/// functions too when `functions`).
fn holds_all(c: &Cluster, db: &str, user: &str) {
    holds(c, db, user, true)
}

fn holds(c: &Cluster, db: &str, user: &str, functions: bool) {
    let u = lit(user);
    let s = q(HOSTILE_SCHEMA);
    for check in [
        format!("has_database_privilege({u}, current_database(), 'CREATE WITH GRANT OPTION')"),
        format!(
            "has_schema_privilege({u}, {}, 'USAGE WITH GRANT OPTION')",
            lit(HOSTILE_SCHEMA)
        ),
        format!(
            "has_table_privilege({u}, {}, 'SELECT WITH GRANT OPTION')",
            lit(&format!("{s}.t"))
        ),
        format!("has_table_privilege({u}, 'public.p', 'UPDATE WITH GRANT OPTION')"),
        format!(
            "has_sequence_privilege({u}, {}, 'USAGE WITH GRANT OPTION')",
            lit(&format!("{s}.t_id_seq"))
        ),
        format!("pg_has_role({u}, 'pg_read_all_stats', 'USAGE')"),
    ] {
        assert_eq!(truth(c, db, &check), "t", "{check} in {db:?}");
    }
    let f = format!(
        "has_function_privilege({u}, {}, 'EXECUTE WITH GRANT OPTION')",
        lit(&format!("{s}.f()"))
    );
    assert_eq!(
        truth(c, db, &f),
        if functions { "t" } else { "f" },
        "{f} in {db:?}"
    );
    // Never an extension's routines (pg_stat_statements_reset, which PUBLIC may not run).
    assert_eq!(
        truth(
            c,
            db,
            &format!(
                "coalesce(bool_or(has_function_privilege({u}, p.oid, 'EXECUTE WITH GRANT OPTION')), false) \
                 FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass \
                 AND d.objid = p.oid AND d.deptype = 'e'"
            )
        ),
        "f",
        "an extension's function in {db:?}"
    );
    // Default privileges: a table the administrator creates later is the user's to grant.
    c.psql(db, "CREATE TABLE public.later (x int)");
    assert_eq!(
        truth(
            c,
            db,
            &format!("has_table_privilege({u}, 'public.later', 'SELECT WITH GRANT OPTION')")
        ),
        "t",
        "default privileges in {db:?}"
    );
}

fn request(user: &str) -> SetupRequest {
    SetupRequest {
        platform: Platform::SelfHosted,
        user: user.into(),
    }
}

#[tokio::test]
async fn the_script_runs_in_psql_as_written() {
    let c = start(None);
    // Names psql would take for a connection string, or strip quotes from.
    let conninfo_db = "host=127.0.0.1 port=1 dbname=template1";
    let quoted_db = "a\"b";
    for db in [conninfo_db, quoted_db, "ab"] {
        c.psql("postgres", &format!("CREATE DATABASE {}", q(db)));
    }
    let env = common::grantry().await;
    let plan = env
        .g
        .setup()
        .script(
            &request(HOSTILE_USER),
            &[
                "app".into(),
                HOSTILE_DB.into(),
                conninfo_db.into(),
                quoted_db.into(),
            ],
            &["public".into(), HOSTILE_SCHEMA.into()],
        )
        .unwrap_or_else(|e| panic!("{}", e.message));
    // Run by psql as the superuser, stopping at the first error. (The hostile schema is not
    // in the two extra databases: their grants stop at the database, so run those parts of
    // the script alone.)
    let (main, extra) = plan
        .script
        .split_once(&format!(
            "\n-- In database {}",
            grantry_core::quote::escape_controls(&q(conninfo_db))
        ))
        .expect("the connection-string database's part");
    c.psql_script("postgres", &[], main);
    for (db, part) in [(conninfo_db, extra), (quoted_db, extra)] {
        let start = part
            .find(&format!(
                "-- In database {}",
                grantry_core::quote::escape_controls(&q(db))
            ))
            .unwrap_or(0);
        let part = &part[start..];
        let line = part.lines().find(|l| l.starts_with("\\connect")).unwrap();
        let grant = part
            .lines()
            .find(|l| l.starts_with("GRANT ALL ON DATABASE"))
            .unwrap();
        // psql lands in that database, on the same server.
        let (_, out) = c.psql_script(
            "postgres",
            &["-At"],
            &format!(
                "{line}\nSELECT current_database() = {};\n{grant}\n",
                lit(db)
            ),
        );
        assert_eq!(out.trim(), "t", "{line}");
        assert_eq!(
            truth(
                &c,
                "postgres",
                &format!(
                    "has_database_privilege({}, {}, 'CREATE WITH GRANT OPTION')",
                    lit(HOSTILE_USER),
                    lit(db)
                )
            ),
            "t",
            "{db}"
        );
    }
    // Neither name reached another database.
    for other in ["template1", "ab"] {
        assert_eq!(
            truth(
                &c,
                "postgres",
                &format!(
                    "has_database_privilege({}, {}, 'CREATE')",
                    lit(HOSTILE_USER),
                    lit(other)
                )
            ),
            "f",
            "{other}"
        );
    }
    assert_eq!(
        truth(
            &c,
            "postgres",
            &format!(
                "(SELECT rolcreaterole AND rolcanlogin FROM pg_roles WHERE rolname = {})",
                lit(HOSTILE_USER)
            )
        ),
        "t"
    );
    // No name became SQL: the role x the user name spells out a DROP of was never needed.
    // Without a server the script grants on no existing function (it cannot tell an
    // extension's).
    for db in ["app", HOSTILE_DB] {
        holds(&c, db, HOSTILE_USER, false);
    }
    // The connection test, as that user, finds the powers.
    c.psql(
        "postgres",
        &format!("ALTER ROLE {} PASSWORD 'setup-pw'", q(HOSTILE_USER)),
    );
    let env = grantry_with(login_input(&c, "conn", HOSTILE_USER, "setup-pw", "app")).await;
    let report = env.g.integrations().test("conn").await.unwrap();
    assert!(report.ok, "{}", report.message);
    for id in ["createrole", "grant_option", "read_all_stats"] {
        assert!(
            common::prerequisite(&report, id).ok,
            "{id}: {:#?}",
            report.prerequisites
        );
    }
}

#[tokio::test]
async fn other_platforms_scripts_run_where_their_roles_exist() {
    let c = start(None);
    // The platforms' roles, as a server of theirs has them.
    c.psql(
        "postgres",
        "CREATE ROLE rds_superuser NOLOGIN; CREATE ROLE rds_iam NOLOGIN; \
         CREATE ROLE azure_pg_admin NOLOGIN;",
    );
    let env = common::grantry().await;
    for (platform, user, member_of) in [
        (
            Platform::AwsRds { iam: true },
            "iam_conn",
            vec!["rds_superuser", "rds_iam"],
        ),
        (
            Platform::AwsRds { iam: false },
            "rds_conn",
            vec!["rds_superuser"],
        ),
        (
            Platform::Azure { entra: false },
            "az_conn",
            vec!["azure_pg_admin"],
        ),
    ] {
        let plan = env
            .g
            .setup()
            .script(
                &SetupRequest {
                    platform,
                    user: user.into(),
                },
                &["app".into()],
                &[],
            )
            .unwrap();
        c.psql_script("postgres", &[], &plan.script);
        for role in member_of {
            assert_eq!(
                truth(
                    &c,
                    "app",
                    &format!("pg_has_role('{user}', '{role}', 'MEMBER')")
                ),
                "t",
                "{user} in {role}"
            );
        }
        assert_eq!(
            truth(
                &c,
                "app",
                &format!("has_table_privilege('{user}', 'public.p', 'SELECT WITH GRANT OPTION')")
            ),
            "t",
            "{user}"
        );
    }
    // The platforms' own databases are refused by name.
    let e = env
        .g
        .setup()
        .script(
            &SetupRequest {
                platform: Platform::AwsRds { iam: true },
                user: "x".into(),
            },
            &["rdsadmin".into()],
            &[],
        )
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("database"));
}

/// Plans and runs each step of `plan` in its database: a dry run, then an apply; returns the
/// passwords generated.
async fn run_steps(env: &common::Env, plan: &SetupPlan) -> Vec<String> {
    let mut passwords = Vec::new();
    for step in &plan.steps {
        assert!(!step.needs_role, "{}", step.purpose);
        let pv = env
            .g
            .privileges()
            .plan("admin", Some(&step.database), &step.changes)
            .await
            .unwrap_or_else(|e| panic!("{}: {}", step.database, e.message));
        assert!(pv.plan.blocking.is_empty(), "{:?}", pv.plan.blocking);
        if pv.plan.statements.is_empty() {
            // Done already (the first step, applied before the setup was planned again).
            continue;
        }
        let dry = env.run(&pv.id, true).await;
        common::assert_outcome(&dry, RunOutcome::RolledBack);
        let done = env.run(&pv.id, false).await;
        common::assert_outcome(&done, RunOutcome::Committed);
        assert!(
            done.verified.iter().all(|v| v.confirmed),
            "{}: {:?}",
            step.database,
            done.verified
        );
        passwords.extend(
            done.report
                .generated_passwords
                .iter()
                .map(|p| p.password.clone()),
        );
    }
    passwords
}

#[tokio::test]
async fn the_setup_goes_through_the_plan_pipeline_on_every_major() {
    for bin in version_matrix() {
        let c = start(Some(&bin.bindir));
        let env = grantry_with(input_on(
            &c,
            "admin",
            grantry_core::integrations::model::SslMode::Require,
            "app",
        ))
        .await;
        let user = "grantry_conn";
        // Another platform than the integration's is refused.
        let e = env
            .g
            .setup()
            .plan(
                "admin",
                &SetupRequest {
                    platform: Platform::Azure { entra: false },
                    user: user.into(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("platform"), "{}", e.message);

        let first = env.g.setup().plan("admin", &request(user)).await.unwrap();
        assert!(!first.role_exists);
        let names: Vec<&str> = first.steps.iter().map(|s| s.database.as_str()).collect();
        assert_eq!(names[0], "app", "{names:?}");
        for db in [HOSTILE_DB, "postgres", "template1"] {
            assert!(names.contains(&db), "{db:?} in {names:?}");
        }
        assert!(!names.contains(&"template0"));
        assert!(first.steps[1..].iter().all(|s| s.needs_role));
        // The later steps cannot be planned before the role exists: the first is applied,
        // then the setup is planned again and every step runs.
        let only_first = SetupPlan {
            steps: first.steps[..1].to_vec(),
            ..first.clone()
        };
        let passwords = run_steps(&env, &only_first).await;
        assert_eq!(passwords.len(), 1, "one generated password, shown once");
        let again = env.g.setup().plan("admin", &request(user)).await.unwrap();
        assert!(again.role_exists);
        run_steps(&env, &again).await;
        for db in ["app", HOSTILE_DB] {
            holds_all(&c, db, user);
        }
        assert_eq!(
            truth(
                &c,
                "app",
                &format!(
                    "has_function_privilege('{user}', 'public.mine(integer, text)', 'EXECUTE WITH GRANT OPTION')"
                )
            ),
            "t",
            "a function beside an extension's"
        );
        // template1 carries its schemas' grants into a database created later (not those on
        // the database itself: PostgreSQL does not copy them).
        c.psql("postgres", "CREATE DATABASE later");
        assert_eq!(
            truth(
                &c,
                "later",
                &format!("has_schema_privilege('{user}', 'public', 'CREATE WITH GRANT OPTION')")
            ),
            "t"
        );
        assert_eq!(
            truth(
                &c,
                "later",
                &format!("has_database_privilege('{user}', 'later', 'CREATE')")
            ),
            "f"
        );
        // Every step is in the audit log: the first applied once (planned again, it had
        // nothing left to do), each of the others once.
        let audit = env.g.audit().log(50).await.unwrap();
        assert_eq!(
            audit.iter().filter(|a| a.outcome == "committed").count(),
            again.steps.len(),
            "{:?}",
            audit.iter().map(|a| &a.outcome).collect::<Vec<_>>()
        );
        // As that user, the connection test finds every power Grantry needs.
        let conn = login_input(&c, "conn", user, &passwords[0], "app");
        env.g.integrations().add(conn).await.unwrap();
        let report = env.g.integrations().test("conn").await.unwrap();
        assert!(report.ok, "{}", report.message);
        for id in ["createrole", "grant_option", "read_all_stats"] {
            assert!(
                common::prerequisite(&report, id).ok,
                "PG {}: {id}: {:#?}",
                c.major,
                report.prerequisites
            );
        }
        // A second setup of the same user changes nothing and says so.
        let third = env.g.setup().plan("admin", &request(user)).await.unwrap();
        let pv = env
            .g
            .privileges()
            .plan("admin", Some("app"), &third.steps[0].changes)
            .await
            .unwrap();
        assert!(pv.plan.statements.is_empty(), "{}", pv.plan.script);
    }
}

#[tokio::test]
async fn bad_requests_change_nothing() {
    let c = start(None);
    let env = grantry_with(input_on(
        &c,
        "admin",
        grantry_core::integrations::model::SslMode::Require,
        "app",
    ))
    .await;
    for user in [
        "",
        "pg_conn",
        "public",
        &"x".repeat(64),
        "line\nbreak",
        "מנהל",
    ] {
        let e = env
            .g
            .setup()
            .plan("admin", &request(user))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{user:?}");
        assert_eq!(e.field.as_deref(), Some("user"), "{user:?}");
    }
    // The administrator itself is no connector to set up.
    let e = env
        .g
        .setup()
        .plan("admin", &request(&c.superuser))
        .await
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("user"), "{}", e.message);
    // What the setup cannot fix is said: a role that cannot log in, a superuser, a database
    // that takes no connections.
    c.psql(
        "postgres",
        "CREATE ROLE c_nologin NOLOGIN CREATEROLE; CREATE ROLE c_super LOGIN SUPERUSER; \
         CREATE ROLE c_expired LOGIN CREATEROLE VALID UNTIL '2000-01-01'; \
         CREATE DATABASE closed; ALTER DATABASE closed WITH ALLOW_CONNECTIONS false;",
    );
    for (user, says) in [
        ("c_nologin", "without LOGIN"),
        ("c_super", "is a superuser"),
        ("c_expired", "cannot log in now"),
        (
            "c_nologin",
            "\"closed\" is left out: it takes no connections",
        ),
    ] {
        let p = env.g.setup().plan("admin", &request(user)).await.unwrap();
        assert!(
            p.notes.iter().any(|n| n.contains(says)),
            "{user}: {:?}",
            p.notes
        );
        assert!(!p.steps.iter().any(|s| s.database == "closed"));
    }
    let p = env
        .g
        .setup()
        .plan("admin", &request("c_super"))
        .await
        .unwrap();
    assert!(
        !p.notes.iter().any(|n| n.contains("CREATEROLE")),
        "{:?}",
        p.notes
    );
}

#[tokio::test]
async fn a_run_stops_at_the_first_step_that_does_not_go_through_and_a_second_finishes() {
    let c = Cluster::start(Default::default());
    // An administrator that is not a superuser: it owns database mine (and so its public
    // schema), nothing else.
    c.psql(
        "postgres",
        "CREATE ROLE lim LOGIN CREATEROLE PASSWORD 'lim-pw'; \
         GRANT pg_read_all_stats TO lim WITH ADMIN OPTION; \
         CREATE DATABASE mine OWNER lim; CREATE ROLE other NOLOGIN; \
         CREATE DATABASE theirs OWNER other;",
    );
    c.psql("mine", "ALTER SCHEMA public OWNER TO lim");
    let env = grantry_with(login_input(&c, "admin", "lim", "lim-pw", "mine")).await;
    let user = "conn_lim";
    // A dry run: the first step only, nothing left behind.
    let dry = env
        .g
        .setup()
        .run("admin", &request(user), true, None, &|_| {})
        .await
        .unwrap();
    assert!(!dry.complete);
    assert!(dry.error.is_none(), "{:?}", dry.error);
    assert_eq!(dry.steps[0].database, "mine");
    assert_eq!(
        dry.steps[0].result.as_ref().unwrap().report.outcome,
        RunOutcome::RolledBack
    );
    assert!(dry.steps[1..]
        .iter()
        .all(|s| s.result.is_none() && s.note.is_some()));
    let exists = format!("(SELECT count(*) FROM pg_roles WHERE rolname = '{user}')");
    assert_eq!(truth(&c, "postgres", &exists), "0");

    // An apply: mine goes through, the next database (postgres, which lim may not grant on)
    // stops the run, with the reason; nothing after it ran.
    let run = env
        .g
        .setup()
        .run("admin", &request(user), false, None, &|_| {})
        .await
        .unwrap();
    assert!(!run.complete);
    let e = run.error.as_ref().expect("the reason it stopped");
    assert_eq!(e.code, ErrorCode::Refused, "{}", e.message);
    assert!(e.message.contains("\"postgres\""), "{}", e.message);
    assert_eq!(run.steps.len(), 2, "{:#?}", run.steps);
    assert_eq!(
        run.steps[0].result.as_ref().unwrap().report.outcome,
        RunOutcome::Committed
    );
    assert!(run
        .notes
        .iter()
        .any(|n| n.contains("stopped at database \"postgres\"")));
    assert_eq!(truth(&c, "postgres", &exists), "1");
    assert_eq!(
        truth(
            &c,
            "mine",
            &format!("has_database_privilege('{user}', 'mine', 'CREATE WITH GRANT OPTION')")
        ),
        "t"
    );
    assert_eq!(
        truth(
            &c,
            "theirs",
            &format!("has_database_privilege('{user}', 'theirs', 'CREATE')")
        ),
        "f"
    );

    // As a superuser, running it again finishes it: the first step has nothing left to do
    // but the default privileges, which are the running administrator's own.
    let env = grantry_with(input_on(
        &c,
        "admin",
        grantry_core::integrations::model::SslMode::Require,
        "mine",
    ))
    .await;
    let again = env
        .g
        .setup()
        .run("admin", &request(user), false, None, &|_| {})
        .await
        .unwrap();
    assert!(again.complete, "{:?} {:#?}", again.error, again.notes);
    let first = again.steps[0].result.as_ref().unwrap();
    assert!(
        first
            .report
            .statements
            .iter()
            .all(|s| s.sql.starts_with("ALTER DEFAULT PRIVILEGES GRANT")),
        "{:#?}",
        first.report.statements
    );
    for db in ["postgres", "theirs", "template1"] {
        assert_eq!(
            truth(
                &c,
                db,
                &format!(
                    "has_database_privilege('{user}', current_database(), 'CREATE WITH GRANT OPTION')"
                )
            ),
            "t",
            "{db}"
        );
    }
}

/// On servers that have the platforms' roles (as ordinary roles here), a connector the setup
/// script made passes every check of its platform; without the platform's role it fails
/// exactly that check.
#[tokio::test]
async fn emulated_platforms_connectors_pass_every_check_and_fail_exactly_a_missing_one() {
    use grantry_core::integrations::model::{
        AwsRdsInput, AzureAuthInput, AzureInput, ConnectionInput, DbAuth, IntegrationInput, SslMode,
    };
    let c = start(None);
    c.psql(
        "postgres",
        "CREATE ROLE rds_superuser NOLOGIN; CREATE ROLE azure_pg_admin NOLOGIN;",
    );
    let env = common::grantry().await;
    for (platform, user, role) in [
        (Platform::AwsRds { iam: false }, "rds_conn", "rds_superuser"),
        (
            Platform::Azure { entra: false },
            "az_conn",
            "azure_pg_admin",
        ),
    ] {
        let plan = env
            .g
            .setup()
            .script(
                &SetupRequest {
                    platform,
                    user: user.into(),
                },
                &["app".into()],
                &["public".into(), HOSTILE_SCHEMA.into()],
            )
            .unwrap();
        c.psql_script("postgres", &[], &plan.script);
        c.psql(
            "postgres",
            &format!("ALTER ROLE {user} PASSWORD 'pw-{user}'"),
        );
        let password = Some(grantry_core::Secret::new(format!("pw-{user}")));
        let connection = match platform {
            Platform::AwsRds { .. } => ConnectionInput::AwsRds(AwsRdsInput {
                region: "eu-west-1".into(),
                host: "localhost".into(),
                port: Some(c.port as i64),
                database: Some("app".into()),
                username: user.into(),
                auth: Some(DbAuth::Password),
                password,
                sslmode: Some(SslMode::Require),
                ..Default::default()
            }),
            _ => ConnectionInput::Azure(AzureInput {
                host: "localhost".into(),
                port: Some(c.port as i64),
                database: Some("app".into()),
                username: user.into(),
                auth: AzureAuthInput::Password,
                password,
                sslmode: Some(SslMode::Require),
                ..Default::default()
            }),
        };
        env.g
            .integrations()
            .add(IntegrationInput {
                name: user.into(),
                connection,
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{user}: {}", e.message));
        let report = env.g.integrations().test(user).await.unwrap();
        assert!(report.ok, "{user}: {}", report.message);
        let failed: Vec<&str> = report
            .prerequisites
            .iter()
            .filter(|p| !p.ok)
            .map(|p| p.id.as_str())
            .collect();
        assert!(failed.is_empty(), "{user}: {:#?}", report.prerequisites);
        assert!(
            report.prerequisites.iter().any(|p| p.id == role),
            "{user}: no {role} check"
        );
        // Without the platform's role: that check fails, and only that one.
        c.psql("postgres", &format!("REVOKE {role} FROM {user}"));
        let report = env.g.integrations().test(user).await.unwrap();
        let failed: Vec<&str> = report
            .prerequisites
            .iter()
            .filter(|p| !p.ok)
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(failed, [role], "{user}: {:#?}", report.prerequisites);
    }
}
