//! Which system catalogs the connecting role may read. A hardened server revokes SELECT on some
//! from PUBLIC; Grantry names them instead of failing with a bare "permission denied".

use super::classify;
use crate::error::{Error, ErrorCode, Result};
use sqlx::postgres::PgConnection;
use sqlx::Row;

/// Catalogs that inspecting privileges cannot do without.
pub const REQUIRED: &[&str] = &[
    "pg_roles",
    "pg_auth_members",
    "pg_namespace",
    "pg_class",
    "pg_database",
];

/// Catalogs whose objects an inspection leaves out, saying so, when they cannot be read.
pub const OPTIONAL: &[(&str, &str)] = &[
    ("pg_attribute", "column privileges"),
    ("pg_proc", "functions and procedures"),
    ("pg_type", "types and domains"),
    ("pg_language", "languages"),
    ("pg_foreign_data_wrapper", "foreign-data wrappers"),
    ("pg_foreign_server", "foreign servers"),
    ("pg_largeobject_metadata", "large objects"),
    ("pg_parameter_acl", "privileges on parameters"),
    ("pg_default_acl", "default privileges"),
];

/// Catalogs of comments only: without them comments read blank, and no access goes unseen, so an
/// inspection is still complete (export and desired-state plans need no comments).
pub const COMMENTS: &[(&str, &str)] = &[
    ("pg_description", "comments on schemas, tables and columns"),
    ("pg_shdescription", "comments on roles and databases"),
];

/// The catalogs of [`REQUIRED`], [`OPTIONAL`] and [`COMMENTS`] the connecting role cannot read.
#[derive(Debug, Clone)]
pub struct Unreadable {
    /// The connecting role.
    pub login: String,
    /// Catalog names (in pg_catalog), required ones included.
    pub names: Vec<String>,
}

impl Unreadable {
    /// The required catalogs among them, schema-qualified.
    pub fn required(&self) -> Vec<String> {
        self.names
            .iter()
            .filter(|c| REQUIRED.contains(&c.as_str()))
            .map(|c| format!("pg_catalog.{c}"))
            .collect()
    }

    /// The error for an inspection that needs a catalog it cannot read, naming the GRANT that
    /// gives it back; `None` when every required catalog is readable.
    pub fn required_error(&self) -> Option<Error> {
        let missing = self.required();
        if missing.is_empty() {
            return None;
        }
        let list = missing.join(", ");
        Some(Error::new(
            ErrorCode::PermissionDenied,
            format!(
                "the connector cannot read {list}, which inspecting privileges needs (SELECT on it was revoked); a superuser can give it back: GRANT SELECT ON {list} TO {}",
                crate::quote::ident(&self.login)
            ),
        ))
    }

    /// One sentence per optional catalog that cannot be read: what is therefore not shown.
    pub fn notes(&self) -> Vec<String> {
        self.notes_for(OPTIONAL)
    }

    /// The same for the catalogs of comments ([`COMMENTS`]).
    pub fn comment_notes(&self) -> Vec<String> {
        self.notes_for(COMMENTS)
    }

    fn notes_for(&self, list: &[(&str, &str)]) -> Vec<String> {
        list.iter()
            .filter(|(c, _)| self.names.iter().any(|u| u == c))
            .map(|(c, what)| {
                format!("{what} are not shown: the connector cannot read pg_catalog.{c}")
            })
            .collect()
    }
}

/// Asks the server which catalogs the connecting role cannot read (this reads no catalog).
pub async fn unreadable(conn: &mut PgConnection) -> Result<Unreadable> {
    let all: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .chain(OPTIONAL.iter().chain(COMMENTS).map(|(c, _)| *c))
        .collect();
    let row = sqlx::query(include_str!("unreadable.sql"))
        .bind(&all)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| classify(&e))?;
    Ok(Unreadable {
        login: row.get("login"),
        names: row.get("catalogs"),
    })
}
