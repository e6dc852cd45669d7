//! What each platform needs of the connecting role for Grantry to do its work, checked against
//! what the server said in a connection test ([`ServerInfo`]): each check says why it matters,
//! and what fixes it, as SQL when SQL does (quoted as every statement Grantry writes).

use super::ServerInfo;
use crate::quote::{ident, literal};
use serde::Serialize;
use ts_rs::TS;

/// The platform a report (or a connector's setup) is for, as far as its needs differ, and
/// whether the connector logs in with a token (an RDS IAM token, an Entra ID token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(tag = "kind", rename_all = "snake_case")]
pub enum Platform {
    SelfHosted,
    AwsRds { iam: bool },
    Azure { entra: bool },
}

/// One check of what the connecting role needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Prerequisite {
    /// A stable id (`createrole`, `read_all_stats`, `pg_stat_statements_loaded`, ...).
    pub id: String,
    pub ok: bool,
    /// What is checked, as a DBA reads it.
    pub title: String,
    /// Why it matters, or what was found.
    pub why: String,
    /// What fixes it, in words (a setting, a console), when SQL alone does not.
    pub fix: Option<String>,
    /// The SQL that fixes it, to run as an administrator.
    pub fix_sql: Option<String>,
}

fn item(id: &str, ok: bool, title: &str, why: String) -> Prerequisite {
    Prerequisite {
        id: id.into(),
        ok,
        title: title.into(),
        why,
        fix: None,
        fix_sql: None,
    }
}

