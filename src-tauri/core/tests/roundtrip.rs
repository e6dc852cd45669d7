//! The goal of export and desired state: for a database with every kind of object and grant,
//! export -> apply to a copy with the same objects and roles but no grants -> every catalog ACL
//! (relacl, attacl, nspacl, proacl, typacl, datacl, fdwacl, srvacl, paracl, lomacl, defaclacl)
//! and every membership (options and grantor) is equal, on every supported major, through the
//! JSON document (planned and applied by Grantry) and through the SQL script (run by psql).
//! ACLs are compared by meaning: `coalesce(acl, acldefault(..))`, exploded and sorted.

mod common;

use grantry_testrig::{version_matrix, Cluster};

const ROLES: &str = r#"CREATE ROLE owner_a NOLOGIN; CREATE ROLE readers NOLOGIN; CREATE ROLE writers NOLOGIN;
CREATE ROLE alice LOGIN; CREATE ROLE bob LOGIN; CREATE ROLE etl LOGIN; CREATE ROLE svc LOGIN;
CREATE ROLE auditor NOLOGIN; CREATE ROLE "Mixed Case" NOLOGIN;"#;

/// Objects and owners: the same in the source and in the copies.
fn objects(major: u32) -> String {
    let mut s = String::from(
        r#"CREATE SCHEMA app AUTHORIZATION owner_a; CREATE SCHEMA "Odd Schema" AUTHORIZATION owner_a;
CREATE TABLE app.t1 (id int, secret text); CREATE TABLE app.t2 (id int, note text);
CREATE TABLE app.locked (x int); CREATE TABLE "Odd Schema"."Tab.One" ("Col A" int);
CREATE TABLE app.part (d date) PARTITION BY RANGE (d);
CREATE TABLE app.part1 PARTITION OF app.part FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE VIEW app.v AS SELECT 1 AS x; CREATE MATERIALIZED VIEW app.mv AS SELECT 1 AS x;
CREATE SEQUENCE app.s;
CREATE FUNCTION app.f(int) RETURNS int LANGUAGE sql AS 'SELECT $1';
CREATE FUNCTION app.f(text) RETURNS text LANGUAGE sql AS 'SELECT $1';
CREATE PROCEDURE app.p() LANGUAGE sql AS 'SELECT 1';
CREATE AGGREGATE app.agg(int) (SFUNC = int4pl, STYPE = int);
CREATE DOMAIN app.d AS int; CREATE TYPE app.e AS ENUM ('a', 'b'); CREATE TYPE app.c AS (a int);
CREATE FOREIGN DATA WRAPPER w; CREATE SERVER srv FOREIGN DATA WRAPPER w;
CREATE FOREIGN TABLE app.ft (x int) SERVER srv;
SELECT lo_create(4242); ALTER LARGE OBJECT 4242 OWNER TO owner_a;
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT c.oid::regclass AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname IN ('app', 'Odd Schema') AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO owner_a', r.t);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS f, p.prokind FROM pg_proc p WHERE p.pronamespace = 'app'::regnamespace LOOP
    EXECUTE format('ALTER %s %s OWNER TO owner_a',
      CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, r.f);
  END LOOP;
END $$;
ALTER DOMAIN app.d OWNER TO owner_a; ALTER TYPE app.e OWNER TO owner_a; ALTER TYPE app.c OWNER TO owner_a;
ALTER SERVER srv OWNER TO owner_a;
"#,
    );
    let _ = major;
    s.push_str(
        "CREATE TABLE app.after_defaults (x int); ALTER TABLE app.after_defaults OWNER TO svc;",
    );
    s
}

