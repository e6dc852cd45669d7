//! Privileges on servers that do not give Grantry everything: catalogs whose SELECT was revoked
//! from PUBLIC (read by a login that is not a superuser), a server read-only by default, and a
//! hot standby. Each says what it is, and what it lacks, instead of failing vaguely or
//! pretending.

mod common;

use common::{grant, grantry, input_on, secret, table, table_ref};
use grantry_core::connect::FailureKind;
use grantry_core::integrations::model::SslMode;
use grantry_core::privileges::{ObjectKind, ObjectRef, Privilege};
use grantry_core::sandbox::localpg::LocalCluster;
use grantry_core::ErrorCode;
use grantry_testrig::{Cluster, Options};

/// A database `hard` where the login `reader` (not a superuser) owns schema s with a table, a
/// type and a function, and may grant on them; `extra` runs as the superuser afterwards.
fn hardened(extra: &str) -> Cluster {
    let c = Cluster::start(Options::default());
    c.psql(
        "postgres",
        "CREATE DATABASE hard; CREATE ROLE reader LOGIN PASSWORD 'reader-pw';
         CREATE ROLE analysts; GRANT CONNECT ON DATABASE hard TO reader",
    );
    c.psql(
        "hard",
        &format!(
            "CREATE SCHEMA s AUTHORIZATION reader;
             SET ROLE reader;
             CREATE TABLE s.orders (id int);
             CREATE TYPE s.mood AS ENUM ('ok');
             CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
             RESET ROLE;
             {extra}"
        ),
    );
    c
}

fn reader(c: &Cluster) -> grantry_core::integrations::model::IntegrationInput {
    input_on(c, "reader", SslMode::Prefer, "hard").with_self_hosted(|s| {
        s.username = "reader".into();
        s.password = secret("reader-pw");
    })
}

fn type_ref(schema: &str, name: &str) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::Type,
        ..table_ref(schema, name)
    }
}

