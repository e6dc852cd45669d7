//! Effective access, computed from a [`Snapshot`] the way the server computes it (aclmask,
//! has_privs_of_role, is_member_of_role, member_can_set_role), with the reason for every answer.
//!
//! Rules followed (PostgreSQL 14-18):
//! - superusers pass every check;
//! - a role has a privilege when an ACL entry gives it to PUBLIC, to the role itself, or to a role
//!   whose privileges it has: a chain of memberships each with INHERIT (per grant on 16+, the
//!   member's INHERIT attribute before);
//! - the current database's owner is implicitly a member of pg_database_owner;
//! - pg_read_all_data gives SELECT on every relation and USAGE on every schema,
//!   pg_write_all_data INSERT/UPDATE/DELETE and USAGE on schemas, pg_maintain (17+) MAINTAIN;
//! - a column privilege is held when the table-level privilege or the column's own is;
//! - the owner (and whoever has the owner's privileges) always holds every grant option;
//! - non-superusers never get INSERT/UPDATE/DELETE/TRUNCATE/USAGE on system catalog tables.

use super::inspect::{DbObject, Role, Snapshot};
use super::{ObjectKind, Privilege, PUBLIC};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use ts_rs::TS;

/// Why a role holds a privilege. `path` runs from the role to the grantee, both included: one
/// name means a direct grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "source", rename_all = "snake_case")]
#[ts(tag = "source", rename_all = "snake_case")]
pub enum Reason {
    Superuser,
    Public {
        grantor: String,
        /// Granted on the column rather than the table.
        column: Option<String>,
    },
    Grant {
        grantee: String,
        grantor: String,
        path: Vec<String>,
        grantable: bool,
        /// The grantee owns the object (the owner's own privileges, often the built-in default).
        owner: bool,
        column: Option<String>,
        /// The grant matches a default-privileges rule of the object's owner, which most likely
        /// gave it when the object was created: e.g. "FOR ROLE etl IN SCHEMA raw".
        default_rule: Option<String>,
    },
    Predefined {
        role: String,
        path: Vec<String>,
    },
}

/// One role's access to one privilege of one object.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Access {
    pub role: String,
    pub login: bool,
    /// May grant it on (WITH GRANT OPTION, ownership or superuser).
    pub grantable: bool,
    pub reasons: Vec<Reason>,
}

/// How pg_has_role asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "UPPERCASE")]
#[ts(rename_all = "UPPERCASE")]
pub enum RoleMode {
    /// Has the role's privileges (inherits them).
    Usage,
    /// Is a member, directly or not, with or without inheritance.
    Member,
    /// May SET ROLE to it (16+).
    Set,
}

#[derive(Clone, Copy)]
struct Edge {
    to: usize,
    inherit: bool,
    set: bool,
}

/// Answers questions about one snapshot. Building it indexes roles and memberships once.
pub struct Engine<'a> {
    pub snap: &'a Snapshot,
    by_oid: HashMap<i64, usize>,
    by_name: HashMap<&'a str, usize>,
    /// role -> the roles it is a member of.
    up: Vec<Vec<Edge>>,
    /// role -> its members.
    down: Vec<Vec<Edge>>,
    /// Built on first use: answering about roles alone never pays for indexing the objects.
    objects: std::cell::OnceCell<HashMap<(ObjectKind, i64, i32), usize>>,
}

const SYSTEM_SCHEMAS: [&str; 2] = ["pg_catalog", "pg_toast"];

