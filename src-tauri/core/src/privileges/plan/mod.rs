//! Plans: staged changes turned into an ordered SQL script (every statement from
//! [`super::render`]), with the effective access before and after, no-ops dropped and warnings.
//!
//! The plan is computed against a snapshot; the same statements are what a dry run and an apply
//! execute, byte for byte. `change` holds what can be staged, `resolve` finds the objects a target
//! names, `simulate` applies the changes to a copy of the snapshot and renders them, `diff`
//! compares effective access before and after, `fingerprint` guards the apply.

mod change;
mod diff;
mod fingerprint;
mod simulate;
#[cfg(test)]
mod tests;

pub use change::{Change, NewPassword, Target};
pub use fingerprint::{fingerprint, fingerprint_scoped};

use super::engine::{explain_reasons, Engine};
use super::inspect::Snapshot;
use super::render;
use super::{display_role, ObjectKind, Privilege, PUBLIC};
use crate::error::{Error, Result};
use crate::secrets::Secret;
use serde::Serialize;
use simulate::Builder;
use std::collections::BTreeSet;
use ts_rs::TS;

/// One statement of the script, with why it is there.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PlannedStatement {
    pub sql: String,
    pub purpose: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum AccessDelta {
    Gained,
    Lost,
}

/// One change in effective access: `role` (or [`super::PUBLIC_NAME`]) gains or loses `privilege` on `object`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, TS)]
pub struct AccessChange {
    pub role: String,
    pub object: String,
    pub kind: ObjectKind,
    pub privilege: Privilege,
    pub delta: AccessDelta,
}

/// The plan: the script, its effect and what to watch out for.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Plan {
    pub database: String,
    pub statements: Vec<PlannedStatement>,
    /// The statements as one script, exactly as executed.
    pub script: String,
    pub access_changes: Vec<AccessChange>,
    pub warnings: Vec<String>,
    /// Steps the connecting role cannot carry out, each with its fix: apply refuses the plan
    /// while there is one (a dry run shows what would happen).
    pub blocking: Vec<String>,
    /// Changes left out because they would change nothing.
    pub noops: Vec<String>,
    /// Identifies the inspected state the plan was computed against; apply refuses a database
    /// whose state differs.
    pub fingerprint: String,
    /// Oids of the objects the fingerprint covers (with roles, memberships and default
    /// privileges); `None`: the whole database.
    #[ts(type = "Array<number> | null")]
    pub scope: Option<Vec<i64>>,
    /// Roles whose generated password is shown once after apply.
    pub generated_passwords_for: Vec<String>,
    #[serde(skip)]
    #[ts(skip)]
    pub passwords: Vec<(String, Secret, NewPassword)>,
    /// Grant options and ADMIN options the plan gives or takes (not access itself, so not in
    /// `access_changes`): checked inside the transaction too.
    #[serde(skip)]
    #[ts(skip)]
    pub option_changes: Vec<OptionChange>,
}

/// A grant option, or an ADMIN OPTION on a role, that a plan gives (`holds`) or takes away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum OptionChange {
    /// `grantee` holds `privilege` WITH GRANT OPTION on `object` (from any grantor).
    Grant {
        kind: ObjectKind,
        object: String,
        grantee: String,
        privilege: super::Privilege,
        holds: bool,
    },
    /// `member` holds ADMIN OPTION on `role` (from any grantor).
    Admin {
        role: String,
        member: String,
        holds: bool,
    },
}

impl Plan {
    /// The script with a comment line before each statement saying why it is there, and the
    /// no-ops at the end, for people and for files (`grantry plan` prints it). Comments are
    /// escaped, so no name in them can end one and become SQL.
    pub fn annotated_script(&self) -> String {
        let mut out = if self.statements.is_empty() {
            crate::quote::comment("nothing to do") + "\n"
        } else {
            render::script(
                self.statements
                    .iter()
                    .map(|s| (s.sql.as_str(), Some(s.purpose.as_str()))),
            )
        };
        for n in &self.noops {
            out.push_str(&crate::quote::comment(&format!("skipped (no-op): {n}")));
            out.push('\n');
        }
        out
    }
}