#[tokio::test]
async fn an_unreadable_pg_type_leaves_types_out_and_says_so() {
    let c = hardened("REVOKE SELECT ON pg_catalog.pg_type FROM PUBLIC");
    let env = grantry().await;
    env.g.integrations().add(reader(&c)).await.unwrap();
    let p = env.g.privileges();

    let snap = env.snapshot("reader").await;
    assert_eq!(
        snap.unreadable,
        ["types and domains are not shown: the connector cannot read pg_catalog.pg_type"]
    );
    assert!(snap
        .objects
        .iter()
        .all(|o| !matches!(o.kind, ObjectKind::Type | ObjectKind::Domain)));
    // What it can read is all there, and right.
    assert!(snap
        .objects
        .iter()
        .any(|o| o.kind == ObjectKind::Function && o.name == "f"));
    let answer = p
        .object_grants("reader", None, &table_ref("s", "orders"))
        .await
        .unwrap();
    assert_eq!(answer.inspection.unreadable, snap.unreadable);
    assert!(answer.matrix.iter().any(|r| r.role == "reader"));

    // A type is not "missing": the answer says why it cannot be seen.
    let err = p
        .object_grants("reader", None, &type_ref("s", "mood"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(
        err.message.contains("pg_catalog.pg_type"),
        "{}",
        err.message
    );

    // Work that needs every object refuses rather than read the gap as "not granted".
    for format in ["json", "sql"] {
        let err = p.export("reader", None, format).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
        assert!(
            err.message.contains("pg_catalog.pg_type"),
            "{}",
            err.message
        );
    }

    // Grants on what it can read still plan and apply, and PostgreSQL agrees; the plan says
    // its view is incomplete.
    let pv = env
        .plan(
            "reader",
            &[grant(Privilege::Select, table("s", "orders"), "analysts")],
        )
        .await;
    assert!(
        pv.plan
            .warnings
            .iter()
            .any(|w| w.contains("incomplete") && w.contains("pg_catalog.pg_type")),
        "{:?}",
        pv.plan.warnings
    );
    let r = common::apply(
        &env,
        "reader",
        &[grant(Privilege::Select, table("s", "orders"), "analysts")],
    )
    .await;
    assert!(
        r.report.message.contains("applied 1 statement"),
        "{}",
        r.report.message
    );
    assert_eq!(
        c.psql(
            "hard",
            "SELECT has_table_privilege('analysts', 's.orders', 'SELECT')"
        ),
        "t"
    );

    // The connection test passes, and names what will be missing.
    let report = env.g.integrations().test("reader").await.unwrap();
    assert!(report.ok, "{}", report.message);
    let step = report
        .steps
        .iter()
        .find(|s| s.name == "read catalogs")
        .expect("a catalog step");
    assert!(step.note.contains("pg_catalog.pg_type"), "{}", step.note);
}

#[tokio::test]
async fn an_unreadable_pg_class_is_named_with_the_grant_that_gives_it_back() {
    let c = hardened("REVOKE SELECT ON pg_catalog.pg_class, pg_catalog.pg_namespace FROM PUBLIC");
    let env = grantry().await;
    env.g.integrations().add(reader(&c)).await.unwrap();

    let err = env
        .g
        .privileges()
        .object_grants("reader", None, &table_ref("s", "orders"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    assert!(
        err.message
            .contains("GRANT SELECT ON pg_catalog.pg_namespace, pg_catalog.pg_class TO \"reader\""),
        "{}",
        err.message
    );

    // The connection test fails at that step, with that message.
    let report = env.g.integrations().test("reader").await.unwrap();
    assert!(!report.ok);
    assert_eq!(report.failure, Some(FailureKind::PermissionDenied));
    let last = report.steps.last().unwrap();
    assert_eq!(last.name, "read catalogs");
    assert!(!last.ok);
    assert!(
        report.message.contains("pg_catalog.pg_class"),
        "{}",
        report.message
    );

    // The tree, which reads pg_namespace too, names the catalog as well.
    let err = env
        .g
        .catalog()
        .schemas("reader", "hard", &Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    assert!(
        err.message.contains("pg_catalog.pg_namespace"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_server_read_only_by_default_refuses_the_run_before_it_starts() {
    let c = hardened("ALTER DATABASE hard SET default_transaction_read_only = on");
    let env = grantry().await;
    env.g.integrations().add(reader(&c)).await.unwrap();
    // The connection test says so before any plan.
    let report = env.g.integrations().test("reader").await.unwrap();
    assert!(report.ok, "{}", report.message);
    assert!(
        report.message.contains("read-only by default"),
        "{}",
        report.message
    );
    let server = report.server.unwrap();
    assert!(server.read_only && !server.in_recovery);
    assert!(
        server
            .notes
            .iter()
            .any(|n| n.contains("ALTER DATABASE/ROLE")),
        "{:?}",
        server.notes
    );
    let pv = env
        .plan(
            "reader",
            &[grant(Privilege::Select, table("s", "orders"), "analysts")],
        )
        .await;
    for dry_run in [true, false] {
        let err = env.try_run(&pv.id, dry_run).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Refused, "{}", err.message);
        assert!(
            err.message.contains("default_transaction_read_only"),
            "{}",
            err.message
        );
    }
    assert_eq!(
        c.psql(
            "hard",
            "SELECT has_table_privilege('analysts', 's.orders', 'SELECT')"
        ),
        "f"
    );
}

#[tokio::test]
async fn a_hot_standby_is_named_as_such_and_nothing_runs() {
    let c = hardened("");
    c.set_hba(&[
        "local all all trust",
        "local replication all trust",
        "host all all 127.0.0.1/32 scram-sha-256",
    ]);
    // A streaming standby of `c`, made with pg_basebackup as the server's OS user.
    let base = tempfile::Builder::new()
        .prefix("grantry-standby-")
        .tempdir()
        .unwrap();
    let port = grantry_core::sandbox::localpg::free_port().unwrap();
    let standby = LocalCluster::existing(c.cluster.bin.clone(), base.path().to_path_buf(), port);
    let basebackup = c.cluster.bin.bindir.join("pg_basebackup");
    let mut cmd = if grantry_core::sandbox::localpg::is_root() {
        std::process::Command::new("chown")
            .arg("postgres:")
            .arg(base.path())
            .status()
            .unwrap();
        let mut r = std::process::Command::new("runuser");
        r.args(["-u", "postgres", "--"]).arg(&basebackup);
        r
    } else {
        std::process::Command::new(&basebackup)
    };
    let out = cmd
        .arg("-D")
        .arg(standby.data_dir())
        .arg("-R")
        .arg("-h")
        .arg(c.cluster.socket_dir())
        .arg("-p")
        .arg(c.port.to_string())
        .arg("-U")
        .arg(&c.superuser)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    standby.start().unwrap();
    struct Stop(LocalCluster);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.stop_immediate();
        }
    }
    let _stop = Stop(standby);

    let env = grantry().await;
    let mut it = reader(&c);
    it.name = "standby".into();
    let it = it.with_self_hosted(|s| s.port = Some(port as i64));
    env.g.integrations().add(it).await.unwrap();
    let report = env.g.integrations().test("standby").await.unwrap();
    assert!(report.ok, "{}", report.message);
    assert!(report.message.contains("standby"), "{}", report.message);
    let server = report.server.unwrap();
    assert!(server.read_only && server.in_recovery);
    // Inspecting works on a standby; running does not, and says why.
    let pv = env
        .plan(
            "standby",
            &[grant(Privilege::Select, table("s", "orders"), "analysts")],
        )
        .await;
    for dry_run in [true, false] {
        let err = env.try_run(&pv.id, dry_run).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Refused, "{}", err.message);
        assert!(err.message.contains("standby"), "{}", err.message);
        assert!(err.message.contains("primary"), "{}", err.message);
    }
    assert_eq!(
        c.psql(
            "hard",
            "SELECT has_table_privilege('analysts', 's.orders', 'SELECT')"
        ),
        "f"
    );
}

/// Comments, settings and extensions the connector may not read leave blanks, with a note, and
/// stop nothing: the connection test passes, the tree lists everything (comments blank), and an
/// export (which has no comments) is complete.
#[tokio::test]
async fn unreadable_comments_settings_and_extensions_leave_blanks_and_stop_nothing() {
    let c = hardened(
        "COMMENT ON SCHEMA s IS 'secret schema note';
         COMMENT ON TABLE s.orders IS 'secret table note';
         COMMENT ON COLUMN s.orders.id IS 'secret column note';
         COMMENT ON ROLE reader IS 'secret role note';
         COMMENT ON DATABASE hard IS 'secret database note';
         CREATE EXTENSION pg_stat_statements;
         REVOKE SELECT ON pg_catalog.pg_description, pg_catalog.pg_shdescription,
                          pg_catalog.pg_settings, pg_catalog.pg_extension,
                          pg_catalog.pg_available_extensions, pg_catalog.pg_stat_ssl FROM PUBLIC",
    );
    let env = grantry().await;
    env.g.integrations().add(reader(&c)).await.unwrap();

    let report = env.g.integrations().test("reader").await.unwrap();
    assert!(report.ok, "{}", report.message);
    let catalogs = report
        .steps
        .iter()
        .find(|s| s.name == "read catalogs")
        .unwrap();
    assert!(
        catalogs
            .note
            .contains("comments on schemas, tables and columns")
            && catalogs.note.contains("comments on roles and databases")
            && catalogs.note.contains("read blank"),
        "{}",
        catalogs.note
    );
    let server = report.server.unwrap();
    let notes = server.notes.join("\n");
    for what in [
        "pg_stat_statements is installed",
        "shared_preload_libraries",
        "SSL version",
    ] {
        assert!(notes.contains(what), "{what}: {notes}");
    }
    assert_eq!(server.powers.pg_stat_statements_installed, None);
    assert_eq!(server.powers.pg_stat_statements_available, None);

    let tree = env.g.catalog();
    let q = grantry_core::catalog::TreeQuery::default();
    let dbs = tree.databases("reader", &q).await.unwrap();
    let hard = dbs.items.iter().find(|d| d.name == "hard").unwrap();
    assert_eq!(hard.comment, None);
    let schemas = tree.schemas("reader", "hard", &q).await.unwrap();
    let s = schemas.items.iter().find(|x| x.name == "s").unwrap();
    assert_eq!(s.comment, None);
    let rels = tree.relations("reader", "hard", "s", &q).await.unwrap();
    assert_eq!(rels.items[0].comment, None);
    let detail = tree
        .relation_detail("reader", "hard", "s", "orders")
        .await
        .unwrap();
    assert_eq!(detail.comment, None);
    assert_eq!(detail.columns[0].comment, None);

    let snap = env.snapshot("reader").await;
    assert!(snap.unreadable.is_empty(), "{:?}", snap.unreadable);
    let sql = env
        .g
        .privileges()
        .export("reader", None, "sql")
        .await
        .unwrap();
    assert!(!sql.contains("secret"), "{sql}");
    let role = env
        .g
        .privileges()
        .role_report("reader", None, "reader")
        .await
        .unwrap();
    assert_eq!(role.role.comment, None);
}
