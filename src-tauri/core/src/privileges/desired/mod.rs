//! Export the privileges of a database as a declarative document (JSON) or a runnable SQL
//! script, and plan the difference between a document (desired state) and the database.
//!
//! Scope rules, chosen so that a round trip shows no false changes:
//! - only objects listed in a document are managed; an object with the built-in default ACL is
//!   not exported;
//! - the owner's own privileges are managed only when the document lists the owner as a grantee
//!   of that object (so a server that adds a privilege to "ALL", like MAINTAIN in 17, does not
//!   make every table differ);
//! - grants made by someone other than the owner are reported, not revoked;
//! - memberships are managed when their section is present: then every membership of a
//!   non-predefined role is as listed; default privileges likewise, for the (role, schema, kind)
//!   rules listed.

use super::engine::Engine;
use super::inspect::{AclEntry, DbObject, DefaultObjectType, Snapshot};
use super::plan::{Change, Target};
use super::render::{self, MembershipOptions};
use super::{display_role, ObjectKind, Privilege, PUBLIC_NAME};
use crate::error::{Error, Result};
use crate::quote::comment;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredGrant {
    /// A role's exact name, or `public` for the PUBLIC pseudo-role (a role named "PUBLIC" is
    /// written "PUBLIC").
    pub to: String,
    pub privileges: Vec<Privilege>,
    /// The subset of `privileges` held WITH GRANT OPTION.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grantable: Vec<Privilege>,
    /// Who granted it, when not the owner (informational: such grants are not managed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grantor: Option<String>,
}

