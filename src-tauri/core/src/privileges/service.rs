//! The privileges feature (`grantry.privileges()`): inspections (and the short-lived cache the
//! read-only views use), grants of an object, who can, what a role can, plans kept until they
//! run, dry runs and applies (each written to the audit log), export and desired state.

use super::apply::{self, RunOptions, RunOutcome, RunReport};
use super::engine::{Access, ColumnAccess, Engine, ObjectAccess, Reason, RoleMode};
use super::inspect::{Inspection, Membership, Role, Snapshot};
use super::plan::{self, Change, Plan};
use super::{ObjectKind, ObjectRef, Privilege, PUBLIC_NAME};
use crate::app::App;
use crate::audit::{os_user, AuditEntry};
use crate::connect::classify;
use crate::error::{Error, ErrorCode, Result};
use crate::integrations::model::Environment;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ts_rs::TS;

/// What an apply promised, kept with its audit entry until its outcome is known.
#[derive(serde::Serialize, serde::Deserialize)]
struct Expected {
    fingerprint: String,
    scope: Option<Vec<i64>>,
    access_changes: Vec<plan::AccessChange>,
}

/// One ACL entry with names.
#[derive(Debug, Clone, Serialize, TS)]
pub struct GrantRow {
    pub grantee: String,
    pub grantor: String,
    pub privilege: Privilege,
    pub grantable: bool,
}

/// The Privileges tab of one object: its ACL, and a matrix of every role with access.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ObjectGrants {
    pub object: String,
    pub kind: ObjectKind,
    pub owner: String,
    /// The ACL is the built-in default (NULL).
    pub default_acl: bool,
    pub privileges: Vec<Privilege>,
    pub acl: Vec<GrantRow>,
    /// Rows of the matrix: each role (or `public`, the pseudo-role) with, per privilege, why it holds it.
    pub matrix: Vec<MatrixRow>,
    /// For a schema: the default privileges (pg_default_acl) that objects created in it will
    /// get, the schema's own rules and the global ones, one row per rule and grantee.
    pub default_privileges: Vec<DefaultPrivilegeRow>,
    /// The inspection this answer was computed on (possibly a cached one: see its time).
    pub inspection: Inspection,
}

/// One grantee of one default-privileges rule (ALTER DEFAULT PRIVILEGES FOR ROLE ... [IN
/// SCHEMA ...] GRANT ... ON <object type> TO grantee).
#[derive(Debug, Clone, Serialize, TS)]
pub struct DefaultPrivilegeRow {
    /// FOR ROLE: the creator whose new objects the rule applies to.
    pub for_role: String,
    /// IN SCHEMA; `None` for a global rule (every schema, replacing the built-in default).
    pub in_schema: Option<String>,
    pub object_type: super::inspect::DefaultObjectType,
    /// A role, or `public`.
    pub grantee: String,
    pub privileges: Vec<Privilege>,
    /// Those of `privileges` held WITH GRANT OPTION.
    pub grantable: Vec<Privilege>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct MatrixRow {
    pub role: String,
    pub login: bool,
    pub cells: Vec<MatrixCell>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct MatrixCell {
    pub privilege: Privilege,
    pub grantable: bool,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct WhoCanAnswer {
    pub object: String,
    pub privilege: Privilege,
    /// Everyone can (PUBLIC holds it): these are the reasons.
    pub public: Vec<Reason>,
    pub roles: Vec<Access>,
    /// Roles that hold it on some of the table's columns only (SELECT, INSERT, UPDATE,
    /// REFERENCES on a table), with those columns.
    pub partial: Vec<ColumnAccess>,
    /// The inspection this answer was computed on (possibly a cached one: see its time).
    pub inspection: Inspection,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct MembershipRow {
    pub role: String,
    pub member: String,
    pub grantor: String,
    pub admin: bool,
    pub inherit: bool,
    pub set: bool,
}

/// The role page: attributes, memberships both ways, and what it can access here.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RoleReport {
    pub role: Role,
    pub member_of: Vec<MembershipRow>,
    pub members: Vec<MembershipRow>,
    /// Roles whose privileges it has through inheritance (besides itself).
    pub inherits_from: Vec<String>,
    pub access: Vec<ObjectAccess>,
    /// The inspection this answer was computed on (possibly a cached one: see its time).
    pub inspection: Inspection,
}

/// A plan kept by the core until it is run, so the SQL executed is the SQL previewed.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PlanView {
    pub id: String,
    pub integration: String,
    pub production: bool,
    pub read_only: bool,
    pub plan: Plan,
}

/// What an apply reports: the run, then the access re-inspected afterwards.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ApplyResult {
    pub report: RunReport,
    /// After a committed apply: each planned access change and whether the server now agrees.
    pub verified: Vec<VerifiedChange>,
}

pub use super::verify::VerifiedChange;

struct StoredPlan {
    integration_id: String,
    database: Option<String>,
    plan: Plan,
    kept_at: Instant,
}

/// How long the privilege views may reuse an inspection.
pub const SNAPSHOT_MAX_AGE: Duration = Duration::from_secs(30);

/// How long a plan is kept for its dry run or apply, and how many plans are kept at most.
pub const PLAN_MAX_AGE: Duration = Duration::from_secs(3600);
pub const PLANS_KEPT: usize = 64;

struct CachedSnapshot {
    at: Instant,
    /// The integration's `updated_at` when it was taken: an edited integration may point
    /// elsewhere, so its snapshots no longer count.
    version: String,
    snapshot: Arc<Snapshot>,
}

/// What the privileges feature keeps between calls.
#[derive(Default)]
struct State {
    plans: Mutex<HashMap<String, StoredPlan>>,
    /// Recent snapshots per (integration id, database) for the read-only views: a "who can"
    /// answer must not re-read a million ACL entries each time.
    snapshots: Mutex<HashMap<(String, String), CachedSnapshot>>,
}

/// The privileges of a Grantry's integrations (`grantry.privileges()`).
pub struct Privileges {
    app: std::sync::Arc<App>,
    state: State,
}

impl Privileges {
    pub(crate) fn new(app: std::sync::Arc<App>) -> Self {
        Privileges {
            app,
            state: State::default(),
        }
    }

