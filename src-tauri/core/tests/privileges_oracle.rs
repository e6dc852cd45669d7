//! Oracle tests: random role graphs and grants on real servers (PostgreSQL 15, 16, 17 and 18),
//! and every answer of Grantry's engine compared with the server's own has_*_privilege and
//! pg_has_role, for every role, object and privilege.

mod common;

use grantry_core::privileges::engine::{Engine, RoleMode};
use grantry_core::privileges::inspect::Snapshot;
use grantry_core::privileges::{ObjectKind, Privilege};
use grantry_testrig::{version_matrix, Cluster};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ROLES: usize = 28;

struct Gen {
    rng: StdRng,
    major: u32,
    sql: Vec<String>,
}

impl Gen {
    fn role(&mut self) -> String {
        format!("r{:02}", self.rng.random_range(0..ROLES))
    }
    fn grantee(&mut self) -> String {
        if self.rng.random_bool(0.12) {
            "PUBLIC".into()
        } else {
            self.role()
        }
    }
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.rng.random_range(0..items.len())]
    }
    fn some_privs(&mut self, all: &[&str]) -> String {
        let mut chosen: Vec<&str> = all
            .iter()
            .copied()
            .filter(|_| self.rng.random_bool(0.35))
            .collect();
        if chosen.is_empty() {
            chosen.push(all[self.rng.random_range(0..all.len())]);
        }
        chosen.join(", ")
    }
    fn push(&mut self, s: impl Into<String>) {
        self.sql.push(s.into());
    }

    /// Roles, memberships (acyclic: members point at higher-numbered roles) and predefined roles.
    fn roles(&mut self) {
        for i in 0..ROLES {
            let login = if self.chance(0.6) { "LOGIN" } else { "NOLOGIN" };
            let inherit = if self.chance(0.2) {
                "NOINHERIT"
            } else {
                "INHERIT"
            };
            self.push(format!("CREATE ROLE r{i:02} {login} {inherit}"));
        }
        self.push("ALTER ROLE r27 SUPERUSER");
        for m in 0..ROLES - 1 {
            for _ in 0..self.rng.random_range(0..3) {
                let g = self.rng.random_range(m + 1..ROLES);
                let mut with = Vec::new();
                if self.major >= 16 {
                    with.push(format!("INHERIT {}", self.chance(0.75)));
                    with.push(format!("SET {}", self.chance(0.7)));
                }
                if self.chance(0.2) {
                    with.push("ADMIN OPTION".into());
                }
                let with = if with.is_empty() {
                    String::new()
                } else {
                    format!(" WITH {}", with.join(", "))
                };
                self.push(format!("GRANT r{g:02} TO r{m:02}{with}"));
            }
        }
        let mut predefined = vec!["pg_read_all_data", "pg_write_all_data", "pg_monitor"];
        if self.major >= 17 {
            predefined.push("pg_maintain");
        }
        for p in predefined {
            for _ in 0..2 {
                let r = self.role();
                self.push(format!("GRANT {p} TO {r}"));
            }
        }
    }

    /// Objects of every kind, owned by random roles, with random grants.
    fn objects(&mut self) {
        const SEQ: &[&str] = &["USAGE", "SELECT", "UPDATE"];
        let table_privs = common::table_privileges(self.major);
        self.push("CREATE FOREIGN DATA WRAPPER fdw_a");
        self.push("CREATE SERVER srv_a FOREIGN DATA WRAPPER fdw_a");
        for s in 0..3 {
            let owner = self.role();
            self.push(format!("CREATE SCHEMA s{s} AUTHORIZATION {owner}"));
            for t in 0..4 {
                let owner = self.role();
                self.push(format!("CREATE TABLE s{s}.t{t} (id int, a text, b text)"));
                self.push(format!("ALTER TABLE s{s}.t{t} OWNER TO {owner}"));
                if t == 0 {
                    // An owner that revoked its own privilege keeps every grant option.
                    self.push(format!("REVOKE SELECT ON s{s}.t0 FROM {owner}"));
                }
            }
            self.push(format!("CREATE VIEW s{s}.v AS SELECT 1 AS x"));
            self.push(format!("CREATE MATERIALIZED VIEW s{s}.mv AS SELECT 1 AS x"));
            self.push(format!(
                "CREATE TABLE s{s}.p (d int) PARTITION BY RANGE (d)"
            ));
            self.push(format!("CREATE FOREIGN TABLE s{s}.f (x int) SERVER srv_a"));
            self.push(format!("CREATE SEQUENCE s{s}.q"));
            self.push(format!(
                "CREATE FUNCTION s{s}.fn(int) RETURNS int LANGUAGE sql AS 'SELECT $1'"
            ));
            self.push(format!(
                "CREATE PROCEDURE s{s}.pr() LANGUAGE sql AS 'SELECT 1'"
            ));
            self.push(format!("CREATE TYPE s{s}.en AS ENUM ('a', 'b')"));
            self.push(format!("CREATE DOMAIN s{s}.dm AS int"));
            for obj in ["v", "mv", "p", "f", "q"] {
                let owner = self.role();
                let kw = match obj {
                    "v" => "VIEW",
                    "mv" => "MATERIALIZED VIEW",
                    "f" => "FOREIGN TABLE",
                    "q" => "SEQUENCE",
                    _ => "TABLE",
                };
                self.push(format!("ALTER {kw} s{s}.{obj} OWNER TO {owner}"));
            }
            for (kw, name) in [
                ("FUNCTION", "fn(int)"),
                ("PROCEDURE", "pr()"),
                ("TYPE", "en"),
                ("DOMAIN", "dm"),
            ] {
                let owner = self.role();
                self.push(format!("ALTER {kw} s{s}.{name} OWNER TO {owner}"));
            }
            // Grants.
            for _ in 0..3 {
                let g = self.grantee();
                let privs = self.some_privs(&["USAGE", "CREATE"]);
                self.push(format!("GRANT {privs} ON SCHEMA s{s} TO {g}"));
            }
            for obj in ["t0", "t1", "t2", "t3", "v", "mv", "p", "f"] {
                for _ in 0..self.rng.random_range(0..4) {
                    let g = self.grantee();
                    let privs = self.some_privs(&table_privs);
                    let opt = if g != "PUBLIC" && self.chance(0.3) {
                        " WITH GRANT OPTION"
                    } else {
                        ""
                    };
                    self.push(format!("GRANT {privs} ON s{s}.{obj} TO {g}{opt}"));
                }
            }
            for _ in 0..2 {
                let g = self.grantee();
                let privs = self.some_privs(SEQ);
                self.push(format!("GRANT {privs} ON SEQUENCE s{s}.q TO {g}"));
            }
            for _ in 0..3 {
                let t = self.rng.random_range(0..4);
                let g = self.grantee();
                let col = self.pick(&["id", "a", "b"]).to_string();
                let privs = self.some_privs(&["SELECT", "INSERT", "UPDATE", "REFERENCES"]);
                let privs: Vec<String> =
                    privs.split(", ").map(|p| format!("{p} ({col})")).collect();
                self.push(format!("GRANT {} ON s{s}.t{t} TO {g}", privs.join(", ")));
            }
            if self.chance(0.5) {
                self.push(format!(
                    "REVOKE EXECUTE ON FUNCTION s{s}.fn(int) FROM PUBLIC"
                ));
                let g = self.role();
                self.push(format!("GRANT EXECUTE ON FUNCTION s{s}.fn(int) TO {g}"));
            }
            if self.chance(0.5) {
                self.push(format!("REVOKE USAGE ON TYPE s{s}.en FROM PUBLIC"));
                let g = self.role();
                self.push(format!("GRANT USAGE ON DOMAIN s{s}.dm TO {g}"));
            }
        }
        // A grant made by a non-owner holding the grant option: exercise grantors.
        self.push("CREATE ROLE chain_owner");
        self.push("CREATE TABLE s0.chained (x int)");
        self.push("ALTER TABLE s0.chained OWNER TO chain_owner");
        self.push("GRANT SELECT ON s0.chained TO r00 WITH GRANT OPTION");
        self.push("GRANT USAGE ON SCHEMA s0 TO r00");
        self.push("SET ROLE r00");
        self.push("GRANT SELECT ON s0.chained TO r05");
        self.push("RESET ROLE");
        for _ in 0..2 {
            let g = self.role();
            self.push(format!("GRANT USAGE ON FOREIGN DATA WRAPPER fdw_a TO {g}"));
            let g = self.role();
            self.push(format!("GRANT USAGE ON FOREIGN SERVER srv_a TO {g}"));
        }
        if self.chance(0.5) {
            self.push("REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC");
            let g = self.role();
            self.push(format!("GRANT USAGE ON LANGUAGE plpgsql TO {g}"));
        }
        self.push("REVOKE TEMPORARY ON DATABASE oracle FROM PUBLIC");
        for _ in 0..3 {
            let g = self.grantee();
            let privs = self.some_privs(&["CONNECT", "CREATE", "TEMPORARY"]);
            self.push(format!("GRANT {privs} ON DATABASE oracle TO {g}"));
        }
        // Parameters (15+).
        for param in ["work_mem", "log_min_duration_statement"] {
            let g = self.role();
            let privs = self.some_privs(&["SET", "ALTER SYSTEM"]);
            self.push(format!("GRANT {privs} ON PARAMETER {param} TO {g}"));
        }
        // Large objects, some owned by a role, some granted on.
        for lo in 0..3 {
            let owner = self.role();
            self.push(format!("SELECT lo_create({})", 7000 + lo));
            self.push(format!("ALTER LARGE OBJECT {} OWNER TO {owner}", 7000 + lo));
            if lo > 0 {
                let g = self.grantee();
                let privs = self.some_privs(&["SELECT", "UPDATE"]);
                self.push(format!(
                    "GRANT {privs} ON LARGE OBJECT {} TO {g}",
                    7000 + lo
                ));
            }
        }
        // The public schema on 15+ belongs to pg_database_owner.
        self.push("GRANT CREATE ON SCHEMA public TO pg_database_owner");
    }

    /// Default privileges, then new objects that pick them up.
    fn default_privileges(&mut self) {
        for s in 0..3 {
            let creator = format!("r{:02}", 3 * s + 1);
            self.push(format!("GRANT CREATE, USAGE ON SCHEMA s{s} TO {creator}"));
            let g = self.grantee();
            let privs = self.some_privs(&["SELECT", "INSERT", "UPDATE", "DELETE"]);
            self.push(format!("ALTER DEFAULT PRIVILEGES FOR ROLE {creator} IN SCHEMA s{s} GRANT {privs} ON TABLES TO {g}"));
            let g = self.role();
            self.push(format!(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {creator} GRANT USAGE ON SEQUENCES TO {g}"
            ));
            self.push(format!("ALTER DEFAULT PRIVILEGES FOR ROLE {creator} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC"));
            self.push(format!("SET ROLE {creator}"));
            self.push(format!("CREATE TABLE s{s}.born_later (x int)"));
            self.push(format!("CREATE SEQUENCE s{s}.seq_later"));
            self.push(format!(
                "CREATE FUNCTION s{s}.fn_later() RETURNS int LANGUAGE sql AS 'SELECT 1'"
            ));
            self.push("RESET ROLE");
        }
    }
}

