//! The registry of privileges and object kinds, as data for the UI: which privileges apply to
//! which kind from which major, their SQL keywords, `aclitem` letters and labels. The Rust
//! functions on [`Privilege`] and [`ObjectKind`] are the one source; `ui/src/registry.gen.ts` is
//! generated from them (a test fails when it is stale), so the UI never re-lists them.

use super::{ObjectKind, Privilege};
use serde::Serialize;
use ts_rs::TS;

/// One privilege.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PrivilegeInfo {
    pub privilege: Privilege,
    /// As written in GRANT: `ALTER SYSTEM`.
    pub keyword: &'static str,
    pub abbrev: &'static str,
    /// Its letter in an aclitem.
    pub acl_letter: String,
    /// The first server_version_num that has it (0: every supported one).
    pub since: i32,
}

/// One kind of object.
#[derive(Debug, Clone, Serialize, TS)]
pub struct KindInfo {
    pub kind: ObjectKind,
    pub label: &'static str,
    /// `GRANT ... ON <keyword> name`.
    pub grant_keyword: &'static str,
    /// Every privilege it has on the newest server; each one's `since` says from which major.
    pub privileges: Vec<Privilege>,
    pub routine: bool,
}

pub fn privileges() -> Vec<PrivilegeInfo> {
    Privilege::ALL
        .into_iter()
        .map(|p| PrivilegeInfo {
            privilege: p,
            keyword: p.sql(),
            abbrev: p.abbrev(),
            acl_letter: p.acl_letter().to_string(),
            since: p.since(),
        })
        .collect()
}

pub fn kinds() -> Vec<KindInfo> {
    ObjectKind::ALL
        .into_iter()
        .map(|k| KindInfo {
            kind: k,
            label: k.label(),
            grant_keyword: k.grant_keyword(),
            privileges: k.privileges(i32::MAX).iter().collect(),
            routine: k.is_routine(),
        })
        .collect()
}

/// `ui/src/registry.gen.ts`.
pub fn typescript() -> String {
    // One entry a line: readable in a diff, and no run of look-alike lines.
    let by_key = |items: Vec<(String, serde_json::Value)>| {
        let lines: Vec<String> = items
            .into_iter()
            .map(|(k, v)| format!("  {k}: {v},"))
            .collect();
        format!("{{\n{}\n}}", lines.join("\n"))
    };
    let key = |v: serde_json::Value| v.as_str().expect("a string enum").to_string();
    let privileges = by_key(
        privileges()
            .into_iter()
            .map(|p| {
                let v = serde_json::to_value(&p).expect("serializable");
                (key(v["privilege"].clone()), v)
            })
            .collect(),
    );
    let kinds = by_key(
        kinds()
            .into_iter()
            .map(|k| {
                let v = serde_json::to_value(&k).expect("serializable");
                (key(v["kind"].clone()), v)
            })
            .collect(),
    );
    format!(
        "// Generated from src-tauri/core/src/privileges (kinds.rs and mod.rs): do not edit.\n\
         // `cargo test -p grantry-core --test ts_bindings` fails when it is stale.\n\n\
         import type {{ KindInfo }} from './gen/KindInfo';\n\
         import type {{ ObjectKind }} from './gen/ObjectKind';\n\
         import type {{ Privilege }} from './gen/Privilege';\n\
         import type {{ PrivilegeInfo }} from './gen/PrivilegeInfo';\n\n\
         export const PRIVILEGES: Record<Privilege, PrivilegeInfo> = {privileges};\n\n\
         export const OBJECT_KINDS: Record<ObjectKind, KindInfo> = {kinds};\n\n\
         /** PostgreSQL's reserved key words (quote.rs): names spelled like one are shown quoted. */\n\
         export const RESERVED_WORDS: ReadonlySet<string> = new Set({reserved});\n",
        reserved = serde_json::to_string(crate::quote::RESERVED_WORDS).expect("strings")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maintain_needs_17_and_parameters_15() {
        let table = ObjectKind::Table;
        assert!(!table.privileges(160000).contains(Privilege::Maintain));
        assert!(table.privileges(170000).contains(Privilege::Maintain));
        assert!(ObjectKind::Parameter.privileges(140000).is_empty());
        assert!(ObjectKind::Parameter
            .privileges(150000)
            .contains(Privilege::AlterSystem));
        let letters: std::collections::BTreeSet<String> =
            privileges().into_iter().map(|p| p.acl_letter).collect();
        assert_eq!(letters.len(), Privilege::ALL.len(), "letters are distinct");
        assert_eq!(kinds().len(), ObjectKind::ALL.len());
    }
}