impl DesiredGrant {
    /// The privileges granted without the grant option.
    fn without_grant_option(&self) -> Vec<Privilege> {
        self.privileges
            .iter()
            .filter(|p| !self.grantable.contains(p))
            .copied()
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredObject {
    pub kind: ObjectKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub grants: Vec<DesiredGrant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredMembership {
    pub role: String,
    pub member: String,
    #[serde(default)]
    pub admin: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherit: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<bool>,
    /// Who granted it, when not the bootstrap superuser (a superuser's grants are recorded
    /// under it from 16 on). From 16 on a membership has one grant per grantor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grantor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredDefault {
    pub for_role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub on: DefaultObjectType,
    pub grants: Vec<DesiredGrant>,
}

/// A database's privileges as data: exported by Grantry, edited by a DBA, planned against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredState {
    pub format: u32,
    pub database: String,
    /// server_version_num of the server the document was exported from: privileges that server
    /// did not have (MAINTAIN before 17) are not managed by the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<i32>,
    pub objects: Vec<DesiredObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memberships: Option<Vec<DesiredMembership>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_privileges: Option<Vec<DesiredDefault>>,
    /// What an object the document does not list should have: `default` (the built-in
    /// privileges, which is why the export leaves such objects out), or `unmanaged` (left as it
    /// is; what a hand-written document that lists a few objects means, and the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlisted: Option<Unlisted>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unlisted {
    Default,
    Unmanaged,
}

/// Whether the export covers objects of this kind (and so a document with `unlisted:
/// default` manages them): the connected database among the databases, everything else.
fn exported(snap: &Snapshot, o: &DbObject) -> bool {
    match o.kind {
        ObjectKind::Database => o.name == snap.database,
        _ => true,
    }
}

/// An object with its built-in privileges, as a document entry: the owner holds every
/// privilege of the kind, PUBLIC what acldefault gives it.
fn with_default_privileges(e: &Engine, snap: &Snapshot, o: &DbObject) -> DesiredObject {
    use Privilege::*;
    let owner = role_name(e, o.owner);
    let mut grants = Vec::new();
    if o.kind != ObjectKind::Column {
        grants.push(DesiredGrant {
            to: owner.clone(),
            privileges: o.kind.privileges(snap.version_num).iter().collect(),
            grantable: Vec::new(),
            grantor: None,
        });
    }
    let public: &[Privilege] = match o.kind {
        ObjectKind::Database => &[Connect, Temporary],
        ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Aggregate => &[Execute],
        ObjectKind::Language | ObjectKind::Type | ObjectKind::Domain => &[Usage],
        _ => &[],
    };
    if !public.is_empty() {
        grants.push(DesiredGrant {
            to: PUBLIC_NAME.into(),
            privileges: public.to_vec(),
            grantable: Vec::new(),
            grantor: None,
        });
    }
    DesiredObject {
        kind: o.kind,
        schema: o.schema.clone(),
        name: o.name.clone(),
        args: o.kind.is_routine().then(|| o.detail.clone()).flatten(),
        column: (o.kind == ObjectKind::Column)
            .then(|| o.detail.clone())
            .flatten(),
        owner: Some(owner),
        grants,
    }
}

/// PostgreSQL's bootstrap superuser (always oid 10): the owner of every parameter.
const BOOTSTRAP_SUPERUSER: i64 = 10;

/// The document format this Grantry writes. Format 2 names the PUBLIC pseudo-role `public`;
/// format 1 wrote `PUBLIC`, which a role may be named too.
pub const FORMAT: u32 = 2;

fn role_name(e: &Engine, oid: i64) -> String {
    e.name_of(oid)
}

/// The document as YAML. The key `on` is written quoted: YAML 1.1 tools (PyYAML, many
/// editors' plugins) read a bare `on` as the boolean true.
pub fn to_yaml(d: &DesiredState) -> String {
    let text = serde_yaml::to_string(d).expect("serializable");
    let mut out = Vec::new();
    // Inside a block scalar (`|-`), lines are a value's text, not keys.
    let mut block: Option<usize> = None;
    for l in text.lines() {
        let indent = l.len() - l.trim_start().len();
        if let Some(b) = block {
            if indent > b || l.trim().is_empty() {
                out.push(l.to_string());
                continue;
            }
            block = None;
        }
        let rest = l.trim_start_matches([' ', '-']);
        let lead = &l[..l.len() - rest.len()];
        let line = match rest.strip_prefix("on: ") {
            Some(v) => format!("{lead}'on': {v}"),
            None => l.to_string(),
        };
        // A key whose value is a block scalar: its text is indented deeper than the key.
        if [": |-", ": |", ": >-", ": >", ": |+", ": >+"]
            .iter()
            .any(|e| rest.ends_with(e))
        {
            block = Some(lead.len());
        }
        out.push(line);
    }
    let quoted = out.join("\n") + "\n";
    // Whatever the text, the document must read back the same; else the plain text stands.
    match serde_yaml::from_str::<DesiredState>(&quoted) {
        Ok(back) if &back == d => quoted,
        _ => text,
    }
}

/// A desired-state document from its text: JSON, or YAML (DBAs keep access as code in git).
pub fn parse_document(text: &str) -> Result<DesiredState> {
    let doc: DesiredState = if text.trim_start().starts_with('{') {
        serde_json::from_str(text)
            .map_err(|e| Error::invalid(format!("not a desired-state document (JSON): {e}")))?
    } else {
        serde_yaml::from_str(text)
            .map_err(|e| Error::invalid(format!("not a desired-state document (YAML): {e}")))?
    };
    Ok(doc)
}

/// Two entries of a document for one object: refused, naming both, rather than the last
/// silently winning (a duplicate with no grants would revoke what the first one lists).
/// A document's grants must make sense on their own: privileges the kind has at all, grant
/// options only for privileges granted.
fn check_grants(d: &DesiredState) -> Result<()> {
    for (i, o) in d.objects.iter().enumerate() {
        let kind = if o.kind == ObjectKind::Column {
            ObjectKind::Column
        } else {
            o.kind
        };
        let any = kind.privileges(i32::MAX);
        for g in &o.grants {
            if let Some(p) = g.privileges.iter().find(|p| !any.contains(**p)) {
                return Err(Error::invalid(format!(
                    "objects[{i}] ({} {}): {} does not apply to a {}",
                    kind_word(o.kind),
                    crate::quote::escape_controls(&label_of(o)),
                    p.sql(),
                    o.kind.label()
                )));
            }
            if let Some(p) = g.grantable.iter().find(|p| !g.privileges.contains(p)) {
                return Err(Error::invalid(format!(
                    "objects[{i}] ({}): {} is listed as grantable to {} but not granted",
                    crate::quote::escape_controls(&label_of(o)),
                    p.sql(),
                    crate::quote::escape_controls(&g.to)
                )));
            }
        }
        // One entry per (grantee, grantor): two would have to be merged, one losing.
        let mut seen = BTreeSet::new();
        for g in &o.grants {
            if !seen.insert((g.to.clone(), g.grantor.clone())) {
                return Err(Error::invalid(format!(
                    "objects[{i}] ({}) lists the grants to {} twice: merge them into one entry",
                    crate::quote::escape_controls(&label_of(o)),
                    crate::quote::escape_controls(&g.to)
                )));
            }
        }
    }
    Ok(())
}

fn check_duplicates(d: &DesiredState) -> Result<()> {
    // (kind, schema, name, argument list as same_args compares it, column)
    type Key = (
        ObjectKind,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    );
    let mut seen: BTreeMap<Key, usize> = BTreeMap::new();
    for (i, o) in d.objects.iter().enumerate() {
        let args = o.args.as_deref().map(super::inspect::normalize_args);
        let key = (
            o.kind,
            o.schema.clone(),
            o.name.clone(),
            args,
            o.column.clone(),
        );
        if let Some(first) = seen.insert(key, i) {
            return Err(Error::invalid(format!(
                "the document lists {} {} twice: objects[{first}] and objects[{i}]",
                kind_word(o.kind),
                crate::quote::escape_controls(&label_of(o))
            )));
        }
    }
    Ok(())
}

/// A format-1 document read with today's meaning: its `PUBLIC` grantees become `public`, unless
/// the server has a role named "PUBLIC", which format 1 cannot tell from the pseudo-role.
fn upgrade<'d>(snap: &Snapshot, d: &'d DesiredState) -> Result<Cow<'d, DesiredState>> {
    match d.format {
        FORMAT => return Ok(Cow::Borrowed(d)),
        1 => {}
        other => {
            return Err(Error::invalid(format!(
                "unsupported document format {other}: this Grantry reads formats 1 and {FORMAT}"
            )))
        }
    }
    let mut d = d.clone();
    let ambiguous = snap.roles.iter().any(|r| r.name == "PUBLIC");
    let grants = d
        .objects
        .iter_mut()
        .flat_map(|o| o.grants.iter_mut())
        .chain(
            d.default_privileges
                .iter_mut()
                .flatten()
                .flat_map(|x| x.grants.iter_mut()),
        );
    for g in grants {
        if g.to == "PUBLIC" {
            if ambiguous {
                return Err(Error::invalid(
                    "this format-1 document grants to PUBLIC and the server has a role named \"PUBLIC\": \
                     format 1 cannot tell them apart. Export the document again (format 2 writes the \
                     pseudo-role as public), or change \"PUBLIC\" to \"public\" where everyone is meant \
                     and set \"format\": 2",
                ));
            }
            g.to = PUBLIC_NAME.into();
        }
    }
    d.format = FORMAT;
    Ok(Cow::Owned(d))
}