fn server_bools(c: &Cluster, sql: &str) -> Vec<(i64, String, i64, String, bool)> {
    c.psql("oracle", sql)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            (
                f[0].parse().unwrap(),
                f[1].to_string(),
                f[2].parse().unwrap(),
                f[3].to_string(),
                f[4] == "t",
            )
        })
        .collect()
}

struct Tally {
    checked: usize,
    mismatches: Vec<String>,
}

impl Tally {
    fn check(&mut self, ok_server: bool, ok_grantry: bool, what: impl FnOnce() -> String) {
        self.checked += 1;
        if ok_server != ok_grantry {
            self.mismatches.push(format!(
                "{}: server {ok_server}, grantry {ok_grantry}",
                what()
            ));
        }
    }
}

fn kind_for(relkind: &str) -> ObjectKind {
    match relkind {
        "r" => ObjectKind::Table,
        "p" => ObjectKind::PartitionedTable,
        "v" => ObjectKind::View,
        "m" => ObjectKind::MaterializedView,
        "f" => ObjectKind::ForeignTable,
        "S" => ObjectKind::Sequence,
        other => panic!("relkind {other}"),
    }
}

fn compare(c: &Cluster, snap: &Snapshot, major: u32) -> Tally {
    let e = Engine::new(snap);
    let mut t = Tally {
        checked: 0,
        mismatches: Vec::new(),
    };
    let user_ns = "(SELECT oid FROM pg_namespace WHERE nspname IN ('s0', 's1', 's2', 'public'))";
    let role_name = |oid: i64| e.role(oid).map(|r| r.name.clone()).unwrap_or_default();

    // Relations, with and without grant option.
    let table_privs = if major >= 17 {
        "SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER,MAINTAIN"
    } else {
        "SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER"
    };
    let sql = format!(
        "SELECT r.oid, c.relkind::text, c.oid, p, CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(r.oid, c.oid, p) ELSE has_table_privilege(r.oid, c.oid, p) END FROM pg_roles r, pg_class c, \
         unnest(string_to_array(CASE WHEN c.relkind = 'S' THEN 'USAGE,SELECT,UPDATE' ELSE '{table_privs}' END, ',')) p \
         WHERE c.relnamespace IN {user_ns} AND c.relkind IN ('r','p','v','m','f','S') \
         UNION ALL \
         SELECT r.oid, c.relkind::text || '+grant', c.oid, p, has_table_privilege(r.oid, c.oid, p || ' WITH GRANT OPTION') FROM pg_roles r, pg_class c, \
         unnest(string_to_array('SELECT,INSERT,UPDATE', ',')) p \
         WHERE c.relnamespace IN {user_ns} AND c.relkind IN ('r','v')"
    );
    for (role, relkind, oid, p, server) in server_bools(c, &sql) {
        let grant = relkind.ends_with("+grant");
        let kind = kind_for(relkind.trim_end_matches("+grant"));
        let obj = e
            .object_index(kind, oid, 0)
            .unwrap_or_else(|| panic!("relation {oid} not inspected"));
        let priv_ = Privilege::parse(&p).unwrap();
        let mine = if grant {
            e.can_grant(role, obj, priv_)
        } else {
            e.can(role, obj, priv_).is_some()
        };
        t.check(server, mine, || {
            format!(
                "{} {p}{} ON {}",
                role_name(role),
                if grant { " WITH GRANT OPTION" } else { "" },
                snap.objects[obj].label()
            )
        });
    }

    // Columns: every column of every user table.
    let sql = format!(
        "SELECT r.oid, c.relkind, a.attrelid, a.attnum || ':' || p, has_column_privilege(r.oid, a.attrelid, a.attnum, p) \
         FROM pg_roles r, pg_attribute a JOIN pg_class c ON c.oid = a.attrelid, unnest(ARRAY['SELECT','INSERT','UPDATE','REFERENCES']) p \
         WHERE c.relnamespace IN {user_ns} AND c.relkind IN ('r','p','v','m','f') AND a.attnum > 0 AND NOT a.attisdropped"
    );
    for (role, relkind, oid, key, server) in server_bools(c, &sql) {
        let (attnum, p) = key.split_once(':').unwrap();
        let priv_ = Privilege::parse(p).unwrap();
        let attnum: i32 = attnum.parse().unwrap();
        let mine = match e.object_index(ObjectKind::Column, oid, attnum) {
            Some(col) => e.can(role, col, priv_).is_some(),
            None => {
                let table = e.object_index(kind_for(&relkind), oid, 0).unwrap();
                e.can(role, table, priv_).is_some()
            }
        };
        t.check(server, mine, || {
            format!("{} {p} ON column {attnum} of {oid}", role_name(role))
        });
    }

    // Everything else, one has_*_privilege each.
    let others = [
        (ObjectKind::Schema, format!("SELECT r.oid, 'n', n.oid, p, has_schema_privilege(r.oid, n.oid, p) FROM pg_roles r, pg_namespace n, unnest(ARRAY['USAGE','CREATE']) p WHERE n.oid IN {user_ns}")),
        (ObjectKind::Database, "SELECT r.oid, 'd', d.oid, p, has_database_privilege(r.oid, d.oid, p) FROM pg_roles r, pg_database d, unnest(ARRAY['CONNECT','CREATE','TEMPORARY']) p".to_string()),
        (ObjectKind::Function, format!("SELECT r.oid, p.prokind, p.oid, 'EXECUTE', has_function_privilege(r.oid, p.oid, 'EXECUTE') FROM pg_roles r, pg_proc p WHERE p.pronamespace IN {user_ns}")),
        (ObjectKind::Type, format!("SELECT r.oid, t.typtype, t.oid, 'USAGE', has_type_privilege(r.oid, t.oid, 'USAGE') FROM pg_roles r, pg_type t WHERE t.typnamespace IN {user_ns} AND t.typtype IN ('e','d')")),
        (ObjectKind::Language, "SELECT r.oid, 'l', l.oid, 'USAGE', has_language_privilege(r.oid, l.oid, 'USAGE') FROM pg_roles r, pg_language l WHERE l.lanpltrusted".to_string()),
        (ObjectKind::ForeignDataWrapper, "SELECT r.oid, 'F', w.oid, 'USAGE', has_foreign_data_wrapper_privilege(r.oid, w.oid, 'USAGE') FROM pg_roles r, pg_foreign_data_wrapper w".to_string()),
        (ObjectKind::ForeignServer, "SELECT r.oid, 'S', s.oid, 'USAGE', has_server_privilege(r.oid, s.oid, 'USAGE') FROM pg_roles r, pg_foreign_server s".to_string()),
        (ObjectKind::Parameter, "SELECT r.oid, 'p', a.oid, p, has_parameter_privilege(r.oid, a.parname, p) FROM pg_roles r, pg_parameter_acl a, unnest(ARRAY['SET','ALTER SYSTEM']) p".to_string()),
    ];
    // has_largeobject_privilege exists from 18 on.
    let large_objects = (major >= 18).then(|| (ObjectKind::LargeObject, "SELECT r.oid, 'L', l.oid, p, has_largeobject_privilege(r.oid, l.oid, p) FROM pg_roles r, pg_largeobject_metadata l, unnest(ARRAY['SELECT','UPDATE']) p".to_string()));
    for (kind, sql) in others.into_iter().chain(large_objects) {
        for (role, sub, oid, p, server) in server_bools(c, &sql) {
            let kind = match (kind, sub.as_str()) {
                (ObjectKind::Function, "p") => ObjectKind::Procedure,
                (ObjectKind::Type, "d") => ObjectKind::Domain,
                (k, _) => k,
            };
            let obj = e
                .object_index(kind, oid, 0)
                .unwrap_or_else(|| panic!("{kind:?} {oid} not inspected"));
            let priv_ = Privilege::parse(&p).unwrap();
            let mine = e.can(role, obj, priv_).is_some();
            t.check(server, mine, || {
                format!(
                    "{} {p} ON {:?} {}",
                    role_name(role),
                    kind,
                    snap.objects[obj].label()
                )
            });
        }
    }

    // Role membership, every pair and mode.
    let modes = if major >= 16 {
        "USAGE,MEMBER,SET"
    } else {
        "USAGE,MEMBER"
    };
    let sql = format!("SELECT a.oid, m, b.oid, b.rolname, pg_has_role(a.oid, b.oid, m) FROM pg_roles a, pg_roles b, unnest(string_to_array('{modes}', ',')) m");
    for (a, mode, b, bname, server) in server_bools(c, &sql) {
        let m = match mode.as_str() {
            "USAGE" => RoleMode::Usage,
            "MEMBER" => RoleMode::Member,
            _ => RoleMode::Set,
        };
        t.check(server, e.has_role(a, b, m), || {
            format!("pg_has_role({}, {bname}, {mode})", role_name(a))
        });
    }
    t
}