    /// One bulk inspection of a database's privileges (its default database when `None`).
    pub async fn snapshot(
        &self,
        integration: &str,
        database: Option<&str>,
        include_system: bool,
    ) -> Result<Snapshot> {
        let pool = self.app.pool(integration, database).await?;
        let mut conn = pool.acquire().await.map_err(|e| classify(&e))?;
        let snap = super::inspect::inspect(&mut conn, include_system).await?;
        // A fresh look at the database settles the runs whose outcome was lost.
        if let Ok(it) = self.app.integration(integration).await {
            let name = database.unwrap_or(&it.connection.endpoint().database);
            let _ = self
                .resolve_unknown_runs(&mut conn, &it.id, name, &snap)
                .await;
        }
        Ok(snap)
    }

    /// Settles the applies on `database` whose outcome is unknown (the process was killed, the
    /// connection was lost during COMMIT) by asking the server what became of their transaction
    /// (`pg_xact_status`): committed or aborted settles it; still in progress (a COMMIT waiting
    /// for a synchronous standby, a backend that has not noticed its client is gone) leaves it
    /// unknown. Only when the server no longer knows the transaction does `snap`, a fresh
    /// inspection, decide: every promised change in effect, or the privileges exactly as they
    /// were planned against; anything else stays unknown. Returns how many were settled.
    pub async fn resolve_unknown_runs(
        &self,
        conn: &mut sqlx::PgConnection,
        integration_id: &str,
        database: &str,
        snap: &Snapshot,
    ) -> Result<usize> {
        let store = self.app.store();
        let _ = store.close_abandoned_runs(chrono::Duration::hours(1)).await;
        let open = store.unknown_applies(integration_id, database).await?;
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut settled = 0;
        for (id, xid, expected) in open {
            let status = match xid {
                Some(x) => {
                    sqlx::query_scalar::<_, Option<String>>("SELECT pg_xact_status($1::text::xid8)")
                        .bind(x.to_string())
                        .fetch_one(&mut *conn)
                        .await
                        .ok()
                        .flatten()
                }
                None => None,
            };
            let (outcome, note) = match status.as_deref() {
                Some("committed") => (
                    "committed",
                    format!("settled {at}: the server reports transaction {} committed", xid.unwrap_or_default()),
                ),
                Some("aborted") => (
                    "failed",
                    format!(
                        "settled {at}: the server reports transaction {} rolled back, so nothing was applied",
                        xid.unwrap_or_default()
                    ),
                ),
                Some(_) => continue,
                None => {
                    let Some(x) = expected
                        .as_deref()
                        .and_then(|e| serde_json::from_str::<Expected>(e).ok())
                    else {
                        continue;
                    };
                    let verified = super::verify::verify(snap, &x.access_changes);
                    let confirmed = verified.iter().filter(|v| v.confirmed).count();
                    let unchanged =
                        plan::fingerprint_scoped(snap, x.scope.as_deref()) == x.fingerprint;
                    if !verified.is_empty() && confirmed == verified.len() {
                        (
                            "committed",
                            format!(
                                "settled {at} by inspection (the server no longer knows the \
                                 transaction): the database shows all {} planned access changes",
                                verified.len()
                            ),
                        )
                    } else if unchanged {
                        (
                            "failed",
                            format!(
                                "settled {at} by inspection (the server no longer knows the \
                                 transaction): the privileges are exactly as the plan found them, \
                                 so nothing was applied"
                            ),
                        )
                    } else {
                        continue;
                    }
                }
            };
            store.resolve_audit(id, outcome, &note).await?;
            settled += 1;
        }
        Ok(settled)
    }

