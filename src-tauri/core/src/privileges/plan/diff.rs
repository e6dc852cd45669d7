//! Effective access before and after a plan, for what it touches.

use super::super::engine::Engine;
use super::super::{ObjectKind, Privilege};
use super::simulate::Builder;
use super::{AccessChange, AccessDelta};
use std::collections::{BTreeMap, BTreeSet};

/// Effective access before and after, for what the plan touches.
pub(super) fn diff(b: &Builder) -> Vec<AccessChange> {
    let before = Engine::new(b.before);
    let after = Engine::new(&b.after);
    let mut out = BTreeSet::new();
    let holders = |e: &Engine, o: Option<usize>, p: Privilege| -> BTreeMap<String, ()> {
        let Some(o) = o else { return BTreeMap::new() };
        let w = e.who_can(o, p);
        let mut m: BTreeMap<String, ()> = w.roles.into_iter().map(|a| (a.role, ())).collect();
        if !w.public.is_empty() {
            m.insert(super::super::PUBLIC_NAME.into(), ());
        }
        m
    };
    let public = super::super::PUBLIC_NAME;
    for &(o, p) in &b.touched {
        let obj = &b.after.objects[o];
        // A column the plan gives its first ACL had, before, exactly its table's privileges.
        let before_idx = if o < b.before.objects.len() {
            Some(o)
        } else if obj.kind == ObjectKind::Column {
            b.before
                .objects
                .iter()
                .position(|t| t.kind.is_relation() && t.oid == obj.oid)
        } else {
            None
        };
        let (x, y) = (holders(&before, before_idx, p), holders(&after, Some(o), p));
        // While PUBLIC holds it every role does: nobody gains it then, nor loses it.
        for (from, to, delta) in [(&x, &y, AccessDelta::Gained), (&y, &x, AccessDelta::Lost)] {
            let public_held = from.contains_key(public);
            for r in to
                .keys()
                .filter(|r| !from.contains_key(*r) && (!public_held || *r == public))
            {
                out.insert(AccessChange {
                    role: r.clone(),
                    object: obj.label(),
                    kind: obj.kind,
                    privilege: p,
                    delta,
                });
            }
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
        for (from, to, delta) in [(&x, &y, AccessDelta::Gained), (&y, &x, AccessDelta::Lost)] {
            for &(o, p) in to.difference(from) {
                let obj = &b.after.objects[o];
                out.insert(AccessChange {
                    role: name.clone(),
                    object: obj.label(),
                    kind: obj.kind,
                    privilege: p,
                    delta,
                });
            }
        }
    }
    out.into_iter().collect()
}