impl<'a> Engine<'a> {
    pub fn new(snap: &'a Snapshot) -> Self {
        let by_oid: HashMap<i64, usize> = snap
            .roles
            .iter()
            .enumerate()
            .map(|(i, r)| (r.oid, i))
            .collect();
        let by_name = snap
            .roles
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.as_str(), i))
            .collect();
        let n = snap.roles.len();
        let mut up = vec![Vec::new(); n];
        let mut down = vec![Vec::new(); n];
        for m in &snap.memberships {
            let (Some(&member), Some(&role)) = (by_oid.get(&m.member), by_oid.get(&m.role)) else {
                continue;
            };
            up[member].push(Edge {
                to: role,
                inherit: m.inherit,
                set: m.set,
            });
            down[role].push(Edge {
                to: member,
                inherit: m.inherit,
                set: m.set,
            });
        }
        // The database owner is implicitly a member of pg_database_owner. Before 16 a NOINHERIT
        // owner does not inherit through it (like any of its memberships); from 16 it always does.
        if let (Some(&owner), Some(pdo)) = (
            by_oid.get(&snap.database_owner),
            snap.roles
                .iter()
                .position(|r| r.name == "pg_database_owner"),
        ) {
            let inherit = snap.version_num >= 160000 || snap.roles[owner].inherit;
            up[owner].push(Edge {
                to: pdo,
                inherit,
                set: true,
            });
            down[pdo].push(Edge {
                to: owner,
                inherit,
                set: true,
            });
        }
        Engine {
            snap,
            by_oid,
            by_name,
            up,
            down,
            objects: std::cell::OnceCell::new(),
        }
    }

    pub fn role(&self, oid: i64) -> Option<&'a Role> {
        self.by_oid.get(&oid).map(|&i| &self.snap.roles[i])
    }

    pub fn role_by_name(&self, name: &str) -> Option<&'a Role> {
        self.by_name.get(name).map(|&i| &self.snap.roles[i])
    }

    /// A role's name; [`super::PUBLIC_NAME`] for the pseudo-role, `#oid` for one that is gone.
    pub fn name_of(&self, oid: i64) -> String {
        if oid == PUBLIC as i64 {
            return super::PUBLIC_NAME.into();
        }
        self.role(oid)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| format!("#{oid}"))
    }

    pub fn object_index(&self, kind: ObjectKind, oid: i64, subid: i32) -> Option<usize> {
        self.objects
            .get_or_init(|| {
                self.snap
                    .objects
                    .iter()
                    .enumerate()
                    .map(|(i, o)| ((o.kind, o.oid, o.subid), i))
                    .collect()
            })
            .get(&(kind, oid, subid))
            .copied()
    }

    /// Breadth-first from `start` along `edges`, keeping the parent of each role reached (so
    /// paths are shortest). `follow` picks which edges count.
    fn reach(
        &self,
        start: usize,
        edges: &[Vec<Edge>],
        follow: impl Fn(&Edge) -> bool,
    ) -> HashMap<usize, usize> {
        let mut parent = HashMap::new();
        parent.insert(start, start);
        let mut queue = VecDeque::from([start]);
        while let Some(r) = queue.pop_front() {
            for e in &edges[r] {
                if follow(e) && !parent.contains_key(&e.to) {
                    parent.insert(e.to, r);
                    queue.push_back(e.to);
                }
            }
        }
        parent
    }

    /// Role names from `from` to the root of `parent` (the BFS start).
    fn path(&self, parent: &HashMap<usize, usize>, from: usize) -> Vec<String> {
        let mut out = vec![self.snap.roles[from].name.clone()];
        let mut cur = from;
        while let Some(&p) = parent.get(&cur) {
            if p == cur {
                break;
            }
            out.push(self.snap.roles[p].name.clone());
            cur = p;
        }
        out
    }

    /// The roles holding the privileges of `grantee` (itself included), each with its parent
    /// on a shortest chain towards `grantee`.
    fn holders(&self, grantee: usize) -> HashMap<usize, usize> {
        self.reach(grantee, &self.down, |e| e.inherit)
    }

    /// The roles that have `role`'s privileges through inheritance (not `role` itself).
    pub fn inheritors(&self, role: i64) -> Vec<i64> {
        let Some(&r) = self.by_oid.get(&role) else {
            return Vec::new();
        };
        self.holders(r)
            .into_keys()
            .filter(|&h| h != r)
            .map(|h| self.snap.roles[h].oid)
            .collect()
    }

    /// The roles whose privileges `role` has (itself included), as oids.
    pub fn inherited_roles(&self, role: i64) -> Vec<i64> {
        self.privileges_of(role)
            .map(|v| v.parent.keys().map(|&i| self.snap.roles[i].oid).collect())
            .unwrap_or_default()
    }

    /// pg_has_role(role, target, mode).
    pub fn has_role(&self, role: i64, target: i64, mode: RoleMode) -> bool {
        let (Some(&r), Some(&t)) = (self.by_oid.get(&role), self.by_oid.get(&target)) else {
            return false;
        };
        if r == t || self.snap.roles[r].superuser {
            return true;
        }
        let reached = match mode {
            RoleMode::Usage => self.reach(r, &self.up, |e| e.inherit),
            RoleMode::Member => self.reach(r, &self.up, |_| true),
            RoleMode::Set => self.reach(r, &self.up, |e| e.set),
        };
        reached.contains_key(&t)
    }

    /// The chain of memberships through which `role` has `target`'s privileges, if it does.
    pub fn inheritance_path(&self, role: i64, target: i64) -> Option<Vec<String>> {
        let (&r, &t) = (self.by_oid.get(&role)?, self.by_oid.get(&target)?);
        let h = self.holders(t);
        h.contains_key(&r).then(|| self.path(&h, r))
    }

    fn predefined_for(&self, obj: &DbObject, p: Privilege) -> &'static [&'static str] {
        use Privilege::*;
        match (obj.kind, p) {
            (ObjectKind::Schema, Usage) => &["pg_read_all_data", "pg_write_all_data"],
            (k, Select) if k.is_relation() || k == ObjectKind::Column => &["pg_read_all_data"],
            (k, Insert | Update | Delete) if k.is_relation() || k == ObjectKind::Column => {
                &["pg_write_all_data"]
            }
            (k, Maintain) if k.is_relation() => &["pg_maintain"],
            _ => &[],
        }
    }

    /// The ACLs that count for `o`, each with the column it is about: a column's own ACL and
    /// its table's (table-level privileges hold for every column).
    fn sources(&self, o: &'a DbObject) -> Vec<(&'a DbObject, Option<String>)> {
        if o.kind != ObjectKind::Column {
            return vec![(o, None)];
        }
        let mut v = vec![(o, o.detail.clone())];
        if let Some(t) = self.table_of(o) {
            v.push((t, None));
        }
        v
    }

    /// The default-privileges rule of `o`'s owner that would have granted `e` when `o` was
    /// created (a schema rule first, then a global one), if any.
    fn default_rule(&self, o: &DbObject, e: &super::inspect::AclEntry) -> Option<String> {
        use super::inspect::DefaultObjectType as D;
        if e.grantee == o.owner || self.snap.default_acls.is_empty() {
            return None;
        }
        let kind = match o.kind {
            ObjectKind::Table
            | ObjectKind::PartitionedTable
            | ObjectKind::View
            | ObjectKind::MaterializedView
            | ObjectKind::ForeignTable => D::Tables,
            ObjectKind::Sequence => D::Sequences,
            ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Aggregate => D::Functions,
            ObjectKind::Type | ObjectKind::Domain => D::Types,
            ObjectKind::Schema => D::Schemas,
            _ => return None,
        };
        let owner = self
            .role(o.owner)
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let rules = self
            .snap
            .default_acls
            .iter()
            .filter(|d| d.role == o.owner && d.object_type == kind);
        let mut found: Option<&super::inspect::DefaultAcl> = None;
        for d in rules {
            let matches = d
                .acl
                .iter()
                .any(|a| a.grantee == e.grantee && a.privilege == e.privilege);
            let scoped = d.schema.is_some() && d.schema == o.schema;
            if matches && (scoped || (d.schema.is_none() && found.is_none())) {
                found = Some(d);
            }
        }
        found.map(|d| match &d.schema {
            Some(s) => format!("FOR ROLE {owner} IN SCHEMA {s}"),
            None => format!("FOR ROLE {owner}"),
        })
    }

    /// The table a column belongs to.
    fn table_of(&self, col: &DbObject) -> Option<&'a DbObject> {
        let kinds = [
            ObjectKind::Table,
            ObjectKind::PartitionedTable,
            ObjectKind::View,
            ObjectKind::MaterializedView,
            ObjectKind::ForeignTable,
        ];
        kinds
            .iter()
            .find_map(|k| self.object_index(*k, col.oid, 0))
            .map(|i| &self.snap.objects[i])
    }

    /// Every role that holds `p` on object `obj` (an index into the snapshot's objects), with
    /// reasons. PUBLIC grants give every role access: they are listed once under `public`.
    pub fn who_can(&self, obj: usize, p: Privilege) -> WhoCan {
        let o = &self.snap.objects[obj];
        let mut out: BTreeMap<usize, Access> = BTreeMap::new();
        let mut public = Vec::new();
        if !o.kind.privileges(self.snap.version_num).contains(p) {
            return WhoCan {
                public,
                roles: Vec::new(),
            };
        }
        let system_restricted = system_restricted(o, p);
        for (i, r) in self.snap.roles.iter().enumerate() {
            if r.superuser {
                let a = access(&mut out, self.snap, i);
                a.reasons.push(Reason::Superuser);
                a.grantable = true;
            }
        }
        if !system_restricted {
            // Table-level entries count for a column too.
            for (src, column) in &self.sources(o) {
                for e in src.acl.iter().filter(|e| e.privilege == p) {
                    if e.grantee == PUBLIC as i64 {
                        public.push(Reason::Public {
                            grantor: self.name_of(e.grantor),
                            column: column.clone(),
                        });
                        continue;
                    }
                    let Some(&g) = self.by_oid.get(&e.grantee) else {
                        continue;
                    };
                    let holders = self.holders(g);
                    for (&h, _) in holders.iter() {
                        let a = access(&mut out, self.snap, h);
                        a.grantable |= e.grantable;
                        a.reasons.push(Reason::Grant {
                            grantee: self.snap.roles[g].name.clone(),
                            grantor: self.name_of(e.grantor),
                            path: self.path(&holders, h),
                            grantable: e.grantable,
                            owner: e.grantee == src.owner,
                            default_rule: self.default_rule(src, e),
                            column: column.clone(),
                        });
                    }
                }
            }
            for name in self.predefined_for(o, p) {
                let Some(&pre) = self.by_name.get(name) else {
                    continue;
                };
                let holders = self.holders(pre);
                for (&h, _) in holders.iter() {
                    let a = access(&mut out, self.snap, h);
                    a.reasons.push(Reason::Predefined {
                        role: name.to_string(),
                        path: self.path(&holders, h),
                    });
                }
            }
        }
        // Whoever has the owner's privileges holds every grant option, even with an empty ACL.
        let owner = if o.kind == ObjectKind::Column {
            self.table_of(o).map(|t| t.owner)
        } else {
            Some(o.owner)
        };
        if let Some(&ow) = owner.and_then(|ow| self.by_oid.get(&ow)) {
            for (&h, _) in self.holders(ow).iter() {
                if let Some(a) = out.get_mut(&h) {
                    a.grantable = true;
                }
            }
        }
        if !public.is_empty() {
            for a in out.values_mut() {
                a.reasons.extend(public.iter().cloned());
            }
        }
        let mut roles: Vec<Access> = out.into_values().collect();
        for a in &mut roles {
            a.reasons.sort_by_key(reason_rank);
        }
        roles.sort_by(|a, b| a.role.cmp(&b.role));
        WhoCan { public, roles }
    }

    /// Roles that hold `p` on some columns of table `obj` but not on the table itself, with
    /// those columns: what has_any_column_privilege finds beyond has_table_privilege. A reviewer
    /// asking who can UPDATE a table must see them too. `public` stands for PUBLIC.
    pub fn column_holders(&self, obj: usize, p: Privilege) -> Vec<ColumnAccess> {
        let t = &self.snap.objects[obj];
        if !t.kind.is_relation()
            || t.kind == ObjectKind::Sequence
            || !ObjectKind::Column
                .privileges(self.snap.version_num)
                .contains(p)
        {
            return Vec::new();
        }
        let table = self.who_can(obj, p);
        if !table.public.is_empty() {
            return Vec::new();
        }
        let at_table: std::collections::BTreeSet<&str> =
            table.roles.iter().map(|a| a.role.as_str()).collect();
        let mut by_role: BTreeMap<String, ColumnAccess> = BTreeMap::new();
        for (j, c) in self
            .snap
            .objects
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind == ObjectKind::Column && c.oid == t.oid)
        {
            let column = c.detail.clone().unwrap_or_default();
            let w = self.who_can(j, p);
            let mut add = |role: &str, login: bool| {
                by_role
                    .entry(role.to_string())
                    .or_insert_with(|| ColumnAccess {
                        role: role.to_string(),
                        login,
                        columns: Vec::new(),
                    })
                    .columns
                    .push(column.clone());
            };
            if !w.public.is_empty() {
                add(super::PUBLIC_NAME, false);
            }
            for a in &w.roles {
                let only_public = a.reasons.iter().all(|r| matches!(r, Reason::Public { .. }));
                if !at_table.contains(a.role.as_str()) && !only_public {
                    add(&a.role, a.login);
                }
            }
        }
        let mut out: Vec<ColumnAccess> = by_role.into_values().collect();
        for a in &mut out {
            a.columns.sort();
        }
        out
    }

    /// The roles whose privileges `role` has (itself included), with parents towards `role`.
    pub fn privileges_of(&self, role: i64) -> Option<RoleView> {
        let &r = self.by_oid.get(&role)?;
        Some(RoleView {
            role: r,
            parent: self.reach(r, &self.up, |e| e.inherit),
        })
    }

    /// Path from the viewed role up to `to`, both included.
    fn up_path(&self, view: &RoleView, to: usize) -> Vec<String> {
        let mut out = vec![self.snap.roles[to].name.clone()];
        let mut cur = to;
        while let Some(&p) = view.parent.get(&cur) {
            if p == cur {
                break;
            }
            out.push(self.snap.roles[p].name.clone());
            cur = p;
        }
        out.reverse();
        out
    }

    /// Whether the viewed role holds `p` on object `obj`, why, and whether it may grant it.
    pub fn check(&self, view: &RoleView, obj: usize, p: Privilege) -> Option<(Vec<Reason>, bool)> {
        let o = &self.snap.objects[obj];
        if !o.kind.privileges(self.snap.version_num).contains(p) {
            return None;
        }
        let role = &self.snap.roles[view.role];
        let mut reasons = Vec::new();
        let mut grantable = false;
        if role.superuser {
            reasons.push(Reason::Superuser);
            grantable = true;
        }
        let system_restricted = system_restricted(o, p);
        let table = if o.kind == ObjectKind::Column {
            self.table_of(o)
        } else {
            None
        };
        if !system_restricted {
            for (src, column) in self.sources(o) {
                for e in src.acl.iter().filter(|e| e.privilege == p) {
                    if e.grantee == PUBLIC as i64 {
                        reasons.push(Reason::Public {
                            grantor: self.name_of(e.grantor),
                            column: column.clone(),
                        });
                        continue;
                    }
                    let Some(&g) = self.by_oid.get(&e.grantee) else {
                        continue;
                    };
                    if view.parent.contains_key(&g) {
                        grantable |= e.grantable;
                        reasons.push(Reason::Grant {
                            grantee: self.snap.roles[g].name.clone(),
                            grantor: self.name_of(e.grantor),
                            path: self.up_path(view, g),
                            grantable: e.grantable,
                            owner: e.grantee == src.owner,
                            default_rule: self.default_rule(src, e),
                            column: column.clone(),
                        });
                    }
                }
            }
            for name in self.predefined_for(o, p) {
                if let Some(&pre) = self.by_name.get(name) {
                    if view.parent.contains_key(&pre) {
                        reasons.push(Reason::Predefined {
                            role: name.to_string(),
                            path: self.up_path(view, pre),
                        });
                    }
                }
            }
        }
        let owner = table.map(|t| t.owner).unwrap_or(o.owner);
        if !reasons.is_empty()
            && self
                .by_oid
                .get(&owner)
                .is_some_and(|ow| view.parent.contains_key(ow))
        {
            grantable = true;
        }
        if reasons.is_empty() {
            return None;
        }
        reasons.sort_by_key(reason_rank);
        Some((reasons, grantable))
    }

    /// has_*_privilege(role, obj, p): whether, and why.
    pub fn can(&self, role: i64, obj: usize, p: Privilege) -> Option<Vec<Reason>> {
        self.check(&self.privileges_of(role)?, obj, p)
            .map(|(r, _)| r)
    }

    /// has_*_privilege(role, obj, 'p WITH GRANT OPTION'). The owner (and whoever has its
    /// privileges) holds every grant option even after revoking the privilege from itself.
    pub fn can_grant(&self, role: i64, obj: usize, p: Privilege) -> bool {
        let Some(view) = self.privileges_of(role) else {
            return false;
        };
        let o = &self.snap.objects[obj];
        if !o.kind.privileges(self.snap.version_num).contains(p) {
            return false;
        }
        let owner = if o.kind == ObjectKind::Column {
            self.table_of(o).map(|t| t.owner)
        } else {
            Some(o.owner)
        };
        if self.snap.roles[view.role].superuser
            || owner
                .and_then(|ow| self.by_oid.get(&ow))
                .is_some_and(|ow| view.parent.contains_key(ow))
        {
            return true;
        }
        self.check(&view, obj, p).is_some_and(|(_, g)| g)
    }

    /// Everything `role` can do in this database: each object with the privileges it holds.
    /// One pass over the snapshot's ACLs.
    pub fn what_can(&self, role: i64) -> Vec<ObjectAccess> {
        let Some(view) = self.privileges_of(role) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, o) in self.snap.objects.iter().enumerate() {
            let privileges: Vec<PrivilegeAccess> = o
                .kind
                .privileges(self.snap.version_num)
                .iter()
                .filter_map(|p| {
                    self.check(&view, i, p)
                        .map(|(reasons, grantable)| PrivilegeAccess {
                            privilege: p,
                            grantable,
                            reasons,
                        })
                })
                .collect();
            if !privileges.is_empty() {
                out.push(ObjectAccess {
                    kind: o.kind,
                    object: o.label(),
                    index: i,
                    privileges,
                });
            }
        }
        out
    }
}

