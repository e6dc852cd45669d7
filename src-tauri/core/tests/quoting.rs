//! Property test: hostile identifiers (quotes, spaces, dots, unicode, upper case, keywords,
//! 63-byte names) in generated SQL. The objects are created with psql's own identifier quoting
//! (`:"var"`), then Grantry plans and applies a grant; the server must show exactly the intended
//! table and role changed, and look-alike decoys untouched.

mod common;

use grantry_core::privileges::apply::RunOutcome;
use grantry_core::privileges::plan::{Change, Target};
use grantry_core::privileges::{ObjectKind, Privilege};
use grantry_testrig::{Cluster, Options};
use proptest::prelude::*;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

const PIECES: &[&str] = &[
    "a",
    "Z",
    "\"",
    "\"\"",
    "'",
    " ",
    ".",
    "select",
    "TABLE",
    "é",
    "数据",
    "🦀",
    "-",
    "$1",
    "\\",
    ";",
    "x y",
    "Ünïcode",
    "%",
    "_",
];

fn to_63_bytes(mut s: String) -> String {
    while s.len() > 63 {
        s.pop();
    }
    s
}

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(proptest::sample::select(PIECES), 1..6)
            .prop_map(|v| to_63_bytes(v.concat())),
        // Exactly 63 bytes (the longest identifier PostgreSQL keeps), mixed width characters.
        proptest::sample::select(vec!["x", "é", "数"]).prop_map(|c| {
            let mut s = String::new();
            while s.len() + c.len() <= 63 {
                s.push_str(c);
            }
            while s.len() < 63 {
                s.push('y');
            }
            s
        }),
    ]
    .prop_filter("not empty", |s| !s.is_empty())
}

fn cluster() -> &'static Cluster {
    static C: OnceLock<Cluster> = OnceLock::new();
    C.get_or_init(|| {
        let c = Cluster::start(Options::default());
        c.psql("postgres", "CREATE DATABASE q");
        c
    })
}

/// Runs a psql script with variables, so psql (not Grantry) does the quoting.
fn psql_vars(c: &Cluster, vars: &[(&str, &str)], script: &str) -> String {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h"])
        .arg(c.cluster.socket_dir())
        .args(["-p", &c.port.to_string(), "-U", &c.superuser, "-d", "q"]);
    for (k, v) in vars {
        cmd.arg("-v").arg(format!("{k}={v}"));
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_identifiers_touch_exactly_the_intended_object(schema in hostile(), table in hostile(), role in hostile()) {
        let c = cluster();
        let decoy_table = format!("{}_decoy", to_63_bytes(table.clone()).chars().take(20).collect::<String>());
        let decoy_role = format!("{}_decoy", role.chars().take(20).collect::<String>());
        prop_assume!(decoy_table != table && decoy_role != role);
        // Fresh objects per case: drop everything earlier cases made.
        psql_vars(c, &[("s", &schema), ("t", &table), ("d", &decoy_table), ("r", &role), ("rd", &decoy_role)],
            "DO $$ DECLARE r record; BEGIN\n\
               FOR r IN SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%' LOOP EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname); END LOOP;\n\
               FOR r IN SELECT rolname FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%' AND rolname <> current_user LOOP EXECUTE format('DROP OWNED BY %I', r.rolname); EXECUTE format('DROP ROLE %I', r.rolname); END LOOP;\n\
             END $$;\n\
             CREATE SCHEMA :\"s\";\nCREATE TABLE :\"s\".:\"t\" (x int);\nCREATE TABLE :\"s\".:\"d\" (x int);\n\
             CREATE ROLE :\"r\";\nCREATE ROLE :\"rd\";\n");
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let env = common::grantry_on(c, "q").await;
            let changes = vec![
                Change::Grant {
                    privileges: vec![Privilege::Usage],
                    on: Target::Object { kind: ObjectKind::Schema, schema: None, name: schema.clone(), args: None, columns: vec![] },
                    to: vec![role.clone()],
                    with_grant_option: false,
                    granted_by: None,
                },
                Change::Grant {
                    privileges: vec![Privilege::Select, Privilege::Update],
                    on: Target::Object { kind: ObjectKind::Table, schema: Some(schema.clone()), name: table.clone(), args: None, columns: vec!["x".into()] },
                    to: vec![role.clone()],
                    with_grant_option: false,
                    granted_by: None,
                },
                Change::Grant {
                    privileges: vec![Privilege::Insert],
                    on: Target::Object { kind: ObjectKind::Table, schema: Some(schema.clone()), name: table.clone(), args: None, columns: vec![] },
                    to: vec![role.clone()],
                    with_grant_option: false,
                    granted_by: None,
                },
            ];
            let pv = env.g.privileges().plan("q", None, &changes).await.unwrap();
            let r = env.g.privileges().run_plan(&pv.id, false, None).await.unwrap();
            assert_eq!(r.report.outcome, RunOutcome::Committed, "{}\n{}", r.report.message, pv.plan.script);
            env.g.close().await;
        });
        let check = |t: &str, r: &str, p: &str| psql_vars(c, &[("s", &schema), ("t", t), ("r", r), ("p", p)],
            "SELECT has_table_privilege(:'r', format('%I.%I', :'s', :'t'), :'p');\n") == "t";
        let col = |t: &str, r: &str| psql_vars(c, &[("s", &schema), ("t", t), ("r", r)],
            "SELECT has_column_privilege(:'r', format('%I.%I', :'s', :'t'), 'x', 'SELECT');\n") == "t";
        prop_assert!(check(&table, &role, "INSERT"));
        prop_assert!(col(&table, &role));
        prop_assert!(!check(&table, &role, "SELECT"), "column grant became a table grant");
        prop_assert!(!check(&decoy_table, &role, "INSERT") && !col(&decoy_table, &role));
        prop_assert!(!check(&table, &decoy_role, "INSERT") && !col(&table, &decoy_role));
        let usage = psql_vars(c, &[("s", &schema), ("r", &role), ("rd", &decoy_role)],
            "SELECT has_schema_privilege(:'r', (SELECT oid FROM pg_namespace WHERE nspname = :'s'), 'USAGE')::text || has_schema_privilege(:'rd', (SELECT oid FROM pg_namespace WHERE nspname = :'s'), 'USAGE')::text;\n");
        prop_assert_eq!(usage, "truefalse");
    }
}
