//! The catalog tree at its edges: a hardened server (SELECT on pg_type, pg_sequence and
//! pg_depend revoked from PUBLIC, read by a login that is not a superuser), where the tree reads
//! pg_class alone and answers the same; and searches for letters with more than two case forms
//! (Kelvin sign, long s, Ohm sign, sharp s, micro sign), which find the same names whichever
//! form is typed.

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

#[tokio::test]
async fn a_search_finds_the_same_names_whichever_case_form_is_typed() {
    let c = Cluster::start(Options::default());
    c.psql("postgres", "CREATE DATABASE names");
    c.psql(
        "names",
        "CREATE SCHEMA s;
         CREATE TABLE s.task (x int); CREATE TABLE s.\"TASK\" (x int); CREATE TABLE s.\"taſk\" (x int);
         CREATE TABLE s.\"tas\u{212A}\" (x int); CREATE TABLE s.\"\u{2126}hm\" (x int); CREATE TABLE s.\"ωhm\" (x int);
         CREATE TABLE s.\"straße\" (x int); CREATE TABLE s.\"STRAẞE\" (x int);
         CREATE TABLE s.\"µs\" (x int); CREATE TABLE s.\"Μs\" (x int);
         CREATE TABLE s.\" padded \" (x int); CREATE TABLE s.padded (x int)",
    );
    let env = grantry().await;
    let it = input(&c, "names", SslMode::Prefer).with_self_hosted(|s| {
        s.database = Some("names".into());
    });
    env.g.integrations().add(it).await.unwrap();
    let found = |search: &'static str| {
        let cat = env.g.catalog();
        async move {
            let page = cat
                .relations("names", "names", "s", &q(Some(search)))
                .await
                .unwrap();
            let mut names: Vec<String> = page.items.into_iter().map(|r| r.name).collect();
            names.sort();
            assert_eq!(page.total, Some(names.len() as i64), "{search}");
            names
        }
    };
    let tasks = ["TASK", "task", "tas\u{212A}", "taſk"]
        .map(String::from)
        .to_vec();
    let mut sorted = tasks.clone();
    sorted.sort();
    for typed in ["task", "TASK", "taſk", "tas\u{212A}"] {
        assert_eq!(found(typed).await, sorted, "{typed}");
    }
    let mut ohm = vec!["\u{2126}hm".to_string(), "ωhm".to_string()];
    ohm.sort();
    for typed in ["\u{2126}hm", "ωhm", "ΩHM"] {
        assert_eq!(found(typed).await, ohm, "{typed}");
    }
    let mut sharp = vec!["STRAẞE".to_string(), "straße".to_string()];
    sharp.sort();
    for typed in ["straße", "STRAẞE"] {
        assert_eq!(found(typed).await, sharp, "{typed}");
    }
    let mut micro = vec!["Μs".to_string(), "µs".to_string()];
    micro.sort();
    for typed in ["µs", "μs", "Μs"] {
        assert_eq!(found(typed).await, micro, "{typed}");
    }
    // Spaces are part of the search: names may begin or end with them.
    assert_eq!(found(" padded ").await, [" padded "]);
    assert_eq!(found("padded").await, [" padded ", "padded"]);
    // A search longer than any name is refused, at its field.
    let long = "i".repeat(64);
    let err = env
        .g
        .catalog()
        .relations("names", "names", "s", &q(Some(&long)))
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("search"), "{}", err.message);
}
