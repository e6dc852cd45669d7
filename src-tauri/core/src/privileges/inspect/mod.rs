//! One bulk inspection of a database's privileges: roles, memberships, every object with its ACL
//! (defaults made visible), default privileges and, on 15+, parameter privileges.

use super::{ObjectKind, Privilege};
use crate::connect::classify;
use crate::error::{Error, Result};
use serde::Serialize;
use sqlx::postgres::PgConnection;
use sqlx::Row;
use std::collections::HashMap;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS, sqlx::FromRow)]
pub struct Role {
    #[ts(type = "number")]
    pub oid: i64,
    pub name: String,
    pub superuser: bool,
    pub inherit: bool,
    pub createrole: bool,
    pub createdb: bool,
    pub login: bool,
    pub replication: bool,
    pub bypassrls: bool,
    pub connection_limit: i32,
    pub valid_until: Option<String>,
    pub comment: Option<String>,
}

impl Role {
    /// Built-in roles (pg_read_all_data, pg_monitor, pg_database_owner, ...).
    pub fn is_predefined(&self) -> bool {
        self.name.starts_with("pg_") && self.oid < 16384
    }
}

/// One membership grant: `member` is a member of `role`, granted by `grantor`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, TS)]
pub struct Membership {
    #[ts(type = "number")]
    pub role: i64,
    #[ts(type = "number")]
    pub member: i64,
    #[ts(type = "number")]
    pub grantor: i64,
    pub admin: bool,
    /// PostgreSQL 16+: per grant. Before: the member's INHERIT attribute.
    pub inherit: bool,
    /// PostgreSQL 16+: per grant. Before: always true.
    pub set: bool,
}

/// One privilege granted by `grantor` to `grantee` (0 = PUBLIC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
pub struct AclEntry {
    #[ts(type = "number")]
    pub grantee: i64,
    #[ts(type = "number")]
    pub grantor: i64,
    pub privilege: Privilege,
    pub grantable: bool,
}

/// An object that carries privileges.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DbObject {
    pub kind: ObjectKind,
    #[ts(type = "number")]
    pub oid: i64,
    /// Column number for columns, else 0.
    pub subid: i32,
    pub schema: Option<String>,
    /// Relation name for columns.
    pub name: String,
    /// Column name; a routine's input argument types (`integer, text`: its identity).
    pub detail: Option<String>,
    #[ts(type = "number")]
    pub owner: i64,
    /// The ACL is NULL: the entries are the built-in defaults.
    pub default_acl: bool,
    pub acl: Vec<AclEntry>,
}

impl DbObject {
    /// A readable, unambiguous label: `schema.table`, `schema.f(int)`, `schema.table (column)`,
    /// each name double-quoted when it is not a plain identifier, so `s3."a.b"` and
    /// `"s3.a".b` stay apart.
    pub fn label(&self) -> String {
        let n = |x: &str| super::display_name(x);
        let base = match &self.schema {
            Some(s) => format!("{}.{}", n(s), n(&self.name)),
            None => n(&self.name),
        };
        match (self.kind, &self.detail) {
            (ObjectKind::Column, Some(c)) => format!("{base} ({})", n(c)),
            (ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Aggregate, Some(args)) => {
                format!("{base}({args})")
            }
            _ => base,
        }
    }
}

impl DbObject {
    /// A column of `table` that has no ACL of its own (only table-level privileges apply to it).
    pub fn column_without_acl(table: &DbObject, column: &str, subid: i32) -> DbObject {
        DbObject {
            kind: ObjectKind::Column,
            oid: table.oid,
            subid,
            schema: table.schema.clone(),
            name: table.name.clone(),
            detail: Some(column.to_string()),
            owner: table.owner,
            default_acl: false,
            acl: Vec::new(),
        }
    }
}

