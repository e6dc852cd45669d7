//! Plans: staged changes turned into an ordered SQL script (every identifier through
//! [`crate::quote`]), with the effective access before and after, no-ops dropped and warnings.
//!
//! The plan is computed against a snapshot; the same statements are what a dry run and an apply
//! execute, byte for byte.

use super::explain::{Engine, Reason};
use super::inspect::{
    same_args, AclEntry, DbObject, DefaultAcl, DefaultObjectType, Membership, Role, Snapshot,
};
use super::render::{self, MembershipOptions, NewRole};
use super::{display_role, is_public, public_hint, ObjectKind, Privilege, PUBLIC};
use crate::error::{Error, Result};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
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
    },
    RevokeRole {
        role: String,
        from: String,
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
    Read {
        on: Target,
        to: String,
    },
    /// Shortcut: INSERT, UPDATE, DELETE, TRUNCATE on the tables, plus the same prerequisites.
    Write {
        on: Target,
        to: String,
    },
}

/// One statement of the script, with why it is there.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PlannedStatement {
    pub sql: String,
    pub purpose: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum AccessDelta {
    Gained,
    Lost,
}

/// One change in effective access: `role` (or [`super::PUBLIC_NAME`]) gains or loses `privilege` on `object`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
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

/// A stable hash of everything in a snapshot that a plan depends on: roles, memberships,
/// default privileges, and the objects of `scope` (every object when `None`).
pub fn fingerprint(s: &Snapshot) -> String {
    fingerprint_scoped(s, None)
}

pub fn fingerprint_scoped(s: &Snapshot, scope: Option<&[i64]>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut roles: Vec<&Role> = s.roles.iter().collect();
    roles.sort_by_key(|r| r.oid);
    for r in roles {
        h.update(format!(
            "R{}:{}:{}{}{}{}{}{}{}:{}:{:?}\n",
            r.oid,
            r.name,
            r.superuser,
            r.inherit,
            r.createrole,
            r.createdb,
            r.login,
            r.replication,
            r.bypassrls,
            r.connection_limit,
            r.valid_until
        ));
    }
    let mut ms: Vec<&Membership> = s.memberships.iter().collect();
    ms.sort_by_key(|m| (m.role, m.member, m.grantor));
    for m in ms {
        h.update(format!(
            "M{}:{}:{}:{}{}{}\n",
            m.role, m.member, m.grantor, m.admin, m.inherit, m.set
        ));
    }
    let in_scope = |o: &DbObject| scope.is_none_or(|sc| sc.binary_search(&o.oid).is_ok());
    let mut objs: Vec<&DbObject> = s.objects.iter().filter(|o| in_scope(o)).collect();
    objs.sort_by_key(|o| (o.kind, o.oid, o.subid));
    for o in objs {
        let mut acl: Vec<&AclEntry> = o.acl.iter().collect();
        acl.sort_by_key(|e| (e.grantee, e.grantor, e.privilege, e.grantable));
        h.update(format!(
            "O{:?}:{}:{}:{}:{:?}:{}:{:?}\n",
            o.kind, o.oid, o.subid, o.owner, o.schema, o.name, acl
        ));
    }
    let mut d: Vec<String> = s
        .default_acls
        .iter()
        .map(|d| format!("D{}:{:?}:{:?}:{:?}", d.role, d.schema, d.object_type, d.acl))
        .collect();
    d.sort();
    for x in d {
        h.update(x);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Target {
    fn columns(&self) -> &[String] {
        match self {
            Target::Object { columns, .. } => columns,
            _ => &[],
        }
    }

    fn describe(&self) -> String {
        match self {
            Target::Object {
                schema,
                name,
                args,
                columns,
                kind,
            } => {
                let mut s = match schema {
                    Some(sc) => format!("{sc}.{name}"),
                    None => name.clone(),
                };
                if matches!(
                    kind,
                    ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Aggregate
                ) {
                    s.push_str(&format!("({})", args.clone().unwrap_or_default()));
                }
                if !columns.is_empty() {
                    s.push_str(&format!(" ({})", columns.join(", ")));
                }
                s
            }
            Target::AllInSchema { kind, schema } => {
                format!("every {kind:?} in schema {schema}").to_lowercase()
            }
        }
    }
}

fn matches_kind(target: ObjectKind, actual: ObjectKind) -> bool {
    use ObjectKind::*;
    match target {
        Table => matches!(
            actual,
            Table | PartitionedTable | View | MaterializedView | ForeignTable
        ),
        Function => matches!(actual, Function | Aggregate),
        Type => matches!(actual, Type | Domain),
        k => k == actual,
    }
}

/// The snapshot objects a target names (before column expansion). Errors when nothing matches.
/// Objects by (schema, name), built once per plan: resolving 10,000 targets must not scan
/// 100,000 objects each time.
type NameIndex = std::collections::HashMap<(Option<String>, String), Vec<usize>>;

fn name_index(snap: &Snapshot) -> NameIndex {
    let mut m: NameIndex = std::collections::HashMap::new();
    for (i, o) in snap.objects.iter().enumerate() {
        if o.kind != ObjectKind::Column {
            m.entry((o.schema.clone(), o.name.clone()))
                .or_default()
                .push(i);
        }
    }
    m
}

fn resolve(snap: &Snapshot, index: &NameIndex, t: &Target) -> Result<Vec<usize>> {
    let found: Vec<usize> = match t {
        Target::Object {
            kind,
            schema,
            name,
            args,
            ..
        } => index
            .get(&(schema.clone(), name.clone()))
            .map(|v| v.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|&i| (i, &snap.objects[i]))
            .filter(|(_, o)| {
                o.kind != ObjectKind::Column
                    && matches_kind(*kind, o.kind)
                    && &o.name == name
                    && o.schema.as_deref() == schema.as_deref()
                    && (!matches!(
                        kind,
                        ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Aggregate
                    ) || same_args(args.as_deref(), o.detail.as_deref()))
            })
            .map(|(i, _)| i)
            .collect(),
        Target::AllInSchema { kind, schema } => snap
            .objects
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                o.kind != ObjectKind::Column
                    && matches_kind(*kind, o.kind)
                    && o.schema.as_deref() == Some(schema)
            })
            .map(|(i, _)| i)
            .collect(),
    };
    if found.is_empty() {
        if let Target::Object { .. } = t {
            return Err(Error::not_found(format!("no {}", t.describe())));
        }
    }
    Ok(found)
}

