//! The catalog tree against a real cluster: levels, paging, search, kinds, sizes, comments,
//! system objects, details, errors and pool reuse.

mod common;

use common::{grantry, input};
use grantry_core::catalog::{RelationKind, TreeQuery};
use grantry_core::integrations::model::SslMode;
use grantry_core::ErrorCode;
use grantry_testrig::{Cluster, Options};

fn q(search: Option<&str>, limit: Option<u32>, offset: Option<u32>) -> TreeQuery {
    TreeQuery {
        search: search.map(Into::into),
        limit,
        offset,
        include_system: false,
        with_total: true,
    }
}

/// The first page with the total, system objects included.
fn with_system() -> TreeQuery {
    TreeQuery {
        include_system: true,
        ..q(None, None, None)
    }
}

#[tokio::test]
async fn walks_and_pages_the_tree() {
    let c = Cluster::start(Options::default());
    c.psql(
        "postgres",
        "CREATE DATABASE big; COMMENT ON DATABASE big IS 'lots of tables'",
    );
    c.psql(
        "big",
        "CREATE SCHEMA wide; CREATE SCHEMA \"Odd Name\"; CREATE SCHEMA other; COMMENT ON SCHEMA wide IS 'wide schema';
         DO $$ BEGIN FOR i IN 1..1500 LOOP
           EXECUTE format('CREATE TABLE wide.%I (id int PRIMARY KEY, v text)', 't' || lpad(i::text, 5, '0'));
         END LOOP; END $$;
         CREATE TABLE wide.under_score (x int); CREATE TABLE wide.underXscore (x int); CREATE TABLE wide.\"ÜniCödé\" (x int);
         CREATE TABLE wide.filled (id int, payload text); INSERT INTO wide.filled SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g;
         ANALYZE wide.filled; COMMENT ON TABLE wide.filled IS 'has rows';
         CREATE VIEW wide.v_filled AS SELECT * FROM wide.filled;
         CREATE MATERIALIZED VIEW wide.mv AS SELECT 1 AS one;
         CREATE SEQUENCE wide.seq;
         CREATE TABLE wide.parted (d date) PARTITION BY RANGE (d);
         CREATE TABLE wide.parted_2026 PARTITION OF wide.parted FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
         CREATE EXTENSION IF NOT EXISTS postgres_fdw; CREATE SERVER loop FOREIGN DATA WRAPPER postgres_fdw;
         CREATE FOREIGN TABLE wide.remote (id int) SERVER loop;
         -- Names among the TOAST tables' (pg_toast_<oid>), in a schema of their own.
         CREATE TABLE wide.pg_toast_1 (x int); CREATE SEQUENCE wide.pg_toast_seq; CREATE VIEW wide.\"pg_toast_Z\" AS SELECT 1 AS z;
         CREATE TABLE other.moved (x int); ALTER TABLE other.moved SET SCHEMA wide;
         CREATE TYPE wide.not_a_relation AS (a int); CREATE INDEX ON wide.filled (id);
         CREATE TABLE \"Odd Name\".\"Mixed Case\" (\"Column A\" int NOT NULL DEFAULT 7);
         COMMENT ON COLUMN \"Odd Name\".\"Mixed Case\".\"Column A\" IS 'a column';",
    );
    let env = grantry().await;
    let it = env
        .g
        .integrations()
        .add(input(&c, "big", SslMode::VerifyFull))
        .await
        .unwrap();
    let catalog = env.g.catalog();
    let integration = it.name.as_str();
    // The tree's relations in schema wide of big, as `query` asks.
    let in_wide = move |query: TreeQuery| async move {
        catalog.relations(integration, "big", "wide", &query).await
    };

    // Databases: templates hidden unless asked.
    let dbs = catalog
        .databases(integration, &q(None, None, None))
        .await
        .unwrap();
    let names: Vec<_> = dbs.items.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["big", "postgres"]);
    let big = &dbs.items[0];
    assert_eq!(big.comment.as_deref(), Some("lots of tables"));
    assert!(big.size_bytes.unwrap() > 1_000_000);
    let all = catalog
        .databases(integration, &with_system())
        .await
        .unwrap();
    assert!(all
        .items
        .iter()
        .any(|d| d.name == "template1" && d.is_template));

    // Schemas with relation counts; system schemas hidden unless asked.
    let schemas = catalog
        .schemas(integration, "big", &q(None, None, None))
        .await
        .unwrap();
    let names: Vec<_> = schemas.items.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Odd Name", "other", "public", "wide"]);
    let wide = schemas.items.iter().find(|s| s.name == "wide").unwrap();
    let expected: i64 = c
        .psql("big", "SELECT count(*) FROM pg_class WHERE relnamespace = 'wide'::regnamespace AND relkind IN ('r','p','v','m','f','S')")
        .parse()
        .unwrap();
    // Counted up to 1,000 in the list, exactly on request.
    assert!(expected > 1000);
    assert_eq!(
        (wide.relation_count, wide.relation_count_capped),
        (1000, true)
    );
    let stats = catalog
        .schema_stats(integration, "big", "wide")
        .await
        .unwrap();
    assert_eq!(stats.relation_count, expected);
    assert!(stats.size_bytes > 500_000 && !stats.size_estimated);
    assert_eq!(stats.estimated_rows, 5000);
    let odd = schemas.items.iter().find(|s| s.name == "Odd Name").unwrap();
    assert_eq!((odd.relation_count, odd.relation_count_capped), (1, false));
    let err = catalog
        .schema_stats(integration, "big", "nope")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(wide.comment.as_deref(), Some("wide schema"));
    let sys = catalog
        .schemas(integration, "big", &with_system())
        .await
        .unwrap();
    assert!(sys
        .items
        .iter()
        .any(|s| s.name == "pg_catalog" && s.is_system));
    assert_eq!(sys.total.unwrap(), sys.items.len() as i64);

    // Paging through 1,500+ relations: pages are disjoint, ordered and complete.
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let p = in_wide(q(None, Some(400), Some(offset))).await.unwrap();
        assert_eq!(p.total, Some(expected));
        seen.extend(p.items.iter().map(|r| r.name.clone()));
        offset += p.items.len() as u32;
        if !p.has_more {
            break;
        }
        assert_eq!(p.items.len(), 400);
    }
    assert_eq!(seen.len() as i64, expected);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "pages overlap");
    let by_server: Vec<String> = c
        .psql("big", "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'wide'::regnamespace AND relkind IN ('r','p','v','m','f','S')")
        .split(',')
        .map(String::from)
        .collect();
    assert_eq!(seen, by_server, "order differs from the server's");

    // Search: case-insensitive substring; LIKE wildcards are literal.
    let s = in_wide(q(Some("SCORE"), None, None)).await.unwrap();
    let names: Vec<_> = s.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["under_score", "underxscore"]);
    let s = in_wide(q(Some("r_s"), None, None)).await.unwrap();
    assert_eq!(
        s.items.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["under_score"]
    );
    assert_eq!(s.total, Some(1));
    let s = in_wide(q(Some("t0149"), None, None)).await.unwrap();
    assert_eq!(s.total, Some(10));
    // Non-ASCII letters ignore case too; regular-expression characters are literal.
    for term in ["ü", "CÖD", "ünicödé"] {
        let s = in_wide(q(Some(term), None, None)).await.unwrap();
        assert_eq!(
            s.items.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["ÜniCödé"],
            "{term}"
        );
    }
    for term in [".", "t0.*", "[u]", "(", "\\"] {
        let s = in_wide(q(Some(term), None, None)).await.unwrap();
        assert_eq!(s.total, Some(0), "{term}");
    }

    // Kinds, rows, sizes, comments.
    let p = in_wide(q(None, Some(5000), None)).await.unwrap();
    let find = |n: &str| {
        p.items
            .iter()
            .find(|r| r.name == n)
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    assert_eq!(find("filled").kind, RelationKind::Table);
    assert_eq!(find("filled").estimated_rows, Some(5000));
    assert_eq!(find("filled").comment.as_deref(), Some("has rows"));
    assert!(find("filled").size_bytes.unwrap() > 500_000);
    assert_eq!(find("v_filled").kind, RelationKind::View);
    assert_eq!(find("mv").kind, RelationKind::MaterializedView);
    assert_eq!(find("seq").kind, RelationKind::Sequence);
    assert_eq!(find("parted").kind, RelationKind::PartitionedTable);
    assert!(find("parted_2026").is_partition);
    assert_eq!(find("remote").kind, RelationKind::ForeignTable);
    assert_eq!(find("t00001").owner, c.superuser);

    // Details, with hostile names.
    let d = catalog
        .relation_detail(integration, "big", "Odd Name", "Mixed Case")
        .await
        .unwrap();
    assert_eq!(d.columns.len(), 1);
    assert_eq!(d.columns[0].name, "Column A");
    assert_eq!(d.columns[0].data_type, "integer");
    assert!(d.columns[0].not_null);
    assert_eq!(d.columns[0].default_value.as_deref(), Some("7"));
    assert_eq!(d.columns[0].comment.as_deref(), Some("a column"));
    let d = catalog
        .relation_detail(integration, "big", "wide", "v_filled")
        .await
        .unwrap();
    assert!(d.definition.unwrap().contains("FROM wide.filled"));

    // Errors: missing schema / relation / database are specific.
    let e = catalog
        .relations(integration, "big", "nope", &q(None, None, None))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    let e = catalog
        .relation_detail(integration, "big", "wide", "nope")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    let e = catalog
        .schemas(integration, "no_such_db", &q(None, None, None))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::DatabaseMissing);
    let e = in_wide(q(None, Some(0), None)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);

    // One pool per (integration, database), reused.
    let before = env.g.app().open_pools().await;
    for _ in 0..5 {
        in_wide(q(None, Some(10), None)).await.unwrap();
        catalog
            .databases(integration, &q(None, None, None))
            .await
            .unwrap();
    }
    assert_eq!(env.g.app().open_pools().await, before);
    let backends: i64 = c
        .psql(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'grantry'",
        )
        .parse()
        .unwrap();
    assert!(
        backends <= 2 * grantry_core::connect::pool::MAX_CONNECTIONS_PER_POOL as i64,
        "{backends} connections"
    );
    // Editing the integration drops its pools.
    env.g.integrations().remove(&it.name).await.unwrap();
    assert_eq!(env.g.app().open_pools().await, 0);
}

#[tokio::test]
async fn idle_pooled_connections_are_closed() {
    let c = Cluster::start(Options::default());
    let home = tempfile::tempdir().unwrap();
    let g = grantry_core::Grantry::open(grantry_core::OpenOptions {
        home: Some(home.path().to_path_buf()),
        secrets: Some(std::sync::Arc::new(
            grantry_core::secrets::MemoryKeychain::default(),
        )),
        pool_idle_timeout: Some(std::time::Duration::from_secs(1)),
    })
    .await
    .unwrap();
    let mut inp = input(&c, "idle", SslMode::Require);
    inp = inp.with_self_hosted(|s| s.application_name = Some("grantry-idle-test".into()));
    g.integrations().add(inp).await.unwrap();
    let count = || {
        c.psql(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'grantry-idle-test'",
        )
        .parse::<i64>()
        .unwrap()
    };
    g.catalog()
        .databases("idle", &q(None, None, None))
        .await
        .unwrap();
    assert!(count() >= 1, "the pool holds no connection after a query");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "idle connections were not closed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    // The pool is still there and reconnects on demand.
    assert_eq!(g.app().open_pools().await, 1);
    g.catalog()
        .databases("idle", &q(None, None, None))
        .await
        .unwrap();
}
