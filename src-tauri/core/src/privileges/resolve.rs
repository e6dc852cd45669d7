//! The one object resolver: which snapshot objects a target or an object reference names. Kind
//! rules are the GRANT ones (`table` covers views, materialized views, foreign and partitioned
//! tables; `function` covers aggregates; `type` covers domains). A routine named without its
//! argument list resolves when its name is not overloaded. Argument lists are made canonical by
//! the server itself ([`canonical_args`], `to_regprocedure`), so `int`, `int4` and `integer`, or
//! `varchar` and `character varying`, name the same function.

use super::inspect::{same_args, Snapshot};
use super::plan::Target;
use super::{ObjectKind, ObjectRef};
use crate::connect::classify;
use crate::error::{Error, Result};
use sqlx::postgres::PgConnection;

fn matches_kind(target: ObjectKind, actual: ObjectKind) -> bool {
    use ObjectKind::*;
    match target {
        Table => matches!(
            actual,
            Table | PartitionedTable | View | MaterializedView | ForeignTable
        ),
        Function => matches!(actual, Function | Aggregate),
        Type => matches!(actual, Type | Domain),
        k => k == actual,
    }
}

/// Objects by (schema, name), built once per plan: resolving 10,000 targets must not scan
/// 100,000 objects each time.
pub type NameIndex = std::collections::HashMap<(Option<String>, String), Vec<usize>>;

pub fn name_index(snap: &Snapshot) -> NameIndex {
    let mut m: NameIndex = std::collections::HashMap::new();
    for (i, o) in snap.objects.iter().enumerate() {
        if o.kind != ObjectKind::Column {
            m.entry((o.schema.clone(), o.name.clone()))
                .or_default()
                .push(i);
        }
    }
    m
}

/// The one object of `kind` named `schema.name` (with `args` for routines).
fn one(
    snap: &Snapshot,
    candidates: impl Iterator<Item = usize>,
    kind: ObjectKind,
    args: Option<&str>,
    describe: impl Fn() -> String,
) -> Result<usize> {
    let same_kind: Vec<usize> = candidates
        .filter(|&i| {
            let o = &snap.objects[i];
            o.kind != ObjectKind::Column && matches_kind(kind, o.kind)
        })
        .collect();
    if !kind.is_routine() {
        return same_kind
            .first()
            .copied()
            .ok_or_else(|| Error::not_found(format!("no {}", describe())));
    }
    match args {
        Some(a) => same_kind
            .into_iter()
            .find(|&i| same_args(Some(a), snap.objects[i].detail.as_deref()))
            .ok_or_else(|| Error::not_found(format!("no {}", describe()))),
        None => match same_kind.as_slice() {
            [i] => Ok(*i),
            [] => Err(Error::not_found(format!("no {}", describe()))),
            many => Err(Error::invalid(format!(
                "{} is overloaded: name its argument list, one of {}",
                describe(),
                many.iter()
                    .map(|&i| format!("({})", snap.objects[i].detail.as_deref().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        },
    }
}

/// The snapshot objects a target names (before column expansion). Errors when a single object
/// is not found; every object of a schema may be none.
pub fn target(snap: &Snapshot, index: &NameIndex, t: &Target) -> Result<Vec<usize>> {
    match t {
        Target::Object {
            kind,
            schema,
            name,
            args,
            ..
        } => {
            let candidates = index
                .get(&(schema.clone(), name.clone()))
                .map(|v| v.as_slice())
                .unwrap_or_default()
                .iter()
                .copied();
            one(snap, candidates, *kind, args.as_deref(), || t.describe()).map(|i| vec![i])
        }
        Target::AllInSchema { kind, schema } => {
            // An empty schema is fine (nothing to change); a schema that does not exist is not.
            if !snap
                .objects
                .iter()
                .any(|o| o.kind == ObjectKind::Schema && o.name == *schema)
            {
                return Err(Error::not_found(format!("no schema named {schema:?}")));
            }
            Ok(snap
                .objects
                .iter()
                .enumerate()
                .filter(|(_, o)| {
                    o.kind != ObjectKind::Column
                        && matches_kind(*kind, o.kind)
                        && o.schema.as_deref() == Some(schema)
                })
                .map(|(i, _)| i)
                .collect())
        }
    }
}

/// The snapshot object an object reference names: for a column reference, its table.
pub fn object(snap: &Snapshot, r: &ObjectRef) -> Result<usize> {
    let kind = if r.kind == ObjectKind::Column {
        ObjectKind::Table
    } else {
        r.kind
    };
    let candidates = snap
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.name == r.name && o.schema == r.schema)
        .map(|(i, _)| i);
    one(snap, candidates, kind, r.args.as_deref(), || {
        describe_ref(r)
    })
    .map_err(|mut e| {
        // Not found may only mean not readable: say which catalogs the connector could not read.
        if e.code == crate::error::ErrorCode::NotFound && !snap.unreadable.is_empty() {
            e.message = format!("{} ({})", e.message, snap.unreadable.join("; "));
        }
        e
    })
}

fn describe_ref(r: &ObjectRef) -> String {
    let mut s = format!("{:?} ", r.kind).to_lowercase();
    if let Some(sc) = &r.schema {
        s.push_str(sc);
        s.push('.');
    }
    s.push_str(&r.name);
    if let Some(a) = &r.args {
        s.push_str(&format!("({a})"));
    }
    s
}

const CANONICAL_ARGS_SQL: &str = include_str!("canonical_args.sql");

/// A routine's argument types as the server writes them (`oidvectortypes`: no names, no OUT
/// arguments), from what a person typed (`int, varchar`): the server parses it with
/// `to_regprocedure`, so type aliases, `pg_catalog.` prefixes and spacing all resolve as
/// PostgreSQL resolves them. `None` when the server knows no such routine (the caller then
/// compares the text as given).
pub async fn canonical_args(
    conn: &mut PgConnection,
    schema: Option<&str>,
    name: &str,
    args: &str,
) -> Result<Option<String>> {
    let qualified = match schema {
        Some(s) => crate::quote::qualified(s, name),
        None => crate::quote::ident(name),
    };
    let signature = format!("{qualified}({args})");
    match sqlx::query_as::<_, (Option<String>,)>(CANONICAL_ARGS_SQL)
        .bind(signature)
        .fetch_optional(&mut *conn)
        .await
    {
        Ok(row) => Ok(row.and_then(|(a,)| a)),
        // Not a signature the server can read: compared as typed, it names nothing.
        Err(sqlx::Error::Database(_)) => Ok(None),
        Err(e) => Err(classify(&e)),
    }
}