/// Groups ACL entries by (grantee, grantor) into desired grants; the owner's self-grant is
/// skipped when it is complete (every privilege of the kind, owner-granted).
fn grants_of(
    e: &Engine,
    o: &DbObject,
    version_num: i32,
    include_full_owner: bool,
) -> Vec<DesiredGrant> {
    let all: BTreeSet<Privilege> = o.kind.privileges(version_num).iter().collect();
    let mut by: BTreeMap<(i64, i64), (BTreeSet<Privilege>, BTreeSet<Privilege>)> = BTreeMap::new();
    for a in &o.acl {
        let g = by.entry((a.grantee, a.grantor)).or_default();
        g.0.insert(a.privilege);
        if a.grantable {
            g.1.insert(a.privilege);
        }
    }
    let mut out = Vec::new();
    for ((grantee, grantor), (privs, grantable)) in by {
        let owners_own = grantee == o.owner
            && grantor == o.owner
            && privs == all
            && o.kind != ObjectKind::Column;
        if owners_own && !include_full_owner {
            continue;
        }
        out.push(DesiredGrant {
            to: role_name(e, grantee),
            privileges: privs.into_iter().collect(),
            grantable: grantable.into_iter().collect(),
            grantor: (grantor != o.owner).then(|| role_name(e, grantor)),
        });
    }
    out.sort_by(|a, b| a.to.cmp(&b.to).then(a.grantor.cmp(&b.grantor)));
    out
}

/// The database's privileges as a document (user objects with a non-default ACL, the connected
/// database itself, memberships of non-predefined roles and default privilege rules).
pub fn export_state(snap: &Snapshot) -> DesiredState {
    let e = Engine::new(snap);
    let mut objects = Vec::new();
    for o in &snap.objects {
        if !exported(snap, o) || o.default_acl {
            continue;
        }
        objects.push(DesiredObject {
            kind: o.kind,
            schema: o.schema.clone(),
            name: o.name.clone(),
            args: if matches!(
                o.kind,
                ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Aggregate
            ) {
                o.detail.clone()
            } else {
                None
            },
            column: if o.kind == ObjectKind::Column {
                o.detail.clone()
            } else {
                None
            },
            owner: Some(role_name(&e, o.owner)),
            grants: {
                let mut g = grants_of(&e, o, snap.version_num, false);
                // An owner that revoked all its own privileges is listed with none, so the
                // document manages (and reproduces) that.
                let owner = role_name(&e, o.owner);
                if o.kind != ObjectKind::Column
                    && !o.acl.iter().any(|a| a.grantee == o.owner)
                    && !g.iter().any(|x| x.to == owner && x.grantor.is_none())
                {
                    g.push(DesiredGrant {
                        to: owner,
                        privileges: Vec::new(),
                        grantable: Vec::new(),
                        grantor: None,
                    });
                    g.sort_by(|a, b| a.to.cmp(&b.to).then(a.grantor.cmp(&b.grantor)));
                }
                g
            },
        });
    }
    objects.sort_by(|a, b| {
        (a.kind, &a.schema, &a.name, &a.column).cmp(&(b.kind, &b.schema, &b.name, &b.column))
    });
    let predefined = |oid: i64| e.role(oid).is_none_or(|r| r.is_predefined());
    let mut memberships: Vec<DesiredMembership> = snap
        .memberships
        .iter()
        .filter(|m| !predefined(m.member))
        .map(|m| DesiredMembership {
            role: role_name(&e, m.role),
            member: role_name(&e, m.member),
            admin: m.admin,
            inherit: (snap.version_num >= 160000).then_some(m.inherit),
            set: (snap.version_num >= 160000).then_some(m.set),
            grantor: (m.grantor != BOOTSTRAP_SUPERUSER).then(|| role_name(&e, m.grantor)),
        })
        .collect();
    memberships
        .sort_by(|a, b| (&a.member, &a.role, &a.grantor).cmp(&(&b.member, &b.role, &b.grantor)));
    memberships.dedup();
    let mut defaults: Vec<DesiredDefault> = snap
        .default_acls
        .iter()
        .map(|d| {
            let pseudo = DbObject {
                kind: ObjectKind::Table,
                oid: 0,
                subid: 0,
                schema: None,
                name: String::new(),
                detail: None,
                owner: d.role,
                default_acl: false,
                acl: d.acl.clone(),
            };
            let mut grants = grants_of(&e, &pseudo, 0, true);
            for g in &mut grants {
                g.grantor = None;
            }
            DesiredDefault {
                for_role: role_name(&e, d.role),
                schema: d.schema.clone(),
                on: d.object_type,
                grants,
            }
        })
        .collect();
    defaults.sort_by(|a, b| (&a.for_role, &a.schema, a.on).cmp(&(&b.for_role, &b.schema, b.on)));
    DesiredState {
        format: FORMAT,
        database: snap.database.clone(),
        server_version: Some(snap.version_num),
        objects,
        memberships: Some(memberships),
        default_privileges: Some(defaults),
        unlisted: Some(Unlisted::Default),
    }
}

