//! The plan builder: applies each change to a copy of the snapshot the way PostgreSQL would
//! (grantors, grant options, memberships, default privileges), renders its statement and notes
//! no-ops and warnings.

use super::super::engine::{Engine, RoleMode};
use super::super::inspect::{
    AclEntry, DbObject, DefaultAcl, DefaultObjectType, Membership, Role, Snapshot,
};
use super::super::render::{self, MembershipOptions, NewRole};
use super::super::resolve::{self, NameIndex};
use super::super::{display_role, is_public, public_hint, ObjectKind, Privilege, PUBLIC};
use super::{NewPassword, PlannedStatement, Target};
use crate::error::{Error, Result};
use crate::secrets::Secret;
use std::collections::BTreeSet;

pub(super) struct Builder<'s> {
    pub(super) before: &'s Snapshot,
    pub(super) after: Snapshot,
    pub(super) statements: Vec<(u8, PlannedStatement)>,
    pub(super) noops: Vec<String>,
    pub(super) warnings: Vec<String>,
    /// Steps the connecting role cannot carry out: apply refuses the plan.
    pub(super) blocking: Vec<String>,
    pub(super) touched: BTreeSet<(usize, Privilege)>,
    pub(super) members_touched: BTreeSet<i64>,
    pub(super) passwords: Vec<(String, Secret, NewPassword)>,
    pub(super) next_oid: i64,
    /// Whether the current user is a superuser, and the roles whose privileges it has: decides
    /// the grantor PostgreSQL records. Reset when roles or memberships change.
    pub(super) my_privileges: std::collections::HashMap<i64, (bool, Vec<i64>)>,
    pub(super) names: NameIndex,
    /// How many roles inherit from a grantee (for the "also reaches" warning), per grantee.
    pub(super) reach: std::collections::HashMap<i64, usize>,
    /// A grant on every object of a kind in a schema also reaches objects created later: such
    /// plans check the whole database before applying.
    pub(super) whole_database: bool,
}

// Statement order: roles first, then memberships, databases, schemas, objects, grants made as
// another grantor, revokes, defaults.
/// PostgreSQL's bootstrap superuser always has oid 10: a superuser's membership grants are
/// recorded under it from 16 on.
const BOOTSTRAP_SUPERUSER: i64 = 10;

const ORDER_ROLE: u8 = 0;
const ORDER_MEMBERSHIP: u8 = 1;
const ORDER_DATABASE: u8 = 2;
const ORDER_SCHEMA: u8 = 3;
const ORDER_OBJECT: u8 = 4;
/// Grants made as another grantor: after the grants that give it its grant options.
const ORDER_GRANTED_BY: u8 = 5;
const ORDER_REVOKE: u8 = 6;
const ORDER_DEFAULTS: u8 = 7;

/// Why a REVOKE is in the plan, as people read it.
fn revoke_purpose(
    privileges: &[Privilege],
    on: &Target,
    from: &str,
    grant_option_only: bool,
    suffix: &str,
) -> String {
    format!(
        "REVOKE {}{} ON {} FROM {}{suffix}",
        if grant_option_only {
            "GRANT OPTION FOR "
        } else {
            ""
        },
        render::privileges(privileges, &[]),
        on.describe(),
        display_role(from)
    )
}

/// A role as people read it (quoted when its name is not a plain identifier), or its oid when
/// the snapshot does not know it.
/// The statement that gives `role` `privilege` on `obj` with the grant option, rendered as every
/// statement Grantry writes (`ON SCHEMA s`, `ON FUNCTION s.f(int)`, `SELECT ("c") ON TABLE t`).
fn grant_option_sql(obj: &DbObject, privilege: Privilege, role: &str) -> String {
    let (on, columns) = match (obj.kind, &obj.detail) {
        (ObjectKind::Column, Some(c)) => (
            render::object(ObjectKind::Table, obj.schema.as_deref(), &obj.name, None),
            vec![c.clone()],
        ),
        (kind, detail) => (
            render::object(kind, obj.schema.as_deref(), &obj.name, detail.as_deref()),
            vec![],
        ),
    };
    render::grant(
        &on,
        &render::privileges(&[privilege], &columns),
        &[role.to_string()],
        true,
    )
}

fn shown(e: &Engine, oid: i64) -> String {
    e.role(oid)
        .map(|r| display_role(&r.name))
        .unwrap_or_else(|| format!("role #{oid}"))
}

impl<'s> Builder<'s> {
    /// Whether `role` is a superuser, and the roles whose privileges it uses in the order
    /// PostgreSQL tries them (roles_is_member_of with ROLERECURSE_PRIVS): itself, then breadth
    /// first the roles it inherits, each role's memberships in role-oid order (a NOINHERIT
    /// role passes nothing on before 16; from 16 on each grant says), and pg_database_owner
    /// after the database owner's own. Cached until roles or memberships change.
    fn privilege_roles(&mut self, role: i64) -> &(bool, Vec<i64>) {
        if !self.my_privileges.contains_key(&role) {
            let snap = &self.after;
            let v16 = snap.version_num >= 160000;
            let su = snap.roles.iter().any(|r| r.oid == role && r.superuser);
            let inherits = |r: i64| {
                snap.roles
                    .iter()
                    .find(|x| x.oid == r)
                    .is_none_or(|x| x.inherit)
            };
            let db_owner_role = snap
                .roles
                .iter()
                .find(|r| r.name == "pg_database_owner")
                .map(|r| r.oid);
            let mut out = vec![role];
            let mut seen: BTreeSet<i64> = [role].into();
            let mut i = 0;
            while i < out.len() {
                let m = out[i];
                i += 1;
                if !v16 && !inherits(m) {
                    continue;
                }
                let mut ups: Vec<i64> = snap
                    .memberships
                    .iter()
                    .filter(|x| x.member == m && (!v16 || x.inherit))
                    .map(|x| x.role)
                    .collect();
                ups.sort_unstable();
                for r in ups {
                    if seen.insert(r) {
                        out.push(r);
                    }
                }
                if m == snap.database_owner {
                    if let Some(d) = db_owner_role {
                        if seen.insert(d) {
                            out.push(d);
                        }
                    }
                }
            }
            self.my_privileges.insert(role, (su, out));
        }
        &self.my_privileges[&role]
    }

