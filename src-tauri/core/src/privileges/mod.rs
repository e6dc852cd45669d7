//! Privileges: inspect who has what (one bulk pass per database), explain why, and compute
//! effective access exactly as PostgreSQL's has_*_privilege / pg_has_role do.

pub mod apply;
pub mod desired;
pub mod engine;
pub mod inspect;
pub mod kinds;
pub mod parse;
pub mod plan;
pub mod render;
pub mod resolve;
pub mod scram;
pub mod service;
pub mod verify;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A privilege, as PostgreSQL names it in GRANT and in aclexplode().
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
    References,
    Trigger,
    /// PostgreSQL 17+.
    Maintain,
    Execute,
    Usage,
    Create,
    Connect,
    Temporary,
    /// PostgreSQL 15+, on parameters.
    Set,
    /// PostgreSQL 15+, on parameters.
    AlterSystem,
}

impl Privilege {
    pub const ALL: [Privilege; 15] = [
        Privilege::Select,
        Privilege::Insert,
        Privilege::Update,
        Privilege::Delete,
        Privilege::Truncate,
        Privilege::References,
        Privilege::Trigger,
        Privilege::Maintain,
        Privilege::Execute,
        Privilege::Usage,
        Privilege::Create,
        Privilege::Connect,
        Privilege::Temporary,
        Privilege::Set,
        Privilege::AlterSystem,
    ];

    /// The keyword(s) in GRANT and in aclexplode().
    pub fn sql(self) -> &'static str {
        match self {
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
            Privilege::Truncate => "TRUNCATE",
            Privilege::References => "REFERENCES",
            Privilege::Trigger => "TRIGGER",
            Privilege::Maintain => "MAINTAIN",
            Privilege::Execute => "EXECUTE",
            Privilege::Usage => "USAGE",
            Privilege::Create => "CREATE",
            Privilege::Connect => "CONNECT",
            Privilege::Temporary => "TEMPORARY",
            Privilege::Set => "SET",
            Privilege::AlterSystem => "ALTER SYSTEM",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let up = s.trim().to_ascii_uppercase().replace('_', " ");
        let up = if up == "TEMP" {
            "TEMPORARY".to_string()
        } else {
            up
        };
        Self::ALL.into_iter().find(|p| p.sql() == up)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// Its letter in an `aclitem` (`alice=arw/owner`).
    pub fn acl_letter(self) -> char {
        match self {
            Privilege::Select => 'r',
            Privilege::Insert => 'a',
            Privilege::Update => 'w',
            Privilege::Delete => 'd',
            Privilege::Truncate => 'D',
            Privilege::References => 'x',
            Privilege::Trigger => 't',
            Privilege::Maintain => 'm',
            Privilege::Execute => 'X',
            Privilege::Usage => 'U',
            Privilege::Create => 'C',
            Privilege::Connect => 'c',
            Privilege::Temporary => 'T',
            Privilege::Set => 's',
            Privilege::AlterSystem => 'A',
        }
    }

    /// A short column header (the matrix).
    pub fn abbrev(self) -> &'static str {
        match self {
            Privilege::Select => "SEL",
            Privilege::Insert => "INS",
            Privilege::Update => "UPD",
            Privilege::Delete => "DEL",
            Privilege::Truncate => "TRUNC",
            Privilege::References => "REF",
            Privilege::Trigger => "TRIG",
            Privilege::Maintain => "MAINT",
            Privilege::Execute => "EXEC",
            Privilege::Usage => "USAGE",
            Privilege::Create => "CREATE",
            Privilege::Connect => "CONN",
            Privilege::Temporary => "TEMP",
            Privilege::Set => "SET",
            Privilege::AlterSystem => "ALTSYS",
        }
    }

    /// The first server_version_num that has it.
    pub fn since(self) -> i32 {
        match self {
            Privilege::Maintain => 170000,
            Privilege::Set | Privilege::AlterSystem => 150000,
            _ => 0,
        }
    }
}

/// A set of privileges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PrivSet(u16);