fn target_of(o: &DesiredObject) -> Target {
    Target::Object {
        // A column's privileges are granted on its table (or view, ...), naming the column.
        kind: if o.kind == ObjectKind::Column {
            ObjectKind::Table
        } else {
            o.kind
        },
        schema: o.schema.clone(),
        name: o.name.clone(),
        args: o.args.clone(),
        columns: o.column.clone().into_iter().collect(),
    }
}

fn find<'a>(snap: &'a Snapshot, d: &DesiredObject) -> Option<&'a DbObject> {
    snap.objects.iter().find(|o| {
        o.kind == d.kind
            && o.name == d.name
            && o.schema == d.schema
            && match o.kind {
                ObjectKind::Column => o.detail == d.column,
                ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Aggregate => {
                    super::inspect::same_args(o.detail.as_deref(), d.args.as_deref())
                }
                _ => true,
            }
    })
}

/// The changes that turn the database into the document (for what the document manages), and
/// notes on what it leaves alone.
pub fn changes_for(snap: &Snapshot, desired: &DesiredState) -> Result<(Vec<Change>, Vec<String>)> {
    let desired = &*upgrade(snap, desired)?;
    check_duplicates(desired)?;
    check_grants(desired)?;
    if desired.database != snap.database {
        return Err(Error::invalid(format!(
            "the document describes database {:?}, not {:?}",
            desired.database, snap.database
        )));
    }
    let e = Engine::new(snap);
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    let mut as_grantors = Vec::new();
    let mut grantor_revokes = Vec::new();
    let here = |k: ObjectKind| {
        if k == ObjectKind::Column {
            ObjectKind::Column.privileges(snap.version_num)
        } else {
            k.privileges(snap.version_num)
        }
    };
    // Privileges of the document this server does not have, with how many grants list them.
    let mut absent: BTreeMap<Privilege, usize> = BTreeMap::new();
    // With `unlisted: default`, every object the document leaves out is to have its built-in
    // privileges: those that have others are planned back to them.
    let unlisted: Vec<DesiredObject> = if desired.unlisted == Some(Unlisted::Default) {
        // The listed objects, by address in the snapshot.
        let listed: std::collections::HashSet<*const DbObject> = desired
            .objects
            .iter()
            .filter_map(|d| find(snap, d).map(std::ptr::from_ref))
            .collect();
        snap.objects
            .iter()
            .filter(|o| {
                exported(snap, o) && !o.default_acl && !listed.contains(&std::ptr::from_ref(*o))
            })
            .map(|o| with_default_privileges(&e, snap, o))
            .collect()
    } else {
        Vec::new()
    };
    let synthesized = desired.objects.len();
    for (i, d) in desired.objects.iter().chain(unlisted.iter()).enumerate() {
        let authoritative = i >= synthesized;
        let current_acl: Vec<AclEntry>;
        let owner: i64;
        match find(snap, d) {
            Some(o) => {
                current_acl = o.acl.clone();
                owner = o.owner;
            }
            None if d.kind == ObjectKind::Column => {
                // A column without its own ACL yet.
                let table = snap
                    .objects
                    .iter()
                    .find(|o| o.kind.is_relation() && o.name == d.name && o.schema == d.schema)
                    .ok_or_else(|| {
                        Error::not_found(format!(
                            "no table {}.{}",
                            d.schema.clone().unwrap_or_default(),
                            d.name
                        ))
                    })?;
                current_acl = Vec::new();
                owner = table.owner;
            }
            // No catalog row until the first grant on it.
            None if d.kind == ObjectKind::Parameter => {
                current_acl = Vec::new();
                owner = BOOTSTRAP_SUPERUSER;
            }
            None => {
                return Err(Error::not_found(format!(
                    "the document lists {} {}, which does not exist",
                    d.kind.label(),
                    crate::quote::escape_controls(&label_of(d))
                )))
            }
        }
        let owner_name = role_name(&e, owner);
        let owner_managed = d
            .grants
            .iter()
            .any(|g| g.to == owner_name && g.grantor.is_none());
        // Desired (grantee, privilege) -> grantable, for owner-granted entries.
        let mut want: BTreeMap<(String, Privilege), bool> = BTreeMap::new();
        for g in d
            .grants
            .iter()
            .filter(|g| g.grantor.is_none() || g.grantor.as_deref() == Some(owner_name.as_str()))
        {
            for p in &g.privileges {
                // A privilege this server does not have (a PostgreSQL 17+ document's MAINTAIN
                // on 15 or 16) is left out, and said once.
                if !here(d.kind).contains(*p) {
                    *absent.entry(*p).or_default() += 1;
                    continue;
                }
                want.insert((g.to.clone(), *p), g.grantable.contains(p));
            }
        }
        // Privileges the document's server did not know are not managed.
        let known = d
            .kind
            .privileges(desired.server_version.unwrap_or(snap.version_num));
        let mut have: BTreeMap<(String, Privilege), bool> = BTreeMap::new();
        for a in current_acl
            .iter()
            .filter(|a| a.grantor == owner && known.contains(a.privilege))
        {
            have.insert((role_name(&e, a.grantee), a.privilege), a.grantable);
        }
        let complete = desired.unlisted == Some(Unlisted::Default);
        for a in current_acl.iter().filter(|a| a.grantor != owner) {
            let grantor = role_name(&e, a.grantor);
            let listed = d.grants.iter().any(|g| {
                g.to == role_name(&e, a.grantee)
                    && g.privileges.contains(&a.privilege)
                    && g.grantor.as_deref() == Some(grantor.as_str())
            });
            // A complete document lists every grant of the objects it lists: one by another
            // grantor that it does not list is revoked, as that grantor.
            if complete && !authoritative && !listed {
                grantor_revokes.push(Change::Revoke {
                    privileges: vec![a.privilege],
                    on: target_of(d),
                    from: vec![role_name(&e, a.grantee)],
                    grant_option_only: false,
                    cascade: true,
                    granted_by: Some(grantor),
                });
                continue;
            }
            if authoritative && !listed {
                // An unlisted object goes back to its built-in privileges, whoever granted
                // the others (the REVOKE runs as each grantor).
                changes.push(Change::Revoke {
                    privileges: vec![a.privilege],
                    on: target_of(d),
                    from: vec![role_name(&e, a.grantee)],
                    grant_option_only: false,
                    cascade: true,
                    granted_by: None,
                });
                continue;
            }
            if !listed {
                notes.push(format!(
                    "{} keeps {} on {} granted by {}: grants by other grantors are not managed",
                    role_name(&e, a.grantee),
                    a.privilege.sql(),
                    d.name,
                    role_name(&e, a.grantor)
                ));
            }
        }
        // Grants another grantor made: recreated as that grantor when missing.
        for g in d.grants.iter().filter(|g| {
            g.grantor
                .as_deref()
                .is_some_and(|by| by != owner_name.as_str())
        }) {
            let by = g.grantor.clone().unwrap_or_default();
            let by_oid = e.role_by_name(&by).map(|r| r.oid);
            let mut missing: BTreeMap<bool, Vec<Privilege>> = BTreeMap::new();
            for p in g.privileges.iter().filter(|p| here(d.kind).contains(**p)) {
                let wanted = g.grantable.contains(p);
                let held = current_acl.iter().any(|a| {
                    Some(a.grantor) == by_oid
                        && role_name(&e, a.grantee) == g.to
                        && a.privilege == *p
                        && (a.grantable || !wanted)
                });
                if !held {
                    missing.entry(wanted).or_default().push(*p);
                }
            }
            for (with_grant_option, privileges) in missing {
                as_grantors.push(Change::Grant {
                    privileges,
                    on: target_of(d),
                    to: vec![g.to.clone()],
                    with_grant_option,
                    granted_by: Some(by.clone()),
                });
            }
        }
        let mut grants: BTreeMap<(String, bool), Vec<Privilege>> = BTreeMap::new();
        let mut revokes: BTreeMap<(String, bool), Vec<Privilege>> = BTreeMap::new();
        for ((who, p), g) in &want {
            match have.get(&(who.clone(), *p)) {
                None => grants.entry((who.clone(), *g)).or_default().push(*p),
                Some(false) if *g => grants.entry((who.clone(), true)).or_default().push(*p),
                Some(true) if !*g => revokes.entry((who.clone(), true)).or_default().push(*p),
                _ => {}
            }
        }
        for (who, p) in have.keys() {
            if who == &owner_name && !owner_managed {
                continue;
            }
            if !want.contains_key(&(who.clone(), *p)) {
                revokes.entry((who.clone(), false)).or_default().push(*p);
            }
        }
        for ((who, with_grant_option), privileges) in grants {
            changes.push(Change::Grant {
                privileges,
                on: target_of(d),
                to: vec![who],
                with_grant_option,
                granted_by: None,
            });
        }
        for ((who, grant_option_only), privileges) in revokes {
            // What the role granted onwards with its option goes too, unless the document
            // keeps such a grant (then PostgreSQL's refusal is the honest answer).
            let keeps_its_grants = d
                .grants
                .iter()
                .any(|g| g.grantor.as_deref() == Some(who.as_str()));
            changes.push(Change::Revoke {
                privileges,
                on: target_of(d),
                from: vec![who],
                grant_option_only,
                cascade: !keeps_its_grants,
                granted_by: None,
            });
        }
    }
    changes.extend(grantor_revokes);
    changes.extend(as_grantors);
    for (p, n) in &absent {
        notes.push(format!(
            "the document lists {} in {n} grant{}: PostgreSQL {} has no such privilege, so {} left out",
            p.sql(),
            if *n == 1 { "" } else { "s" },
            snap.version_num / 10000,
            if *n == 1 { "it is" } else { "they are" }
        ));
    }
    if let Some(ms) = &desired.memberships {
        // Per-grant INHERIT and SET, and one grant per grantor, exist from 16 on.
        let v16 = snap.version_num >= 160000;
        let grantor_oid = |name: &Option<String>| -> Result<Option<i64>> {
            match name {
                None => Ok(None),
                Some(g) => e
                    .role_by_name(g)
                    .map(|r| Some(r.oid))
                    .ok_or_else(|| Error::not_found(format!("no role named {g:?} (a grantor)"))),
            }
        };
        // The current rows each document entry accounts for.
        let mut matched: BTreeSet<usize> = BTreeSet::new();
        let mut lost_options: Vec<String> = Vec::new();
        let mut revokes: Vec<Change> = Vec::new();
        let mut grants: Vec<Change> = Vec::new();
        for m in ms {
            let (Some(r), Some(mem)) = (e.role_by_name(&m.role), e.role_by_name(&m.member)) else {
                return Err(Error::not_found(format!(
                    "membership {} in {}: no such role",
                    m.member, m.role
                )));
            };
            // From 16 on an entry without a grantor is the bootstrap superuser's grant (what the
            // export leaves unsaid); before 16 a membership has one row, whoever granted it.
            let by = match grantor_oid(&m.grantor)? {
                Some(g) => Some(g),
                None if v16 => Some(BOOTSTRAP_SUPERUSER),
                None => None,
            };
            // Per-grant options a server before 16 cannot hold: inheritance and SET ROLE are
            // per member there, so the membership would give more than the document says.
            if !v16 && (m.inherit == Some(false) || m.set == Some(false)) {
                lost_options.push(format!(
                    "{} in {} ({})",
                    display_role(&m.member),
                    display_role(&m.role),
                    [
                        (m.inherit == Some(false)).then_some("INHERIT FALSE"),
                        (m.set == Some(false)).then_some("SET FALSE"),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ")
                ));
            }
            let rows: Vec<usize> = snap
                .memberships
                .iter()
                .enumerate()
                .filter(|(_, x)| x.role == r.oid && x.member == mem.oid)
                .map(|(i, _)| i)
                .collect();
            // The row this entry describes.
            let cur = rows
                .iter()
                .copied()
                .find(|&i| by.is_none_or(|g| snap.memberships[i].grantor == g));
            let (inherit, set) = if v16 {
                (m.inherit, m.set)
            } else {
                (None, None)
            };
            let grant = Change::GrantRole {
                role: m.role.clone(),
                to: m.member.clone(),
                admin: m.admin,
                inherit,
                set,
                granted_by: m.grantor.clone(),
            };
            match cur {
                None => {
                    // Before 16 the one row of another grantor goes first.
                    if !v16 && !rows.is_empty() {
                        matched.extend(rows.iter().copied());
                        revokes.push(Change::RevokeRole {
                            role: m.role.clone(),
                            from: m.member.clone(),
                            granted_by: None,
                            admin_option_only: None,
                        });
                    }
                    grants.push(grant);
                }
                Some(i) => {
                    matched.insert(i);
                    let c = &snap.memberships[i];
                    if c.admin && !m.admin {
                        revokes.push(Change::RevokeRole {
                            role: m.role.clone(),
                            from: m.member.clone(),
                            granted_by: if v16 {
                                Some(role_name(&e, c.grantor))
                            } else {
                                None
                            },
                            admin_option_only: Some(true),
                        });
                    }
                    let options_differ = v16
                        && (m.inherit.is_some_and(|x| x != c.inherit)
                            || m.set.is_some_and(|x| x != c.set));
                    if (m.admin && !c.admin) || options_differ {
                        grants.push(Change::GrantRole {
                            role: m.role.clone(),
                            to: m.member.clone(),
                            admin: m.admin,
                            inherit,
                            set,
                            granted_by: if v16 {
                                Some(role_name(&e, c.grantor))
                            } else {
                                m.grantor.clone()
                            },
                        });
                    }
                }
            }
        }
        for (i, x) in snap.memberships.iter().enumerate() {
            let predefined = e.role(x.member).is_none_or(|r| r.is_predefined());
            if predefined || matched.contains(&i) {
                continue;
            }
            revokes.push(Change::RevokeRole {
                role: role_name(&e, x.role),
                from: role_name(&e, x.member),
                granted_by: if v16 {
                    Some(role_name(&e, x.grantor))
                } else {
                    None
                },
                admin_option_only: None,
            });
        }
        if !lost_options.is_empty() {
            return Err(Error::invalid(format!(
                "the document's memberships {} have per-grant options that PostgreSQL {} does \
                 not have (inheritance and SET ROLE are per role before 16): applied here they \
                 would give more access than the document says; remove those options from the \
                 document to accept that",
                lost_options.join(", "),
                snap.version_num / 10000
            )));
        }
        changes.extend(revokes);
        // Grants made by a grantor come after those that give it ADMIN OPTION.
        grants.sort_by_key(|c| {
            matches!(
                c,
                Change::GrantRole {
                    granted_by: Some(_),
                    ..
                }
            )
        });
        changes.extend(grants);
    }
    if let Some(listed) = &desired.default_privileges {
        // With `unlisted: default`, a rule the document does not list is to have the built-in
        // defaults: none for a schema's rule, the owner's own privileges (and PUBLIC's
        // EXECUTE / USAGE) for a global one.
        let mut ds: Vec<DesiredDefault> = listed.clone();
        if desired.unlisted == Some(Unlisted::Default) {
            for r in &snap.default_acls {
                let role = role_name(&e, r.role);
                let known = listed
                    .iter()
                    .any(|d| d.for_role == role && d.schema == r.schema && d.on == r.object_type);
                if known {
                    continue;
                }
                let mut grants = Vec::new();
                if r.schema.is_none() {
                    grants.push(DesiredGrant {
                        to: role.clone(),
                        privileges: r
                            .object_type
                            .object_kind()
                            .privileges(snap.version_num)
                            .iter()
                            .collect(),
                        grantable: Vec::new(),
                        grantor: None,
                    });
                    if !r.object_type.public_default().is_empty() {
                        grants.push(DesiredGrant {
                            to: PUBLIC_NAME.into(),
                            privileges: r.object_type.public_default().to_vec(),
                            grantable: Vec::new(),
                            grantor: None,
                        });
                    }
                }
                ds.push(DesiredDefault {
                    for_role: role,
                    schema: r.schema.clone(),
                    on: r.object_type,
                    grants,
                });
            }
        }
        for d in &ds {
            if d.on == DefaultObjectType::LargeObjects && snap.version_num < 180000 {
                notes.push(format!(
                    "the document's default privileges of {} on large objects need PostgreSQL 18: left out",
                    d.for_role
                ));
                continue;
            }
            let role = e
                .role_by_name(&d.for_role)
                .ok_or_else(|| Error::not_found(format!("no role named {:?}", d.for_role)))?;
            let cur = snap
                .default_acls
                .iter()
                .find(|x| x.role == role.oid && x.schema == d.schema && x.object_type == d.on);
            // (grantee, privilege) -> with grant option.
            let mut have: BTreeMap<(String, Privilege), bool> = cur
                .map(|c| {
                    c.acl
                        .iter()
                        .map(|a| ((role_name(&e, a.grantee), a.privilege), a.grantable))
                        .collect()
                })
                .unwrap_or_default();
            if cur.is_none() && d.schema.is_none() {
                // A global rule starts from the built-in defaults: the owner holds everything,
                // PUBLIC may execute functions and use types.
                for p in d.on.object_kind().privileges(snap.version_num).iter() {
                    have.insert((d.for_role.clone(), p), false);
                }
                for &p in d.on.public_default() {
                    have.insert((PUBLIC_NAME.into(), p), false);
                }
            }
            let known =
                d.on.object_kind()
                    .privileges(desired.server_version.unwrap_or(snap.version_num));
            let available = d.on.object_kind().privileges(snap.version_num);
            let want: BTreeMap<(String, Privilege), bool> = d
                .grants
                .iter()
                .flat_map(|g| {
                    g.privileges
                        .iter()
                        .filter(|p| available.contains(**p))
                        .map(move |p| ((g.to.clone(), *p), g.grantable.contains(p)))
                })
                .collect();
            // (grantee, with grant option) -> privileges.
            let mut add: BTreeMap<(String, bool), Vec<Privilege>> = BTreeMap::new();
            let mut drop: BTreeMap<String, Vec<Privilege>> = BTreeMap::new();
            for ((who, p), g) in &want {
                match have.get(&(who.clone(), *p)) {
                    None => add.entry((who.clone(), *g)).or_default().push(*p),
                    Some(h) if h != g => {
                        // Changing the grant option: revoke, then grant as wanted.
                        drop.entry(who.clone()).or_default().push(*p);
                        add.entry((who.clone(), *g)).or_default().push(*p);
                    }
                    _ => {}
                }
            }
            for (who, p) in have.keys() {
                if !want.contains_key(&(who.clone(), *p)) && known.contains(*p) {
                    drop.entry(who.clone()).or_default().push(*p);
                }
            }
            for (who, privileges) in drop {
                changes.push(Change::DefaultPrivileges {
                    grant: false,
                    for_role: Some(d.for_role.clone()),
                    in_schema: d.schema.clone(),
                    on: d.on,
                    privileges,
                    roles: vec![who],
                    with_grant_option: false,
                });
            }
            for ((who, with_grant_option), privileges) in add {
                changes.push(Change::DefaultPrivileges {
                    grant: true,
                    for_role: Some(d.for_role.clone()),
                    in_schema: d.schema.clone(),
                    on: d.on,
                    privileges,
                    roles: vec![who],
                    with_grant_option,
                });
            }
        }
    }
    Ok((changes, notes))
}

/// A runnable SQL script that grants what the document lists (for a database with the same
/// objects and roles). It revokes PUBLIC's privileges on each listed object first, so implicit
/// defaults do not survive where the document has none; grants by other grantors run under
/// SET ROLE, as pg_dump does. Every statement comes from [`render`], every comment from
/// [`comment`].
pub fn export_sql(snap: &Snapshot) -> String {
    let doc = export_state(snap);
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    let stmt = |sql: String| sql + ";";
    line(comment(&format!(
        "Privileges of database {} exported by Grantry at {}",
        doc.database, snap.taken_at
    )));
    line(comment(&format!("PostgreSQL {}", snap.version_num)));
    line(comment(
        "One transaction: the script applies whole or not at all.",
    ));
    line("BEGIN;".into());
    line(stmt(render::database_guard(&doc.database)));
    line(String::new());
    let public = [PUBLIC_NAME.to_string()];
    // (grantor, statement, object) of grants made by someone other than the owner.
    let mut later: Vec<(String, String, String)> = Vec::new();
    for o in &doc.objects {
        let on = render::target(&target_of(o), o.args.as_deref());
        let cols: Vec<String> = o.column.iter().cloned().collect();
        line(comment(&format!("{} {}", kind_word(o.kind), label_of(o))));
        if o.column.is_none() {
            line(stmt(render::revoke(&on, "ALL", &public, false, false)));
            if let Some(owner) = o
                .owner
                .as_ref()
                .filter(|ow| o.grants.iter().any(|g| &&g.to == ow && g.grantor.is_none()))
            {
                line(stmt(render::revoke(
                    &on,
                    "ALL",
                    std::slice::from_ref(owner),
                    false,
                    false,
                )));
            }
        }
        for g in &o.grants {
            let plain = g.without_grant_option();
            let to = std::slice::from_ref(&g.to);
            let mut stmts = Vec::new();
            if !plain.is_empty() {
                stmts.push(render::grant(
                    &on,
                    &render::privileges(&plain, &cols),
                    to,
                    false,
                ));
            }
            if !g.grantable.is_empty() {
                stmts.push(render::grant(
                    &on,
                    &render::privileges(&g.grantable, &cols),
                    to,
                    true,
                ));
            }
            for s in stmts {
                match &g.grantor {
                    // After every owner's grant and membership: what gives the grantor its
                    // grant option comes first.
                    Some(by) => later.push((by.clone(), s, label_of(o))),
                    None => line(stmt(s)),
                }
            }
        }
    }
    if let Some(ms) = &doc.memberships {
        if !ms.is_empty() {
            line(String::new());
            line(comment("memberships"));
        }
        // A grantor's grants after the ones that give it ADMIN OPTION.
        let mut ms: Vec<&DesiredMembership> = ms.iter().collect();
        ms.sort_by_key(|m| m.grantor.is_some());
        for m in ms {
            line(stmt(render::grant_role(
                &m.role,
                &m.member,
                &MembershipOptions {
                    admin: m.admin,
                    inherit: m.inherit,
                    set: m.set,
                    v16: snap.version_num >= 160000,
                    granted_by: m.grantor.as_deref(),
                },
            )));
        }
    }
    if !later.is_empty() {
        line(String::new());
        line(comment(
            "grants made by roles other than the owner, as those roles",
        ));
        for (by, s, what) in later {
            line(comment(&what));
            line(stmt(render::set_role(&by)));
            line(stmt(s));
            line(stmt(render::RESET_ROLE.into()));
        }
    }
    if let Some(ds) = &doc.default_privileges {
        if !ds.is_empty() {
            line(String::new());
            line(comment("default privileges"));
        }
        for d in ds {
            let for_role = Some(d.for_role.as_str());
            if d.schema.is_none() {
                // A global rule replaces the built-in defaults: PUBLIC's and the owner's.
                let both = [PUBLIC_NAME.to_string(), d.for_role.clone()];
                line(stmt(render::default_privileges(
                    for_role, None, false, d.on, "ALL", &both, false,
                )));
            }
            for g in &d.grants {
                let plain = g.without_grant_option();
                for (privs, with_option) in [(&plain, false), (&g.grantable, true)] {
                    if privs.is_empty() {
                        continue;
                    }
                    line(stmt(render::default_privileges(
                        for_role,
                        d.schema.as_deref(),
                        true,
                        d.on,
                        &render::privileges(privs, &[]),
                        std::slice::from_ref(&g.to),
                        with_option,
                    )));
                }
            }
        }
    }
    line("COMMIT;".into());
    out
}

/// The kind as a word in comments: "table", "function", "foreign_data_wrapper".
fn kind_word(k: ObjectKind) -> String {
    format!("{k:?}").to_lowercase()
}

/// `schema.name`, `schema.f(args)`, `schema.table (column)` for comments.
fn label_of(o: &DesiredObject) -> String {
    let mut s = match &o.schema {
        Some(sc) => format!("{sc}.{}", o.name),
        None => o.name.clone(),
    };
    if o.kind.is_routine() {
        s.push_str(&format!("({})", o.args.as_deref().unwrap_or_default()));
    }
    if let Some(c) = &o.column {
        s.push_str(&format!(" ({c})"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_quotes_the_on_key_for_yaml_1_1_readers() {
        let d = DesiredState {
            format: FORMAT,
            database: "db".into(),
            server_version: None,
            objects: Vec::new(),
            memberships: None,
            default_privileges: Some(vec![DesiredDefault {
                for_role: "x\non: functions".into(),
                schema: None,
                on: DefaultObjectType::Tables,
                grants: Vec::new(),
            }]),
            unlisted: None,
        };
        let y = to_yaml(&d);
        assert!(y.contains("'on': tables"), "{y}");
        assert!(!y
            .lines()
            .any(|l| l.trim_start_matches([' ', '-']).starts_with("on: tables")));
        assert_eq!(parse_document(&y).unwrap(), d);
    }
}