struct Builder<'s> {
    before: &'s Snapshot,
    after: Snapshot,
    statements: Vec<(u8, PlannedStatement)>,
    noops: Vec<String>,
    warnings: Vec<String>,
    touched: BTreeSet<(usize, Privilege)>,
    members_touched: BTreeSet<i64>,
    passwords: Vec<(String, Secret, NewPassword)>,
    next_oid: i64,
    /// Whether the current user is a superuser, and the roles whose privileges it has: decides
    /// the grantor PostgreSQL records. Reset when roles or memberships change.
    my_privileges: Option<(bool, BTreeSet<i64>)>,
    names: NameIndex,
    /// How many roles inherit from a grantee (for the "also reaches" warning), per grantee.
    reach: std::collections::HashMap<i64, usize>,
    /// A grant on every object of a kind in a schema also reaches objects created later: such
    /// plans check the whole database before applying.
    whole_database: bool,
}

// Statement order: roles first, then memberships, databases, schemas, objects, revokes, defaults.
const ORDER_ROLE: u8 = 0;
const ORDER_MEMBERSHIP: u8 = 1;
const ORDER_DATABASE: u8 = 2;
const ORDER_SCHEMA: u8 = 3;
const ORDER_OBJECT: u8 = 4;
const ORDER_REVOKE: u8 = 5;
const ORDER_DEFAULTS: u8 = 6;