/// Computes the plan for `changes` against `snap` (which it does not modify).
pub fn plan(snap: &Snapshot, changes: &[Change]) -> Result<Plan> {
    if changes.is_empty() {
        return Err(Error::invalid("the plan has no changes"));
    }
    let mut b = Builder {
        before: snap,
        after: snap.clone(),
        statements: Vec::new(),
        noops: Vec::new(),
        warnings: Vec::new(),
        blocking: Vec::new(),
        touched: BTreeSet::new(),
        members_touched: BTreeSet::new(),
        passwords: Vec::new(),
        next_oid: 0,
        my_privileges: Default::default(),
        names: super::resolve::name_index(snap),
        reach: std::collections::HashMap::new(),
        whole_database: false,
    };
    // What the connector could not read is missing from the access changes below too.
    b.warnings.extend(snap.unreadable.iter().map(|u| {
        format!("the inspection is incomplete, so the access changes may miss some: {u}")
    }));
    for c in changes {
        check_privileges_given(c)?;
        match c {
            Change::Grant {
                privileges,
                on,
                to,
                with_grant_option,
                granted_by,
            } => b.grant(
                privileges,
                on,
                to,
                *with_grant_option,
                granted_by.as_deref(),
            )?,
            Change::Revoke {
                privileges,
                on,
                from,
                grant_option_only,
                cascade,
                granted_by,
            } => match granted_by {
                Some(by) => {
                    b.revoke_granted_by(privileges, on, from, by, *grant_option_only, *cascade)?
                }
                None => b.revoke(privileges, on, from, *grant_option_only, *cascade)?,
            },
            Change::GrantRole {
                role,
                to,
                admin,
                inherit,
                set,
                granted_by,
            } => b.grant_role(role, to, *admin, *inherit, *set, granted_by.as_deref())?,
            Change::RevokeRole {
                role,
                from,
                granted_by,
                admin_option_only,
            } => b.revoke_role(
                role,
                from,
                granted_by.as_deref(),
                admin_option_only.unwrap_or(false),
            )?,
            Change::CreateRole {
                name,
                login,
                password,
                valid_until,
                in_roles,
                createrole,
            } => b.create_role(
                name,
                render::RoleAttributes {
                    login: *login,
                    createrole: createrole.unwrap_or(false),
                },
                *password,
                valid_until.as_deref(),
                in_roles,
            )?,
            Change::DefaultPrivileges {
                grant,
                for_role,
                in_schema,
                on,
                privileges,
                roles,
                with_grant_option,
            } => b.default_privileges(
                *grant,
                for_role.as_deref(),
                in_schema.as_deref(),
                *on,
                privileges,
                roles,
                *with_grant_option,
            )?,
            Change::Read { on, to } => b.shortcut(on, to, &[Privilege::Select])?,
            Change::Write { on, to } => b.shortcut(
                on,
                to,
                &[
                    Privilege::Insert,
                    Privilege::Update,
                    Privilege::Delete,
                    Privilege::Truncate,
                ],
            )?,
        }
    }
    let access_changes = diff::diff(&b);
    // "Revoking X from alice removes nothing: she still gets it through analysts".
    let after_engine = Engine::new(&b.after);
    for c in changes {
        if let Change::Revoke {
            privileges,
            on,
            from,
            grant_option_only: false,
            ..
        } = c
        {
            let Ok(objs) = super::resolve::target(&b.after, &b.names, on) else {
                continue;
            };
            for g in from {
                let Some(oid) = b.role_oid(g) else { continue };
                if oid == PUBLIC as i64 {
                    continue;
                }
                for &o in objs.iter().take(50) {
                    for p in privileges {
                        if let Some(reasons) = after_engine.can(oid, o, *p) {
                            b.warnings.push(format!(
                                "revoking {} on {} from {g} removes nothing: {g} still gets it {}",
                                p.sql(),
                                b.after.objects[o].label(),
                                explain_reasons(&reasons),
                                g = display_role(g)
                            ));
                        }
                    }
                }
            }
        }
    }
    let option_changes = option_changes(&b);
    b.statements.sort_by_key(|(order, _)| *order);
    let statements: Vec<PlannedStatement> = b.statements.into_iter().map(|(_, s)| s).collect();
    let script = render::script(statements.iter().map(|s| (s.sql.as_str(), None)));
    let warnings = first_of_each(b.warnings);
    let scope = if b.whole_database {
        None
    } else {
        let mut oids: Vec<i64> = b
            .touched
            .iter()
            .map(|(o, _)| b.after.objects[*o].oid)
            .filter(|oid| *oid > 0)
            .collect();
        oids.sort_unstable();
        oids.dedup();
        Some(oids)
    };
    Ok(Plan {
        database: snap.database.clone(),
        generated_passwords_for: b.passwords.iter().map(|(n, _, _)| n.clone()).collect(),
        passwords: b.passwords,
        statements,
        script,
        access_changes,
        warnings,
        blocking: first_of_each(b.blocking),
        noops: b.noops,
        fingerprint: fingerprint_scoped(snap, scope.as_deref()),
        scope,
        option_changes,
    })
}

