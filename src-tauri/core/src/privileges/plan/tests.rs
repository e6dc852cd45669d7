//! The plan builder, its diff and its rendering on plain snapshots: no server, milliseconds. What
//! needs a server (the SQL PostgreSQL accepts, the access it computes) is in tests/plan_apply.rs
//! and the oracle.

use super::super::inspect::{AclEntry, DbObject, Membership, Role, Snapshot};
use super::super::parse::parse_change;
use super::super::{ObjectKind, Privilege, PUBLIC};
use super::{plan, AccessChange, AccessDelta, Change, Plan};
use crate::Error;

const SUPER: i64 = 10;
const OWNER: i64 = 100;
const ALICE: i64 = 101;
const ANALYSTS: i64 = 102;
const BOB: i64 = 103;
const ROLE_NAMED_PUBLIC: i64 = 104;

fn role(oid: i64, name: &str) -> Role {
    Role {
        oid,
        name: name.into(),
        superuser: oid == SUPER,
        inherit: true,
        createrole: false,
        createdb: false,
        login: matches!(oid, ALICE | BOB),
        replication: false,
        bypassrls: false,
        connection_limit: -1,
        valid_until: None,
        comment: None,
    }
}

/// `member` is a member of `role` (INHERIT, SET, no ADMIN), granted by the superuser.
fn member_of(role: i64, member: i64) -> Membership {
    Membership {
        role,
        member,
        grantor: SUPER,
        admin: false,
        inherit: true,
        set: true,
    }
}

fn acl(grantee: i64, grantor: i64, privileges: &[Privilege]) -> Vec<AclEntry> {
    privileges
        .iter()
        .map(|&privilege| AclEntry {
            grantee,
            grantor,
            privilege,
            grantable: false,
        })
        .collect()
}

/// `grantee` holds `privilege` from `grantor` with the grant option.
fn with_grant_option(grantee: i64, grantor: i64, privilege: Privilege) -> AclEntry {
    AclEntry {
        grantee,
        grantor,
        privilege,
        grantable: true,
    }
}

fn object(kind: ObjectKind, oid: i64, schema: Option<&str>, name: &str) -> DbObject {
    DbObject {
        kind,
        oid,
        subid: 0,
        schema: schema.map(String::from),
        name: name.into(),
        detail: None,
        owner: OWNER,
        default_acl: false,
        acl: Vec::new(),
    }
}

/// Database app, schema s with table s.t (analysts may SELECT), overloaded s.f, connected as a
/// superuser on PostgreSQL `version`.
fn snapshot(version: i32) -> Snapshot {
    use Privilege::*;
    let table_all: Vec<Privilege> = ObjectKind::Table.privileges(version).iter().collect();
    let mut db = object(ObjectKind::Database, 1, None, "app");
    db.acl = [
        acl(PUBLIC as i64, OWNER, &[Connect, Temporary]),
        acl(OWNER, OWNER, &[Connect, Create, Temporary]),
    ]
    .concat();
    let mut schema = object(ObjectKind::Schema, 2, None, "s");
    schema.acl = [
        acl(OWNER, OWNER, &[Usage, Create]),
        acl(ANALYSTS, OWNER, &[Usage]),
    ]
    .concat();
    let mut table = object(ObjectKind::Table, 3, Some("s"), "t");
    table.acl = [
        acl(OWNER, OWNER, &table_all),
        acl(ANALYSTS, OWNER, &[Select]),
    ]
    .concat();
    let mut f_int = object(ObjectKind::Function, 4, Some("s"), "f");
    f_int.detail = Some("integer".into());
    f_int.acl = acl(OWNER, OWNER, &[Execute]);
    let mut f_text = object(ObjectKind::Function, 5, Some("s"), "f");
    f_text.detail = Some("text".into());
    f_text.acl = acl(OWNER, OWNER, &[Execute]);
    Snapshot {
        version_num: version,
        database: "app".into(),
        database_owner: OWNER,
        current_user: SUPER,
        roles: vec![
            role(SUPER, "postgres"),
            role(OWNER, "owner"),
            role(ALICE, "alice"),
            role(ANALYSTS, "analysts"),
            role(BOB, "bob"),
            role(ROLE_NAMED_PUBLIC, "PUBLIC"),
        ],
        memberships: vec![member_of(ANALYSTS, ALICE)],
        objects: vec![db, schema, table, f_int, f_text],
        default_acls: Vec::new(),
        taken_at: "2026-12-02T00:00:00Z".into(),
        unreadable: vec![],
    }
}

