//! The test rig: throwaway PostgreSQL clusters that tests start themselves, with their own CA and
//! TLS certificates (openssl), SCRAM passwords and pg_stat_statements. Clusters stop when dropped.
//!
//! Server binaries: `GRANTRY_PG_BINDIR` or the newest /usr/lib/postgresql/*/bin (see
//! grantry_core::localpg). `Cluster::start_with(bindir)` runs another major version.
//!
//! Cloud stand-ins: [`moto`] (moto's AWS server and boto3 from the rig's Python venv) and
//! [`iam_front`] (a PostgreSQL front that checks RDS IAM tokens, [`iam_token`], as RDS does).
//! Azure: [`entra`] (an HTTPS Microsoft Entra ID token authority for azure_identity) and
//! [`entra_front`] (a front that checks Entra tokens as Flexible Server does). Both fronts share
//! [`pg_front`]'s protocol handling.

pub mod entra;
pub mod entra_front;
pub mod iam_front;
pub mod iam_token;
pub mod moto;
pub mod pg_front;

use grantry_core::sandbox::localpg::{free_port, ClusterSpec, LocalCluster, PgBinaries, SslFiles};
use grantry_core::Secret;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A CA and the certificates it signed, made once per test process.
pub struct Pki {
    pub dir: PathBuf,
    /// The rig's CA: signs the server certificate.
    pub ca_cert: PathBuf,
    /// A second CA that signed nothing the server uses ("wrong CA").
    pub other_ca_cert: PathBuf,
    /// Server certificate for DNS:localhost, IP:127.0.0.1 (not 127.0.0.2).
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// Client certificate for CN=cert_user, signed by the rig's CA.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn make_ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.crt"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

fn sign(dir: &Path, ca: &str, name: &str, subject: &str, ext: &str) {
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            subject,
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "3650",
            "-out",
            &format!("{name}.crt"),
            "-extfile",
            &format!("{name}.ext"),
        ],
    );
}

impl Pki {
    /// A server certificate and key signed by the rig's CA for `host` (a DNS name or an IP
    /// address) besides `localhost` and 127.0.0.1: a managed service's endpoint certificate.
    pub fn server_cert_for(&self, host: &str) -> (PathBuf, PathBuf) {
        // One at a time: openssl keeps the CA's serial number in a file.
        static SIGNING: std::sync::Mutex<u32> = std::sync::Mutex::new(0);
        let mut n = SIGNING.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        let name = format!("endpoint-{}", *n);
        let san = match host.parse::<std::net::IpAddr>() {
            Ok(_) => format!("IP:{host}"),
            Err(_) => format!("DNS:{host}"),
        };
        sign(
            &self.dir,
            "rig-ca",
            &name,
            "/CN=rig-endpoint",
            &format!("subjectAltName={san},DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"),
        );
        (
            self.dir.join(format!("{name}.crt")),
            self.dir.join(format!("{name}.key")),
        )
    }
}

/// The process-wide PKI (generated on first use).
static PKI: OnceLock<Pki> = OnceLock::new();

pub fn pki() -> &'static Pki {
    PKI.get_or_init(|| {
        ensure_exit_hook();
        let dir = tempfile::Builder::new().prefix("grantry-pki-").tempdir().unwrap().keep();
        make_ca(&dir, "rig-ca");
        make_ca(&dir, "other-ca");
        sign(&dir, "rig-ca", "server", "/CN=localhost",
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
        sign(&dir, "rig-ca", "client", "/CN=cert_user", "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n");
        Pki {
            ca_cert: dir.join("rig-ca.crt"),
            other_ca_cert: dir.join("other-ca.crt"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.crt"),
            client_key: dir.join("client.key"),
            dir,
        }
    })
}

#[derive(Debug, Clone)]
pub struct Options {
    pub ssl: bool,
    pub pg_stat_statements: bool,
    /// pg_hba.conf lines; `None` = SCRAM for everyone over TCP (host lines: SSL optional).
    pub hba: Option<Vec<String>>,
    /// Server binaries; `None` = the machine's default.
    pub bindir: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ssl: true,
            pg_stat_statements: true,
            hba: None,
            bindir: None,
        }
    }
}

