//! Catalog tree benchmark: one schema of 100,000 tables plus 1,000 small schemas.
//!
//! Measures the first page of the big schema, a name search in it, and the database's schema
//! list, each through Grantry (warm pool, as the app uses it) and beside psql running the same
//! SQL with the values written in (`\timing`) in the same run. Prints a Markdown table; docs/benchmarks.md records it.
//!
//! Run: `cargo bench -p grantry-core --bench tree` (set BENCH_TABLES to scale; default 100000).

#[path = "../tests/common.rs"]
mod common;
mod support;

use grantry_core::catalog::{self, TreeQuery};
use grantry_testrig::{psql_timings, Cluster};
use std::time::Instant;
use support::median;

const ITERATIONS: usize = 40;

fn build_database(c: &Cluster, tables: usize) {
    c.psql("postgres", "CREATE DATABASE bench");
    let mut script = String::from("CREATE SCHEMA big;\n");
    let batch = 1000;
    // Names as wide as the largest number, so 1,000,000 tables are 1,000,000 names.
    let width = tables.to_string().len().max(6);
    for start in (1..=tables).step_by(batch) {
        let end = (start + batch - 1).min(tables);
        script.push_str(&format!(
            "DO $$ BEGIN FOR i IN {start}..{end} LOOP \
             EXECUTE format('CREATE TABLE big.%I (id int PRIMARY KEY, v text)', 'table_' || lpad(i::text, {width}, '0')); \
             END LOOP; END $$;\n"
        ));
    }
    for s in (1..=1000).step_by(100) {
        script.push_str(&format!(
            "DO $$ BEGIN FOR s IN {s}..{e} LOOP \
             EXECUTE format('CREATE SCHEMA %I', 'small_' || lpad(s::text, 4, '0')); \
             FOR t IN 1..5 LOOP EXECUTE format('CREATE TABLE %I.%I (id int)', 'small_' || lpad(s::text, 4, '0'), 't' || t); END LOOP; \
             END LOOP; END $$;\n",
            e = s + 99
        ));
    }
    script.push_str("VACUUM ANALYZE pg_class; VACUUM ANALYZE pg_namespace;\n");
    c.psql("bench", &script);
}

/// Runs `sql` with `args` substituted for $1.. (as a DBA pastes it) ITERATIONS times in one psql
/// session and returns psql's per-execution times (ms) as `\timing` reports them.
fn psql_times(c: &Cluster, sql: &str, args: &[&str]) -> Vec<f64> {
    let mut body = sql.trim().trim_end_matches(';').to_string();
    for (i, a) in args.iter().enumerate().rev() {
        body = body.replace(&format!("${}", i + 1), a);
    }
    let body: String = body
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    if std::env::var_os("BENCH_EXPLAIN").is_some() {
        eprintln!(
            "{}",
            c.psql("bench", &format!("EXPLAIN (ANALYZE, BUFFERS) {body};"))
        );
    }
    let mut script = String::from("\\o /dev/null\n\\timing on\n");
    for _ in 0..ITERATIONS + 3 {
        script.push_str(&body);
        script.push_str(";\n");
    }
    let times = psql_timings(&c.psql_script("bench", &[], &script).1);
    assert_eq!(times.len(), ITERATIONS + 3, "psql printed no timings");
    times[3..].to_vec()
}

async fn grantry_times<F, Fut>(mut f: F) -> Vec<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    for _ in 0..3 {
        f().await;
    }
    let mut v = Vec::new();
    for _ in 0..ITERATIONS {
        let t = Instant::now();
        let n = f().await;
        v.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(n > 0);
    }
    v
}

fn main() {
    let tables = support::tables();
    let c = support::cluster();
    let t = Instant::now();
    build_database(&c, tables);
    eprintln!(
        "built {tables} tables + 1,000 schemas in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let env = common::grantry_on(&c, "bench").await;
        let g = &env.g;
        let first_page = TreeQuery { limit: Some(200), ..Default::default() };
        let search = TreeQuery { search: Some("4999".into()), limit: Some(200), with_total: true, ..Default::default() };
        let schemas = TreeQuery { limit: Some(200), ..Default::default() };
        let mut rows = Vec::new();

        let g1 = grantry_times(|| async { g.catalog().relations("bench", "bench", "big", &first_page).await.unwrap().items.len() }).await;
        let p1 = psql_times(&c, catalog::RELATIONS_SQL.fast(), &["'big'", "NULL", "201", "0", "NULL"]);
        rows.push((format!("first page of the big schema (200 of {tables})"), g1, p1));

        let search_page = TreeQuery { with_total: false, ..search.clone() };
        let g2p = grantry_times(|| async { g.catalog().relations("bench", "bench", "big", &search_page).await.unwrap().items.len() }).await;
        let p2p = psql_times(&c, catalog::RELATIONS_SQL.fast(), &["'big'", "'4999'", "201", "0", "'%4999%'"]);
        rows.push(("name search in the big schema (page only)".to_string(), g2p, p2p));

        let g2 = grantry_times(|| async { g.catalog().relations("bench", "bench", "big", &search).await.unwrap().items.len() }).await;
        // The search page counts its matches in the same scan: psql runs the same one query.
        let p2 = psql_times(&c, catalog::RELATIONS_SQL.fast(), &["'big'", "'4999'", "201", "0", "'%4999%'"]);
        rows.push(("name search in the big schema (page + match count)".to_string(), g2, p2));

        let g3 = grantry_times(|| async { g.catalog().schemas("bench", "bench", &schemas).await.unwrap().items.len() }).await;
        let p3 = psql_times(&c, catalog::SCHEMAS_SQL.fast(), &["NULL", "false", "201", "0"]);
        rows.push(("schema list (first 200 of 1,002, relations counted up to 1,000)".to_string(), g3, p3));

        let measured = catalog::SCHEMA_MEASURED_RELATIONS.to_string();
        let g4 = grantry_times(|| async { g.catalog().schema_stats("bench", "bench", "big").await.unwrap().relation_count as usize }).await;
        let p4 = psql_times(&c, catalog::SCHEMA_STATS_SQL.fast(), &["'big'", &measured]);
        rows.push(("the big schema counted exactly (schema detail)".to_string(), g4, p4));
        let g5 = grantry_times(|| async { g.catalog().schema_stats("bench", "bench", "small_0500").await.unwrap().relation_count as usize }).await;
        let p5 = psql_times(&c, catalog::SCHEMA_STATS_SQL.fast(), &["'small_0500'", &measured]);
        rows.push(("a small schema counted exactly, size measured".to_string(), g5, p5));

        println!("| operation | Grantry median (ms) | psql median (ms) | ratio |");
        println!("|---|---:|---:|---:|");
        for (name, gt, pt) in rows {
            let (gm, pm) = (median(gt), median(pt));
            println!("| {name} | {gm:.2} | {pm:.2} | {:.2}x |", gm / pm);
        }
        println!("\n{tables} tables in schema big, 1,000 schemas of 5 tables; {ITERATIONS} runs each after 3 warm-ups; PostgreSQL {}.", c.version);
        g.close().await;
    });
}
