//! The `grantry` binary end to end: real clusters, the real Secret Service (each test runs in its
//! own D-Bus session), a throwaway GRANTRY_HOME.

use grantry_testrig::{in_secret_service_session, pki, Cluster, Options};
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn grantry(home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    grantry_env(home, &[], args, stdin)
}

/// `grantry args` with stdin, and extra environment variables (what only a child process may
/// set: the roots azure_core trusts, the managed identity endpoint).
fn grantry_env(
    home: &Path,
    env: &[(String, String)],
    args: &[&str],
    stdin: Option<&str>,
) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_grantry"))
        .args(args)
        .env("GRANTRY_HOME", home)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        // A run that fails before it reads stdin (bad flags) closes it first: not this test's
        // failure.
        if let Err(e) = input.write_all(s.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn ok(home: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let out = grantry(home, args, stdin);
    assert!(
        out.status.success(),
        "grantry {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `grantry args`, which must succeed and print `needle`; returns what it printed.
fn prints(home: &Path, args: &[&str], needle: &str) -> String {
    let out = ok(home, args, None);
    assert!(out.contains(needle), "{out}");
    out
}

fn json(home: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&ok(home, &a, None)).unwrap()
}

fn fails(home: &Path, args: &[&str], status: i32, stderr_has: &str) {
    let out = grantry(home, args, Some("pw\n"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(status), "grantry {args:?}: {err}");
    assert!(
        err.contains(stderr_has),
        "grantry {args:?}: stderr {err:?} lacks {stderr_has:?}"
    );
    assert!(out.stdout.is_empty(), "errors go to stderr only");
}

/// `field` of every element of the JSON array `list`, as strings.
fn strings<'a>(list: &'a Value, field: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap())
        .collect()
}

/// The element of the JSON array `list` whose `field` is `value`.
fn element<'a>(list: &'a Value, field: &str, value: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|x| x[field] == value)
        .unwrap()
}

/// `grantry integration add NAME --host localhost --port PORT --user SUPERUSER` for cluster `c`,
/// then `flags`, with `stdin`.
fn add_as_superuser(
    h: &Path,
    c: &Cluster,
    name: &str,
    flags: &[&str],
    stdin: Option<&str>,
) -> String {
    let port = c.port.to_string();
    let mut args = vec![
        "integration",
        "add",
        name,
        "--host",
        "localhost",
        "--port",
        &port,
        "--user",
        &c.superuser,
    ];
    args.extend_from_slice(flags);
    ok(h, &args, stdin)
}

/// Saves integration `name` for `database` on cluster `c`, as its superuser with the password on
/// stdin (`--password-stdin`), `flags` in between.
fn add_integration(h: &Path, c: &Cluster, name: &str, database: &str, flags: &[&str]) -> String {
    let mut all = vec!["--database", database];
    all.extend_from_slice(flags);
    all.push("--password-stdin");
    add_as_superuser(
        h,
        c,
        name,
        &all,
        Some(&format!("{}\n", c.password.expose())),
    )
}