/// Whether two function argument lists name the same signature, whatever their spacing
/// ("integer,text" and "integer, text"). Only white space outside double quotes is folded: a type
/// named `"ty  a"` is not `"ty a"`.
pub fn same_args(a: Option<&str>, b: Option<&str>) -> bool {
    a.map(normalize_args) == b.map(normalize_args)
}

/// An argument list with white space outside quoted identifiers folded: runs become one space,
/// and none is kept next to `,`, `(`, `)` or `.`.
pub(crate) fn normalize_args(a: &str) -> String {
    let mut out = String::with_capacity(a.len());
    let mut quoted = false;
    let mut pending_space = false;
    for c in a.chars() {
        if quoted {
            out.push(c);
            if c == '"' {
                quoted = false;
            }
            continue;
        }
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        let tight = |x: char| matches!(x, ',' | '(' | ')' | '.' | '[' | ']');
        if pending_space && !out.is_empty() && !tight(c) && !out.ends_with(tight) {
            out.push(' ');
        }
        pending_space = false;
        if c == '"' {
            quoted = true;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{same_args, without_branches_reading, ACL_SQL, OBJECTS_SQL};

    #[test]
    fn branches_reading_an_unreadable_catalog_are_left_out_of_both_queries() {
        for sql in [OBJECTS_SQL, ACL_SQL] {
            let all = without_branches_reading(sql, &[]);
            assert_eq!(all.matches("UNION ALL").count(), 9, "{all}");
            let some = without_branches_reading(sql, &["pg_type", "pg_largeobject_metadata"]);
            assert_eq!(some.matches("UNION ALL").count(), 7, "{some}");
            assert!(!some.contains("FROM pg_type"), "{some}");
            assert!(!some.contains("pg_largeobject_metadata"), "{some}");
            // The functions' and languages' branches stay, and the statement still ends.
            assert!(some.contains("FROM pg_proc") && some.contains("FROM pg_language"));
            assert!(some.trim_end().ends_with(';'));
            // A word in a comment is not a read.
            let no_attr = without_branches_reading(sql, &["pg_attribute"]);
            assert_eq!(no_attr.matches("UNION ALL").count(), 8, "{no_attr}");
        }
    }

    #[test]
    fn argument_lists_fold_spacing_outside_quotes_only() {
        assert!(same_args(Some("integer,text"), Some("integer, text")));
        assert!(same_args(Some(" integer ,  text "), Some("integer, text")));
        assert!(same_args(
            Some("character   varying"),
            Some("character varying")
        ));
        assert!(same_args(Some("s . \"t y\""), Some("s.\"t y\"")));
        assert!(!same_args(Some("s.\"ty  a\""), Some("s.\"ty a\"")));
        assert!(!same_args(Some("s.\"ty\na\""), Some("s.\"ty a\"")));
        assert!(!same_args(Some("integer"), None));
        assert!(same_args(None, None));
    }
}

/// Which objects an ALTER DEFAULT PRIVILEGES rule is for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize, TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum DefaultObjectType {
    Tables,
    Sequences,
    Functions,
    Types,
    Schemas,
    /// PostgreSQL 18+.
    LargeObjects,
}

impl DefaultObjectType {
    pub fn from_code(c: &str) -> Option<Self> {
        Some(match c {
            "r" => Self::Tables,
            "S" => Self::Sequences,
            "f" => Self::Functions,
            "T" => Self::Types,
            "n" => Self::Schemas,
            "L" => Self::LargeObjects,
            _ => return None,
        })
    }
    pub fn sql(self) -> &'static str {
        match self {
            Self::Tables => "TABLES",
            Self::Sequences => "SEQUENCES",
            Self::Functions => "FUNCTIONS",
            Self::Types => "TYPES",
            Self::Schemas => "SCHEMAS",
            Self::LargeObjects => "LARGE OBJECTS",
        }
    }
    /// The kind of object whose privileges the rule gives.
    pub fn object_kind(self) -> super::ObjectKind {
        use super::ObjectKind;
        match self {
            Self::Tables => ObjectKind::Table,
            Self::Sequences => ObjectKind::Sequence,
            Self::Functions => ObjectKind::Function,
            Self::Types => ObjectKind::Type,
            Self::Schemas => ObjectKind::Schema,
            Self::LargeObjects => ObjectKind::LargeObject,
        }
    }
    /// What PUBLIC gets by default on new objects of this type (before any rule).
    pub fn public_default(self) -> &'static [super::Privilege] {
        match self {
            Self::Functions => &[super::Privilege::Execute],
            Self::Types => &[super::Privilege::Usage],
            _ => &[],
        }
    }
    /// The built-in defaults a global rule of `owner` starts from (acldefault): the owner
    /// holds every privilege of the kind, PUBLIC what [`Self::public_default`] says.
    pub fn builtin_acl(self, owner: i64, version_num: i32) -> Vec<AclEntry> {
        let entry = |grantee: i64, privilege: super::Privilege| AclEntry {
            grantee,
            grantor: owner,
            privilege,
            grantable: false,
        };
        let mut acl: Vec<AclEntry> = self
            .object_kind()
            .privileges(version_num)
            .iter()
            .map(|p| entry(owner, p))
            .collect();
        acl.extend(
            self.public_default()
                .iter()
                .map(|&p| entry(super::PUBLIC as i64, p)),
        );
        acl
    }
    /// acldefault() code for the built-in default of this object type.
    pub fn acldefault_code(self) -> &'static str {
        match self {
            Self::Tables => "r",
            Self::Sequences => "s",
            Self::Functions => "f",
            Self::Types => "T",
            Self::Schemas => "n",
            Self::LargeObjects => "L",
        }
    }
}

