//! A schema's Privileges tab lists the default privileges (pg_default_acl) its new objects will
//! get: the schema's own rules and the global ones, as the server records them. Rules staged and
//! applied through a plan appear there, and revoking them through a plan removes them.

mod common;

use common::{apply, grantry_on};
use grantry_core::privileges::inspect::DefaultObjectType;
use grantry_core::privileges::plan::Change;
use grantry_core::privileges::{ObjectKind, ObjectRef, Privilege};
use grantry_testrig::{Cluster, Options};

fn schema(name: &str) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::Schema,
        schema: None,
        name: name.into(),
        args: None,
        column: None,
    }
}

/// The rules of the tab as `for_role|in_schema|type|grantee|privileges|grantable` lines.
async fn rules(env: &common::Env, s: &str) -> Vec<String> {
    let g = env
        .g
        .privileges()
        .object_grants("app", None, &schema(s))
        .await
        .unwrap();
    g.default_privileges
        .iter()
        .map(|r| {
            let list = |ps: &[Privilege]| ps.iter().map(|p| p.sql()).collect::<Vec<_>>().join(",");
            format!(
                "{}|{}|{:?}|{}|{}|{}",
                r.for_role,
                r.in_schema.as_deref().unwrap_or("*"),
                r.object_type,
                r.grantee,
                list(&r.privileges),
                list(&r.grantable)
            )
        })
        .collect()
}

#[tokio::test]
async fn a_schema_shows_its_default_privileges_and_plans_change_them() {
    let c = Cluster::start(Options::default());
    c.psql(
        "postgres",
        "CREATE DATABASE app; CREATE ROLE etl NOLOGIN; CREATE ROLE \"Read Only\" NOLOGIN; CREATE ROLE audit NOLOGIN",
    );
    c.psql(
        "app",
        "CREATE SCHEMA sales; CREATE SCHEMA other; GRANT CREATE, USAGE ON SCHEMA sales TO etl; CREATE TABLE sales.orders (id int);
         ALTER DEFAULT PRIVILEGES FOR ROLE etl IN SCHEMA sales GRANT SELECT ON TABLES TO \"Read Only\";
         ALTER DEFAULT PRIVILEGES FOR ROLE etl IN SCHEMA sales GRANT SELECT, UPDATE ON TABLES TO audit WITH GRANT OPTION;
         ALTER DEFAULT PRIVILEGES FOR ROLE etl IN SCHEMA other GRANT SELECT ON TABLES TO audit;
         ALTER DEFAULT PRIVILEGES FOR ROLE etl REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC",
    );
    let env = grantry_on(&c, "app").await;
    let server = c.psql(
        "app",
        "SELECT count(*) FROM pg_default_acl WHERE defaclnamespace IN (0, 'sales'::regnamespace)",
    );
    assert_eq!(server, "2");
    assert_eq!(
        rules(&env, "sales").await,
        [
            "etl|sales|Tables|Read Only|SELECT|",
            "etl|sales|Tables|audit|SELECT,UPDATE|SELECT,UPDATE",
            // The global rule replaces the built-in default: the creator keeps EXECUTE.
            "etl|*|Functions|etl|EXECUTE|",
        ]
    );

    // A dry run of one statement says so in the singular.
    let one = Change::DefaultPrivileges {
        grant: true,
        for_role: Some("etl".into()),
        in_schema: Some("sales".into()),
        on: DefaultObjectType::Types,
        privileges: vec![Privilege::Usage],
        roles: vec!["audit".into()],
        with_grant_option: false,
    };
    let pv = env.plan("app", &[one]).await;
    assert_eq!(pv.plan.statements.len(), 1);
    let r = env.run(&pv.id, true).await;
    assert_eq!(
        r.report.message,
        "dry run: the 1 statement succeeded and was rolled back"
    );

    // Staged as changes, applied, and read back as the server has them.
    let r = apply(
        &env,
        "app",
        &[
            Change::DefaultPrivileges {
                grant: false,
                for_role: Some("etl".into()),
                in_schema: Some("sales".into()),
                on: DefaultObjectType::Tables,
                privileges: vec![Privilege::Select],
                roles: vec!["Read Only".into()],
                with_grant_option: false,
            },
            Change::DefaultPrivileges {
                grant: true,
                for_role: Some("etl".into()),
                in_schema: Some("sales".into()),
                on: DefaultObjectType::Sequences,
                privileges: vec![Privilege::Usage],
                roles: vec!["Read Only".into()],
                with_grant_option: false,
            },
        ],
    )
    .await;
    assert_eq!(r.report.message, "applied 2 statements");
    assert_eq!(
        rules(&env, "sales").await,
        [
            "etl|sales|Tables|audit|SELECT,UPDATE|SELECT,UPDATE",
            "etl|sales|Sequences|Read Only|USAGE|",
            "etl|*|Functions|etl|EXECUTE|",
        ]
    );
    assert_eq!(
        c.psql(
            "app",
            "SELECT string_agg(defaclobjtype::text || ':' || array_to_string(defaclacl, ','), ' ' ORDER BY defaclobjtype)
               FROM pg_default_acl WHERE defaclnamespace = 'sales'::regnamespace"
        ),
        "S:\"Read Only\"=U/etl r:audit=r*w*/etl"
    );
    // A new table of etl's in sales gets exactly what the tab said.
    c.psql("app", "SET ROLE etl; CREATE TABLE sales.t (x int)");
    assert_eq!(
        c.psql(
            "app",
            "SELECT has_table_privilege('audit', 'sales.t', 'UPDATE WITH GRANT OPTION'),
                    has_table_privilege('Read Only', 'sales.t', 'SELECT')"
        ),
        "t|f"
    );
    // Other object kinds have no default privileges of their own.
    let t = env
        .g
        .privileges()
        .object_grants("app", None, &common::table_ref("sales", "orders"))
        .await
        .unwrap();
    assert!(t.default_privileges.is_empty());
}
