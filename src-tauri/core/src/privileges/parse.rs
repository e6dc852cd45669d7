//! A one-line syntax for objects and changes, for the command line:
//!
//! objects:  `table:sales.orders`, `schema:sales`, `database:app`, `sequence:s.q`, `view:s.v`,
//!           `function:s.f(integer)`, `column:sales.orders.email`, `all-tables:sales`,
//!           `all-sequences:sales`, `all-functions:sales`; names may be "double quoted".
//! changes:  `grant SELECT,INSERT on table:sales.orders to alice[,bob] [with grant option]`
//!           `revoke SELECT on table:sales.orders from alice [cascade]`
//!           `revoke grant option for SELECT on table:sales.orders from alice [cascade]`
//!           `read all-tables:sales to analysts` · `write table:sales.orders to app`
//!           `grant-role analysts to alice [admin] [inherit|noinherit] [set|noset]`
//!           `revoke-role analysts from alice [admin-option]` (only the ADMIN OPTION)
//!           `create-role bot [login] [createrole] [password] [valid-until 2027-01-01] [in analysts,readers]`
//!
//! Names, of objects and roles alike, are exact (case included) and may be "double quoted" to hold
//! spaces, dots, commas or quotes (`""` is one quote). `public` is the PUBLIC pseudo-role, as in
//! PostgreSQL's own has_*_privilege('public', ..): `PUBLIC`, `Public` or `"PUBLIC"` name roles.

use super::plan::{Change, NewPassword, Target};
use super::{ObjectKind, ObjectRef, Privilege};
use crate::error::{Error, Result};

/// Splits `a.b."c.d"` on dots outside double quotes, unquoting.
fn split_name(s: &str) -> Result<Vec<String>> {
    split_unquote(s, '.')
}

/// Splits on `sep` outside double quotes and unquotes each part (`""` inside quotes is one `"`).
/// Unquoted text is taken as it is, case included.
fn split_unquote(s: &str, sep: char) -> Result<Vec<String>> {
    let mut parts = vec![String::new()];
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                parts.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => parts.push(String::new()),
            c => parts.last_mut().unwrap().push(c),
        }
    }
    if quoted {
        return Err(Error::invalid(format!("unclosed double quote in {s:?}")));
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Err(Error::invalid(format!("empty name part in {s:?}")));
    }
    Ok(parts)
}

fn kind_word(k: &str) -> Option<ObjectKind> {
    Some(match k {
        "database" => ObjectKind::Database,
        "schema" => ObjectKind::Schema,
        "table" => ObjectKind::Table,
        "view" => ObjectKind::View,
        "materialized-view" | "matview" => ObjectKind::MaterializedView,
        "foreign-table" => ObjectKind::ForeignTable,
        "sequence" => ObjectKind::Sequence,
        "column" => ObjectKind::Column,
        "function" => ObjectKind::Function,
        "procedure" => ObjectKind::Procedure,
        "type" => ObjectKind::Type,
        "domain" => ObjectKind::Domain,
        "language" => ObjectKind::Language,
        "fdw" | "foreign-data-wrapper" => ObjectKind::ForeignDataWrapper,
        "server" | "foreign-server" => ObjectKind::ForeignServer,
        "parameter" => ObjectKind::Parameter,
        "large-object" | "lo" => ObjectKind::LargeObject,
        _ => return None,
    })
}

