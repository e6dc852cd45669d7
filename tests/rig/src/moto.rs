//! AWS stand-ins: moto's server (RDS and STS on loopback) and boto3, both from the rig's Python
//! venv, driven through tests/rig/aws/rig_aws.py.
//!
//! The venv is `tests/rig/.venv` (made by `src-tauri/dev/setup.sh --test`), or the one named by
//! `GRANTRY_RIG_VENV`. A missing venv fails the calling test with the command that makes it.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The rig's Python venv (with `moto[server]` and boto3).
pub fn venv() -> PathBuf {
    let dir = std::env::var_os("GRANTRY_RIG_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv"));
    assert!(
        dir.join("bin/moto_server").exists() && dir.join("bin/python").exists(),
        "the rig's Python venv with moto and boto3 is missing at {}: run src-tauri/dev/setup.sh --test",
        dir.display()
    );
    dir
}

/// Runs `rig_aws.py COMMAND` with `request` on stdin; returns the JSON it printed. Panics with
/// Python's error output when it fails.
pub fn aws_py(command: &str, request: &Value) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("aws/rig_aws.py");
    let mut child = Command::new(venv().join("bin/python"))
        .arg(script)
        .arg(command)
        // No AWS settings of whoever runs the tests may leak in.
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the venv's python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "rig_aws.py {command} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("rig_aws.py prints JSON")
}

/// What goes into an RDS IAM auth token.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
    /// The signing clock; `None` = now.
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An RDS IAM auth token made by boto3's `generate_db_auth_token` (the reference).
pub fn boto3_auth_token(req: &TokenRequest) -> String {
    let answer = aws_py(
        "token",
        &json!({
            "host": req.host,
            "port": req.port,
            "user": req.user,
            "region": req.region,
            "access_key": req.access_key,
            "secret_key": req.secret_key,
            "session_token": req.session_token,
            "at": req.at.map(|t| t.to_rfc3339()),
        }),
    );
    answer["token"].as_str().expect("a token").to_string()
}

/// moto servers still running, killed at process exit (see lib.rs's exit hook).
static LIVE: Mutex<Vec<u32>> = Mutex::new(Vec::new());

pub(crate) fn kill_live_servers() {
    let pids = match LIVE.lock() {
        Ok(mut l) => std::mem::take(&mut *l),
        Err(_) => return,
    };
    for pid in pids {
        // SAFETY: kill(2) on a child we started and have not reaped.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGKILL);
        }
    }
}

/// A moto server on 127.0.0.1, stopped when dropped.
pub struct Moto {
    /// `http://127.0.0.1:PORT`: the endpoint URL for SDKs.
    pub endpoint_url: String,
    pub port: u16,
    child: Child,
}

/// An RDS DB instance (engine postgres) or Aurora cluster (aurora-postgresql) to create in moto.
#[derive(Debug, Clone)]
pub struct RdsSpec {
    pub region: String,
    pub id: String,
    /// The port moto reports in the endpoint: the rig's front or cluster.
    pub port: u16,
    pub iam: bool,
    pub tags: BTreeMap<String, String>,
}