/// The grants of the source only.
fn grants(major: u32) -> String {
    let mut s = String::from(
        r#"GRANT USAGE ON SCHEMA app TO readers, bob, writers; GRANT USAGE, CREATE ON SCHEMA "Odd Schema" TO "Mixed Case";
GRANT SELECT ON app.t1, app.v, app.mv, app.part TO readers;
GRANT INSERT, UPDATE ON app.t1 TO writers WITH GRANT OPTION;
GRANT SELECT (id), UPDATE (note) ON app.t2 TO alice; GRANT SELECT ("Col A") ON "Odd Schema"."Tab.One" TO "Mixed Case";
GRANT SELECT ON app.t2 TO bob WITH GRANT OPTION; SET ROLE bob; GRANT SELECT ON app.t2 TO etl; RESET ROLE;
REVOKE ALL ON app.locked FROM owner_a; REVOKE TRUNCATE ON app.t2 FROM owner_a;
GRANT SELECT ON app.t1 TO writers WITH GRANT OPTION; SET ROLE writers; GRANT SELECT (id) ON app.t1 TO svc; RESET ROLE;
GRANT USAGE, SELECT ON SEQUENCE app.s TO writers;
REVOKE EXECUTE ON FUNCTION app.f(int) FROM PUBLIC; GRANT EXECUTE ON FUNCTION app.f(int) TO etl;
GRANT EXECUTE ON PROCEDURE app.p() TO svc; REVOKE EXECUTE ON FUNCTION app.agg(int) FROM PUBLIC;
REVOKE USAGE ON DOMAIN app.d FROM PUBLIC; GRANT USAGE ON DOMAIN app.d TO etl;
GRANT USAGE ON TYPE app.e TO auditor; REVOKE USAGE ON TYPE app.c FROM PUBLIC; GRANT USAGE ON TYPE app.c TO etl;
GRANT USAGE ON FOREIGN DATA WRAPPER w TO owner_a; GRANT USAGE ON FOREIGN SERVER srv TO etl;
GRANT SELECT ON app.ft TO readers;
REVOKE TEMPORARY ON DATABASE app FROM PUBLIC; GRANT CREATE ON DATABASE app TO owner_a;
GRANT SELECT ON LARGE OBJECT 4242 TO readers; GRANT UPDATE ON LARGE OBJECT 4242 TO writers;
GRANT SET ON PARAMETER work_mem TO etl; GRANT ALTER SYSTEM ON PARAMETER log_min_duration_statement TO auditor;
ALTER DEFAULT PRIVILEGES FOR ROLE owner_a IN SCHEMA app GRANT SELECT ON TABLES TO readers;
ALTER DEFAULT PRIVILEGES FOR ROLE owner_a GRANT SELECT ON TABLES TO auditor WITH GRANT OPTION;
ALTER DEFAULT PRIVILEGES FOR ROLE etl REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE svc REVOKE ALL ON TABLES FROM svc;
ALTER DEFAULT PRIVILEGES FOR ROLE owner_a IN SCHEMA app GRANT USAGE ON SEQUENCES TO writers;
GRANT readers TO alice; GRANT writers TO bob WITH ADMIN OPTION; SET ROLE bob; GRANT writers TO svc; RESET ROLE;
"#,
    );
    // Languages, too.
    s.push_str(
        "REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC; GRANT USAGE ON LANGUAGE plpgsql TO etl;",
    );
    if major >= 16 {
        s.push_str("GRANT readers TO etl WITH INHERIT FALSE, SET FALSE;");
        // One membership, two grantors with different options.
        s.push_str("GRANT writers TO alice WITH SET FALSE GRANTED BY bob; GRANT writers TO alice;");
    } else {
        s.push_str("GRANT readers TO etl;");
    }
    if major >= 18 {
        s.push_str(
            "ALTER DEFAULT PRIVILEGES FOR ROLE owner_a GRANT SELECT ON LARGE OBJECTS TO readers;",
        );
    }
    s
}

