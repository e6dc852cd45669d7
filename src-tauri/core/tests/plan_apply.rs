//! Plans, dry runs and applies against a real server: SQL, no-ops, warnings, shortcuts, the
//! production and read-only guards, atomicity, concurrency, staleness, generated passwords and
//! the audit log.

mod common;

use common::{grant, grantry_with, input_on, login_input, revoke, table, table_ref};
use grantry_core::integrations::model::{Environment, IntegrationInput, SslMode};
use grantry_core::privileges::apply::{RunOutcome, StatementOutcome};
use grantry_core::privileges::inspect::DefaultObjectType;
use grantry_core::privileges::plan::{AccessDelta, Change, NewPassword, Target};
use grantry_core::privileges::{ObjectKind, Privilege};
use grantry_core::ErrorCode;
use grantry_testrig::{Cluster, Options};

fn setup() -> Cluster {
    let c = Cluster::start(Options::default());
    c.psql(
        "postgres",
        "CREATE ROLE analysts NOLOGIN; CREATE ROLE alice LOGIN IN ROLE analysts; CREATE ROLE bob LOGIN; \
         CREATE ROLE carol LOGIN IN ROLE analysts; CREATE ROLE dave LOGIN IN ROLE analysts; CREATE DATABASE app;",
    );
    c.psql(
        "app",
        "CREATE SCHEMA sales; CREATE TABLE sales.orders (id int, total numeric); CREATE TABLE sales.customers (id int, email text); \
         CREATE VIEW sales.big AS SELECT * FROM sales.orders; \
         GRANT USAGE ON SCHEMA sales TO analysts; GRANT SELECT ON sales.orders TO analysts; \
         GRANT SELECT ON sales.orders TO alice;",
    );
    c
}

async fn env_for(c: &Cluster, environment: Environment, read_only: bool) -> common::Env {
    grantry_with(IntegrationInput {
        environment: Some(environment),
        read_only,
        ..input_on(c, "app", SslMode::Require, "app")
    })
    .await
}

/// A connection of its own to Grantry's local store, as another process opens it.
async fn store_connection(env: &common::Env) -> sqlx::sqlite::SqliteConnection {
    use sqlx::Connection as _;
    let path = env.g.home().store_path();
    sqlx::sqlite::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap()
}

/// Changes sales.customers' ACL in a transaction left open on `session`: a GRANT on the table
/// waits for it.
async fn hold_the_customers_acl(session: &mut sqlx::PgConnection) {
    use sqlx::Executor as _;
    session.execute("BEGIN").await.unwrap();
    session
        .execute("GRANT SELECT ON sales.customers TO carol")
        .await
        .unwrap();
}

fn has(c: &Cluster, role: &str, object: &str, p: &str) -> bool {
    c.psql(
        "app",
        &format!("SELECT has_table_privilege('{role}', '{object}', '{p}')"),
    ) == "t"
}

