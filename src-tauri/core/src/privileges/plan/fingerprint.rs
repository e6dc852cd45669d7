//! The fingerprint of what a plan depends on: apply refuses a database whose state has changed.

use super::super::inspect::{AclEntry, DbObject, Membership, Role, Snapshot};

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
