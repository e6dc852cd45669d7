//! Names never become SQL, and PUBLIC is only PUBLIC.
//!
//! - A table or role whose name holds a line break followed by SQL stays a name: in exported
//!   scripts and in annotated plans (the comments too), run through psql.
//! - Roles named "PUBLIC" and "Public" (legal quoted identifiers) are roles: granting to them,
//!   revoking from them, exporting and re-applying never touches the PUBLIC pseudo-role, which is
//!   written `public` everywhere; a document's `public` does not flip-flop.

mod common;

use common::{changes, grant, revoke, table};
use grantry_core::privileges::desired::{export_state, DesiredGrant, DesiredObject, DesiredState};
use grantry_core::privileges::{ObjectKind, Privilege};
use grantry_testrig::{Cluster, Options};

/// A name that, written raw into a `--` comment, ends it and grants everyone everything.
const EVIL_TABLE: &str = "x\nGRANT ALL ON TABLE secret.vault TO PUBLIC; --";
/// The same with a carriage return, which also ends a comment for PostgreSQL's lexer.
const EVIL_TABLE_CR: &str = "y\rGRANT SELECT ON secret.vault TO PUBLIC; --*/";
const EVIL_ROLE: &str = "r\nGRANT ALL ON TABLE secret.vault TO PUBLIC; --";

fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn objects() -> String {
    format!(
        "CREATE SCHEMA secret AUTHORIZATION owner_a; CREATE TABLE secret.vault (x int); \
         ALTER TABLE secret.vault OWNER TO owner_a; \
         CREATE SCHEMA app AUTHORIZATION owner_a; \
         CREATE TABLE app.{t} (id int); ALTER TABLE app.{t} OWNER TO owner_a; \
         CREATE TABLE app.{t2} (id int); ALTER TABLE app.{t2} OWNER TO owner_a; \
         CREATE TABLE app.t (id int, note text); ALTER TABLE app.t OWNER TO owner_a;",
        t = q(EVIL_TABLE),
        t2 = q(EVIL_TABLE_CR)
    )
}

fn cluster() -> Cluster {
    let c = Cluster::start(Options::default());
    c.psql(
        "postgres",
        &format!(
            "CREATE ROLE owner_a NOLOGIN; CREATE ROLE reader NOLOGIN; CREATE ROLE {} NOLOGIN; \
             CREATE DATABASE db; CREATE DATABASE db2;",
            q(EVIL_ROLE)
        ),
    );
    c.psql("db", &objects());
    c.psql("db2", &objects());
    c
}

async fn env_for(c: &Cluster, db: &str) -> common::Env {
    common::grantry_on(c, db).await
}

fn public_entries_on_vault(c: &Cluster, db: &str) -> String {
    c.psql(
        db,
        "SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a \
         WHERE c.oid = 'secret.vault'::regclass AND a.grantee = 0",
    )
}

#[tokio::test]
async fn hostile_names_stay_names_in_exported_scripts_and_annotated_plans() {
    let c = cluster();
    let env = env_for(&c, "db").await;
    let grant = |t: &str, to: &str| grant(Privilege::Select, table("app", t), to);
    common::apply(
        &env,
        "db",
        &[grant(EVIL_TABLE, "reader"), grant(EVIL_TABLE_CR, EVIL_ROLE)],
    )
    .await;
    assert_eq!(public_entries_on_vault(&c, "db"), "0");

    // The SQL export, run by psql on a copy with the same objects and no grants.
    let sql = env.g.privileges().export("db", None, "sql").await.unwrap();
    // The names are in the comments escaped (and in the statements quoted, where a line break is
    // part of the identifier).
    for name in [EVIL_TABLE, EVIL_TABLE_CR] {
        let line = grantry_core::quote::comment(&format!("table app.{name}"));
        assert!(!line.contains('\n') && !line.contains('\r'));
        assert!(
            sql.contains(&format!("\n{line}\n")),
            "{line:?} not in\n{sql}"
        );
    }
    c.psql("db2", &common::retarget(&sql, "db", "db2"));
    assert_eq!(public_entries_on_vault(&c, "db2"), "0", "{sql}");
    for db in ["db", "db2"] {
        assert_eq!(
            c.psql(
                db,
                &format!(
                    "SELECT has_table_privilege('reader', 'app.{}', 'SELECT'), \
                     has_table_privilege({}, 'app.{}', 'SELECT'), \
                     has_table_privilege('public', 'secret.vault', 'SELECT')",
                    q(EVIL_TABLE).replace('\'', "''"),
                    grantry_core::quote::literal(EVIL_ROLE),
                    q(EVIL_TABLE_CR).replace('\'', "''"),
                )
            ),
            "t|t|f",
            "{db}"
        );
    }

    // A plan as `grantry plan` prints it (a comment per statement, no-ops after), run by psql.
    let pv = env
        .plan(
            "db",
            &[
                revoke(Privilege::Select, table("app", EVIL_TABLE), "reader"),
                grant(EVIL_TABLE_CR, EVIL_ROLE),
            ],
        )
        .await;
    let text = pv.plan.annotated_script();
    assert!(
        text.lines().any(|l| l.starts_with("-- skipped (no-op): ")),
        "{text}"
    );
    let purpose = grantry_core::quote::comment(&pv.plan.statements[0].purpose);
    assert!(
        text.starts_with(&format!("{purpose}\nREVOKE SELECT ON TABLE ")),
        "{text}"
    );
    let noop = grantry_core::quote::comment(&format!("skipped (no-op): {}", pv.plan.noops[0]));
    assert!(text.ends_with(&format!(";\n{noop}\n")), "{text}");
    c.psql("db", &text);
    assert_eq!(public_entries_on_vault(&c, "db"), "0", "{text}");
    assert_eq!(
        c.psql(
            "db",
            &format!(
                "SELECT has_table_privilege('reader', 'app.{}', 'SELECT')",
                q(EVIL_TABLE).replace('\'', "''")
            )
        ),
        "f"
    );
}

