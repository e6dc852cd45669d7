//! Whether a database shows the access changes a plan promised: run inside the apply's
//! transaction, before COMMIT, so a statement that did less than planned (PostgreSQL only warns
//! "no privileges were granted" when the connector lacks the grant option) rolls the whole plan
//! back instead of committing half of it.

use super::engine::Engine;
use super::inspect::Snapshot;
use super::plan::{AccessChange, AccessDelta};
use super::{is_public, ObjectKind};
use serde::Serialize;
use std::collections::HashMap;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
pub struct VerifiedChange {
    pub change: AccessChange,
    pub confirmed: bool,
}

/// Each planned change, and whether `after` shows it.
pub fn verify(after: &Snapshot, changes: &[AccessChange]) -> Vec<VerifiedChange> {
    let e = Engine::new(after);
    let by_label: HashMap<(ObjectKind, String), usize> = after
        .objects
        .iter()
        .enumerate()
        .map(|(i, o)| ((o.kind, o.label()), i))
        .collect();
    // One inheritance closure per role, not one walk of every grantee per change.
    let mut views = HashMap::new();
    changes
        .iter()
        .map(|c| {
            let holds = by_label.get(&(c.kind, c.object.clone())).is_some_and(|&i| {
                if is_public(&c.role) {
                    return !e.who_can(i, c.privilege).public.is_empty();
                }
                let Some(role) = e.role_by_name(&c.role) else {
                    return false;
                };
                let view = views
                    .entry(role.oid)
                    .or_insert_with(|| e.privileges_of(role.oid));
                view.as_ref()
                    .is_some_and(|v| e.check(v, i, c.privilege).is_some())
            });
            VerifiedChange {
                change: c.clone(),
                confirmed: match c.delta {
                    AccessDelta::Gained => holds,
                    AccessDelta::Lost => !holds,
                },
            }
        })
        .collect()
}

/// Whether `snap` holds every object the changes name (a scoped inspection may not).
pub fn covers(snap: &Snapshot, changes: &[AccessChange]) -> bool {
    let labels: std::collections::HashSet<(ObjectKind, String)> =
        snap.objects.iter().map(|o| (o.kind, o.label())).collect();
    changes
        .iter()
        .all(|c| labels.contains(&(c.kind, c.object.clone())))
}

/// "bob would gain SELECT on s.t" for the changes the database does not show.
pub fn describe_unconfirmed(v: &[VerifiedChange]) -> Vec<String> {
    v.iter()
        .filter(|v| !v.confirmed)
        .map(|v| {
            let c = &v.change;
            format!(
                "{} would {} {} on {}",
                super::display_role(&c.role),
                match c.delta {
                    AccessDelta::Gained => "gain",
                    AccessDelta::Lost => "lose",
                },
                c.privilege.sql(),
                crate::quote::escape_controls(&c.object)
            )
        })
        .collect()
}

/// The grant options and ADMIN options the plan promised that `after` does not show, described.
pub fn unconfirmed_options(after: &Snapshot, changes: &[super::plan::OptionChange]) -> Vec<String> {
    use super::plan::OptionChange;
    let role = |name: &str| after.roles.iter().find(|r| r.name == name).map(|r| r.oid);
    changes
        .iter()
        .filter_map(|c| match c {
            OptionChange::Grant {
                kind,
                object,
                grantee,
                privilege,
                holds,
            } => {
                let g = role(grantee);
                let now = after
                    .objects
                    .iter()
                    .find(|o| o.kind == *kind && &o.label() == object)
                    .is_some_and(|o| {
                        o.acl.iter().any(|e| {
                            Some(e.grantee) == g && e.privilege == *privilege && e.grantable
                        })
                    });
                (now != *holds).then(|| {
                    format!(
                        "{} would {} the grant option for {} on {}",
                        super::display_role(grantee),
                        if *holds { "gain" } else { "lose" },
                        privilege.sql(),
                        crate::quote::escape_controls(object)
                    )
                })
            }
            OptionChange::Admin {
                role: r,
                member,
                holds,
            } => {
                let (rr, mm) = (role(r), role(member));
                let now = after
                    .memberships
                    .iter()
                    .any(|x| Some(x.role) == rr && Some(x.member) == mm && x.admin);
                (now != *holds).then(|| {
                    format!(
                        "{} would {} ADMIN OPTION on {}",
                        super::display_role(member),
                        if *holds { "gain" } else { "lose" },
                        super::display_role(r)
                    )
                })
            }
        })
        .collect()
}