/// Clusters still running, stopped and removed at process exit: tests keep some clusters in
/// statics, whose destructors never run.
static LIVE: std::sync::Mutex<Vec<(LocalCluster, PathBuf)>> = std::sync::Mutex::new(Vec::new());

extern "C" fn stop_live_clusters() {
    let live = match LIVE.lock() {
        Ok(mut l) => std::mem::take(&mut *l),
        Err(_) => return,
    };
    for (cluster, dir) in live {
        let _ = cluster.stop_immediate();
        let _ = std::fs::remove_dir_all(dir);
    }
    moto::kill_live_servers();
    if let Some(p) = PKI.get() {
        let _ = std::fs::remove_dir_all(&p.dir);
    }
}

fn ensure_exit_hook() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    // SAFETY: registering a plain extern "C" function with no captured state.
    HOOK.call_once(|| unsafe {
        libc::atexit(stop_live_clusters);
    });
}

fn register(cluster: &LocalCluster, dir: &Path) {
    ensure_exit_hook();
    LIVE.lock()
        .unwrap()
        .push((cluster.clone(), dir.to_path_buf()));
}

/// A running throwaway cluster. Listens on 127.0.0.1 and 127.0.0.2.
pub struct Cluster {
    pub port: u16,
    pub superuser: String,
    pub password: Secret,
    pub version: String,
    pub major: u32,
    pub cluster: LocalCluster,
    _dir: tempfile::TempDir,
}

impl Cluster {
    pub fn start(opts: Options) -> Cluster {
        let bin = match &opts.bindir {
            Some(d) => PgBinaries::at(d),
            None => PgBinaries::find(),
        }
        .expect("PostgreSQL server binaries");
        let dir = tempfile::Builder::new()
            .prefix("grantry-pg-")
            .tempdir()
            .unwrap();
        let password = Secret::generate(24);
        let ssl = opts.ssl.then(|| {
            let p = pki();
            SslFiles {
                cert: p.server_cert.clone(),
                key: p.server_key.clone(),
                ca: Some(p.ca_cert.clone()),
            }
        });
        let port = free_port().unwrap();
        let spec = ClusterSpec {
            base_dir: dir.path().to_path_buf(),
            port,
            listen_addresses: "127.0.0.1,127.0.0.2".into(),
            superuser: "rig_admin".into(),
            password: password.clone(),
            ssl,
            hba: opts.hba.clone(),
            preload_pg_stat_statements: opts.pg_stat_statements,
            extra_conf: vec!["max_connections = 200".into()],
        };
        let version = bin.version.clone();
        let major = bin.major;
        let cluster = LocalCluster::init(bin, &spec)
            .unwrap_or_else(|e| panic!("initdb: {} {:?}", e.message, e.detail));
        cluster
            .start()
            .unwrap_or_else(|e| panic!("start: {} {:?}", e.message, e.detail));
        register(&cluster, dir.path());
        Cluster {
            port,
            superuser: "rig_admin".into(),
            password,
            version,
            major,
            cluster,
            _dir: dir,
        }
    }

    /// A cluster of the server binaries in `bindir` (another major), otherwise as the default.
    pub fn start_with(bindir: &Path) -> Cluster {
        Cluster::start(Options {
            bindir: Some(bindir.to_path_buf()),
            ..Options::default()
        })
    }

