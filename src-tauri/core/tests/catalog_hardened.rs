//! The catalog tree on a hardened server: SELECT on pg_type, pg_sequence and pg_depend revoked
//! from PUBLIC, read by a login that is not a superuser. The tree answers as on any server (it
//! reads pg_class alone there), checked against pg_class and against a superuser's tree.

mod common;

use common::{grantry, input, secret};
use grantry_core::catalog::TreeQuery;
use grantry_core::integrations::model::SslMode;
use grantry_testrig::{Cluster, Options};

fn q(search: Option<&str>) -> TreeQuery {
    TreeQuery {
        search: search.map(Into::into),
        limit: Some(50),
        offset: None,
        include_system: false,
        with_total: true,
    }
}

#[tokio::test]
async fn the_tree_reads_pg_class_where_helper_catalogs_are_revoked() {
    let c = Cluster::start(Options::default());
    c.psql(
        "postgres",
        "CREATE DATABASE hard; CREATE ROLE reader LOGIN PASSWORD 'reader-pw'",
    );
    c.psql(
        "hard",
        "CREATE SCHEMA s; CREATE SCHEMA empty;
         CREATE TABLE s.orders (id int, note text); CREATE TABLE s.pg_toast_1 (x int);
         CREATE SEQUENCE s.pg_toast_seq; CREATE SEQUENCE s.ids; CREATE VIEW s.v AS SELECT 1 AS one;
         CREATE TABLE s.\"Zed Table\" (x int); CREATE INDEX ON s.orders (id);
         REVOKE SELECT ON pg_catalog.pg_type, pg_catalog.pg_sequence, pg_catalog.pg_depend FROM PUBLIC",
    );
    assert_eq!(
        c.psql(
            "hard",
            "SELECT has_table_privilege('reader', 'pg_catalog.pg_type', 'SELECT'),
                    has_table_privilege('reader', 'pg_catalog.pg_sequence', 'SELECT'),
                    has_table_privilege('reader', 'pg_catalog.pg_depend', 'SELECT')"
        ),
        "f|f|f"
    );
    let env = grantry().await;
    let admin = input(&c, "admin", SslMode::Prefer).with_self_hosted(|s| {
        s.database = Some("hard".into());
    });
    let reader = input(&c, "reader", SslMode::Prefer).with_self_hosted(|s| {
        s.database = Some("hard".into());
        s.username = "reader".into();
        s.password = secret("reader-pw");
    });
    env.g.integrations().add(admin).await.unwrap();
    env.g.integrations().add(reader).await.unwrap();
    let cat = env.g.catalog();

    let expected: Vec<String> = c
        .psql(
            "hard",
            "SELECT relname FROM pg_class WHERE relnamespace = 's'::regnamespace
               AND relkind IN ('r','p','v','m','f','S') ORDER BY relname COLLATE \"C\"",
        )
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(expected.len(), 6);
    for who in ["reader", "admin"] {
        let schemas = cat.schemas(who, "hard", &q(None)).await.unwrap();
        let counts: Vec<_> = schemas
            .items
            .iter()
            .map(|s| (s.name.as_str(), s.relation_count))
            .collect();
        assert_eq!(counts, [("empty", 0), ("public", 0), ("s", 6)], "{who}");

        let page = cat.relations(who, "hard", "s", &q(None)).await.unwrap();
        let names: Vec<_> = page.items.iter().map(|r| r.name.clone()).collect();
        assert_eq!(names, expected, "{who}");
        assert_eq!(page.total, Some(6), "{who}");

        let found = cat
            .relations(who, "hard", "s", &q(Some("TOAST")))
            .await
            .unwrap();
        let names: Vec<_> = found.items.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["pg_toast_1", "pg_toast_seq"], "{who}");
        assert_eq!(found.total, Some(2), "{who}");

        let stats = cat.schema_stats(who, "hard", "s").await.unwrap();
        assert_eq!(stats.relation_count, 6, "{who}");
        let err = cat.schema_stats(who, "hard", "nope").await.unwrap_err();
        assert_eq!(err.code, grantry_core::ErrorCode::NotFound, "{who}");
    }
}