/// The checks of `platform` against `s`.
pub fn check(platform: Platform, s: &ServerInfo) -> Vec<Prerequisite> {
    let p = &s.powers;
    let user = ident(&s.current_user);
    let admin = match platform {
        Platform::SelfHosted => "a superuser",
        Platform::AwsRds { .. } => "the master user",
        Platform::Azure { .. } => "the server's administrator (a member of azure_pg_admin)",
    };
    let mut out = Vec::new();

    // Creating roles and changing memberships.
    let mut c = item(
        "createrole",
        p.superuser || p.createrole,
        "may create roles and change memberships (CREATEROLE)",
        if p.superuser {
            "a superuser".into()
        } else if p.createrole {
            "has CREATEROLE".into()
        } else {
            "without CREATEROLE, plans that create roles, grant memberships or rotate passwords are refused".into()
        },
    );
    if !c.ok {
        c.fix = Some(format!("as {admin}"));
        c.fix_sql = Some(format!("ALTER ROLE {user} CREATEROLE;"));
    }
    out.push(c);

    // Granting on what it must manage.
    if let Some(n) = p.ungrantable_relations {
        let mut g = item(
            "grant_option",
            p.superuser || n == 0,
            "may grant on the tables of this database",
            match (p.superuser, n) {
                (true, _) => "a superuser may grant on everything".into(),
                (false, 0) => "owns, or holds with the grant option, every table and view of this database's schemas".into(),
                (false, n) => format!(
                    "may not grant SELECT on {} relation{} of this database (it neither owns them nor holds SELECT WITH GRANT OPTION): plans on them are refused",
                    if n > 1000 { "more than 1,000".to_string() } else { n.to_string() },
                    if n == 1 { "" } else { "s" }
                ),
            },
        );
        if !g.ok {
            g.fix = Some(format!(
                "as the tables' owner or {admin}, in the database {}",
                literal(&s.database)
            ));
            g.fix_sql = Some(
                p.ungrantable_schemas
                    .iter()
                    .map(|schema| {
                        format!(
                            "GRANT ALL ON ALL TABLES IN SCHEMA {} TO {user} WITH GRANT OPTION;",
                            ident(schema)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        out.push(g);
    }

    // Usage from pg_stat_statements.
    let mut r = item(
        "read_all_stats",
        p.superuser || p.read_all_stats,
        "may read every user's statements (pg_read_all_stats)",
        if p.superuser || p.read_all_stats {
            "other users' query texts are readable".into()
        } else {
            "usage shows other users' statements as <insufficient privilege> without it".into()
        },
    );
    if !r.ok {
        r.fix = Some(format!("as {admin}"));
        r.fix_sql = Some(format!("GRANT pg_read_all_stats TO {user};"));
    }
    out.push(r);
    let loaded_fix = match platform {
        Platform::SelfHosted => "add pg_stat_statements to shared_preload_libraries in postgresql.conf (or ALTER SYSTEM as a superuser), then restart the server".to_string(),
        Platform::AwsRds { .. } => "add pg_stat_statements to shared_preload_libraries in the instance's DB parameter group, then reboot it".into(),
        Platform::Azure { .. } => "add pg_stat_statements to the server parameter shared_preload_libraries (portal, or az postgres flexible-server parameter set), then restart the server".into(),
    };
    let mut l = item(
        "pg_stat_statements_loaded",
        p.pg_stat_statements_loaded == Some(true),
        "pg_stat_statements is loaded (shared_preload_libraries)",
        match p.pg_stat_statements_loaded {
            Some(true) => "loaded".into(),
            Some(false) => "not loaded: the server collects no statement statistics".into(),
            None => {
                "unknown: this role may not read shared_preload_libraries (pg_read_all_settings)"
                    .into()
            }
        },
    );
    if p.pg_stat_statements_loaded.is_none() {
        // Unknown, not missing: let the role see the setting (or install the extension, whose
        // view answers when it is loaded).
        l.fix = Some(format!("as {admin}, so that the setting can be read"));
        l.fix_sql = Some(format!("GRANT pg_read_all_settings TO {user};"));
    } else if !l.ok {
        l.fix = Some(loaded_fix);
        if platform == Platform::SelfHosted {
            l.fix_sql = Some(
                "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';  -- keep the libraries already listed, then restart"
                    .into(),
            );
        }
    }
    out.push(l);
    let mut i = item(
        "pg_stat_statements_installed",
        p.pg_stat_statements_installed.is_some(),
        "pg_stat_statements is installed in this database",
        match (
            &p.pg_stat_statements_installed,
            p.pg_stat_statements_available,
        ) {
            (Some(v), _) => format!("version {v}"),
            (None, Some(false)) => {
                "not installed, and the server does not have the extension (a contrib package)"
                    .into()
            }
            (None, _) => "not installed: its view is not there to read".into(),
        },
    );
    if !i.ok {
        i.fix = Some(format!("in the database {}", literal(&s.database)));
        i.fix_sql = Some("CREATE EXTENSION IF NOT EXISTS pg_stat_statements;".into());
    }
    out.push(i);

    // The platform's own.
    match platform {
        Platform::SelfHosted => {}
        Platform::AwsRds { iam } => {
            let member = p.rds_superuser.unwrap_or(false);
            let mut a = item(
                "rds_superuser",
                p.superuser || member,
                "is a member of rds_superuser",
                match p.rds_superuser {
                    None => "this server has no rds_superuser role: is it RDS?".into(),
                    Some(true) => "manages other roles' grants as RDS allows".into(),
                    Some(false) => "on RDS, managing other roles' grants needs rds_superuser (the master user's role)".into(),
                },
            );
            if !a.ok && p.rds_superuser.is_some() {
                a.fix = Some("as the master user".into());
                a.fix_sql = Some(format!("GRANT rds_superuser TO {user};"));
            }
            out.push(a);
            if iam {
                // The login worked with a token, so the user is in rds_iam.
                out.push(item(
                    "rds_iam",
                    true,
                    "logs in with IAM tokens (rds_iam)",
                    "the IAM token was accepted".into(),
                ));
            }
        }
        Platform::Azure { entra } => {
            let member = p.azure_pg_admin.unwrap_or(false);
            let mut a = item(
                "azure_pg_admin",
                member,
                "is a member of azure_pg_admin",
                match p.azure_pg_admin {
                    None => "this server has no azure_pg_admin role: is it Azure Database for PostgreSQL?".into(),
                    Some(true) => "may manage roles and grants as Azure allows".into(),
                    Some(false) => "on Azure, creating roles and granting across databases needs azure_pg_admin".into(),
                },
            );
            if !a.ok && p.azure_pg_admin.is_some() {
                a.fix = Some(format!("as {admin}"));
                a.fix_sql = Some(format!("GRANT azure_pg_admin TO {user};"));
            }
            out.push(a);
            if entra {
                out.push(item(
                    "entra_principal",
                    true,
                    "is a Microsoft Entra principal",
                    "the Entra ID token was accepted".into(),
                ));
            }
        }
    }
    out
}