/// `kind:name` as an object reference.
pub fn parse_object(spec: &str) -> Result<ObjectRef> {
    let (k, rest) = spec.split_once(':').ok_or_else(|| {
        Error::invalid(format!(
            "object {spec:?}: write kind:name, e.g. table:sales.orders"
        ))
    })?;
    let kind = kind_word(k).ok_or_else(|| Error::invalid(format!("unknown object kind {k:?}")))?;
    let (name_part, args) = match rest.find('(') {
        Some(i) if matches!(kind, ObjectKind::Function | ObjectKind::Procedure) => {
            let a = rest[i + 1..]
                .strip_suffix(')')
                .ok_or_else(|| Error::invalid(format!("missing ) in {spec:?}")))?;
            (&rest[..i], Some(a.to_string()))
        }
        _ => (rest, None),
    };
    let parts = split_name(name_part)?;
    let schema_qualified = !matches!(
        kind,
        ObjectKind::Database
            | ObjectKind::Schema
            | ObjectKind::Language
            | ObjectKind::ForeignDataWrapper
            | ObjectKind::ForeignServer
            | ObjectKind::Parameter
            | ObjectKind::LargeObject
    );
    match (kind, parts.as_slice()) {
        (ObjectKind::Column, [s, t, c]) => Ok(ObjectRef {
            kind: ObjectKind::Table,
            schema: Some(s.clone()),
            name: t.clone(),
            args: None,
            column: Some(c.clone()),
        }),
        (ObjectKind::Column, _) => Err(Error::invalid(format!(
            "column {spec:?}: write column:schema.table.column"
        ))),
        (_, [n]) if !schema_qualified => Ok(ObjectRef {
            kind,
            schema: None,
            name: n.clone(),
            args,
            column: None,
        }),
        (_, [s, n]) if schema_qualified => Ok(ObjectRef {
            kind,
            schema: Some(s.clone()),
            name: n.clone(),
            args,
            column: None,
        }),
        _ if schema_qualified => Err(Error::invalid(format!("{spec:?}: write {k}:schema.name"))),
        _ => Err(Error::invalid(format!("{spec:?}: write {k}:name"))),
    }
}

fn parse_target(spec: &str) -> Result<Target> {
    if let Some((k, schema)) = spec.split_once(':') {
        let all = match k {
            "all-tables" => Some(ObjectKind::Table),
            "all-sequences" => Some(ObjectKind::Sequence),
            "all-functions" => Some(ObjectKind::Function),
            "all-procedures" => Some(ObjectKind::Procedure),
            _ => None,
        };
        if let Some(kind) = all {
            let parts = split_name(schema)?;
            let [s] = parts.as_slice() else {
                return Err(Error::invalid(format!("{spec:?}: write {k}:schema")));
            };
            return Ok(Target::AllInSchema {
                kind,
                schema: s.clone(),
            });
        }
    }
    let o = parse_object(spec)?;
    Ok(Target::Object {
        kind: o.kind,
        schema: o.schema,
        name: o.name,
        args: o.args,
        columns: o.column.into_iter().collect(),
    })
}

fn privileges(s: &str) -> Result<Vec<Privilege>> {
    s.split(',')
        .map(|p| {
            Privilege::parse(p).ok_or_else(|| Error::invalid(format!("unknown privilege {p:?}")))
        })
        .collect()
}

/// A comma-separated list of role names, with the object syntax's quoting: `alice,"Bob",
/// "PUBLIC"`. Names are exact; `public` is the PUBLIC pseudo-role.
fn names(s: &str) -> Result<Vec<String>> {
    split_unquote(s, ',')
}

/// One role name.
fn name(s: &str) -> Result<String> {
    let mut v = names(s)?;
    if v.len() != 1 {
        return Err(Error::invalid(format!("{s:?}: one role name expected")));
    }
    Ok(v.remove(0))
}