fn changes(lines: &[&str]) -> Vec<Change> {
    lines.iter().map(|l| parse_change(l).unwrap()).collect()
}

/// The plan of `lines` on `snap`, which must succeed.
fn planned(snap: &Snapshot, lines: &[&str]) -> Plan {
    plan(snap, &changes(lines)).unwrap()
}

/// Why `lines` cannot be planned on `snap`.
fn refused(snap: &Snapshot, lines: &[&str]) -> Error {
    plan(snap, &changes(lines)).unwrap_err()
}

/// The SQL of the plan's statements, in order.
fn statements_sql(p: &Plan) -> Vec<&str> {
    p.statements.iter().map(|s| s.sql.as_str()).collect()
}

/// The roles whose access the plan changes by `delta`, in order.
fn roles_that(p: &Plan, delta: AccessDelta) -> Vec<&str> {
    p.access_changes
        .iter()
        .filter(|c| c.delta == delta)
        .map(|c| c.role.as_str())
        .collect()
}

fn gained(role: &str, privilege: Privilege, object: &str) -> AccessChange {
    AccessChange {
        role: role.into(),
        object: object.into(),
        kind: ObjectKind::Table,
        privilege,
        delta: AccessDelta::Gained,
    }
}

#[test]
fn a_grant_renders_one_statement_with_its_effect_and_scope() {
    let snap = snapshot(160000);
    let p = planned(&snap, &["grant SELECT,INSERT on table:s.t to bob"]);
    assert_eq!(
        p.script,
        "GRANT SELECT, INSERT ON TABLE \"s\".\"t\" TO \"bob\";\n"
    );
    assert_eq!(
        p.access_changes,
        vec![
            gained("bob", Privilege::Select, "s.t"),
            gained("bob", Privilege::Insert, "s.t"),
        ]
    );
    assert_eq!(p.scope, Some(vec![3]));
    assert!(p.noops.is_empty() && p.warnings.is_empty(), "{p:?}");
    // The plan is a pure function of the snapshot and the changes.
    let again = planned(&snap, &["grant SELECT,INSERT on table:s.t to bob"]);
    assert_eq!(again.fingerprint, p.fingerprint);
}

#[test]
fn no_ops_are_dropped_and_said() {
    let snap = snapshot(160000);
    let p = planned(
        &snap,
        &[
            "grant SELECT on table:s.t to analysts",
            "revoke SELECT on table:s.t from alice",
        ],
    );
    assert!(p.statements.is_empty(), "{:?}", p.statements);
    assert_eq!(p.noops.len(), 2, "{:?}", p.noops);
    assert!(p.noops[0].ends_with("already granted"), "{:?}", p.noops);
    assert!(p.noops[1].ends_with("nothing to revoke"), "{:?}", p.noops);
}

#[test]
fn a_revoke_from_a_group_shows_who_loses_through_it() {
    let snap = snapshot(160000);
    let p = planned(&snap, &["revoke SELECT on table:s.t from analysts"]);
    assert_eq!(
        p.script,
        "REVOKE SELECT ON TABLE \"s\".\"t\" FROM \"analysts\";\n"
    );
    let lost = roles_that(&p, AccessDelta::Lost);
    assert_eq!(lost, ["alice", "analysts"]);
}

