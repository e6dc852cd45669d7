//! Where Grantry keeps its local state: `$GRANTRY_HOME`, or the OS data directory.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

pub const HOME_ENV: &str = "GRANTRY_HOME";

#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// `$GRANTRY_HOME` if set, else `<OS data dir>/grantry` (`~/.local/share/grantry` on Linux).
    pub fn resolve() -> Result<Self> {
        if let Some(dir) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Self::at(PathBuf::from(dir));
        }
        let base = dirs::data_dir().ok_or_else(|| {
            Error::local_store("cannot find the OS data directory; set GRANTRY_HOME")
        })?;
        Self::at(base.join("grantry"))
    }

    pub fn at(root: PathBuf) -> Result<Self> {
        std::fs::create_dir_all(&root).map_err(|e| {
            Error::local_store(format!(
                "cannot create the data directory {}: {e}",
                root.display()
            ))
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700));
        }
        Ok(Home { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn store_path(&self) -> PathBuf {
        self.root.join("grantry.sqlite3")
    }
    pub fn sandbox_dir(&self) -> PathBuf {
        self.root.join("sandbox")
    }
}
