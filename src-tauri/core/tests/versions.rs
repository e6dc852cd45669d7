//! The same checks on every supported major (15 from the machine, 16, 17 and 18 from the rig's
//! version matrix): TLS + SCRAM login with the connector's powers, pg_stat_statements, and the
//! catalog tree's levels, paging, search and details.

mod common;

use common::{grantry, input};
use grantry_core::catalog::{RelationKind, TreeQuery};
use grantry_core::integrations::model::SslMode;
use grantry_testrig::{version_matrix, Cluster, Options};

#[tokio::test]
async fn connection_and_tree_on_every_major() {
    let matrix = version_matrix();
    assert!(matrix.len() >= 4, "{matrix:?}");
    for bin in matrix {
        let c = Cluster::start(Options {
            bindir: Some(bin.bindir.clone()),
            ..Options::default()
        });
        c.psql(
            "postgres",
            "CREATE EXTENSION pg_stat_statements; CREATE DATABASE app;",
        );
        c.psql(
            "app",
            "CREATE SCHEMA s; DO $$ BEGIN FOR i IN 1..250 LOOP EXECUTE format('CREATE TABLE s.%I (id int PRIMARY KEY)', 'r' || lpad(i::text, 3, '0')); END LOOP; END $$;
             CREATE VIEW s.v AS SELECT 1 AS x; CREATE TABLE s.p (d date) PARTITION BY RANGE (d);
             CREATE TABLE s.p1 PARTITION OF s.p FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
             INSERT INTO s.p1 SELECT date '2026-01-01' + g % 300 FROM generate_series(1, 1000) g; ANALYZE;",
        );
        let env = grantry().await;
        let name = format!("pg{}", bin.major);
        let mut inp = input(&c, &name, SslMode::VerifyFull);
        inp = inp.with_self_hosted(|s| s.database = Some("app".into()));
        let it = env.g.integrations().add(inp).await.unwrap();

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

        let dbs = env
            .g
            .catalog()
            .databases(&it.name, &TreeQuery::default())
            .await
            .unwrap();
        assert!(dbs.items.iter().any(|d| d.name == "app"));
        let schemas = env
            .g
            .catalog()
            .schemas(&it.name, "app", &TreeQuery::default())
            .await
            .unwrap();
        let sch = schemas.items.iter().find(|x| x.name == "s").unwrap();
        assert_eq!(sch.relation_count, 253, "PostgreSQL {}", bin.major);
        let page = env
            .g
            .catalog()
            .relations(
                &it.name,
                "app",
                "s",
                &TreeQuery {
                    limit: Some(100),
                    offset: Some(200),
                    with_total: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.total, Some(253));
        assert_eq!(page.items.len(), 53);
        assert!(!page.has_more);
        assert_eq!(page.items.last().unwrap().name, "v");
        let parts = env
            .g
            .catalog()
            .relations(
                &it.name,
                "app",
                "s",
                &TreeQuery {
                    search: Some("p".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let p = parts.items.iter().find(|r| r.name == "p").unwrap();
        assert_eq!(p.kind, RelationKind::PartitionedTable);
        assert!(
            p.size_bytes.unwrap() > 0,
            "partitioned table size sums its partitions"
        );
        let found = env
            .g
            .catalog()
            .relations(
                &it.name,
                "app",
                "s",
                &TreeQuery {
                    search: Some("R24".into()),
                    with_total: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(found.total, Some(10));
        let d = env
            .g
            .catalog()
            .relation_detail(&it.name, "app", "s", "p1")
            .await
            .unwrap();
        assert!(d.is_partition);
        assert_eq!(d.estimated_rows, Some(1000));
        env.g.close().await;
    }
}