    /// A snapshot at most [`SNAPSHOT_MAX_AGE`] old, for the read-only privilege views. Applies
    /// through Grantry drop it; changes made elsewhere show within that time.
    pub async fn cached_snapshot(
        &self,
        integration: &str,
        database: Option<&str>,
    ) -> Result<Arc<Snapshot>> {
        let it = self.app.integration(integration).await?;
        let key = (
            it.id.clone(),
            database
                .unwrap_or(&it.connection.endpoint().database)
                .to_string(),
        );
        if let Some(c) = self.state.snapshots.lock().unwrap().get(&key) {
            if c.at.elapsed() < SNAPSHOT_MAX_AGE && c.version == it.updated_at {
                return Ok(c.snapshot.clone());
            }
        }
        let snap = Arc::new(self.snapshot(&it.id, database, false).await?);
        self.state.snapshots.lock().unwrap().insert(
            key,
            CachedSnapshot {
                at: Instant::now(),
                version: it.updated_at.clone(),
                snapshot: snap.clone(),
            },
        );
        Ok(snap)
    }

    /// Drops the cached snapshots of one integration (after an apply, or on request).
    pub fn forget_snapshots(&self, integration_id: &str) {
        self.state
            .snapshots
            .lock()
            .unwrap()
            .retain(|(id, _), _| id != integration_id);
    }

    /// Forgets the cached inspections of an integration, so the next view reads the server again.
    pub async fn refresh(&self, integration: &str) -> Result<()> {
        let it = self.app.integration(integration).await?;
        self.forget_snapshots(&it.id);
        Ok(())
    }

    /// A snapshot limited to the objects with these oids (`None`: all), e.g. to re-check a plan.
    pub async fn snapshot_of(
        &self,
        integration: &str,
        database: Option<&str>,
        only: Option<&[i64]>,
    ) -> Result<Snapshot> {
        let pool = self.app.pool(integration, database).await?;
        let mut conn = pool.acquire().await.map_err(|e| classify(&e))?;
        super::inspect::inspect_only(&mut conn, false, only).await
    }

    /// Resolves `r` in `snap`. A column without its own ACL is added to a copy of the snapshot
    /// (only table-level privileges apply to it).
    fn engine_object<'s>(
        &self,
        snap: &'s Snapshot,
        r: &ObjectRef,
    ) -> Result<(std::borrow::Cow<'s, Snapshot>, usize)> {
        use std::borrow::Cow;
        let i = super::resolve::object(snap, r)?;
        let Some(c) = &r.column else {
            return Ok((Cow::Borrowed(snap), i));
        };
        let t = &snap.objects[i];
        if let Some(j) = snap.objects.iter().position(|o| {
            o.kind == ObjectKind::Column && o.oid == t.oid && o.detail.as_deref() == Some(c)
        }) {
            return Ok((Cow::Borrowed(snap), j));
        }
        let mut owned = snap.clone();
        owned
            .objects
            .push(super::inspect::DbObject::column_without_acl(t, c, -1));
        let j = owned.objects.len() - 1;
        Ok((Cow::Owned(owned), j))
    }

