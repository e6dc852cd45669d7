//! Integration kinds: each one's input and how it becomes connection settings. Self-hosted is the
//! first; AWS RDS / Aurora and Azure Database for PostgreSQL are beside it.

pub mod aws_rds;
pub mod azure;
pub mod self_hosted;