    /// The grantor PostgreSQL records for a GRANT or REVOKE of `privileges` on object `o` made
    /// by `actor` (select_best_grantor): the owner when `actor` is the owner or a superuser;
    /// else, of the roles whose privileges `actor` uses (itself first, then breadth first), the
    /// first holding every needed grant option (the owner holds them all), or the one holding
    /// the most; else `actor` itself.
    pub(super) fn best_grantor(&mut self, actor: i64, o: usize, privileges: &[Privilege]) -> i64 {
        let owner = self.after.objects[o].owner;
        let (su, order) = self.privilege_roles(actor).clone();
        if actor == owner || su {
            return owner;
        }
        let acl = self.effective_acl(o);
        let acl = &acl;
        let options = |r: i64| {
            if r == owner {
                return privileges.len();
            }
            privileges
                .iter()
                .filter(|&&p| {
                    acl.iter()
                        .any(|e| e.grantee == r && e.privilege == p && e.grantable)
                })
                .count()
        };
        let mut best = (0, actor);
        for r in order {
            let n = options(r);
            if n == privileges.len() {
                return r;
            }
            if n > best.0 {
                best = (n, r);
            }
        }
        best.1
    }

    /// The ACL entries that count for object `o`: a column's own and its table's (PostgreSQL
    /// merges them when it checks a column privilege or grant option).
    fn effective_acl(&self, o: usize) -> Vec<AclEntry> {
        let obj = &self.after.objects[o];
        let mut acl = obj.acl.clone();
        if obj.kind == ObjectKind::Column {
            if let Some(t) =
                self.after.objects.iter().find(|x| {
                    x.oid == obj.oid && x.kind.is_relation() && x.kind != ObjectKind::Column
                })
            {
                acl.extend(t.acl.iter().cloned());
            }
        }
        acl
    }

    /// [`Self::best_grantor`] for the connecting role.
    pub(super) fn grantor_for(&mut self, o: usize, privileges: &[Privilege]) -> i64 {
        self.best_grantor(self.after.current_user, o, privileges)
    }