/// The roles whose privileges one role has (from [`Engine::privileges_of`]).
pub struct RoleView {
    role: usize,
    parent: HashMap<usize, usize>,
}

/// Non-superusers never get INSERT/UPDATE/DELETE/TRUNCATE/USAGE on system catalog tables.
fn system_restricted(o: &DbObject, p: Privilege) -> bool {
    o.kind.is_relation()
        && o.kind != ObjectKind::View
        && o.schema
            .as_deref()
            .is_some_and(|s| SYSTEM_SCHEMAS.contains(&s))
        && matches!(
            p,
            Privilege::Insert
                | Privilege::Update
                | Privilege::Delete
                | Privilege::Truncate
                | Privilege::Usage
        )
}

fn access<'m>(out: &'m mut BTreeMap<usize, Access>, snap: &Snapshot, i: usize) -> &'m mut Access {
    out.entry(i).or_insert_with(|| Access {
        role: snap.roles[i].name.clone(),
        login: snap.roles[i].login,
        grantable: false,
        reasons: Vec::new(),
    })
}

fn reason_rank(r: &Reason) -> u8 {
    match r {
        Reason::Superuser => 0,
        Reason::Grant { path, .. } if path.len() == 1 => 1,
        Reason::Grant { .. } => 2,
        Reason::Predefined { .. } => 3,
        Reason::Public { .. } => 4,
    }
}

