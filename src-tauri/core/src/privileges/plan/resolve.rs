//! Which snapshot objects a target names.

use super::super::inspect::{same_args, Snapshot};
use super::super::ObjectKind;
use super::Target;
use crate::error::{Error, Result};

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

/// The snapshot objects a target names (before column expansion). Errors when nothing matches.
/// Objects by (schema, name), built once per plan: resolving 10,000 targets must not scan
/// 100,000 objects each time.
pub(super) type NameIndex = std::collections::HashMap<(Option<String>, String), Vec<usize>>;

pub(super) fn name_index(snap: &Snapshot) -> NameIndex {
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

pub(super) fn resolve(snap: &Snapshot, index: &NameIndex, t: &Target) -> Result<Vec<usize>> {
    let found: Vec<usize> = match t {
        Target::Object {
            kind,
            schema,
            name,
            args,
            ..
        } => index
            .get(&(schema.clone(), name.clone()))
            .map(|v| v.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|&i| (i, &snap.objects[i]))
            .filter(|(_, o)| {
                o.kind != ObjectKind::Column
                    && matches_kind(*kind, o.kind)
                    && &o.name == name
                    && o.schema.as_deref() == schema.as_deref()
                    && (!matches!(
                        kind,
                        ObjectKind::Function | ObjectKind::Procedure | ObjectKind::Aggregate
                    ) || same_args(args.as_deref(), o.detail.as_deref()))
            })
            .map(|(i, _)| i)
            .collect(),
        Target::AllInSchema { kind, schema } => snap
            .objects
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                o.kind != ObjectKind::Column
                    && matches_kind(*kind, o.kind)
                    && o.schema.as_deref() == Some(schema)
            })
            .map(|(i, _)| i)
            .collect(),
    };
    if found.is_empty() {
        if let Target::Object { .. } = t {
            return Err(Error::not_found(format!("no {}", t.describe())));
        }
    }
    Ok(found)
}