#[tokio::test]
async fn plan_preview_dry_run_apply_and_audit() {
    let c = setup();
    let env = env_for(&c, Environment::Development, false).await;
    let g = &env.g;
    let changes = vec![
        grant(Privilege::Select, table("sales", "customers"), "bob"),
        // Already granted: dropped.
        grant(Privilege::Select, table("sales", "orders"), "analysts"),
        // Alice keeps SELECT through analysts: a warning.
        revoke(Privilege::Select, table("sales", "orders"), "alice"),
        grant(Privilege::Update, table("sales", "orders"), "analysts"),
    ];
    let pv = g.privileges().plan("app", None, &changes).await.unwrap();
    let p = &pv.plan;
    assert_eq!(
        p.script,
        "GRANT SELECT ON TABLE \"sales\".\"customers\" TO \"bob\";\n\
         GRANT UPDATE ON TABLE \"sales\".\"orders\" TO \"analysts\";\n\
         REVOKE SELECT ON TABLE \"sales\".\"orders\" FROM \"alice\";\n"
    );
    assert_eq!(p.noops.len(), 1, "{:?}", p.noops);
    assert!(
        p.warnings.iter().any(|w| w
            .contains("revoking SELECT on sales.orders from alice removes nothing")
            && w.contains("analysts")),
        "{:?}",
        p.warnings
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("granting to analysts also reaches 3 role(s)")),
        "{:?}",
        p.warnings
    );
    let gained: Vec<(&str, Privilege)> = p
        .access_changes
        .iter()
        .filter(|a| a.delta == AccessDelta::Gained)
        .map(|a| (a.role.as_str(), a.privilege))
        .collect();
    assert!(gained.contains(&("bob", Privilege::Select)));
    assert!(
        gained.contains(&("carol", Privilege::Update))
            && gained.contains(&("alice", Privilege::Update))
    );
    assert!(
        !p.access_changes
            .iter()
            .any(|a| a.delta == AccessDelta::Lost),
        "alice loses nothing: {:?}",
        p.access_changes
    );

    // Dry run: every statement runs, nothing stays.
    let dry = g.privileges().run_plan(&pv.id, true, None).await.unwrap();
    assert_eq!(dry.report.outcome, RunOutcome::RolledBack);
    assert!(dry.report.statements.iter().all(|s| s.error.is_none()));
    assert!(!has(&c, "bob", "sales.customers", "SELECT"));

    let applied = g.privileges().run_plan(&pv.id, false, None).await.unwrap();
    common::assert_outcome(&applied, RunOutcome::Committed);
    assert!(has(&c, "bob", "sales.customers", "SELECT"));
    assert!(has(&c, "carol", "sales.orders", "UPDATE"));
    assert!(
        has(&c, "alice", "sales.orders", "SELECT"),
        "alice still reads through analysts"
    );
    assert!(
        !applied.verified.is_empty() && applied.verified.iter().all(|v| v.confirmed),
        "{:?}",
        applied.verified
    );
    // The same plan cannot be applied twice.
    assert_eq!(
        g.privileges()
            .run_plan(&pv.id, false, None)
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );

    // The matrix shows the new access and where it comes from.
    let grants = g
        .privileges()
        .object_grants("app", None, &table_ref("sales", "orders"))
        .await
        .unwrap();
    let carol = grants.matrix.iter().find(|r| r.role == "carol").unwrap();
    assert!(carol.cells.iter().any(|c| c.privilege == Privilege::Update));

    let audit = g.audit().log(10).await.unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(
        (audit[0].action.as_str(), audit[0].outcome.as_str()),
        ("apply", "committed")
    );
    assert_eq!(
        (audit[1].action.as_str(), audit[1].outcome.as_str()),
        ("dry_run", "rolled_back")
    );
    assert_eq!(
        audit[0].sql, pv.plan.script,
        "the audit keeps the SQL executed"
    );
    assert_eq!(audit[0].database_name, "app");
    assert_eq!(audit[0].statements, 3);
    let csv = grantry_core::audit::audit_csv(&audit);
    assert!(csv.lines().count() >= 3 && csv.starts_with("id,at,os_user"));
}

#[tokio::test]
async fn a_failing_statement_leaves_the_database_as_it_was() {
    let c = setup();
    // bob passes his grant option on: revoking from bob without CASCADE fails (2BP01).
    c.psql("app", "GRANT USAGE ON SCHEMA sales TO bob; GRANT SELECT ON sales.customers TO bob WITH GRANT OPTION; SET ROLE bob; GRANT SELECT ON sales.customers TO dave; RESET ROLE;");
    let env = env_for(&c, Environment::Development, false).await;
    let before = env.snapshot("app").await;
    let changes = vec![
        grant(Privilege::Insert, table("sales", "orders"), "dave"),
        grant(Privilege::Delete, table("sales", "customers"), "alice"),
        revoke(Privilege::Select, table("sales", "customers"), "bob"),
        Change::GrantRole {
            role: "analysts".into(),
            to: "bob".into(),
            admin: false,
            inherit: None,
            set: None,
            granted_by: None,
        },
    ];
    let pv = env.plan("app", &changes).await;
    // The plan says the server will refuse it; apply refuses to start, and a dry run (which
    // runs it anyway) shows the statement failing after others succeeded.
    assert!(
        pv.plan
            .blocking
            .iter()
            .any(|w| w.contains("dependent privileges exist")),
        "{:?}",
        pv.plan.blocking
    );
    let e = env.try_run(&pv.id, false).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Refused);
    let r = env.run(&pv.id, true).await;
    assert_eq!(r.report.outcome, RunOutcome::Failed);
    let failed = r
        .report
        .statements
        .iter()
        .position(|s| s.error.is_some())
        .unwrap();
    assert!(
        failed >= 2,
        "the failing statement runs after others succeeded"
    );
    assert_eq!(r.report.statements[failed].code.as_deref(), Some("2BP01"));
    assert!(r.report.statements[..failed]
        .iter()
        .all(|s| s.error.is_none()));
    let after = env.snapshot("app").await;
    assert_eq!(
        grantry_core::privileges::plan::fingerprint(&before),
        grantry_core::privileges::plan::fingerprint(&after),
        "a failed plan changed the database"
    );
    assert!(
        !has(&c, "dave", "sales.orders", "INSERT")
            && !has(&c, "alice", "sales.customers", "DELETE")
    );
    assert_eq!(
        c.psql("app", "SELECT pg_has_role('bob', 'analysts', 'MEMBER')"),
        "f"
    );
    assert_eq!(env.g.audit().log(5).await.unwrap()[0].outcome, "failed");

    // With CASCADE it goes through, and dave's grant from bob goes too.
    let mut fixed = changes.clone();
    let Change::Revoke { cascade, .. } = &mut fixed[2] else {
        unreachable!("the third change is the revoke from bob")
    };
    *cascade = true;
    let pv = env.plan("app", &fixed).await;
    common::applied(&env, &pv.id).await;
    assert!(!has(&c, "dave", "sales.customers", "SELECT"));
    assert!(has(&c, "dave", "sales.orders", "INSERT"));
}