    pub(super) fn role_oid(&self, name: &str) -> Option<i64> {
        if is_public(name) {
            return Some(PUBLIC as i64);
        }
        self.after
            .roles
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.oid)
    }

    pub(super) fn need_role(&self, name: &str) -> Result<i64> {
        self.role_oid(name)
            .ok_or_else(|| Error::not_found(format!("no role named {name:?}{}", public_hint(name))))
    }

    /// Notes as blocking every (object, privilege) of a GRANT that the connecting role cannot
    /// make, the way PostgreSQL decides (select_best_grantor): a superuser, or whoever has the
    /// owner's privileges, always can; anyone else needs the privilege WITH GRANT OPTION, held
    /// directly or through a role it inherits. Without it PostgreSQL grants nothing and only
    /// warns, or refuses outright when the role holds no privilege at all.
    fn check_can_grant(&mut self, targets: &[usize], privileges: &[Privilege], actor: Option<i64>) {
        let me = actor.unwrap_or(self.after.current_user);
        // (object, the grantor PostgreSQL would pick) where that is not the owner.
        let mut mine: Vec<(usize, i64)> = Vec::new();
        for &o in targets {
            let g = self.best_grantor(me, o, privileges);
            if g != self.after.objects[o].owner {
                mine.push((o, g));
            }
        }
        if mine.is_empty() {
            return;
        }
        let e = Engine::new(&self.after);
        let name = |oid: i64| shown(&e, oid);
        let who = name(me);
        let me_name = e.role(me).map(|r| r.name.as_str()).unwrap_or_default();
        let view = e.privileges_of(me);
        let mut problems = Vec::new();
        for &(o, grantor) in &mine {
            let obj = &self.after.objects[o];
            let owner = name(obj.owner);
            let label = crate::quote::escape_controls(&obj.label());
            let acl = self.effective_acl(o);
            for &p in privileges {
                let by_grantor = acl
                    .iter()
                    .any(|x| x.grantee == grantor && x.privilege == p && x.grantable);
                if by_grantor {
                    continue;
                }
                let held = view.as_ref().and_then(|v| e.check(v, o, p));
                let why = match held {
                    Some((_, true)) => format!(
                        "holds them, but its grant options for these privileges come from different roles and \
                         PostgreSQL grants as one of them ({}), which lacks this one, so it would \
                         grant only part (a warning only); fix: grant each privilege in a change of its own",
                        name(grantor)
                    ),
                    Some((_, false)) => "holds it without the grant option, so PostgreSQL would grant nothing (a warning only)".to_string(),
                    None => "does not hold it, so PostgreSQL would refuse the GRANT".to_string(),
                };
                let fix = if matches!(held, Some((_, true))) {
                    String::new()
                } else {
                    format!(
                        "; fix: as {owner} (or a superuser) run {}, or apply this plan as {owner}",
                        grant_option_sql(obj, p, me_name)
                    )
                };
                problems.push(format!(
                    "{who} cannot grant {} on {label}: it {why}{fix}",
                    p.sql()
                ));
            }
        }
        self.blocking.extend(problems);
    }

    /// Whether the connecting role may create roles and change memberships of `role` (`None`:
    /// create a role): superusers always; CREATEROLE before 16; from 16 on, ADMIN OPTION on the
    /// role (which its creator gets).
    fn check_can_manage_role(&mut self, role: Option<i64>, what: &str) {
        let me = self.after.current_user;
        let Some(r) = self.after.roles.iter().find(|x| x.oid == me) else {
            return;
        };
        if r.superuser {
            return;
        }
        let name = display_role(&r.name);
        let createrole = r.createrole;
        let target_super =
            role.is_some_and(|t| self.after.roles.iter().any(|x| x.oid == t && x.superuser));
        if target_super {
            self.blocking.push(format!(
                "{name} cannot {what}: only a superuser may change the members of a superuser role"
            ));
            return;
        }
        let ok = match role {
            None => createrole,
            // Created by this plan: its creator holds ADMIN OPTION on it.
            Some(t) if t < 0 => true,
            // From 16 on: ADMIN OPTION held by the role or one whose privileges it uses.
            Some(t) if self.after.version_num >= 160000 => self.membership_grantor(t).is_some(),
            // Before 16: CREATEROLE, or ADMIN OPTION reached through any membership.
            Some(t) => {
                let e = Engine::new(&self.after);
                createrole
                    || self.after.memberships.iter().any(|m| {
                        m.role == t && m.admin && e.has_role(me, m.member, RoleMode::Member)
                    })
            }
        };
        if !ok {
            self.blocking.push(format!(
                "{name} cannot {what}: {}",
                match role {
                    None => "it lacks CREATEROLE".to_string(),
                    Some(_) if self.after.version_num >= 160000 =>
                        "from PostgreSQL 16 on this needs ADMIN OPTION on the role, held by it or by a role it inherits (CREATEROLE alone is not enough); fix: a superuser grants it WITH ADMIN OPTION".to_string(),
                    Some(_) => "it needs CREATEROLE or ADMIN OPTION on the role".to_string(),
                }
            ));
        }
    }

    /// A parameter has a catalog row (pg_parameter_acl) only once something was granted on it:
    /// one named by a change is added with the built-in ACL (its owner the bootstrap
    /// superuser, no grants). Whether the server knows the name is its to say at dry run.
    fn ensure_parameter(&mut self, on: &Target) {
        let Target::Object {
            kind: ObjectKind::Parameter,
            name,
            ..
        } = on
        else {
            return;
        };
        let key = (None, name.clone());
        let known = self.names.get(&key).is_some_and(|v| {
            v.iter()
                .any(|&i| self.after.objects[i].kind == ObjectKind::Parameter)
        });
        if known {
            return;
        }
        self.next_oid -= 1;
        self.after.objects.push(DbObject {
            kind: ObjectKind::Parameter,
            oid: self.next_oid,
            subid: 0,
            schema: None,
            name: name.clone(),
            detail: None,
            owner: BOOTSTRAP_SUPERUSER,
            default_acl: true,
            acl: Vec::new(),
        });
        self.names
            .entry(key)
            .or_default()
            .push(self.after.objects.len() - 1);
    }

    /// A role in a membership: PUBLIC can neither be granted nor be a member.
    pub(super) fn need_member_role(&self, name: &str) -> Result<i64> {
        if is_public(name) {
            return Err(Error::invalid(
                "PUBLIC is not a role: it can neither be granted nor be a member",
            ));
        }
        self.need_role(name)
    }

    /// `ON ...` for a target whose first resolved object is `first`: a routine's signature is
    /// the catalog's identity argument list, not the text of the request.
    pub(super) fn target_sql(&self, on: &Target, first: usize) -> String {
        let o = &self.after.objects[first];
        let args = (o.kind.is_routine() && matches!(on, Target::Object { .. }))
            .then_some(o.detail.as_deref())
            .flatten();
        render::target(on, args)
    }

    pub(super) fn push(&mut self, order: u8, sql: String, purpose: String) {
        self.statements
            .push((order, PlannedStatement { sql, purpose }));
    }

    /// Column objects of a table for the named columns, created in `after` when they have no ACL yet.
    pub(super) fn column_objects(
        &mut self,
        table: usize,
        columns: &[String],
    ) -> Result<Vec<usize>> {
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

    pub(super) fn note_scope(&mut self, on: &Target) {
        if matches!(on, Target::AllInSchema { .. }) {
            self.whole_database = true;
        }
    }

    pub(super) fn grant(
        &mut self,
        privileges: &[Privilege],
        on: &Target,
        to: &[String],
        with_grant_option: bool,
        granted_by: Option<&str>,
    ) -> Result<()> {
        self.note_scope(on);
        self.ensure_parameter(on);
        let objs = resolve::target(&self.after, &self.names, on)?;
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
        let actor = match granted_by {
            Some(name) => {
                let a = self.need_member_role(name)?;
                let me = self.after.current_user;
                let e = Engine::new(&self.after);
                if !e.has_role(me, a, RoleMode::Set) {
                    let who = shown(&e, me);
                    self.blocking.push(format!(
                        "{who} cannot grant as {}: it cannot SET ROLE {}; fix: apply this plan as {} or a superuser",
                        display_role(name),
                        display_role(name),
                        display_role(name)
                    ));
                }
                Some(a)
            }
            None => None,
        };
        if with_grant_option && to.iter().any(|g| is_public(g)) {
            return Err(Error::invalid(
                "PUBLIC cannot hold a grant option: PostgreSQL grants options only to roles",
            ));
        }
        for g in to {
            let grantee = self.need_role(g)?;
            let mut targets = objs.clone();
            if !on.columns().is_empty() {
                targets = self.column_objects(objs[0], on.columns())?;
            }
            self.check_can_grant(&targets, privileges, actor);
            if let (Some(a), Some(by)) = (actor, granted_by) {
                if let Some(schema) = targets.iter().find_map(|&o| self.schema_out_of_reach(a, o)) {
                    self.blocking.push(format!(
                        "{} cannot reach schema {schema} (no USAGE), so the GRANT run as it would \
                         be refused; fix: GRANT USAGE ON SCHEMA {} TO {} first",
                        display_role(by),
                        crate::quote::ident(&schema),
                        render::grantee(by)
                    ));
                }
                // PostgreSQL records the grant under the role whose grant option is used.
                if let Some(&o) = targets.first() {
                    let recorded = self.best_grantor(a, o, privileges);
                    if recorded != a && recorded != self.after.objects[o].owner {
                        let e = Engine::new(&self.after);
                        self.warnings.push(format!(
                            "the grant made as {} is recorded under {}, whose grant option {} uses",
                            display_role(by),
                            e.role(recorded)
                                .map(|r| display_role(&r.name))
                                .unwrap_or_default(),
                            display_role(by)
                        ));
                    }
                }
            }
            let mut changed = false;
            for &o in &targets {
                let grantor = match actor {
                    Some(a) => self.best_grantor(a, o, privileges),
                    None => self.grantor_for(o, privileges),
                };
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
                "GRANT {} ON {} TO {}{}",
                render::privileges(privileges, &[]),
                on.describe(),
                display_role(g),
                if with_grant_option {
                    " WITH GRANT OPTION"
                } else {
                    ""
                }
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
            match granted_by {
                Some(by) => {
                    let what = format!("{what} (as {})", display_role(by));
                    self.push(ORDER_GRANTED_BY, render::set_role(by), what.clone());
                    self.push(ORDER_GRANTED_BY, sql, what.clone());
                    self.push(ORDER_GRANTED_BY, render::RESET_ROLE.into(), what);
                }
                None => self.push(order, sql, what),
            }
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

    pub(super) fn revoke(
        &mut self,
        privileges: &[Privilege],
        on: &Target,
        from: &[String],
        grant_option_only: bool,
        cascade: bool,
    ) -> Result<()> {
        self.note_scope(on);
        self.ensure_parameter(on);
        let objs = resolve::target(&self.after, &self.names, on)?;
        // PostgreSQL revokes several privileges as one grantor, the best for all of them: when
        // that grantor lacks the grant option for one, it revokes only part (a warning). Then
        // each privilege is revoked on its own, as its own grantor.
        if privileges.len() > 1 {
            let mut split = false;
            for &o in &objs {
                let g = self.grantor_for(o, privileges);
                let obj = &self.after.objects[o];
                if g != obj.owner
                    && privileges.iter().any(|p| {
                        !obj.acl
                            .iter()
                            .any(|x| x.grantee == g && x.privilege == *p && x.grantable)
                    })
                {
                    split = true;
                    break;
                }
            }
            if split {
                for p in privileges {
                    self.revoke(
                        std::slice::from_ref(p),
                        on,
                        from,
                        grant_option_only,
                        cascade,
                    )?;
                }
                return Ok(());
            }
        }
        // A REVOKE on a table also revokes the same privileges granted on its columns.
        let with_columns: Vec<usize> = if on.columns().is_empty() {
            let tables: std::collections::HashSet<i64> = objs
                .iter()
                .filter(|&&o| self.after.objects[o].kind.is_relation())
                .map(|&o| self.after.objects[o].oid)
                .collect();
            let mut v = objs.clone();
            v.extend(
                self.after
                    .objects
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.kind == ObjectKind::Column && tables.contains(&c.oid))
                    .map(|(i, _)| i),
            );
            v
        } else {
            Vec::new()
        };
        for g in from {
            let grantee = self.need_role(g)?;
            // Roles whose privileges the grantee has: a grant option held through one of
            // them keeps its onward grants valid.
            let inherited: Vec<i64> = self.privilege_roles(grantee).1.clone();
            let targets = if on.columns().is_empty() {
                with_columns.clone()
            } else {
                self.column_objects(objs[0], on.columns())?
            };
            let mut changed = false;
            // Relations (by oid) and other objects whose ACL this REVOKE changes.
            let mut changed_oids: BTreeSet<i64> = BTreeSet::new();
            let mut others: std::collections::BTreeMap<i64, Vec<(usize, Vec<Privilege>)>> =
                Default::default();
            for &o in &targets {
                let grantor = self.grantor_for(o, privileges);
                for p in privileges {
                    if self.after.objects[o].kind == ObjectKind::Column
                        && !ObjectKind::Column
                            .privileges(self.after.version_num)
                            .contains(*p)
                    {
                        continue;
                    }
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
                    if acl.len() != before || grant_option_only {
                        changed_oids.insert(self.after.objects[o].oid);
                    }
                    let owner = self.after.objects[o].owner;
                    let acl = &mut self.after.objects[o].acl;
                    // Grants the grantee made on the strength of its grant option depend on it
                    // (an owner's options are implicit and cannot be revoked).
                    let dependent: Vec<i64> = acl
                        .iter()
                        .filter(|e| e.grantor == grantee && e.privilege == *p && grantee != owner)
                        .map(|e| e.grantee)
                        .collect();
                    let still_grantable = |acl: &[AclEntry], r: i64| {
                        (r == grantee && inherited.iter().any(|&x| x != grantee && x == owner))
                            || acl.iter().any(|e| {
                                (e.grantee == r
                                    || (r == grantee
                                        && e.grantee != grantee
                                        && inherited.contains(&e.grantee)))
                                    && e.privilege == *p
                                    && e.grantable
                            })
                    };
                    if !dependent.is_empty()
                        && (acl.len() != before || grant_option_only)
                        && !still_grantable(acl, grantee)
                    {
                        if cascade {
                            // recursive_revoke: whoever loses its grant option loses what it
                            // granted with it, and so on down the chain.
                            let mut queue = vec![grantee];
                            while let Some(x) = queue.pop() {
                                if x != grantee && still_grantable(acl, x) {
                                    continue;
                                }
                                let gone: Vec<i64> = acl
                                    .iter()
                                    .filter(|e| e.grantor == x && e.privilege == *p)
                                    .map(|e| e.grantee)
                                    .collect();
                                acl.retain(|e| !(e.grantor == x && e.privilege == *p));
                                queue.extend(gone);
                            }
                        } else {
                            self.blocking.push(format!(
                                "{g} granted {} on {} to others with its grant option: PostgreSQL \
                                 refuses the REVOKE (dependent privileges exist); fix: revoke with \
                                 cascade, which also takes it from them",
                                p.sql(),
                                crate::quote::escape_controls(&self.after.objects[o].label()),
                                g = display_role(g)
                            ));
                        }
                    }
                    // Grants of the same privilege by other grantors: a REVOKE removes only
                    // its own grantor's, so those are revoked as their grantor.
                    {
                        let by: Vec<i64> = self.after.objects[o]
                            .acl
                            .iter()
                            .filter(|e| {
                                e.grantee == grantee
                                    && e.privilege == *p
                                    && e.grantor != grantor
                                    && (!grant_option_only || e.grantable)
                            })
                            .map(|e| e.grantor)
                            .collect();
                        for g in by {
                            let list = &mut others.entry(g).or_default();
                            match list.last_mut() {
                                Some((lo, ps)) if *lo == o => ps.push(*p),
                                _ => list.push((o, vec![*p])),
                            }
                        }
                    }
                }
            }
            let what = revoke_purpose(
                privileges,
                on,
                g,
                grant_option_only,
                if cascade { " CASCADE" } else { "" },
            );
            if !changed && others.is_empty() {
                self.noops.push(format!("{what}: nothing to revoke"));
                continue;
            }
            if changed {
                // REVOKE ON ALL ... IN SCHEMA fails as a whole when the grantor holds no
                // privilege at all on one of them: then one REVOKE per object it changes.
                let refused = matches!(on, Target::AllInSchema { .. })
                    && objs
                        .iter()
                        .any(|&o| self.would_refuse_revoke(o, privileges));
                if refused {
                    let each: Vec<usize> = objs
                        .iter()
                        .copied()
                        .filter(|&o| changed_oids.contains(&self.after.objects[o].oid))
                        .collect();
                    for o in each {
                        let obj = &self.after.objects[o];
                        let args = obj
                            .kind
                            .is_routine()
                            .then_some(obj.detail.as_deref())
                            .flatten();
                        let sql = render::revoke(
                            &render::object(obj.kind, obj.schema.as_deref(), &obj.name, args),
                            &render::privileges(privileges, &[]),
                            std::slice::from_ref(g),
                            grant_option_only,
                            cascade,
                        );
                        self.push(ORDER_REVOKE, sql, what.clone());
                    }
                } else {
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
                    self.push(ORDER_REVOKE, sql, what.clone());
                }
            }
            self.revoke_as_grantors(g, grantee, others, grant_option_only, cascade, &what);
        }
        Ok(())
    }

    /// The schema of object `o` when `role` has no USAGE on it (statements run as `role` then
    /// cannot name the object).
    /// Statements run as another role come before the plan's revokes, so the role may reach
    /// the schema as the database is now or as the plan leaves it.
    fn schema_out_of_reach(&self, role: i64, o: usize) -> Option<String> {
        let schema = self.after.objects[o].schema.clone()?;
        let reaches = |snap: &Snapshot| {
            let e = Engine::new(snap);
            let Some(s) = snap
                .objects
                .iter()
                .position(|x| x.kind == ObjectKind::Schema && x.name == schema)
            else {
                return false;
            };
            e.privileges_of(role)
                .is_some_and(|view| e.check(&view, s, Privilege::Usage).is_some())
        };
        (!reaches(self.before) && !reaches(&self.after)).then_some(schema)
    }

    /// Whether PostgreSQL refuses a REVOKE of `privileges` on `o` by the connecting role
    /// outright: its grantor is not the owner and holds no privilege at all on the object.
    fn would_refuse_revoke(&mut self, o: usize, privileges: &[Privilege]) -> bool {
        let grantor = self.grantor_for(o, privileges);
        let obj = &self.after.objects[o];
        if grantor == obj.owner {
            return false;
        }
        let e = Engine::new(&self.after);
        let Some(view) = e.privileges_of(grantor) else {
            return true;
        };
        !obj.kind
            .privileges(self.after.version_num)
            .iter()
            .any(|p| e.check(&view, o, p).is_some())
    }

    /// Revokes only the grants `by` made of `privileges` on `on` to `from`, as `by` (SET ROLE).
    pub(super) fn revoke_granted_by(
        &mut self,
        privileges: &[Privilege],
        on: &Target,
        from: &[String],
        by: &str,
        grant_option_only: bool,
        cascade: bool,
    ) -> Result<()> {
        self.note_scope(on);
        let objs = resolve::target(&self.after, &self.names, on)?;
        let grantor = self.need_member_role(by)?;
        let targets = if on.columns().is_empty() {
            objs.clone()
        } else {
            self.column_objects(objs[0], on.columns())?
        };
        for g in from {
            let grantee = self.need_role(g)?;
            let mut list: Vec<(usize, Vec<Privilege>)> = Vec::new();
            for &o in &targets {
                let held: Vec<Privilege> = privileges
                    .iter()
                    .copied()
                    .filter(|p| {
                        self.after.objects[o].acl.iter().any(|e| {
                            e.grantee == grantee
                                && e.grantor == grantor
                                && e.privilege == *p
                                && (!grant_option_only || e.grantable)
                        })
                    })
                    .collect();
                for p in &held {
                    self.touched.insert((o, *p));
                }
                if !held.is_empty() {
                    list.push((o, held));
                }
            }
            let what = revoke_purpose(
                privileges,
                on,
                g,
                grant_option_only,
                &format!(" (the grant {} made)", display_role(by)),
            );
            if list.is_empty() {
                self.noops.push(format!("{what}: nothing to revoke"));
                continue;
            }
            let by_map = [(grantor, list)].into_iter().collect();
            self.revoke_as_grantors(g, grantee, by_map, grant_option_only, cascade, &what);
        }
        Ok(())
    }

    /// Revokes, from `grantee`, the grants other grantors made (`by`: per grantor, the objects
    /// and privileges): as each grantor (`SET ROLE`), one object at a time, when the connecting
    /// role may become it; otherwise the step is blocking, with the statement its grantor
    /// would run.
    fn revoke_as_grantors(
        &mut self,
        name: &str,
        grantee: i64,
        by: std::collections::BTreeMap<i64, Vec<(usize, Vec<Privilege>)>>,
        grant_option_only: bool,
        cascade: bool,
        what: &str,
    ) {
        let me = self.after.current_user;
        for (grantor, list) in by {
            let e = Engine::new(&self.after);
            let Some(gname) = e.role(grantor).map(|r| r.name.clone()) else {
                continue;
            };
            let statements: Vec<String> = list
                .iter()
                .map(|(o, ps)| {
                    let obj = &self.after.objects[*o];
                    let (kind, cols) = if obj.kind == ObjectKind::Column {
                        (ObjectKind::Table, obj.detail.iter().cloned().collect())
                    } else {
                        (obj.kind, Vec::new())
                    };
                    let args = obj
                        .kind
                        .is_routine()
                        .then_some(obj.detail.as_deref())
                        .flatten();
                    render::revoke(
                        &render::object(kind, obj.schema.as_deref(), &obj.name, args),
                        &render::privileges(ps, &cols),
                        &[name.to_string()],
                        grant_option_only,
                        cascade,
                    )
                })
                .collect();
            // As the grantor, the statement must reach the object: USAGE on its schema.
            if let Some(schema) = list
                .iter()
                .find_map(|(o, _)| self.schema_out_of_reach(grantor, *o))
            {
                self.blocking.push(format!(
                    "{} cannot reach schema {schema} (no USAGE), so the REVOKE run as it would be \
                     refused; fix: GRANT USAGE ON SCHEMA {} TO {} first",
                    display_role(&gname),
                    crate::quote::ident(&schema),
                    render::grantee(&gname)
                ));
            }
            if !e.has_role(me, grantor, RoleMode::Set) {
                let who = shown(&e, me);
                let shown = statements.first().cloned().unwrap_or_default();
                self.blocking.push(format!(
                    "{who} cannot revoke what {} granted to {}: a REVOKE removes only the grants \
                     its grantor made, and {who} cannot SET ROLE {}; fix: as {} (or a superuser) \
                     run {shown}{}",
                    display_role(&gname),
                    display_role(name),
                    display_role(&gname),
                    display_role(&gname),
                    if statements.len() > 1 {
                        format!(" (and {} more)", statements.len() - 1)
                    } else {
                        String::new()
                    }
                ));
            }
            // Blocking or not, the statements stay in the plan: the SQL shown is what a dry run
            // tries (and shows the server refusing). They run before the plan's own revokes,
            // while the grantor still holds what it needs to reach the object.
            let purpose = format!("{what}: the grant made by {}", display_role(&gname));
            self.push(ORDER_GRANTED_BY, render::set_role(&gname), purpose.clone());
            for s in statements {
                self.push(ORDER_GRANTED_BY, s, purpose.clone());
            }
            self.push(ORDER_GRANTED_BY, render::RESET_ROLE.into(), purpose);
            for (o, ps) in list {
                let acl = &mut self.after.objects[o].acl;
                if grant_option_only {
                    for x in acl.iter_mut().filter(|x| {
                        x.grantee == grantee && x.grantor == grantor && ps.contains(&x.privilege)
                    }) {
                        x.grantable = false;
                    }
                } else {
                    acl.retain(|x| {
                        !(x.grantee == grantee && x.grantor == grantor && ps.contains(&x.privilege))
                    });
                }
            }
        }
    }

    pub(super) fn grant_role(
        &mut self,
        role: &str,
        to: &str,
        admin: bool,
        inherit: Option<bool>,
        set: Option<bool>,
        granted_by: Option<&str>,
    ) -> Result<()> {
        let r = self.need_member_role(role)?;
        let m = self.need_member_role(to)?;
        // PostgreSQL refuses memberships that loop back.
        if r == m {
            return Err(Error::invalid(format!(
                "{} cannot be a member of itself",
                display_role(role)
            )));
        }
        let loops = {
            // Is `r` already a member of `m`, through any chain of memberships?
            let mut seen: BTreeSet<i64> = BTreeSet::new();
            let mut todo = vec![r];
            while let Some(x) = todo.pop() {
                for y in self.after.memberships.iter().filter(|x2| x2.member == x) {
                    if seen.insert(y.role) {
                        todo.push(y.role);
                    }
                }
            }
            seen.contains(&m)
        };
        if loops {
            return Err(Error::invalid(format!(
                "{} is already a member of {} (directly or through other roles): granting {} to {} would make a loop, which PostgreSQL refuses",
                display_role(role),
                display_role(to),
                display_role(role),
                display_role(to)
            )));
        }
        self.check_can_manage_role(
            Some(r),
            &format!("grant {} to {}", display_role(role), display_role(to)),
        );
        let by = match granted_by {
            Some(g) => Some(self.need_member_role(g)?),
            None => None,
        };
        if let (Some(g), Some(name)) = (by, granted_by) {
            self.check_can_act_as(
                g,
                name,
                &format!("grant {} to {}", display_role(role), display_role(to)),
            );
        }
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
        let grantor = match by {
            Some(g) => g,
            None if v16 => self
                .membership_grantor(r)
                .unwrap_or(self.after.current_user),
            None => self.after.current_user,
        };
        let mut options = Vec::new();
        if admin {
            options.push("ADMIN");
        }
        match inherit {
            Some(true) => options.push("INHERIT"),
            Some(false) => options.push("NOINHERIT"),
            None => {}
        }
        match set {
            Some(true) => options.push("SET"),
            Some(false) => options.push("NOSET"),
            None => {}
        }
        let what = format!(
            "GRANT {} TO {}{}{}",
            display_role(role),
            display_role(to),
            if options.is_empty() { "" } else { " WITH " },
            options.join(", ")
        );
        // From 16 on each grantor's grant has its own options: one that inherits (or allows
        // SET ROLE) keeps doing so whatever this grant says.
        if v16 {
            let name_of = |oid: i64| {
                self.after
                    .roles
                    .iter()
                    .find(|x| x.oid == oid)
                    .map(|x| display_role(&x.name))
                    .unwrap_or_else(|| format!("#{oid}"))
            };
            for x in self
                .after
                .memberships
                .iter()
                .filter(|x| x.role == r && x.member == m && x.grantor != grantor)
            {
                if inherit == Some(false) && x.inherit {
                    self.warnings.push(format!(
                        "{} still inherits {} through the grant {} made: NOINHERIT here changes only this grantor's grant",
                        display_role(to),
                        display_role(role),
                        name_of(x.grantor)
                    ));
                }
                if set == Some(false) && x.set {
                    self.warnings.push(format!(
                        "{} may still SET ROLE {} through the grant {} made: NOSET here changes only this grantor's grant",
                        display_role(to),
                        display_role(role),
                        name_of(x.grantor)
                    ));
                }
            }
        }
        let existing = self
            .after
            .memberships
            .iter_mut()
            .find(|x| x.role == r && x.member == m && (x.grantor == grantor || !v16));
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
                    granted_by,
                },
            ),
            what,
        );
        self.members_touched.insert(m);
        self.my_privileges.clear();
        self.reach.clear();
        Ok(())
    }

    /// The grantor PostgreSQL 16+ records for a GRANT or REVOKE of membership in `role` by the
    /// connecting role (check_role_grantor): the bootstrap superuser for a superuser; else the
    /// connecting role when it holds ADMIN OPTION on `role`, or the nearest role it inherits
    /// that does. Before 16 a membership has one row, whoever granted it.
    pub(super) fn membership_grantor(&mut self, role: i64) -> Option<i64> {
        let me = self.after.current_user;
        let (su, order) = self.privilege_roles(me).clone();
        if su {
            return Some(BOOTSTRAP_SUPERUSER);
        }
        // select_best_admin: the first of the roles whose privileges it uses, in PostgreSQL's
        // order, holding ADMIN OPTION on `role` (a role never has it on itself).
        order.into_iter().filter(|&x| x != role).find(|&x| {
            self.after
                .memberships
                .iter()
                .any(|m| m.role == role && m.member == x && m.admin)
        })
    }

    /// Blocking unless the connecting role may name `grantor` in GRANTED BY: a superuser, or
    /// a role that has `grantor`'s privileges.
    fn check_can_act_as(&mut self, grantor: i64, name: &str, what: &str) {
        let me = self.after.current_user;
        let e = Engine::new(&self.after);
        if e.has_role(me, grantor, RoleMode::Usage) {
            return;
        }
        let who = shown(&e, me);
        self.blocking.push(format!(
            "{who} cannot {what} as granted by {}: it does not have the privileges of {}; fix: run it as {} or a superuser",
            display_role(name),
            display_role(name),
            display_role(name)
        ));
    }

    pub(super) fn revoke_role(
        &mut self,
        role: &str,
        from: &str,
        granted_by: Option<&str>,
        admin_option_only: bool,
    ) -> Result<()> {
        let r = self.need_member_role(role)?;
        let m = self.need_member_role(from)?;
        let v16 = self.after.version_num >= 160000;
        let by = match granted_by {
            Some(g) => Some(self.need_member_role(g)?),
            None => None,
        };
        let what = format!(
            "REVOKE {}{} FROM {}{}",
            if admin_option_only {
                "ADMIN OPTION FOR "
            } else {
                ""
            },
            display_role(role),
            display_role(from),
            granted_by
                .map(|g| format!(" GRANTED BY {}", display_role(g)))
                .unwrap_or_default()
        );
        // Before 16 a membership is one row, whoever granted it.
        let matches = |x: &Membership| {
            x.role == r
                && x.member == m
                && (!v16 || by.is_none_or(|g| x.grantor == g))
                && (!admin_option_only || x.admin)
        };
        let rows: Vec<Membership> = self
            .after
            .memberships
            .iter()
            .filter(|x| matches(x))
            .cloned()
            .collect();
        if rows.is_empty() {
            self.noops.push(format!(
                "{what}: {}",
                if admin_option_only {
                    "no ADMIN OPTION to revoke"
                } else {
                    "not a member"
                }
            ));
            return Ok(());
        }
        self.check_can_manage_role(
            Some(r),
            &format!("revoke {} from {}", display_role(role), display_role(from)),
        );
        if by.is_some() || admin_option_only {
            // Grants the member made with its ADMIN OPTION depend on it.
            let dependent = self
                .after
                .memberships
                .iter()
                .any(|x| x.role == r && x.grantor == m);
            let last_admin = !self
                .after
                .memberships
                .iter()
                .any(|x| x.role == r && x.member == m && x.admin && !matches(x));
            if dependent && last_admin {
                self.blocking.push(format!(
                    "{} granted {} to others with its ADMIN OPTION: PostgreSQL refuses to revoke \
                     it while those grants depend on it; fix: revoke those memberships first",
                    display_role(from),
                    display_role(role)
                ));
            }
            if let (Some(g), Some(name), true) = (by, granted_by, v16) {
                self.check_can_act_as(
                    g,
                    name,
                    &format!("revoke {} from {}", display_role(role), display_role(from)),
                );
            }
            // ADMIN OPTION held from several grantors (16+): each grant is its own, revoked as
            // its grantor, or blocking where the connecting role cannot act as it.
            let mut statements = Vec::new();
            if admin_option_only && by.is_none() && v16 {
                let default = self.membership_grantor(r);
                let me = self.after.current_user;
                let e = Engine::new(&self.after);
                let me_name = shown(&e, me);
                let mut grantors: Vec<(i64, String)> = rows
                    .iter()
                    .map(|x| {
                        (
                            x.grantor,
                            e.role(x.grantor)
                                .map(|y| y.name.clone())
                                .unwrap_or_else(|| format!("#{}", x.grantor)),
                        )
                    })
                    .collect();
                grantors.sort_by_key(|(g, n)| (Some(*g) != default, n.clone()));
                for (g, gname) in grantors {
                    if Some(g) == default {
                        statements.push(render::revoke_role(role, from, None, true));
                    } else if e.has_role(me, g, RoleMode::Usage) {
                        statements.push(render::revoke_role(role, from, Some(&gname), true));
                    } else {
                        self.blocking.push(format!(
                            "{me_name} cannot revoke the ADMIN OPTION {} gave {} on {}: it does not have the privileges of {}; fix: as {} (or a superuser) run {}",
                            display_role(&gname),
                            display_role(from),
                            display_role(role),
                            display_role(&gname),
                            display_role(&gname),
                            render::revoke_role(role, from, Some(&gname), true)
                        ));
                        statements.push(render::revoke_role(role, from, Some(&gname), true));
                    }
                }
            } else {
                statements.push(render::revoke_role(
                    role,
                    from,
                    granted_by.filter(|_| v16),
                    admin_option_only,
                ));
            }
            for x in self.after.memberships.iter_mut().filter(|x| matches(x)) {
                x.admin = false;
            }
            if !admin_option_only {
                self.after.memberships.retain(|x| !matches(x));
            }
            for sql in statements {
                self.push(ORDER_MEMBERSHIP, sql, what.clone());
            }
            self.members_touched.insert(m);
            self.my_privileges.clear();
            self.reach.clear();
            return Ok(());
        }
        let me = self.after.current_user;
        let default = self.membership_grantor(r);
        let name_of = |oid: i64| {
            self.after
                .roles
                .iter()
                .find(|x| x.oid == oid)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| format!("#{oid}"))
        };
        let mut sql = Vec::new();
        if self.after.version_num < 160000 {
            // One row per membership: REVOKE removes it whoever granted it.
            sql.push(render::revoke_role(role, from, None, false));
        } else {
            // One row per grantor: each REVOKE removes only its grantor's, so each row is
            // revoked as its grantor (GRANTED BY), which the connecting role may name when it
            // has that role's privileges.
            let e = Engine::new(&self.after);
            let me_name = shown(&e, me);
            let mut rows = rows;
            rows.sort_by_key(|x| (Some(x.grantor) != default, name_of(x.grantor)));
            for x in rows {
                let grantor = name_of(x.grantor);
                if Some(x.grantor) == default {
                    sql.push(render::revoke_role(role, from, None, false));
                } else if e.has_role(me, x.grantor, RoleMode::Usage) {
                    sql.push(render::revoke_role(role, from, Some(&grantor), false));
                } else {
                    self.blocking.push(format!(
                        "{me_name} cannot revoke {} from {} granted by {}: a REVOKE removes only \
                         the grant its grantor made, and {me_name} does not have the privileges \
                         of {}; fix: as {} (or a superuser) run {}",
                        display_role(role),
                        display_role(from),
                        display_role(&grantor),
                        display_role(&grantor),
                        display_role(&grantor),
                        render::revoke_role(role, from, Some(&grantor), false)
                    ));
                    // Kept in the plan: a dry run shows the server refusing it.
                    sql.push(render::revoke_role(role, from, Some(&grantor), false));
                }
            }
            // A member that passed the membership on WITH ADMIN OPTION: those grants depend
            // on this one.
            let dependent = self
                .after
                .memberships
                .iter()
                .any(|x| x.role == r && x.grantor == m);
            if dependent {
                self.blocking.push(format!(
                    "{} granted {} to others with its ADMIN OPTION: PostgreSQL refuses to revoke \
                     it while those grants depend on it; fix: revoke those memberships first",
                    display_role(from),
                    display_role(role)
                ));
            }
        }
        self.after
            .memberships
            .retain(|x| !(x.role == r && x.member == m));
        let n = sql.len();
        for (i, s) in sql.into_iter().enumerate() {
            let purpose = if n > 1 {
                format!("{what} ({} of {n}: one per grantor)", i + 1)
            } else {
                what.clone()
            };
            self.push(ORDER_MEMBERSHIP, s, purpose);
        }
        self.members_touched.insert(m);
        self.my_privileges.clear();
        self.reach.clear();
        Ok(())
    }

    pub(super) fn create_role(
        &mut self,
        name: &str,
        attributes: render::RoleAttributes,
        password: NewPassword,
        valid_until: Option<&str>,
        in_roles: &[String],
    ) -> Result<()> {
        let login = attributes.login;
        super::super::check_new_role_name(name)?;
        if self.role_oid(name).is_some() {
            // Not a no-op: what was asked for (LOGIN, a password, memberships) would be lost.
            return Err(Error::invalid(format!(
                "the role {} exists already: create-role makes new roles; change this one with \
                 grant-role and the grant changes (or ALTER ROLE in psql)",
                display_role(name)
            )));
        }
        for g in in_roles {
            self.need_member_role(g)?;
        }
        self.check_can_manage_role(None, &format!("create role {}", display_role(name)));
        for g in in_roles {
            if let Some(r) = self.role_oid(g) {
                self.check_can_manage_role(
                    Some(r),
                    &format!("add {} to {}", display_role(name), display_role(g)),
                );
            }
        }
        let verifier = (password != NewPassword::None).then(|| {
            let secret = Secret::generate(24);
            let v = super::super::scram::verifier(secret.expose());
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
            attributes,
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
            createrole: attributes.createrole,
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
        self.my_privileges.clear();
        self.reach.clear();
        self.push(
            ORDER_ROLE,
            sql,
            format!("create role {}", display_role(name)),
        );
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn default_privileges(
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
        // FOR ROLE r: a superuser, or a role with r's privileges (16+) or membership in r.
        if for_role.is_some() {
            let me = self.after.current_user;
            let e = Engine::new(&self.after);
            let mode = if self.after.version_num >= 160000 {
                RoleMode::Usage
            } else {
                RoleMode::Member
            };
            if !e.has_role(me, owner, mode) {
                let who = shown(&e, me);
                let target = for_role.map(display_role).unwrap_or_default();
                self.blocking.push(format!(
                    "{who} cannot change the default privileges of {target}: that needs {} {target}; fix: as {target} (or a superuser) run it, or GRANT {target} TO {who}",
                    if mode == RoleMode::Usage {
                        "the privileges of"
                    } else {
                        "membership in"
                    }
                ));
            }
        }
        if on == DefaultObjectType::LargeObjects {
            if self.after.version_num < 180000 {
                return Err(Error::invalid(
                    "default privileges on large objects need PostgreSQL 18 or newer",
                ));
            }
            if in_schema.is_some() {
                return Err(Error::invalid(
                    "large objects belong to no schema: their default privileges cannot be IN SCHEMA",
                ));
            }
        }
        if on == DefaultObjectType::Schemas && in_schema.is_some() {
            return Err(Error::invalid(
                "schemas belong to no schema: their default privileges cannot be IN SCHEMA",
            ));
        }
        // Only what objects of that type can hold on this server (MAINTAIN from 17 on).
        let version = self.after.version_num;
        for p in privileges {
            if !on.object_kind().privileges(version).contains(*p) {
                return Err(Error::invalid(format!(
                    "{} does not apply to {} on this server (PostgreSQL {}.{})",
                    p.sql(),
                    on.sql(),
                    version / 10000,
                    version % 10000
                )));
            }
        }
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
                // A new global rule starts from the built-in defaults (the owner holds
                // everything; PUBLIC may execute functions and use types), as PostgreSQL's does.
                let acl = if in_schema.is_none() {
                    on.builtin_acl(owner, self.after.version_num)
                } else {
                    Vec::new()
                };
                self.after.default_acls.push(DefaultAcl {
                    role: owner,
                    schema: in_schema.map(String::from),
                    object_type: on,
                    acl,
                });
                self.after.default_acls.len() - 1
            }
        };
        // A rule IN SCHEMA only adds to the global one (or the built-in defaults): revoking
        // there what only the global rule gives removes nothing.
        if !grant && in_schema.is_some() {
            let global: Vec<AclEntry> = match self
                .after
                .default_acls
                .iter()
                .find(|d| d.role == owner && d.schema.is_none() && d.object_type == on)
            {
                Some(d) => d.acl.clone(),
                None => on.builtin_acl(owner, self.after.version_num),
            };
            let schema_rule = &self.after.default_acls[rule].acl;
            for (g, name) in grantees.iter().zip(roles) {
                for p in privileges {
                    let from_global = global.iter().any(|e| e.grantee == *g && e.privilege == *p);
                    let in_rule = schema_rule
                        .iter()
                        .any(|e| e.grantee == *g && e.privilege == *p);
                    if from_global && !in_rule {
                        return Err(Error::invalid(format!(
                            "{} gets {} on new {} from the rule for every schema (or the built-in defaults), which a rule IN SCHEMA cannot take away: revoke it without in_schema",
                            display_role(name),
                            p.sql(),
                            on.sql().to_lowercase()
                        )));
                    }
                }
            }
        }
        let mut changed = false;
        for &g in &grantees {
            for p in privileges {
                let acl = &mut self.after.default_acls[rule].acl;
                let present = acl.iter().position(|e| e.grantee == g && e.privilege == *p);
                match present {
                    None if grant => {
                        acl.push(AclEntry {
                            grantee: g,
                            grantor: owner,
                            privilege: *p,
                            grantable: with_grant_option,
                        });
                        changed = true;
                    }
                    Some(i) if grant && with_grant_option && !acl[i].grantable => {
                        acl[i].grantable = true;
                        changed = true;
                    }
                    Some(_) if !grant => {
                        acl.retain(|e| !(e.grantee == g && e.privilege == *p));
                        changed = true;
                    }
                    _ => {}
                }
            }
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
    pub(super) fn shortcut(
        &mut self,
        on: &Target,
        to: &str,
        privileges: &[Privilege],
    ) -> Result<()> {
        if self.role_oid(to).is_none() {
            if to.eq_ignore_ascii_case(super::super::PUBLIC_NAME) {
                // Creating a role named "PUBLIC" for a shortcut is never what was meant.
                return Err(Error::not_found(format!(
                    "no role named {to:?}{}",
                    public_hint(to)
                )));
            }
            self.create_role(to, Default::default(), NewPassword::None, None, &[])?;
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
                    None,
                )?;
            }
        }
        self.grant(privileges, on, &[to.to_string()], false, None)
    }
}