/// Every ACL and membership, by meaning, one line each, sorted.
fn state(c: &Cluster) -> Vec<String> {
    let v16 = c.major >= 16;
    let sql = format!(
        r#"WITH o(kind, name, acl) AS (
  SELECT 'relation', c.oid::regclass::text,
         coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname IN ('app', 'Odd Schema') AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  UNION ALL
  SELECT 'column', a.attrelid::regclass::text || '.' || quote_ident(a.attname), coalesce(a.attacl, '{{}}')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname IN ('app', 'Odd Schema') AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'schema', quote_ident(nspname), coalesce(nspacl, acldefault('n', nspowner))
    FROM pg_namespace WHERE nspname IN ('app', 'Odd Schema', 'public')
  UNION ALL
  SELECT 'routine', p.oid::regprocedure::text, coalesce(proacl, acldefault('f', proowner))
    FROM pg_proc p WHERE p.pronamespace = 'app'::regnamespace
  UNION ALL
  SELECT 'type', t.oid::regtype::text, coalesce(typacl, acldefault('T', typowner))
    FROM pg_type t LEFT JOIN pg_class r ON r.oid = t.typrelid
   WHERE t.typnamespace = 'app'::regnamespace AND t.typcategory <> 'A' AND (t.typrelid = 0 OR r.relkind = 'c')
  UNION ALL
  SELECT 'database', quote_ident(datname), coalesce(datacl, acldefault('d', datdba))
    FROM pg_database WHERE datname = current_database()
  UNION ALL
  SELECT 'fdw', quote_ident(fdwname), coalesce(fdwacl, acldefault('F', fdwowner)) FROM pg_foreign_data_wrapper
  UNION ALL
  SELECT 'server', quote_ident(srvname), coalesce(srvacl, acldefault('S', srvowner)) FROM pg_foreign_server
  UNION ALL
  SELECT 'large object', l.oid::text, coalesce(lomacl, acldefault('L', lomowner)) FROM pg_largeobject_metadata l
  UNION ALL
  SELECT 'parameter', parname, coalesce(paracl, '{{}}') FROM pg_parameter_acl
  UNION ALL
  SELECT 'default ' || defaclrole::regrole::text || ' ' || coalesce(quote_ident(n.nspname), '*') || ' ' || defaclobjtype::text,
         '', defaclacl
    FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
)
SELECT kind || ' ' || name || ': ' || coalesce((
  SELECT string_agg(x, ' ' ORDER BY x) FROM (
    SELECT CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE grantee::regrole::text END || '=' || privilege_type
           || CASE WHEN is_grantable THEN '*' ELSE '' END || '/' || grantor::regrole::text AS x
      FROM aclexplode(acl)) e), '-')
  FROM o
 WHERE NOT (kind IN ('column', 'parameter') AND acl = '{{}}')
UNION ALL
SELECT 'member ' || roleid::regrole::text || ' <- ' || member::regrole::text || ' by ' || grantor::regrole::text
       || CASE WHEN admin_option THEN ' admin' ELSE '' END {options}
  FROM pg_auth_members WHERE member::regrole::text NOT LIKE 'pg\_%' AND member::regrole::text <> current_user
ORDER BY 1"#,
        options = if v16 {
            "|| CASE WHEN inherit_option THEN ' inherit' ELSE '' END || CASE WHEN set_option THEN ' set' ELSE '' END"
        } else {
            ""
        }
    );
    c.psql("app", &sql).lines().map(String::from).collect()
}

fn copy(major_bindir: &std::path::Path, major: u32) -> Cluster {
    let c = Cluster::start_with(major_bindir);
    c.psql("postgres", &format!("{ROLES} CREATE DATABASE app;"));
    c.psql("app", &objects(major));
    c
}

fn diff(a: &[String], b: &[String]) -> String {
    let mut out = String::new();
    for l in a.iter().filter(|l| !b.contains(l)) {
        out.push_str(&format!("\n  only in the source: {l}"));
    }
    for l in b.iter().filter(|l| !a.contains(l)) {
        out.push_str(&format!("\n  only in the copy:   {l}"));
    }
    out
}

/// The source's document (JSON) and SQL script.
async fn exports(src: &Cluster) -> (String, String) {
    let env = common::grantry_on(src, "app").await;
    let doc = env
        .g
        .privileges()
        .export("app", None, "json")
        .await
        .unwrap();
    let sql = env.g.privileges().export("app", None, "sql").await.unwrap();
    env.g.close().await;
    (doc, sql)
}