#[tokio::test]
async fn concurrent_applies_do_not_interleave_and_stale_plans_are_refused() {
    let c = setup();
    let env1 = env_for(&c, Environment::Development, false).await;
    let env2 = env_for(&c, Environment::Development, false).await;
    let a = vec![grant(Privilege::Select, table("sales", "customers"), "bob")];
    let b = vec![grant(
        Privilege::Insert,
        table("sales", "customers"),
        "carol",
    )];
    let pa = env1.plan("app", &a).await;
    let pb = env2.plan("app", &b).await;
    // Both run at once: one takes the apply lock first, the other waits, then finds the
    // database changed.
    let (ra, rb) = tokio::join!(env1.try_run(&pa.id, false), env2.try_run(&pb.id, false));
    let outcomes = [ra.unwrap().report.outcome, rb.unwrap().report.outcome];
    assert!(outcomes.contains(&RunOutcome::Committed), "{outcomes:?}");
    assert!(
        outcomes.contains(&RunOutcome::Refused),
        "the second apply ran on a changed database: {outcomes:?}"
    );
    assert_eq!(
        [
            has(&c, "bob", "sales.customers", "SELECT"),
            has(&c, "carol", "sales.customers", "INSERT")
        ]
        .iter()
        .filter(|x| **x)
        .count(),
        1
    );

    // A change made outside Grantry after planning: refused, nothing runs.
    let d = vec![grant(
        Privilege::References,
        table("sales", "customers"),
        "dave",
    )];
    let p = env1.plan("app", &d).await;
    c.psql("app", "GRANT TRIGGER ON sales.customers TO dave");
    let r = env1.run(&p.id, false).await;
    assert_eq!(r.report.outcome, RunOutcome::Refused);
    assert!(
        r.report.message.contains("changed since the plan"),
        "{}",
        r.report.message
    );
    assert!(!has(&c, "dave", "sales.customers", "REFERENCES"));
    assert_eq!(env1.g.audit().log(1).await.unwrap()[0].outcome, "refused");
    // A change to an object the plan does not touch does not make it stale.
    let p = env1.plan("app", &d).await;
    assert_eq!(p.plan.scope.as_ref().map(Vec::len), Some(1));
    c.psql("app", "GRANT TRIGGER ON sales.orders TO dave");
    let r = env1.run(&p.id, false).await;
    common::assert_outcome(&r, RunOutcome::Committed);
    assert!(has(&c, "dave", "sales.customers", "REFERENCES"));
}

#[tokio::test]
async fn production_needs_its_name_and_read_only_refuses() {
    let c = setup();
    let prod = env_for(&c, Environment::Production, false).await;
    let change = vec![grant(Privilege::Select, table("sales", "customers"), "bob")];
    let pv = prod.plan("app", &change).await;
    assert!(pv.production);
    let e = prod.try_run(&pv.id, false).await.unwrap_err();
    assert!(e.message.contains("type its name"), "{}", e.message);
    let e = prod
        .g
        .privileges()
        .run_plan(&pv.id, false, Some("wrong"))
        .await
        .unwrap_err();
    // Refused before running (the CLI exits 4), not bad input.
    assert_eq!(e.code, ErrorCode::Refused);
    assert!(!has(&c, "bob", "sales.customers", "SELECT"));
    // A dry run needs no confirmation.
    assert_eq!(
        prod.run(&pv.id, true).await.report.outcome,
        RunOutcome::RolledBack
    );
    assert_eq!(
        prod.g
            .privileges()
            .run_plan(&pv.id, false, Some("app"))
            .await
            .unwrap()
            .report
            .outcome,
        RunOutcome::Committed
    );

    let ro = env_for(&c, Environment::Development, true).await;
    let pv = ro
        .plan(
            "app",
            &[grant(
                Privilege::Select,
                table("sales", "customers"),
                "carol",
            )],
        )
        .await;
    let e = ro.try_run(&pv.id, false).await.unwrap_err();
    assert!(e.message.contains("read-only"));
    assert!(!has(&c, "carol", "sales.customers", "SELECT"));
}