/// One ALTER DEFAULT PRIVILEGES rule, as stored.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DefaultAcl {
    /// FOR ROLE.
    #[ts(type = "number")]
    pub role: i64,
    /// IN SCHEMA; `None` for a global rule, whose ACL replaces the built-in default.
    pub schema: Option<String>,
    pub object_type: DefaultObjectType,
    pub acl: Vec<AclEntry>,
}

/// Everything Grantry knows about one database's privileges at one moment.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Snapshot {
    pub version_num: i32,
    pub database: String,
    #[ts(type = "number")]
    pub database_owner: i64,
    /// The role Grantry is connected as.
    #[ts(type = "number")]
    pub current_user: i64,
    pub roles: Vec<Role>,
    pub memberships: Vec<Membership>,
    pub objects: Vec<DbObject>,
    pub default_acls: Vec<DefaultAcl>,
    pub taken_at: String,
    /// What the connector could not read (a catalog whose SELECT was revoked), so those objects
    /// are missing from this snapshot: one sentence each, naming the catalog and the objects.
    pub unreadable: Vec<String>,
}

impl Snapshot {
    /// Refuses work that needs every object (an export, a desired-state plan) when the
    /// connector could not read some catalogs: what is missing would read as "not granted".
    pub fn require_complete(&self, what: &str) -> crate::error::Result<()> {
        if self.unreadable.is_empty() {
            return Ok(());
        }
        Err(crate::error::Error::new(
            crate::error::ErrorCode::PermissionDenied,
            format!(
                "cannot {what} from an incomplete inspection: {}",
                self.unreadable.join("; ")
            ),
        ))
    }

    /// When and from which server this was read, for answers built on it.
    pub fn inspection(&self) -> Inspection {
        Inspection {
            taken_at: self.taken_at.clone(),
            version_num: self.version_num,
            unreadable: self.unreadable.clone(),
        }
    }
}

/// Where an answer comes from: the inspection it was computed on (answers may come from a
/// cached one), the server's version, and what the connector could not read.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Inspection {
    /// RFC 3339, UTC.
    pub taken_at: String,
    /// `server_version_num`, e.g. 170002.
    pub version_num: i32,
    pub unreadable: Vec<String>,
}