#[tokio::test]
async fn engine_agrees_with_the_server_on_every_major() {
    let seed: u64 = std::env::var("GRANTRY_ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261121);
    for bin in version_matrix() {
        for round in 0..2u64 {
            let c = Cluster::start_with(&bin.bindir);
            let mut g = Gen {
                rng: StdRng::seed_from_u64(seed + round * 7919 + bin.major as u64),
                major: bin.major,
                sql: Vec::new(),
            };
            g.roles();
            let db_owner = g.role();
            c.psql(
                "postgres",
                &format!(
                    "{};\nCREATE DATABASE oracle OWNER {db_owner};",
                    g.sql.join(";\n")
                ),
            );
            g.sql.clear();
            g.objects();
            g.default_privileges();
            c.psql("oracle", &(g.sql.join(";\n") + ";"));

            let env = common::grantry_on(&c, "oracle").await;
            let snap = env.snapshot("oracle").await;
            assert!(snap.objects.len() > 60, "{} objects", snap.objects.len());
            let t = compare(&c, &snap, bin.major);
            println!(
                "PostgreSQL {} round {round}: {} checks, {} mismatches",
                bin.version,
                t.checked,
                t.mismatches.len()
            );
            assert!(t.checked > 20_000, "only {} checks", t.checked);
            assert!(
                t.mismatches.is_empty(),
                "PostgreSQL {} (seed {seed}, round {round}): {} of {} answers differ from the server:\n{}",
                bin.version,
                t.mismatches.len(),
                t.checked,
                t.mismatches.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
            );
            env.g.close().await;
        }
    }
}