#[tokio::test]
async fn shortcuts_new_roles_memberships_and_default_privileges() {
    let c = setup();
    c.psql(
        "app",
        "REVOKE CONNECT, TEMPORARY ON DATABASE app FROM PUBLIC",
    );
    let env = env_for(&c, Environment::Development, false).await;
    let changes = vec![
        Change::CreateRole {
            name: "report_bot".into(),
            login: true,
            password: NewPassword::GenerateShowOnce,
            valid_until: Some("2099-12-31".into()),
            in_roles: vec![],
            createrole: None,
        },
        Change::CreateRole {
            name: "vault_bot".into(),
            login: true,
            password: NewPassword::GenerateToKeychain,
            valid_until: None,
            in_roles: vec!["analysts".into()],
            createrole: None,
        },
        Change::Read {
            on: Target::AllInSchema {
                kind: ObjectKind::Table,
                schema: "sales".into(),
            },
            to: "report_bot".into(),
        },
        // A new group role created by the shortcut itself.
        Change::Write {
            on: table("sales", "orders"),
            to: "writers".into(),
        },
        Change::GrantRole {
            role: "writers".into(),
            to: "bob".into(),
            admin: false,
            inherit: None,
            set: None,
            granted_by: None,
        },
        Change::DefaultPrivileges {
            grant: true,
            for_role: None,
            in_schema: Some("sales".into()),
            on: DefaultObjectType::Tables,
            privileges: vec![Privilege::Select],
            roles: vec!["report_bot".into()],
            with_grant_option: false,
        },
    ];
    let pv = env.plan("app", &changes).await;
    let s = &pv.plan.script;
    assert!(
        s.starts_with("CREATE ROLE \"report_bot\" LOGIN PASSWORD 'SCRAM-SHA-256$4096:"),
        "{s}"
    );
    assert!(s.contains("CREATE ROLE \"writers\" NOLOGIN"));
    assert!(s.contains("GRANT CONNECT ON DATABASE \"app\" TO \"report_bot\""));
    assert!(s.contains("GRANT USAGE ON SCHEMA \"sales\" TO \"report_bot\""));
    assert!(s.contains("GRANT SELECT ON ALL TABLES IN SCHEMA \"sales\" TO \"report_bot\""));
    assert!(s.contains(
        "GRANT INSERT, UPDATE, DELETE, TRUNCATE ON TABLE \"sales\".\"orders\" TO \"writers\""
    ));
    assert!(s.contains(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA \"sales\" GRANT SELECT ON TABLES TO \"report_bot\""
    ));
    assert!(s.find("CREATE ROLE").unwrap() < s.find("GRANT \"writers\" TO \"bob\"").unwrap());
    assert_eq!(
        pv.plan.generated_passwords_for,
        vec!["report_bot".to_string(), "vault_bot".to_string()]
    );
    let r = common::applied(&env, &pv.id).await;
    // The audit log keeps the SQL, but not the verifiers of new roles.
    let audit = env.g.audit().log(1).await.unwrap();
    assert!(!audit[0].sql.contains("SCRAM-SHA-256$"), "{}", audit[0].sql);
    assert!(audit[0]
        .sql
        .contains("PASSWORD '<SCRAM verifier, not logged>'"));
    assert_eq!(r.report.generated_passwords.len(), 2);
    let generated_for = |role: &str| {
        r.report
            .generated_passwords
            .iter()
            .find(|p| p.role == role)
            .unwrap()
    };
    let shown = generated_for("report_bot");
    assert!(!shown.in_keychain);
    let password = shown.password.clone();
    // The other one went to the keychain and was never shown.
    let kept = generated_for("vault_bot");
    assert!(kept.in_keychain && kept.password.is_empty());
    let vault_pw = env
        .g
        .integrations()
        .role_password("app", "vault_bot")
        .await
        .unwrap()
        .expect("in the keychain");
    // PUBLIC keeps CONNECT on postgres (this test revoked it on app).
    let vault_login = login_input(&c, "vault", "vault_bot", vault_pw.expose(), "postgres");
    assert!(
        env.g
            .integrations()
            .test_input(vault_login, None)
            .await
            .unwrap()
            .ok
    );
    assert!(
        !pv.plan.script.contains(&password)
            && !env.g.audit().log(1).await.unwrap()[0]
                .sql
                .contains(&password)
    );
    assert!(
        has(&c, "report_bot", "sales.big", "SELECT") && has(&c, "bob", "sales.orders", "INSERT")
    );
    // The shown-once password logs in.
    let login = login_input(&c, "bot", "report_bot", &password, "app");
    let report = env.g.integrations().test_input(login, None).await.unwrap();
    assert!(report.ok, "{} {:?}", report.message, report.detail);
    // Default privileges reach new tables.
    c.psql("app", "CREATE TABLE sales.later (x int)");
    assert!(has(&c, "report_bot", "sales.later", "SELECT"));
    let w = env
        .who_can("app", &table_ref("sales", "later"), Privilege::Select)
        .await;
    let bot = w
        .roles
        .iter()
        .find(|a| a.role == "report_bot")
        .expect("report_bot reads the new table");
    assert!(
        bot.reasons.iter().any(|r| matches!(r, grantry_core::privileges::engine::Reason::Grant { default_rule: Some(rule), .. } if rule.contains("IN SCHEMA sales"))),
        "{:?}",
        bot.reasons
    );
    c.psql(
        "app",
        "CREATE FUNCTION sales.stats(verbose boolean, OUT calls bigint, OUT total bigint) \
         LANGUAGE sql AS 'SELECT 1::bigint, 2::bigint'",
    );
    env.g.privileges().refresh("app").await.unwrap();
    let role = env
        .g
        .privileges()
        .role_report("app", None, "bob")
        .await
        .unwrap();
    let objects = role.access.iter().map(|a| &a.object).collect::<Vec<_>>();
    assert!(
        role.access
            .iter()
            .any(|a| a.object == "sales.stats(boolean)"),
        "{objects:?}"
    );
    assert!(role.member_of.iter().any(|m| m.role == "writers"));
    // What bob can use in app: app itself among the databases, no untrusted language (c,
    // internal: superusers only), functions by their argument types only.
    let dbs: Vec<&str> = role
        .access
        .iter()
        .filter(|a| a.kind == ObjectKind::Database)
        .map(|a| a.object.as_str())
        .collect();
    assert_eq!(dbs, ["app"]);
    assert!(
        !role
            .access
            .iter()
            .any(|a| a.kind == ObjectKind::Language && (a.object == "c" || a.object == "internal")),
        "{objects:?}"
    );
    assert!(role
        .access
        .iter()
        .any(|a| a.kind == ObjectKind::Language && a.object == "plpgsql"));
    assert!(role
        .access
        .iter()
        .filter(|a| a.kind.is_routine())
        .all(|a| !a.object.contains(" OUT ") && !a.object.contains("OUT ")));
    assert!(role.access.iter().any(|a| a.object == "sales.orders"
        && a.privileges
            .iter()
            .any(|p| p.privilege == Privilege::Insert)));

    // Invalid input: a clear error and no plan.
    let env = &env;
    let refusal =
        move |change: Change| async move { env.try_plan("app", &[change]).await.unwrap_err() };
    let bad = refusal(grant(Privilege::Select, table("sales", "nope"), "bob")).await;
    assert_eq!(bad.code, ErrorCode::NotFound);
    // A column that does not exist is said at plan time too.
    let bad = refusal(
        grantry_core::privileges::parse::parse_change(
            r#"grant SELECT on column:sales.orders."id"")" to bob"#,
        )
        .unwrap(),
    )
    .await;
    assert_eq!(bad.code, ErrorCode::NotFound, "{}", bad.message);
    assert!(bad.message.contains("has no column"), "{}", bad.message);
    let bad = refusal(grant(Privilege::Execute, table("sales", "orders"), "bob")).await;
    assert_eq!(bad.code, ErrorCode::InvalidInput);
    let bad = refusal(grant(Privilege::Select, table("sales", "orders"), "ghost")).await;
    assert!(bad.message.contains("no role named \"ghost\""));
}