#[test]
fn integration_lifecycle_and_tree() {
    if !in_secret_service_session("integration_lifecycle_and_tree") {
        return;
    }
    let c = Cluster::start(Options::default());
    c.psql("postgres", "CREATE DATABASE app");
    c.psql(
        "app",
        "CREATE SCHEMA s; DO $$ BEGIN FOR i IN 1..30 LOOP EXECUTE format('CREATE TABLE s.%I (id int)', 'tab_' || lpad(i::text, 2, '0')); END LOOP; END $$; CREATE VIEW s.v AS SELECT 1 AS x;",
    );
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let ca = pki().ca_cert.display().to_string();

    // Bad input: clear errors, exit status, nothing saved.
    for (flags, error) in [
        (&["--port", "99999", "--user", "u"][..], "invalid port"),
        (&["--port", "abc", "--user", "u"], "invalid port"),
        (
            &["--user", "u", "--ca-cert", "/nope.pem"],
            "cannot read the CA certificate file",
        ),
        (
            &["--user", "u", "--sslmode", "sometimes"],
            "unknown SSL mode",
        ),
    ] {
        let mut args = vec!["integration", "add", "x", "--host", "localhost"];
        args.extend_from_slice(flags);
        fails(h, &args, 2, error);
    }
    fails(
        h,
        &["integration", "show", "ghost"],
        3,
        "no integration named \"ghost\"",
    );
    fails(
        h,
        &["integration", "test", "ghost"],
        3,
        "no integration named",
    );
    fails(
        h,
        &["integration", "remove", "ghost"],
        3,
        "no integration named",
    );
    fails(h, &["tree", "ghost"], 3, "no integration named");
    assert_eq!(json(h, &["integration", "list"]), serde_json::json!([]));

    // Add with the password from stdin.
    let saved = add_integration(
        h,
        &c,
        "local",
        "app",
        &[
            "--sslmode",
            "verify-full",
            "--ca-cert",
            &ca,
            "--environment",
            "production",
        ],
    );
    assert!(saved.contains("saved integration local"));
    fails(
        h,
        &["integration", "add", "LOCAL", "--host", "h", "--user", "u"],
        2,
        "already exists",
    );

    let list = json(h, &["integration", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "local");
    assert_eq!(list[0]["environment"], "production");
    assert_eq!(list[0]["connection"]["sslmode"], "verify-full");
    assert_eq!(list[0]["has_password"], true);
    let shown = json(h, &["integration", "show", "local"]);
    assert_eq!(shown["connection"]["port"], c.port);
    assert!(!serde_json::to_string(&shown)
        .unwrap()
        .contains(c.password.expose()));

    // Test: success report in JSON; human output too.
    let report = json(h, &["integration", "test", "local"]);
    assert_eq!(report["ok"], true);
    assert_eq!(report["server"]["ssl_in_use"], true);
    assert_eq!(report["server"]["powers"]["superuser"], true);
    prints(
        h,
        &["integration", "test", "local"],
        "connected to PostgreSQL",
    );

    // Tree, level by level, with search, limit and offset.
    let dbs = json(h, &["tree", "local"]);
    let names = strings(&dbs["items"], "name");
    assert_eq!(names, ["app", "postgres"]);
    let schemas = json(h, &["tree", "local", "app"]);
    let s = element(&schemas["items"], "name", "s");
    assert_eq!(s["relation_count"], 31);
    let page = json(
        h,
        &[
            "tree", "local", "app", "s", "--limit", "10", "--offset", "10",
        ],
    );
    let names = strings(&page["items"], "name");
    assert_eq!(names.first(), Some(&"tab_11"));
    assert_eq!(names.len(), 10);
    assert_eq!(page["has_more"], true);
    assert_eq!(page["total"], 31);
    let found = json(h, &["tree", "local", "app", "s", "--search", "B_2"]);
    assert_eq!(found["total"], 10);
    let human = ok(h, &["tree", "local", "app", "s", "--search", "v"], None);
    assert!(
        human
            .lines()
            .any(|l| l.starts_with("v ") && l.contains("view")),
        "{human}"
    );
    fails(h, &["tree", "local", "app", "nope"], 3, "no schema named");
    // A missing database is "not found", as a missing schema is.
    fails(h, &["tree", "local", "nodb"], 3, "database does not exist");

    // A wrong password is a specific failure with a non-zero status.
    add_as_superuser(h, &c, "wrongpw", &["--password-stdin"], Some("nope\n"));
    let out = grantry(h, &["integration", "test", "wrongpw"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("password authentication failed"));

    // Remove.
    ok(h, &["integration", "remove", "local"], None);
    ok(h, &["integration", "remove", "wrongpw"], None);
    assert_eq!(json(h, &["integration", "list"]), serde_json::json!([]));
}

#[test]
fn import_from_pgpass_and_service_file() {
    if !in_secret_service_session("import_from_pgpass_and_service_file") {
        return;
    }
    let c = Cluster::start(Options::default());
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let files = tempfile::tempdir().unwrap();
    let pgpass = files.path().join("pgpass");
    std::fs::write(
        &pgpass,
        format!(
            "# comment\nlocalhost:{}:postgres:{}:{}\n*:*:*:nobody:x\n",
            c.port,
            c.superuser,
            c.password.expose().replace(':', "\\:")
        ),
    )
    .unwrap();
    let service = files.path().join("pg_service.conf");
    std::fs::write(
        &service,
        format!(
            "[rig]\nhost=localhost\nport={}\ndbname=postgres\nuser={}\nsslmode=require\n",
            c.port, c.superuser
        ),
    )
    .unwrap();

    let listed = json(
        h,
        &[
            "integration",
            "import",
            "--pgpass",
            pgpass.to_str().unwrap(),
        ],
    );
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["has_password"], true);
    assert!(!serde_json::to_string(&listed)
        .unwrap()
        .contains(c.password.expose()));
    ok(
        h,
        &[
            "integration",
            "import",
            "--pgpass",
            pgpass.to_str().unwrap(),
            "--index",
            "0",
            "--name",
            "from-pgpass",
        ],
        None,
    );
    assert_eq!(json(h, &["integration", "test", "from-pgpass"])["ok"], true);

    let listed = json(
        h,
        &[
            "integration",
            "import",
            "--service",
            service.to_str().unwrap(),
        ],
    );
    assert_eq!(listed[0]["suggested_name"], "rig");
    assert_eq!(listed[0]["sslmode"], "require");
    ok(
        h,
        &[
            "integration",
            "import",
            "--service",
            service.to_str().unwrap(),
            "--index",
            "0",
            "--name",
            "from-service",
        ],
        None,
    );
    // The service file has no password: the saved integration says so, and the test says why it fails.
    let shown = json(h, &["integration", "show", "from-service"]);
    assert_eq!(shown["password_storage"], "none");
    let out = grantry(h, &["integration", "test", "from-service"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no password is saved"));

    // From a URI, flags overriding its parts.
    let uri = format!(
        "postgresql://{}@localhost:1/postgres?sslmode=disable",
        c.superuser
    );
    ok(
        h,
        &[
            "integration",
            "add",
            "from-uri",
            "--uri",
            &uri,
            "--port",
            &c.port.to_string(),
            "--password-stdin",
        ],
        Some(&format!("{}\n", c.password.expose())),
    );
    let t = json(h, &["integration", "test", "from-uri"]);
    assert_eq!(t["ok"], true);
    assert_eq!(t["server"]["ssl_in_use"], false);
}

#[test]
fn sandbox_start_status_stop() {
    if !in_secret_service_session("sandbox_start_status_stop") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    assert_eq!(json(h, &["sandbox", "status"])["state"], "absent");
    let started = json(h, &["sandbox", "start"]);
    assert_eq!(started["state"], "running");
    assert_eq!(started["integration"], "sandbox");

    // A populated tree at once: several databases, schemas, thousands of tables.
    let dbs = json(h, &["tree", "sandbox"]);
    let names = strings(&dbs["items"], "name");
    for db in ["analytics", "hr", "shop"] {
        assert!(names.contains(&db), "{names:?}");
    }
    let schemas = json(h, &["tree", "sandbox", "shop"]);
    let archive = element(&schemas["items"], "name", "archive");
    // The tree counts up to 1,000 relations a schema (archive holds 2,000+).
    assert_eq!(archive["relation_count"].as_i64(), Some(1000));
    assert_eq!(archive["relation_count_capped"], true);
    let total: i64 = ["shop", "analytics", "hr"]
        .iter()
        .map(|db| {
            json(h, &["tree", "sandbox", db])["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["relation_count"].as_i64().unwrap())
                .sum::<i64>()
        })
        .sum();
    // Capped counts: archive's 2,000+ count as 1,000.
    assert!(total >= 2000, "{total} relations");
    let report = json(h, &["integration", "test", "sandbox"]);
    assert_eq!(report["ok"], true);
    assert_eq!(
        report["server"]["powers"]["pg_stat_statements_loaded"],
        true
    );
    let sandbox = json(h, &["integration", "show", "sandbox"]);
    assert_eq!(sandbox["is_sandbox"], true);

    // Roles in a hierarchy with grants, and a workload in pg_stat_statements.
    let status = json(h, &["sandbox", "status"]);
    let port = status["port"].as_u64().unwrap();
    let socket = Path::new(status["data_dir"].as_str().unwrap())
        .parent()
        .unwrap()
        .join("socket");
    let psql = |db: &str, sql: &str| {
        let out = Command::new("psql")
            .args([
                "-X",
                "-At",
                "-h",
                socket.to_str().unwrap(),
                "-p",
                &port.to_string(),
                "-U",
                "grantry",
                "-d",
                db,
                "-c",
                sql,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(
        psql("shop", "SELECT pg_has_role('bob', 'app_readonly', 'USAGE')"),
        "t"
    );
    assert_eq!(
        psql(
            "shop",
            "SELECT has_table_privilege('alice', 'sales.orders', 'SELECT')"
        ),
        "t"
    );
    assert_eq!(
        psql(
            "shop",
            "SELECT has_table_privilege('alice', 'billing.payments', 'SELECT')"
        ),
        "f"
    );
    let users: i64 = psql(
        "shop",
        "SELECT count(DISTINCT userid) FROM pg_stat_statements",
    )
    .parse()
    .unwrap();
    assert!(users >= 5, "{users} users in pg_stat_statements");

    // Idempotent start; stop; start again keeps the data.
    assert_eq!(json(h, &["sandbox", "start"])["state"], "running");
    assert_eq!(json(h, &["sandbox", "stop"])["state"], "stopped");
    let out = grantry(h, &["tree", "sandbox"], None);
    assert!(!out.status.success(), "the stopped sandbox still answered");
    assert_eq!(json(h, &["sandbox", "start"])["state"], "running");
    assert_eq!(
        json(h, &["tree", "sandbox", "shop"])["items"]
            .as_array()
            .unwrap()
            .len(),
        schemas["items"].as_array().unwrap().len()
    );
    assert_eq!(json(h, &["sandbox", "stop"])["state"], "stopped");
    if let Some(dir) = status["data_dir"].as_str() {
        let _ = std::fs::remove_dir_all(Path::new(dir).parent().unwrap());
    }
}

#[test]
fn privileges_who_can_plan_apply_audit() {
    if !in_secret_service_session("privileges_who_can_plan_apply_audit") {
        return;
    }
    let c = Cluster::start(Options::default());
    c.psql("postgres", "CREATE ROLE analysts NOLOGIN; CREATE ROLE alice LOGIN IN ROLE analysts; CREATE ROLE bob LOGIN; CREATE DATABASE app");
    c.psql("app", "CREATE SCHEMA sales; CREATE TABLE sales.orders (id int); GRANT USAGE ON SCHEMA sales TO analysts; GRANT SELECT ON sales.orders TO analysts");
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    add_integration(h, &c, "db", "app", &["--environment", "production"]);

    let w = json(h, &["who-can", "db", "SELECT", "table:sales.orders"]);
    let roles = strings(&w["roles"], "role");
    assert!(
        roles.contains(&"alice") && roles.contains(&"analysts") && !roles.contains(&"bob"),
        "{roles:?}"
    );
    let alice = element(&w["roles"], "role", "alice");
    assert_eq!(
        alice["reasons"][0]["path"],
        serde_json::json!(["alice", "analysts"])
    );
    prints(
        h,
        &["who-can", "db", "SELECT", "table:sales.orders"],
        "through analysts (alice → analysts)",
    );
    fails(
        h,
        &["who-can", "db", "FLY", "table:sales.orders"],
        2,
        "unknown privilege",
    );
    fails(
        h,
        &["who-can", "db", "SELECT", "table:sales.nope"],
        3,
        "no table sales.nope",
    );

    let grants = ok(h, &["grants", "db", "table:sales.orders"], None);
    assert!(
        grants.contains("analysts") && grants.contains("SELECT"),
        "{grants}"
    );
    let role = json(h, &["role", "db", "alice"]);
    assert_eq!(role["member_of"][0]["role"], "analysts");

    let plan = prints(
        h,
        &[
            "plan",
            "db",
            "-c",
            "grant SELECT on table:sales.orders to bob",
            "-c",
            "read all-tables:sales to reporting",
        ],
        "GRANT SELECT ON TABLE \"sales\".\"orders\" TO \"bob\";",
    );
    assert!(
        plan.contains("CREATE ROLE \"reporting\" NOLOGIN;"),
        "{plan}"
    );
    fails(
        h,
        &["plan", "db", "-c", "drop everything"],
        2,
        "cannot read the change",
    );

    // Production: an apply needs the name; a dry run does not.
    // The plan is printed for review, then the apply is refused.
    let apply_grant = [
        "apply",
        "db",
        "-c",
        "grant SELECT on table:sales.orders to bob",
    ];
    let bob_reads = || {
        c.psql(
            "app",
            "SELECT has_table_privilege('bob', 'sales.orders', 'SELECT')",
        )
    };
    let refused = grantry(h, &apply_grant, None);
    // Refused before running: exit status 4 (2 is bad input, 5 a run rolled back).
    assert_eq!(refused.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("type its name"));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("GRANT SELECT ON TABLE"));
    let dry = json(h, &[&apply_grant[..], &["--dry-run"]].concat());
    assert_eq!(dry["report"]["outcome"], "rolled_back");
    assert_eq!(bob_reads(), "f");
    // A dry run of a plan whose steps the connector cannot carry out predicts the refusal, also
    // when PostgreSQL would only warn (SELECT held without the grant option: "no privileges
    // were granted") and so the dry run itself goes through.
    c.psql("postgres", "CREATE ROLE weak LOGIN PASSWORD 'weak-pw'");
    c.psql(
        "app",
        "GRANT USAGE ON SCHEMA sales TO weak; GRANT SELECT ON sales.orders TO weak",
    );
    let port = c.port.to_string();
    ok(
        h,
        &[
            "integration",
            "add",
            "weak",
            "--host",
            "localhost",
            "--port",
            &port,
            "--user",
            "weak",
            "--database",
            "app",
            "--password-stdin",
        ],
        Some("weak-pw\n"),
    );
    let weak_dry = grantry(
        h,
        &[
            "apply",
            "weak",
            "-c",
            "grant SELECT on table:sales.orders to bob",
            "--dry-run",
        ],
        None,
    );
    let err = String::from_utf8_lossy(&weak_dry.stderr);
    assert_eq!(weak_dry.status.code(), Some(5), "{err}");
    assert!(err.contains("no privileges were granted"), "{err}");
    assert!(
        err.contains("blocking: ") && err.contains("without the grant option"),
        "{err}"
    );
    assert_eq!(bob_reads(), "f");
    let applied = json(h, &[&apply_grant[..], &["--confirm", "db"]].concat());
    assert_eq!(applied["report"]["outcome"], "committed");
    assert_eq!(bob_reads(), "t");

    // A closed pipe (`grantry plan ... | head`) ends the program quietly.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_grantry"))
        .args([
            "plan",
            "db",
            "-c",
            "grant SELECT on table:sales.orders to alice",
        ])
        .env("GRANTRY_HOME", h)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );

    let csv = ok(h, &["audit", "--format", "csv"], None);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,at,os_user"));
    assert!(lines.iter().any(|l| l.contains("apply,committed")), "{csv}");
    assert!(
        lines.iter().any(|l| l.contains("dry_run,rolled_back")),
        "{csv}"
    );
    let audit = json(h, &["audit"]);
    assert!(audit[0]["sql"].as_str().unwrap().contains("GRANT SELECT"));
}

#[test]
fn export_and_desired_state() {
    if !in_secret_service_session("export_and_desired_state") {
        return;
    }
    let c = Cluster::start(Options::default());
    c.psql(
        "postgres",
        "CREATE ROLE readers NOLOGIN; CREATE ROLE bob LOGIN; CREATE DATABASE app",
    );
    c.psql("app", "CREATE SCHEMA s; CREATE TABLE s.t (id int); GRANT USAGE ON SCHEMA s TO readers; GRANT SELECT ON s.t TO readers");
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    add_integration(h, &c, "db", "app", &[]);
    let doc = ok(h, &["export", "db"], None);
    let mut v: Value = serde_json::from_str(&doc).unwrap();
    // The exported document plans nothing.
    let file = home.path().join("desired.json");
    std::fs::write(&file, &doc).unwrap();
    prints(
        h,
        &["plan", "db", "--desired", file.to_str().unwrap()],
        "nothing to do",
    );
    // --check: 0 while the database matches the document.
    ok(
        h,
        &["plan", "db", "--desired", file.to_str().unwrap(), "--check"],
        None,
    );
    // The same document as YAML plans nothing either.
    let yaml = prints(h, &["export", "db", "--format", "yaml"], "objects:");
    let yfile = home.path().join("desired.yaml");
    std::fs::write(&yfile, &yaml).unwrap();
    prints(
        h,
        &["plan", "db", "--desired", yfile.to_str().unwrap()],
        "nothing to do",
    );
    // An object listed twice is refused, naming both entries.
    let mut twice: Value = serde_json::from_str(&doc).unwrap();
    let first = twice["objects"]
        .as_array()
        .unwrap()
        .iter()
        .position(|o| o["name"] == "t")
        .unwrap();
    let mut copy = twice["objects"][first].clone();
    copy["grants"] = serde_json::json!([]);
    twice["objects"].as_array_mut().unwrap().push(copy);
    let tfile = home.path().join("twice.json");
    std::fs::write(&tfile, serde_json::to_string(&twice).unwrap()).unwrap();
    fails(
        h,
        &["plan", "db", "--desired", tfile.to_str().unwrap()],
        2,
        "twice",
    );
    // A schema that does not exist is an error, not "already granted".
    fails(
        h,
        &[
            "plan",
            "db",
            "-c",
            "grant SELECT on all-tables:nosuch to bob",
        ],
        3,
        "no schema named \"nosuch\"",
    );
    // Edit: bob reads s.t too.
    let t = v["objects"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|o| o["name"] == "t")
        .unwrap();
    t["grants"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"to": "bob", "privileges": ["SELECT"]}));
    std::fs::write(&file, serde_json::to_string(&v).unwrap()).unwrap();
    // --check: 6 while the database differs, a status of its own: a check that could not be
    // made (here: no such database) fails with another one.
    let differs = grantry(
        h,
        &["plan", "db", "--desired", file.to_str().unwrap(), "--check"],
        None,
    );
    assert_eq!(differs.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&differs.stderr)
        .contains("differs from the document: 1 statement would change it"));
    let differs = grantry(
        h,
        &[
            "--json",
            "plan",
            "db",
            "--desired",
            file.to_str().unwrap(),
            "--check",
        ],
        None,
    );
    assert_eq!(differs.status.code(), Some(6));
    let e: Value = serde_json::from_slice(&differs.stderr).unwrap();
    assert_eq!(e["code"], "desired.drift");
    let stdout: Value = serde_json::from_slice(&differs.stdout).unwrap();
    assert_eq!(stdout["statements"].as_array().unwrap().len(), 1);
    let unchecked = grantry(
        h,
        &[
            "plan",
            "db",
            "--database",
            "nope",
            "--desired",
            file.to_str().unwrap(),
            "--check",
        ],
        None,
    );
    assert_eq!(unchecked.status.code(), Some(3), "{unchecked:?}");
    let applied = json(h, &["apply", "db", "--desired", file.to_str().unwrap()]);
    assert_eq!(applied["report"]["outcome"], "committed");
    assert_eq!(
        c.psql("app", "SELECT has_table_privilege('bob', 's.t', 'SELECT')"),
        "t"
    );
    prints(
        h,
        &["export", "db", "--format", "sql"],
        "GRANT SELECT ON TABLE \"s\".\"t\" TO \"bob\";",
    );
    fails(
        h,
        &["export", "db", "--format", "xml"],
        2,
        "unknown export format",
    );
}

/// libpq's variables in the shell that starts Grantry never reach a connection: an integration
/// saved without a password does not log in with PGPASSWORD, and the report says what it ignored.
#[test]
fn libpq_environment_never_reaches_a_connection() {
    let c = Cluster::start(Options::default());
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    add_as_superuser(h, &c, "nopw", &["--sslmode", "require"], None);
    let out = Command::new(env!("CARGO_BIN_EXE_grantry"))
        .args(["integration", "test", "nopw", "--json"])
        .env("GRANTRY_HOME", h)
        .env("PGPASSWORD", c.password.expose())
        .env("PGSSLMODE", "disable")
        .env("PGOPTIONS", "-c search_path=nowhere")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["failure"], "auth_failed", "{report}");
    assert_eq!(report["steps"][0]["name"], "environment", "{report}");
    let note = report["steps"][0]["note"].as_str().unwrap();
    for v in ["PGPASSWORD", "PGSSLMODE", "PGOPTIONS"] {
        assert!(note.contains(v), "{note}");
    }
    assert!(
        !note.contains(c.password.expose()),
        "the note names variables, never values"
    );
}

/// Errors in --json name the input field they are about, whether a flag or the URI said it.
#[test]
fn json_errors_name_their_field() {
    let home = tempfile::tempdir().unwrap();
    for (args, field) in [
        (vec!["--host", "h", "--user", "u", "--port", "abc"], "port"),
        (
            vec!["--host", "h", "--user", "u", "--sslmode", "bogus"],
            "sslmode",
        ),
        (vec!["--uri", "postgres://u@h:abc/db"], "port"),
        (
            vec!["--uri", "host=h user=u connect_timeout=xyz"],
            "connect_timeout_secs",
        ),
        (
            vec!["--host", "h", "--user", "u", "--port", "99999"],
            "port",
        ),
        (vec!["--host", "", "--user", "u"], "host"),
    ] {
        let mut a = vec!["integration", "add", "x", "--json"];
        a.extend(args.iter().copied());
        let out = grantry(home.path(), &a, None);
        assert_eq!(out.status.code(), Some(2), "{a:?}");
        let e: Value = serde_json::from_slice(&out.stderr)
            .unwrap_or_else(|_| panic!("{a:?}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(e["field"], field, "{a:?}: {e}");
    }
}

/// Usage errors clap finds come as JSON with --json too; audit --format is checked before
/// anything is read; a missing database exits 3 as a missing schema does; an empty database
/// name is refused at its field.
#[test]
fn usage_errors_and_not_found_statuses() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    for args in [
        &["tree", "--json"][..],
        &["--json", "tree", "x", "--bogus"],
        &["--json", "integration"],
    ] {
        let out = grantry(h, args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let e: Value = serde_json::from_slice(&out.stderr)
            .unwrap_or_else(|_| panic!("{args:?}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(e["code"], "input.invalid", "{e}");
        assert!(!e["message"].as_str().unwrap().is_empty(), "{e}");
        assert!(out.stdout.is_empty());
    }
    // Help is still help.
    assert!(ok(h, &["--json", "--help"], None).contains("Usage"));
    let out = grantry(h, &["audit", "--format", "xml", "--json"], None);
    assert_eq!(out.status.code(), Some(2));
    let e: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(e["field"], "format", "{e}");
    // --json and another --format contradict each other: refused, not one of them ignored.
    let out = grantry(h, &["audit", "--format", "csv", "--json"], None);
    assert_eq!(out.status.code(), Some(2));
    let e: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(e["field"], "format", "{e}");
    assert!(ok(h, &["audit", "--json", "--format", "json"], None).starts_with('['));
    fails(h, &["tree", "x", "--limit", "0"], 3, "no integration");
}

/// An integration that does not save its password (--no-save-password) is usable by every
/// command that connects, with the password on stdin for that run; without it, each says a
/// password is needed. A missing database and a missing schema both exit 3.
#[test]
fn an_unsaved_password_is_given_per_run() {
    if !in_secret_service_session("an_unsaved_password_is_given_per_run") {
        return;
    }
    let c = Cluster::start(Options::default());
    c.psql("postgres", "CREATE DATABASE app");
    c.psql("app", "CREATE SCHEMA s; CREATE TABLE s.t (id int)");
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let pw = format!("{}\n", c.password.expose());
    add_as_superuser(
        h,
        &c,
        "db",
        &[
            "--database",
            "app",
            "--no-save-password",
            "--password-stdin",
        ],
        Some(&pw),
    );
    // Saved without any password, a password given for the run is used as well.
    add_as_superuser(h, &c, "nopw", &["--database", "app"], None);
    ok(h, &["tree", "nopw", "--password-stdin"], Some(&pw));
    // The connection test prints its report (on stdout) and fails without the password.
    let out = grantry(h, &["integration", "test", "db"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
    ok(
        h,
        &["integration", "test", "db", "--password-stdin"],
        Some(&pw),
    );
    let runs: [&[&str]; 7] = [
        &["tree", "db", "app", "s"],
        &["grants", "db", "table:s.t"],
        &["who-can", "db", "SELECT", "table:s.t"],
        &["role", "db", &c.superuser],
        &["plan", "db", "-c", "grant SELECT on table:s.t to public"],
        &[
            "apply",
            "db",
            "--dry-run",
            "-c",
            "grant SELECT on table:s.t to public",
        ],
        &["export", "db"],
    ];
    for args in runs {
        fails(h, args, 1, "password");
        let mut with = args.to_vec();
        with.push("--password-stdin");
        ok(h, &with, Some(&pw));
    }
    let mut tree = vec!["tree", "db", "nope", "--password-stdin"];
    let out = grantry(h, &tree, Some(&pw));
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tree[2] = "app";
    tree.insert(3, "nope");
    let out = grantry(h, &tree, Some(&pw));
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An empty first line is not a password, and the error says where it looked.
    let out = grantry(h, &["tree", "db", "--password-stdin"], Some("\nsecret\n"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("first line of stdin is empty"), "{err}");
    let out = grantry(
        h,
        &["tree", "db", "", "--password-stdin", "--json"],
        Some(&pw),
    );
    assert_eq!(out.status.code(), Some(2));
    let e: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(e["field"], "database", "{e}");
}

/// The CLI killed while its apply waits inside the transaction: the database is as before; the
/// next start marks the run "unknown" (its process is gone) and the next look at the database
/// settles it as not applied.
#[test]
fn a_killed_apply_changes_nothing_and_is_settled_later() {
    if !in_secret_service_session("a_killed_apply_changes_nothing_and_is_settled_later") {
        return;
    }
    let c = Cluster::start(Options::default());
    c.psql(
        "postgres",
        "CREATE ROLE bob NOLOGIN; CREATE ROLE carol NOLOGIN; CREATE DATABASE app",
    );
    c.psql(
        "app",
        "CREATE SCHEMA s; CREATE TABLE s.a (x int); CREATE TABLE s.b (x int)",
    );
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    add_integration(h, &c, "db", "app", &[]);
    // Another session changed s.b's ACL and has not committed: a GRANT on s.b waits for it.
    let mut blocker = c
        .psql_command("app")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut to_blocker = blocker.stdin.take().unwrap();
    to_blocker
        .write_all(b"BEGIN;\nGRANT SELECT ON s.b TO carol;\n")
        .unwrap();
    to_blocker.flush().unwrap();
    let waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = 'app' AND state = 'idle in transaction'";
    for _ in 0..200 {
        if c.psql("postgres", waiting) == "1" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let mut apply = Command::new(env!("CARGO_BIN_EXE_grantry"))
        .args([
            "apply",
            "db",
            "-c",
            "grant SELECT on table:s.a to bob",
            "-c",
            "grant SELECT on table:s.b to bob",
        ])
        .env("GRANTRY_HOME", h)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let locked =
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'app' AND wait_event_type = 'Lock'";
    let mut seen = false;
    for _ in 0..400 {
        if c.psql("postgres", locked) == "1" {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert!(seen, "the apply never waited on the lock");
    // SIGKILL: no chance to roll back or to write the audit log.
    apply.kill().unwrap();
    apply.wait().unwrap();
    drop(to_blocker);
    blocker.wait().unwrap();
    // The server ends the orphaned transaction when it finds its client gone.
    let gone = "SELECT count(*) FROM pg_stat_activity WHERE datname = 'app' AND backend_type = 'client backend' AND pid <> pg_backend_pid()";
    for _ in 0..400 {
        if c.psql("app", gone) == "0" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let has = |t: &str| {
        c.psql(
            "app",
            &format!("SELECT has_table_privilege('bob', 's.{t}', 'SELECT')"),
        )
    };
    assert_eq!((has("a"), has("b")), ("f".into(), "f".into()));
    // The next start: the run's process is gone, so its outcome is unknown.
    let audit = json(h, &["audit"]);
    assert_eq!(audit[0]["outcome"], "unknown", "{audit}");
    assert!(audit[0]["error"].as_str().unwrap().contains("cut off"));
    // The next look at the database settles it.
    ok(
        h,
        &["plan", "db", "-c", "grant SELECT on table:s.a to bob"],
        None,
    );
    let audit = json(h, &["audit"]);
    assert_eq!(audit[0]["outcome"], "failed", "{audit}");
    assert!(
        audit[0]["error"]
            .as_str()
            .unwrap()
            .contains("so nothing was applied"),
        "{audit}"
    );
}

#[test]
fn aws_rds_integrations_and_discovery() {
    use grantry_testrig::iam_front::{IamFront, IamFrontConfig};
    use grantry_testrig::iam_token::Credential;
    use grantry_testrig::moto::{Moto, RdsSpec};
    if !in_secret_service_session("aws_rds_integrations_and_discovery") {
        return;
    }
    const KEY: &str = "AKIARIGTESTKEY000009";
    const SECRET: &str = "rig/cli/secret/key/00000000000000000009";
    let c = Cluster::start(Options::default());
    let creds = std::collections::HashMap::from([(
        KEY.to_string(),
        Credential {
            secret_access_key: SECRET.into(),
            session_token: None,
        },
    )]);
    let front = IamFront::start(&c, IamFrontConfig::new("eu-west-1", creds));
    c.psql(
        "postgres",
        "CREATE ROLE iam_cli LOGIN; GRANT rds_iam TO iam_cli;",
    );
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let port = front.port.to_string();
    let ca = pki().ca_cert.display().to_string();
    let add = |name: &str, extra: &[&str], stdin: Option<&str>| {
        let mut args = vec![
            "integration",
            "add",
            name,
            "--kind",
            "aws-rds",
            "--host",
            "localhost",
            "--port",
            &port,
            "--user",
            "iam_cli",
            "--ca-cert",
            &ca,
            "--connect-timeout",
            "5",
        ];
        args.extend_from_slice(extra);
        grantry(h, &args, stdin)
    };
    let out = add(
        "orders",
        &[
            "--region",
            "eu-west-1",
            "--aws-access-key-id",
            KEY,
            "--aws-secret-stdin",
        ],
        Some(&format!("{SECRET}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = json(h, &["integration", "show", "orders"]);
    assert_eq!(shown["connection"]["kind"], "aws_rds");
    assert_eq!(shown["connection"]["auth"], "iam");
    assert!(!shown.to_string().contains(SECRET));
    let report = prints(h, &["integration", "test", "orders"], "IAM token");
    assert!(report.contains("connected to PostgreSQL"), "{report}");

    // Temporary keys: --aws-session-token-stdin wants the token on stdin's second line.
    let temp = [
        "--region",
        "eu-west-1",
        "--aws-access-key-id",
        "ASIARIGTESTTEMPKEY01",
        "--aws-secret-stdin",
        "--aws-session-token-stdin",
    ];
    let out = add("temp", &temp, Some("temp-secret-0000000000000001\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the session token) is empty"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = add(
        "temp",
        &temp,
        Some("temp-secret-0000000000000001\ntemp-session-token-000000000001\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = json(h, &["integration", "show", "temp"]);
    assert_eq!(
        shown["connection"]["aws"]["credentials"]["has_session_token"], true,
        "{shown}"
    );
    assert!(!shown.to_string().contains("temp-session-token"));
    ok(h, &["integration", "remove", "temp"], None);

    // No region: refused, naming it; RDS flags on a self-hosted server: refused.
    let out = add(
        "x",
        &["--aws-access-key-id", KEY, "--aws-secret-stdin"],
        Some("s3cr3t-value-0000001\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AWS region is required"));
    fails(
        h,
        &[
            "integration",
            "add",
            "y",
            "--host",
            "h",
            "--user",
            "u",
            "--region",
            "eu-west-1",
        ],
        2,
        "are for --kind aws-rds",
    );

    // The spellings of the target and credential flags are taken too.
    fails(
        h,
        &[
            "integration",
            "add",
            "z",
            "--kind",
            "aws-rds",
            "--region",
            "eu-west-1",
            "--instance-id",
            "not_an_id!",
            "--user",
            "u",
            "--assume-role-arn",
            "arn:aws:iam::123456789012:role/grantry",
        ],
        2,
        "invalid DB instance identifier",
    );

    // Discovery: moto's instances of the region, filtered on a tag.
    let moto = Moto::start();
    for (id, env) in [("pg-prod", "prod"), ("pg-dev", "dev")] {
        moto.create_db_instance(&RdsSpec {
            region: "eu-west-1".into(),
            id: id.into(),
            port: 5432,
            iam: true,
            tags: std::collections::BTreeMap::from([("env".to_string(), env.to_string())]),
        });
    }
    let args = [
        "discover",
        "aws",
        "--region",
        "eu-west-1",
        "--tag",
        "env=prod",
        "--aws-endpoint-url",
        &moto.endpoint_url,
        "--aws-access-key-id",
        KEY,
        "--aws-secret-stdin",
        "--json",
    ];
    let out = grantry(h, &args, Some(&format!("{SECRET}\n")));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["pg-prod"]);
    assert_eq!(found[0]["iam_auth"], true);

    // A named profile is that profile only: keys in the environment never stand in for it.
    let no_aws = tempfile::tempdir().unwrap();
    let out = grantry_env(
        h,
        &[
            ("HOME".into(), no_aws.path().display().to_string()),
            ("AWS_ACCESS_KEY_ID".into(), KEY.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SECRET.into()),
        ],
        &[
            "discover",
            "aws",
            "--region",
            "eu-west-1",
            "--aws-endpoint-url",
            &moto.endpoint_url,
            "--aws-profile",
            "nosuch",
        ],
        None,
    );
    assert!(
        !out.status.success(),
        "a missing profile listed with the environment's keys: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nosuch"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Saving what was found, in one step: all or nothing.
    moto.create_db_instance(&RdsSpec {
        region: "eu-west-1".into(),
        id: "pg-perf".into(),
        port: 5433,
        iam: false,
        tags: std::collections::BTreeMap::from([("env".to_string(), "perf".to_string())]),
    });
    let add_found = |ids: &[&str], extra: &[&str]| {
        let mut args = vec![
            "discover",
            "aws",
            "--region",
            "eu-west-1",
            "--aws-endpoint-url",
            &moto.endpoint_url,
            "--aws-access-key-id",
            KEY,
            "--aws-secret-stdin",
            "--add",
        ];
        args.extend_from_slice(ids);
        args.extend_from_slice(&["--user", "iam_cli"]);
        if !extra.contains(&"--ca-cert") {
            args.extend_from_slice(&["--ca-cert", &ca]);
        }
        args.extend_from_slice(extra);
        grantry(h, &args, Some(&format!("{SECRET}\n")))
    };
    let listed = || strings(&json(h, &["integration", "list"]), "name").len();
    let before = listed();
    // A tag value that names no environment refuses the whole step.
    let out = add_found(&[], &["--environment-from-tag", "env"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("env=\"perf\" names no environment"), "{err}");
    assert_eq!(listed(), before, "something was saved");
    // An id that was not found: nothing is saved.
    let out = add_found(&["pg-prod", "pg-gone"], &[]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(listed(), before, "something was saved");
    // The ones picked, their environment from the tag, the other without IAM noted.
    let out = add_found(
        &["pg-prod", "pg-dev", "pg-perf"],
        &[
            "--environment-from-tag",
            "env",
            "--environment",
            "staging",
            "--json",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let out = add_found(
        &["pg-prod", "pg-dev"],
        &["--environment-from-tag", "env", "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let added: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        strings(&added["integrations"], "name"),
        ["pg-prod", "pg-dev"]
    );
    let prod = json(h, &["integration", "show", "pg-prod"]);
    assert_eq!(prod["environment"], "production");

    assert_eq!(prod["connection"]["target"]["id"], "pg-prod");
    assert_eq!(prod["connection"]["auth"], "iam");
    assert_eq!(prod["connection"]["username"], "iam_cli");
    assert!(!prod.to_string().contains(SECRET));
    assert_eq!(
        json(h, &["integration", "show", "pg-dev"])["environment"],
        "development"
    );
    // Without the tag's environment, the default; IAM off is said. A CA file named relative
    // to the working directory is kept absolute (found from anywhere later).
    let depth = std::env::current_dir().unwrap().components().count() - 1;
    let relative_ca = format!("{}{}", "../".repeat(depth), ca.trim_start_matches('/'));
    let out = add_found(
        &["pg-perf"],
        &["--environment", " TESTING", "--ca-cert", &relative_ca],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("IAM database authentication is not enabled"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let perf = json(h, &["integration", "show", "pg-perf"]);
    assert_eq!(perf["environment"], "testing");
    let saved_ca = perf["connection"]["ca_cert"]["path"].as_str().unwrap();
    assert!(saved_ca.starts_with('/'), "{saved_ca}");
    assert_eq!(
        std::fs::read(saved_ca).unwrap(),
        std::fs::read(&ca).unwrap(),
        "{saved_ca}"
    );
    // Again: the names are taken, nothing more is saved.
    let now = listed();
    let out = add_found(&["pg-prod"], &[]);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(listed(), now);
    // The secret went to the keychain, never to the store.
    for entry in walk(h) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(SECRET),
            "the AWS secret is in {}",
            entry.display()
        );
    }
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn azure_integrations_log_in_with_entra_tokens() {
    use chrono::{Duration, Utc};
    use grantry_testrig::entra::{App, EntraAuthority, ManagedIdentity};
    use grantry_testrig::entra_front::{
        create_principal, EntraFront, EntraFrontConfig, PrincipalType,
    };
    if !in_secret_service_session("azure_integrations_log_in_with_entra_tokens") {
        return;
    }
    const TENANT: &str = "6b2d0f3a-8c4e-4f9b-a1d2-3e4f5a6b7c8d";
    const SECRET: &str = "rig~Cli.Secret_0123456789abcdefghijkl";
    let c = Cluster::start(Options::default());
    let authority = EntraAuthority::start();
    authority.add_tenant(TENANT, "Rig Northwind");
    let front = EntraFront::start(&c, EntraFrontConfig::new(TENANT, authority.jwks()));
    let app = App::new("grantry-cli").with_secret(SECRET, Utc::now() + Duration::days(30));
    authority.add_app(TENANT, app.clone());
    create_principal(&c, "entra_cli", &app.object_id, PrincipalType::Service);
    let mi = ManagedIdentity::system_assigned("cli-host");
    authority.add_managed_identity(TENANT, mi.clone());
    create_principal(&c, "entra_cli_mi", &mi.object_id, PrincipalType::Service);
    // The child trusts the rig's CA as its system roots (the authority's and the server's
    // certificates), and finds the managed identity endpoint where App Service puts it.
    let mut env = vec![(
        "SSL_CERT_FILE".to_string(),
        pki().ca_cert.display().to_string(),
    )];
    env.extend(authority.managed_identity_env());
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let port = front.port.to_string();
    let authority_host = authority.authority_host();
    let add = |name: &str, user: &str, extra: &[&str], stdin: Option<&str>| {
        let mut args = vec![
            "integration",
            "add",
            name,
            "--kind",
            "azure",
            "--host",
            "localhost",
            "--port",
            &port,
            "--user",
            user,
            "--connect-timeout",
            "5",
        ];
        args.extend_from_slice(extra);
        grantry_env(h, &env, &args, stdin)
    };
    let out = add(
        "flex",
        "entra_cli",
        &[
            "--tenant-id",
            TENANT,
            "--client-id",
            &app.client_id,
            "--client-secret-stdin",
            "--authority-host",
            &authority_host,
        ],
        Some(&format!("{SECRET}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = grantry_env(h, &env, &["integration", "show", "flex", "--json"], None);
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["connection"]["kind"], "azure");
    assert_eq!(shown["connection"]["sslmode"], "verify-full");
    assert_eq!(shown["connection"]["auth"]["method"], "entra");
    assert_eq!(
        shown["connection"]["auth"]["source"]["source"],
        "client_secret"
    );
    assert!(!shown.to_string().contains(SECRET), "{shown}");
    let plain = grantry_env(h, &env, &["integration", "show", "flex"], None);
    let plain = String::from_utf8_lossy(&plain.stdout);
    assert!(
        plain.contains("login:        Entra ID token from client secret of app")
            && plain.contains("secret:       the client secret is in the keychain"),
        "{plain}"
    );
    let test = grantry_env(h, &env, &["integration", "test", "flex"], None);
    let text = String::from_utf8_lossy(&test.stdout);
    assert!(
        test.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&test.stderr)
    );
    assert!(
        text.contains("Entra ID token") && text.contains("connected to PostgreSQL"),
        "{text}"
    );
    // The work runs as the principal, with a token: the tree lists its databases.
    let tree = grantry_env(h, &env, &["tree", "flex", "--json"], None);
    assert!(
        tree.status.success(),
        "{}",
        String::from_utf8_lossy(&tree.stderr)
    );
    assert!(String::from_utf8_lossy(&tree.stdout).contains("\"postgres\""));

    // The prerequisites: the principal is there, azure_pg_admin is not granted: exit 6, with
    // the GRANT that fixes it; as JSON too.
    let check = grantry_env(h, &env, &["integration", "check", "flex"], None);
    let text = String::from_utf8_lossy(&check.stdout);
    assert_eq!(
        check.status.code(),
        Some(6),
        "{text}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        text.contains("ok   is a Microsoft Entra principal"),
        "{text}"
    );
    assert!(
        text.contains("MISS is a member of azure_pg_admin"),
        "{text}"
    );
    assert!(
        text.contains("GRANT azure_pg_admin TO \"entra_cli\";"),
        "{text}"
    );
    let check = grantry_env(h, &env, &["integration", "check", "flex", "--json"], None);
    let list: Value = serde_json::from_slice(&check.stdout).unwrap();
    let admin = element(&list, "id", "azure_pg_admin");
    assert_eq!(admin["ok"], false);
    assert!(String::from_utf8_lossy(&check.stderr).contains("check.missing"));

    // A managed identity (system-assigned).
    let out = add("flex-mi", "entra_cli_mi", &["--managed-identity"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let test = grantry_env(h, &env, &["integration", "test", "flex-mi"], None);
    assert!(
        test.status.success(),
        "{}",
        String::from_utf8_lossy(&test.stdout)
    );

    // A wrong secret: the test fails naming Entra's refusal, with its code.
    let out = add(
        "wrong",
        "entra_cli",
        &[
            "--tenant-id",
            TENANT,
            "--client-id",
            &app.client_id,
            "--client-secret-stdin",
            "--authority-host",
            &authority_host,
        ],
        Some("not-the-secret\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let test = grantry_env(h, &env, &["integration", "test", "wrong"], None);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&test.stdout),
        String::from_utf8_lossy(&test.stderr)
    );
    assert!(!test.status.success(), "{text}");
    assert!(
        text.contains("AADSTS7000215") && text.contains("client secret is wrong"),
        "{text}"
    );

    // Flags that do not belong together are refused, naming them.
    for (extra, needle) in [
        (
            vec![
                "--auth",
                "entra",
                "--tenant-id",
                TENANT,
                "--client-id",
                &app.client_id,
            ],
            "needs a token source",
        ),
        (
            vec!["--managed-identity", "--tenant-id", TENANT],
            "--tenant-id goes with",
        ),
        (
            vec!["--managed-identity", "--azure-cli"],
            "give one token source, not --managed-identity and --azure-cli",
        ),
        (vec!["--auth", "kerberos"], "expected entra or password"),
        (
            vec!["--auth", "password", "--managed-identity"],
            "are for --auth entra",
        ),
        (vec!["--sslmode", "prefer"], "TLS connections only"),
        (
            vec![
                "--client-secret-stdin",
                "--tenant-id",
                TENANT,
                "--client-id",
                &app.client_id,
                "--no-save-password",
            ],
            "--no-save-password is for a password login",
        ),
    ] {
        let out = add("x", "u", &extra, None);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    fails(
        h,
        &[
            "integration",
            "add",
            "y",
            "--host",
            "h",
            "--user",
            "u",
            "--azure-cli",
        ],
        2,
        "are for --kind azure",
    );
}

#[test]
fn setup_sql_prints_dry_runs_and_applies_the_connector_setup() {
    if !in_secret_service_session("setup_sql_prints_dry_runs_and_applies_the_connector_setup") {
        return;
    }
    let c = Cluster::start(Options::default());
    c.psql("postgres", "CREATE DATABASE app");
    let home = tempfile::tempdir().unwrap();
    let h = home.path();

    // Without a server: the script for a platform, to pipe into psql.
    let script = ok(
        h,
        &[
            "setup-sql",
            "--kind",
            "aws-rds",
            "--auth",
            "iam",
            "--user",
            "rds conn",
            "--database",
            "app",
        ],
        None,
    );
    assert!(
        script.contains("GRANT \"rds_iam\" TO \"rds conn\";"),
        "{script}"
    );
    assert!(
        script.contains("\\connect -reuse-previous=on '\"dbname=''app''\"'"),
        "{script}"
    );
    fails(
        h,
        &[
            "setup-sql",
            "--kind",
            "azure",
            "--auth",
            "iam",
            "--user",
            "u",
        ],
        2,
        "unknown --auth \"iam\" for azure: expected entra or password",
    );
    fails(
        h,
        &[
            "setup-sql",
            "--kind",
            "azure",
            "--user",
            "u",
            "--database",
            "azure_sys",
        ],
        2,
        "platform's own",
    );
    fails(h, &["setup-sql", "--user", "u"], 2, "--kind");
    // Flags that run on a server are refused without one, never ignored.
    for flags in [
        &["--apply"][..],
        &["--dry-run"][..],
        &["--apply", "--confirm", "x"][..],
    ] {
        let mut args = vec!["setup-sql", "--kind", "self-hosted", "--user", "g"];
        args.extend_from_slice(flags);
        fails(h, &args, 2, "give the integration");
    }
    fails(
        h,
        &[
            "setup-sql",
            "--kind",
            "self-hosted",
            "--user",
            "g",
            "--schema",
            "pg_catalog",
        ],
        2,
        "the system's",
    );

    // Against the server: every database, as a plan; the script runs in psql as it is.
    add_integration(h, &c, "db", "app", &["--environment", "production"]);
    let planned = json(h, &["setup-sql", "db", "--user", "conn"]);
    assert_eq!(planned["role_exists"], false);
    let dbs = strings(&planned["steps"], "database");
    assert_eq!(dbs[0], "app", "{dbs:?}");
    assert!(
        dbs.contains(&"template1") && dbs.contains(&"postgres"),
        "{dbs:?}"
    );
    fails(
        h,
        &["setup-sql", "db", "--user", "conn", "--auth", "iam"],
        2,
        "unknown --auth \"iam\" for self-hosted",
    );

    // A dry run leaves nothing behind; the apply asks for the production confirmation, then
    // shows the generated password once.
    fails(
        h,
        &[
            "setup-sql",
            "db",
            "--user",
            "conn",
            "--dry-run",
            "--confirm",
            "db",
        ],
        2,
        "--confirm goes with --apply",
    );
    let dry = json(h, &["setup-sql", "db", "--user", "conn", "--dry-run"]);
    assert_eq!(
        dry["steps"][0]["result"]["report"]["outcome"],
        "rolled_back"
    );
    let count = "(SELECT count(*) FROM pg_roles WHERE rolname = 'conn')";
    assert_eq!(c.psql("postgres", &format!("SELECT {count}")), "0");
    fails(
        h,
        &["setup-sql", "db", "--user", "conn", "--apply"],
        4,
        "production",
    );
    assert_eq!(c.psql("postgres", &format!("SELECT {count}")), "0");
    let run = grantry(
        h,
        &[
            "setup-sql",
            "db",
            "--user",
            "conn",
            "--apply",
            "--confirm",
            "db",
        ],
        None,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let applied = String::from_utf8(run.stdout).unwrap();
    let listing = String::from_utf8_lossy(&run.stderr);
    assert!(listing.contains("CREATE ROLE \"conn\""), "{listing}");
    assert!(
        !listing.contains("SCRAM-SHA-256$"),
        "the verifier is printed: {listing}"
    );
    let password = applied
        .lines()
        .find_map(|l| l.strip_prefix("password for conn (shown once): "))
        .unwrap_or_else(|| panic!("{applied}"))
        .to_string();
    assert!(
        applied.contains("step 3: grant on database \"template1\""),
        "{applied}"
    );
    for db in ["app", "postgres", "template1"] {
        assert_eq!(
            c.psql(
                db,
                "SELECT has_database_privilege('conn', current_database(), 'CREATE WITH GRANT OPTION')"
            ),
            "t",
            "{db}"
        );
    }
    // The user it made passes the prerequisite check.
    let port = c.port.to_string();
    ok(
        h,
        &[
            "integration",
            "add",
            "conn",
            "--host",
            "localhost",
            "--port",
            &port,
            "--user",
            "conn",
            "--database",
            "app",
            "--password-stdin",
        ],
        Some(&format!("{password}\n")),
    );
    // (pg_stat_statements is not installed on this cluster: only the powers are checked.)
    let out = grantry(h, &["integration", "check", "conn", "--json"], None);
    let checks: Value = serde_json::from_slice(&out.stdout).unwrap();
    for id in ["createrole", "grant_option", "read_all_stats"] {
        assert_eq!(element(&checks, "id", id)["ok"], true, "{id}: {checks}");
    }
    // Again: nothing to do in any database.
    let again = json(
        h,
        &[
            "setup-sql",
            "db",
            "--user",
            "conn",
            "--apply",
            "--confirm",
            "db",
        ],
    );
    assert_eq!(again["complete"], true);
    for s in again["steps"].as_array().unwrap() {
        assert_eq!(s["note"], "nothing to do: done already", "{s}");
    }
}
