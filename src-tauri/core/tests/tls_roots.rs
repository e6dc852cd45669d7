//! A CA given for an integration replaces the system's trusted roots, as libpq's sslrootcert
//! does: a server certificate that another CA, one the system trusts, issued for the same host
//! name is refused. Its own binary: it points OpenSSL's system store (SSL_CERT_FILE) at the
//! rig's CA, standing in for a public CA that signed the server's certificate.

mod common;

use common::{grantry, input};
use grantry_core::connect::FailureKind;
use grantry_core::integrations::model::{CertSource, IntegrationInput, SslMode};
use grantry_testrig::{pki, Cluster, Options};

#[tokio::test]
async fn a_given_ca_replaces_the_system_roots() {
    let c = Cluster::start(Options::default());
    // The "system" trusts the CA that signed the server's certificate.
    // SAFETY: this binary's only test sets it before any TLS connection is made.
    unsafe { std::env::set_var("SSL_CERT_FILE", &pki().ca_cert) };
    let env = grantry().await;
    for mode in [SslMode::VerifyCa, SslMode::VerifyFull, SslMode::Require] {
        let inp = IntegrationInput {
            name: "t".into(),
            ..input(&c, "t", mode).with_self_hosted(|s| {
                s.ca_cert = Some(CertSource::File {
                    path: pki().other_ca_cert.display().to_string(),
                });
            })
        };
        let report = env.g.integrations().test_input(inp, None).await.unwrap();
        assert!(
            !report.ok,
            "{mode:?}: a certificate from a CA other than the given one was accepted"
        );
        assert_eq!(report.failure, Some(FailureKind::TlsUnknownCa), "{mode:?}");
        // The failing step is the TLS handshake, not the login after it.
        let last = report.steps.last().unwrap();
        assert_eq!(
            (last.name.as_str(), last.ok),
            ("TLS handshake", false),
            "{mode:?}"
        );
    }
    // psql (libpq) agrees.
    let psql = c.cluster.bin.bindir.join("psql");
    let psql = if psql.exists() { psql } else { "psql".into() };
    let out = std::process::Command::new(psql)
        .args(["-X", "-At", "-c", "SELECT 1", "-d"])
        .arg(format!(
            "host=localhost port={} user={} dbname=postgres sslmode=verify-full sslrootcert={}",
            c.port,
            c.superuser,
            pki().other_ca_cert.display()
        ))
        .env("PGPASSWORD", c.password.expose())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("certificate verify failed"));
    // sslrootcert=system trusts the system's roots, with verify-full as its default mode and
    // weaker modes refused, as libpq 16+ does.
    let system = || IntegrationInput {
        name: "t".into(),
        ..input(&c, "t", SslMode::VerifyFull).with_self_hosted(|s| {
            s.ca_cert = Some(CertSource::File {
                path: "system".into(),
            });
            s.sslmode = None;
        })
    };
    let report = env
        .g
        .integrations()
        .test_input(system(), None)
        .await
        .unwrap();
    assert!(report.ok, "{} {:?}", report.message, report.detail);
    let e = env
        .g
        .integrations()
        .test_input(
            system().with_self_hosted(|s| {
                s.sslmode = Some(SslMode::Require);
            }),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("sslmode"), "{}", e.message);
}