/// Plans and applies `doc` on `b` through Grantry; what went wrong goes to `failures`. Returns
/// the Grantry it used (to plan again).
async fn apply_document(
    b: &Cluster,
    doc: &str,
    what: &str,
    failures: &mut Vec<String>,
) -> common::Env {
    let env = common::grantry_on(b, "app").await;
    let desired = grantry_core::privileges::desired::parse_document(doc).unwrap();
    match env.try_plan_desired("app", &desired).await {
        Ok(pv) if !pv.id.is_empty() => {
            if !pv.plan.blocking.is_empty() {
                failures.push(format!("{what}: blocking {:?}", pv.plan.blocking));
            }
            match env.try_run(&pv.id, false).await {
                Ok(r)
                    if r.report.outcome
                        == grantry_core::privileges::apply::RunOutcome::Committed => {}
                Ok(r) => failures.push(format!(
                    "{what}: apply: {}\n{}",
                    r.report.message, pv.plan.script
                )),
                Err(e) => failures.push(format!("{what}: apply: {}", e.message)),
            }
        }
        Ok(_) => {}
        Err(e) => failures.push(format!("{what}: plan --desired: {}", e.message)),
    }
    env
}

/// Runs the SQL script with psql on a new copy (PostgreSQL `major` from `bindir`); a failure,
/// or ACLs and memberships other than `want`, go to `failures`.
fn script_on_a_copy(
    bindir: &std::path::Path,
    major: u32,
    sql: &str,
    want: &[String],
    what: &str,
    failures: &mut Vec<String>,
) {
    let c = copy(bindir, major);
    if let Err(e) = std::panic::catch_unwind(|| c.psql("app", sql)) {
        failures.push(format!(
            "{what}: the SQL script fails: {}",
            e.downcast_ref::<String>().cloned().unwrap_or_default()
        ));
    }
    let got = state(&c);
    if got != want {
        failures.push(format!("{what}, by SQL script:{}", diff(want, &got)));
    }
}