fn parse_privilege(s: &str) -> Result<Privilege> {
    // aclexplode() spells them exactly so; no allocation per ACL entry.
    Ok(match s {
        "SELECT" => Privilege::Select,
        "INSERT" => Privilege::Insert,
        "UPDATE" => Privilege::Update,
        "DELETE" => Privilege::Delete,
        "TRUNCATE" => Privilege::Truncate,
        "REFERENCES" => Privilege::References,
        "TRIGGER" => Privilege::Trigger,
        "MAINTAIN" => Privilege::Maintain,
        "EXECUTE" => Privilege::Execute,
        "USAGE" => Privilege::Usage,
        "CREATE" => Privilege::Create,
        "CONNECT" => Privilege::Connect,
        "TEMPORARY" => Privilege::Temporary,
        "SET" => Privilege::Set,
        "ALTER SYSTEM" => Privilege::AlterSystem,
        other => {
            return Err(Error::internal(format!(
                "unknown privilege {other:?} from the server"
            )))
        }
    })
}

fn kind_of(class: &str, detail: Option<&str>) -> Option<ObjectKind> {
    Some(match (class, detail) {
        ("d", _) => ObjectKind::Database,
        ("n", _) => ObjectKind::Schema,
        ("r", Some("r")) => ObjectKind::Table,
        ("r", Some("p")) => ObjectKind::PartitionedTable,
        ("r", Some("v")) => ObjectKind::View,
        ("r", Some("m")) => ObjectKind::MaterializedView,
        ("r", Some("f")) => ObjectKind::ForeignTable,
        ("r", Some("S")) => ObjectKind::Sequence,
        ("c", _) => ObjectKind::Column,
        ("f", Some(d)) if d.starts_with("p:") => ObjectKind::Procedure,
        ("f", Some(d)) if d.starts_with("a:") => ObjectKind::Aggregate,
        ("f", _) => ObjectKind::Function,
        ("T", Some("d")) => ObjectKind::Domain,
        ("T", _) => ObjectKind::Type,
        ("l", _) => ObjectKind::Language,
        ("L", _) => ObjectKind::LargeObject,
        ("F", _) => ObjectKind::ForeignDataWrapper,
        ("S", _) => ObjectKind::ForeignServer,
        _ => return None,
    })
}

pub const ROLES_SQL: &str = include_str!("sql/roles.sql");
pub const MEMBERSHIPS_SQL: &str = include_str!("sql/memberships.sql");
pub const OBJECTS_SQL: &str = include_str!("sql/objects.sql");
pub const ACL_SQL: &str = include_str!("sql/acl.sql");
pub const PARAMETERS_SQL: &str = include_str!("sql/parameters.sql");
pub const DEFAULT_ACLS_SQL: &str = include_str!("sql/default_acls.sql");
pub const CONTEXT_SQL: &str = include_str!("sql/context.sql");
/// `sql`, a UNION ALL of branches (one per line `UNION ALL`), without the branches that read
/// one of `catalogs`. The first branch is always kept: it reads only required catalogs.
pub(crate) fn without_branches_reading(sql: &str, catalogs: &[&str]) -> String {
    let mut branches: Vec<Vec<&str>> = vec![vec![]];
    for line in sql.lines() {
        if line.trim() == "UNION ALL" {
            branches.push(vec![]);
        } else {
            branches.last_mut().unwrap().push(line);
        }
    }
    let reads = |branch: &[&str]| {
        branch.iter().any(|line| {
            let code = line.split("--").next().unwrap_or("");
            code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|word| catalogs.contains(&word))
        })
    };
    let kept: Vec<String> = branches
        .iter()
        .enumerate()
        .filter(|(i, b)| *i == 0 || !reads(b))
        .map(|(_, b)| b.join("\n"))
        .collect();
    let mut out = kept.join("\nUNION ALL\n");
    // The statement's terminator may have gone with the last branch.
    if !out.trim_end().ends_with(';') {
        out.push(';');
    }
    out
}