impl<'s> Builder<'s> {
    /// The grantor PostgreSQL records for a GRANT/REVOKE on object `o` by the current user: the
    /// owner when the current user is a superuser or has the owner's privileges, else itself.
    fn grantor(&mut self, o: usize) -> i64 {
        let me = self.after.current_user;
        if self.my_privileges.is_none() {
            let e = Engine::new(&self.after);
            let su = e.role(me).is_some_and(|r| r.superuser);
            self.my_privileges = Some((su, e.inherited_roles(me).into_iter().collect()));
        }
        let owner = self.after.objects[o].owner;
        let (su, mine) = self.my_privileges.as_ref().unwrap();
        if *su || mine.contains(&owner) {
            owner
        } else {
            me
        }
    }

    fn role_oid(&self, name: &str) -> Option<i64> {
        if is_public(name) {
            return Some(PUBLIC as i64);
        }
        self.after
            .roles
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.oid)
    }

    fn need_role(&self, name: &str) -> Result<i64> {
        self.role_oid(name)
            .ok_or_else(|| Error::not_found(format!("no role named {name:?}{}", public_hint(name))))
    }

    /// A role in a membership: PUBLIC can neither be granted nor be a member.
    fn need_member_role(&self, name: &str) -> Result<i64> {
        if is_public(name) {
            return Err(Error::invalid(
                "PUBLIC is not a role: it can neither be granted nor be a member",
            ));
        }
        self.need_role(name)
    }

    /// `ON ...` for a target whose first resolved object is `first`: a routine's signature is
    /// the catalog's identity argument list, not the text of the request.
    fn target_sql(&self, on: &Target, first: usize) -> String {
        let o = &self.after.objects[first];
        let args = (o.kind.is_routine() && matches!(on, Target::Object { .. }))
            .then_some(o.detail.as_deref())
            .flatten();
        render::target(on, args)
    }

    fn push(&mut self, order: u8, sql: String, purpose: String) {
        self.statements
            .push((order, PlannedStatement { sql, purpose }));
    }

    /// Column objects of a table for the named columns, created in `after` when they have no ACL yet.
    fn column_objects(&mut self, table: usize, columns: &[String]) -> Result<Vec<usize>> {
        let t = self.after.objects[table].clone();
        let mut out = Vec::new();
        for c in columns {
            let existing = self.after.objects.iter().position(|o| {
                o.kind == ObjectKind::Column && o.oid == t.oid && o.detail.as_deref() == Some(c)
            });
            let i = match existing {
                Some(i) => i,
                None => {
                    let subid = -(self.after.objects.len() as i32);
                    self.after
                        .objects
                        .push(DbObject::column_without_acl(&t, c, subid));
                    self.after.objects.len() - 1
                }
            };
            out.push(i);
        }
        Ok(out)
    }

    fn note_scope(&mut self, on: &Target) {
        if matches!(on, Target::AllInSchema { .. }) {
            self.whole_database = true;
        }
    }

    fn grant(
        &mut self,
        privileges: &[Privilege],
        on: &Target,
        to: &[String],
        with_grant_option: bool,
    ) -> Result<()> {
        self.note_scope(on);
        let objs = resolve(&self.after, &self.names, on)?;
        let version = self.after.version_num;
        for p in privileges {
            if let Some(&o) = objs.first() {
                let kind = if on.columns().is_empty() {
                    self.after.objects[o].kind
                } else {
                    ObjectKind::Column
                };
                if !kind.privileges(version).contains(*p) {
                    return Err(Error::invalid(format!(
                        "{} does not apply to {} on this server",
                        p.sql(),
                        on.describe()
                    )));
                }
            }
        }
        for g in to {
            let grantee = self.need_role(g)?;
            let mut targets = objs.clone();
            if !on.columns().is_empty() {
                targets = self.column_objects(objs[0], on.columns())?;
            }
            let mut changed = false;
            for &o in &targets {
                let grantor = self.grantor(o);
                for p in privileges {
                    let acl = &mut self.after.objects[o].acl;
                    match acl
                        .iter_mut()
                        .find(|e| e.grantee == grantee && e.grantor == grantor && e.privilege == *p)
                    {
                        Some(e) if e.grantable || !with_grant_option => {}
                        Some(e) => {
                            e.grantable = true;
                            changed = true;
                        }
                        None => {
                            acl.push(AclEntry {
                                grantee,
                                grantor,
                                privilege: *p,
                                grantable: with_grant_option,
                            });
                            changed = true;
                        }
                    }
                    self.touched.insert((o, *p));
                }
            }
            let what = format!(
                "GRANT {} ON {} TO {}",
                render::privileges(privileges, &[]),
                on.describe(),
                display_role(g)
            );
            if !changed {
                self.noops.push(format!("{what}: already granted"));
                continue;
            }
            let kind = self.after.objects[objs[0]].kind;
            let order = match kind {
                ObjectKind::Database => ORDER_DATABASE,
                ObjectKind::Schema => ORDER_SCHEMA,
                _ => ORDER_OBJECT,
            };
            let sql = render::grant(
                &self.target_sql(on, objs[0]),
                &render::privileges(privileges, on.columns()),
                std::slice::from_ref(g),
                with_grant_option,
            );
            self.push(order, sql, what);
            if grantee != PUBLIC as i64 {
                let reach = match self.reach.get(&grantee) {
                    Some(n) => *n,
                    None => {
                        let e = Engine::new(&self.after);
                        let n = e
                            .inheritors(grantee)
                            .into_iter()
                            .filter(|r| e.role(*r).is_some_and(|x| !x.superuser))
                            .count();
                        self.reach.insert(grantee, n);
                        n
                    }
                };
                if reach > 0 {
                    self.warnings.push(format!(
                        "granting to {g} also reaches {reach} role(s) that inherit from it",
                        g = display_role(g)
                    ));
                }
            }
        }
        Ok(())
    }

    fn revoke(
        &mut self,
        privileges: &[Privilege],
        on: &Target,
        from: &[String],
        grant_option_only: bool,
        cascade: bool,
    ) -> Result<()> {
        self.note_scope(on);
        let objs = resolve(&self.after, &self.names, on)?;
        for g in from {
            let grantee = self.need_role(g)?;
            let targets = if on.columns().is_empty() {
                objs.clone()
            } else {
                self.column_objects(objs[0], on.columns())?
            };
            let mut changed = false;
            for &o in &targets {
                let grantor = self.grantor(o);
                for p in privileges {
                    self.touched.insert((o, *p));
                    let acl = &mut self.after.objects[o].acl;
                    let before = acl.len();
                    if grant_option_only {
                        for e in acl.iter_mut().filter(|e| {
                            e.grantee == grantee
                                && e.grantor == grantor
                                && e.privilege == *p
                                && e.grantable
                        }) {
                            e.grantable = false;
                            changed = true;
                        }
                    } else {
                        acl.retain(|e| {
                            !(e.grantee == grantee && e.grantor == grantor && e.privilege == *p)
                        });
                        changed |= acl.len() != before;
                    }
                    let dependent: Vec<i64> = acl
                        .iter()
                        .filter(|e| e.grantor == grantee && e.privilege == *p)
                        .map(|e| e.grantee)
                        .collect();
                    if !dependent.is_empty() && acl.len() != before
                        || (grant_option_only && !dependent.is_empty())
                    {
                        if cascade {
                            acl.retain(|e| !(e.grantor == grantee && e.privilege == *p));
                        } else {
                            self.warnings.push(format!(
                                "{g} granted {} on {} to others: the REVOKE fails unless it cascades",
                                p.sql(),
                                self.after.objects[o].label(),
                                g = display_role(g)
                            ));
                        }
                    }
                    let others: Vec<String> = self.after.objects[o]
                        .acl
                        .iter()
                        .filter(|e| {
                            e.grantee == grantee && e.privilege == *p && e.grantor != grantor
                        })
                        .filter_map(|e| {
                            self.after
                                .roles
                                .iter()
                                .find(|r| r.oid == e.grantor)
                                .map(|r| r.name.clone())
                        })
                        .collect();
                    if !others.is_empty() && !grant_option_only {
                        self.warnings.push(format!(
                            "{g} keeps {} on {} granted by {}: a REVOKE only removes grants made by the owner",
                            p.sql(),
                            self.after.objects[o].label(),
                            others.join(", "),
                            g = display_role(g)
                        ));
                    }
                }
            }
            let what = format!(
                "REVOKE {} ON {} FROM {}",
                render::privileges(privileges, &[]),
                on.describe(),
                display_role(g)
            );
            if !changed {
                self.noops.push(format!("{what}: nothing to revoke"));
                continue;
            }
            let sql = match objs.first() {
                Some(&o) => render::revoke(
                    &self.target_sql(on, o),
                    &render::privileges(privileges, on.columns()),
                    std::slice::from_ref(g),
                    grant_option_only,
                    cascade,
                ),
                None => continue,
            };
            self.push(ORDER_REVOKE, sql, what);
        }
        Ok(())
    }

    fn grant_role(
        &mut self,
        role: &str,
        to: &str,
        admin: bool,
        inherit: Option<bool>,
        set: Option<bool>,
    ) -> Result<()> {
        let r = self.need_member_role(role)?;
        let m = self.need_member_role(to)?;
        let v16 = self.after.version_num >= 160000;
        if !v16 && (inherit.is_some() || set.is_some()) {
            return Err(Error::invalid(
                "INHERIT and SET options on a membership need PostgreSQL 16 or newer",
            ));
        }
        let member_inherit = self
            .after
            .roles
            .iter()
            .find(|x| x.oid == m)
            .map(|x| x.inherit)
            .unwrap_or(true);
        let inherit_v = inherit.unwrap_or(member_inherit);
        let set_v = set.unwrap_or(true);
        let grantor = self.after.current_user;
        let existing = self
            .after
            .memberships
            .iter_mut()
            .find(|x| x.role == r && x.member == m && (x.grantor == grantor || !v16));
        let what = format!("GRANT {} TO {}", display_role(role), display_role(to));
        match existing {
            Some(x)
                if x.admin == (x.admin || admin)
                    && (!v16 || (x.inherit == inherit_v && x.set == set_v)) =>
            {
                self.noops.push(format!("{what}: already a member"));
                return Ok(());
            }
            Some(x) => {
                x.admin |= admin;
                if v16 {
                    x.inherit = inherit_v;
                    x.set = set_v;
                }
            }
            None => self.after.memberships.push(Membership {
                role: r,
                member: m,
                grantor,
                admin,
                inherit: inherit_v,
                set: set_v,
            }),
        }
        self.push(
            ORDER_MEMBERSHIP,
            render::grant_role(
                role,
                to,
                &MembershipOptions {
                    admin,
                    inherit,
                    set,
                    v16,
                },
            ),
            what,
        );
        self.members_touched.insert(m);
        self.my_privileges = None;
        self.reach.clear();
        Ok(())
    }

    fn revoke_role(&mut self, role: &str, from: &str) -> Result<()> {
        let r = self.need_member_role(role)?;
        let m = self.need_member_role(from)?;
        let before = self.after.memberships.len();
        self.after
            .memberships
            .retain(|x| !(x.role == r && x.member == m));
        let what = format!("REVOKE {} FROM {}", display_role(role), display_role(from));
        if self.after.memberships.len() == before {
            self.noops.push(format!("{what}: not a member"));
            return Ok(());
        }
        self.push(ORDER_MEMBERSHIP, render::revoke_role(role, from), what);
        self.members_touched.insert(m);
        self.my_privileges = None;
        self.reach.clear();
        Ok(())
    }

    fn create_role(
        &mut self,
        name: &str,
        login: bool,
        password: NewPassword,
        valid_until: Option<&str>,
        in_roles: &[String],
    ) -> Result<()> {
        if name.is_empty() || name.len() > 63 {
            return Err(Error::invalid("a role name has 1 to 63 bytes"));
        }
        if is_public(name) || name == "none" {
            return Err(Error::invalid(format!(
                "the role name {name:?} is reserved by PostgreSQL"
            )));
        }
        if self.role_oid(name).is_some() {
            self.noops.push(format!(
                "CREATE ROLE {}: the role exists",
                display_role(name)
            ));
            return Ok(());
        }
        if name.starts_with("pg_") {
            return Err(Error::invalid("role names starting with pg_ are reserved"));
        }
        for g in in_roles {
            self.need_member_role(g)?;
        }
        let verifier = (password != NewPassword::None).then(|| {
            let secret = Secret::generate(24);
            let v = super::scram::verifier(secret.expose());
            self.passwords.push((name.to_string(), secret, password));
            v
        });
        if let Some(v) = valid_until {
            chrono::DateTime::parse_from_rfc3339(v)
                .map(|_| ())
                .or_else(|_| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").map(|_| ()))
                .or_else(|_| if v == "infinity" { Ok(()) } else { Err(()) })
                .map_err(|_| {
                    Error::invalid(format!(
                        "VALID UNTIL {v:?} is not a date (YYYY-MM-DD), a timestamp or infinity"
                    ))
                })?;
        }
        let sql = render::create_role(&NewRole {
            name,
            login,
            verifier: verifier.as_deref(),
            valid_until,
            in_roles,
        });
        self.next_oid -= 1;
        let oid = self.next_oid;
        self.after.roles.push(Role {
            oid,
            name: name.to_string(),
            superuser: false,
            inherit: true,
            createrole: false,
            createdb: false,
            login,
            replication: false,
            bypassrls: false,
            connection_limit: -1,
            valid_until: valid_until.map(String::from),
            comment: None,
        });
        for g in in_roles {
            let r = self.need_role(g)?;
            self.after.memberships.push(Membership {
                role: r,
                member: oid,
                grantor: self.after.current_user,
                admin: false,
                inherit: true,
                set: true,
            });
        }
        self.my_privileges = None;
        self.reach.clear();
        self.push(
            ORDER_ROLE,
            sql,
            format!("create role {}", display_role(name)),
        );
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn default_privileges(
        &mut self,
        grant: bool,
        for_role: Option<&str>,
        in_schema: Option<&str>,
        on: DefaultObjectType,
        privileges: &[Privilege],
        roles: &[String],
        with_grant_option: bool,
    ) -> Result<()> {
        let owner = match for_role {
            Some(r) => self.need_member_role(r)?,
            None => self.after.current_user,
        };
        if let Some(s) = in_schema {
            if !self
                .after
                .objects
                .iter()
                .any(|o| o.kind == ObjectKind::Schema && o.name == s)
            {
                return Err(Error::not_found(format!("no schema named {s:?}")));
            }
        }
        let mut grantees = Vec::new();
        for g in roles {
            grantees.push(self.need_role(g)?);
        }
        let rule = match self.after.default_acls.iter().position(|d| {
            d.role == owner && d.schema.as_deref() == in_schema && d.object_type == on
        }) {
            Some(i) => i,
            None => {
                self.after.default_acls.push(DefaultAcl {
                    role: owner,
                    schema: in_schema.map(String::from),
                    object_type: on,
                    acl: Vec::new(),
                });
                self.after.default_acls.len() - 1
            }
        };
        let mut changed = false;
        for &g in &grantees {
            for p in privileges {
                let acl = &mut self.after.default_acls[rule].acl;
                let present = acl.iter().any(|e| e.grantee == g && e.privilege == *p);
                if grant && !present {
                    acl.push(AclEntry {
                        grantee: g,
                        grantor: owner,
                        privilege: *p,
                        grantable: with_grant_option,
                    });
                    changed = true;
                } else if !grant && present {
                    acl.retain(|e| !(e.grantee == g && e.privilege == *p));
                    changed = true;
                }
            }
        }
        // Global rules start from the built-in defaults (PUBLIC EXECUTE on functions, USAGE on
        // types): revoking those is a change even without a stored rule.
        if !grant && in_schema.is_none() && !changed && roles.iter().any(|r| is_public(r)) {
            changed = matches!(on, DefaultObjectType::Functions | DefaultObjectType::Types);
        }
        let what = format!(
            "default privileges{}{}: {} {} ON {} {} {}",
            for_role
                .map(|r| format!(" for {}", display_role(r)))
                .unwrap_or_default(),
            in_schema.map(|s| format!(" in {s}")).unwrap_or_default(),
            if grant { "GRANT" } else { "REVOKE" },
            render::privileges(privileges, &[]),
            on.sql(),
            if grant { "TO" } else { "FROM" },
            roles
                .iter()
                .map(|r| display_role(r))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !changed {
            self.noops.push(format!("{what}: already so"));
            return Ok(());
        }
        let sql = render::default_privileges(
            for_role,
            in_schema,
            grant,
            on,
            &render::privileges(privileges, &[]),
            roles,
            with_grant_option,
        );
        self.push(ORDER_DEFAULTS, sql, what);
        Ok(())
    }

    /// Read/write shortcuts: the privileges plus what makes them usable.
    fn shortcut(&mut self, on: &Target, to: &str, privileges: &[Privilege]) -> Result<()> {
        if self.role_oid(to).is_none() {
            self.create_role(to, false, NewPassword::None, None, &[])?;
        }
        let schema = match on {
            Target::Object {
                schema: Some(s), ..
            }
            | Target::AllInSchema { schema: s, .. } => s.clone(),
            _ => return Err(Error::invalid("read and write apply to tables of a schema")),
        };
        let oid = self.need_role(to)?;
        let database = self.after.database.clone();
        // CONNECT on the database and USAGE on the schema, when the grantee lacks them.
        let prereqs = [
            (ObjectKind::Database, None, database, Privilege::Connect),
            (ObjectKind::Schema, None, schema, Privilege::Usage),
        ];
        for (kind, sch, name, p) in prereqs {
            let e = Engine::new(&self.after);
            let Some(i) = self
                .after
                .objects
                .iter()
                .position(|o| o.kind == kind && o.name == name)
            else {
                return Err(Error::not_found(
                    format!("no {kind:?} named {name:?}").to_lowercase(),
                ));
            };
            let has = e
                .privileges_of(oid)
                .is_some_and(|v| e.check(&v, i, p).is_some());
            if !has {
                self.grant(
                    &[p],
                    &Target::Object {
                        kind,
                        schema: sch,
                        name,
                        args: None,
                        columns: vec![],
                    },
                    &[to.to_string()],
                    false,
                )?;
            }
        }
        self.grant(privileges, on, &[to.to_string()], false)
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
        touched: BTreeSet::new(),
        members_touched: BTreeSet::new(),
        passwords: Vec::new(),
        next_oid: 0,
        my_privileges: None,
        names: name_index(snap),
        reach: std::collections::HashMap::new(),
        whole_database: false,
    };
    for c in changes {
        check_privileges_given(c)?;
        match c {
            Change::Grant {
                privileges,
                on,
                to,
                with_grant_option,
            } => b.grant(privileges, on, to, *with_grant_option)?,
            Change::Revoke {
                privileges,
                on,
                from,
                grant_option_only,
                cascade,
            } => b.revoke(privileges, on, from, *grant_option_only, *cascade)?,
            Change::GrantRole {
                role,
                to,
                admin,
                inherit,
                set,
            } => b.grant_role(role, to, *admin, *inherit, *set)?,
            Change::RevokeRole { role, from } => b.revoke_role(role, from)?,
            Change::CreateRole {
                name,
                login,
                password,
                valid_until,
                in_roles,
            } => b.create_role(name, *login, *password, valid_until.as_deref(), in_roles)?,
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
    let access_changes = diff(&b);
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
            let Ok(objs) = resolve(&b.after, &b.names, on) else {
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
    b.statements.sort_by_key(|(order, _)| *order);
    let statements: Vec<PlannedStatement> = b.statements.into_iter().map(|(_, s)| s).collect();
    let script = render::script(statements.iter().map(|s| (s.sql.as_str(), None)));
    let mut warnings = b.warnings;
    let mut seen = BTreeSet::new();
    warnings.retain(|w| seen.insert(w.clone()));
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
        noops: b.noops,
        fingerprint: fingerprint_scoped(snap, scope.as_deref()),
        scope,
    })
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

/// A short human explanation of reasons: "through analysts (alice → analysts)", "as PUBLIC", ...
pub fn explain_reasons(reasons: &[Reason]) -> String {
    let parts: Vec<String> = reasons
        .iter()
        .map(|r| match r {
            Reason::Superuser => "as a superuser".to_string(),
            Reason::Public { .. } => "through PUBLIC".to_string(),
            Reason::Grant {
                grantee,
                path,
                owner: true,
                ..
            } if path.len() == 1 => format!("as owner {grantee}"),
            Reason::Grant {
                grantee,
                path,
                default_rule: Some(rule),
                ..
            } if path.len() == 1 => {
                format!("directly (granted to {grantee}, by default privileges {rule})")
            }
            Reason::Grant { grantee, path, .. } if path.len() == 1 => {
                format!("directly (granted to {grantee})")
            }
            Reason::Grant { grantee, path, .. } => {
                format!("through {grantee} ({})", path.join(" → "))
            }
            Reason::Predefined { role, path } => format!("through {role} ({})", path.join(" → ")),
        })
        .collect();
    parts.join(", ")
}

/// Effective access before and after, for what the plan touches.
fn diff(b: &Builder) -> Vec<AccessChange> {
    let before = Engine::new(b.before);
    let after = Engine::new(&b.after);
    let mut out = BTreeSet::new();
    let holders = |e: &Engine, o: Option<usize>, p: Privilege| -> BTreeMap<String, ()> {
        let Some(o) = o else { return BTreeMap::new() };
        let w = e.who_can(o, p);
        let mut m: BTreeMap<String, ()> = w.roles.into_iter().map(|a| (a.role, ())).collect();
        if !w.public.is_empty() {
            m.insert(super::PUBLIC_NAME.into(), ());
        }
        m
    };
    for &(o, p) in &b.touched {
        let obj = &b.after.objects[o];
        let before_idx = (o < b.before.objects.len()).then_some(o);
        let (x, y) = (holders(&before, before_idx, p), holders(&after, Some(o), p));
        for r in y.keys().filter(|r| !x.contains_key(*r)) {
            out.insert(AccessChange {
                role: r.clone(),
                object: obj.label(),
                kind: obj.kind,
                privilege: p,
                delta: AccessDelta::Gained,
            });
        }
        for r in x.keys().filter(|r| !y.contains_key(*r)) {
            out.insert(AccessChange {
                role: r.clone(),
                object: obj.label(),
                kind: obj.kind,
                privilege: p,
                delta: AccessDelta::Lost,
            });
        }
    }
    for &m in &b.members_touched {
        let name = b
            .after
            .roles
            .iter()
            .find(|r| r.oid == m)
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let key = |e: &Engine| -> BTreeSet<(usize, Privilege)> {
            e.what_can(m)
                .into_iter()
                .flat_map(|oa| {
                    oa.privileges
                        .into_iter()
                        .map(move |pa| (oa.index, pa.privilege))
                })
                .collect()
        };
        let (x, y) = (key(&before), key(&after));
        for &(o, p) in y.difference(&x) {
            let obj = &b.after.objects[o];
            out.insert(AccessChange {
                role: name.clone(),
                object: obj.label(),
                kind: obj.kind,
                privilege: p,
                delta: AccessDelta::Gained,
            });
        }
        for &(o, p) in x.difference(&y) {
            let obj = &b.after.objects[o];
            out.insert(AccessChange {
                role: name.clone(),
                object: obj.label(),
                kind: obj.kind,
                privilege: p,
                delta: AccessDelta::Lost,
            });
        }
    }
    out.into_iter().collect()
}