    /// The Privileges tab of one object.
    pub async fn object_grants(
        &self,
        integration: &str,
        database: Option<&str>,
        object: &ObjectRef,
    ) -> Result<ObjectGrants> {
        let object = &self.canonical_ref(integration, database, object).await?;
        let cached = self.cached_snapshot(integration, database).await?;
        let (snap, i) = self.engine_object(&cached, object)?;
        let e = Engine::new(&snap);
        let o = &snap.objects[i];
        let privileges: Vec<Privilege> = o.kind.privileges(snap.version_num).iter().collect();
        let name = |oid: i64| e.name_of(oid);
        let mut rows: BTreeMap<String, MatrixRow> = BTreeMap::new();
        for p in &privileges {
            let w = e.who_can(i, *p);
            if !w.public.is_empty() {
                rows.entry(PUBLIC_NAME.into())
                    .or_insert_with(|| MatrixRow {
                        role: PUBLIC_NAME.into(),
                        login: false,
                        cells: vec![],
                    })
                    .cells
                    .push(MatrixCell {
                        privilege: *p,
                        grantable: false,
                        reasons: w.public.clone(),
                    });
            }
            for a in w.roles {
                // Roles that hold it only through PUBLIC are summarized by the PUBLIC row.
                if a.reasons.iter().all(|r| matches!(r, Reason::Public { .. })) {
                    continue;
                }
                rows.entry(a.role.clone())
                    .or_insert_with(|| MatrixRow {
                        role: a.role.clone(),
                        login: a.login,
                        cells: vec![],
                    })
                    .cells
                    .push(MatrixCell {
                        privilege: *p,
                        grantable: a.grantable,
                        reasons: a.reasons,
                    });
            }
        }
        Ok(ObjectGrants {
            object: o.label(),
            kind: o.kind,
            owner: name(o.owner),
            default_acl: o.default_acl,
            privileges,
            acl: o
                .acl
                .iter()
                .map(|a| GrantRow {
                    grantee: name(a.grantee),
                    grantor: name(a.grantor),
                    privilege: a.privilege,
                    grantable: a.grantable,
                })
                .collect(),
            matrix: rows.into_values().collect(),
            default_privileges: if o.kind == ObjectKind::Schema {
                default_privilege_rows(&snap, &e, &o.name)
            } else {
                vec![]
            },
            inspection: snap.inspection(),
        })
    }

    /// Who can `privilege` on `object`, and why.
    pub async fn who_can(
        &self,
        integration: &str,
        database: Option<&str>,
        object: &ObjectRef,
        privilege: Privilege,
    ) -> Result<WhoCanAnswer> {
        let object = &self.canonical_ref(integration, database, object).await?;
        let cached = self.cached_snapshot(integration, database).await?;
        let (snap, i) = self.engine_object(&cached, object)?;
        let e = Engine::new(&snap);
        if !snap.objects[i]
            .kind
            .privileges(snap.version_num)
            .contains(privilege)
        {
            return Err(Error::invalid(
                format!(
                    "{} does not apply to a {:?}",
                    privilege.sql(),
                    snap.objects[i].kind
                )
                .to_lowercase(),
            ));
        }
        let w = e.who_can(i, privilege);
        Ok(WhoCanAnswer {
            object: snap.objects[i].label(),
            privilege,
            public: w.public,
            roles: w.roles,
            partial: e.column_holders(i, privilege),
            inspection: snap.inspection(),
        })
    }

