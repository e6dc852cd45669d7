//! The UI's TypeScript types in ui/src/gen/ are generated from the Rust types. This test fails
//! when they are stale; `GRANTRY_UPDATE_BINDINGS=1 cargo test -p grantry-core --test ts_bindings`
//! rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".ts") {
                out.insert(name, std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    out
}

#[test]
fn generated_typescript_is_current() {
    let gen_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/gen");
    let tmp = tempfile::tempdir().unwrap();
    grantry_core::export_typescript(tmp.path()).unwrap();
    let fresh = read_dir(tmp.path());
    assert!(
        fresh.len() > 10,
        "expected the IPC types, got {:?}",
        fresh.keys()
    );
    if std::env::var_os("GRANTRY_UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&gen_dir);
        std::fs::create_dir_all(&gen_dir).unwrap();
        for (name, text) in &fresh {
            std::fs::write(gen_dir.join(name), text).unwrap();
        }
        return;
    }
    let current = read_dir(&gen_dir);
    let stale: Vec<&String> = fresh
        .iter()
        .filter(|(n, t)| current.get(*n) != Some(t))
        .map(|(n, _)| n)
        .chain(current.keys().filter(|n| !fresh.contains_key(*n)))
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/gen is stale ({stale:?}): run GRANTRY_UPDATE_BINDINGS=1 cargo test -p grantry-core --test ts_bindings"
    );
}

/// ui/src/registry.gen.ts: the privileges and object kinds as data, from the Rust registry.
#[test]
fn the_registry_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/registry.gen.ts");
    let fresh = grantry_core::privileges::kinds::typescript();
    if std::env::var_os("GRANTRY_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    assert!(
        std::fs::read_to_string(&path).ok().as_deref() == Some(fresh.as_str()),
        "ui/src/registry.gen.ts is stale: run GRANTRY_UPDATE_BINDINGS=1 cargo test -p grantry-core --test ts_bindings"
    );
}
