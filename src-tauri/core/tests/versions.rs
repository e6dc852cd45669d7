//! The same checks on every supported major (15 from the machine, 16, 17 and 18 from the rig's
//! version matrix): TLS + SCRAM login with the connector's powers, pg_stat_statements, and the
//! catalog tree's levels, paging, search and details.

mod common;

use common::{grantry, input_on};
use grantry_core::catalog::{RelationKind, TreeQuery};
use grantry_core::integrations::model::SslMode;
use grantry_testrig::{version_matrix, Cluster};

#[tokio::test]
async fn connection_and_tree_on_every_major() {
    let matrix = version_matrix();
    assert!(matrix.len() >= 4, "{matrix:?}");
    for bin in matrix {
        let c = Cluster::start_with(&bin.bindir);
        c.psql(
            "postgres",
            "CREATE EXTENSION pg_stat_statements; CREATE DATABASE app;",
        );
        c.psql(
            "app",
            "CREATE SCHEMA s; DO $$ BEGIN FOR i IN 1..250 LOOP EXECUTE format('CREATE TABLE s.%I (id int PRIMARY KEY)', 'r' || lpad(i::text, 3, '0')); END LOOP; END $$;
             CREATE VIEW s.v AS SELECT 1 AS x; CREATE TABLE s.p (d date) PARTITION BY RANGE (d);
             CREATE TABLE s.p1 PARTITION OF s.p FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
             INSERT INTO s.p1 SELECT date '2026-01-01' + g % 300 FROM generate_series(1, 1000) g; ANALYZE;
             CREATE SCHEMA k; CREATE TABLE k.t (id int PRIMARY KEY, v text); CREATE VIEW k.v AS SELECT 1 AS x;
             CREATE MATERIALIZED VIEW k.mv AS SELECT 1 AS x; CREATE SEQUENCE k.pg_toast_seq; CREATE TABLE k.pg_toast_9 (x int);
             CREATE TABLE k.p (d date) PARTITION BY RANGE (d); CREATE TABLE k.p1 PARTITION OF k.p FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
             CREATE FOREIGN DATA WRAPPER w; CREATE SERVER srv FOREIGN DATA WRAPPER w; CREATE FOREIGN TABLE k.f (x int) SERVER srv;
             CREATE TYPE k.composite AS (a int); CREATE TABLE public.moved (x int); ALTER TABLE public.moved SET SCHEMA k;",
        );
        let env = grantry().await;
        let name = format!("pg{}", bin.major);
        let inp = input_on(&c, &name, SslMode::VerifyFull, "app");
        let it = env.g.integrations().add(inp).await.unwrap();
        let catalog = env.g.catalog();
        let integration = it.name.as_str();
        // The tree's relations in schema s of app, as `query` asks.
        let in_s = move |query: TreeQuery| async move {
            catalog
                .relations(integration, "app", "s", &query)
                .await
                .unwrap()
        };

        let report = env.g.integrations().test(&it.name).await.unwrap();
        assert!(
            report.ok,
            "PostgreSQL {}: {} {:?}",
            bin.version, report.message, report.detail
        );
        let s = report.server.unwrap();
        assert_eq!(s.version_num / 10000, bin.major as i32);
        assert!(s.ssl_in_use);
        assert_eq!(
            s.powers.pg_stat_statements_loaded,
            Some(true),
            "PostgreSQL {}",
            bin.major
        );

        let dbs = catalog
            .databases(integration, &TreeQuery::default())
            .await
            .unwrap();
        assert!(dbs.items.iter().any(|d| d.name == "app"));
        let schemas = catalog
            .schemas(integration, "app", &TreeQuery::default())
            .await
            .unwrap();
        let sch = schemas.items.iter().find(|x| x.name == "s").unwrap();
        assert_eq!(sch.relation_count, 253, "PostgreSQL {}", bin.major);
        // Every kind of relation is counted (through pg_depend) and listed (in three name
        // ranges around the TOAST tables' names), exactly as pg_class has them.
        let in_k = "FROM pg_class WHERE relnamespace = 'k'::regnamespace AND relkind IN ('r','p','v','m','f','S')";
        let k_count: i64 = c
            .psql("app", &format!("SELECT count(*) {in_k}"))
            .parse()
            .unwrap();
        assert_eq!(k_count, 9, "PostgreSQL {}", bin.major);
        let k = schemas.items.iter().find(|x| x.name == "k").unwrap();
        assert_eq!(
            (k.relation_count, k.relation_count_capped),
            (k_count, false)
        );
        let stats = catalog.schema_stats(integration, "app", "k").await.unwrap();
        assert_eq!(stats.relation_count, k_count, "PostgreSQL {}", bin.major);
        let listed: Vec<String> = catalog
            .relations(integration, "app", "k", &TreeQuery::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|r| r.name)
            .collect();
        let by_server = c.psql(
            "app",
            &format!("SELECT string_agg(relname, ',' ORDER BY relname) {in_k}"),
        );
        assert_eq!(listed.join(","), by_server, "PostgreSQL {}", bin.major);
        let page = in_s(TreeQuery {
            limit: Some(100),
            offset: Some(200),
            with_total: true,
            ..Default::default()
        })
        .await;
        assert_eq!(page.total, Some(253));
        assert_eq!(page.items.len(), 53);
        assert!(!page.has_more);
        assert_eq!(page.items.last().unwrap().name, "v");
        let parts = in_s(TreeQuery {
            search: Some("p".into()),
            ..Default::default()
        })
        .await;
        let p = parts.items.iter().find(|r| r.name == "p").unwrap();
        assert_eq!(p.kind, RelationKind::PartitionedTable);
        assert!(
            p.size_bytes.unwrap() > 0,
            "partitioned table size sums its partitions"
        );
        let found = in_s(TreeQuery {
            search: Some("R24".into()),
            with_total: true,
            ..Default::default()
        })
        .await;
        assert_eq!(found.total, Some(10));
        let d = catalog
            .relation_detail(integration, "app", "s", "p1")
            .await
            .unwrap();
        assert!(d.is_partition);
        assert_eq!(d.estimated_rows, Some(1000));
        env.g.close().await;
    }
}