    /// The role page.
    pub async fn role_report(
        &self,
        integration: &str,
        database: Option<&str>,
        role: &str,
    ) -> Result<RoleReport> {
        let snap = self.cached_snapshot(integration, database).await?;
        let e = Engine::new(&snap);
        let r = e
            .role_by_name(role)
            .ok_or_else(|| Error::not_found(format!("no role named {role:?}")))?
            .clone();
        let name = |oid: i64| {
            e.role(oid)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| format!("#{oid}"))
        };
        let row = |m: &Membership| MembershipRow {
            role: name(m.role),
            member: name(m.member),
            grantor: name(m.grantor),
            admin: m.admin,
            inherit: m.inherit,
            set: m.set,
        };
        let inherits_from = snap
            .roles
            .iter()
            .filter(|x| x.oid != r.oid && e.has_role(r.oid, x.oid, RoleMode::Usage) && !r.superuser)
            .map(|x| x.name.clone())
            .collect();
        Ok(RoleReport {
            member_of: snap
                .memberships
                .iter()
                .filter(|m| m.member == r.oid)
                .map(row)
                .collect(),
            members: snap
                .memberships
                .iter()
                .filter(|m| m.role == r.oid)
                .map(row)
                .collect(),
            inherits_from,
            // What it can use in this database: not the other databases of the server, nor the
            // untrusted languages only superusers may use.
            access: e
                .what_can(r.oid)
                .into_iter()
                .filter(|a| {
                    let o = &snap.objects[a.index];
                    match o.kind {
                        ObjectKind::Database => o.name == snap.database,
                        ObjectKind::Language => {
                            r.superuser || o.detail.as_deref() != Some("untrusted")
                        }
                        _ => true,
                    }
                })
                .collect(),
            inspection: snap.inspection(),
            role: r,
        })
    }

    /// Computes a plan and keeps it for a dry run or apply.
    pub async fn plan(
        &self,
        integration: &str,
        database: Option<&str>,
        changes: &[Change],
    ) -> Result<PlanView> {
        let it = self.app.integration(integration).await?;
        let changes = self
            .canonical_changes(integration, database, changes)
            .await?;
        self.check_columns(integration, database, &changes).await?;
        let snap = self.snapshot(integration, database, false).await?;
        let plan = plan::plan(&snap, &changes)?;
        Ok(self.keep_plan(it, database, plan))
    }

    /// The columns changes name exist (the inspection holds only columns with an ACL of
    /// their own): a missing one is said at plan time, not by the server at apply.
    async fn check_columns(
        &self,
        integration: &str,
        database: Option<&str>,
        changes: &[Change],
    ) -> Result<()> {
        use super::plan::Target;
        let named: Vec<(&Option<String>, &String, &Vec<String>)> = changes
            .iter()
            .filter_map(|c| match c.target() {
                Some(Target::Object {
                    schema,
                    name,
                    columns,
                    ..
                }) if !columns.is_empty() => Some((schema, name, columns)),
                _ => None,
            })
            .collect();
        if named.is_empty() {
            return Ok(());
        }
        let pool = self.app.pool(integration, database).await?;
        for (schema, name, columns) in named {
            let relation = match schema {
                Some(s) => crate::quote::qualified(s, name),
                None => crate::quote::ident(name),
            };
            let present: Vec<String> = sqlx::query_scalar(
                "SELECT attname::text FROM pg_attribute \
                  WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
            )
            .bind(&relation)
            .fetch_all(&pool)
            .await
            .map_err(|e| classify(&e))?;
            if present.is_empty() {
                // No such relation: the resolver says so in its words.
                continue;
            }
            if let Some(c) = columns.iter().find(|c| !present.contains(c)) {
                return Err(Error::not_found(format!(
                    "{} has no column {}",
                    crate::quote::escape_controls(&relation),
                    crate::quote::escape_controls(&crate::quote::ident(c))
                )));
            }
        }
        Ok(())
    }

    /// The argument list of a routine as the server writes it (see
    /// [`super::resolve::canonical_args`]); what it cannot read is kept as typed.
    async fn canonical(
        &self,
        conn: &mut Option<sqlx::pool::PoolConnection<sqlx::Postgres>>,
        integration: &str,
        database: Option<&str>,
        schema: Option<&str>,
        name: &str,
        args: &str,
    ) -> Result<Option<String>> {
        if conn.is_none() {
            let pool = self.app.pool(integration, database).await?;
            *conn = Some(pool.acquire().await.map_err(|e| classify(&e))?);
        }
        let c = conn.as_mut().expect("acquired");
        super::resolve::canonical_args(c, schema, name, args).await
    }

    /// `r` with a routine's argument list made canonical by the server.
    async fn canonical_ref<'r>(
        &self,
        integration: &str,
        database: Option<&str>,
        r: &'r ObjectRef,
    ) -> Result<std::borrow::Cow<'r, ObjectRef>> {
        let (true, Some(args)) = (r.kind.is_routine(), &r.args) else {
            return Ok(std::borrow::Cow::Borrowed(r));
        };
        let mut conn = None;
        Ok(
            match self
                .canonical(
                    &mut conn,
                    integration,
                    database,
                    r.schema.as_deref(),
                    &r.name,
                    args,
                )
                .await?
            {
                Some(a) => std::borrow::Cow::Owned(ObjectRef {
                    args: Some(a),
                    ..r.clone()
                }),
                None => std::borrow::Cow::Borrowed(r),
            },
        )
    }

    /// `changes` with every routine signature made canonical by the server (one connection,
    /// only when some change names a routine with arguments).
    async fn canonical_changes<'c>(
        &self,
        integration: &str,
        database: Option<&str>,
        changes: &'c [Change],
    ) -> Result<std::borrow::Cow<'c, [Change]>> {
        use super::plan::Target;
        if !changes
            .iter()
            .any(|c| c.target().is_some_and(Target::routine_args))
        {
            return Ok(std::borrow::Cow::Borrowed(changes));
        }
        let mut out = changes.to_vec();
        let mut conn = None;
        for c in &mut out {
            let Some(t) = c.target_mut().filter(|t| t.routine_args()) else {
                continue;
            };
            if let Target::Object {
                schema,
                name,
                args: Some(args),
                ..
            } = t
            {
                if let Some(a) = self
                    .canonical(
                        &mut conn,
                        integration,
                        database,
                        schema.as_deref(),
                        name,
                        args,
                    )
                    .await?
                {
                    *args = a;
                }
            }
        }
        Ok(std::borrow::Cow::Owned(out))
    }

    /// Keeps `plan` for a later dry run or apply and returns its view.
    fn keep_plan(
        &self,
        it: crate::store::StoredIntegration,
        database: Option<&str>,
        plan: Plan,
    ) -> PlanView {
        let id = {
            use rand::Rng;
            let b: [u8; 8] = rand::rng().random();
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        };
        {
            let mut plans = self.state.plans.lock().unwrap();
            // Old plans go: an unapplied plan must not pin its snapshot's memory for ever.
            plans.retain(|_, p| p.kept_at.elapsed() < PLAN_MAX_AGE);
            while plans.len() >= PLANS_KEPT {
                let oldest = plans
                    .iter()
                    .min_by_key(|(_, p)| p.kept_at)
                    .map(|(k, _)| k.clone())
                    .expect("not empty");
                plans.remove(&oldest);
            }
            plans.insert(
                id.clone(),
                StoredPlan {
                    integration_id: it.id.clone(),
                    database: database.map(String::from),
                    plan: plan.clone(),
                    kept_at: Instant::now(),
                },
            );
        }
        PlanView {
            id,
            integration: it.name,
            production: it.environment == Environment::Production,
            read_only: it.read_only,
            plan,
        }
    }

    /// Runs a kept plan: a dry run, or an apply. An apply on a production integration needs
    /// `confirm` to be the integration's name; a read-only integration refuses applies.
    pub async fn run_plan(
        &self,
        plan_id: &str,
        dry_run: bool,
        confirm: Option<&str>,
    ) -> Result<ApplyResult> {
        let (integration_id, database, plan) = {
            let plans = self.state.plans.lock().unwrap();
            let p = plans.get(plan_id).ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    "the plan is unknown or expired: plan again",
                )
            })?;
            (p.integration_id.clone(), p.database.clone(), p.plan.clone())
        };
        let result = self
            .run_plan_value(
                &integration_id,
                database.as_deref(),
                &plan,
                dry_run,
                confirm,
            )
            .await?;
        if !dry_run && result.report.outcome == RunOutcome::Committed {
            self.state.plans.lock().unwrap().remove(plan_id);
        }
        Ok(result)
    }

    /// Runs a plan value (the CLI plans and runs in one process).
    pub async fn run_plan_value(
        &self,
        integration: &str,
        database: Option<&str>,
        plan: &Plan,
        dry_run: bool,
        confirm: Option<&str>,
    ) -> Result<ApplyResult> {
        let it = self.app.integration(integration).await?;
        let database_name = database.unwrap_or(&it.connection.endpoint().database);
        // Every refusal is logged (best effort: the refusal stands either way).
        let refuse = async |message: String| {
            if let Ok(id) = self.audit_started(&it, database_name, plan, dry_run).await {
                let _ = self
                    .app
                    .store()
                    .finish_audit(id, "refused", Some(&message), 0)
                    .await;
            }
            Error::new(ErrorCode::Refused, message)
        };
        if !dry_run && it.read_only {
            return Err(refuse(format!(
                "integration {:?} is read-only: Grantry does not apply changes to it",
                it.name
            ))
            .await);
        }
        if !dry_run
            && it.environment == Environment::Production
            && confirm != Some(it.name.as_str())
        {
            return Err(refuse(format!(
                "{:?} is a production integration: type its name to confirm the apply",
                it.name
            ))
            .await);
        }
        if (!dry_run || plan.statements.is_empty()) && !plan.blocking.is_empty() {
            return Err(refuse(format!(
                "the connecting role cannot carry out {} step(s) of this plan, so nothing was run: {}",
                plan.blocking.len(),
                plan.blocking.join("; ")
            ))
            .await);
        }
        if plan.statements.is_empty() {
            return Err(Error::invalid(
                "the plan has no statements: every change was a no-op",
            ));
        }
        let pool = self.app.pool(&it.id, database).await?;
        let mut conn = pool.acquire().await.map_err(|e| classify(&e))?;
        // A standby (or a server read-only by default) takes no GRANT, not even in a dry run.
        let read_only: Option<(bool, String)> = sqlx::query_as(
            "SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only')",
        )
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| classify(&e))?;
        match read_only {
            Some((true, _)) => {
                return Err(refuse(
                    "the server is a read-only standby (in recovery), so nothing was run: apply on the primary"
                        .into(),
                )
                .await)
            }
            Some((false, ro)) if ro == "on" => {
                return Err(refuse(
                    "the server takes no writes (default_transaction_read_only is on), so nothing was run"
                        .into(),
                )
                .await)
            }
            _ => {}
        }
        // One lock per database name, so applies from several integrations (or several Grantry
        // installations) on the same database never interleave either.
        let lock_key = {
            use sha2::{Digest, Sha256};
            let h = Sha256::digest(format!("grantry-apply:{}", plan.database));
            i64::from_be_bytes(h[..8].try_into().unwrap())
        };
        // The audit entry exists before the transaction does: a run the store cannot record
        // does not start, and one cut off midway leaves "started" behind, never nothing.
        let audit_id = self
            .audit_started(&it, database_name, plan, dry_run)
            .await?;
        let started = std::time::Instant::now();
        let store = self.app.store();
        let mut unrecorded = None;
        let run = apply::run(
            &mut conn,
            plan,
            &RunOptions {
                dry_run,
                lock_key,
                lock_timeout_ms: 10_000,
            },
            async |xid| {
                let r = store.set_audit_xid(audit_id, xid).await;
                if let Err(e) = &r {
                    unrecorded = Some(e.message.clone());
                }
                r
            },
        )
        .await;
        if let Some(why) = unrecorded {
            let _ = store.finish_audit(audit_id, "refused", Some(&why), 0).await;
            return Err(Error::local_store(format!("nothing was run: {why}")));
        }
        drop(conn);
        let mut report = match run {
            Ok(r) => r,
            // The connection failed before COMMIT was sent (an error during COMMIT is an
            // outcome in the report): PostgreSQL rolls back a transaction whose session ends
            // before it commits, so nothing was applied.
            Err(e) => RunReport {
                dry_run,
                outcome: RunOutcome::Failed,
                message: if e.code.is_connection() {
                    format!(
                        "the connection was lost before COMMIT, so nothing was applied (PostgreSQL \
                         rolls back a transaction whose session ends): {}",
                        e.message
                    )
                } else {
                    format!(
                        "the server refused the run before any statement, so nothing was applied: {}",
                        e.message
                    )
                },
                statements: Vec::new(),
                duration_ms: started.elapsed().as_millis() as u32,
                checks_ms: 0,
                generated_passwords: Vec::new(),
                verified: Vec::new(),
            },
        };
        let error = report
            .statements
            .iter()
            .find_map(|s| s.error.clone())
            .or_else(|| {
                (report.outcome != RunOutcome::Committed
                    && report.outcome != RunOutcome::RolledBack)
                    .then(|| report.message.clone())
            });
        if let Err(e) = self
            .app
            .store()
            .finish_audit(
                audit_id,
                report.outcome.as_str(),
                error.as_deref(),
                report.duration_ms as i64,
            )
            .await
        {
            // Never report a committed change as a failure: say the log is incomplete.
            report.message.push_str(&format!(
                "; the audit log entry {audit_id} stays \"started\": {}",
                e.message
            ));
        }

        if report.outcome == RunOutcome::Committed {
            for g in report
                .generated_passwords
                .iter_mut()
                .filter(|g| g.in_keychain)
            {
                let secret = plan
                    .passwords
                    .iter()
                    .find(|(r, _, _)| r == &g.role)
                    .map(|(_, s, _)| s.clone());
                if let Some(secret) = secret {
                    if let Err(e) = self
                        .app
                        .secrets()
                        .save_role_password(&it.id, &g.role, &secret)
                        .await
                    {
                        // The role exists now: never lose its password. Show it once instead.
                        g.in_keychain = false;
                        g.password = secret.expose().to_string();
                        report.message.push_str(&format!(
                            "; the keychain refused {}'s password ({}), so it is shown once",
                            g.role, e.message
                        ));
                    }
                }
            }
        }
        if report.outcome == RunOutcome::Committed {
            self.forget_snapshots(&it.id);
        }
        // Checked inside the transaction, before COMMIT (see apply.rs): a committed plan did
        // what it said.
        let verified = std::mem::take(&mut report.verified);
        Ok(ApplyResult { report, verified })
    }

    /// Writes the audit entry of a run about to start; its outcome is filled in afterwards.
    async fn audit_started(
        &self,
        it: &crate::store::StoredIntegration,
        database: &str,
        plan: &Plan,
        dry_run: bool,
    ) -> Result<i64> {
        self.app
            .store()
            .insert_audit(&AuditEntry {
                id: 0,
                at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                os_user: os_user(),
                database_user: it.connection.endpoint().username.clone(),
                integration_id: it.id.clone(),
                integration_name: it.name.clone(),
                database_name: database.to_string(),
                action: if dry_run { "dry_run" } else { "apply" }.into(),
                sql: super::render::redact_verifiers(&plan.script),
                outcome: "started".into(),
                error: None,
                duration_ms: 0,
                statements: plan.statements.len() as i64,
                expected: (!dry_run).then(|| {
                    serde_json::to_string(&Expected {
                        fingerprint: plan.fingerprint.clone(),
                        scope: plan.scope.clone(),
                        access_changes: plan.access_changes.clone(),
                    })
                    .unwrap_or_default()
                }),
                pid: Some(std::process::id() as i64),
                xid: None,
            })
            .await
            .map_err(|e| Error {
                message: format!("nothing was run: {}", e.message),
                ..e
            })
    }

    /// The database's privileges as a document ("json") or a runnable script ("sql").
    pub async fn export(
        &self,
        integration: &str,
        database: Option<&str>,
        format: &str,
    ) -> Result<String> {
        let snap = self.snapshot(integration, database, false).await?;
        snap.require_complete("export the privileges")?;
        match format {
            "json" => Ok(
                serde_json::to_string_pretty(&super::desired::export_state(&snap))
                    .expect("serializable")
                    + "\n",
            ),
            "yaml" => Ok(super::desired::to_yaml(&super::desired::export_state(
                &snap,
            ))),
            "sql" => Ok(super::desired::export_sql(&snap)),
            other => Err(Error::invalid(format!(
                "unknown export format {other:?}: json, yaml or sql"
            ))),
        }
    }

    /// Plans the difference between a desired-state document and the database.
    pub async fn plan_desired(
        &self,
        integration: &str,
        database: Option<&str>,
        desired: &super::desired::DesiredState,
    ) -> Result<PlanView> {
        // One inspection serves both the difference and the plan.
        let it = self.app.integration(integration).await?;
        let snap = self.snapshot(integration, database, false).await?;
        snap.require_complete("compare a desired state with the database")?;
        let (changes, notes) = super::desired::changes_for(&snap, desired)?;
        self.check_columns(integration, database, &changes).await?;
        if changes.is_empty() {
            let plan = plan::Plan {
                database: snap.database.clone(),
                statements: vec![],
                script: String::new(),
                access_changes: vec![],
                warnings: notes,
                blocking: vec![],
                noops: vec!["the database already matches the document".into()],
                fingerprint: plan::fingerprint(&snap),
                scope: None,
                generated_passwords_for: vec![],
                passwords: vec![],
                option_changes: vec![],
            };
            return Ok(PlanView {
                id: String::new(),
                integration: it.name,
                production: it.environment == Environment::Production,
                read_only: it.read_only,
                plan,
            });
        }
        let mut plan = plan::plan(&snap, &changes)?;
        plan.warnings.extend(notes);
        Ok(self.keep_plan(it, database, plan))
    }

    /// Every role of the server (for pickers and the role list).
    pub async fn roles(&self, integration: &str, database: Option<&str>) -> Result<Vec<Role>> {
        Ok(self
            .cached_snapshot(integration, database)
            .await?
            .roles
            .clone())
    }
}