/// A connector that is not a superuser: it owns s.mine and may SELECT s.theirs without the grant
/// option. PostgreSQL answers the GRANT on s.theirs with a warning only. The plan names the step
/// the connector cannot make, apply refuses it, and a dry run, which runs it, is rolled back whole
/// by the check inside the transaction instead of committing half.
#[tokio::test]
async fn a_grant_the_server_only_warns_about_rolls_the_whole_plan_back() {
    let c = Cluster::start(Options::default());
    c.psql(
        "postgres",
        "CREATE ROLE connector LOGIN PASSWORD 'connector-pw' CREATEROLE; CREATE ROLE r NOLOGIN; \
         CREATE ROLE other NOLOGIN; CREATE DATABASE app;",
    );
    c.psql(
        "app",
        "CREATE SCHEMA s; GRANT USAGE ON SCHEMA s TO connector; \
         CREATE TABLE s.mine (x int); ALTER TABLE s.mine OWNER TO connector; \
         CREATE TABLE s.theirs (x int); ALTER TABLE s.theirs OWNER TO other; \
         GRANT SELECT ON s.theirs TO connector;",
    );
    let env = grantry_with(login_input(&c, "app", "connector", "connector-pw", "app")).await;
    let changes = vec![
        grant(Privilege::Select, table("s", "mine"), "r"),
        grant(Privilege::Select, table("s", "theirs"), "r"),
    ];
    let has = |t: &str| {
        c.psql(
            "app",
            &format!("SELECT has_table_privilege('r', 's.{t}', 'SELECT')"),
        )
    };
    // The plan says so before anything runs: the connector cannot grant on s.theirs.
    let pv = env.plan("app", &changes).await;
    assert_eq!(pv.plan.blocking.len(), 1, "{:?}", pv.plan.blocking);
    assert!(
        pv.plan.blocking[0].contains("cannot grant SELECT on s.theirs")
            && pv.plan.blocking[0].contains("without the grant option")
            && pv.plan.blocking[0].contains("as other"),
        "{}",
        pv.plan.blocking[0]
    );
    // A dry run runs it anyway and shows the server granting nothing: rolled back whole.
    let run = env.run(&pv.id, true).await;
    common::assert_outcome(&run, RunOutcome::Failed);
    // The server's warning fails the statement that did nothing, named with its reason.
    assert!(
        run.report
            .message
            .starts_with("statement 2 of 2 failed, nothing was applied")
            && run.report.message.contains("no privileges were granted"),
        "{}",
        run.report.message
    );
    let st = &run.report.statements;
    assert_eq!(
        st.iter().map(|s| s.outcome).collect::<Vec<_>>(),
        [StatementOutcome::Ok, StatementOutcome::Failed]
    );
    assert!(
        st[1]
            .notices
            .iter()
            .any(|n| n.starts_with("WARNING: no privileges were granted")),
        "{:?}",
        st[1].notices
    );
    assert_eq!((has("mine"), has("theirs")), ("f".into(), "f".into()));
    // Apply refuses it before running anything.
    let e = env.try_run(&pv.id, false).await.unwrap_err();
    assert!(
        e.message.contains("cannot carry out 1 step"),
        "{}",
        e.message
    );
    assert_eq!((has("mine"), has("theirs")), ("f".into(), "f".into()));
    // Once the connector holds the grant option, the same changes plan clean and apply whole.
    c.psql(
        "app",
        "GRANT SELECT ON s.theirs TO connector WITH GRANT OPTION",
    );
    let pv = env.plan("app", &changes).await;
    assert!(pv.plan.blocking.is_empty(), "{:?}", pv.plan.blocking);
    common::applied(&env, &pv.id).await;
    assert_eq!((has("mine"), has("theirs")), ("t".into(), "t".into()));
    let audit = env.g.audit().log(10).await.unwrap();
    assert_eq!(
        audit.iter().map(|a| a.outcome.as_str()).collect::<Vec<_>>(),
        ["committed", "refused", "failed"]
    );
    assert!(audit[1]
        .error
        .as_deref()
        .unwrap_or("")
        .contains("cannot carry out 1 step"));
    assert!(audit[2]
        .error
        .as_deref()
        .unwrap_or("")
        .contains("only warned: no privileges were granted"));
}