    /// Runs SQL as the superuser through psql over the private socket (setup only). Statements run
    /// one by one, as in a script file.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        self.psql_script(database, &["-At"], sql)
            .1
            .trim()
            .to_string()
    }

    /// psql (the cluster's own, else the one on PATH) as the superuser on `database` over the
    /// private socket, without a psqlrc, quiet: add the arguments and the input.
    pub fn psql_command(&self, database: &str) -> Command {
        let psql = self.cluster.bin.bindir.join("psql");
        let psql = if psql.exists() {
            psql
        } else {
            PathBuf::from("psql")
        };
        let mut cmd = Command::new(psql);
        cmd.args(["-X", "-q", "-h"])
            .arg(self.cluster.socket_dir())
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                &self.superuser,
                "-d",
                database,
            ]);
        cmd
    }

    /// Runs `script` through psql (on stdin, stopping at the first error) with extra arguments,
    /// over the private socket; returns the wall time in ms and what psql printed.
    pub fn psql_script(&self, database: &str, args: &[&str], script: &str) -> (f64, String) {
        let mut psql = self.psql_command(database);
        let started = std::time::Instant::now();
        let out = psql
            .args(["-v", "ON_ERROR_STOP=1"])
            .args(args)
            .args(["-f", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(script.as_bytes())?;
                child.wait_with_output()
            })
            .expect("psql");
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        assert!(
            out.status.success(),
            "psql failed on {script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (ms, String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Replaces pg_hba.conf and reloads.
    pub fn set_hba(&self, lines: &[&str]) {
        let path = self.cluster.data_dir().join("pg_hba.conf");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        self.cluster.reload().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.cluster.stop_immediate();
        if let Ok(mut live) = LIVE.lock() {
            live.retain(|(c, _)| c.base_dir != self.cluster.base_dir);
        }
    }
}

/// Runs the calling test inside its own D-Bus session with an unlocked gnome-keyring (a real
/// Secret Service), so keychain tests need no set-up from whoever runs `cargo test`.
///
/// Returns `true` inside that session (run the test body), `false` in the outer process after the
/// inner run passed (the outer test then returns). Panics when the inner run fails or when
/// dbus-run-session / gnome-keyring-daemon are missing: such a test never silently skips.
pub fn in_secret_service_session(test_name: &str) -> bool {
    const MARK: &str = "GRANTRY_TEST_IN_KEYRING_SESSION";
    if std::env::var_os(MARK).is_some() {
        return true;
    }
    let exe = std::env::current_exe().unwrap();
    let data = tempfile::Builder::new()
        .prefix("grantry-keyring-")
        .tempdir()
        .unwrap();
    let script = format!(
        "set -e; printf %s rig-keyring-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; \
         exec \"$0\" --exact {test_name} --nocapture --test-threads=1"
    );
    let out = Command::new("dbus-run-session")
        .arg("--")
        .arg("sh")
        .arg("-c")
        .arg(script)
        .arg(&exe)
        .env(MARK, "1")
        .env("XDG_DATA_HOME", data.path())
        .env("XDG_RUNTIME_DIR", data.path())
        .output()
        .unwrap_or_else(|e| panic!("dbus-run-session is required for keychain tests (apt-get install dbus gnome-keyring): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "{test_name} failed inside the Secret Service session"
    );
    assert!(
        stdout.contains("1 passed"),
        "{test_name} did not run inside the Secret Service session"
    );
    false
}

/// Server binaries of every major the version matrix covers: the machine's own (15 on Debian 12)
/// and 16, 17, 18 from tests/rig/pg-versions (installed by its install.sh, which the project's
/// test script runs). A missing major fails the calling test: the matrix never shrinks silently.
pub fn version_matrix() -> Vec<PgBinaries> {
    let mut out = vec![PgBinaries::find().expect("the machine's PostgreSQL server binaries")];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("pg-versions/node_modules");
    for major in [16, 17, 18] {
        let bindir = root.join(format!("pg{major}/native/bin"));
        let bin = PgBinaries::at(&bindir).unwrap_or_else(|e| {
            panic!("PostgreSQL {major} binaries missing at {}: run tests/rig/pg-versions/install.sh ({})", bindir.display(), e.message)
        });
        assert_eq!(bin.major, major);
        out.push(bin);
    }
    out.sort_by_key(|b| b.major);
    out.dedup_by_key(|b| b.major);
    out
}

/// The times (ms) psql printed with `\timing on`, in order.
pub fn psql_timings(output: &str) -> Vec<f64> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("Time: "))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}
