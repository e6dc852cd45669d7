//! "Who can UPDATE on table t" names everyone who can change the table: the roles holding the
//! privilege on the table, and, apart, the roles holding it on some of its columns, exactly as
//! has_table_privilege, has_any_column_privilege and has_column_privilege say.

mod common;

use grantry_core::privileges::parse::parse_object;
use grantry_core::privileges::Privilege;
use grantry_testrig::{Cluster, Options};

#[tokio::test]
async fn column_holders_are_shown_apart_and_agree_with_the_server() {
    let c = Cluster::start(Options::default());
    c.psql(
        "postgres",
        "CREATE ROLE owner_a NOLOGIN; CREATE ROLE alice LOGIN; CREATE ROLE grp NOLOGIN; \
         CREATE ROLE bob LOGIN IN ROLE grp; CREATE ROLE carol LOGIN; CREATE ROLE dave LOGIN; \
         CREATE DATABASE db;",
    );
    c.psql(
        "db",
        "CREATE TABLE public.t (a int, b int, \"Odd Col\" int); ALTER TABLE public.t OWNER TO owner_a; \
         GRANT UPDATE (a) ON public.t TO alice; GRANT UPDATE (b, \"Odd Col\") ON public.t TO grp; \
         GRANT UPDATE ON public.t TO carol; GRANT UPDATE (a) ON public.t TO carol; \
         GRANT SELECT (a) ON public.t TO PUBLIC; GRANT SELECT ON public.t TO dave;",
    );
    let env = common::grantry_on(&c, "db").await;
    let t = parse_object("table:public.t").unwrap();
    let roles = ["owner_a", "alice", "grp", "bob", "carol", "dave"];
    for (privilege, name) in [(Privilege::Update, "UPDATE"), (Privilege::Select, "SELECT")] {
        let w = env.who_can("db", &t, privilege).await;
        for r in roles {
            let server = c.psql(
                "db",
                &format!(
                    "SELECT has_table_privilege('{r}', 'public.t', '{name}'), \
                     has_any_column_privilege('{r}', 'public.t', '{name}'), \
                     coalesce(string_agg(attname, ',' ORDER BY attname) FILTER \
                       (WHERE has_column_privilege('{r}', 'public.t', attnum, '{name}')), '') \
                     FROM pg_attribute WHERE attrelid = 'public.t'::regclass AND attnum > 0"
                ),
            );
            let at_table = w.roles.iter().any(|a| a.role == r);
            let partial = w.partial.iter().find(|a| a.role == r);
            let mine = format!(
                "{}|{}|{}",
                if at_table { "t" } else { "f" },
                if at_table
                    || partial.is_some()
                    || !w.public.is_empty()
                    || w.partial.iter().any(|a| a.role == "public")
                {
                    "t"
                } else {
                    "f"
                },
                if at_table {
                    server.rsplit('|').next().unwrap().to_string()
                } else {
                    let mut cols: Vec<String> =
                        partial.map(|p| p.columns.clone()).unwrap_or_default();
                    if let Some(p) = w.partial.iter().find(|a| a.role == "public") {
                        cols.extend(p.columns.iter().cloned());
                    }
                    cols.sort();
                    cols.dedup();
                    cols.join(",")
                }
            );
            assert_eq!(mine, server, "{name} for {r}: {w:?}");
        }
    }
    // UPDATE: carol on the table (her column grant is covered), the others on columns only.
    let w = env.who_can("db", &t, Privilege::Update).await;
    let partial: Vec<(&str, Vec<&str>)> = w
        .partial
        .iter()
        .map(|a| {
            (
                a.role.as_str(),
                a.columns.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        partial,
        [
            ("alice", vec!["a"]),
            ("bob", vec!["Odd Col", "b"]),
            ("grp", vec!["Odd Col", "b"])
        ]
    );
    // SELECT: PUBLIC on column a is one entry, not one per role.
    let w = env.who_can("db", &t, Privilege::Select).await;
    assert_eq!(
        w.partial
            .iter()
            .map(|a| a.role.as_str())
            .collect::<Vec<_>>(),
        ["public"]
    );
}