/// The audit entry is written before the transaction: a store that cannot be written means the
/// run does not start (the grant is not made), instead of committing and then failing.
#[tokio::test]
async fn an_unwritable_audit_log_stops_the_apply_before_it_runs() {
    let c = setup();
    let env = env_for(&c, Environment::Development, false).await;
    let pv = env
        .plan(
            "app",
            &[grant(Privilege::Delete, table("sales", "customers"), "bob")],
        )
        .await;
    // Another process holds the store's write lock.
    let mut other = store_connection(&env).await;
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .unwrap();
    let e = env.try_run(&pv.id, false).await.unwrap_err();
    assert!(e.message.starts_with("nothing was run"), "{}", e.message);
    assert!(!has(&c, "bob", "sales.customers", "DELETE"));
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    // With the store free again, the same kept plan applies and is logged once.
    common::applied(&env, &pv.id).await;
    assert!(has(&c, "bob", "sales.customers", "DELETE"));
    let audit = env.g.audit().log(10).await.unwrap();
    assert_eq!(
        audit.iter().map(|a| a.outcome.as_str()).collect::<Vec<_>>(),
        ["committed"]
    );
}

/// A membership reaches objects no statement names: the check before COMMIT looks at them too,
/// so a grant-role that gives access commits, and its access changes are confirmed.
#[tokio::test]
async fn a_membership_plan_is_checked_on_the_objects_it_reaches() {
    let c = setup();
    let env = env_for(&c, Environment::Development, false).await;
    let r = common::apply(
        &env,
        "app",
        &common::changes(&["grant-role analysts to bob"]),
    )
    .await;
    assert!(
        r.verified
            .iter()
            .any(|v| v.change.role == "bob" && v.change.object == "sales.orders" && v.confirmed),
        "{:?}",
        r.verified
    );
    assert!(r.verified.iter().all(|v| v.confirmed), "{:?}", r.verified);
    assert!(has(&c, "bob", "sales.orders", "SELECT"));
    let r = common::apply(
        &env,
        "app",
        &common::changes(&["revoke-role analysts from bob"]),
    )
    .await;
    assert!(r.verified.iter().all(|v| v.confirmed), "{:?}", r.verified);
    assert!(!has(&c, "bob", "sales.orders", "SELECT"));
}