/// Splits a line into words on whitespace outside double quotes and parentheses (both kept: the
/// name syntax reads them), so `function:s.f(character varying)` is one word.
fn words(line: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut depth = 0usize;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            '(' if !quoted => {
                depth += 1;
                cur.push(c);
            }
            ')' if !quoted => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted && depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if quoted {
        return Err(Error::invalid(format!("unclosed double quote in {line:?}")));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

/// Parses one change line (see the module documentation).
pub fn parse_change(line: &str) -> Result<Change> {
    let owned = words(line)?;
    let w: Vec<&str> = owned.iter().map(String::as_str).collect();
    let lower: Vec<String> = w.iter().map(|x| x.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    let bad = || {
        Error::invalid(format!(
            "cannot read the change {line:?}: see `grantry plan --help` for the syntax"
        ))
    };
    match l.as_slice() {
        ["grant", _, "on", _, "to", _, rest @ ..] => Ok(Change::Grant {
            privileges: privileges(w[1])?,
            on: parse_target(w[3])?,
            to: names(w[5])?,
            with_grant_option: match rest {
                [] => false,
                ["with", "grant", "option"] => true,
                _ => return Err(bad()),
            },
            granted_by: None,
        }),
        ["revoke", "grant", "option", "for", _, "on", _, "from", _, rest @ ..] => {
            Ok(Change::Revoke {
                privileges: privileges(w[4])?,
                on: parse_target(w[6])?,
                from: names(w[8])?,
                grant_option_only: true,
                cascade: match rest {
                    [] => false,
                    ["cascade"] => true,
                    _ => return Err(bad()),
                },
                granted_by: None,
            })
        }
        ["revoke-role", _, "from", _, "admin-option"] => Ok(Change::RevokeRole {
            role: name(w[1])?,
            from: name(w[3])?,
            granted_by: None,
            admin_option_only: Some(true),
        }),
        ["revoke", _, "on", _, "from", _, rest @ ..] => Ok(Change::Revoke {
            privileges: privileges(w[1])?,
            on: parse_target(w[3])?,
            from: names(w[5])?,
            grant_option_only: false,
            cascade: match rest {
                [] => false,
                ["cascade"] => true,
                _ => return Err(bad()),
            },
            granted_by: None,
        }),
        ["read", _, "to", _] => Ok(Change::Read {
            on: parse_target(w[1])?,
            to: name(w[3])?,
        }),
        ["write", _, "to", _] => Ok(Change::Write {
            on: parse_target(w[1])?,
            to: name(w[3])?,
        }),
        ["grant-role", _, "to", _, opts @ ..] => {
            let (mut admin, mut inherit, mut set) = (false, None, None);
            for o in opts {
                match *o {
                    "admin" => admin = true,
                    "inherit" => inherit = Some(true),
                    "noinherit" => inherit = Some(false),
                    "set" => set = Some(true),
                    "noset" => set = Some(false),
                    _ => return Err(bad()),
                }
            }
            Ok(Change::GrantRole {
                role: name(w[1])?,
                to: name(w[3])?,
                admin,
                inherit,
                set,
                granted_by: None,
            })
        }
        ["revoke-role", _, "from", _] => Ok(Change::RevokeRole {
            role: name(w[1])?,
            from: name(w[3])?,
            granted_by: None,
            admin_option_only: None,
        }),
        ["create-role", _, opts @ ..] => {
            let (mut login, mut password, mut valid_until, mut in_roles, mut createrole) =
                (false, NewPassword::None, None, Vec::new(), None);
            let mut i = 0;
            while i < opts.len() {
                match opts[i] {
                    "login" => login = true,
                    "createrole" => createrole = Some(true),
                    "password" => password = NewPassword::GenerateShowOnce,
                    "password-keychain" => password = NewPassword::GenerateToKeychain,
                    "valid-until" if i + 1 < opts.len() => {
                        valid_until = Some(w[2 + i + 1].to_string());
                        i += 1;
                    }
                    "in" if i + 1 < opts.len() => {
                        in_roles = names(w[2 + i + 1])?;
                        i += 1;
                    }
                    _ => return Err(bad()),
                }
                i += 1;
            }
            Ok(Change::CreateRole {
                name: name(w[1])?,
                login,
                password,
                valid_until,
                in_roles,
                createrole,
            })
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_objects() {
        let o = parse_object("table:\"Odd.Schema\".\"Mixed \"\"Q\"\"\"").unwrap();
        assert_eq!(
            (o.schema.as_deref(), o.name.as_str()),
            (Some("Odd.Schema"), "Mixed \"Q\"")
        );
        let f = parse_object("function:s.f(integer, text)").unwrap();
        assert_eq!(f.args.as_deref(), Some("integer, text"));
        let c = parse_object("column:s.t.email").unwrap();
        assert_eq!(c.column.as_deref(), Some("email"));
        assert!(parse_object("table:orders").is_err());
        assert!(parse_object("nonsense:x").is_err());
        assert!(parse_object("table:\"open.x").is_err());
    }

    #[test]
    fn roles_are_exact_and_public_is_only_public() {
        let to = |line: &str| match parse_change(line).unwrap() {
            Change::Grant { to, .. } => to,
            other => panic!("{other:?}"),
        };
        // Unquoted names are exact, as in the object syntax: only `public` is the pseudo-role.
        assert_eq!(to("grant SELECT on table:s.t to Public"), vec!["Public"]);
        assert_eq!(to("grant SELECT on table:s.t to PUBLIC"), vec!["PUBLIC"]);
        assert_eq!(to("grant SELECT on table:s.t to public"), vec!["public"]);
        assert!(super::super::is_public(
            &to("grant SELECT on table:s.t to public")[0]
        ));
        assert!(!super::super::is_public(
            &to("grant SELECT on table:s.t to PUBLIC")[0]
        ));
        // Quoted names: spaces, commas, quotes.
        assert_eq!(
            to(r#"grant SELECT on table:"My Schema"."a.b" to "Alice","a,b","say ""hi""",bob"#),
            vec!["Alice", "a,b", "say \"hi\"", "bob"]
        );
        match parse_change(r#"grant SELECT on table:"My Schema"."a.b" to x"#).unwrap() {
            Change::Grant {
                on: Target::Object { schema, name, .. },
                ..
            } => assert_eq!(
                (schema.as_deref(), name.as_str()),
                (Some("My Schema"), "a.b")
            ),
            other => panic!("{other:?}"),
        }
        match parse_change(r#"grant-role "Read Only" to "Bob Smith" admin"#).unwrap() {
            Change::GrantRole { role, to, .. } => {
                assert_eq!((role.as_str(), to.as_str()), ("Read Only", "Bob Smith"))
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_change("grant SELECT on table:s.t to a,,b").is_err());
        // Argument lists may hold spaces.
        match parse_change("grant EXECUTE on function:s.g(character varying, int) to bob").unwrap()
        {
            Change::Grant {
                on: Target::Object { args, .. },
                to,
                ..
            } => {
                assert_eq!(args.as_deref(), Some("character varying, int"));
                assert_eq!(to, vec!["bob"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_changes() {
        match parse_change(
            "grant select,INSERT on table:sales.orders to alice,bob with grant option",
        )
        .unwrap()
        {
            Change::Grant {
                privileges,
                to,
                with_grant_option,
                ..
            } => {
                assert_eq!(privileges, vec![Privilege::Select, Privilege::Insert]);
                assert_eq!(to, vec!["alice", "bob"]);
                assert!(with_grant_option);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_change("revoke SELECT on all-tables:sales from x cascade").unwrap(),
            Change::Revoke {
                cascade: true,
                on: Target::AllInSchema { .. },
                ..
            }
        ));
        assert!(matches!(
            parse_change("grant-role a to b admin noinherit").unwrap(),
            Change::GrantRole {
                admin: true,
                inherit: Some(false),
                ..
            }
        ));
        assert!(matches!(
            parse_change("create-role bot login password valid-until 2027-01-01 in analysts")
                .unwrap(),
            Change::CreateRole {
                login: true,
                password: NewPassword::GenerateShowOnce,
                ..
            }
        ));
        assert!(parse_change("grant FLY on table:a.b to c").is_err());
        assert!(parse_change("grant SELECT on table:a.b to \"open").is_err());
        assert!(parse_change("drop table x").is_err());
    }
}