#[test]
fn a_revoke_that_changes_nothing_effective_is_warned_about() {
    let mut snap = snapshot(160000);
    snap.objects[2]
        .acl
        .extend(acl(ALICE, OWNER, &[Privilege::Select]));
    let p = planned(&snap, &["revoke SELECT on table:s.t from alice"]);
    assert_eq!(p.statements.len(), 1);
    assert!(p.access_changes.is_empty(), "{:?}", p.access_changes);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("removes nothing") && w.contains("through analysts")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn public_and_a_role_named_public_are_apart() {
    let snap = snapshot(160000);
    let p = planned(
        &snap,
        &[
            "grant SELECT on table:s.t to public",
            r#"grant INSERT on table:s.t to "PUBLIC""#,
        ],
    );
    assert_eq!(
        p.script,
        "GRANT SELECT ON TABLE \"s\".\"t\" TO PUBLIC;\nGRANT INSERT ON TABLE \"s\".\"t\" TO \"PUBLIC\";\n"
    );
    // Everyone gains SELECT (shown once, as public); only the role named "PUBLIC" gains INSERT.
    assert!(p
        .access_changes
        .contains(&gained("public", Privilege::Select, "s.t")));
    assert!(p
        .access_changes
        .contains(&gained("PUBLIC", Privilege::Insert, "s.t")));
    assert!(!p
        .access_changes
        .contains(&gained("public", Privilege::Insert, "s.t")));
    let e = refused(&snap, &["grant SELECT on table:s.t to Public"]);
    assert!(e.message.contains("is written public"), "{}", e.message);
}

#[test]
fn routines_need_their_signature_when_overloaded() {
    let snap = snapshot(160000);
    let e = refused(&snap, &["grant EXECUTE on function:s.f to bob"]);
    assert!(e.message.contains("overloaded"), "{}", e.message);
    let p = planned(&snap, &["grant EXECUTE on function:s.f( integer ) to bob"]);
    // The signature in the SQL is the catalog's, not the text typed.
    assert_eq!(
        p.script,
        "GRANT EXECUTE ON FUNCTION \"s\".\"f\"(integer) TO \"bob\";\n"
    );
}

#[test]
fn privileges_follow_the_major() {
    let e = refused(&snapshot(160000), &["grant MAINTAIN on table:s.t to bob"]);
    assert!(e.message.contains("does not apply"), "{}", e.message);
    let p = planned(&snapshot(170000), &["grant MAINTAIN on table:s.t to bob"]);
    assert_eq!(p.statements.len(), 1);
    let e = refused(&snapshot(150000), &["grant-role analysts to bob noinherit"]);
    assert!(e.message.contains("16 or newer"), "{}", e.message);
}

#[test]
fn statements_are_ordered_roles_first_then_memberships_then_grants() {
    let snap = snapshot(160000);
    let p = plan(
        &snap,
        &changes(&[
            "grant SELECT on table:s.t to carol",
            "grant-role analysts to carol",
            "create-role carol login",
        ]),
    );
    // carol does not exist when the grant is read: the plan refuses rather than reorder meaning.
    assert!(p.is_err());
    let p = planned(
        &snap,
        &[
            "create-role carol login",
            "grant SELECT on table:s.t to carol",
            "grant-role analysts to carol",
            "revoke SELECT on table:s.t from analysts",
        ],
    );
    let kinds: Vec<&str> = p
        .statements
        .iter()
        .map(|s| s.sql.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(kinds, ["CREATE", "GRANT", "GRANT", "REVOKE"]);
    assert!(p.statements[1]
        .sql
        .starts_with("GRANT \"analysts\" TO \"carol\""));
    // A new role's access shows as gained; it never existed before.
    assert!(p
        .access_changes
        .contains(&gained("carol", Privilege::Select, "s.t")));
    // Statements touching roles check the whole database's roles and memberships, but the
    // object scope stays the table.
    assert_eq!(p.scope, Some(vec![3]));
}

#[test]
fn read_adds_what_makes_select_usable() {
    let snap = snapshot(160000);
    let p = planned(&snap, &["read table:s.t to bob"]);
    let sql = statements_sql(&p);
    // PUBLIC already has CONNECT on app: only USAGE on s is missing.
    assert_eq!(
        sql,
        [
            "GRANT USAGE ON SCHEMA \"s\" TO \"bob\"",
            "GRANT SELECT ON TABLE \"s\".\"t\" TO \"bob\""
        ]
    );
}

#[test]
fn an_empty_or_meaningless_plan_is_refused() {
    let snap = snapshot(160000);
    assert!(plan(&snap, &[]).is_err());
    let e = plan(
        &snap,
        &[Change::Grant {
            privileges: vec![],
            on: super::Target::AllInSchema {
                kind: ObjectKind::Table,
                schema: "s".into(),
            },
            to: vec!["bob".into()],
            with_grant_option: false,
            granted_by: None,
        }],
    )
    .unwrap_err();
    assert!(
        e.message.contains("at least one privilege"),
        "{}",
        e.message
    );
}

#[test]
fn steps_the_connector_cannot_make_are_blocking() {
    // bob: no superuser, no privilege on s.t, no CREATEROLE.
    let mut snap = snapshot(160000);
    snap.current_user = BOB;
    let p = planned(&snap, &["grant SELECT on table:s.t to alice"]);
    assert_eq!(p.blocking.len(), 1, "{:?}", p.blocking);
    assert!(p.blocking[0].contains("bob cannot grant SELECT on s.t: it does not hold it"));
    assert!(p.blocking[0].contains("as owner"), "{}", p.blocking[0]);
    // With SELECT but no grant option: PostgreSQL would only warn; still blocking.
    snap.objects[2]
        .acl
        .extend(acl(BOB, OWNER, &[Privilege::Select]));
    let p = planned(&snap, &["grant SELECT on table:s.t to alice"]);
    assert!(
        p.blocking[0].contains("without the grant option"),
        "{:?}",
        p.blocking
    );
    // With the grant option through a group it inherits: fine.
    snap.objects[2].acl.retain(|e| e.grantee != BOB);
    snap.objects[2]
        .acl
        .push(with_grant_option(ANALYSTS, OWNER, Privilege::Insert));
    snap.memberships.push(member_of(ANALYSTS, BOB));
    let p = planned(&snap, &["grant INSERT on table:s.t to alice"]);
    assert!(p.blocking.is_empty(), "{:?}", p.blocking);
    // The owner (and whoever has its privileges) always can.
    snap.current_user = OWNER;
    let p = planned(&snap, &["grant SELECT on table:s.t to bob"]);
    assert!(p.blocking.is_empty(), "{:?}", p.blocking);
    // Roles: CREATEROLE is needed to create one; from 16 on, ADMIN OPTION to grant one.
    snap.current_user = BOB;
    let p = planned(&snap, &["create-role carol"]);
    assert!(
        p.blocking[0].contains("lacks CREATEROLE"),
        "{:?}",
        p.blocking
    );
    snap.roles
        .iter_mut()
        .find(|r| r.oid == BOB)
        .unwrap()
        .createrole = true;
    let p = planned(
        &snap,
        &["create-role carol", "grant-role analysts to alice"],
    );
    assert_eq!(p.blocking.len(), 1, "{:?}", p.blocking);
    assert!(
        p.blocking[0].contains("needs ADMIN OPTION"),
        "{:?}",
        p.blocking
    );
    let mut v15 = snap.clone();
    v15.version_num = 150000;
    let p = planned(&v15, &["grant-role analysts to alice"]);
    assert!(
        p.blocking.is_empty(),
        "CREATEROLE suffices before 16: {:?}",
        p.blocking
    );
}

#[test]
fn a_table_revoke_also_revokes_the_columns_and_public_keeps_what_it_gives() {
    use super::super::inspect::DbObject;
    let mut snap = snapshot(160000);
    // analysts may UPDATE column a of s.t; PUBLIC may UPDATE s.t as a whole.
    let t = snap.objects[2].clone();
    let mut col = DbObject::column_without_acl(&t, "a", 1);
    col.acl = acl(ANALYSTS, OWNER, &[Privilege::Update]);
    snap.objects.push(col);
    let p = planned(&snap, &["revoke UPDATE on table:s.t from analysts"]);
    assert_eq!(
        p.script, "REVOKE UPDATE ON TABLE \"s\".\"t\" FROM \"analysts\";\n",
        "PostgreSQL revokes the column grant with the table's: {:?}",
        p.noops
    );
    assert!(p
        .access_changes
        .iter()
        .any(|c| c.role == "analysts" && c.object == "s.t (a)" && c.delta == AccessDelta::Lost));
    // While PUBLIC holds UPDATE on the table, nobody loses it with a column revoke.
    snap.objects[2]
        .acl
        .extend(acl(PUBLIC as i64, OWNER, &[Privilege::Update]));
    let p = planned(&snap, &["revoke UPDATE on column:s.t.a from analysts"]);
    assert_eq!(p.statements.len(), 1);
    assert!(
        p.access_changes
            .iter()
            .all(|c| c.delta != AccessDelta::Lost),
        "{:?}",
        p.access_changes
    );
}

#[test]
fn a_first_column_grant_gains_only_for_the_grantee() {
    let snap = snapshot(160000);
    // analysts and the owner hold SELECT on the table, so on every column already.
    let p = planned(
        &snap,
        &[
            "grant SELECT on column:s.t.a to analysts",
            "grant SELECT on column:s.t.a to bob",
        ],
    );
    let gained = roles_that(&p, AccessDelta::Gained);
    assert_eq!(gained, ["bob"], "{:?}", p.access_changes);
}

#[test]
fn a_connector_acts_as_the_role_its_grant_option_comes_from() {
    // bob inherits analysts, which may grant SELECT on s.t; alice got SELECT from analysts.
    let mut snap = snapshot(160000);
    snap.current_user = BOB;
    snap.memberships.push(member_of(ANALYSTS, BOB));
    let t = &mut snap.objects[2].acl;
    t.retain(|e| e.grantee != ANALYSTS);
    t.push(with_grant_option(ANALYSTS, OWNER, Privilege::Select));
    t.extend(acl(ALICE, ANALYSTS, &[Privilege::Select]));
    // PostgreSQL records analysts as the grantor of bob's GRANT and REVOKE.
    let p = planned(&snap, &["revoke SELECT on table:s.t from alice"]);
    assert_eq!(p.statements.len(), 1, "{:?}", p.noops);
    assert!(p.blocking.is_empty(), "{:?}", p.blocking);
    let p = plan(
        &snap,
        &changes(&["grant SELECT on table:s.t to carl_missing"]),
    );
    assert!(p.is_err());
    let p = planned(&snap, &["grant SELECT on table:s.t to owner"]);
    assert!(p.blocking.is_empty(), "{:?}", p.blocking);
}

#[test]
fn a_membership_revoke_removes_each_grantors_grant_as_its_grantor() {
    // From 16 on alice's membership in analysts is one row per grantor: the superuser's (recorded
    // as the bootstrap superuser) and owner's.
    let mut snap = snapshot(160000);
    snap.memberships.push(Membership {
        grantor: OWNER,
        ..member_of(ANALYSTS, ALICE)
    });
    let p = planned(&snap, &["revoke-role analysts from alice"]);
    let sql = statements_sql(&p);
    assert_eq!(
        sql,
        [
            r#"REVOKE "analysts" FROM "alice""#,
            r#"REVOKE "analysts" FROM "alice" GRANTED BY "owner""#
        ]
    );
    assert!(p.blocking.is_empty(), "{:?}", p.blocking);
    assert!(p
        .access_changes
        .iter()
        .any(|c| c.role == "alice" && c.delta == AccessDelta::Lost));
    // Before 16 there is one row, whoever granted it: one REVOKE removes it.
    let mut v15 = snapshot(150000);
    v15.memberships[0].grantor = OWNER;
    let p = planned(&v15, &["revoke-role analysts from alice"]);
    assert_eq!(p.statements.len(), 1);
    assert_eq!(p.statements[0].sql, r#"REVOKE "analysts" FROM "alice""#);
    // A connector with ADMIN OPTION but without the grantors' privileges cannot remove their
    // grants: blocking, with the statement the grantor would run.
    snap.current_user = BOB;
    snap.memberships.push(Membership {
        admin: true,
        ..member_of(ANALYSTS, BOB)
    });
    let p = planned(&snap, &["revoke-role analysts from alice"]);
    assert_eq!(p.blocking.len(), 2, "{:?}", p.blocking);
    assert!(
        p.blocking.iter().any(|b| b.contains("bob cannot revoke analysts from alice granted by owner")
            && b.contains(r#"fix: as owner (or a superuser) run REVOKE "analysts" FROM "alice" GRANTED BY "owner""#)),
        "{:?}",
        p.blocking
    );
    // A grant made by a superuser on 16+ is recorded under the bootstrap superuser, so granting
    // again as a superuser is a no-op.
    let snap = snapshot(160000);
    let p = plan(&snap, &changes(&["grant-role analysts to alice"]));
    assert!(p.is_err() || p.unwrap().statements.is_empty());
}

#[test]
fn an_object_revoke_removes_other_grantors_grants_as_them() {
    use Privilege::Select;
    // bob holds SELECT on s.t WITH GRANT OPTION and granted it to alice (not in analysts here).
    let mut snap = snapshot(160000);
    snap.memberships.clear();
    snap.objects[1]
        .acl
        .extend(acl(BOB, OWNER, &[Privilege::Usage]));
    snap.objects[2]
        .acl
        .push(with_grant_option(BOB, OWNER, Select));
    snap.objects[2].acl.extend(acl(ALICE, BOB, &[Select]));
    // A superuser connector becomes bob to revoke bob's grant.
    let p = planned(&snap, &["revoke SELECT on table:s.t from alice"]);
    let sql = statements_sql(&p);
    assert_eq!(
        sql,
        [
            r#"SET ROLE "bob""#,
            r#"REVOKE SELECT ON TABLE "s"."t" FROM "alice""#,
            "RESET ROLE"
        ]
    );
    assert!(p.blocking.is_empty(), "{:?}", p.blocking);
    assert!(p
        .access_changes
        .iter()
        .any(|c| c.role == "alice" && c.delta == AccessDelta::Lost));
    // The owner itself granted too: its own REVOKE first, then bob's as bob.
    snap.objects[2].acl.extend(acl(ALICE, OWNER, &[Select]));
    let p = planned(&snap, &["revoke SELECT on table:s.t from alice"]);
    assert_eq!(p.statements.len(), 4, "{:?}", p.statements);
    // Without USAGE on the schema bob's REVOKE could not name the table: blocking.
    let mut no_usage = snap.clone();
    no_usage.objects[1].acl.retain(|e| e.grantee != BOB);
    let p = planned(&no_usage, &["revoke SELECT on table:s.t from alice"]);
    assert!(
        p.blocking
            .iter()
            .any(|b| b.contains("bob cannot reach schema s (no USAGE)")),
        "{:?}",
        p.blocking
    );
    // A connector that cannot become bob: blocking, naming who can do it.
    snap.current_user = OWNER;
    let p = planned(&snap, &["revoke SELECT on table:s.t from alice"]);
    assert_eq!(p.blocking.len(), 1, "{:?}", p.blocking);
    assert!(
        p.blocking[0].contains("owner cannot revoke what bob granted to alice")
            && p.blocking[0].contains("cannot SET ROLE bob"),
        "{}",
        p.blocking[0]
    );
}

#[test]
fn a_cascading_revoke_follows_the_whole_chain_of_grants() {
    use Privilege::Select;
    // owner -> alice (with option) -> bob (with option) -> analysts.
    let mut snap = snapshot(160000);
    snap.memberships.clear();
    snap.objects[2].acl.retain(|e| e.grantee == OWNER);
    snap.objects[2]
        .acl
        .push(with_grant_option(ALICE, OWNER, Select));
    snap.objects[2]
        .acl
        .push(with_grant_option(BOB, ALICE, Select));
    snap.objects[2].acl.extend(acl(ANALYSTS, BOB, &[Select]));
    let p = planned(&snap, &["revoke SELECT on table:s.t from alice cascade"]);
    let lost = roles_that(&p, AccessDelta::Lost);
    assert_eq!(lost, ["alice", "analysts", "bob"], "{:?}", p.access_changes);
    // The owner's own options are implicit: revoking from the owner warns about no cascade.
    let p = planned(&snap, &["revoke SELECT on table:s.t from owner"]);
    assert!(
        !p.warnings.iter().any(|w| w.contains("cascades")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn a_schema_wide_revoke_goes_object_by_object_where_the_server_would_refuse_one() {
    // bob owns s.u and granted alice SELECT on it; he holds nothing on s.t, so REVOKE ... ON
    // ALL TABLES IN SCHEMA s would fail on s.t ("permission denied").
    let mut snap = snapshot(160000);
    snap.current_user = BOB;
    snap.memberships.clear();
    let mut u = object(ObjectKind::Table, 6, Some("s"), "u");
    u.owner = BOB;
    u.acl = [
        acl(
            BOB,
            BOB,
            &ObjectKind::Table
                .privileges(160000)
                .iter()
                .collect::<Vec<_>>(),
        ),
        acl(ALICE, BOB, &[Privilege::Select]),
    ]
    .concat();
    snap.objects.push(u);
    let p = planned(&snap, &["revoke SELECT on all-tables:s from alice"]);
    let sql = statements_sql(&p);
    assert_eq!(sql, [r#"REVOKE SELECT ON TABLE "s"."u" FROM "alice""#]);
    // A superuser may revoke schema-wide.
    snap.current_user = SUPER;
    let p = planned(&snap, &["revoke SELECT on all-tables:s from alice"]);
    assert_eq!(
        p.statements[0].sql,
        r#"REVOKE SELECT ON ALL TABLES IN SCHEMA "s" FROM "alice""#
    );
}

#[test]
fn options_and_grantees_that_cannot_work_are_said_before_anything_runs() {
    // PUBLIC cannot hold a grant option.
    let snap = snapshot(160000);
    let e = refused(
        &snap,
        &["grant SELECT on table:s.t to public with grant option"],
    );
    assert!(
        e.message.contains("PUBLIC cannot hold a grant option"),
        "{}",
        e.message
    );
    // alice is in analysts by the superuser's grant (INHERIT); a NOINHERIT grant by owner
    // changes only owner's grant.
    let mut snap = snapshot(160000);
    snap.current_user = OWNER;
    snap.memberships.push(Membership {
        role: ANALYSTS,
        member: OWNER,
        grantor: SUPER,
        admin: true,
        inherit: true,
        set: true,
    });
    let p = planned(&snap, &["grant-role analysts to alice noinherit"]);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("alice still inherits analysts through the grant postgres made")),
        "{:?}",
        p.warnings
    );
    assert!(
        p.statements[0].purpose.contains("NOINHERIT"),
        "{}",
        p.statements[0].purpose
    );
}

#[test]
fn memberships_that_loop_and_schema_revokes_of_global_defaults_are_refused() {
    // alice is a member of analysts: analysts cannot become a member of alice, nor anyone of
    // itself.
    let snap = snapshot(160000);
    let e = refused(&snap, &["grant-role alice to analysts"]);
    assert!(e.message.contains("would make a loop"), "{}", e.message);
    let e = refused(&snap, &["grant-role bob to bob"]);
    assert!(e.message.contains("member of itself"), "{}", e.message);
    // PUBLIC may execute new functions by the built-in default: a rule in one schema cannot
    // take that away.
    let revoke = super::Change::DefaultPrivileges {
        grant: false,
        for_role: Some("owner".into()),
        in_schema: Some("s".into()),
        on: super::super::inspect::DefaultObjectType::Functions,
        privileges: vec![Privilege::Execute],
        roles: vec!["public".into()],
        with_grant_option: false,
    };
    let e = plan(&snap, &[revoke]).unwrap_err();
    assert!(
        e.message.contains("revoke it without in_schema"),
        "{}",
        e.message
    );
}

#[test]
fn default_privileges_offer_only_what_the_object_type_holds_on_that_server() {
    use super::super::inspect::DefaultObjectType;
    let rule = |on: DefaultObjectType, p: Privilege, in_schema: Option<&str>| {
        super::Change::DefaultPrivileges {
            grant: true,
            for_role: Some("owner".into()),
            in_schema: in_schema.map(Into::into),
            on,
            privileges: vec![p],
            roles: vec!["analysts".into()],
            with_grant_option: false,
        }
    };
    // MAINTAIN exists from PostgreSQL 17 on.
    let e = plan(
        &snapshot(160004),
        &[rule(
            DefaultObjectType::Tables,
            Privilege::Maintain,
            Some("s"),
        )],
    )
    .unwrap_err();
    assert_eq!(e.code, crate::ErrorCode::InvalidInput);
    assert!(
        e.message.contains("MAINTAIN does not apply to TABLES")
            && e.message.contains("PostgreSQL 16.4"),
        "{}",
        e.message
    );
    let p = plan(
        &snapshot(170002),
        &[rule(
            DefaultObjectType::Tables,
            Privilege::Maintain,
            Some("s"),
        )],
    )
    .unwrap();
    assert!(
        p.script.contains("GRANT MAINTAIN ON TABLES"),
        "{}",
        p.script
    );
    // A privilege of another object type, and schemas inside a schema, are refused.
    let snap = snapshot(170002);
    let e = plan(
        &snap,
        &[rule(DefaultObjectType::Tables, Privilege::Execute, None)],
    )
    .unwrap_err();
    assert!(
        e.message.contains("EXECUTE does not apply to TABLES"),
        "{}",
        e.message
    );
    let e = plan(
        &snap,
        &[rule(
            DefaultObjectType::Schemas,
            Privilege::Usage,
            Some("s"),
        )],
    )
    .unwrap_err();
    assert!(e.message.contains("cannot be IN SCHEMA"), "{}", e.message);
}
