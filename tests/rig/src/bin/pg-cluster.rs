//! Starts one throwaway cluster for whole-system tests (the desktop E2E), prints its connection
//! settings as one JSON line on stdout, and stops it when stdin closes.
//!
//! Lines on stdin drive the server meanwhile, each answered by one JSON line on stdout:
//! `stop` stops it (fast shutdown: sessions end, then nothing listens on the port), `start`
//! starts it again on the same port: `{"server":"stopped"}`, `{"server":"started"}`, or
//! `{"error":"..."}`.
//!
//! It creates a login role `e2e_user` with a random password, a database `e2e` owned by it with a
//! schema `app` and a few tables, and a table `app.ledger` that the superuser owns, on which
//! e2e_user may SELECT but not grant. On `app.orders`: roles named `"select"`, `"user"` and one
//! of 63 characters, a grant `"select"` made with its grant option, and a very long default.
//! Beside it: an Entra ID token authority and an Azure Flexible Server front on the same
//! cluster, with an app whose client secret logs in as the principal `entra_e2e` (`"entra"`),
//! and a moto server with the RDS databases of region eu-west-1 to discover (`"aws"`).

use grantry_testrig::entra::{App, EntraAuthority};
use grantry_testrig::entra_front::{create_principal, EntraFront, EntraFrontConfig, PrincipalType};
use grantry_testrig::moto::{Moto, RdsSpec};
use grantry_testrig::{pki, Cluster, Options};
use std::io::{BufRead, Write};

/// A role whose name is as long as PostgreSQL allows (63 bytes).
const LONG_ROLE: &str = "a_role_whose_name_is_as_long_as_postgresql_allows_sixty_three_c";

fn main() {
    let c = Cluster::start(Options::default());
    let password = grantry_core::Secret::generate(20);
    c.psql(
        "postgres",
        &format!(
            "CREATE ROLE e2e_user LOGIN PASSWORD '{}'; CREATE DATABASE e2e OWNER e2e_user;",
            password.expose()
        ),
    );
    c.psql(
        "e2e",
        "SET ROLE e2e_user; CREATE SCHEMA app; \
         CREATE TABLE app.customers (id bigint PRIMARY KEY, name text NOT NULL, email text); \
         COMMENT ON TABLE app.customers IS 'People who buy things'; \
         ALTER TABLE app.customers ALTER email SET DEFAULT ('customer-' || md5(random()::text) || '@example.invalid'); \
         COMMENT ON COLUMN app.customers.email IS 'Where receipts and order updates go. Checked once at sign-up, never again: \
         a bounced address stays here until the customer changes it, so the mailer reads bounces from its own table before sending \
         anything, and support asks for a new one on the phone.'; \
         CREATE TABLE app.orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES app.customers (id), total numeric(12,2)); \
         CREATE VIEW app.big_orders AS SELECT * FROM app.orders WHERE total > 100; \
         INSERT INTO app.customers SELECT g, 'c' || g, NULL FROM generate_series(1, 500) g; ANALYZE app.customers; \
         RESET ROLE; CREATE TABLE app.ledger (id bigint, amount numeric); \
         GRANT SELECT ON app.ledger TO e2e_user; \
         CREATE SCHEMA wide AUTHORIZATION e2e_user; \
         DO $$ BEGIN FOR i IN 1..1200 LOOP EXECUTE format('CREATE TABLE wide.%I (id int)', 'w' || i); END LOOP; END $$;",
    );
    // Hostile names and values on app.orders: roles named like keywords and as long as names
    // may be, one of them passing INSERT on with its grant option (a revoke needs CASCADE), and a
    // column default of about 2,000 characters.
    let long_default = format!(
        "'{}'",
        "An order note nobody reads, written again and again until it is long. ".repeat(28)
    );
    c.psql(
        "e2e",
        &format!(
            "CREATE ROLE \"select\" NOLOGIN; CREATE ROLE \"user\" NOLOGIN; \
             CREATE ROLE {LONG_ROLE} NOLOGIN; \
             SET ROLE e2e_user; GRANT USAGE ON SCHEMA app TO \"select\"; \
             GRANT INSERT ON app.orders TO \"select\" WITH GRANT OPTION; \
             GRANT SELECT ON app.orders TO {LONG_ROLE}; \
             ALTER TABLE app.orders ADD COLUMN note text DEFAULT {long_default}; \
             SET ROLE \"select\"; GRANT INSERT ON app.orders TO \"user\"; RESET ROLE;"
        ),
    );
    // An Azure Flexible Server stand-in in front of the same cluster, with its Entra ID token
    // authority: an app whose secret gets tokens for the principal role `entra_e2e`.
    const TENANT: &str = "7c3e1a4b-9d5f-4a6b-b2c3-4d5e6f7a8b9c";
    let authority = EntraAuthority::start();
    authority.add_tenant(TENANT, "E2E Contoso");
    let secret = grantry_core::Secret::generate(32);
    let app = App::new("grantry-e2e").with_secret(
        secret.expose(),
        chrono::Utc::now() + chrono::Duration::days(1),
    );
    authority.add_app(TENANT, app.clone());
    let front = EntraFront::start(&c, EntraFrontConfig::new(TENANT, authority.jwks()));
    create_principal(&c, "entra_e2e", &app.object_id, PrincipalType::Service);
    // An AWS region for discovery: moto with two PostgreSQL instances and an Aurora cluster,
    // tagged with their environments.
    let moto = Moto::start();
    let spec = |id: &str, iam: bool, env: &str| RdsSpec {
        region: "eu-west-1".into(),
        id: id.into(),
        port: c.port,
        iam,
        tags: std::collections::BTreeMap::from([
            ("env".to_string(), env.to_string()),
            ("team".to_string(), "orders".to_string()),
        ]),
    };
    moto.create_db_instance(&spec("orders-prod", true, "prod"));
    moto.create_db_instance(&spec("orders-dev", false, "dev"));
    moto.create_db_cluster(&spec("reports", true, "staging"));
    let line = serde_json::json!({
        "host": "localhost",
        "port": c.port,
        "user": "e2e_user",
        "password": password.expose(),
        "database": "e2e",
        "ca_cert": pki().ca_cert,
        "version": c.version,
        "entra": {
            "authority_host": authority.authority_host(),
            "tenant_id": TENANT,
            "client_id": app.client_id,
            "client_secret": secret.expose(),
            "host": front.endpoint_host,
            "port": front.port,
            "user": "entra_e2e",
        },
        "aws": {
            "endpoint_url": moto.endpoint_url,
            "region": "eu-west-1",
        },
    });
    println!("{line}");
    for command in std::io::stdin().lock().lines() {
        let Ok(command) = command else { break };
        let answer = match command.trim() {
            "" => continue,
            "stop" => c
                .cluster
                .stop()
                .map(|()| serde_json::json!({ "server": "stopped" })),
            "start" => c
                .cluster
                .start()
                .map(|()| serde_json::json!({ "server": "started" })),
            other => Ok(serde_json::json!({ "error": format!("unknown command {other:?}") })),
        }
        .unwrap_or_else(
            |e| serde_json::json!({ "error": format!("{}: {:?}", e.message, e.detail) }),
        );
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{answer}");
        let _ = out.flush();
    }
    drop(moto);
    drop(front);
    drop(authority);
    drop(c);
}