impl PrivSet {
    pub fn of(ps: &[Privilege]) -> Self {
        PrivSet(ps.iter().fold(0, |a, p| a | p.bit()))
    }
    pub fn contains(self, p: Privilege) -> bool {
        self.0 & p.bit() != 0
    }
    pub fn insert(&mut self, p: Privilege) {
        self.0 |= p.bit();
    }
    pub fn iter(self) -> impl Iterator<Item = Privilege> {
        Privilege::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Names one object: `kind` plus `schema`/`name` (and `args` for functions, `column` for columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    #[serde(default)]
    pub schema: Option<String>,
    pub name: String,
    #[serde(default)]
    pub args: Option<String>,
    #[serde(default)]
    pub column: Option<String>,
}

/// What kind of object, for display, GRANT syntax and which privileges apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum ObjectKind {
    Database,
    Schema,
    Table,
    PartitionedTable,
    View,
    MaterializedView,
    ForeignTable,
    Sequence,
    Column,
    Function,
    Procedure,
    Aggregate,
    Type,
    Domain,
    Language,
    ForeignDataWrapper,
    ForeignServer,
    Parameter,
    /// Named by its oid.
    LargeObject,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 19] = [
        ObjectKind::Database,
        ObjectKind::Schema,
        ObjectKind::Table,
        ObjectKind::PartitionedTable,
        ObjectKind::View,
        ObjectKind::MaterializedView,
        ObjectKind::ForeignTable,
        ObjectKind::Sequence,
        ObjectKind::Column,
        ObjectKind::Function,
        ObjectKind::Procedure,
        ObjectKind::Aggregate,
        ObjectKind::Type,
        ObjectKind::Domain,
        ObjectKind::Language,
        ObjectKind::ForeignDataWrapper,
        ObjectKind::ForeignServer,
        ObjectKind::Parameter,
        ObjectKind::LargeObject,
    ];

    /// Privileges that exist for this kind on a server of `version_num`.
    pub fn privileges(self, version_num: i32) -> PrivSet {
        let mut out = PrivSet::default();
        for p in self
            .all_privileges()
            .iter()
            .filter(|p| p.since() <= version_num)
        {
            out.insert(p);
        }
        out
    }

    /// What people call it: "materialized view", "foreign data wrapper".
    pub fn label(self) -> &'static str {
        match self {
            ObjectKind::Database => "database",
            ObjectKind::Schema => "schema",
            ObjectKind::Table => "table",
            ObjectKind::PartitionedTable => "partitioned table",
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::ForeignTable => "foreign table",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Column => "column",
            ObjectKind::Function => "function",
            ObjectKind::Procedure => "procedure",
            ObjectKind::Aggregate => "aggregate",
            ObjectKind::Type => "type",
            ObjectKind::Domain => "domain",
            ObjectKind::Language => "language",
            ObjectKind::ForeignDataWrapper => "foreign data wrapper",
            ObjectKind::ForeignServer => "foreign server",
            ObjectKind::Parameter => "parameter",
            ObjectKind::LargeObject => "large object",
        }
    }

    /// Every privilege this kind has on the newest server (see [`Privilege::since`]).
    fn all_privileges(self) -> PrivSet {
        use Privilege::*;
        match self {
            ObjectKind::Database => PrivSet::of(&[Connect, Create, Temporary]),
            ObjectKind::Schema => PrivSet::of(&[Usage, Create]),
            ObjectKind::Table
            | ObjectKind::PartitionedTable
            | ObjectKind::View
            | ObjectKind::MaterializedView
            | ObjectKind::ForeignTable => PrivSet::of(&[
                Select, Insert, Update, Delete, Truncate, References, Trigger, Maintain,
            ]),
            ObjectKind::Sequence => PrivSet::of(&[Usage, Select, Update]),
            ObjectKind::Column => PrivSet::of(&[Select, Insert, Update, References]),
            ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Aggregate => {
                PrivSet::of(&[Execute])
            }
            ObjectKind::Type
            | ObjectKind::Domain
            | ObjectKind::Language
            | ObjectKind::ForeignDataWrapper
            | ObjectKind::ForeignServer => PrivSet::of(&[Usage]),
            ObjectKind::Parameter => PrivSet::of(&[Set, AlterSystem]),
            ObjectKind::LargeObject => PrivSet::of(&[Select, Update]),
        }
    }

    /// The object type keyword of GRANT ... ON <keyword> name.
    pub fn grant_keyword(self) -> &'static str {
        match self {
            ObjectKind::Database => "DATABASE",
            ObjectKind::Schema => "SCHEMA",
            ObjectKind::Table
            | ObjectKind::PartitionedTable
            | ObjectKind::View
            | ObjectKind::MaterializedView
            | ObjectKind::ForeignTable
            | ObjectKind::Column => "TABLE",
            ObjectKind::Sequence => "SEQUENCE",
            ObjectKind::Function | ObjectKind::Aggregate => "FUNCTION",
            ObjectKind::Procedure => "PROCEDURE",
            ObjectKind::Type => "TYPE",
            ObjectKind::Domain => "DOMAIN",
            ObjectKind::Language => "LANGUAGE",
            ObjectKind::ForeignDataWrapper => "FOREIGN DATA WRAPPER",
            ObjectKind::ForeignServer => "FOREIGN SERVER",
            ObjectKind::Parameter => "PARAMETER",
            ObjectKind::LargeObject => "LARGE OBJECT",
        }
    }

    /// Functions, procedures and aggregates: named with their argument list.
    pub fn is_routine(self) -> bool {
        matches!(
            self,
            ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Aggregate
        )
    }

    pub fn is_relation(self) -> bool {
        matches!(
            self,
            ObjectKind::Table
                | ObjectKind::PartitionedTable
                | ObjectKind::View
                | ObjectKind::MaterializedView
                | ObjectKind::ForeignTable
                | ObjectKind::Sequence
        )
    }
}