/// The grantees of app.t's ACL as PostgreSQL prints them, sorted.
fn acl_of_t(c: &Cluster, db: &str) -> String {
    c.psql(
        db,
        "SELECT coalesce(string_agg(a::text, ' ' ORDER BY a::text), '') \
         FROM pg_class c, unnest(c.relacl) a WHERE c.oid = 'app.t'::regclass",
    )
}

#[tokio::test]
async fn roles_named_public_are_roles_and_only_public_is_everyone() {
    let c = cluster();
    c.psql("postgres", "CREATE ROLE \"Public\" NOLOGIN");
    let env = env_for(&c, "db").await;

    // Before a role named "PUBLIC" exists: naming it is an error that points at `public`.
    let e = env
        .try_plan("db", &changes(&["grant SELECT on table:app.t to PUBLIC"]))
        .await
        .unwrap_err();
    assert!(e.message.contains("is written public"), "{}", e.message);
    // A format-1 document's PUBLIC is the pseudo-role while no role is named so.
    let snap = env.snapshot("db").await;
    let mut v1 = export_state(&snap);
    v1.format = 1;
    v1.objects.push(DesiredObject {
        kind: ObjectKind::Table,
        schema: Some("app".into()),
        name: "t".into(),
        args: None,
        column: None,
        owner: None,
        grants: vec![DesiredGrant {
            to: "PUBLIC".into(),
            privileges: vec![Privilege::Select],
            grantable: vec![],
            grantor: None,
        }],
    });
    let pv = env.plan_desired("db", &v1).await;
    assert!(pv.plan.script.contains("TO PUBLIC;"), "{}", pv.plan.script);

    c.psql("postgres", "CREATE ROLE \"PUBLIC\" NOLOGIN");
    let e = env.try_plan_desired("db", &v1).await.unwrap_err();
    assert!(
        e.message.contains("cannot tell them apart"),
        "{}",
        e.message
    );

    // The one-line syntax: names are exact, `public` alone is everyone.
    common::apply(
        &env,
        "db",
        &changes(&[
            "grant SELECT on table:app.t to Public",
            r#"grant SELECT,UPDATE on table:app.t to "PUBLIC""#,
            "grant INSERT on table:app.t to PUBLIC",
        ]),
    )
    .await;
    let who = |c: &Cluster| {
        c.psql(
            "db",
            "SELECT has_table_privilege('Public', 'app.t', 'SELECT'), \
             has_table_privilege('PUBLIC', 'app.t', 'UPDATE'), \
             has_table_privilege('PUBLIC', 'app.t', 'INSERT'), \
             has_table_privilege('public', 'app.t', 'SELECT'), \
             has_table_privilege('reader', 'app.t', 'INSERT')",
        )
    };
    assert_eq!(who(&c), "t|t|t|f|f");
    assert_eq!(public_entries_on_vault(&c, "db"), "0");

    // The export writes the roles by name, and a plan never says PUBLIC for them.
    let doc = export_state(&env.snapshot("db").await);
    let t = doc.objects.iter().find(|o| o.name == "t").unwrap();
    let to: Vec<&str> = t.grants.iter().map(|g| g.to.as_str()).collect();
    assert!(to.contains(&"PUBLIC") && to.contains(&"Public"), "{to:?}");
    assert!(!to.contains(&"public"), "{to:?}");
    let text = serde_json::to_string(&doc).unwrap();
    let parsed: DesiredState = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.format, 2);

    // The document and the SQL script, applied to a copy, give the same ACL.
    let env2 = env_for(&c, "db2").await;
    let mut doc2 = doc.clone();
    doc2.database = "db2".into();
    let pv = env2.plan_desired("db2", &doc2).await;
    assert!(
        !pv.plan.script.contains(" PUBLIC;") && !pv.plan.script.contains(" PUBLIC,"),
        "{}",
        pv.plan.script
    );
    let _r = common::applied(&env2, &pv.id).await;
    assert_eq!(acl_of_t(&c, "db2"), acl_of_t(&c, "db"));
    let again = env2.plan_desired("db2", &doc2).await;
    assert!(again.plan.statements.is_empty(), "{}", again.plan.script);
    c.psql("postgres", "CREATE DATABASE db3");
    c.psql("db3", &objects());
    let sql = env.g.privileges().export("db", None, "sql").await.unwrap();
    c.psql("db3", &common::retarget(&sql, "db", "db3"));
    assert_eq!(acl_of_t(&c, "db3"), acl_of_t(&c, "db"), "{sql}");

    // Revoking from the role named "PUBLIC" revokes from it, not from everyone.
    common::apply(
        &env,
        "db",
        &changes(&[r#"revoke UPDATE on table:app.t from "PUBLIC""#]),
    )
    .await;
    assert_eq!(who(&c), "t|f|t|f|f");

    // A document granting to `public` (the pseudo-role) converges and then stays put.
    let mut doc = export_state(&env.snapshot("db").await);
    doc.objects
        .iter_mut()
        .find(|o| o.name == "t")
        .unwrap()
        .grants
        .push(DesiredGrant {
            to: "public".into(),
            privileges: vec![Privilege::Select],
            grantable: vec![],
            grantor: None,
        });
    let pv = env.plan_desired("db", &doc).await;
    assert_eq!(pv.plan.statements.len(), 1, "{}", pv.plan.script);
    assert!(
        pv.plan
            .script
            .contains("GRANT SELECT ON TABLE \"app\".\"t\" TO PUBLIC;"),
        "{}",
        pv.plan.script
    );
    let r = common::applied(&env, &pv.id).await;
    assert!(r.verified.iter().all(|v| v.confirmed), "{:?}", r.verified);
    for _ in 0..2 {
        let pv = env.plan_desired("db", &doc).await;
        assert!(pv.plan.statements.is_empty(), "{}", pv.plan.script);
    }
    assert_eq!(
        c.psql(
            "db",
            "SELECT has_table_privilege('public', 'app.t', 'SELECT')"
        ),
        "t"
    );

    // PUBLIC is not a role to create, grant or make a member.
    for line in [
        "create-role public",
        "grant-role public to reader",
        "grant-role reader to public",
    ] {
        let e = env.try_plan("db", &changes(&[line])).await.unwrap_err();
        assert!(
            e.message.contains("reserved") || e.message.contains("PUBLIC is not a role"),
            "{line}: {}",
            e.message
        );
    }
}

#[tokio::test]
async fn routines_resolve_exactly_as_the_server_does() {
    let c = Cluster::start(Options::default());
    c.psql("postgres", "CREATE ROLE bob NOLOGIN; CREATE DATABASE db;");
    // Three types whose names differ only in white space inside the quotes, one overload each.
    let types = ["ty a", "ty\na", "ty  a"];
    let mut ddl = String::from("CREATE SCHEMA s;");
    for t in types {
        ddl.push_str(&format!(
            "CREATE TYPE s.{q} AS (x int); \
             CREATE FUNCTION s.k(s.{q}) RETURNS int LANGUAGE sql AS 'SELECT 1'; \
             REVOKE ALL ON FUNCTION s.k(s.{q}) FROM PUBLIC;",
            q = q(t)
        ));
    }
    ddl.push_str(
        "CREATE FUNCTION s.f(integer) RETURNS int LANGUAGE sql AS 'SELECT 1'; \
         CREATE FUNCTION s.f(text) RETURNS int LANGUAGE sql AS 'SELECT 1'; \
         CREATE FUNCTION s.g(character varying) RETURNS int LANGUAGE sql AS 'SELECT 1'; \
         REVOKE ALL ON FUNCTION s.f(integer), s.f(text), s.g(varchar) FROM PUBLIC;",
    );
    c.psql("db", &ddl);
    let env = env_for(&c, "db").await;
    let can = |sig: &str| {
        c.psql(
            "db",
            &format!(
                "SELECT has_function_privilege('bob', {}, 'EXECUTE')",
                grantry_core::quote::literal(sig)
            ),
        )
    };

    // The overload whose type has two spaces, and only that one.
    common::apply(
        &env,
        "db",
        &changes(&[r#"grant EXECUTE on function:s.k(s."ty  a") to bob"#]),
    )
    .await;
    assert_eq!(
        types.map(|t| can(&format!("s.k(s.{})", q(t)))),
        ["f", "f", "t"].map(String::from)
    );

    // Type aliases resolve the way the server resolves them.
    let pv = env
        .plan(
            "db",
            &changes(&[
                "grant EXECUTE on function:s.f(int4) to bob",
                "grant EXECUTE on function:s.g(varchar) to bob",
            ]),
        )
        .await;
    let script = &pv.plan.script;
    assert!(
        script.contains("ON FUNCTION \"s\".\"f\"(integer) TO \"bob\""),
        "{script}"
    );
    assert!(
        script.contains("ON FUNCTION \"s\".\"g\"(character varying) TO \"bob\""),
        "{script}"
    );
    let _r = common::applied(&env, &pv.id).await;
    assert_eq!(can("s.f(integer)"), "t");
    assert_eq!(can("s.f(text)"), "f");
    assert_eq!(can("s.g(varchar)"), "t");

    // Without an argument list: fine when unique, an error naming the overloads otherwise.
    let e = env
        .try_plan("db", &changes(&["grant EXECUTE on function:s.f to bob"]))
        .await
        .unwrap_err();
    assert!(e.message.contains("overloaded"), "{}", e.message);
    assert!(e.message.contains("(integer)") && e.message.contains("(text)"));
    let who = env
        .who_can(
            "db",
            &grantry_core::privileges::parse::parse_object("function:s.f(int)").unwrap(),
            Privilege::Execute,
        )
        .await;
    assert!(who.roles.iter().any(|a| a.role == "bob"), "{who:?}");
    assert_eq!(who.object, "s.f(integer)");

    // An exported document re-plans to nothing, overloads included.
    let snap = env.snapshot("db").await;
    let doc = export_state(&snap);
    let (changes, _) = grantry_core::privileges::desired::changes_for(&snap, &doc).unwrap();
    assert!(changes.is_empty(), "{changes:?}");
}

#[tokio::test]
async fn people_can_tell_a_role_from_public_in_what_grantry_prints() {
    let c = cluster();
    c.psql(
        "postgres",
        "CREATE ROLE \"PUBLIC \" NOLOGIN; CREATE ROLE \"PUBLIC\" NOLOGIN IN ROLE \"PUBLIC \";",
    );
    c.psql(
        "db",
        "GRANT SELECT ON app.t TO \"PUBLIC \"; GRANT INSERT ON app.t TO public;",
    );
    let env = env_for(&c, "db").await;
    let t = grantry_core::privileges::parse::parse_object("table:app.t").unwrap();
    let who = env.who_can("db", &t, Privilege::Select).await;
    let via = who.roles.iter().find(|a| a.role == "PUBLIC").unwrap();
    let text = grantry_core::privileges::engine::explain_reasons(&via.reasons);
    assert_eq!(text, r#"through "PUBLIC " ("PUBLIC" → "PUBLIC ")"#);
    let everyone = env.who_can("db", &t, Privilege::Insert).await;
    assert_eq!(
        grantry_core::privileges::engine::explain_reasons(&everyone.public),
        "through PUBLIC"
    );
    // The plan's purpose and access changes name the role quoted, the pseudo-role bare.
    let pv = env
        .plan(
            "db",
            &changes(&[
                r#"revoke SELECT on table:app.t from "PUBLIC ""#,
                "revoke INSERT on table:app.t from public",
            ]),
        )
        .await;
    let purposes: Vec<&str> = pv
        .plan
        .statements
        .iter()
        .map(|s| s.purpose.as_str())
        .collect();
    assert!(
        purposes.contains(&r#"REVOKE SELECT ON app.t FROM "PUBLIC ""#),
        "{purposes:?}"
    );
    assert!(
        purposes.contains(&"REVOKE INSERT ON app.t FROM PUBLIC"),
        "{purposes:?}"
    );
    // A shortcut never creates a role named like PUBLIC.
    let e = env
        .try_plan("db", &changes(&["read table:app.t to Public"]))
        .await
        .unwrap_err();
    assert!(e.message.contains("is written public"), "{}", e.message);
}
