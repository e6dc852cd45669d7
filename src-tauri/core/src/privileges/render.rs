//! The one producer of the SQL that Grantry writes about privileges: GRANT and REVOKE on objects
//! and roles, ALTER DEFAULT PRIVILEGES, CREATE ROLE, SET ROLE and the comments of a script. Plans
//! and exports both render through it, and every name, value and comment goes through
//! [`crate::quote`].

use super::inspect::DefaultObjectType;
use super::plan::Target;
use super::{is_public, ObjectKind, Privilege};
use crate::quote::{comment, ident, literal, parameter};

/// A grantee: `PUBLIC` for the pseudo-role, every role as a quoted identifier (a role named
/// `PUBLIC` becomes `"PUBLIC"`).
pub fn grantee(name: &str) -> String {
    if is_public(name) {
        "PUBLIC".into()
    } else {
        ident(name)
    }
}

fn grantees(names: &[String]) -> String {
    names
        .iter()
        .map(|g| grantee(g))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `SELECT, UPDATE` or, with columns, `SELECT ("a", "b"), UPDATE ("a", "b")`.
pub fn privileges(privs: &[Privilege], columns: &[String]) -> String {
    let cols = if columns.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            columns
                .iter()
                .map(|c| ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    privs
        .iter()
        .map(|p| format!("{}{cols}", p.sql()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `TABLE "s"."t"`, `FUNCTION "s"."f"(integer)`, `PARAMETER "work_mem"`, `ALL TABLES IN SCHEMA
/// "s"`. `args` is a function's identity argument list as the server formats it (from the
/// catalog, never from the request), so a signature is SQL the server wrote.
pub fn target(t: &Target, args: Option<&str>) -> String {
    match t {
        Target::Object {
            kind, schema, name, ..
        } => object(*kind, schema.as_deref(), name, args),
        Target::AllInSchema { kind, schema } => {
            let what = match kind {
                ObjectKind::Sequence => "SEQUENCES",
                ObjectKind::Function | ObjectKind::Aggregate => "FUNCTIONS",
                ObjectKind::Procedure => "PROCEDURES",
                _ => "TABLES",
            };
            format!("ALL {what} IN SCHEMA {}", ident(schema))
        }
    }
}

/// One object of `kind`, as it follows `ON` in GRANT.
pub fn object(kind: ObjectKind, schema: Option<&str>, name: &str, args: Option<&str>) -> String {
    if kind == ObjectKind::Parameter {
        return format!("PARAMETER {}", parameter(name));
    }
    if kind == ObjectKind::LargeObject {
        // An oid; anything else becomes a string literal the server refuses, never SQL.
        return match name.parse::<u32>() {
            Ok(oid) => format!("LARGE OBJECT {oid}"),
            Err(_) => format!("LARGE OBJECT {}", literal(name)),
        };
    }
    let qualified = match schema {
        Some(s) => format!("{}.{}", ident(s), ident(name)),
        None => ident(name),
    };
    let args = if kind.is_routine() {
        format!("({})", args.unwrap_or_default())
    } else {
        String::new()
    };
    format!("{} {qualified}{args}", kind.grant_keyword())
}

/// `GRANT privs ON target TO grantees [WITH GRANT OPTION]`.
pub fn grant(on: &str, privs: &str, to: &[String], with_grant_option: bool) -> String {
    format!(
        "GRANT {privs} ON {on} TO {}{}",
        grantees(to),
        if with_grant_option {
            " WITH GRANT OPTION"
        } else {
            ""
        }
    )
}

/// `REVOKE [GRANT OPTION FOR] privs ON target FROM grantees [CASCADE]`.
pub fn revoke(
    on: &str,
    privs: &str,
    from: &[String],
    grant_option_only: bool,
    cascade: bool,
) -> String {
    format!(
        "REVOKE {}{privs} ON {on} FROM {}{}",
        if grant_option_only {
            "GRANT OPTION FOR "
        } else {
            ""
        },
        grantees(from),
        if cascade { " CASCADE" } else { "" }
    )
}

/// The options of a membership grant. `v16`: the server takes `WITH ADMIN TRUE, INHERIT .., SET
/// ..`; before 16 only `WITH ADMIN OPTION` exists.
pub struct MembershipOptions<'a> {
    pub admin: bool,
    pub inherit: Option<bool>,
    pub set: Option<bool>,
    pub v16: bool,
    /// GRANTED BY.
    pub granted_by: Option<&'a str>,
}

/// `GRANT role TO member [WITH ...]`.
pub fn grant_role(role: &str, member: &str, o: &MembershipOptions) -> String {
    let tf = |b: bool| if b { "TRUE" } else { "FALSE" };
    let mut opts = Vec::new();
    if o.admin {
        opts.push(if o.v16 { "ADMIN TRUE" } else { "ADMIN OPTION" }.to_string());
    }
    if let Some(i) = o.inherit {
        opts.push(format!("INHERIT {}", tf(i)));
    }
    if let Some(s) = o.set {
        opts.push(format!("SET {}", tf(s)));
    }
    let with = if opts.is_empty() {
        String::new()
    } else {
        format!(" WITH {}", opts.join(", "))
    };
    let by = o
        .granted_by
        .map(|g| format!(" GRANTED BY {}", ident(g)))
        .unwrap_or_default();
    format!("GRANT {} TO {}{with}{by}", ident(role), ident(member))
}

/// `REVOKE [ADMIN OPTION FOR] role FROM member [GRANTED BY grantor]` (PostgreSQL 16+: each
/// grantor's grant of a membership is its own, and a REVOKE removes only the one its grantor
/// made).
pub fn revoke_role(
    role: &str,
    member: &str,
    granted_by: Option<&str>,
    admin_option_only: bool,
) -> String {
    format!(
        "REVOKE {}{} FROM {}{}",
        if admin_option_only {
            "ADMIN OPTION FOR "
        } else {
            ""
        },
        ident(role),
        ident(member),
        granted_by
            .map(|g| format!(" GRANTED BY {}", ident(g)))
            .unwrap_or_default()
    )
}

/// The attributes of a new role Grantry sets.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoleAttributes {
    pub login: bool,
    pub createrole: bool,
}

/// What a new role is created with.
pub struct NewRole<'a> {
    pub name: &'a str,
    pub attributes: RoleAttributes,
    /// A SCRAM verifier, never a plain password.
    pub verifier: Option<&'a str>,
    pub valid_until: Option<&'a str>,
    pub in_roles: &'a [String],
}

/// `CREATE ROLE name LOGIN|NOLOGIN [CREATEROLE] [PASSWORD 'verifier'] [VALID UNTIL '..']
/// [IN ROLE ..]`.
pub fn create_role(r: &NewRole) -> String {
    let mut sql = format!(
        "CREATE ROLE {} {}",
        ident(r.name),
        if r.attributes.login {
            "LOGIN"
        } else {
            "NOLOGIN"
        }
    );
    if r.attributes.createrole {
        sql.push_str(" CREATEROLE");
    }
    if let Some(v) = r.verifier {
        sql.push_str(&format!(" PASSWORD {}", literal(v)));
    }
    if let Some(v) = r.valid_until {
        sql.push_str(&format!(" VALID UNTIL {}", literal(v)));
    }
    if !r.in_roles.is_empty() {
        sql.push_str(&format!(
            " IN ROLE {}",
            r.in_roles
                .iter()
                .map(|x| ident(x))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    sql
}

/// `ALTER ROLE name CREATEROLE`.
pub fn alter_role_createrole(name: &str) -> String {
    format!("ALTER ROLE {} CREATEROLE", ident(name))
}

/// Azure: the login role of an Entra user, group or app named `name` (the call an Entra
/// administrator makes; Azure looks the name up in Microsoft Graph).
pub fn entra_principal(name: &str) -> String {
    format!(
        "SELECT * FROM pgaadauth_create_principal({}, false, false)",
        literal(name)
    )
}

/// `\connect 'db'`: a psql script's switch to another database.
pub fn psql_connect(database: &str) -> String {
    // psql reads a first argument holding `=` (or starting `postgres://`) as a connection
    // string, and strips double quotes from it even inside single quotes: a name like
    // `host=elsewhere dbname=x` would connect to another server. So the name is always given
    // as a connection string, `dbname='...'` (libpq's quoting), inside double quotes (which
    // psql removes, `""` standing for one), inside psql's single quotes; -reuse-previous
    // keeps the host, port and user of the session.
    let conninfo = format!("dbname={}", crate::quote::conninfo_value(database));
    let identifier = format!("\"{}\"", conninfo.replace('"', "\"\""));
    format!(
        "\\connect -reuse-previous=on {}",
        crate::quote::psql_arg(&identifier)
    )
}

/// `ALTER DEFAULT PRIVILEGES [FOR ROLE r] [IN SCHEMA s] GRANT|REVOKE privs ON kind TO|FROM ..`
/// (`privs` from [`privileges`], or `ALL`).
pub fn default_privileges(
    for_role: Option<&str>,
    in_schema: Option<&str>,
    grant: bool,
    on: DefaultObjectType,
    privs: &str,
    roles: &[String],
    with_grant_option: bool,
) -> String {
    let mut sql = String::from("ALTER DEFAULT PRIVILEGES");
    if let Some(r) = for_role {
        sql.push_str(&format!(" FOR ROLE {}", ident(r)));
    }
    if let Some(s) = in_schema {
        sql.push_str(&format!(" IN SCHEMA {}", ident(s)));
    }
    if grant {
        sql.push_str(&format!(
            " GRANT {privs} ON {} TO {}{}",
            on.sql(),
            grantees(roles),
            if with_grant_option {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        ));
    } else {
        sql.push_str(&format!(
            " REVOKE {privs} ON {} FROM {}",
            on.sql(),
            grantees(roles)
        ));
    }
    sql
}

/// `script` with every SCRAM verifier a CREATE ROLE carries replaced, for the audit log: a
/// verifier is not the password, but it is what an offline guess is checked against.
pub fn redact_verifiers(script: &str) -> String {
    const START: &str = "PASSWORD 'SCRAM-SHA-256$";
    let mut out = String::with_capacity(script.len());
    let mut rest = script;
    while let Some(i) = rest.find(START) {
        out.push_str(&rest[..i]);
        out.push_str("PASSWORD '<SCRAM verifier, not logged>'");
        let after = &rest[i + START.len()..];
        // A verifier has no quote in it: it ends at the literal's closing quote.
        rest = match after.find('\'') {
            Some(j) => &after[j + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// A script's first statement: stop (and roll back) unless it runs in database `name`, since
/// its database-level grants name that database.
pub fn database_guard(name: &str) -> String {
    let lit = literal(name);
    // A dollar-quote tag that the name cannot end early.
    let tag = (0..)
        .map(|i| format!("$grantry{i}$"))
        .find(|t| !lit.contains(t.as_str()))
        .unwrap_or_default();
    format!(
        "DO {tag} BEGIN IF current_database() <> {lit} THEN RAISE EXCEPTION 'this script is for database %, not %', {lit}, current_database(); END IF; END {tag}"
    )
}

/// `SET ROLE r`, to run a statement as the grantor it must be recorded under.
pub fn set_role(role: &str) -> String {
    format!("SET ROLE {}", ident(role))
}

pub const RESET_ROLE: &str = "RESET ROLE";

/// A script: each statement on its own, `;`-terminated, optionally after a comment line saying
/// why it is there (comments escaped by [`comment`], so no text can end one early).
pub fn script<'a>(statements: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> String {
    let mut out = String::new();
    for (sql, why) in statements {
        if let Some(w) = why {
            out.push_str(&comment(w));
            out.push('\n');
        }
        out.push_str(sql);
        out.push_str(";\n");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn verifiers_stay_out_of_the_audit_log() {
        let s = "CREATE ROLE \"a\" LOGIN PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy';\nGRANT x TO a;";
        let r = super::redact_verifiers(s);
        assert_eq!(
            r,
            "CREATE ROLE \"a\" LOGIN PASSWORD '<SCRAM verifier, not logged>';\nGRANT x TO a;"
        );
    }

    #[test]
    fn the_database_guard_cannot_be_ended_by_the_name() {
        let g = super::database_guard("x$grantry0$; DROP TABLE t; --'");
        assert!(g.starts_with("DO $grantry1$ BEGIN"), "{g}");
        assert!(g.ends_with("END $grantry1$"), "{g}");
        assert!(
            g.contains(&format!("'x$grantry0$; DROP TABLE t; --{}", "'".repeat(3))),
            "{g}"
        );
    }

    use super::*;

    #[test]
    fn renders_grantees_exactly() {
        assert_eq!(grantee("public"), "PUBLIC");
        assert_eq!(grantee("PUBLIC"), "\"PUBLIC\"");
        assert_eq!(grantee("Public"), "\"Public\"");
        assert_eq!(
            grant(
                "TABLE \"s\".\"t\"",
                "SELECT",
                &["public".into(), "PUBLIC".into()],
                true
            ),
            "GRANT SELECT ON TABLE \"s\".\"t\" TO PUBLIC, \"PUBLIC\" WITH GRANT OPTION"
        );
    }

    #[test]
    fn renders_objects_and_parameters() {
        assert_eq!(
            object(ObjectKind::Function, Some("s"), "f", Some("integer, text")),
            "FUNCTION \"s\".\"f\"(integer, text)"
        );
        assert_eq!(
            object(ObjectKind::Parameter, None, "x.y\"; DROP", None),
            "PARAMETER \"x\".\"y\"\"; DROP\""
        );
        assert_eq!(
            revoke("SCHEMA \"a\"", "USAGE", &["r".into()], true, true),
            "REVOKE GRANT OPTION FOR USAGE ON SCHEMA \"a\" FROM \"r\" CASCADE"
        );
    }

    #[test]
    fn script_comments_cannot_break_out() {
        let s = script([(
            "GRANT SELECT ON TABLE \"a\" TO \"b\"",
            Some("grant on a\nGRANT ALL ON TABLE secret.vault TO PUBLIC; --"),
        )]);
        assert_eq!(s.lines().count(), 2, "{s}");
        assert!(s.lines().next().unwrap().starts_with("-- "), "{s}");
    }
}