/// The default-privileges rules that concern schema `schema`: its own and the global ones, one
/// row per rule and grantee, in the order a reader scans them (schema rules first, then by
/// creator, object type and grantee).
fn default_privilege_rows(snap: &Snapshot, e: &Engine, schema: &str) -> Vec<DefaultPrivilegeRow> {
    let mut rows: Vec<DefaultPrivilegeRow> = Vec::new();
    for d in &snap.default_acls {
        if d.schema.as_deref().is_some_and(|s| s != schema) {
            continue;
        }
        let mut by_grantee: BTreeMap<i64, (Vec<Privilege>, Vec<Privilege>)> = BTreeMap::new();
        for a in &d.acl {
            let (held, grantable) = by_grantee.entry(a.grantee).or_default();
            held.push(a.privilege);
            if a.grantable {
                grantable.push(a.privilege);
            }
        }
        for (grantee, (privileges, grantable)) in by_grantee {
            rows.push(DefaultPrivilegeRow {
                for_role: e.name_of(d.role),
                in_schema: d.schema.clone(),
                object_type: d.object_type,
                grantee: e.name_of(grantee),
                privileges,
                grantable,
            });
        }
    }
    rows.sort_by(|a, b| {
        (
            a.in_schema.is_none(),
            &a.for_role,
            a.object_type,
            &a.grantee,
        )
            .cmp(&(
                b.in_schema.is_none(),
                &b.for_role,
                b.object_type,
                &b.grantee,
            ))
    });
    rows
}