/// Faults mid-apply: the backend terminated while a statement waits, and a lock held past
/// lock_timeout. Each time the database is as before, the run says nothing was applied, and the
/// audit log records it.
#[tokio::test]
async fn a_backend_terminated_or_a_lock_timeout_mid_apply_changes_nothing() {
    use sqlx::postgres::{PgConnectOptions, PgSslMode};
    use sqlx::{Connection as _, Executor as _};
    let c = setup();
    let env = env_for(&c, Environment::Development, false).await;
    let connect = || async {
        sqlx::PgConnection::connect_with(
            &PgConnectOptions::new()
                .host("localhost")
                .port(c.port)
                .username(&c.superuser)
                .password(c.password.expose())
                .database("app")
                .ssl_mode(PgSslMode::Require),
        )
        .await
        .unwrap()
    };
    let changes = [
        grant(Privilege::Select, table("sales", "orders"), "bob"),
        grant(Privilege::Select, table("sales", "customers"), "bob"),
    ];
    let nothing_changed = || {
        !has(&c, "bob", "sales.orders", "SELECT") && !has(&c, "bob", "sales.customers", "SELECT")
    };
    // Another session changed sales.customers' ACL and has not committed: the apply's GRANT on
    // it waits for that transaction.
    let mut blocker = connect().await;
    hold_the_customers_acl(&mut blocker).await;
    let pv = env.plan("app", &changes).await;
    let mut killer = connect().await;
    let kill = async {
        for _ in 0..200 {
            let row: Option<(i32,)> = sqlx::query_as(
                "SELECT pid FROM pg_stat_activity WHERE datname = 'app' AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
            )
            .fetch_optional(&mut killer)
            .await
            .unwrap();
            if let Some((pid,)) = row {
                sqlx::query("SELECT pg_terminate_backend($1)")
                    .bind(pid)
                    .execute(&mut killer)
                    .await
                    .unwrap();
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        false
    };
    let (run, killed) = tokio::join!(env.try_run(&pv.id, false), kill);
    assert!(killed, "the apply never waited on the lock");
    let run = run.unwrap();
    common::assert_outcome(&run, RunOutcome::Failed);
    assert!(
        run.report
            .message
            .contains("lost before COMMIT, so nothing was applied"),
        "{}",
        run.report.message
    );
    blocker.execute("ROLLBACK").await.unwrap();
    assert!(nothing_changed());
    let audit = env.g.audit().log(10).await.unwrap();
    assert_eq!(audit[0].outcome, "failed");
    assert!(audit[0]
        .error
        .as_deref()
        .unwrap()
        .contains("lost before COMMIT"));

    // The same lock held past lock_timeout: the waiting statement fails, everything rolls back.
    hold_the_customers_acl(&mut blocker).await;
    let pv = env.plan("app", &changes).await;
    let run = env.run(&pv.id, false).await;
    blocker.execute("ROLLBACK").await.unwrap();
    common::assert_outcome(&run, RunOutcome::Failed);
    assert!(
        run.report.message.contains("lock timeout"),
        "{}",
        run.report.message
    );
    assert_eq!(run.report.statements[1].code.as_deref(), Some("55P03"));
    assert!(nothing_changed());
    let audit = env.g.audit().log(10).await.unwrap();
    assert_eq!(audit[0].outcome, "failed");

    // The pool let go of the terminated connection: the plan applies now.
    let pv = env.plan("app", &changes).await;
    common::applied(&env, &pv.id).await;
    assert!(has(&c, "bob", "sales.customers", "SELECT"));

    // Had the answer to its COMMIT been lost, the run would be "unknown": the next look at the
    // database finds every promised change in effect and settles it as committed.
    let mut store = store_connection(&env).await;
    sqlx::query(
        "UPDATE audit_log SET outcome = 'unknown' WHERE id = (SELECT max(id) FROM audit_log)",
    )
    .execute(&mut store)
    .await
    .unwrap();
    store.close().await.unwrap();
    env.plan(
        "app",
        &[grant(Privilege::Update, table("sales", "orders"), "bob")],
    )
    .await;
    let audit = env.g.audit().log(1).await.unwrap();
    assert_eq!(audit[0].outcome, "committed");
    assert!(
        audit[0]
            .error
            .as_deref()
            .unwrap()
            .contains("the server reports transaction"),
        "{:?}",
        audit[0].error
    );
    assert!(audit[0].error.as_deref().unwrap().ends_with("committed"));
}

/// A COMMIT whose answer never comes (it waits for a synchronous standby that does not exist)
/// and a run abandoned there: the server says the transaction is still in progress, so the run
/// stays unknown; once the backend is terminated the transaction is committed (locally durable
/// already), and the next inspection settles the run as committed, as the server reports.
#[tokio::test]
async fn a_run_cut_off_during_commit_is_settled_by_what_the_server_says() {
    use sqlx::Connection as _;
    let c = setup();
    let env = env_for(&c, Environment::Development, false).await;
    c.psql(
        "postgres",
        "ALTER SYSTEM SET synchronous_commit = on; ALTER SYSTEM SET synchronous_standby_names = 'ghost'; \
         SELECT pg_reload_conf();",
    );
    let pv = env
        .plan(
            "app",
            &[grant(Privilege::Select, table("sales", "customers"), "bob")],
        )
        .await;
    // The apply hangs in COMMIT; give up on it as a killed process would.
    let cut = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        env.try_run(&pv.id, false),
    )
    .await;
    assert!(cut.is_err(), "the COMMIT should wait for the standby");
    let waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'";
    assert_eq!(c.psql("postgres", waiting), "1");
    // What the next start of a killed process finds.
    let mut store = store_connection(&env).await;
    sqlx::query("UPDATE audit_log SET outcome = 'unknown' WHERE outcome = 'started'")
        .execute(&mut store)
        .await
        .unwrap();
    store.close().await.unwrap();
    let other = [grant(Privilege::Update, table("sales", "orders"), "bob")];
    env.g.privileges().refresh("app").await.unwrap();
    env.plan("app", &other).await;
    let audit = env.g.audit().log(1).await.unwrap();
    assert_eq!(audit[0].outcome, "unknown", "{:?}", audit[0].error);
    // The backend goes; its transaction had committed locally.
    c.psql(
        "postgres",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
    );
    c.psql(
        "postgres",
        "ALTER SYSTEM SET synchronous_commit = off; ALTER SYSTEM RESET synchronous_standby_names; \
         SELECT pg_reload_conf();",
    );
    assert!(has(&c, "bob", "sales.customers", "SELECT"));
    env.g.privileges().refresh("app").await.unwrap();
    env.plan("app", &other).await;
    let audit = env.g.audit().log(1).await.unwrap();
    assert_eq!(audit[0].outcome, "committed", "{:?}", audit[0].error);
}

/// Grant options are checked inside the transaction too: an event trigger that gives the
/// option back after the REVOKE makes the plan fail whole, as any change the server did not
/// make does.
#[tokio::test]
async fn a_grant_option_the_server_keeps_fails_the_run() {
    let c = setup();
    c.psql(
        "app",
        "GRANT SELECT ON sales.orders TO bob WITH GRANT OPTION; \
         CREATE FUNCTION public.give_back() RETURNS event_trigger LANGUAGE plpgsql AS \
         $$ BEGIN EXECUTE 'GRANT SELECT ON sales.orders TO bob WITH GRANT OPTION'; END $$; \
         CREATE EVENT TRIGGER give_back ON ddl_command_end WHEN TAG IN ('REVOKE') EXECUTE FUNCTION public.give_back();",
    );
    let env = env_for(&c, Environment::Development, false).await;
    let change = grantry_core::privileges::parse::parse_change(
        "revoke grant option for SELECT on table:sales.orders from bob",
    )
    .unwrap();
    let option = "SELECT has_table_privilege('bob', 'sales.orders', 'SELECT WITH GRANT OPTION')";
    let pv = env.plan("app", std::slice::from_ref(&change)).await;
    let r = env.run(&pv.id, false).await;
    common::assert_outcome(&r, RunOutcome::Failed);
    assert!(
        r.report
            .message
            .contains("bob would lose the grant option for SELECT on sales.orders"),
        "{}",
        r.report.message
    );
    assert_eq!(c.psql("app", option), "t");
    c.psql("app", "DROP EVENT TRIGGER give_back");
    let pv = env.plan("app", &[change]).await;
    common::applied(&env, &pv.id).await;
    assert_eq!(c.psql("app", option), "f");
    assert!(has(&c, "bob", "sales.orders", "SELECT"));
}
