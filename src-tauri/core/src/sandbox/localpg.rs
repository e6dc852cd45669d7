//! Local PostgreSQL clusters from the binaries on this machine: the app's sandbox and the test rig
//! both start their throwaway clusters through this module.
//!
//! `initdb` and `postgres` refuse to run as root; when Grantry runs as root the cluster runs as the
//! `postgres` OS user (through `runuser`) in a directory that user owns.

use crate::error::{Error, ErrorCode, Result};
use crate::secrets::Secret;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn lp_err(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::LocalPostgres, message)
}

/// A directory of PostgreSQL server binaries (initdb, pg_ctl, postgres).
#[derive(Debug, Clone)]
pub struct PgBinaries {
    pub bindir: PathBuf,
    /// e.g. 15
    pub major: u32,
    /// e.g. "15.18"
    pub version: String,
}

impl PgBinaries {
    /// `$GRANTRY_PG_BINDIR`, `pg_config --bindir`, the newest `/usr/lib/postgresql/*/bin`, then `PATH`.
    pub fn find() -> Result<Self> {
        if let Some(dir) = std::env::var_os("GRANTRY_PG_BINDIR").filter(|d| !d.is_empty()) {
            return Self::at(Path::new(&dir));
        }
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
            if out.status.success() {
                candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
            }
        }
        if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
            let mut versions: Vec<(u32, PathBuf)> = entries
                .flatten()
                .filter_map(|e| {
                    Some((
                        e.file_name().to_str()?.parse::<u32>().ok()?,
                        e.path().join("bin"),
                    ))
                })
                .collect();
            versions.sort();
            candidates.extend(versions.into_iter().rev().map(|(_, p)| p));
        }
        if let Some(paths) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&paths));
        }
        candidates
            .iter()
            .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
            .map(|d| Self::at(d))
            .unwrap_or_else(|| {
                Err(lp_err(
                    "no PostgreSQL server binaries found (initdb, pg_ctl): install PostgreSQL \
                     (Debian: apt-get install postgresql) or set GRANTRY_PG_BINDIR",
                ))
            })
    }

    pub fn at(dir: &Path) -> Result<Self> {
        let postgres = dir.join("postgres");
        let out = Command::new(&postgres)
            .arg("--version")
            .output()
            .map_err(|e| lp_err(format!("cannot run {}: {e}", postgres.display())))?;
        let text = String::from_utf8_lossy(&out.stdout);
        // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
        let version = text
            .split_whitespace()
            .nth(2)
            .ok_or_else(|| lp_err(format!("unexpected `postgres --version` output: {text}")))?
            .to_string();
        let major = version
            .split(['.', 'b', 'r'])
            .next()
            .and_then(|m| m.parse().ok())
            .ok_or_else(|| lp_err(format!("cannot read the major version from {version}")))?;
        Ok(PgBinaries {
            bindir: dir.to_path_buf(),
            major,
            version,
        })
    }

    fn tool(&self, name: &str) -> PathBuf {
        self.bindir.join(name)
    }
}

/// TLS files for a cluster (PEM paths).
#[derive(Debug, Clone)]
pub struct SslFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: Option<PathBuf>,
}

/// How to create a cluster.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    /// Directory that will hold `data/`, the log and the socket.
    pub base_dir: PathBuf,
    pub port: u16,
    pub listen_addresses: String,
    pub superuser: String,
    pub password: Secret,
    pub ssl: Option<SslFiles>,
    /// pg_hba.conf lines; `None` gives SCRAM over TCP and trust on the (private) socket.
    pub hba: Option<Vec<String>>,
    pub preload_pg_stat_statements: bool,
    /// Extra postgresql.conf lines.
    pub extra_conf: Vec<String>,
}

/// A cluster on this machine.
#[derive(Debug, Clone)]
pub struct LocalCluster {
    pub bin: PgBinaries,
    pub base_dir: PathBuf,
    pub port: u16,
    /// OS user the server runs as when we are root.
    pub run_as: Option<String>,
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A free TCP port on 127.0.0.1 (asked from the kernel).
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| lp_err(format!("no free port: {e}")))?;
    Ok(l.local_addr().map_err(|e| lp_err(e.to_string()))?.port())
}

