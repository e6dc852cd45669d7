//! What the benchmarks share besides the tests' set-up: the size they build, the cluster they
//! measure on, and how they sum up their timings.

use grantry_testrig::{Cluster, Options};

/// How many tables to build: BENCH_TABLES, 100,000 when unset.
pub fn tables() -> usize {
    std::env::var("BENCH_TABLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// A cluster without TLS: what is measured is the queries, not the connections.
pub fn cluster() -> Cluster {
    Cluster::start(Options {
        ssl: false,
        ..Options::default()
    })
}

/// The median of the timings `v` (of an even count, the upper middle one).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}