/// The answer to "who can P on O".
#[derive(Debug, Clone, Serialize, TS)]
pub struct WhoCan {
    /// Non-empty when PUBLIC holds the privilege: every role can.
    pub public: Vec<Reason>,
    /// Roles holding it for another reason too (superuser, grants, predefined roles).
    pub roles: Vec<Access>,
}

/// A role that holds a privilege on some columns of a table, not on the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ColumnAccess {
    pub role: String,
    pub login: bool,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PrivilegeAccess {
    pub privilege: Privilege,
    pub grantable: bool,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ObjectAccess {
    pub kind: ObjectKind,
    pub object: String,
    /// Index into the snapshot's objects.
    pub index: usize,
    pub privileges: Vec<PrivilegeAccess>,
}

/// A short human explanation of reasons: "through analysts (alice → analysts)", "as PUBLIC", ...
/// Roles are written with [`super::display_role`], so a role named "PUBLIC" reads `"PUBLIC"`.
pub fn explain_reasons(reasons: &[Reason]) -> String {
    use super::display_role as d;
    let path = |p: &[String]| p.iter().map(|x| d(x)).collect::<Vec<_>>().join(" → ");
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
            } if path.len() == 1 => format!("as owner {}", d(grantee)),
            Reason::Grant {
                grantee,
                path,
                default_rule: Some(rule),
                ..
            } if path.len() == 1 => format!(
                "directly (granted to {}, by default privileges {})",
                d(grantee),
                crate::quote::escape_controls(rule)
            ),
            Reason::Grant { grantee, path, .. } if path.len() == 1 => {
                format!("directly (granted to {})", d(grantee))
            }
            Reason::Grant {
                grantee, path: p, ..
            } => {
                format!("through {} ({})", d(grantee), path(p))
            }
            Reason::Predefined { role, path: p } => {
                format!("through {} ({})", d(role), path(p))
            }
        })
        .collect();
    parts.join(", ")
}