fn run(mut cmd: Command, what: &str) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| lp_err(format!("cannot run {what}: {e}")))?;
    if !out.status.success() {
        return Err(lp_err(format!("{what} failed")).with_detail(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn chown_recursive(path: &Path, user: &str) -> Result<()> {
    let mut c = Command::new("chown");
    c.arg("-R").arg(format!("{user}:")).arg(path);
    run(c, "chown").map(|_| ())
}

impl LocalCluster {
    pub fn data_dir(&self) -> PathBuf {
        self.base_dir.join("data")
    }
    pub fn log_file(&self) -> PathBuf {
        self.base_dir.join("postgres.log")
    }
    pub fn socket_dir(&self) -> PathBuf {
        self.base_dir.join("socket")
    }

    fn command(&self, tool: &str) -> Command {
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(user).arg("--").arg(self.bin.tool(tool));
                c
            }
            None => Command::new(self.bin.tool(tool)),
        }
    }

    /// Existing cluster in `base_dir` (not started).
    pub fn existing(bin: PgBinaries, base_dir: PathBuf, port: u16) -> Self {
        let run_as = is_root().then(|| "postgres".to_string());
        LocalCluster {
            bin,
            base_dir,
            port,
            run_as,
        }
    }

    /// Runs initdb and writes the configuration. The directory must not hold a cluster yet.
    pub fn init(bin: PgBinaries, spec: &ClusterSpec) -> Result<Self> {
        let cluster = Self::existing(bin, spec.base_dir.clone(), spec.port);
        if cluster.data_dir().join("PG_VERSION").exists() {
            return Err(lp_err(format!(
                "{} already holds a cluster",
                cluster.data_dir().display()
            )));
        }
        std::fs::create_dir_all(cluster.socket_dir())
            .map_err(|e| lp_err(format!("cannot create {}: {e}", spec.base_dir.display())))?;
        let pwfile = spec.base_dir.join(".pwfile");
        write_private(&pwfile, spec.password.expose().as_bytes())?;
        if let Some(ssl) = &spec.ssl {
            for (src, name) in [
                (Some(&ssl.cert), "server.crt"),
                (Some(&ssl.key), "server.key"),
                (ssl.ca.as_ref(), "ca.crt"),
            ] {
                if let Some(src) = src {
                    let dst = spec.base_dir.join(name);
                    std::fs::copy(src, &dst)
                        .map_err(|e| lp_err(format!("cannot copy {}: {e}", src.display())))?;
                    set_mode(&dst, 0o600)?;
                }
            }
        }
        if let Some(user) = &cluster.run_as {
            chown_recursive(&spec.base_dir, user)?;
        }
        let mut c = cluster.command("initdb");
        c.arg("-D")
            .arg(cluster.data_dir())
            .arg("-U")
            .arg(&spec.superuser)
            .arg(format!("--pwfile={}", pwfile.display()))
            .arg("--auth=scram-sha-256")
            .arg("--encoding=UTF8")
            .arg("--locale=C")
            .arg("--no-sync");
        let result = run(c, "initdb");
        let _ = std::fs::remove_file(&pwfile);
        result?;

        let mut conf = vec![
            format!("listen_addresses = '{}'", spec.listen_addresses),
            format!("port = {}", spec.port),
            format!(
                "unix_socket_directories = '{}'",
                cluster.socket_dir().display()
            ),
            "unix_socket_permissions = 0700".into(),
            "password_encryption = 'scram-sha-256'".into(),
            "max_connections = 100".into(),
            "fsync = off".into(),
            "synchronous_commit = off".into(),
            "full_page_writes = off".into(),
            "logging_collector = off".into(),
        ];
        if spec.preload_pg_stat_statements {
            conf.push("shared_preload_libraries = 'pg_stat_statements'".into());
            conf.push("pg_stat_statements.track = all".into());
        }
        if let Some(ssl) = &spec.ssl {
            conf.push("ssl = on".into());
            conf.push(format!(
                "ssl_cert_file = '{}'",
                spec.base_dir.join("server.crt").display()
            ));
            conf.push(format!(
                "ssl_key_file = '{}'",
                spec.base_dir.join("server.key").display()
            ));
            if ssl.ca.is_some() {
                conf.push(format!(
                    "ssl_ca_file = '{}'",
                    spec.base_dir.join("ca.crt").display()
                ));
            }
        }
        conf.extend(spec.extra_conf.iter().cloned());
        let conf_path = cluster.data_dir().join("postgresql.auto.conf");
        let mut text = std::fs::read_to_string(&conf_path).unwrap_or_default();
        text.push_str("\n# written by Grantry\n");
        for line in conf {
            text.push_str(&line);
            text.push('\n');
        }
        std::fs::write(&conf_path, text)
            .map_err(|e| lp_err(format!("cannot write {}: {e}", conf_path.display())))?;
        let hba = spec.hba.clone().unwrap_or_else(|| {
            vec![
                "local all all trust".into(),
                "host all all 127.0.0.1/32 scram-sha-256".into(),
                "host all all ::1/128 scram-sha-256".into(),
            ]
        });
        let hba_path = cluster.data_dir().join("pg_hba.conf");
        std::fs::write(&hba_path, hba.join("\n") + "\n")
            .map_err(|e| lp_err(format!("cannot write {}: {e}", hba_path.display())))?;
        Ok(cluster)
    }

    pub fn start(&self) -> Result<()> {
        let mut c = self.command("pg_ctl");
        c.arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_file())
            .arg("-o")
            .arg(format!("-p {}", self.port))
            .arg("-w")
            .arg("-t")
            .arg("60")
            .arg("start")
            .stdout(Stdio::null());
        run(c, "pg_ctl start").map(|_| ()).map_err(|e| {
            let log = std::fs::read_to_string(self.log_file()).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            Error {
                detail: Some(format!(
                    "{}\n{}",
                    e.detail.unwrap_or_default(),
                    tail.join("\n")
                )),
                ..e
            }
        })
    }

    pub fn stop(&self) -> Result<()> {
        self.stop_mode("fast")
    }

    /// Stops without waiting for clients (throwaway clusters at process exit).
    pub fn stop_immediate(&self) -> Result<()> {
        self.stop_mode("immediate")
    }

    fn stop_mode(&self, mode: &str) -> Result<()> {
        let mut c = self.command("pg_ctl");
        c.arg("-D")
            .arg(self.data_dir())
            .arg("-m")
            .arg(mode)
            .arg("-w")
            .arg("stop");
        run(c, "pg_ctl stop").map(|_| ())
    }

    pub fn is_running(&self) -> bool {
        let mut c = self.command("pg_ctl");
        c.arg("-D")
            .arg(self.data_dir())
            .arg("status")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c.status().map(|s| s.success()).unwrap_or(false)
    }

    /// Reloads configuration (after editing pg_hba.conf).
    pub fn reload(&self) -> Result<()> {
        let mut c = self.command("pg_ctl");
        c.arg("-D").arg(self.data_dir()).arg("reload");
        run(c, "pg_ctl reload").map(|_| ())
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| lp_err(format!("cannot chmod {}: {e}", path.display())))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| lp_err(format!("cannot write {}: {e}", path.display())))?;
    f.write_all(bytes)
        .map_err(|e| lp_err(format!("cannot write {}: {e}", path.display())))
}
