//! What a DBA stages: changes and their targets, as data (IPC, `--file`, documents).

use super::super::inspect::DefaultObjectType;
use super::super::{ObjectKind, Privilege};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a change applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "scope", rename_all = "snake_case")]
#[ts(tag = "scope", rename_all = "snake_case")]
pub enum Target {
    /// One object. `schema` for schema-qualified kinds; `args` (identity arguments, e.g. "integer,
    /// text") for functions and procedures; `columns` for column privileges on a table.
    Object {
        kind: ObjectKind,
        #[serde(default)]
        schema: Option<String>,
        name: String,
        #[serde(default)]
        args: Option<String>,
        #[serde(default)]
        columns: Vec<String>,
    },
    /// Every object of a kind in a schema: tables (with views and the like), sequences, functions
    /// or procedures.
    AllInSchema { kind: ObjectKind, schema: String },
}

/// How a new role's password is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum NewPassword {
    /// No password (NOLOGIN roles, certificate or IAM logins).
    #[default]
    None,
    /// Generated, stored as a SCRAM verifier, shown once after apply.
    GenerateShowOnce,
    /// Generated, stored as a SCRAM verifier, and saved in the OS keychain (never shown).
    GenerateToKeychain,
}

/// One change a DBA stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
#[ts(tag = "action", rename_all = "snake_case")]
pub enum Change {
    Grant {
        privileges: Vec<Privilege>,
        on: Target,
        to: Vec<String>,
        #[serde(default)]
        with_grant_option: bool,
        /// Grant as this role (SET ROLE), so the grant is recorded under it: the owner, or a
        /// role holding the grant option. Absent: as the connecting role.
        #[serde(default)]
        #[ts(optional = nullable)]
        granted_by: Option<String>,
    },
    Revoke {
        privileges: Vec<Privilege>,
        on: Target,
        from: Vec<String>,
        /// REVOKE GRANT OPTION FOR: keep the privilege, drop the right to grant it.
        #[serde(default)]
        grant_option_only: bool,
        /// Also revoke what the grantees granted onwards.
        #[serde(default)]
        cascade: bool,
        /// Only the grants this role made, revoked as it (SET ROLE); absent: every grant of
        /// the privileges, each as its grantor.
        #[serde(default)]
        #[ts(optional = nullable)]
        granted_by: Option<String>,
    },
    GrantRole {
        role: String,
        to: String,
        #[serde(default)]
        admin: bool,
        /// 16+: WITH INHERIT TRUE/FALSE (absent: the server's default).
        #[serde(default)]
        inherit: Option<bool>,
        /// 16+: WITH SET TRUE/FALSE.
        #[serde(default)]
        set: Option<bool>,
        /// GRANTED BY: the grantor to record (16+: each grantor's grant is its own).
        #[serde(default)]
        #[ts(optional = nullable)]
        granted_by: Option<String>,
    },
    RevokeRole {
        role: String,
        from: String,
        /// Only this grantor's grant (16+); absent: every grant of the membership.
        #[serde(default)]
        #[ts(optional = nullable)]
        granted_by: Option<String>,
        /// REVOKE ADMIN OPTION FOR: keep the membership, drop the right to grant it.
        #[serde(default)]
        #[ts(optional = nullable)]
        admin_option_only: Option<bool>,
    },
    CreateRole {
        name: String,
        #[serde(default)]
        login: bool,
        #[serde(default)]
        password: NewPassword,
        /// VALID UNTIL, as PostgreSQL reads it ('2027-01-01', 'infinity').
        #[serde(default)]
        valid_until: Option<String>,
        #[serde(default)]
        in_roles: Vec<String>,
        /// CREATEROLE: the role may create roles and change memberships (a connector user).
        #[serde(default)]
        #[ts(optional)]
        createrole: Option<bool>,
    },
    DefaultPrivileges {
        grant: bool,
        #[serde(default)]
        for_role: Option<String>,
        #[serde(default)]
        in_schema: Option<String>,
        on: DefaultObjectType,
        privileges: Vec<Privilege>,
        roles: Vec<String>,
        #[serde(default)]
        with_grant_option: bool,
    },
    /// Shortcut: SELECT on the tables, plus USAGE on their schema and CONNECT on the database when
    /// missing, creating the grantee (NOLOGIN) when it does not exist.
    Read { on: Target, to: String },
    /// Shortcut: INSERT, UPDATE, DELETE, TRUNCATE on the tables, plus the same prerequisites.
    Write { on: Target, to: String },
}

impl Change {
    /// The object or schema a grant, revoke or read/write shortcut is on.
    pub fn target(&self) -> Option<&Target> {
        match self {
            Change::Grant { on, .. }
            | Change::Revoke { on, .. }
            | Change::Read { on, .. }
            | Change::Write { on, .. } => Some(on),
            _ => None,
        }
    }

    pub fn target_mut(&mut self) -> Option<&mut Target> {
        match self {
            Change::Grant { on, .. }
            | Change::Revoke { on, .. }
            | Change::Read { on, .. }
            | Change::Write { on, .. } => Some(on),
            _ => None,
        }
    }
}

impl Target {
    /// A routine named with its argument list: the server can make the list canonical.
    pub(crate) fn routine_args(&self) -> bool {
        matches!(self, Target::Object { kind, args: Some(_), .. } if kind.is_routine())
    }

    pub(super) fn columns(&self) -> &[String] {
        match self {
            Target::Object { columns, .. } => columns,
            _ => &[],
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Target::Object {
                schema,
                name,
                args,
                columns,
                kind,
            } => {
                let n = |x: &str| super::super::display_name(x);
                let mut s = match schema {
                    Some(sc) => format!("{}.{}", n(sc), n(name)),
                    None => n(name),
                };
                if matches!(
                    kind,
                    ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Aggregate
                ) {
                    s.push_str(&format!("({})", args.clone().unwrap_or_default()));
                }
                if !columns.is_empty() {
                    let cols: Vec<String> = columns.iter().map(|c| n(c)).collect();
                    s.push_str(&format!(" ({})", cols.join(", ")));
                }
                s
            }
            Target::AllInSchema { kind, schema } => {
                format!("every {kind:?} in schema {schema}").to_lowercase()
            }
        }
    }
}