/// The PUBLIC pseudo-role in ACLs.
pub const PUBLIC: u32 = 0;

/// How plans, documents, the one-line syntax and IPC name the PUBLIC pseudo-role: `public`, the
/// name PostgreSQL reserves for it (`CREATE ROLE "public"` fails, and `has_table_privilege('public',
/// ..)` asks about PUBLIC). Every other string is a role's exact name: a role named `PUBLIC` or
/// `Public` (legal as a quoted identifier) is that role, never everyone.
pub const PUBLIC_NAME: &str = "public";

/// A name a new role may take: 1 to 63 bytes, not PUBLIC or NONE, not `pg_...`.
pub fn check_new_role_name(name: &str) -> crate::error::Result<()> {
    use crate::error::Error;
    if name.is_empty() || name.len() > 63 {
        return Err(Error::invalid("a role name has 1 to 63 bytes"));
    }
    if is_public(name) || name == "none" {
        return Err(Error::invalid(format!(
            "the role name {name:?} is reserved by PostgreSQL"
        )));
    }
    if name.starts_with("pg_") {
        return Err(Error::invalid("role names starting with pg_ are reserved"));
    }
    Ok(())
}

/// Whether a grantee name means the PUBLIC pseudo-role (exactly [`PUBLIC_NAME`]).
pub fn is_public(name: &str) -> bool {
    name == PUBLIC_NAME
}

/// A grantee for people to read: `PUBLIC` for the pseudo-role; a role as it is when its name is
/// a plain identifier (letters, digits, `_`, `$`, not starting with a digit), else double-quoted,
/// so `"PUBLIC"`, `"public "` or `"a,b"` cannot be taken for everyone or for two roles; control
/// characters escaped, so a name cannot forge lines on a terminal.
pub fn display_role(name: &str) -> String {
    if is_public(name) {
        return "PUBLIC".into();
    }
    if name.eq_ignore_ascii_case(PUBLIC_NAME) {
        return crate::quote::escape_controls(&crate::quote::ident(name));
    }
    crate::quote::escape_controls(&display_name(name))
}

/// A name as people read it: as it is when it is a plain identifier (letters, digits, `_`,
/// `$`, not starting with a digit), double-quoted otherwise, so a dot, a space or a
/// parenthesis in a name cannot be mistaken for structure.
pub fn display_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        && !crate::quote::is_reserved(name);
    if plain {
        name.to_string()
    } else {
        crate::quote::ident(name)
    }
}

/// The hint for a grantee that names no role but looks like PUBLIC.
pub(crate) fn public_hint(name: &str) -> &'static str {
    if name.eq_ignore_ascii_case(PUBLIC_NAME) {
        " (PUBLIC, every role, is written public: other spellings name a role)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::display_role;

    #[test]
    fn role_names_cannot_pass_for_public_or_for_lists() {
        assert_eq!(display_role("public"), "PUBLIC");
        assert_eq!(display_role("PUBLIC"), "\"PUBLIC\"");
        assert_eq!(display_role("Public"), "\"Public\"");
        assert_eq!(display_role("PUBLIC "), "\"PUBLIC \"");
        assert_eq!(display_role("public "), "\"public \"");
        assert_eq!(display_role("a,b"), "\"a,b\"");
        assert_eq!(display_role("Alice"), "Alice");
        assert_eq!(display_role("app_owner$1"), "app_owner$1");
        assert_eq!(display_role("ÜniCödé"), "ÜniCödé");
        assert_eq!(display_role("1st"), "\"1st\"");
        assert_eq!(display_role("x\ny"), "\"x\\ny\"");
        assert_eq!(display_role("a\"b"), "\"a\"\"b\"");
        // Key words written bare mean something else: `user` is the session's user.
        assert_eq!(display_role("user"), "\"user\"");
        assert_eq!(display_role("current_user"), "\"current_user\"");
        assert_eq!(display_role("Select"), "\"Select\"");
        assert_eq!(super::display_name("users"), "users");
    }
}