impl Moto {
    /// Starts `moto_server -H 127.0.0.1 -p <free port>` and waits until it answers HTTP.
    pub fn start() -> Moto {
        let port = grantry_core::sandbox::localpg::free_port().unwrap();
        let log = tempfile::tempfile().unwrap();
        let child = Command::new(venv().join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log.try_clone().unwrap())
            .spawn()
            .expect("moto_server");
        crate::ensure_exit_hook();
        LIVE.lock().unwrap().push(child.id());
        let mut moto = Moto {
            endpoint_url: format!("http://127.0.0.1:{port}"),
            port,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !moto.answers() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                let mut text = String::new();
                let mut log = log;
                use std::io::Seek;
                let _ = log.seek(std::io::SeekFrom::Start(0));
                let _ = log.read_to_string(&mut text);
                panic!("moto_server exited ({status}): {text}");
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer in 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// True when moto answers an HTTP request on its port (its own dashboard API).
    fn answers(&self) -> bool {
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let req = format!(
            "GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        );
        if s.write_all(req.as_bytes()).is_err() {
            return false;
        }
        let mut head = [0u8; 12];
        s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
    }

    fn request(&self, region: &str, extra: Value) -> Value {
        let mut req = json!({"endpoint_url": self.endpoint_url, "region": region});
        req.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        req
    }

    fn create(&self, command: &str, spec: &RdsSpec) -> Value {
        let req = self.request(
            &spec.region,
            json!({"id": spec.id, "port": spec.port, "iam": spec.iam, "tags": spec.tags}),
        );
        aws_py(command, &req)
    }

    /// CreateDBInstance, engine postgres; returns the DBInstance (Endpoint.Address is moto's
    /// `<id>.aaaaaaaaaa.<region>.rds.amazonaws.com`, Endpoint.Port the spec's port).
    pub fn create_db_instance(&self, spec: &RdsSpec) -> Value {
        self.create("create-db-instance", spec)["DBInstance"].clone()
    }

    /// CreateDBCluster, engine aurora-postgresql; returns the DBCluster (Endpoint and
    /// ReaderEndpoint are host names, Port the spec's port).
    pub fn create_db_cluster(&self, spec: &RdsSpec) -> Value {
        self.create("create-db-cluster", spec)["DBCluster"].clone()
    }

    /// CreateDBInstance for each spec (one Python process for all: fast for many).
    pub fn create_db_instances(&self, region: &str, specs: &[RdsSpec]) {
        let items: Vec<Value> = specs
            .iter()
            .map(|s| json!({"id": s.id, "port": s.port, "iam": s.iam, "tags": s.tags}))
            .collect();
        aws_py(
            "create-db-instances",
            &self.request(region, json!({ "items": items })),
        );
    }

    /// Every AssumeRole moto answered (its `AssumedRole` records: role_arn, session_name,
    /// external_id, access_key_id, secret_access_key, session_token, ...).
    pub fn assumed_roles(&self) -> Vec<Value> {
        let data = aws_py("moto-data", &self.request("us-east-1", json!({})));
        data["sts"]["AssumedRole"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// DescribeDBInstances in `region`, every page.
    pub fn describe_db_instances(&self, region: &str) -> Vec<Value> {
        let answer = aws_py("describe-db-instances", &self.request(region, json!({})));
        answer["DBInstances"].as_array().unwrap().clone()
    }

    /// DescribeDBClusters in `region`, every page.
    pub fn describe_db_clusters(&self, region: &str) -> Vec<Value> {
        let answer = aws_py("describe-db-clusters", &self.request(region, json!({})));
        answer["DBClusters"].as_array().unwrap().clone()
    }
}

/// Temporary credentials from STS.
#[derive(Debug, Clone)]
pub struct TemporaryCredentials {
    pub access_key: String,
    pub secret_key: String,
    pub session_token: String,
    /// As STS wrote it (ISO 8601).
    pub expiration: String,
}

impl Moto {
    /// STS AssumeRole in moto (which hands out credentials for any role ARN and does not check
    /// `external_id` against a trust policy).
    pub fn assume_role(
        &self,
        region: &str,
        role_arn: &str,
        external_id: Option<&str>,
        session_name: &str,
    ) -> TemporaryCredentials {
        let answer = aws_py(
            "assume-role",
            &self.request(
                region,
                json!({"role_arn": role_arn, "external_id": external_id, "session_name": session_name}),
            ),
        );
        let c = &answer["Credentials"];
        let text = |k: &str| {
            c[k].as_str()
                .unwrap_or_else(|| panic!("no {k} in {c}"))
                .to_string()
        };
        TemporaryCredentials {
            access_key: text("AccessKeyId"),
            secret_key: text("SecretAccessKey"),
            session_token: text("SessionToken"),
            expiration: text("Expiration"),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let pid = self.child.id();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Ok(mut live) = LIVE.lock() {
            live.retain(|p| *p != pid);
        }
    }
}

/// The tags of an RDS answer's TagList as a map.
pub fn tag_map(resource: &Value) -> BTreeMap<String, String> {
    resource["TagList"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t["Key"].as_str()?.into(), t["Value"].as_str()?.into())))
        .collect()
}