#[tokio::test]
async fn export_then_apply_to_a_copy_reproduces_every_acl_and_membership() {
    let mut failures = Vec::new();
    for bin in version_matrix() {
        let v = bin.major;
        let src = copy(&bin.bindir, v);
        src.psql("app", &grants(v));
        let want = state(&src);
        assert!(want.len() > 30, "{want:#?}");
        let (doc, sql) = exports(&src).await;

        // The document, planned and applied by Grantry, on a copy that has drifted: grants on
        // objects the document leaves out (they have the built-in privileges in the source)
        // must go.
        let b = copy(&bin.bindir, v);
        let before = state(&b);
        b.psql(
            "app",
            "GRANT SELECT ON app.after_defaults TO bob; GRANT EXECUTE ON FUNCTION app.f(text) TO bob; \
             REVOKE EXECUTE ON FUNCTION app.f(text) FROM PUBLIC; REVOKE USAGE ON LANGUAGE sql FROM PUBLIC; \
             GRANT USAGE ON SCHEMA public TO bob WITH GRANT OPTION; SET ROLE bob; GRANT USAGE ON SCHEMA public TO svc; RESET ROLE; \
             ALTER DEFAULT PRIVILEGES FOR ROLE owner_a IN SCHEMA \"Odd Schema\" GRANT SELECT ON TABLES TO bob; \
             CREATE SCHEMA drift; CREATE TABLE drift.t (x int); GRANT USAGE ON SCHEMA drift TO alice; \
             GRANT SELECT ON drift.t TO alice WITH GRANT OPTION; SET ROLE alice; GRANT SELECT ON drift.t TO etl; RESET ROLE; \
             GRANT USAGE ON SCHEMA app TO bob; GRANT SELECT ON app.t2 TO bob WITH GRANT OPTION; \
             SET ROLE bob; GRANT SELECT ON app.t2 TO svc; RESET ROLE;",
        );
        let env = apply_document(&b, &doc, &format!("PostgreSQL {v}"), &mut failures).await;
        let desired = grantry_core::privileges::desired::parse_document(&doc).unwrap();
        let got = state(&b);
        if got != want {
            failures.push(format!("PostgreSQL {v}, by document:{}", diff(&want, &got)));
        }
        // Applying the same document again changes nothing.
        if got != before {
            if let Ok(pv) = env.try_plan_desired("app", &desired).await {
                if !pv.plan.statements.is_empty() {
                    failures.push(format!(
                        "PostgreSQL {v}: a second plan of the document is not empty: {}",
                        pv.plan.script
                    ));
                }
            }
        }
        env.g.close().await;

        // The SQL script, run by psql.
        script_on_a_copy(
            &bin.bindir,
            v,
            &sql,
            &want,
            &format!("PostgreSQL {v}"),
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Random grants (seeded) on the same objects: grants and revokes of random privileges to and
/// from random roles and PUBLIC, with and without grant option, on columns, by grantors other
/// than the owner, owners revoking their own, memberships with options, default privileges.
fn random_grants(major: u32, seed: u64) -> String {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    let mut rng = StdRng::seed_from_u64(seed);
    let table_privileges = common::table_privileges(major);
    let table: &[&str] = &table_privileges;
    // (what follows ON, its privileges)
    let objects: Vec<(&str, &[&str])> = vec![
        ("TABLE app.t1", table),
        ("TABLE app.t2", table),
        ("TABLE app.locked", table),
        (r#"TABLE "Odd Schema"."Tab.One""#, table),
        ("TABLE app.part", table),
        ("TABLE app.v", table),
        ("TABLE app.mv", table),
        ("TABLE app.ft", table),
        ("SEQUENCE app.s", &["USAGE", "SELECT", "UPDATE"]),
        ("FUNCTION app.f(int)", &["EXECUTE"]),
        ("FUNCTION app.f(text)", &["EXECUTE"]),
        ("PROCEDURE app.p()", &["EXECUTE"]),
        ("FUNCTION app.agg(int)", &["EXECUTE"]),
        ("DOMAIN app.d", &["USAGE"]),
        ("TYPE app.e", &["USAGE"]),
        ("TYPE app.c", &["USAGE"]),
        ("SCHEMA app", &["USAGE", "CREATE"]),
        (r#"SCHEMA "Odd Schema""#, &["USAGE", "CREATE"]),
        ("DATABASE app", &["CONNECT", "CREATE", "TEMPORARY"]),
        ("FOREIGN DATA WRAPPER w", &["USAGE"]),
        ("FOREIGN SERVER srv", &["USAGE"]),
        ("LARGE OBJECT 4242", &["SELECT", "UPDATE"]),
        ("PARAMETER work_mem", &["SET", "ALTER SYSTEM"]),
    ];
    let roles = [
        "readers",
        "writers",
        "alice",
        "bob",
        "etl",
        "svc",
        "auditor",
        r#""Mixed Case""#,
    ];
    let groups = ["readers", "writers", "auditor"];
    let logins = ["alice", "bob", "etl", "svc"];
    let mut out = vec![
        // Every role may reach the schemas, so any of them can grant there as a grantor.
        r#"GRANT USAGE ON SCHEMA app, "Odd Schema" TO readers, writers, alice, bob, etl, svc, auditor, "Mixed Case";"#.to_string(),
    ];
    let some = |rng: &mut StdRng, all: &[&str]| -> String {
        let mut v: Vec<&str> = all
            .iter()
            .copied()
            .filter(|_| rng.random_bool(0.4))
            .collect();
        if v.is_empty() {
            v.push(all[rng.random_range(0..all.len())]);
        }
        v.join(", ")
    };
    for _ in 0..45 {
        let (on, privs) = objects[rng.random_range(0..objects.len())];
        let role = roles[rng.random_range(0..roles.len())];
        let grantee = if rng.random_bool(0.15) {
            "PUBLIC"
        } else {
            role
        };
        match rng.random_range(0..10) {
            0..=3 => {
                let option = grantee != "PUBLIC" && rng.random_bool(0.3);
                out.push(format!(
                    "GRANT {} ON {on} TO {grantee}{};",
                    some(&mut rng, privs),
                    if option { " WITH GRANT OPTION" } else { "" }
                ));
            }
            4 => out.push(format!(
                "REVOKE {} ON {on} FROM {grantee} CASCADE;",
                some(&mut rng, privs)
            )),
            5 if on.starts_with("TABLE app.t") => {
                let col = if rng.random_bool(0.5) { "id" } else { "secret" };
                let col = if on == "TABLE app.t2" && col == "secret" {
                    "note"
                } else {
                    col
                };
                out.push(format!(
                    "GRANT {} ({col}) ON {on} TO {role};",
                    some(&mut rng, &["SELECT", "INSERT", "UPDATE", "REFERENCES"])
                ));
            }
            6 if grantee != "PUBLIC" => {
                // A grant made by a role holding the grant option.
                let p = privs[rng.random_range(0..privs.len())];
                let other = roles[rng.random_range(0..roles.len())];
                if other != role {
                    out.push(format!(
                        "GRANT {p} ON {on} TO {role} WITH GRANT OPTION; SET ROLE {role}; GRANT {p} ON {on} TO {other}; RESET ROLE;"
                    ));
                }
            }
            7 if !on.starts_with("PARAMETER")
                && !on.starts_with("DATABASE")
                && !on.starts_with("FOREIGN DATA") =>
            {
                out.push(format!(
                    "REVOKE {} ON {on} FROM owner_a;",
                    some(&mut rng, privs)
                ));
            }
            8 => {
                let g = groups[rng.random_range(0..groups.len())];
                let l = logins[rng.random_range(0..logins.len())];
                let mut with = Vec::new();
                if rng.random_bool(0.3) {
                    with.push(if major >= 16 {
                        "ADMIN TRUE"
                    } else {
                        "ADMIN OPTION"
                    });
                }
                if major >= 16 {
                    if rng.random_bool(0.3) {
                        with.push("INHERIT FALSE");
                    }
                    if rng.random_bool(0.3) {
                        with.push("SET FALSE");
                    }
                }
                out.push(format!(
                    "GRANT {g} TO {l}{}{};",
                    if with.is_empty() { "" } else { " WITH " },
                    with.join(", ")
                ));
            }
            _ => {
                let (kind, kp): (&str, &[&str]) = match rng.random_range(0..5) {
                    0 => ("TABLES", table),
                    1 => ("SEQUENCES", &["USAGE", "SELECT", "UPDATE"]),
                    2 => ("FUNCTIONS", &["EXECUTE"]),
                    3 => ("TYPES", &["USAGE"]),
                    _ => ("SCHEMAS", &["USAGE", "CREATE"]),
                };
                let schema = kind != "SCHEMAS" && rng.random_bool(0.5);
                let grant = rng.random_bool(0.6);
                let option = grant && grantee != "PUBLIC" && rng.random_bool(0.25);
                out.push(format!(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE {}{} {} {} ON {kind} {} {grantee}{};",
                    if rng.random_bool(0.7) {
                        "owner_a"
                    } else {
                        "svc"
                    },
                    if schema { " IN SCHEMA app" } else { "" },
                    if grant { "GRANT" } else { "REVOKE" },
                    some(&mut rng, kp),
                    if grant { "TO" } else { "FROM" },
                    if option { " WITH GRANT OPTION" } else { "" }
                ));
            }
        }
    }
    out.join("\n")
}

#[tokio::test]
async fn random_grants_round_trip_exactly_too() {
    let mut failures = Vec::new();
    for bin in version_matrix() {
        let v = bin.major;
        // Three seeds a major; GRANTRY_ROUNDTRIP_SEEDS=N tries more.
        let seeds: u64 = std::env::var("GRANTRY_ROUNDTRIP_SEEDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3);
        for seed in 1..=seeds {
            let src = copy(&bin.bindir, v);
            let grants = random_grants(v, seed * 1000 + v as u64);
            src.psql("app", &grants);
            let want = state(&src);
            let (doc, sql) = exports(&src).await;
            // By document.
            let b = copy(&bin.bindir, v);
            let what = format!("PostgreSQL {v} seed {seed}");
            let env = apply_document(&b, &doc, &what, &mut failures).await;
            let got = state(&b);
            if got != want {
                failures.push(format!(
                    "PostgreSQL {v} seed {seed}, by document:{}\ngrants:\n{grants}",
                    diff(&want, &got)
                ));
            }
            env.g.close().await;
            // By SQL script.
            script_on_a_copy(&bin.bindir, v, &sql, &want, &what, &mut failures);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