/// The memberships query for a server with or without per-grant options (16+).
pub fn memberships_sql(has_options: bool) -> String {
    let options = if has_options {
        "m.inherit_option AS inherit, m.set_option AS set"
    } else {
        "(SELECT r.rolinherit FROM pg_roles r WHERE r.oid = m.member) AS inherit, true AS set"
    };
    MEMBERSHIPS_SQL.replace("{{options}}", options)
}

/// Takes a snapshot in one REPEATABLE READ transaction, so every part describes the same moment.
pub async fn inspect(conn: &mut PgConnection, include_system: bool) -> Result<Snapshot> {
    inspect_only(conn, include_system, None).await
}

/// As [`inspect`], limited to the objects with these oids when `only` is given.
pub async fn inspect_only(
    conn: &mut PgConnection,
    include_system: bool,
    only: Option<&[i64]>,
) -> Result<Snapshot> {
    let e = |e: sqlx::Error| classify(&e);
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *conn)
        .await
        .map_err(e)?;
    let result = inspect_in_tx(conn, include_system, only).await;
    let _ = sqlx::query("COMMIT").execute(&mut *conn).await;
    result
}

/// The inspection itself, inside a transaction the caller opened. `only` limits the objects to
/// these oids (roles, memberships and default privileges are always read in full).
pub(crate) async fn inspect_in_tx(
    conn: &mut PgConnection,
    include_system: bool,
    only: Option<&[i64]>,
) -> Result<Snapshot> {
    let e = |e: sqlx::Error| classify(&e);
    let catalogs = crate::connect::catalogs::unreadable(conn).await?;
    if let Some(e) = catalogs.required_error() {
        return Err(e);
    }
    let unreadable = catalogs.notes();
    let skip: Vec<&str> = catalogs.names.iter().map(String::as_str).collect();
    let ctx = sqlx::query(CONTEXT_SQL)
        .fetch_one(&mut *conn)
        .await
        .map_err(e)?;
    let version_num: i32 = ctx.get("version_num");
    let database: String = ctx.get("database");
    let database_owner: i64 = ctx.get("database_owner");
    let current_user: i64 = ctx.get("current_user_oid");
    let has_options: bool = ctx.get("membership_options");

    let comment = if skip.contains(&"pg_shdescription") {
        "NULL::text"
    } else {
        "shobj_description(r.oid, 'pg_authid')"
    };
    let roles: Vec<Role> = sqlx::query_as(&ROLES_SQL.replace("{{comment}}", comment))
        .fetch_all(&mut *conn)
        .await
        .map_err(e)?;
    let memberships = sqlx::query(&memberships_sql(has_options))
        .fetch_all(&mut *conn)
        .await
        .map_err(e)?
        .iter()
        .map(|r| Membership {
            role: r.get("role"),
            member: r.get("member"),
            grantor: r.get("grantor"),
            admin: r.get("admin"),
            inherit: r.get::<Option<bool>, _>("inherit").unwrap_or(true),
            set: r.get::<Option<bool>, _>("set").unwrap_or(true),
        })
        .collect();

    let mut objects = Vec::new();
    let mut index: HashMap<(u8, i64, i32), usize> = HashMap::new();
    // $2 limits both queries to some oids; NULL reads everything.
    let oids: Option<Vec<i64>> = only.map(|o| o.to_vec());
    let (objects_sql, acl_sql) = if skip.is_empty() {
        (OBJECTS_SQL.to_string(), ACL_SQL.to_string())
    } else {
        (
            without_branches_reading(OBJECTS_SQL, &skip),
            without_branches_reading(ACL_SQL, &skip),
        )
    };
    let objects_q = sqlx::query(&objects_sql).bind(include_system).bind(&oids);
    let acl_q = sqlx::query(&acl_sql).bind(include_system).bind(&oids);
    for r in objects_q.fetch_all(&mut *conn).await.map_err(e)? {
        let class: &str = r.get(0);
        let detail: Option<String> = r.get("detail");
        let Some(kind) = kind_of(class, detail.as_deref()) else {
            continue;
        };
        let oid: i64 = r.get("oid");
        let subid: i32 = r.get("subid");
        let detail = match kind {
            ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Aggregate => {
                detail.map(|d| d[2..].to_string())
            }
            // A column's name; "untrusted" for a language only superusers may use.
            ObjectKind::Column | ObjectKind::Language => detail,
            _ => None,
        };
        index.insert((class.as_bytes()[0], oid, subid), objects.len());
        objects.push(DbObject {
            kind,
            oid,
            subid,
            schema: r.get("schema"),
            name: r.get("name"),
            detail,
            owner: r.get("owner"),
            default_acl: r.get("default_acl"),
            acl: Vec::new(),
        });
    }
    // Streamed, by position: this loop runs once per ACL entry (a million on big databases).
    let mut rows = acl_q.fetch(&mut *conn);
    while let Some(r) = futures_util::TryStreamExt::try_next(&mut rows)
        .await
        .map_err(e)?
    {
        let key = (
            r.get::<&str, _>(0).as_bytes()[0],
            r.get::<i64, _>(1),
            r.get::<i32, _>(2),
        );
        if let Some(&i) = index.get(&key) {
            objects[i].acl.push(AclEntry {
                grantor: r.get(3),
                grantee: r.get(4),
                privilege: parse_privilege(r.get(5))?,
                grantable: r.get(6),
            });
        }
    }
    drop(rows);
    if version_num >= 150000 && only.is_none() && !skip.contains(&"pg_parameter_acl") {
        let mut params: HashMap<i64, usize> = HashMap::new();
        for r in sqlx::query(PARAMETERS_SQL)
            .fetch_all(&mut *conn)
            .await
            .map_err(e)?
        {
            let oid: i64 = r.get("oid");
            let i = *params.entry(oid).or_insert_with(|| {
                objects.push(DbObject {
                    kind: ObjectKind::Parameter,
                    oid,
                    subid: 0,
                    schema: None,
                    name: r.get("name"),
                    detail: None,
                    owner: 10,
                    default_acl: false,
                    acl: Vec::new(),
                });
                objects.len() - 1
            });
            if let Some(p) = r.get::<Option<String>, _>("privilege") {
                objects[i].acl.push(AclEntry {
                    grantee: r.get("grantee"),
                    grantor: r.get("grantor"),
                    privilege: parse_privilege(&p)?,
                    grantable: r.get("grantable"),
                });
            }
        }
    }

    let mut default_acls: Vec<DefaultAcl> = Vec::new();
    let mut by_oid: HashMap<i64, usize> = HashMap::new();
    let default_acl_rows = if skip.contains(&"pg_default_acl") {
        vec![]
    } else {
        sqlx::query(DEFAULT_ACLS_SQL)
            .fetch_all(&mut *conn)
            .await
            .map_err(e)?
    };
    for r in default_acl_rows {
        let Some(object_type) = DefaultObjectType::from_code(r.get("objtype")) else {
            continue;
        };
        let oid: i64 = r.get("oid");
        let i = *by_oid.entry(oid).or_insert_with(|| {
            default_acls.push(DefaultAcl {
                role: r.get("role"),
                schema: r.get("schema"),
                object_type,
                acl: Vec::new(),
            });
            default_acls.len() - 1
        });
        if let Some(p) = r.get::<Option<String>, _>("privilege") {
            default_acls[i].acl.push(AclEntry {
                grantee: r.get("grantee"),
                grantor: r.get("grantor"),
                privilege: parse_privilege(&p)?,
                grantable: r.get("grantable"),
            });
        }
    }

    Ok(Snapshot {
        version_num,
        database,
        database_owner,
        current_user,
        roles,
        memberships,
        objects,
        default_acls,
        taken_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        unreadable,
    })
}