/// The grant options and ADMIN options the plan changes: on the objects and privileges it
/// touches, and the memberships of the members it touches, before against after.
fn option_changes(b: &simulate::Builder) -> Vec<OptionChange> {
    let name = |snap: &super::inspect::Snapshot, oid: i64| {
        snap.roles
            .iter()
            .find(|r| r.oid == oid)
            .map(|r| r.name.clone())
    };
    let mut out = Vec::new();
    for &(o, p) in &b.touched {
        let after = &b.after.objects[o];
        let before = b
            .before
            .objects
            .get(o)
            .filter(|x| x.oid == after.oid && x.kind == after.kind);
        let holders = |acl: &[super::inspect::AclEntry]| -> BTreeSet<i64> {
            acl.iter()
                .filter(|e| e.privilege == p && e.grantable && e.grantee != super::PUBLIC as i64)
                .map(|e| e.grantee)
                .collect()
        };
        let was = before.map(|x| holders(&x.acl)).unwrap_or_default();
        let now = holders(&after.acl);
        for (r, holds) in now
            .difference(&was)
            .map(|r| (*r, true))
            .chain(was.difference(&now).map(|r| (*r, false)))
        {
            // The owner's options are implicit: never lost, never needed.
            if r == after.owner {
                continue;
            }
            if let Some(grantee) = name(&b.after, r) {
                out.push(OptionChange::Grant {
                    kind: after.kind,
                    object: after.label(),
                    grantee,
                    privilege: p,
                    holds,
                });
            }
        }
    }
    for &m in &b.members_touched {
        let admins = |snap: &super::inspect::Snapshot| -> BTreeSet<i64> {
            snap.memberships
                .iter()
                .filter(|x| x.member == m && x.admin)
                .map(|x| x.role)
                .collect()
        };
        let was = admins(b.before);
        let now = admins(&b.after);
        for (r, holds) in now
            .difference(&was)
            .map(|r| (*r, true))
            .chain(was.difference(&now).map(|r| (*r, false)))
        {
            if let (Some(role), Some(member)) = (name(&b.after, r), name(&b.after, m)) {
                out.push(OptionChange::Admin {
                    role,
                    member,
                    holds,
                });
            }
        }
    }
    out.sort_by_key(|c| format!("{c:?}"));
    out
}

/// `v` without repeats, in the order first seen (a warning raised per object reads once).
fn first_of_each(mut v: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    v.retain(|x| seen.insert(x.clone()));
    v
}

fn check_privileges_given(c: &Change) -> Result<()> {
    let empty = match c {
        Change::Grant { privileges, to, .. } => privileges.is_empty() || to.is_empty(),
        Change::Revoke {
            privileges, from, ..
        } => privileges.is_empty() || from.is_empty(),
        Change::DefaultPrivileges {
            privileges, roles, ..
        } => privileges.is_empty() || roles.is_empty(),
        _ => false,
    };
    if empty {
        return Err(Error::invalid(
            "a grant or revoke needs at least one privilege and one role",
        ));
    }
    Ok(())
}
